/*
 * audit_sts.c - MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) in the audit:
 * the two TXT records and the policy fetched over HTTPS as a sending MTA
 * fetches it (https.h: no redirect, 200, text/plain, 64 KiB, a verified
 * certificate for mta-sts.DOMAIN). The records' checks are made when they
 * arrive; the policy's coverage of the MX hosts and their certificates
 * needs every MX and every session, so it waits for audit_sts_finish().
 *
 * A domain without the records does not use the mechanism: that is said
 * (skip), not failed; a record that is there but wrong, or a policy that
 * cannot be fetched or read, fails.
 */
#include "audit_internal.h"

#include <stdio.h>
#include <string.h>

#include "https.h"
#include "tlsrpt.h"

#define ADD_DOM(dom, id, st, ...) audit_add((dom)->e->report, (id), (dom)->idx, (dom)->name, 0, (st), __VA_ARGS__)

static void on_policy(void *ctx, const struct https_result *res)
{
	struct audit_domain *dom = ctx;
	dom->sts_fetch = NULL;
	char err[256];
	if (res->status != HTTPS_OK) {
		snprintf(dom->sts_policy_why, sizeof dom->sts_policy_why, "%s (%s)", res->error,
		         https_status_name(res->status));
	} else if (!mta_sts_policy_parse(res->body, res->len, &dom->sts_policy, err, sizeof err)) {
		snprintf(dom->sts_policy_why, sizeof dom->sts_policy_why, "the policy does not parse: %s", err);
	} else {
		dom->sts_policy_ok = true;
	}
	audit_end(dom->e);
}

static void fetch_policy(struct audit_domain *dom)
{
	struct audit_engine *e = dom->e;
	const struct probe_options *o = e->o->probe;
	char url[320];
	snprintf(url, sizeof url, "https://mta-sts.%s/.well-known/mta-sts.txt", dom->name);
	struct https_request req = {
		.url = url,
		.ca_file = o->tls.ca_file,
		.ca_path = o->tls.ca_path,
		.content_type = "text/plain",
		.max_body = MTA_STS_POLICY_MAX,
		.timeout_ms = o->timeout_ms[STEP_CONNECT] + o->timeout_ms[STEP_TLS],
		.dns = e->d,
	};
	char err[256];
	audit_begin(e);
	dom->sts_fetch = https_fetch_start(e->l, &req, on_policy, dom, err, sizeof err);
	if (!dom->sts_fetch) {
		snprintf(dom->sts_policy_why, sizeof dom->sts_policy_why, "the fetch did not start: %s", err);
		audit_end(e);
	}
}

static void on_sts_txt(void *ctx, enum dns_status st, const struct txt_record *txt, int n,
                       const struct dns_answer_info *info, const char *why)
{
	(void)info;
	struct audit_domain *dom = ctx;
	struct mta_sts_record rec;
	char err[256];
	dom->sts_answered = true;
	if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN) {
		dom->sts_record = MTA_STS_RECORD_INVALID;
		ADD_DOM(dom, AC_STS_RECORD, AUDIT_FAIL, "the _mta-sts.%s lookup failed: %s", dom->name,
		        why ? why : dns_status_text(st));
	} else {
		dom->sts_record = mta_sts_record_from_txt(txt, st == DNS_OK ? n : 0, &rec, err, sizeof err);
		if (dom->sts_record == MTA_STS_RECORD_OK)
			ADD_DOM(dom, AC_STS_RECORD, AUDIT_PASS, "v=STSv1; id=%s", rec.id);
		else if (dom->sts_record == MTA_STS_RECORD_NONE)
			ADD_DOM(dom, AC_STS_RECORD, AUDIT_SKIP, "no MTA-STS record at _mta-sts.%s: the domain does not use MTA-STS",
			        dom->name);
		else
			ADD_DOM(dom, AC_STS_RECORD, AUDIT_FAIL, "%s", err);
	}
	/* RFC 8461 3.3: a sender fetches the policy only when the record is there and valid. */
	if (dom->sts_record == MTA_STS_RECORD_OK)
		fetch_policy(dom);
	audit_end(dom->e);
}

static void on_rpt_txt(void *ctx, enum dns_status st, const struct txt_record *txt, int n,
                       const struct dns_answer_info *info, const char *why)
{
	(void)info;
	struct audit_domain *dom = ctx;
	struct tlsrpt_record rec;
	char err[256];
	if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN) {
		ADD_DOM(dom, AC_TLSRPT_RECORD, AUDIT_FAIL, "the _smtp._tls.%s lookup failed: %s", dom->name,
		        why ? why : dns_status_text(st));
	} else {
		enum tlsrpt_status ts = tlsrpt_from_txt(txt, st == DNS_OK ? n : 0, &rec, err, sizeof err);
		if (ts == TLSRPT_OK) {
			struct strbuf list = STRBUF_INIT;
			for (int i = 0; i < rec.nrua; i++)
				strbuf_printf(&list, "%s%s", i ? "," : "", rec.rua[i].uri);
			ADD_DOM(dom, AC_TLSRPT_RECORD, AUDIT_PASS, "v=TLSRPTv1; rua=%s", strbuf_str(&list));
			strbuf_free(&list);
		} else if (ts == TLSRPT_NONE) {
			ADD_DOM(dom, AC_TLSRPT_RECORD, AUDIT_SKIP, "no TLS-RPT record at _smtp._tls.%s: no TLS failure reports",
			        dom->name);
		} else {
			ADD_DOM(dom, AC_TLSRPT_RECORD, AUDIT_FAIL, "%s", err);
		}
	}
	audit_end(dom->e);
}

