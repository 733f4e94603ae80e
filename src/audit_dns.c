/*
 * audit_dns.c - the audit's lookups: the domain's MX (null MX, implicit
 * MX), each MX host's addresses and whether its name is an alias, and
 * the reverse name of each address, confirmed forward. Each answer
 * becomes its checks at once; the addresses go to audit.c for probing.
 */
#include "audit_internal.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"
#include "dane.h"
#include "mem.h"

#define ADD_DOM(dom, id, st, ...) audit_add((dom)->e->report, (id), (dom)->idx, (dom)->name, 0, (st), __VA_ARGS__)
#define ADD_MX(mx, id, st, ...) audit_add((mx)->dom->e->report, (id), (mx)->dom->idx, (mx)->host, (mx)->order, (st), __VA_ARGS__)

/* c-ares' words when it has some, ours otherwise. */
static const char *why_or(enum dns_status st, const char *why)
{
	return why ? why : dns_status_text(st);
}

static bool is_ip_literal(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void on_addrs(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why)
{
	struct audit_mx *mx = ctx;
	struct audit_engine *e = mx->dom->e;
	if (st == DNS_OK && n > 0) {
		struct strbuf list = STRBUF_INIT;
		mx->addrs = xcalloc((size_t)n, sizeof *mx->addrs);
		for (int i = 0; i < n; i++) {
			strbuf_printf(&list, "%s%s", i ? ", " : "", a[i].ip);
			mx->addrs[i].addr = a[i];
			mx->have_v4 |= a[i].family == AF_INET;
			mx->have_v6 |= a[i].family == AF_INET6;
		}
		mx->naddrs = n;
		mx->resolved = true;
		ADD_MX(mx, AC_DNS_MX_RESOLVES, AUDIT_PASS, "%s", strbuf_str(&list));
		strbuf_free(&list);
		audit_probe_addresses(mx);
	} else {
		ADD_MX(mx, AC_DNS_MX_RESOLVES, AUDIT_FAIL, "no address for %s: %s", mx->host,
		       st == DNS_OK ? "none" : why_or(st, why));
	}
	audit_end(e);
}

static void on_cname(void *ctx, enum dns_status st, const unsigned char *abuf, int alen, const char *why)
{
	struct audit_mx *mx = ctx;
	char names[DNS_ANSWER_NAMES_MAX][256];
	int n = st == DNS_OK ? dns_answer_names(abuf, alen, ns_t_cname, names, DNS_ANSWER_NAMES_MAX) : 0;
	if (n > 0)
		ADD_MX(mx, AC_DNS_MX_NOT_CNAME, AUDIT_FAIL, "%s is an alias (CNAME) for %s: an MX must name the host itself",
		       mx->host, names[0]);
	else if (n < 0)
		ADD_MX(mx, AC_DNS_MX_NOT_CNAME, AUDIT_SKIP, "the CNAME answer does not parse");
	else if (st == DNS_OK || st == DNS_NODATA)
		ADD_MX(mx, AC_DNS_MX_NOT_CNAME, AUDIT_PASS, "no CNAME at %s", mx->host);
	else if (st == DNS_NXDOMAIN)
		ADD_MX(mx, AC_DNS_MX_NOT_CNAME, AUDIT_SKIP, "%s does not exist", mx->host);
	else
		ADD_MX(mx, AC_DNS_MX_NOT_CNAME, AUDIT_SKIP, "the CNAME lookup failed: %s", why_or(st, why));
	audit_end(mx->dom->e);
}

static void start_mx(struct audit_mx *mx)
{
	struct audit_engine *e = mx->dom->e;
	if (is_ip_literal(mx->host)) {
		ADD_MX(mx, AC_DNS_MX_NOT_IP, AUDIT_FAIL, "the MX is the address %s: MX records name hosts, "
		       "and senders look %s up as a name", mx->host, mx->host);
		ADD_MX(mx, AC_DNS_MX_RESOLVES, AUDIT_SKIP, "an IP address, not a name");
		ADD_MX(mx, AC_DNS_MX_NOT_CNAME, AUDIT_SKIP, "an IP address, not a name");
		return;
	}
	ADD_MX(mx, AC_DNS_MX_NOT_IP, AUDIT_PASS, "a host name");
	audit_dane_start(mx);
	audit_begin(e);
	dns_query_raw(e->d, mx->host, ns_t_cname, on_cname, mx);
	audit_begin(e);
	dns_query_addr(e->d, mx->host, e->o->probe->family, on_addrs, mx);
}

static int cmp_mx(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;
	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcmp(x->host, y->host);
}

static void domain_fails(struct audit_domain *dom, enum audit_status st, const char *why)
{
	ADD_DOM(dom, AC_DNS_MX, st, "%s", why);
	ADD_DOM(dom, AC_DNS_NULL_MX, AUDIT_SKIP, "no MX answer");
}

static void on_mx(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why)
{
	struct audit_domain *dom = ctx;
	struct dns_mx sorted[DNS_MX_MAX];
	int nreal = 0;
	bool null_mx = false;
	for (int i = 0; st == DNS_OK && i < n; i++) {
		if (!mx[i].host[0])
			null_mx = true;
		else
			sorted[nreal++] = mx[i];
	}
	if (st == DNS_NODATA) {
		ADD_DOM(dom, AC_DNS_MX, AUDIT_WARN, "no MX records: senders fall back to the address of %s (implicit MX)",
		        dom->name);
		ADD_DOM(dom, AC_DNS_NULL_MX, AUDIT_PASS, "no null MX");
		dom->implicit = true;
		snprintf(sorted[0].host, sizeof sorted[0].host, "%s", dom->name);
		sorted[0].preference = 0;
		nreal = 1;
	} else if (st == DNS_TIMEOUT || st == DNS_ERROR) {
		/* our resolver, not the domain's DNS (that would be SERVFAIL or NXDOMAIN) */
		char text[300];
		snprintf(text, sizeof text, "the resolver did not answer for %s (%s): nothing is known of the domain",
		         dom->name, why_or(st, why));
		domain_fails(dom, AUDIT_ERROR, text);
	} else if (st != DNS_OK) {
		char text[300];
		snprintf(text, sizeof text, "%s: %s", dom->name, why_or(st, why));
		domain_fails(dom, AUDIT_FAIL, text);
	} else if (null_mx && nreal == 0) {
		ADD_DOM(dom, AC_DNS_MX, AUDIT_SKIP, "null MX: %s takes no mail, nothing more to check", dom->name);
		ADD_DOM(dom, AC_DNS_NULL_MX, AUDIT_PASS, "\"MX 0 .\" alone: %s takes no mail", dom->name);
	} else {
		qsort(sorted, (size_t)nreal, sizeof sorted[0], cmp_mx);
		struct strbuf list = STRBUF_INIT;
		for (int i = 0; i < nreal; i++)
			strbuf_printf(&list, "%s%d %s", i ? ", " : "", sorted[i].preference, sorted[i].host);
		ADD_DOM(dom, AC_DNS_MX, AUDIT_PASS, "%s", strbuf_str(&list));
		strbuf_free(&list);
		if (null_mx)
			ADD_DOM(dom, AC_DNS_NULL_MX, AUDIT_FAIL, "a null MX published with %d other MX record%s: "
			        "senders cannot tell whether the domain takes mail", nreal, nreal == 1 ? "" : "s");
		else
			ADD_DOM(dom, AC_DNS_NULL_MX, AUDIT_PASS, "no null MX");
	}
	if (nreal > 0) {
		dom->mx = xcalloc((size_t)nreal, sizeof *dom->mx);
		dom->nmx = nreal;
		for (int i = 0; i < nreal; i++) {
			struct audit_mx *m = &dom->mx[i];
			m->dom = dom;
			snprintf(m->host, sizeof m->host, "%s", sorted[i].host);
			m->preference = sorted[i].preference;
			m->order = (unsigned)(i + 1) * 256;
		}
		for (int i = 0; i < nreal; i++)
			start_mx(&dom->mx[i]);
		/* MTA-STS and TLS-RPT only for a domain that takes mail */
		audit_sts_start(dom);
	}
	audit_end(dom->e);
}

void audit_dns_start(struct audit_domain *dom)
{
	audit_begin(dom->e);
	dns_query_mx(dom->e->d, dom->name, on_mx, dom);
}

/* FCrDNS: the address's PTR name, then that name's addresses. */

#define ADD_ADDR(a, id, st, ...) \
	audit_add((a)->mx->dom->e->report, (id), (a)->mx->dom->idx, (a)->target, (a)->order, (st), __VA_ARGS__)

static void on_forward(void *ctx, enum dns_status st, const struct dns_addr *fw, int n, const char *why);

/* The next PTR name forward, or the verdict when none is left. */
static void next_forward(struct audit_addr *a, const char *last_why)
{
	struct audit_engine *e = a->mx->dom->e;
	if (a->iptr < a->nptr) {
		audit_begin(e);
		dns_query_addr(e->d, a->ptr[a->iptr], a->addr.family, on_forward, a);
		return;
	}
	/* none led back: the evidence is the last name's answer */
	ADD_ADDR(a, AC_DNS_FCRDNS, AUDIT_WARN, "%s -> %s%s", a->addr.ip, a->ptr[a->nptr - 1], last_why);
}

static void on_forward(void *ctx, enum dns_status st, const struct dns_addr *fw, int n, const char *why)
{
	struct audit_addr *a = ctx;
	const char *name = a->ptr[a->iptr++];
	bool back = false;
	struct strbuf list = STRBUF_INIT;
	for (int i = 0; st == DNS_OK && i < n; i++) {
		back |= strcmp(fw[i].ip, a->addr.ip) == 0;
		strbuf_printf(&list, "%s%s", i ? ", " : "", fw[i].ip);
	}
	if (back) {
		ADD_ADDR(a, AC_DNS_FCRDNS, AUDIT_PASS, "%s -> %s -> %s", a->addr.ip, name, a->addr.ip);
	} else {
		struct strbuf w = STRBUF_INIT;
		if (st == DNS_OK)
			strbuf_printf(&w, " -> %s: not back to %s", strbuf_str(&list), a->addr.ip);
		else
			strbuf_printf(&w, ", which has no address of its family: %s", why_or(st, why));
		next_forward(a, strbuf_str(&w));
		strbuf_free(&w);
	}
	strbuf_free(&list);
	audit_end(a->mx->dom->e);
}

static void on_ptr(void *ctx, enum dns_status st, const unsigned char *abuf, int alen, const char *why)
{
	struct audit_addr *a = ctx;
	struct audit_engine *e = a->mx->dom->e;
	char names[DNS_ANSWER_NAMES_MAX][256];
	int n = st == DNS_OK ? dns_answer_names(abuf, alen, ns_t_ptr, names, DNS_ANSWER_NAMES_MAX) : 0;
	/*
	 * An address may have several PTR names (127.0.0.1: localhost too);
	 * one that leads back is enough. Single labels ("localhost") are not
	 * looked up: no search list may rewrite them, and they are no host's name.
	 */
	for (int i = 0; i < n && a->nptr < 4; i++)
		if (strchr(names[i], '.'))
			snprintf(a->ptr[a->nptr++], sizeof a->ptr[0], "%s", names[i]);
	if (a->nptr > 0)
		next_forward(a, "");
	else if (n > 0)
		ADD_ADDR(a, AC_DNS_FCRDNS, AUDIT_WARN, "%s -> %s: not a fully qualified name", a->addr.ip, names[0]);
	else if (n < 0)
		ADD_ADDR(a, AC_DNS_FCRDNS, AUDIT_WARN, "the PTR answer for %s does not parse", a->addr.ip);
	else
		ADD_ADDR(a, AC_DNS_FCRDNS, AUDIT_WARN, "no PTR record for %s: %s", a->addr.ip,
		         st == DNS_OK ? "empty answer" : why_or(st, why));
	audit_end(e);
}

void audit_dns_fcrdns(struct audit_addr *a)
{
	struct audit_engine *e = a->mx->dom->e;
	char rev[80];
	if (!dns_reverse_name(&a->addr, rev, sizeof rev)) {
		ADD_ADDR(a, AC_DNS_FCRDNS, AUDIT_SKIP, "no reverse name for %s", a->addr.ip);
		return;
	}
	audit_begin(e);
	dns_query_raw(e->d, rev, ns_t_ptr, on_ptr, a);
}
