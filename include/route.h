/*
 * route.h - where a probe connects, in which order, and what it does after
 * each attempt: pure decisions on data, unit-tested without a socket.
 *
 * The hosts come in MX order (or the one --server / implicit-MX host) with
 * their addresses; route_build lays out the targets as an MTA tries them:
 * host by host, each host's IPv6 and IPv4 addresses alternating (IPv6
 * first). After an attempt, route_next says whether to connect again (and
 * where, and whether without STARTTLS) or to stop.
 */
#ifndef SMTPPROBE_ROUTE_H
#define SMTPPROBE_ROUTE_H

#include <stdbool.h>

#include "dns.h"
#include "result.h"
#include "tls_info.h"

#define ROUTE_ATTEMPTS_MAX 16  /* connections per address, at most */

struct route_host {
	char name[256];
	int preference;
	struct dns_addr addrs[DNS_ADDR_MAX];
	int naddrs;
	enum dns_status st;         /* of its address lookup */
	const char *why;            /* the resolver's words when it failed */
};

struct route_target {
	int host;                   /* index into hosts */
	int addr;                   /* index into that host's addrs */
};

/* How an attempt ended, as far as the route cares. */
struct route_outcome {
	enum step step;
	enum failure failure;
	int code;                   /* the deciding reply's code, 0 without one */
};

enum route_action {
	ROUTE_CONNECT,              /* connect to route_target_now(); maybe plain */
	ROUTE_DONE,                 /* no more attempts: conclude */
};

struct route {
	struct route_host hosts[DNS_MX_MAX];
	int nhosts;
	struct route_target targets[ROUTE_ATTEMPTS_MAX];
	int ntargets;
	int cur;                    /* the target being tried */
	bool plain;                 /* this connection skips STARTTLS (opportunistic fall-back) */
	int nattempts;              /* connections made so far */
	/* settings */
	bool all_mx;
	enum tls_mode tls_mode;
	/* --all-mx: the attempt that decided each host, or -1 */
	int host_final[DNS_MX_MAX];
};

/* Reset rt for hosts filled in by the caller (hosts, nhosts), then lay out the targets. */
void route_build(struct route *rt, bool all_mx, enum tls_mode tls_mode);
/* The first connection: ROUTE_CONNECT, or ROUTE_DONE when there is no target. */
enum route_action route_first(struct route *rt);
/*
 * After the attempt numbered `attempt` (0-based, in the caller's list)
 * ended with o: what next. Moves on as an MTA would: after a refused,
 * unreachable or silent connection, a failed TLS handshake, a greeting
 * that is not a 5xx, any 421, a lost connection or garbage; retries the
 * same address in clear text when opportunistic STARTTLS failed its
 * handshake (--tls auto); stops at a definitive answer, and at once on a
 * local failure (this machine's resources are not the remote's fault).
 */
enum route_action route_next(struct route *rt, const struct route_outcome *o, int attempt);
const struct route_host *route_host_now(const struct route *rt);
const struct dns_addr *route_addr_now(const struct route *rt);

/* Whether an MTA would try another address after o (exposed for tests). */
bool route_moves_on(const struct route_outcome *o);

#endif
