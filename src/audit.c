/*
 * audit.c - the audit's run (see audit.h): every domain at once in the
 * shared loop; its lookups (audit_dns.c), then two probes per address of
 * every MX, one after the other so that a server sees one session of
 * ours at a time; the domain-wide checks once everything has answered.
 */
#include "audit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "https.h"
#include "mem.h"

void audit_begin(struct audit_engine *e)
{
	e->pending++;
}

void audit_end(struct audit_engine *e)
{
	if (--e->pending == 0)
		e->stop = true;
}

/* The first line the server sent on the first connection is its greeting. */
static void capture_greeting(void *ctx, const char *who, const char *prefix, const char *line, size_t len,
                             const struct msg *m)
{
	struct audit_addr *a = ctx;
	const struct probe_options *o = a->mx->dom->e->o->probe;
	if (o->trace)
		o->trace(o->trace_ctx, who, prefix, line, len, m);
	if (a->have_greeting || m || strcmp(prefix, "S: ") != 0)
		return;
	a->have_greeting = true;
	size_t n = len < sizeof a->greeting - 1 ? len : sizeof a->greeting - 1;
	memcpy(a->greeting, line, n);
	a->greeting[n] = '\0';
}

/* The chain of the first handshake, kept for the DANE check (audit_dane.c). */
static void keep_chain(void *ctx, SSL *ssl)
{
	struct audit_addr *a = ctx;
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	if (!a->chain && chain)
		a->chain = X509_chain_up_ref(chain);
}

static void on_probe_done(void *ctx, int i)
{
	(void)i;
	struct audit_addr *a = ctx;
	/* probe_free is not allowed inside done(): the next phase starts from a timer. */
	loop_timer_arm(a->mx->dom->e->l, &a->next, 0);
}

static void start_probe(struct audit_addr *a, const char *rcpt, struct probe_result *res)
{
	struct audit_engine *e = a->mx->dom->e;
	const char *inputs[1] = { rcpt };
	size_t lens[1] = { strlen(rcpt) };
	struct probe_result *results[1] = { res };
	a->probe = probe_start_many(e->l, e->d, &a->po, inputs, lens, 1, results, on_probe_done, a);
}

/* The postmaster probe reached MAIL FROM: the relay test can use the same way in. */
static bool session_reached_mail(const struct probe_result *r)
{
	for (int i = 0; i < r->nattempts; i++)
		if (r->attempts[i].step >= STEP_MAIL || r->attempts[i].failure == FAIL_NONE)
			return true;
	return false;
}

static void next_phase(void *ctx)
{
	struct audit_addr *a = ctx;
	struct audit_engine *e = a->mx->dom->e;
	probe_free(a->probe);
	a->probe = NULL;
	if (a->phase == 0 && session_reached_mail(&a->pm)) {
		a->phase = 1;
		char from[80], rcpt[80];
		audit_relay_addresses(a->mx->dom->name, from, sizeof from, rcpt, sizeof rcpt);
		snprintf(a->relay_from, sizeof a->relay_from, "%s", from);
		snprintf(a->relay_rcpt, sizeof a->relay_rcpt, "%s", rcpt);
		a->po.mail_from = a->relay_from;
		a->po.from_needs_smtputf8 = false;
		a->relay_ran = true;
		start_probe(a, a->relay_rcpt, &a->relay);
		return;
	}
	a->phase = 2;
	struct audit_addr_evidence ev = {
		.pm = &a->pm,
		.relay = a->relay_ran ? &a->relay : NULL,
		.greeting = a->greeting,
		.relay_from = a->relay_from,
		.relay_rcpt = a->relay_rcpt,
		.cert_min_days = e->o->cert_min_days,
		.tls_off = e->o->probe->tls.mode == TLS_NONE,
	};
	audit_smtp_checks(e->report, a->mx->dom->idx, a->target, a->order, &ev);
	audit_end(e);
}

