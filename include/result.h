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
	FAIL_AUTH_UNVERIFIED,   /* AUTH asked for, but the certificate did not verify */
	FAIL_AUTH_UNSUPPORTED,  /* no AUTH mechanism in common */
	FAIL_PROXY,             /* the SOCKS5 proxy failed or refused */
	FAIL_SIZE_EXCEEDED,     /* --size is above the SIZE the server advertised */
	FAIL_NOT_PROBED,        /* the run stopped (interrupted) before this address had a result */
	FAIL_COUNT
};

/*
 * Who caused the outcome. The step says where it happened, the failure
 * class how; blame says whose side has to act. A 5xx at RCPT TO blamed on
 * the client (a blocklist) says nothing about the mailbox.
 */
enum blame {
	BLAME_UNKNOWN = 0,      /* only the code class is known: no rule could tell */
	BLAME_NONE,             /* nothing failed */
	BLAME_RECIPIENT,        /* the recipient's mailbox or address */
	BLAME_SENDER,           /* the MAIL FROM address or its domain */
	BLAME_CLIENT,           /* this host: its IP, reverse DNS, HELO, a blocklist, its rate */
	BLAME_POLICY,           /* the server's rules: SPF/DMARC, TLS or AUTH required, size, greylisting */
	BLAME_SERVER,           /* a fault, limit or misconfiguration of the remote side */
	BLAME_NETWORK,          /* no route, refused or silent connections */
	BLAME_DNS,              /* the domain's DNS or the resolver */
	BLAME_LOCAL,            /* smtpprobe's own resources, options or input */
	BLAME_COUNT
};

/* What is known about the recipient's mailbox. */
enum mailbox {
	MAILBOX_UNKNOWN = 0,    /* the walk never got a verdict on the mailbox */
	MAILBOX_EXISTS,         /* accepted, and the domain refuses made-up addresses */
	MAILBOX_NOT_FOUND,
	MAILBOX_DISABLED,
	MAILBOX_FULL,
	MAILBOX_UNVERIFIABLE,   /* accepted, but so would any address be (catch-all, 252) */
	MAILBOX_COUNT
};

/* Whether the domain accepts any address: a made-up one was tried after an accepted RCPT. */
enum catch_all {
	CATCH_ALL_UNTESTED = -1,     /* not tried (refused recipient, --no-catch-all) */
	CATCH_ALL_NO = 0,            /* the made-up address was refused (5xx) */
	CATCH_ALL_YES = 1,           /* the made-up address was accepted too */
	CATCH_ALL_UNKNOWN = 2,       /* tried, but a temporary refusal or no answer: cannot tell */
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
	/*
	 * --expect: a result differs from its expectation; audit: a check
	 * failed. Outside sysexits on purpose, as test runners (make check,
	 * pytest, prove) say "a test failed": a pipeline tells it from
	 * "smtpprobe could not run" (64, 70, 74, 130, 143). Nothing else exits 1.
	 */
	EXIT_EXPECT_FAILED = 1,
	EXIT_USAGE = 64,             /* bad options */
	EXIT_DATAERR = 65,           /* bad data in the input: an address that does not parse, not a bounce */
	EXIT_NOINPUT = 66,           /* explain: a FILE that cannot be opened or read */
	EXIT_NOUSER = 67,
	EXIT_NOHOST = 68,
	EXIT_UNAVAILABLE = 69,
	EXIT_SOFTWARE = 70,
	EXIT_IOERR = 74,        /* the input could not be read or the output not written */
	EXIT_TEMPFAIL = 75,
	EXIT_PROTOCOL = 76,
	EXIT_NOPERM = 77,
	/* Beyond sysexits (64-78): only with --require-mailbox, for an unverifiable acceptance. */
	EXIT_UNVERIFIED = 79,
};

const char *step_name(enum step s);          /* "rcpt"; "" for STEP_NONE */
const char *step_label(enum step s);         /* "RCPT TO", for people */
const char *failure_name(enum failure f);    /* "nxdomain" */
const char *verdict_name(enum verdict v);    /* "accepted" */
const char *blame_name(enum blame b);        /* "recipient"; "unknown" */
const char *blame_label(enum blame b);       /* English, for people: "the recipient's mailbox" */
const char *mailbox_name(enum mailbox m);    /* "not_found"; "unknown" */
const char *mailbox_label(enum mailbox m);   /* English, for people */
enum verdict failure_verdict(enum failure f);
/* Failure class for an SMTP reply code at a step: 2xx none, 4xx tempfail, 5xx rejected. */
enum failure failure_from_code(int code);

/*
 * The only place that maps an outcome to an exit status. A permanent
 * refusal is 67 only when it blames the recipient; refusals of this client,
 * its sender or by policy are 77; other ones 69. require_mailbox
 * (--require-mailbox) makes an unverifiable acceptance 79.
 */
int result_exit_status(enum failure f, enum blame b, enum mailbox m, bool require_mailbox);
/* Combine two statuses: the more severe one wins (order in docs/output.md). */
int result_exit_combine(int a, int b);

#endif
