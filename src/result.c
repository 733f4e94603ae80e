/* result.c - names, verdicts and exit statuses of outcomes (see result.h). */
#include "result.h"

#include <stddef.h>

#include "i18n.h"

static const struct {
	const char *name;
	const char *label;
} steps[STEP_COUNT] = {
	/* Labels are English; the text report translates them (N_ marks them for xgettext). */
	[STEP_NONE] = { "", "" },
	[STEP_INPUT] = { "input", N_("address check") },
	[STEP_DNS] = { "dns", N_("DNS lookup") },
	[STEP_CONNECT] = { "connect", N_("connect") },
	[STEP_BANNER] = { "banner", N_("greeting") },
	[STEP_EHLO] = { "ehlo", "EHLO" },
	[STEP_HELO] = { "helo", "HELO" },
	[STEP_STARTTLS] = { "starttls", "STARTTLS" },
	[STEP_TLS] = { "tls", N_("TLS handshake") },
	[STEP_AUTH] = { "auth", "AUTH" },
	[STEP_MAIL] = { "mail", "MAIL FROM" },
	[STEP_RCPT] = { "rcpt", "RCPT TO" },
	[STEP_RSET] = { "rset", "RSET" },
	[STEP_QUIT] = { "quit", "QUIT" },
};

/*
 * Per failure class: its JSON name, the verdict, and the exit status.
 * `exit_rcpt` differs only for a rejection: refused at RCPT means this
 * mailbox (67); refused earlier means the server will not take mail from us
 * at all (69).
 */
static const struct {
	const char *name;
	enum verdict verdict;
	int exit;
	int exit_rcpt;
} failures[FAIL_COUNT] = {
	[FAIL_NONE] = { "none", VERDICT_ACCEPTED, EXIT_OK_, EXIT_OK_ },
	[FAIL_REJECTED] = { "rejected", VERDICT_REJECTED, EXIT_UNAVAILABLE, EXIT_NOUSER },
	[FAIL_TEMPFAIL] = { "tempfail", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_TIMEOUT] = { "timeout", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_REFUSED] = { "refused", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_UNREACHABLE] = { "unreachable", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_CLOSED] = { "closed", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_PROTOCOL] = { "protocol", VERDICT_ERROR, EXIT_PROTOCOL, EXIT_PROTOCOL },
	[FAIL_NXDOMAIN] = { "nxdomain", VERDICT_REJECTED, EXIT_NOHOST, EXIT_NOHOST },
	[FAIL_NULL_MX] = { "null_mx", VERDICT_REJECTED, EXIT_NOHOST, EXIT_NOHOST },
	[FAIL_NO_ADDRESS] = { "no_address", VERDICT_REJECTED, EXIT_NOHOST, EXIT_NOHOST },
	[FAIL_SERVFAIL] = { "servfail", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_DNS_TIMEOUT] = { "dns_timeout", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_DNS_ERROR] = { "dns_error", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_SMTPUTF8] = { "smtputf8", VERDICT_REJECTED, EXIT_UNAVAILABLE, EXIT_UNAVAILABLE },
	[FAIL_INVALID_ADDRESS] = { "invalid_address", VERDICT_ERROR, EXIT_USAGE, EXIT_USAGE },
	[FAIL_INTERNAL] = { "internal", VERDICT_ERROR, EXIT_SOFTWARE, EXIT_SOFTWARE },
	[FAIL_TLS] = { "tls", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_TLS_VERIFY] = { "tls_verify", VERDICT_REJECTED, EXIT_UNAVAILABLE, EXIT_UNAVAILABLE },
	[FAIL_STARTTLS_MISSING] = { "starttls_missing", VERDICT_REJECTED, EXIT_UNAVAILABLE, EXIT_UNAVAILABLE },
	[FAIL_AUTH_CLEARTEXT] = { "auth_cleartext", VERDICT_ERROR, EXIT_UNAVAILABLE, EXIT_UNAVAILABLE },
	[FAIL_AUTH_UNSUPPORTED] = { "auth_unsupported", VERDICT_REJECTED, EXIT_UNAVAILABLE, EXIT_UNAVAILABLE },
	[FAIL_PROXY] = { "proxy", VERDICT_TEMPFAIL, EXIT_TEMPFAIL, EXIT_TEMPFAIL },
};

static const char *const verdicts[] = {
	[VERDICT_ACCEPTED] = "accepted",
	[VERDICT_REJECTED] = "rejected",
	[VERDICT_TEMPFAIL] = "tempfail",
	[VERDICT_ERROR] = "error",
};

/* Most severe first; see docs/output.md for why. */
static const int severity[] = {
	EXIT_SOFTWARE, EXIT_USAGE, EXIT_NOHOST, EXIT_UNAVAILABLE,
	EXIT_PROTOCOL, EXIT_NOUSER, EXIT_TEMPFAIL, EXIT_OK_,
};

const char *step_name(enum step s)
{
	return (unsigned)s < STEP_COUNT ? steps[s].name : "";
}

const char *step_label(enum step s)
{
	return (unsigned)s < STEP_COUNT ? steps[s].label : "";
}

const char *failure_name(enum failure f)
{
	return (unsigned)f < FAIL_COUNT ? failures[f].name : "internal";
}

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < sizeof verdicts / sizeof verdicts[0] ? verdicts[v] : "error";
}

enum verdict failure_verdict(enum failure f)
{
	return (unsigned)f < FAIL_COUNT ? failures[f].verdict : VERDICT_ERROR;
}

enum failure failure_from_code(int code)
{
	switch (code / 100) {
	case 2: return FAIL_NONE;
	case 4: return FAIL_TEMPFAIL;
	case 5: return FAIL_REJECTED;
	default: return FAIL_PROTOCOL;
	}
}

int result_exit_status(enum step step, enum failure f)
{
	if ((unsigned)f >= FAIL_COUNT)
		return EXIT_SOFTWARE;
	return step == STEP_RCPT ? failures[f].exit_rcpt : failures[f].exit;
}

static size_t rank(int status)
{
	for (size_t i = 0; i < sizeof severity / sizeof severity[0]; i++)
		if (severity[i] == status)
			return i;
	return 0; /* unknown statuses count as the most severe */
}

int result_exit_combine(int a, int b)
{
	return rank(a) <= rank(b) ? a : b;
}