/*
 * The engine's options pointed at one address: --server semantics with
 * the MX name for SNI and the certificate check, no catch-all question
 * (the audit asks about postmaster@ only), TLS whenever offered and never
 * required, so that every check gets its evidence.
 */
static void address_options(struct audit_addr *a)
{
	const struct probe_options *o = a->mx->dom->e->o->probe;
	a->po = *o;
	a->po.server_host = a->server;
	a->po.server_port = o->port;
	a->po.tls_name = a->mx->host;
	a->po.all_mx = false;
	a->po.catch_all = false;
	a->po.require_mailbox = false;
	a->po.facts = NULL;
	a->po.retry_greylist_s = 0;
	a->po.auth_user = NULL;
	a->po.auth_secret = NULL;
	a->po.keep_transcript = false;
	a->po.tls.verify = false;
	if (a->po.tls.mode != TLS_NONE)
		a->po.tls.mode = TLS_AUTO;
	a->po.trace = capture_greeting;
	a->po.trace_ctx = a;
	a->po.tls_peer = keep_chain;
	a->po.tls_peer_ctx = a;
}

void audit_probe_addresses(struct audit_mx *mx)
{
	struct audit_engine *e = mx->dom->e;
	for (int i = 0; i < mx->naddrs; i++) {
		struct audit_addr *a = &mx->addrs[i];
		a->mx = mx;
		a->order = mx->order + (unsigned)i + 1;
		snprintf(a->target, sizeof a->target, "%s [%s]", mx->host, a->addr.ip);
		snprintf(a->server, sizeof a->server, a->addr.family == AF_INET6 ? "[%s]" : "%s", a->addr.ip);
		snprintf(a->rcpt, sizeof a->rcpt, "postmaster@%s", mx->dom->name);
		loop_timer_init(&a->next, next_phase, a);
		address_options(a);
		audit_dns_fcrdns(a);
		audit_begin(e);
		start_probe(a, a->rcpt, &a->pm);
	}
}

/* IPv6 parity: every MX host has an AAAA as well. */
static void ipv6_check(struct audit_domain *dom, const struct audit_options *o)
{
	struct audit_report *r = dom->e->report;
	if (o->probe->family != AF_UNSPEC) {
		audit_add(r, AC_DNS_IPV6, dom->idx, dom->name, 0, AUDIT_SKIP, "not checked: -4 or -6 given");
		return;
	}
	int resolved = 0, v6 = 0;
	struct strbuf without = STRBUF_INIT;
	for (int i = 0; i < dom->nmx; i++) {
		if (!dom->mx[i].resolved)
			continue;
		resolved++;
		if (dom->mx[i].have_v6)
			v6++;
		else
			strbuf_printf(&without, "%s%s", without.len ? ", " : "", dom->mx[i].host);
	}
	if (resolved == 0)
		audit_add(r, AC_DNS_IPV6, dom->idx, dom->name, 0, AUDIT_SKIP, "no MX host has an address");
	else if (v6 == resolved)
		audit_add(r, AC_DNS_IPV6, dom->idx, dom->name, 0, AUDIT_PASS, "every MX host has IPv6 (%d of %d)", v6,
		          resolved);
	else if (v6 == 0)
		audit_add(r, AC_DNS_IPV6, dom->idx, dom->name, 0, AUDIT_WARN, "no MX host has an IPv6 address: "
		          "IPv6-only senders cannot reach %s", dom->name);
	else
		audit_add(r, AC_DNS_IPV6, dom->idx, dom->name, 0, AUDIT_WARN, "%d of %d MX hosts have IPv6; not: %s", v6,
		          resolved, strbuf_str(&without));
	strbuf_free(&without);
}

