/* probe_dns.c - where to connect: MX order, null and implicit MX, addresses (see probe_internal.h). */
#include "probe_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "i18n.h"

struct mx_sort {
	struct dns_mx mx;
	uint32_t key;
};

static enum failure dns_failure(enum dns_status st)
{
	static const enum failure map[] = {
		[DNS_OK] = FAIL_NONE,
		[DNS_NODATA] = FAIL_NO_ADDRESS,
		[DNS_NXDOMAIN] = FAIL_NXDOMAIN,
		[DNS_SERVFAIL] = FAIL_SERVFAIL,
		[DNS_TIMEOUT] = FAIL_DNS_TIMEOUT,
		[DNS_ERROR] = FAIL_DNS_ERROR,
	};
	return (unsigned)st < sizeof map / sizeof map[0] ? map[st] : FAIL_DNS_ERROR;
}

/* IPv6 and IPv4 alternate, as Happy Eyeballs orders them, without racing. */
static void build_targets(struct probe *p)
{
	p->ntargets = 0;
	for (int h = 0; h < p->nhosts; h++) {
		struct host *ho = &p->hosts[h];
		const struct dns_addr *v6[DNS_ADDR_MAX], *v4[DNS_ADDR_MAX];
		int n6 = 0, n4 = 0;
		for (int i = 0; i < ho->naddrs; i++) {
			if (ho->addrs[i].family == AF_INET6)
				v6[n6++] = &ho->addrs[i];
			else
				v4[n4++] = &ho->addrs[i];
		}
		for (int i = 0; i < n6 || i < n4; i++) {
			if (i < n6 && p->ntargets < PROBE_TARGETS_MAX)
				p->targets[p->ntargets++] = (struct target){ h, v6[i] };
			if (i < n4 && p->ntargets < PROBE_TARGETS_MAX)
				p->targets[p->ntargets++] = (struct target){ h, v4[i] };
		}
	}
}

static void addresses_known(struct probe *p)
{
	loop_timer_cancel(p->l, &p->dns_timer);
	probe_add_time(p, STEP_DNS, p->t_dns);
	build_targets(p);
	if (p->ntargets > 0) {
		p->cur = 0;
		probe_connect(p);
		return;
	}
	/* Nothing to connect to: a resolver failure is temporary, a plain absence is not. */
	enum dns_status worst = DNS_NODATA;
	const char *why = NULL;
	for (int h = 0; h < p->nhosts; h++) {
		enum dns_status st = p->hosts[h].st;
		if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
			worst = st;
			why = p->hosts[h].why;
		}
	}
	char detail[400];
	if (worst == DNS_NODATA && p->nhosts > 1)
		snprintf(detail, sizeof detail, _("no IP address for %s or any other mail host"), p->hosts[0].name);
	else if (worst == DNS_NODATA)
		snprintf(detail, sizeof detail, _("no IP address for %s"), p->hosts[0].name);
	else
		snprintf(detail, sizeof detail, _("address lookup of %s failed: %s"), p->hosts[0].name,
		         why ? why : _(dns_status_text(worst)));
	probe_fail(p, STEP_DNS, worst == DNS_NODATA ? FAIL_NO_ADDRESS : dns_failure(worst), detail);
}

static void on_addr(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why)
{
	struct host *h = ctx;
	struct probe *p = h->p;
	h->st = st;
	h->why = why;
	for (int i = 0; i < n && h->naddrs < DNS_ADDR_MAX; i++)
		h->addrs[h->naddrs++] = a[i];
	if (--p->pending == 0 && !p->done)
		addresses_known(p);
}

