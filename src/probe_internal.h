/*
 * probe_internal.h - what the two halves of a probe share: the core
 * (probe.c: entry, the order of attempts through route.c, the result) and
 * the DNS part (probe_dns.c: MX, null and implicit MX, addresses). The DNS
 * part reports back through probe_hosts_known() and probe_fail(); the
 * connections are attempt.c's, which reports back by callback.
 * Not installed, not for anything but src/probe*.c.
 */
#ifndef SMTPPROBE_PROBE_INTERNAL_H
#define SMTPPROBE_PROBE_INTERNAL_H

#include "attempt.h"
#include "probe.h"
#include "route.h"

struct host_lookup {
	struct probe *p;
	int host;                    /* index into route.hosts */
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

	struct route route;
	struct host_lookup lookups[DNS_MX_MAX];
	int pending;                 /* address lookups outstanding */
	struct loop_timer dns_timer;

	struct attempt attempt;
	struct loop_timer retry_timer; /* --retry-greylist */
	bool retried;
	char rcpt[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
};

/* probe.c */
/* End the probe before any connection decided: step, class and what happened. */
void probe_fail(struct probe *p, enum step step, enum failure f, const struct msg *detail);
void probe_event(struct probe *p, const struct msg *m);
void probe_add_time(struct probe *p, enum step st, int64_t ms);
/* The route's hosts have their addresses (or none): connect, or conclude. */
void probe_hosts_known(struct probe *p);

/* probe_dns.c */
void probe_on_mx(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why);
/* Resolve every host of the route (absolute: MX names, no search list). */
void probe_resolve_hosts(struct probe *p, bool absolute);
void probe_on_dns_timeout(void *ctx);

#endif
