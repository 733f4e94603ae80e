/* route.c - the order of attempts and the fall-over decisions (see route.h). */
#include "route.h"

#include <string.h>
#include <sys/socket.h>

void route_build(struct route *rt, bool all_mx, enum tls_mode tls_mode)
{
	rt->ntargets = 0;
	rt->cur = 0;
	rt->plain = false;
	rt->nattempts = 0;
	rt->all_mx = all_mx;
	rt->tls_mode = tls_mode;
	for (int h = 0; h < DNS_MX_MAX; h++)
		rt->host_final[h] = -1;
	/* IPv6 and IPv4 alternate, as Happy Eyeballs orders them, without racing. */
	for (int h = 0; h < rt->nhosts; h++) {
		const struct route_host *ho = &rt->hosts[h];
		int v6[DNS_ADDR_MAX], v4[DNS_ADDR_MAX], n6 = 0, n4 = 0;
		for (int i = 0; i < ho->naddrs; i++) {
			if (ho->addrs[i].family == AF_INET6)
				v6[n6++] = i;
			else
				v4[n4++] = i;
		}
		for (int i = 0; i < n6 || i < n4; i++) {
			if (i < n6 && rt->ntargets < ROUTE_ATTEMPTS_MAX)
				rt->targets[rt->ntargets++] = (struct route_target){ h, v6[i] };
			if (i < n4 && rt->ntargets < ROUTE_ATTEMPTS_MAX)
				rt->targets[rt->ntargets++] = (struct route_target){ h, v4[i] };
		}
	}
}

enum route_action route_first(struct route *rt)
{
	if (rt->ntargets == 0)
		return ROUTE_DONE;
	rt->cur = 0;
	rt->plain = false;
	rt->nattempts = 1;
	return ROUTE_CONNECT;
}

bool route_moves_on(const struct route_outcome *o)
{
	if (o->failure == FAIL_NONE || o->failure == FAIL_SMTPUTF8)
		return false;
	if (o->code == 421)
		return true;
	switch (o->failure) {
	case FAIL_REFUSED:
	case FAIL_UNREACHABLE:
	case FAIL_CLOSED:
	case FAIL_TIMEOUT:
	case FAIL_PROTOCOL:
	case FAIL_TLS:          /* an MTA tries the next MX when TLS fails */
		return true;
	case FAIL_TEMPFAIL:
		return o->step == STEP_BANNER;
	default:
		return false;
	}
}

/* Opportunistic TLS as Postfix and Exim do it: a failed STARTTLS handshake is retried in clear text. */
static bool falls_back_to_plain(const struct route *rt, const struct route_outcome *o)
{
	return rt->tls_mode == TLS_AUTO && !rt->plain && o->failure == FAIL_TLS && o->step == STEP_TLS;
}

enum route_action route_next(struct route *rt, const struct route_outcome *o, int attempt)
{
	if (rt->nattempts >= ROUTE_ATTEMPTS_MAX || o->failure == FAIL_INTERNAL)
		return ROUTE_DONE;
	if (falls_back_to_plain(rt, o)) {
		rt->plain = true;
		rt->nattempts++;
		return ROUTE_CONNECT;
	}
	int host = rt->targets[rt->cur].host;
	bool on = route_moves_on(o);
	if (rt->all_mx) {
		/* Every host gets its own verdict: skip the rest of a host once it answered. */
		if (!on || rt->cur + 1 >= rt->ntargets || rt->targets[rt->cur + 1].host != host) {
			rt->host_final[host] = attempt;
			while (rt->cur + 1 < rt->ntargets && rt->targets[rt->cur + 1].host == host)
				rt->cur++;
		}
		on = true;
	}
	if (!on || rt->cur + 1 >= rt->ntargets)
		return ROUTE_DONE;
	rt->cur++;
	rt->plain = false;
	rt->nattempts++;
	return ROUTE_CONNECT;
}

const struct route_host *route_host_now(const struct route *rt)
{
	return &rt->hosts[rt->targets[rt->cur].host];
}

const struct dns_addr *route_addr_now(const struct route *rt)
{
	const struct route_target *t = &rt->targets[rt->cur];
	return &rt->hosts[t->host].addrs[t->addr];
}
