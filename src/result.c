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
 * Per failure class: its JSON name, the verdict, and the exit status. A
 * rejection's status depends on whom it blames (exit_by_blame below).
 */
static const struct {
	const char *name;
	enum verdict verdict;
	int exit;
} failures[FAIL_COUNT] = {
	[FAIL_NONE] = { "none", VERDICT_ACCEPTED, EXIT_OK_ },
	[FAIL_REJECTED] = { "rejected", VERDICT_REJECTED, EXIT_UNAVAILABLE },  /* see exit_by_blame */
	[FAIL_TEMPFAIL] = { "tempfail", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_TIMEOUT] = { "timeout", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_REFUSED] = { "refused", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_UNREACHABLE] = { "unreachable", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_CLOSED] = { "closed", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_PROTOCOL] = { "protocol", VERDICT_ERROR, EXIT_PROTOCOL },
	[FAIL_NXDOMAIN] = { "nxdomain", VERDICT_REJECTED, EXIT_NOHOST },
	[FAIL_NULL_MX] = { "null_mx", VERDICT_REJECTED, EXIT_NOHOST },
	[FAIL_NO_ADDRESS] = { "no_address", VERDICT_REJECTED, EXIT_NOHOST },
	[FAIL_SERVFAIL] = { "servfail", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_DNS_TIMEOUT] = { "dns_timeout", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_DNS_ERROR] = { "dns_error", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_SMTPUTF8] = { "smtputf8", VERDICT_REJECTED, EXIT_UNAVAILABLE },
	[FAIL_INVALID_ADDRESS] = { "invalid_address", VERDICT_ERROR, EXIT_DATAERR },
	[FAIL_INTERNAL] = { "internal", VERDICT_ERROR, EXIT_SOFTWARE },
	[FAIL_TLS] = { "tls", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_TLS_VERIFY] = { "tls_verify", VERDICT_REJECTED, EXIT_UNAVAILABLE },
	[FAIL_STARTTLS_MISSING] = { "starttls_missing", VERDICT_REJECTED, EXIT_UNAVAILABLE },
	[FAIL_AUTH_CLEARTEXT] = { "auth_cleartext", VERDICT_ERROR, EXIT_UNAVAILABLE },
	[FAIL_AUTH_UNVERIFIED] = { "auth_unverified", VERDICT_ERROR, EXIT_UNAVAILABLE },
	[FAIL_AUTH_UNSUPPORTED] = { "auth_unsupported", VERDICT_REJECTED, EXIT_UNAVAILABLE },
	[FAIL_PROXY] = { "proxy", VERDICT_TEMPFAIL, EXIT_TEMPFAIL },
	[FAIL_SIZE_EXCEEDED] = { "size_exceeded", VERDICT_REJECTED, EXIT_NOPERM },
	[FAIL_NOT_PROBED] = { "not_probed", VERDICT_ERROR, EXIT_TEMPFAIL },
};

/*
 * A permanent refusal, by whom it blames. Only the recipient's mailbox is
 * EX_NOUSER: a script that deletes addresses on 67 must never delete one
 * because this client was blocked or its sender refused (EX_NOPERM: the
 * server refuses us, not the address).
 */
static const int exit_by_blame[BLAME_COUNT] = {
	[BLAME_UNKNOWN] = EXIT_UNAVAILABLE,
	[BLAME_NONE] = EXIT_UNAVAILABLE,
	[BLAME_RECIPIENT] = EXIT_NOUSER,
	[BLAME_SENDER] = EXIT_NOPERM,
	[BLAME_CLIENT] = EXIT_NOPERM,
	[BLAME_POLICY] = EXIT_NOPERM,
	[BLAME_SERVER] = EXIT_UNAVAILABLE,
	[BLAME_NETWORK] = EXIT_UNAVAILABLE,
	[BLAME_DNS] = EXIT_NOHOST,
	[BLAME_LOCAL] = EXIT_UNAVAILABLE,
};

static const struct {
	const char *name;
	const char *label;
} blames[BLAME_COUNT] = {
	[BLAME_UNKNOWN] = { "unknown", N_("not known (only the reply code is)") },
	[BLAME_NONE] = { "none", N_("nobody") },
	[BLAME_RECIPIENT] = { "recipient", N_("the recipient's mailbox") },
	[BLAME_SENDER] = { "sender", N_("the sender address (MAIL FROM)") },
	[BLAME_CLIENT] = { "client", N_("this client (its IP, name or HELO)") },
	[BLAME_POLICY] = { "policy", N_("the server's policy") },
	[BLAME_SERVER] = { "server", N_("the remote server") },
	[BLAME_NETWORK] = { "network", N_("the network") },
	[BLAME_DNS] = { "dns", N_("DNS") },
	[BLAME_LOCAL] = { "local", N_("this machine or smtpprobe's options") },
};

static const struct {
	const char *name;
	const char *label;
} mailboxes[MAILBOX_COUNT] = {
	[MAILBOX_UNKNOWN] = { "unknown", N_("not known (no verdict on it)") },
	[MAILBOX_EXISTS] = { "exists", N_("exists (a made-up address of the domain is refused)") },
	[MAILBOX_NOT_FOUND] = { "not_found", N_("not found") },
	[MAILBOX_DISABLED] = { "disabled", N_("disabled") },
	[MAILBOX_FULL] = { "full", N_("full") },
	[MAILBOX_UNVERIFIABLE] = { "unverifiable", N_("unverifiable: accepted, but that does not prove it exists") },
};

static const char *const verdicts[] = {
	[VERDICT_ACCEPTED] = "accepted",
	[VERDICT_REJECTED] = "rejected",
	[VERDICT_TEMPFAIL] = "tempfail",
	[VERDICT_ERROR] = "error",
};

/* Most severe first; see docs/output.md for why. */
static const int severity[] = {
	EXIT_SOFTWARE, EXIT_IOERR, EXIT_USAGE, EXIT_DATAERR, EXIT_NOHOST, EXIT_UNAVAILABLE, EXIT_NOPERM,
	EXIT_PROTOCOL, EXIT_NOUSER, EXIT_TEMPFAIL, EXIT_UNVERIFIED, EXIT_OK_,
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

const char *blame_name(enum blame b)
{
	return (unsigned)b < BLAME_COUNT ? blames[b].name : "unknown";
}

const char *blame_label(enum blame b)
{
	return (unsigned)b < BLAME_COUNT ? blames[b].label : blames[BLAME_UNKNOWN].label;
}

const char *mailbox_name(enum mailbox m)
{
	return (unsigned)m < MAILBOX_COUNT ? mailboxes[m].name : "unknown";
}

const char *mailbox_label(enum mailbox m)
{
	return (unsigned)m < MAILBOX_COUNT ? mailboxes[m].label : mailboxes[MAILBOX_UNKNOWN].label;
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

int result_exit_status(enum failure f, enum blame b, enum mailbox m, bool require_mailbox)
{
	if ((unsigned)f >= FAIL_COUNT || (unsigned)b >= BLAME_COUNT)
		return EXIT_SOFTWARE;
	if (f == FAIL_REJECTED)
		return exit_by_blame[b];
	if (f == FAIL_NONE && require_mailbox && m != MAILBOX_EXISTS)
		return EXIT_UNVERIFIED;
	return failures[f].exit;
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
