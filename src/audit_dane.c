/*
 * audit_dane.c - DANE for SMTP (RFC 7672) in the audit: the TLSA records
 * of each MX host, whether the answer was DNSSEC-validated (the AD bit of
 * the resolver: only as trustworthy as the path to it, so --resolver
 * should name a validating resolver on this machine), and the chain each
 * address presented in its first handshake against them (dane.h, with
 * OpenSSL's DANE verifier). An MX without TLSA records does not use
 * DANE: said, not failed.
 */
#include "audit_internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "dane.h"
#include "mem.h"

/*
 * The TLSA base is _25._tcp whatever --port says: MX delivery is on port
 * 25 (RFC 7672 2.2.3), and --port only moves where this test connects.
 */
#define DANE_PORT 25

#define ADD_MX(mx, id, st, ...) audit_add((mx)->dom->e->report, (id), (mx)->dom->idx, (mx)->host, (mx)->order, (st), __VA_ARGS__)

static void on_tlsa(void *ctx, enum dns_status st, const struct dns_tlsa *t, int n, const struct dns_answer_info *info,
                    const char *why)
{
	struct audit_mx *mx = ctx;
	char name[300];
	dane_tlsa_name(mx->host, DANE_PORT, name, sizeof name);
	if (st == DNS_OK && n > 0) {
		mx->tlsa = xcalloc((size_t)n, sizeof *mx->tlsa);
		memcpy(mx->tlsa, t, (size_t)n * sizeof *t);
		mx->ntlsa = n;
		mx->tlsa_ad = info && info->ad;
		if (mx->tlsa_ad)
			ADD_MX(mx, AC_DANE_TLSA, AUDIT_PASS, "%d TLSA record%s at %s, DNSSEC-validated", n, n == 1 ? "" : "s",
			       name);
		else
			ADD_MX(mx, AC_DANE_TLSA, AUDIT_WARN, "%d TLSA record%s at %s, but the answer is not DNSSEC-validated "
			       "(no AD bit): senders ignore them", n, n == 1 ? "" : "s", name);
	} else if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN) {
		if (info && info->skipped > 0)
			ADD_MX(mx, AC_DANE_TLSA, AUDIT_FAIL, "%d TLSA record%s at %s could not be read", info->skipped,
			       info->skipped == 1 ? "" : "s", name);
		else
			ADD_MX(mx, AC_DANE_TLSA, AUDIT_SKIP, "no TLSA records at %s: the MX does not use DANE", name);
	} else {
		/* RFC 7672 2.2.1: a failed TLSA lookup makes a DANE sender defer the mail. */
		ADD_MX(mx, AC_DANE_TLSA, AUDIT_FAIL, "the TLSA lookup of %s failed: %s (senders using DANE defer mail)", name,
		       why ? why : dns_status_text(st));
	}
	audit_end(mx->dom->e);
}

void audit_dane_start(struct audit_mx *mx)
{
	struct audit_engine *e = mx->dom->e;
	char name[300];
	if (!dane_tlsa_name(mx->host, DANE_PORT, name, sizeof name))
		return;
	audit_begin(e);
	dns_query_tlsa(e->d, name, on_tlsa, mx);
}

static void match_check(struct audit_mx *mx, struct audit_addr *a)
{
	struct audit_report *r = mx->dom->e->report;
	const struct probe_attempt *at = a->pm.nattempts > 0 ? &a->pm.attempts[0] : NULL;
	if (!at || (at->step == STEP_CONNECT && at->failure != FAIL_NONE)) {
		audit_add(r, AC_DANE_MATCH, mx->dom->idx, a->target, a->order, AUDIT_SKIP, "no connection");
		return;
	}
	if (mx->dom->e->o->probe->tls.mode == TLS_NONE) {
		audit_add(r, AC_DANE_MATCH, mx->dom->idx, a->target, a->order, AUDIT_SKIP, "not checked: --tls none");
		return;
	}
	if (!a->chain) {
		audit_add(r, AC_DANE_MATCH, mx->dom->idx, a->target, a->order, AUDIT_FAIL,
		          "TLSA records are published but no TLS session presented a certificate");
		return;
	}
	struct dane_result dr;
	dane_check_chain(a->chain, mx->host, mx->tlsa, mx->ntlsa, &dr);
	switch (dr.status) {
	case DANE_MATCHED:
		audit_add(r, AC_DANE_MATCH, mx->dom->idx, a->target, a->order, mx->tlsa_ad ? AUDIT_PASS : AUDIT_WARN,
		          "%s %u %u matched at depth %d%s", dane_usage_name(dr.usage), dr.selector, dr.mtype, dr.depth,
		          mx->tlsa_ad ? "" : ", but the records are not DNSSEC-validated");
		break;
	case DANE_NO_USABLE:
		audit_add(r, AC_DANE_MATCH, mx->dom->idx, a->target, a->order, AUDIT_FAIL,
		          "none of the %d TLSA records is usable for SMTP (only DANE-TA(2) and DANE-EE(3) are)", mx->ntlsa);
		break;
	default:
		audit_add(r, AC_DANE_MATCH, mx->dom->idx, a->target, a->order, AUDIT_FAIL, "%s: %s",
		          dane_status_name(dr.status), dr.detail[0] ? dr.detail : "no TLSA record matches the chain");
		break;
	}
}

void audit_dane_finish(struct audit_mx *mx)
{
	if (mx->ntlsa > 0)
		for (int i = 0; i < mx->naddrs; i++)
			if (mx->addrs[i].mx && mx->addrs[i].phase == 2)
				match_check(mx, &mx->addrs[i]);
	free(mx->tlsa);
	mx->tlsa = NULL;
}