/* postmaster@: the same answer (accepted, refused, deferred) from every address that answered it. */
static void postmaster_same_check(struct audit_domain *dom)
{
	struct audit_report *r = dom->e->report;
	int answered = 0;
	enum verdict first = VERDICT_ERROR;
	bool differ = false;
	struct strbuf list = STRBUF_INIT;
	for (int i = 0; i < dom->nmx; i++)
		for (int k = 0; k < dom->mx[i].naddrs; k++) {
			const struct audit_addr *a = &dom->mx[i].addrs[k];
			const struct reply *rp = probe_reply(&a->pm);
			if (!session_reached_mail(&a->pm) || !rp)
				continue;
			if (answered++ == 0)
				first = a->pm.verdict;
			else if (a->pm.verdict != first)
				differ = true;
			strbuf_printf(&list, "%s%s: %d", list.len ? "; " : "", a->target, rp->code);
		}
	if (answered == 0)
		audit_add(r, AC_SMTP_POSTMASTER_SAME, dom->idx, dom->name, 0, AUDIT_SKIP, "no address answered");
	else if (differ)
		audit_add(r, AC_SMTP_POSTMASTER_SAME, dom->idx, dom->name, 0, AUDIT_FAIL,
		          "the MX hosts disagree about postmaster@%s: %s", dom->name, strbuf_str(&list));
	else
		audit_add(r, AC_SMTP_POSTMASTER_SAME, dom->idx, dom->name, 0, AUDIT_PASS, "%d address%s: %s", answered,
		          answered == 1 ? "" : "es", strbuf_str(&list));
	strbuf_free(&list);
}

/*
 * Everything a domain holds. After a failed loop lookups may still be
 * pending: they are forgotten, so that no answer reaches freed memory.
 */
static void free_domain(struct audit_domain *dom)
{
	struct dns *d = dom->e->d;
	dns_forget(d, dom);
	https_fetch_cancel(dom->sts_fetch);
	dom->sts_fetch = NULL;
	for (int i = 0; i < dom->nmx; i++) {
		struct audit_mx *mx = &dom->mx[i];
		dns_forget(d, mx);
		for (int k = 0; k < mx->naddrs; k++) {
			struct audit_addr *a = &mx->addrs[k];
			dns_forget(d, a);
			if (a->mx) {
				loop_timer_cancel(dom->e->l, &a->next);
				probe_free(a->probe);
				probe_result_free(&a->pm);
				probe_result_free(&a->relay);
				sk_X509_pop_free(a->chain, X509_free);
			}
		}
		free(mx->addrs);
		free(mx->tlsa);
	}
	free(dom->mx);
}

int audit_run(struct loop *l, struct dns *d, const struct audit_options *o, char *const *domains, int n,
              struct audit_report *out)
{
	memset(out, 0, sizeof *out);
	struct audit_engine e = { .l = l, .d = d, .o = o, .report = out };
	int64_t t0 = loop_now_ms();
	out->domains = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out->domains);
	out->ndomains = n;
	e.domains = xcalloc((size_t)(n > 0 ? n : 1), sizeof *e.domains);
	e.ndomains = n;
	audit_begin(&e);  /* held until every domain is started */
	for (int i = 0; i < n; i++) {
		out->domains[i] = xstrdup(domains[i]);
		e.domains[i] = (struct audit_domain){ .e = &e, .idx = i, .name = out->domains[i] };
		audit_dns_start(&e.domains[i]);
	}
	audit_end(&e);
	int rc = e.stop ? 0 : loop_run(l, &e.stop);
	for (int i = 0; i < n; i++) {
		struct audit_domain *dom = &e.domains[i];
		if (dom->nmx > 0) {
			ipv6_check(dom, o);
			postmaster_same_check(dom);
			audit_sts_finish(dom);
			for (int k = 0; k < dom->nmx; k++)
				audit_dane_finish(&dom->mx[k]);
		}
		free_domain(dom);
	}
	free(e.domains);
	audit_sort(out);
	out->elapsed_ms = loop_now_ms() - t0;
	return rc < 0 ? -1 : 0;
}
