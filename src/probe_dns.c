/* probe_dns.c - where to connect: MX order, null and implicit MX, addresses (see probe_internal.h). */
#include "probe_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "facts.h"
#include "i18n.h"
#include "mem.h"

#include <arpa/inet.h>
#include <sys/socket.h>

/* An IP address needs no lookup, and the transcript need not show one. */
static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

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

/*
 * What the run keeps of a domain's DNS answers (facts_route): a definitive
 * outcome only, packed - the header, the failure's words (only for a
 * failure), the MX records there are, then each host with only the
 * addresses it has. The cache holds thousands of domains; the structures a
 * probe works on have room for 16 MX hosts of 16 addresses each (a
 * route_host is 3 KB), most domains have one or two.
 */
struct cached_route {
	enum failure failure;        /* FAIL_NONE: the hosts follow; else why nothing can be tried */
	bool null_mx;
	int nmx;
	int nhosts;
};

struct cached_host {
	int preference;
	int naddrs;
	enum dns_status st;
	char name[];                 /* then, aligned, its naddrs addresses */
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static size_t cached_host_size(const struct route_host *h)
{
	return align8(sizeof(struct cached_host) + strlen(h->name) + 1) + (size_t)h->naddrs * sizeof h->addrs[0];
}

/* Remember the domain's answers for the run's later probes of it. */
static void remember(struct probe *p, enum failure f, const struct msg *detail)
{
	if (p->o->server_host || p->addr.domain_is_literal || !p->o->facts)
		return;
	const struct route *rt = &p->route;
	int nhosts = f == FAIL_NONE ? rt->nhosts : 0;
	int nmx = p->common.nmx;
	size_t len = align8(sizeof(struct cached_route));
	if (f != FAIL_NONE)
		len += align8(sizeof(struct msg));
	len += (size_t)nmx * sizeof(struct probe_mx);
	for (int i = 0; i < nhosts; i++)
		len += cached_host_size(&rt->hosts[i]);
	char *buf = xcalloc(1, len), *at = buf;
	struct cached_route *c = (struct cached_route *)at;
	c->failure = f;
	c->null_mx = p->common.null_mx;
	c->nmx = nmx;
	c->nhosts = nhosts;
	at += align8(sizeof *c);
	if (f != FAIL_NONE) {
		if (detail)
			memcpy(at, detail, sizeof *detail);
		at += align8(sizeof(struct msg));
	}
	memcpy(at, p->common.mx, (size_t)nmx * sizeof(struct probe_mx));
	at += (size_t)nmx * sizeof(struct probe_mx);
	for (int i = 0; i < nhosts; i++) {
		const struct route_host *h = &rt->hosts[i];
		struct cached_host *ch = (struct cached_host *)at;
		ch->preference = h->preference;
		ch->naddrs = h->naddrs;
		ch->st = h->st;
		memcpy(ch->name, h->name, strlen(h->name) + 1);
		memcpy(at + align8(sizeof *ch + strlen(h->name) + 1), h->addrs, (size_t)h->naddrs * sizeof h->addrs[0]);
		at += cached_host_size(h);
	}
	facts_set_route(p->o->facts, p->addr.domain, buf, len);
	free(buf);
}

bool probe_dns_cached(struct probe *p)
{
	size_t len;
	const char *at = facts_route(p->o->facts, p->addr.domain, &len);
	if (!at)
		return false;
	const struct cached_route *c = (const struct cached_route *)at;
	at += align8(sizeof *c);
	struct msg m;
	msg_set(&m, N_("DNS answers for %s known from earlier in this run"), "s", p->addr.domain);
	probe_event(p, &m);
	loop_timer_cancel(p->l, &p->dns_timer);
	const struct msg *detail = NULL;
	if (c->failure != FAIL_NONE) {
		detail = (const struct msg *)at;
		at += align8(sizeof(struct msg));
	}
	p->common.null_mx = c->null_mx;
	p->common.nmx = c->nmx;
	memset(p->common.mx, 0, sizeof p->common.mx);
	memcpy(p->common.mx, at, (size_t)c->nmx * sizeof(struct probe_mx));
	at += (size_t)c->nmx * sizeof(struct probe_mx);
	probe_add_time(p, STEP_DNS, 0);
	if (c->failure != FAIL_NONE) {
		probe_fail(p, STEP_DNS, c->failure, detail);
		return true;
	}
	p->route.nhosts = c->nhosts;
	for (int i = 0; i < c->nhosts; i++) {
		const struct cached_host *ch = (const struct cached_host *)at;
		struct route_host *h = &p->route.hosts[i];
		memset(h, 0, sizeof *h);
		h->preference = ch->preference;
		h->naddrs = ch->naddrs;
		h->st = ch->st;
		snprintf(h->name, sizeof h->name, "%s", ch->name);
		memcpy(h->addrs, at + align8(sizeof *ch + strlen(ch->name) + 1), (size_t)ch->naddrs * sizeof h->addrs[0]);
		at += cached_host_size(h);
	}
	route_build(&p->route, p->o->all_mx, p->o->tls.mode);
	probe_hosts_known(p);
	return true;
}

/* A DNS outcome that ends the probe: kept for the run when it is definitive, then the probe fails. */
static void dns_fail(struct probe *p, enum failure f, const struct msg *detail)
{
	if (f == FAIL_NXDOMAIN || f == FAIL_NULL_MX || f == FAIL_NO_ADDRESS)
		remember(p, f, detail);
	if (p->common.timings_ms[STEP_DNS] < 0)
		probe_add_time(p, STEP_DNS, loop_now_ms() - p->t_dns);
	probe_fail(p, STEP_DNS, f, detail);
}

/* Every host has its addresses, or a failure: connect, or say why there is nothing to connect to. */
static void addresses_known(struct probe *p)
{
	loop_timer_cancel(p->l, &p->dns_timer);
	probe_add_time(p, STEP_DNS, loop_now_ms() - p->t_dns);
	struct route *rt = &p->route;
	route_build(rt, p->o->all_mx, p->o->tls.mode);
	if (rt->ntargets > 0) {
		/* Only when every host answered: a host whose lookup failed for now is asked again. */
		bool all = true;
		for (int h = 0; h < rt->nhosts; h++)
			all &= rt->hosts[h].st == DNS_OK || rt->hosts[h].st == DNS_NODATA;
		if (all)
			remember(p, FAIL_NONE, NULL);
		probe_hosts_known(p);
		return;
	}
	/* Nothing to connect to: a resolver failure is temporary, a plain absence is not. */
	enum dns_status worst = DNS_NODATA;
	const char *why = NULL;
	for (int h = 0; h < rt->nhosts; h++) {
		enum dns_status st = rt->hosts[h].st;
		if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
			worst = st;
			why = rt->hosts[h].why;
		}
	}
	struct msg detail;
	const char *first = rt->hosts[0].name;
	if (worst == DNS_NODATA && p->o->family != AF_UNSPEC)
		msg_set(&detail, p->o->family == AF_INET6 ? N_("no IPv6 address for %s (-6 asks for IPv6 only)")
		                                          : N_("no IPv4 address for %s (-4 asks for IPv4 only)"), "s", first);
	else if (worst == DNS_NODATA && rt->nhosts > 1)
		msg_set(&detail, N_("no IP address for %s or any other mail host"), "s", first);
	else if (worst == DNS_NODATA)
		msg_set(&detail, N_("no IP address for %s"), "s", first);
	else if (why)
		msg_set(&detail, N_("address lookup of %s failed: %s"), "ss", first, why);
	else
		msg_set(&detail, N_("address lookup of %s failed: %s"), "st", first, dns_status_text(worst));
	dns_fail(p, worst == DNS_NODATA ? FAIL_NO_ADDRESS : dns_failure(worst), &detail);
}