void probe_resolve_hosts(struct probe *p, bool absolute)
{
	if (p->o->proxy && p->o->proxy->remote_dns) {
		/* socks5h: the proxy resolves each host; one target per host, by name. */
		for (int i = 0; i < p->nhosts; i++) {
			memset(&p->hosts[i].addrs[0], 0, sizeof p->hosts[i].addrs[0]);
			p->hosts[i].naddrs = 1;
			p->hosts[i].st = DNS_OK;
		}
		addresses_known(p);
		return;
	}
	p->pending = p->nhosts;
	for (int i = 0; i < p->nhosts; i++) {
		struct host *h = &p->hosts[i];
		h->p = p;
		char name[260];
		size_t len = strlen(h->name);
		/* A trailing dot keeps c-ares from trying search domains on MX names. */
		snprintf(name, sizeof name, "%s%s", h->name, absolute && len && h->name[len - 1] != '.' ? "." : "");
		dns_query_addr(p->d, name, p->o->family, on_addr, h);
		if (p->done)
			return;
	}
}

static int mx_cmp(const void *a, const void *b)
{
	const struct mx_sort *x = a, *y = b;
	if (x->mx.preference != y->mx.preference)
		return x->mx.preference < y->mx.preference ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

void probe_on_mx(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why)
{
	struct probe *p = ctx;
	struct probe_result *r = p->r;
	const char *domain = r->addr.domain;
	char detail[400];

	if (st == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
		snprintf(r->mx[0].host, sizeof r->mx[0].host, "%s", domain);
		r->mx[0].implicit = true;
		r->nmx = 1;
		snprintf(p->hosts[0].name, sizeof p->hosts[0].name, "%s", domain);
		p->nhosts = 1;
		probe_resolve_hosts(p, true);
		return;
	}
	if (st != DNS_OK) {
		if (st == DNS_NXDOMAIN)
			snprintf(detail, sizeof detail, _("%s does not exist (NXDOMAIN)"), domain);
		else
			snprintf(detail, sizeof detail, _("MX lookup for %s failed: %s"), domain, why ? why : _(dns_status_text(st)));
		probe_fail(p, STEP_DNS, dns_failure(st), detail);
		return;
	}

	struct mx_sort sorted[DNS_MX_MAX];
	uint32_t keys[DNS_MX_MAX] = { 0 };
	if (getrandom(keys, sizeof keys, GRND_NONBLOCK) < 0) {
		for (int i = 0; i < DNS_MX_MAX; i++)
			keys[i] = (uint32_t)rand();
	}
	int nreal = 0, nnull = 0;
	for (int i = 0; i < n; i++) {
		if (mx[i].host[0] == '\0') {
			nnull++;
			continue;
		}
		sorted[nreal].mx = mx[i];
		sorted[nreal].key = keys[i];
		nreal++;
	}
	if (nnull > 0 && nreal == 0) {
		r->null_mx = true;
		snprintf(detail, sizeof detail, _("%s publishes a null MX (RFC 7505): it accepts no mail"), domain);
		probe_fail(p, STEP_DNS, FAIL_NULL_MX, detail);
		return;
	}
	if (nnull > 0)
		probe_note(r, _("a null MX is published beside other MX records (RFC 7505 says it must stand alone); it was ignored"));
	/* RFC 5321 5.1: lowest preference first, random order among equals. */
	qsort(sorted, (size_t)nreal, sizeof sorted[0], mx_cmp);
	for (int i = 0; i < nreal; i++) {
		snprintf(r->mx[i].host, sizeof r->mx[i].host, "%s", sorted[i].mx.host);
		r->mx[i].preference = sorted[i].mx.preference;
		snprintf(p->hosts[i].name, sizeof p->hosts[i].name, "%s", sorted[i].mx.host);
		p->hosts[i].preference = sorted[i].mx.preference;
	}
	r->nmx = nreal;
	p->nhosts = nreal;
	probe_resolve_hosts(p, true);
}

void probe_on_dns_timeout(void *ctx)
{
	struct probe *p = ctx;
	char detail[192];
	snprintf(detail, sizeof detail, _("no answer from the resolver within %d s"), p->o->timeout_ms[STEP_DNS] / 1000);
	probe_fail(p, STEP_DNS, FAIL_DNS_TIMEOUT, detail);
}
