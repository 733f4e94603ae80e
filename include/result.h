/*
 * result.h - the one error vocabulary: step (where) + failure class (why) +
 * the server's reply (evidence), and the single mapping to verdicts and
 * exit statuses. Names here are the JSON and exit-status contract of
 * docs/output.md: they never change once published.
 */
#ifndef SMTPPROBE_RESULT_H
#define SMTPPROBE_RESULT_H

#include <stdbool.h>

enum step {
	STEP_NONE = 0,
	STEP_INPUT,
	STEP_DNS,
	STEP_CONNECT,
	STEP_BANNER,
	STEP_EHLO,
	STEP_HELO,
	STEP_STARTTLS,
	STEP_TLS,
	STEP_AUTH,
	STEP_MAIL,
	STEP_RCPT,
	STEP_RSET,
	STEP_QUIT,
	STEP_COUNT
};

enum failure {
	FAIL_NONE = 0,
	FAIL_REJECTED,
	FAIL_TEMPFAIL,
	FAIL_TIMEOUT,
	FAIL_REFUSED,
	FAIL_UNREACHABLE,
	FAIL_CLOSED,
	FAIL_PROTOCOL,
	FAIL_NXDOMAIN,
	FAIL_NULL_MX,
	FAIL_NO_ADDRESS,
	FAIL_SERVFAIL,
	FAIL_DNS_TIMEOUT,
	FAIL_DNS_ERROR,
	FAIL_SMTPUTF8,
	FAIL_INVALID_ADDRESS,
	FAIL_INTERNAL,
	FAIL_TLS,               /* the TLS handshake failed */
	FAIL_TLS_VERIFY,        /* --tls-verify: chain or name not verified */
	FAIL_STARTTLS_MISSING,  /* --tls required: no STARTTLS offered */
	FAIL_AUTH_CLEARTEXT,    /* AUTH asked for, but the session is not encrypted */
	FAIL_AUTH_UNSUPPORTED,  /* no AUTH mechanism in common */
	FAIL_PROXY,             /* the SOCKS5 proxy failed or refused */
	FAIL_COUNT
};

enum verdict {
	VERDICT_ACCEPTED = 0,
	VERDICT_REJECTED,
	VERDICT_TEMPFAIL,
	VERDICT_ERROR,
};

/* sysexits.h values, spelled out so the contract is visible here. */
enum exit_status {
	EXIT_OK_ = 0,
	EXIT_USAGE = 64,
	EXIT_NOUSER = 67,
	EXIT_NOHOST = 68,
	EXIT_UNAVAILABLE = 69,
	EXIT_SOFTWARE = 70,
	EXIT_TEMPFAIL = 75,
	EXIT_PROTOCOL = 76,
};

const char *step_name(enum step s);          /* "rcpt"; "" for STEP_NONE */
const char *step_label(enum step s);         /* "RCPT TO", for people */
const char *failure_name(enum failure f);    /* "nxdomain" */
const char *verdict_name(enum verdict v);    /* "accepted" */
enum verdict failure_verdict(enum failure f);
/* Failure class for an SMTP reply code at a step: 2xx none, 4xx tempfail, 5xx rejected. */
enum failure failure_from_code(int code);

/* The only place that maps an outcome to an exit status. */
int result_exit_status(enum step step, enum failure f);
/* Combine two statuses: the more severe one wins (order in docs/output.md). */
int result_exit_combine(int a, int b);

#endif