static void on_addr(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why)
{
	struct host_lookup *hl = ctx;
	struct probe *p = hl->p;
	struct route_host *h = &p->route.hosts[hl->host];
	if (!is_ip(h->name)) {
		struct strbuf ips = STRBUF_INIT;
		for (int i = 0; i < n; i++)
			strbuf_printf(&ips, "%s%s", i ? ", " : "", a[i].ip);
		struct msg m;
		if (n > 0)
			msg_set(&m, N_("%s has %s"), "ss", h->name, strbuf_str(&ips));
		else
			msg_set(&m, N_("%s has no address: %s"), "st", h->name, dns_status_text(st));
		probe_event(p, &m);
		strbuf_free(&ips);
	}
	h->st = st;
	h->why = why;
	for (int i = 0; i < n && h->naddrs < DNS_ADDR_MAX; i++)
		h->addrs[h->naddrs++] = a[i];
	if (--p->pending == 0 && !p->done)
		addresses_known(p);
}

void probe_resolve_hosts(struct probe *p, bool absolute)
{
	struct route *rt = &p->route;
	if (p->o->proxy && p->o->proxy->remote_dns) {
		/* socks5h: the proxy resolves each host; one target per host, by name. */
		for (int i = 0; i < rt->nhosts; i++) {
			memset(&rt->hosts[i].addrs[0], 0, sizeof rt->hosts[i].addrs[0]);
			rt->hosts[i].naddrs = 1;
			rt->hosts[i].st = DNS_OK;
		}
		addresses_known(p);
		return;
	}
	p->pending = rt->nhosts;
	for (int i = 0; i < rt->nhosts; i++) {
		struct route_host *h = &rt->hosts[i];
		p->lookups[i] = (struct host_lookup){ p, i };
		char name[260];
		size_t len = strlen(h->name);
		/* A trailing dot keeps c-ares from trying search domains on MX names. */
		snprintf(name, sizeof name, "%s%s", h->name, absolute && len && h->name[len - 1] != '.' ? "." : "");
		if (!is_ip(h->name)) {
			struct msg m;
			msg_set(&m, N_("looking up the addresses of %s"), "s", h->name);
			probe_event(p, &m);
		}
		dns_query_addr(p->d, name, p->o->family, on_addr, &p->lookups[i]);
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
	struct probe_result *r = &p->common;
	const char *domain = p->addr.domain;
	struct route *rt = &p->route;
	struct msg detail;

	struct msg m;
	if (st != DNS_OK) {
		msg_set(&m, N_("MX of %s: %s"), "st", domain, dns_status_text(st));
		probe_event(p, &m);
	}
	if (st == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
		snprintf(r->mx[0].host, sizeof r->mx[0].host, "%s", domain);
		r->mx[0].implicit = true;
		r->nmx = 1;
		snprintf(rt->hosts[0].name, sizeof rt->hosts[0].name, "%s", domain);
		rt->nhosts = 1;
		probe_resolve_hosts(p, true);
		return;
	}
	if (st != DNS_OK) {
		if (st == DNS_NXDOMAIN)
			msg_set(&detail, N_("%s does not exist (NXDOMAIN)"), "s", domain);
		else if (why)
			msg_set(&detail, N_("MX lookup for %s failed: %s"), "ss", domain, why);
		else
			msg_set(&detail, N_("MX lookup for %s failed: %s"), "st", domain, dns_status_text(st));
		dns_fail(p, dns_failure(st), &detail);
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
		msg_set(&detail, N_("%s publishes a null MX (RFC 7505): it accepts no mail"), "s", domain);
		dns_fail(p, FAIL_NULL_MX, &detail);
		return;
	}
	if (nnull > 0) {
		msg_set(&m, N_("a null MX is published beside other MX records (RFC 7505 says it must stand alone); it was ignored"), "");
		probe_note(r, &m);
	}
	/* RFC 5321 5.1: lowest preference first, random order among equals. */
	qsort(sorted, (size_t)nreal, sizeof sorted[0], mx_cmp);
	for (int i = 0; i < nreal; i++) {
		snprintf(r->mx[i].host, sizeof r->mx[i].host, "%s", sorted[i].mx.host);
		r->mx[i].preference = sorted[i].mx.preference;
		snprintf(rt->hosts[i].name, sizeof rt->hosts[i].name, "%s", sorted[i].mx.host);
		rt->hosts[i].preference = sorted[i].mx.preference;
	}
	r->nmx = nreal;
	rt->nhosts = nreal;
	struct strbuf list = STRBUF_INIT;
	for (int i = 0; i < nreal; i++)
		strbuf_printf(&list, "%s%d %s", i ? ", " : "", r->mx[i].preference, r->mx[i].host);
	msg_set(&m, N_("MX of %s: %s"), "ss", domain, nnull && !nreal ? "0 ." : strbuf_str(&list));
	probe_event(p, &m);
	strbuf_free(&list);
	probe_resolve_hosts(p, true);
}

void probe_on_dns_timeout(void *ctx)
{
	struct probe *p = ctx;
	struct msg detail;
	msg_set(&detail, N_("no answer from the resolver within %d s"), "d", p->o->timeout_ms[STEP_DNS] / 1000);
	probe_fail(p, STEP_DNS, FAIL_DNS_TIMEOUT, &detail);
}