void audit_sts_start(struct audit_domain *dom)
{
	struct audit_engine *e = dom->e;
	char name[320];
	snprintf(name, sizeof name, "_mta-sts.%s", dom->name);
	audit_begin(e);
	dns_query_txt(e->d, name, on_sts_txt, dom);
	snprintf(name, sizeof name, "_smtp._tls.%s", dom->name);
	audit_begin(e);
	dns_query_txt(e->d, name, on_rpt_txt, dom);
}

/* The certificate of one address under the policy (4.2): verified, and valid for the MX name by 4.1's rules. */
static void cert_check(struct audit_domain *dom, const struct audit_addr *a)
{
	struct audit_report *r = dom->e->report;
	const struct probe_attempt *at = a->pm.nattempts > 0 ? &a->pm.attempts[0] : NULL;
	if (!at || (at->step == STEP_CONNECT && at->failure != FAIL_NONE)) {
		audit_add(r, AC_STS_CERT, dom->idx, a->target, a->order, AUDIT_SKIP, "no connection");
		return;
	}
	if (dom->e->o->probe->tls.mode == TLS_NONE) {
		audit_add(r, AC_STS_CERT, dom->idx, a->target, a->order, AUDIT_SKIP, "not checked: --tls none");
		return;
	}
	if (!at->tls.used) {
		audit_add(r, AC_STS_CERT, dom->idx, a->target, a->order, AUDIT_FAIL,
		          "no TLS session with %s: a sender under the policy cannot deliver here", a->mx->host);
		return;
	}
	const struct tls_info *t = &at->tls;
	const char *names[TLS_SAN_MAX];
	for (int i = 0; i < t->nsan; i++)
		names[i] = t->san[i];
	int m = mta_sts_cert_matches(names, t->nsan, a->mx->host);
	if (!t->verified)
		audit_add(r, AC_STS_CERT, dom->idx, a->target, a->order, AUDIT_FAIL, "the chain does not verify: %s",
		          t->verify_error);
	else if (m < 0)
		audit_add(r, AC_STS_CERT, dom->idx, a->target, a->order, AUDIT_FAIL,
		          "no DNS name of the certificate covers %s", a->mx->host);
	else
		audit_add(r, AC_STS_CERT, dom->idx, a->target, a->order, AUDIT_PASS, "verified, %s covers %s", t->san[m],
		          a->mx->host);
}

void audit_sts_finish(struct audit_domain *dom)
{
	struct audit_report *r = dom->e->report;
	if (dom->sts_fetch) {
		https_fetch_cancel(dom->sts_fetch);
		dom->sts_fetch = NULL;
	}
	if (dom->sts_record != MTA_STS_RECORD_OK || !dom->sts_answered) {
		if (dom->sts_answered)
			ADD_DOM(dom, AC_STS_POLICY, AUDIT_SKIP, "no valid MTA-STS record: senders do not fetch a policy");
		return;
	}
	if (!dom->sts_policy_ok) {
		ADD_DOM(dom, AC_STS_POLICY, AUDIT_FAIL, "%s", dom->sts_policy_why);
		return;
	}
	const struct mta_sts_policy *p = &dom->sts_policy;
	struct strbuf mx = STRBUF_INIT;
	for (int i = 0; i < p->nmx; i++)
		strbuf_printf(&mx, "%s%s", i ? ", " : "", p->mx[i]);
	ADD_DOM(dom, AC_STS_POLICY, AUDIT_PASS, "mode %s, max_age %ld, mx %s", mta_sts_mode_name(p->mode), p->max_age,
	        p->nmx ? strbuf_str(&mx) : "none");
	strbuf_free(&mx);
	if (p->mode == MTA_STS_MODE_ENFORCE)
		ADD_DOM(dom, AC_STS_MODE, AUDIT_PASS, "enforce");
	else
		ADD_DOM(dom, AC_STS_MODE, AUDIT_WARN, "%s: %s", mta_sts_mode_name(p->mode),
		        p->mode == MTA_STS_MODE_TESTING ? "senders deliver even when TLS fails, and only report it"
		                                        : "the policy is withdrawn");
	if (p->max_age < 86400)
		ADD_DOM(dom, AC_STS_MAX_AGE, AUDIT_WARN, "max_age %ld s is under a day: senders refetch constantly and "
		        "a downgrade between fetches is not covered", p->max_age);
	else
		ADD_DOM(dom, AC_STS_MAX_AGE, AUDIT_PASS, "max_age %ld s (%ld days)", p->max_age, p->max_age / 86400);
	if (p->mode == MTA_STS_MODE_NONE)
		return;
	for (int i = 0; i < dom->nmx; i++) {
		const struct audit_mx *m = &dom->mx[i];
		int k = mta_sts_mx_matches(p, m->host);
		if (k >= 0)
			audit_add(r, AC_STS_MX, dom->idx, m->host, m->order, AUDIT_PASS, "matches the policy's mx %s", p->mx[k]);
		else
			audit_add(r, AC_STS_MX, dom->idx, m->host, m->order, AUDIT_FAIL,
			          "no mx pattern of the policy covers %s: senders under the policy refuse this MX", m->host);
		for (int j = 0; j < m->naddrs; j++)
			if (m->addrs[j].mx && m->addrs[j].phase == 2)
				cert_check(dom, &m->addrs[j]);
	}
}
