/*
 * audit_checks.c - the audit's checks as data (see audit.h), and the
 * result list they fill. docs/ci.md describes each entry; a new check is
 * one line here, one enum value and its test.
 */
#include "audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "mem.h"

static const struct audit_check checks[AC_COUNT] = {
	[AC_DNS_MX] = { "dns.mx", AUDIT_G_DNS, AUDIT_SCOPE_DOMAIN, "RFC 5321 5.1",
		N_("the domain publishes MX records (without them, mail falls back to the domain's own address: the implicit MX)") },
	[AC_DNS_NULL_MX] = { "dns.null-mx", AUDIT_G_DNS, AUDIT_SCOPE_DOMAIN, "RFC 7505 3",
		N_("a null MX (\"MX 0 .\", the domain takes no mail) stands alone") },
	[AC_DNS_IPV6] = { "dns.ipv6", AUDIT_G_DNS, AUDIT_SCOPE_DOMAIN, "RFC 3974",
		N_("every MX host has an IPv6 address (AAAA) as well as IPv4, so IPv6-only senders reach the domain") },
	[AC_SMTP_POSTMASTER_SAME] = { "smtp.postmaster-same", AUDIT_G_SMTP, AUDIT_SCOPE_DOMAIN, "RFC 5321 4.5.1",
		N_("every MX address gives postmaster@ the same answer") },
	[AC_STS_RECORD] = { "mta-sts.record", AUDIT_G_MTA_STS, AUDIT_SCOPE_DOMAIN, "RFC 8461 3.1",
		N_("the _mta-sts TXT record is published once, with a valid v=STSv1 and id") },
	[AC_STS_POLICY] = { "mta-sts.policy", AUDIT_G_MTA_STS, AUDIT_SCOPE_DOMAIN, "RFC 8461 3.2 / 3.3",
		N_("the policy is served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt (200, text/plain, no redirect, a verified certificate) and parses") },
	[AC_STS_MODE] = { "mta-sts.mode", AUDIT_G_MTA_STS, AUDIT_SCOPE_DOMAIN, "RFC 8461 5",
		N_("the policy's mode is enforce (testing only reports, none withdraws the policy)") },
	[AC_STS_MAX_AGE] = { "mta-sts.max-age", AUDIT_G_MTA_STS, AUDIT_SCOPE_DOMAIN, "RFC 8461 3.2",
		N_("the policy's max_age is at least a day (the RFC recommends weeks)") },
	[AC_TLSRPT_RECORD] = { "tls-rpt.record", AUDIT_G_TLSRPT, AUDIT_SCOPE_DOMAIN, "RFC 8460 3",
		N_("the _smtp._tls TXT record is published once, with v=TLSRPTv1 and mailto: or https: rua destinations") },
	[AC_DNS_MX_NOT_IP] = { "dns.mx-not-ip", AUDIT_G_DNS, AUDIT_SCOPE_MX, "RFC 7505 4 / RFC 5321 5.1",
		N_("the MX names a host, not an IP address") },
	[AC_DNS_MX_RESOLVES] = { "dns.mx-resolves", AUDIT_G_DNS, AUDIT_SCOPE_MX, "RFC 5321 5.1",
		N_("the MX host name has addresses (A or AAAA)") },
	[AC_DNS_MX_NOT_CNAME] = { "dns.mx-not-cname", AUDIT_G_DNS, AUDIT_SCOPE_MX, "RFC 2181 10.3",
		N_("the MX host name is not an alias (CNAME)") },
	[AC_STS_MX] = { "mta-sts.mx", AUDIT_G_MTA_STS, AUDIT_SCOPE_MX, "RFC 8461 4.1",
		N_("an mx pattern of the MTA-STS policy covers the MX host") },
	[AC_DANE_TLSA] = { "dane.tlsa", AUDIT_G_DANE, AUDIT_SCOPE_MX, "RFC 7672 2.2",
		N_("TLSA records at _25._tcp.MX come from a DNSSEC-validated answer (unvalidated ones are ignored by senders)") },
	[AC_DNS_FCRDNS] = { "dns.fcrdns", AUDIT_G_DNS, AUDIT_SCOPE_ADDRESS, "RFC 1912 2.1",
		N_("the address has a PTR name that resolves back to it (forward-confirmed reverse DNS)") },
	[AC_SMTP_CONNECT] = { "smtp.connect", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 5321 4.5.3.2",
		N_("the SMTP port accepts a connection") },
	[AC_SMTP_GREETING] = { "smtp.greeting", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 5321 4.3.1",
		N_("the server greets with 220") },
	[AC_SMTP_GREETING_NAME] = { "smtp.greeting-name", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 5321 4.1.3 / 4.3.1",
		N_("the greeting starts with the server's fully qualified host name") },
	[AC_SMTP_EHLO] = { "smtp.ehlo", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 5321 4.1.1.1",
		N_("the server accepts EHLO (extended SMTP)") },
	[AC_SMTP_SIZE] = { "smtp.size", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 1870",
		N_("the server advertises SIZE, so senders learn the size limit before sending") },
	[AC_SMTP_POSTMASTER] = { "smtp.postmaster", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 5321 4.5.1",
		N_("postmaster@ the domain is accepted at RCPT TO") },
	[AC_SMTP_OPEN_RELAY] = { "smtp.open-relay", AUDIT_G_SMTP, AUDIT_SCOPE_ADDRESS, "RFC 5321 3.6.2 / RFC 2505",
		N_("a foreign sender to a foreign recipient is refused (the server is not an open relay)") },
	[AC_TLS_STARTTLS] = { "tls.starttls", AUDIT_G_TLS, AUDIT_SCOPE_ADDRESS, "RFC 3207",
		N_("the server offers STARTTLS") },
	[AC_TLS_HANDSHAKE] = { "tls.handshake", AUDIT_G_TLS, AUDIT_SCOPE_ADDRESS, "RFC 3207 4",
		N_("the TLS handshake after STARTTLS succeeds") },
	[AC_TLS_VERSION] = { "tls.version", AUDIT_G_TLS, AUDIT_SCOPE_ADDRESS, "RFC 8996 / RFC 8997",
		N_("the negotiated TLS version is 1.2 or newer") },
	[AC_TLS_CHAIN] = { "tls.chain", AUDIT_G_TLS, AUDIT_SCOPE_ADDRESS, "RFC 5280 6",
		N_("the certificate chain verifies against the trust anchors") },
	[AC_TLS_NAME] = { "tls.name", AUDIT_G_TLS, AUDIT_SCOPE_ADDRESS, "RFC 6125 6 / RFC 8461 4.2",
		N_("the certificate is issued to the MX host name") },
	[AC_TLS_EXPIRY] = { "tls.expiry", AUDIT_G_TLS, AUDIT_SCOPE_ADDRESS, "RFC 5280 4.1.2.5",
		N_("the certificate is valid for at least --cert-min-days more days") },
	[AC_STS_CERT] = { "mta-sts.cert", AUDIT_G_MTA_STS, AUDIT_SCOPE_ADDRESS, "RFC 8461 4.2",
		N_("under the MTA-STS policy, the certificate verifies and names the MX host") },
	[AC_DANE_MATCH] = { "dane.match", AUDIT_G_DANE, AUDIT_SCOPE_ADDRESS, "RFC 7672 3",
		N_("a usable TLSA record (DANE-TA or DANE-EE) matches the certificate chain the MX presents") },
};

