/*
 * audit_smtp.c - the SMTP and TLS checks of one MX address, made from
 * what two probes of it showed (see audit.h). Pure: the engine runs the
 * probes, this file only reads their results, so each check's pass and
 * fail can be tested from a hand-made result.
 *
 * Why probes and not a client of the audit's own: the probe machinery
 * already walks greeting, EHLO, STARTTLS, the handshake (recording the
 * version, the chain's verification, the name match and the expiry in
 * struct tls_info), MAIL FROM and RCPT TO, with every step's timeout,
 * the strict reply reader and the closed command table that has no DATA.
 * A second client would have to repeat all of it. The engine points a
 * probe at one address with --server semantics (server_host = the IP,
 * tls_name = the MX name, as an MTA checks it), so each address is seen
 * on its own.
 */
#include "audit.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "address.h"

/* "250 2.1.5 Ok" on one line, the reply's lines joined by spaces. */
static void reply_line(const struct reply *r, struct strbuf *out)
{
	strbuf_printf(out, "%d", r->code);
	if (r->enhanced[0])
		strbuf_printf(out, " %s", r->enhanced);
	const char *t = strbuf_str(&r->text);
	if (*t)
		strbuf_putc(out, ' ');
	for (; *t; t++)
		strbuf_putc(out, *t == '\n' ? ' ' : *t);
}

/* What ended an attempt, in words: the reply when there is one, else the detail. */
static void attempt_why(const struct probe_attempt *a, struct strbuf *out)
{
	if (a->have_reply) {
		reply_line(&a->reply, out);
	} else if (!msg_empty(&a->detail)) {
		msg_format(&a->detail, false, out);
	} else {
		strbuf_puts(out, failure_name(a->failure));
	}
}

bool audit_greeting_name(const char *line, char *name, size_t namesz)
{
	if (strncmp(line, "220", 3) != 0 || (line[3] != ' ' && line[3] != '-'))
		return false;
	const char *p = line + 4;
	size_t n = strcspn(p, " \t");
	if (n == 0 || n >= namesz)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	return true;
}

void audit_relay_addresses(const char *domain, char *from, size_t fromsz, char *rcpt, size_t rcptsz)
{
	/* RFC 2606 domains: even a real open relay cannot deliver there, and DATA is never sent. */
	static const char *const candidates[] = { "example.com", "example.net", "example.org" };
	const char *pick[2] = { NULL, NULL };
	int n = 0;
	size_t dl = strlen(domain);
	for (size_t i = 0; i < 3 && n < 2; i++) {
		const char *c = candidates[i];
		size_t cl = strlen(c);
		/* not the domain, not a name under it, not a name above it */
		bool related = strcasecmp(c, domain) == 0 ||
			(cl > dl && c[cl - dl - 1] == '.' && strcasecmp(c + cl - dl, domain) == 0) ||
			(dl > cl && domain[dl - cl - 1] == '.' && strcasecmp(domain + dl - cl, c) == 0);
		if (!related)
			pick[n++] = c;
	}
	snprintf(from, fromsz, "smtpprobe-relay-test@%s", pick[0]);
	snprintf(rcpt, rcptsz, "smtpprobe-relay-test@%s", pick[1]);
}

struct ctx {
	struct audit_report *r;
	int domain;
	const char *target;
	unsigned order;
};

#define ADD(c, id, st, ...) audit_add((c)->r, (id), (c)->domain, (c)->target, (c)->order, (st), __VA_ARGS__)

static void skip_all(const struct ctx *c, enum audit_check_id from, enum audit_check_id to, const char *why)
{
	for (int id = from; id <= (int)to; id++)
		ADD(c, (enum audit_check_id)id, AUDIT_SKIP, "%s", why);
}

