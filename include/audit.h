/*
 * audit.h - `smtpprobe audit DOMAIN...`: a domain's inbound mail setup,
 * checked the way a sending MTA meets it. The checks are a table (id,
 * group, scope, RFC, description: audit_checks.c); a run produces one
 * result per check and target (the domain, an MX name or one address of
 * an MX) with a status and the evidence, which the renderers turn into a
 * table for people, JSON Lines or JUnit XML (audit_report.c).
 *
 * The engine (audit.c) drives the lookups (audit_dns.c) and, for every
 * address of every MX, two probes through the probe machinery
 * (audit_smtp.c: postmaster@DOMAIN, then the relay test); the SMTP and
 * TLS checks are pure functions of those probes' results.
 */
#ifndef SMTPPROBE_AUDIT_H
#define SMTPPROBE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"
#include "loop.h"
#include "probe.h"
#include "strbuf.h"

enum audit_group {
	AUDIT_G_DNS,
	AUDIT_G_SMTP,
	AUDIT_G_TLS,
	AUDIT_G_MTA_STS,
	AUDIT_G_TLSRPT,
	AUDIT_G_DANE,
	AUDIT_G_COUNT
};

enum audit_scope {
	AUDIT_SCOPE_DOMAIN,
	AUDIT_SCOPE_MX,       /* one MX host name */
	AUDIT_SCOPE_ADDRESS,  /* one IP address of an MX host */
};

/* In order of severity; JSON: "pass", "warn", "fail", "skip". */
enum audit_status {
	AUDIT_PASS,
	AUDIT_SKIP,   /* not applicable or could not run: said why, never a failure */
	AUDIT_WARN,
	AUDIT_FAIL,
	/*
	 * Could not be checked from here: this side's resolver did not answer.
	 * Says nothing of the domain, so it is not a failure of it; the run
	 * exits 75 (EX_TEMPFAIL) when nothing failed.
	 */
	AUDIT_ERROR,
	AUDIT_STATUS_COUNT
};

/* The checks, in report order within a target (audit_checks.c has their table). */
enum audit_check_id {
	AC_DNS_MX,
	AC_DNS_NULL_MX,
	AC_DNS_IPV6,
	AC_SMTP_POSTMASTER_SAME,
	AC_STS_RECORD,
	AC_STS_POLICY,
	AC_STS_MODE,
	AC_STS_MAX_AGE,
	AC_TLSRPT_RECORD,
	AC_DNS_MX_NOT_IP,
	AC_DNS_MX_RESOLVES,
	AC_DNS_MX_NOT_CNAME,
	AC_STS_MX,
	AC_DANE_TLSA,
	AC_DNS_FCRDNS,
	AC_SMTP_CONNECT,
	AC_SMTP_GREETING,
	AC_SMTP_GREETING_NAME,
	AC_SMTP_EHLO,
	AC_SMTP_SIZE,
	AC_SMTP_POSTMASTER,
	AC_SMTP_OPEN_RELAY,
	AC_TLS_STARTTLS,
	AC_TLS_HANDSHAKE,
	AC_TLS_VERSION,
	AC_TLS_CHAIN,
	AC_TLS_NAME,
	AC_TLS_EXPIRY,
	AC_STS_CERT,
	AC_DANE_MATCH,
	AC_COUNT
};

struct audit_check {
	const char *id;          /* "tls.expiry": JSON, JUnit and docs */
	enum audit_group group;
	enum audit_scope scope;
	const char *rfc;         /* "RFC 5321 4.5.1" */
	const char *description; /* English, N_() for people */
};

const struct audit_check *audit_check_get(enum audit_check_id id);
const char *audit_group_name(enum audit_group g);    /* "dns", "mta-sts", ... */
const char *audit_status_name(enum audit_status s);  /* "pass", ... */

struct audit_result {
	enum audit_check_id check;
	int domain;              /* index into the report's domains */
	char target[300];        /* the domain, an MX name, or "mx.example.org [192.0.2.1]" */
	unsigned order;          /* target order within the domain: 0 domain, then MX by MX, address by address */
	enum audit_status status;
	char *evidence;          /* English, one line */
};

struct audit_report {
	char **domains;          /* as audited (A-labels) */
	int ndomains;
	struct audit_result *results;  /* sorted: domain, target order, check */
	size_t nresults, cap;
	long long elapsed_ms;
};

struct audit_options {
	const struct probe_options *probe;  /* port, family, timeouts, TLS context, --from, --helo, --ca-file */
	int cert_min_days;                  /* --cert-min-days: warn below, fail when expired */
};

#define AUDIT_CERT_MIN_DAYS 14
/* A check failed (with --strict, or warned): the status --expect uses (result.h). */
#define AUDIT_EXIT_FAILED EXIT_EXPECT_FAILED

/*
 * Audit each domain (already validated, A-labels) in the loop; every
 * network step has the probe options' timeouts. Fills out (free with
 * audit_report_free). Returns 0, or -1 when the loop failed.
 */
int audit_run(struct loop *l, struct dns *d, const struct audit_options *o, char *const *domains, int n,
              struct audit_report *out);
void audit_report_free(struct audit_report *r);

/* Add a result (the evidence is formatted and copied); the engine and the check functions use it. */
void audit_add(struct audit_report *r, enum audit_check_id check, int domain, const char *target, unsigned order,
               enum audit_status st, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Sort into report order (domain, target order, check). */
void audit_sort(struct audit_report *r);

/* Counts per status. */
void audit_count(const struct audit_report *r, size_t counts[AUDIT_STATUS_COUNT]);
/* 0, or AUDIT_EXIT_FAILED when a check failed (strict: or warned), else 75 when one could not run. */
int audit_exit_status(const struct audit_report *r, bool strict);

/* The renderers (audit_report.c): text for people (translated), JSON Lines (English). */
void audit_render_text(const struct audit_report *r, bool color, bool strict, struct strbuf *out);
void audit_render_json(const struct audit_report *r, bool strict, struct strbuf *out);
struct junit;
void audit_render_junit(const struct audit_report *r, bool strict, struct junit *j);



/*
 * For the engine and the unit tests: what one address showed, and the
 * SMTP and TLS checks made of it (audit_smtp.c, pure).
 */
struct audit_addr_evidence {
	const struct probe_result *pm;     /* the postmaster@DOMAIN probe */
	const struct probe_result *relay;  /* the relay test; NULL when it did not run */
	const char *greeting;              /* the first line the server sent, "" when none */
	const char *relay_from, *relay_rcpt;
	int cert_min_days;
	bool tls_off;                      /* --tls none: the TLS checks are skipped */
};
void audit_smtp_checks(struct audit_report *r, int domain, const char *target, unsigned order,
                       const struct audit_addr_evidence *e);
/*
 * The relay test's addresses: in two RFC 2606 example domains that are
 * neither the audited domain nor above or below it.
 */
void audit_relay_addresses(const char *domain, char *from, size_t fromsz, char *rcpt, size_t rcptsz);
/* The host name a greeting line ("220 mx.example.org ESMTP") starts with, into name; false when none. */
bool audit_greeting_name(const char *line, char *name, size_t namesz);
#endif