static const char *const group_names[AUDIT_G_COUNT] = {
	[AUDIT_G_DNS] = "dns", [AUDIT_G_SMTP] = "smtp", [AUDIT_G_TLS] = "tls",
	[AUDIT_G_MTA_STS] = "mta-sts", [AUDIT_G_TLSRPT] = "tls-rpt", [AUDIT_G_DANE] = "dane",
};

static const char *const status_names[AUDIT_STATUS_COUNT] = {
	[AUDIT_PASS] = "pass", [AUDIT_SKIP] = "skip", [AUDIT_WARN] = "warn", [AUDIT_FAIL] = "fail", [AUDIT_ERROR] = "error",
};

const struct audit_check *audit_check_get(enum audit_check_id id)
{
	return (unsigned)id < AC_COUNT ? &checks[id] : NULL;
}

const char *audit_group_name(enum audit_group g)
{
	return (unsigned)g < AUDIT_G_COUNT ? group_names[g] : "";
}

const char *audit_status_name(enum audit_status s)
{
	return (unsigned)s < AUDIT_STATUS_COUNT ? status_names[s] : "";
}

void audit_add(struct audit_report *r, enum audit_check_id check, int domain, const char *target, unsigned order,
               enum audit_status st, const char *fmt, ...)
{
	if (r->nresults == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->results = xreallocarray(r->results, r->cap, sizeof *r->results);
	}
	struct audit_result *x = &r->results[r->nresults++];
	memset(x, 0, sizeof *x);
	x->check = check;
	x->domain = domain;
	snprintf(x->target, sizeof x->target, "%s", target);
	x->order = order;
	x->status = st;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	x->evidence = xstrdup(strbuf_str(&sb));
	strbuf_free(&sb);
}

static int cmp_result(const void *a, const void *b)
{
	const struct audit_result *x = a, *y = b;
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->check != y->check)
		return x->check < y->check ? -1 : 1;
	return strcmp(x->target, y->target);
}

void audit_sort(struct audit_report *r)
{
	if (r->nresults > 1)
		qsort(r->results, r->nresults, sizeof *r->results, cmp_result);
}

void audit_count(const struct audit_report *r, size_t counts[AUDIT_STATUS_COUNT])
{
	memset(counts, 0, AUDIT_STATUS_COUNT * sizeof counts[0]);
	for (size_t i = 0; i < r->nresults; i++)
		counts[r->results[i].status]++;
}

int audit_exit_status(const struct audit_report *r, bool strict)
{
	size_t c[AUDIT_STATUS_COUNT];
	audit_count(r, c);
	if (c[AUDIT_FAIL] || (strict && c[AUDIT_WARN]))
		return AUDIT_EXIT_FAILED;
	return c[AUDIT_ERROR] ? EXIT_TEMPFAIL : 0;
}

void audit_report_free(struct audit_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nresults; i++)
		free(r->results[i].evidence);
	free(r->results);
	for (int i = 0; i < r->ndomains; i++)
		free(r->domains[i]);
	free(r->domains);
	memset(r, 0, sizeof *r);
}
