/*
 * probe_internal.h - what the three parts of a probe share: the core
 * (probe.c: entry, the order of attempts, the result), the DNS part
 * (probe_dns.c: MX, null and implicit MX, addresses, targets) and one
 * connection (probe_session.c: connect, SOCKS5, TLS, the SMTP I/O).
 * Not installed, not for anything but src/probe*.c.
 */
#ifndef SMTPPROBE_PROBE_INTERNAL_H
#define SMTPPROBE_PROBE_INTERNAL_H

#include <stdarg.h>

#include "conn.h"
#include "probe.h"
#include "smtp.h"
#include "socks.h"

struct host {
	char name[256];
	int preference;
	struct dns_addr addrs[DNS_ADDR_MAX];
	int naddrs;
	enum dns_status st;
	const char *why;
	struct probe *p;
};

struct target {
	int host;                    /* index into hosts */
	const struct dns_addr *addr;
};

struct probe {
	struct loop *l;
	struct dns *d;
	const struct probe_options *o;
	struct probe_result *r;
	bool done;
	void (*done_fn)(void *ctx);
	void *done_ctx;
	int64_t t_start;
	int64_t t_dns;
	int port;

	struct host hosts[DNS_MX_MAX];
	int nhosts;
	int pending;                 /* address lookups outstanding */
	struct loop_timer dns_timer;

	struct target targets[PROBE_TARGETS_MAX];
	int ntargets;
	int cur;                     /* target being tried */
	int host_final[DNS_MX_MAX];  /* --all-mx: attempt index that decided each host, or -1 */

	struct conn c;
	struct smtp_session *s;
	struct loop_timer timer;     /* connect and per-step deadline */
	bool handshaking;
	struct socks_session *socks;
	struct loop_timer retry_timer; /* --retry-greylist */
	bool retried;
	int64_t t_step;
	char helo[300];
	char rcpt[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
};

/* probe.c */
void probe_trace(struct probe *p, const char *prefix, const char *line, size_t len);
void probe_tracef(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A step's label for people, translated (the text report does the same). */
const char *probe_step_text(enum step st);
void probe_note(struct probe_result *r, const char *note);
void probe_add_time(struct probe *p, enum step st, int64_t since);
/* End the probe here: step, class and what happened. */
void probe_fail(struct probe *p, enum step step, enum failure f, const char *detail);
/* After an attempt: the next address or host, or the result. */
void probe_next_target(struct probe *p);

/* probe_dns.c */
void probe_on_mx(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why);
/* Resolve every host (absolute: MX names, no search list), then connect. */
void probe_resolve_hosts(struct probe *p, bool absolute);
void probe_on_dns_timeout(void *ctx);

/* probe_session.c */
/* Connect to p->targets[p->cur] as a new attempt. */
void probe_connect(struct probe *p);
void probe_disconnect(struct probe *p);

#endif
