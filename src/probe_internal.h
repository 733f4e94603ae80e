/*
 * probe_internal.h - what the two halves of a probe share: the core
 * (probe.c: the recipients, the sessions the route asks for, the results)
 * and the DNS part (probe_dns.c: MX, null and implicit MX, addresses). The
 * DNS part reports back through probe_hosts_known() and probe_fail(); the
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

enum slot_state {
	SLOT_PENDING,                /* waiting for a session */
	SLOT_SENT,                   /* in the running session */
	SLOT_WAIT,                   /* greylisted: waiting to be asked again */
	SLOT_DONE,                   /* its result is complete */
};

/*
 * One recipient of the probe. Its result is made only when its answer is
 * known (slot_result) and handed to the caller at once: a probe carries up
 * to 50 recipients for the whole of its sessions, and a result is 7 KB.
 */
struct slot {
	struct probe_result *r;      /* NULL until the answer is known, and again once handed over */
	char *input;                 /* the address as given */
	size_t input_len;
	bool addr_ok;
	bool needs_smtputf8;
	char *rcpt;                  /* as sent in RCPT TO */
	enum slot_state state;
	int dup_of;                  /* an earlier slot with the same address, or -1 */
	int tries;                   /* sessions cut before it was answered */
	bool greylisted;             /* --retry-greylist: asked again after the wait */
	struct reply waiting_on;     /* while it waits for a new session: the answer that made it wait (4xx, 421) */
	enum failure waiting_failure;
	int *atts;                   /* the attempts it took part in (indices into probe.atts) */
	int natts;
};

struct probe {
	struct loop *l;
	struct dns *d;
	const struct probe_options *o;
	void (*done_fn)(void *ctx, int i, struct probe_result *r);
	void *done_ctx;
	bool done;
	int64_t t_start;
	int64_t t_dns;
	int port;

	/* What every recipient's result shares: MX, notes, timings, transcript. */
	struct probe_result common;
	struct address addr;         /* the domain's, from the first valid address */
	char who[ADDR_DOMAIN_MAX + 16]; /* "example.org#3": this probe in a -v transcript */
	bool have_addr;
	char catch_all_address[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];

	struct slot *slots;
	int nslots;
	int ndone;

	struct route route;
	struct host_lookup lookups[DNS_MX_MAX];
	int pending;                 /* address lookups outstanding */
	struct loop_timer dns_timer;
	bool hosts_known;

	struct attempt attempt;
	struct probe_attempt *atts;  /* every connection made, in order */
	int natts;
	int *session;                /* slots in the running session */
	int nsession;
	const char **session_rcpts;
	bool reconnect;              /* the next session goes to the same target */
	struct loop_timer wait_timer; /* greylisting retry, back-off */
	struct loop_timer max_timer;  /* --max-time */
	int backoffs;
	bool transcript_cut;
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
/* The run knows the domain's answers already: use them (true), or ask (false). */
bool probe_dns_cached(struct probe *p);

#endif
