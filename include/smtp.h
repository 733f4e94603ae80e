/*
 * smtp.h - the SMTP client walk as an explicit state machine, with no I/O.
 *
 * The caller owns the connection: it feeds bytes that arrived
 * (smtp_feed), end of stream (smtp_eof) and expired deadlines
 * (smtp_timeout), and writes what smtp_output() hands it. The session
 * decides; it never prints and never touches a socket, so unit tests drive
 * it from memory and the same code runs over TCP and, later, TLS.
 *
 * The walk: greeting -> EHLO (HELO when EHLO is refused) -> [STARTTLS ->
 * TLS handshake (done by the caller) -> EHLO] -> [AUTH] -> MAIL FROM ->
 * RCPT TO for each recipient -> QUIT. With PIPELINING the envelope goes
 * in groups (RFC 2920): MAIL FROM, the RCPTs and QUIT in one flight.
 * Replies are matched with the commands in the order they were sent; a
 * reply that arrives before its command was written is a protocol error.
 * The commands it can send are a closed table: DATA and BDAT are not in
 * it, so no message can ever be delivered.
 */
#ifndef SMTPPROBE_SMTP_H
#define SMTPPROBE_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ehlo.h"
#include "reply.h"
#include "result.h"

enum smtp_state {
	SMTP_BANNER,   /* waiting for the greeting */
	SMTP_EHLO,     /* EHLO sent */
	SMTP_HELO,     /* HELO sent after EHLO was refused */
	SMTP_STARTTLS, /* STARTTLS sent */
	SMTP_TLS,      /* the caller runs the handshake, then calls smtp_tls_done() */
	SMTP_AUTH,     /* AUTH (or an AUTH continuation line) sent */
	SMTP_MAIL,     /* MAIL FROM sent */
	SMTP_RCPT,     /* RCPT TO commands sent, in groups; replies awaited */
	SMTP_QUIT,     /* QUIT sent */
	SMTP_DONE,     /* the caller closes the connection */
	SMTP_STATE_COUNT
};

struct smtp_params {
	const char *helo;        /* EHLO/HELO argument, already validated */
	const char *mail_from;   /* "" for the null reverse-path <> */
	const char *rcpt_to;     /* one recipient (local@domain, A-label domain), when rcpts is NULL */
	const char *const *rcpts; /* the recipients of this session, in order */
	int nrcpts;
	int error_budget;        /* refused RCPTs after which the session stops (0: SMTP_ERROR_BUDGET) */
	bool need_smtputf8;      /* an address has a UTF-8 local part */
	uint64_t size;           /* SIZE=N when advertised; 0 = do not send */
	int tls_mode;            /* enum tls_mode */
	bool tls_active;         /* implicit TLS: the handshake is already done */
	const char *auth_user;   /* NULL: no AUTH */
	const char *auth_secret; /* copied and wiped by the session */
	int auth_mech;           /* enum auth_mech forced by --auth-mech, or AUTH_NONE */
	bool allow_plaintext_auth;
	bool allow_unverified_auth; /* AUTH over TLS whose certificate did not verify */
	bool tls_verified;       /* implicit TLS: the chain and the name verified */
	const char *catch_all_rcpt; /* a made-up recipient, sent after the first one; NULL: none */
};

enum smtp_event_type {
	SMTP_EV_SENT,      /* line: a command line written (without CRLF) */
	SMTP_EV_RECEIVED,  /* line: a reply line read */
	SMTP_EV_STATE,     /* from -> to */
	SMTP_EV_NOTE,      /* msg: an anomaly, in words */
};

struct smtp_event {
	enum smtp_event_type type;
	const char *line;
	size_t len;
	const struct msg *msg;
	enum smtp_state from, to;
};

typedef void (*smtp_event_fn)(void *ctx, const struct smtp_event *ev);

/* Where and why the walk ended, with the reply that decided it. */
struct smtp_outcome {
	enum step step;
	enum failure failure;   /* FAIL_NONE: RCPT accepted */
	bool have_reply;
	struct reply reply;
	struct msg detail;      /* what happened, when a reply does not say it all */
	enum catch_all catch_all; /* its reply is kept whatever it was */
	struct reply catch_all_reply;
	bool cut;               /* recipients were left unanswered: 421, or the error budget spent */
	bool closing;           /* ... because the server said 421 */
};

/* What became of one recipient. */
struct smtp_rcpt {
	bool sent;
	bool answered;          /* reply holds its answer */
	bool deferred;          /* "too many recipients": to be sent in a new transaction */
	struct reply reply;
	/* Sent, never answered: how the session ended under it (closed, timeout, 421...). */
	enum failure lost;      /* FAIL_NONE when not lost; the words: smtp_lost_detail() */
	struct reply lost_reply; /* the 421 that closed the session; code 0 otherwise */
};

/*
 * Refused recipients per session, below the limits servers enforce
 * (Postfix: smtpd_soft_error_limit 10 delays, smtpd_hard_error_limit 20
 * disconnects): a new session takes the rest.
 */
#define SMTP_ERROR_BUDGET 8

struct smtp_session;

/* The greeting is awaited at once. */
struct smtp_session *smtp_new(const struct smtp_params *p, smtp_event_fn fn, void *ctx);
void smtp_free(struct smtp_session *s);

void smtp_feed(struct smtp_session *s, const char *data, size_t len);
/* In SMTP_TLS: the handshake's outcome (FAIL_NONE, FAIL_TLS or FAIL_TLS_VERIFY). */
void smtp_tls_done(struct smtp_session *s, enum failure f, const struct msg *detail);
/* How the session ended under the recipients it lost (one for all of them: a msg is 1 KB). */
const struct msg *smtp_lost_detail(const struct smtp_session *s);
/* Recipient i of the caller's list (0..nrcpts-1). */
const struct smtp_rcpt *smtp_rcpt_result(const struct smtp_session *s, int i);
/* MAIL FROM was accepted: the recipients' answers are theirs. */
bool smtp_mail_accepted(const struct smtp_session *s);
/* Before smtp_tls_done(FAIL_NONE): whether the certificate verified (AUTH depends on it). */
void smtp_set_tls_verified(struct smtp_session *s, bool verified);
/* Whether the first EHLO advertised STARTTLS (the one after TLS must not). */
bool smtp_starttls_offered(const struct smtp_session *s);
void smtp_eof(struct smtp_session *s);
void smtp_timeout(struct smtp_session *s);
/* End the walk at the current step with failure f (I/O errors, deadlines) and why. */
void smtp_abort(struct smtp_session *s, enum failure f, const struct msg *why);

/* Bytes waiting to be written; mark what was written with smtp_output_done. */
const char *smtp_output(const struct smtp_session *s, size_t *len);
void smtp_output_done(struct smtp_session *s, size_t n);

enum smtp_state smtp_state(const struct smtp_session *s);
const char *smtp_state_name(enum smtp_state st);
/* The step a state belongs to, to pick its timeout and to name failures. */
enum step smtp_state_step(enum smtp_state st);

bool smtp_finished(const struct smtp_session *s);     /* outcome known */
const struct smtp_outcome *smtp_outcome(const struct smtp_session *s);
/* NULL until an EHLO or HELO succeeded. */
const struct ehlo_caps *smtp_caps(const struct smtp_session *s);
/* Whether the session is encrypted now. */
bool smtp_tls_active(const struct smtp_session *s);
/* The AUTH mechanism used, or AUTH_NONE. */
int smtp_auth_mech(const struct smtp_session *s);

#endif