static void tls_checks(const struct ctx *c, const struct audit_addr_evidence *e, const struct probe_attempt *a)
{
	if (e->tls_off) {
		skip_all(c, AC_TLS_STARTTLS, AC_TLS_EXPIRY, "not checked: --tls none");
		return;
	}
	if (!a->have_caps && !a->starttls_offered) {
		skip_all(c, AC_TLS_STARTTLS, AC_TLS_EXPIRY, "no EHLO answer to look at");
		return;
	}
	if (!a->starttls_offered) {
		ADD(c, AC_TLS_STARTTLS, AUDIT_FAIL, "STARTTLS is not in the EHLO reply: mail to this host travels in clear text");
		skip_all(c, AC_TLS_HANDSHAKE, AC_TLS_EXPIRY, "no STARTTLS");
		return;
	}
	ADD(c, AC_TLS_STARTTLS, AUDIT_PASS, "STARTTLS offered");
	const struct tls_info *t = &a->tls;
	if (!t->used) {
		struct strbuf why = STRBUF_INIT;
		attempt_why(a, &why);
		ADD(c, AC_TLS_HANDSHAKE, AUDIT_FAIL, "%s", strbuf_str(&why));
		strbuf_free(&why);
		skip_all(c, AC_TLS_VERSION, AC_TLS_EXPIRY, "no TLS session");
		return;
	}
	ADD(c, AC_TLS_HANDSHAKE, AUDIT_PASS, "%s %s", t->version, t->cipher);
	bool old = strcmp(t->version, "TLSv1.2") != 0 && strcmp(t->version, "TLSv1.3") != 0;
	ADD(c, AC_TLS_VERSION, old ? AUDIT_FAIL : AUDIT_PASS, "%s%s", t->version,
	    old ? ": deprecated (TLS 1.0 and 1.1 are prohibited)" : "");
	if (t->verified)
		ADD(c, AC_TLS_CHAIN, AUDIT_PASS, "verified: issuer %s, chain of %d", t->issuer, t->chain_length);
	else
		ADD(c, AC_TLS_CHAIN, AUDIT_FAIL, "%s (issuer %s)", t->verify_error[0] ? t->verify_error : "does not verify",
		    t->issuer);
	if (t->name_matched) {
		ADD(c, AC_TLS_NAME, AUDIT_PASS, "the certificate covers %s", t->name);
	} else {
		struct strbuf names = STRBUF_INIT;
		for (int i = 0; i < t->nsan; i++)
			strbuf_printf(&names, "%s%s", i ? ", " : "", t->san[i]);
		ADD(c, AC_TLS_NAME, AUDIT_FAIL, "the certificate does not cover %s (subject %s; names: %s)", t->name,
		    t->subject, t->nsan ? strbuf_str(&names) : "none");
		strbuf_free(&names);
	}
	if (t->days_left < 0)
		ADD(c, AC_TLS_EXPIRY, AUDIT_FAIL, "expired on %s", t->not_after);
	else if (t->days_left < e->cert_min_days)
		ADD(c, AC_TLS_EXPIRY, AUDIT_WARN, "expires on %s, in %d days (fewer than %d)", t->not_after, t->days_left,
		    e->cert_min_days);
	else
		ADD(c, AC_TLS_EXPIRY, AUDIT_PASS, "expires on %s, in %d days", t->not_after, t->days_left);
}

/* The greeting, its host name, EHLO and SIZE, from the first connection. */
static void session_checks(const struct ctx *c, const struct audit_addr_evidence *e, const struct probe_attempt *a)
{
	if (a->step == STEP_BANNER && a->failure != FAIL_NONE) {
		struct strbuf why = STRBUF_INIT;
		attempt_why(a, &why);
		ADD(c, AC_SMTP_GREETING, AUDIT_FAIL, "%s", strbuf_str(&why));
		strbuf_free(&why);
		skip_all(c, AC_SMTP_GREETING_NAME, AC_SMTP_SIZE, "no greeting");
		return;
	}
	ADD(c, AC_SMTP_GREETING, AUDIT_PASS, "%s", e->greeting[0] ? e->greeting : "220");
	char name[256];
	if (!audit_greeting_name(e->greeting, name, sizeof name))
		ADD(c, AC_SMTP_GREETING_NAME, AUDIT_WARN, "the greeting names no host: \"%s\"", e->greeting);
	else if (name[0] == '[' || !strchr(name, '.') || !addr_valid_hostname(name))
		ADD(c, AC_SMTP_GREETING_NAME, AUDIT_WARN, "\"%s\" is not a fully qualified host name", name);
	else
		ADD(c, AC_SMTP_GREETING_NAME, AUDIT_PASS, "%s", name);
	if (!a->have_caps) {
		struct strbuf why = STRBUF_INIT;
		attempt_why(a, &why);
		ADD(c, AC_SMTP_EHLO, AUDIT_FAIL, "%s", strbuf_str(&why));
		strbuf_free(&why);
		ADD(c, AC_SMTP_SIZE, AUDIT_SKIP, "no EHLO answer");
		return;
	}
	if (a->caps.helo_only)
		ADD(c, AC_SMTP_EHLO, AUDIT_WARN, "EHLO refused, only HELO accepted: no extensions (STARTTLS, SIZE)");
	else
		ADD(c, AC_SMTP_EHLO, AUDIT_PASS, "EHLO accepted (%s, %d extensions)", a->caps.domain, a->caps.nkeywords);
	if (!(a->caps.ext & EHLO_SIZE))
		ADD(c, AC_SMTP_SIZE, AUDIT_WARN, "SIZE not advertised");
	else if (a->caps.size)
		ADD(c, AC_SMTP_SIZE, AUDIT_PASS, "SIZE %llu", (unsigned long long)a->caps.size);
	else
		ADD(c, AC_SMTP_SIZE, AUDIT_PASS, "SIZE advertised without a limit");
}

/* A session reached MAIL FROM: the recipient's answer is about the envelope. */
static bool reached_envelope(const struct probe_result *r)
{
	const struct probe_attempt *a = probe_decided(r);
	return a && (a->step == STEP_MAIL || a->step == STEP_RCPT || a->step == STEP_QUIT || a->failure == FAIL_NONE);
}

static void postmaster_check(const struct ctx *c, const struct probe_result *pm)
{
	const struct probe_attempt *a = probe_decided(pm);
	if (!reached_envelope(pm)) {
		ADD(c, AC_SMTP_POSTMASTER, AUDIT_SKIP, "the session ended before MAIL FROM");
		return;
	}
	struct strbuf why = STRBUF_INIT;
	attempt_why(a, &why);
	const char *at = a->step == STEP_MAIL ? "MAIL FROM" : "RCPT TO";
	if (pm->verdict == VERDICT_ACCEPTED)
		ADD(c, AC_SMTP_POSTMASTER, AUDIT_PASS, "%s: %s", pm->input, strbuf_str(&why));
	else if (pm->verdict == VERDICT_TEMPFAIL)
		ADD(c, AC_SMTP_POSTMASTER, AUDIT_WARN, "%s temporarily refused at %s: %s", pm->input, at, strbuf_str(&why));
	else
		ADD(c, AC_SMTP_POSTMASTER, AUDIT_FAIL, "%s refused at %s: %s", pm->input, at, strbuf_str(&why));
	strbuf_free(&why);
}

static void relay_check(const struct ctx *c, const struct audit_addr_evidence *e)
{
	const struct probe_result *rl = e->relay;
	if (!rl) {
		ADD(c, AC_SMTP_OPEN_RELAY, AUDIT_SKIP, "not tested: no SMTP session");
		return;
	}
	const struct probe_attempt *a = probe_decided(rl);
	if (!reached_envelope(rl)) {
		ADD(c, AC_SMTP_OPEN_RELAY, AUDIT_SKIP, "not tested: the session ended before MAIL FROM");
		return;
	}
	struct strbuf why = STRBUF_INIT;
	attempt_why(a, &why);
	const char *at = a->step == STEP_MAIL ? "MAIL FROM" : "RCPT TO";
	if (rl->verdict == VERDICT_ACCEPTED)
		ADD(c, AC_SMTP_OPEN_RELAY, AUDIT_FAIL, "open relay: MAIL FROM:<%s> RCPT TO:<%s> accepted: %s", e->relay_from,
		    e->relay_rcpt, strbuf_str(&why));
	else if (rl->verdict == VERDICT_TEMPFAIL)
		ADD(c, AC_SMTP_OPEN_RELAY, AUDIT_WARN, "<%s> only temporarily refused at %s (it may be accepted later): %s",
		    e->relay_rcpt, at, strbuf_str(&why));
	else
		ADD(c, AC_SMTP_OPEN_RELAY, AUDIT_PASS, "<%s> refused at %s: %s", e->relay_rcpt, at, strbuf_str(&why));
	strbuf_free(&why);
}

void audit_smtp_checks(struct audit_report *r, int domain, const char *target, unsigned order,
                       const struct audit_addr_evidence *e)
{
	struct ctx c = { r, domain, target, order };
	const struct probe_result *pm = e->pm;
	const struct probe_attempt *a = pm->nattempts > 0 ? &pm->attempts[0] : NULL;
	if (!a || (a->step == STEP_CONNECT && a->failure != FAIL_NONE)) {
		struct strbuf why = STRBUF_INIT;
		if (a)
			attempt_why(a, &why);
		else
			probe_message(pm, false, &why);
		ADD(&c, AC_SMTP_CONNECT, AUDIT_FAIL, "%s", strbuf_str(&why));
		strbuf_free(&why);
		skip_all(&c, AC_SMTP_GREETING, AC_TLS_EXPIRY, "no connection");
		return;
	}
	ADD(&c, AC_SMTP_CONNECT, AUDIT_PASS, "connected to port %d", a->port);
	session_checks(&c, e, a);
	postmaster_check(&c, pm);
	relay_check(&c, e);
	tls_checks(&c, e, a);
}
