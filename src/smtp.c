/* smtp.c - the SMTP client state machine (see smtp.h). */
#include "smtp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "i18n.h"
#include "mem.h"
#include "tls.h"

/*
 * The closed set of commands the walk can send. There is deliberately no
 * DATA, BDAT or free-form command: delivering a message is impossible by
 * construction, not by a check someone could forget.
 */
enum smtp_cmd {
	CMD_NONE,
	CMD_EHLO,
	CMD_HELO,
	CMD_STARTTLS,
	CMD_AUTH,  /* the line prepared in auth_line: AUTH or a continuation */
	CMD_MAIL,
	CMD_RCPT,  /* the recipient at the send position the caller gives */
	CMD_QUIT,
};

static const struct {
	const char *name;
	enum step step;
	enum smtp_cmd cmd; /* sent on entering the state */
} states[SMTP_STATE_COUNT] = {
	[SMTP_BANNER] = { "BANNER", STEP_BANNER, CMD_NONE },
	[SMTP_EHLO] = { "EHLO", STEP_EHLO, CMD_EHLO },
	[SMTP_HELO] = { "HELO", STEP_HELO, CMD_HELO },
	[SMTP_STARTTLS] = { "STARTTLS", STEP_STARTTLS, CMD_STARTTLS },
	[SMTP_TLS] = { "TLS", STEP_TLS, CMD_NONE },
	[SMTP_AUTH] = { "AUTH", STEP_AUTH, CMD_AUTH },
	[SMTP_MAIL] = { "MAIL", STEP_MAIL, CMD_MAIL },
	/* RCPT TO commands go out in groups (send_group), not on entry. */
	[SMTP_RCPT] = { "RCPT", STEP_RCPT, CMD_NONE },
	[SMTP_QUIT] = { "QUIT", STEP_QUIT, CMD_QUIT },
	[SMTP_DONE] = { "DONE", STEP_NONE, CMD_NONE },
};

/* A command written (or queued) whose reply is awaited, in order (RFC 2920). */
struct pending {
	enum smtp_cmd cmd;
	int pos;                 /* CMD_RCPT: the send position */
	uint64_t end;            /* the output offset just after the command */
};

struct smtp_session {
	char *helo;
	char *mail_from;
	/*
	 * The recipients in the order they are sent: the caller's, with the
	 * made-up catch-all address second (right after the first real one).
	 */
	char **order;
	int *order_idx;          /* the caller's index of each position; -1: the made-up one */
	int norder;
	int catch_all_pos;       /* position of the made-up address, -1 when none */
	struct smtp_rcpt *rcpt;  /* by the caller's index, the made-up one last */
	bool any_accepted;       /* a real recipient was accepted */
	int accepted;            /* RCPTs accepted in this transaction (a full one has some) */
	int next_pos;            /* the next position to send */
	int group_last;          /* the size of the last group sent */
	int errors;              /* refused RCPTs in this session */
	int surprises;           /* ... not counting the made-up address, whose refusal is expected */
	int error_budget;
	int rcpt_max;
	bool stop_sending;       /* 452 too many recipients, or the budget is spent */
	bool mail_refused;
	bool mail_accepted;
	enum failure end_failure; /* why the session ended early: FAIL_NONE when it did not */
	struct msg end_detail;
	struct reply end_reply;
	struct pending *pending;
	int npending, pending_head, pending_cap;
	uint64_t out_total;      /* octets ever queued */
	uint64_t out_written;    /* octets the caller wrote */
	bool need_smtputf8;
	uint64_t size;
	enum tls_mode tls_mode;
	bool tls_active;
	bool tls_declined;       /* auto mode: STARTTLS refused, carry on in clear */
	char *auth_user;
	char *auth_secret;       /* wiped in smtp_free */
	enum auth_mech auth_forced;
	enum auth_mech auth_mech;
	bool allow_plaintext_auth;
	bool authenticated;
	bool auth_cancelled;
	bool quit_sent;
	bool pipelining;         /* the server offers it: envelope commands go in groups */
	int auth_step;           /* 334 challenges answered */
	struct strbuf auth_line; /* the next AUTH line, wiped after sending */
	struct strbuf auth_redacted;
	struct strbuf forms[AUTH_FORMS_MAX]; /* the secret as a server could echo it */
	int nforms;
	bool tls_verified;       /* the certificate chain and the host name verified */
	bool allow_unverified_auth;
	enum step hello_step;    /* EHLO or HELO: where the capabilities came from */
	bool starttls_offered;   /* by an EHLO before TLS */

	enum smtp_state state;
	struct reply_reader rr;
	struct strbuf in;
	struct strbuf out;

	bool finished;
	struct smtp_outcome outcome;
	bool have_caps;
	struct ehlo_caps caps;
	unsigned notes;

	smtp_event_fn fn;
	void *ctx;
};

const char *smtp_state_name(enum smtp_state st)
{
	return (unsigned)st < SMTP_STATE_COUNT ? states[st].name : "?";
}

enum step smtp_state_step(enum smtp_state st)
{
	return (unsigned)st < SMTP_STATE_COUNT ? states[st].step : STEP_NONE;
}

static void emit(struct smtp_session *s, enum smtp_event_type type, const char *line, size_t len)
{
	if (!s->fn)
		return;
	struct smtp_event ev = { .type = type, .line = line, .len = len, .from = s->state, .to = s->state };
	s->fn(s->ctx, &ev);
}

/*
 * A server that echoes what it received ("535 5.7.8 decoded |alice|...")
 * would put the secret into reports and transcripts: every form of it is
 * replaced before anything leaves the session.
 */
static void redact(const struct smtp_session *s, const char *in, size_t len, struct strbuf *out)
{
	static const char mark[] = "<redacted>";
	size_t i = 0;
	while (i < len) {
		bool hit = false;
		for (int f = 0; f < s->nforms && !hit; f++) {
			const struct strbuf *form = &s->forms[f];
			if (form->len && form->len <= len - i && memcmp(in + i, form->data, form->len) == 0) {
				strbuf_puts(out, mark);
				i += form->len;
				hit = true;
			}
		}
		if (!hit)
			strbuf_putc(out, in[i++]);
	}
}

static bool reveals(const struct smtp_session *s, const char *in, size_t len)
{
	for (int f = 0; f < s->nforms; f++)
		if (s->forms[f].len && memmem(in, len, s->forms[f].data, s->forms[f].len))
			return true;
	return false;
}

static void on_reply_line(void *ctx, const char *line, size_t len)
{
	struct smtp_session *s = ctx;
	if (!reveals(s, line, len)) {
		emit(s, SMTP_EV_RECEIVED, line, len);
		return;
	}
	struct strbuf safe = STRBUF_INIT;
	redact(s, line, len, &safe);
	emit(s, SMTP_EV_RECEIVED, safe.data, safe.len);
	strbuf_free(&safe);
}

/* The reply's text and any message made of it, without the secret. */
static void redact_reply(struct smtp_session *s, struct reply *r)
{
	if (!reveals(s, strbuf_str(&r->text), r->text.len))
		return;
	struct strbuf safe = STRBUF_INIT;
	redact(s, strbuf_str(&r->text), r->text.len, &safe);
	auth_wipe(&r->text);
	r->text = safe;
}

static void redact_msg(struct smtp_session *s, struct msg *m)
{
	for (int i = 0; i < m->nargs; i++) {
		struct msg_arg *a = &m->args[i];
		if (a->kind != 's' || !reveals(s, a->s, strlen(a->s)))
			continue;
		struct strbuf safe = STRBUF_INIT;
		redact(s, a->s, strlen(a->s), &safe);
		snprintf(a->s, sizeof a->s, "%s", strbuf_str(&safe));
		strbuf_free(&safe);
	}
}

/* The result slot of a send position. */
static int slot(const struct smtp_session *s, int pos)
{
	int i = s->order_idx[pos];
	return i < 0 ? s->norder - 1 : i;
}

/* Queue the wire bytes of a command and remember that its reply is owed. */
static void queue(struct smtp_session *s, enum smtp_cmd cmd, int pos, const char *data, size_t len)
{
	strbuf_append(&s->out, data, len);
	strbuf_append(&s->out, "\r\n", 2);
	s->out_total += len + 2;
	if (s->npending == s->pending_cap) {
		int cap = s->pending_cap ? s->pending_cap * 2 : 16;
		struct pending *p = xreallocarray(NULL, (size_t)cap, sizeof *p);
		for (int i = 0; i < s->npending; i++)
			p[i] = s->pending[(s->pending_head + i) % s->pending_cap];
		free(s->pending);
		s->pending = p;
		s->pending_cap = cap;
		s->pending_head = 0;
	}
	s->pending[(s->pending_head + s->npending++) % s->pending_cap] = (struct pending){ cmd, pos, s->out_total };
}

/* Build the command for cmd into the output buffer; pos is the recipient's for CMD_RCPT. */
static void send_command_at(struct smtp_session *s, enum smtp_cmd cmd, int pos)
{
	struct strbuf line = STRBUF_INIT;
	switch (cmd) {
	case CMD_NONE:
		return;
	case CMD_EHLO:
		strbuf_printf(&line, "EHLO %s", s->helo);
		break;
	case CMD_HELO:
		strbuf_printf(&line, "HELO %s", s->helo);
		break;
	case CMD_MAIL:
		strbuf_printf(&line, "MAIL FROM:<%s>", s->mail_from);
		if (s->size && (s->caps.ext & EHLO_SIZE))
			strbuf_printf(&line, " SIZE=%" PRIu64, s->size);
		if (s->need_smtputf8)
			strbuf_puts(&line, " SMTPUTF8");
		break;
	case CMD_STARTTLS:
		strbuf_puts(&line, "STARTTLS");
		break;
	case CMD_AUTH:
		/* The transcript gets the redacted form; only the wire sees the secret. */
		emit(s, SMTP_EV_SENT, s->auth_redacted.data, s->auth_redacted.len);
		queue(s, CMD_AUTH, -1, strbuf_str(&s->auth_line), s->auth_line.len);
		auth_wipe(&s->auth_line);
		strbuf_reset(&s->auth_redacted);
		return;
	case CMD_RCPT:
		strbuf_printf(&line, "RCPT TO:<%s>", s->order[pos]);
		s->rcpt[slot(s, pos)].sent = true;
		if (s->order_idx[pos] < 0)
			s->outcome.catch_all = CATCH_ALL_UNKNOWN;  /* until it answers */
		break;
	case CMD_QUIT:
		if (s->quit_sent)
			return; /* already pipelined behind the last RCPT */
		s->quit_sent = true;
		strbuf_puts(&line, "QUIT");
		break;
	}
	emit(s, SMTP_EV_SENT, line.data, line.len);
	queue(s, cmd, pos, line.data, line.len);
	strbuf_free(&line);
}

static void send_command(struct smtp_session *s, enum smtp_cmd cmd)
{
	send_command_at(s, cmd, -1);
}

/* RCPTs are outstanding: replies owed for recipients. */
static int rcpts_pending(const struct smtp_session *s)
{
	int n = 0;
	for (int i = 0; i < s->npending; i++)
		if (s->pending[(s->pending_head + i) % s->pending_cap].cmd == CMD_RCPT)
			n++;
	return n;
}

static void swap_positions(struct smtp_session *s, int a, int b)
{
	char *t = s->order[a];
	s->order[a] = s->order[b];
	s->order[b] = t;
	int i = s->order_idx[a];
	s->order_idx[a] = s->order_idx[b];
	s->order_idx[b] = i;
	if (s->catch_all_pos == a)
		s->catch_all_pos = b;
	else if (s->catch_all_pos == b)
		s->catch_all_pos = a;
}

static void group_done(struct smtp_session *s);

/*
 * The next group of RCPT TO commands. With PIPELINING they go out
 * together (RFC 2920). The first group holds as many as the error budget
 * allows in the worst case - every one refused - so the server's error
 * limit (Postfix: a delay after 10, a disconnect after 20) is not reached
 * on a list that starts badly. When that group came back clean (every
 * real recipient accepted; the made-up address of the catch-all check is
 * expected to be refused and does not count as a surprise), the rest of
 * the session's recipients go in one flight, as an MTA sends a whole
 * message's recipients at once: two envelope flights for 50 recipients.
 * The bet is that a list whose first recipients are good is mostly good;
 * when it is not, the server's limit may end the session (421) and the
 * unanswered recipients go to a new session, which starts from the budget
 * again (docs/batch.md has the figures). After a surprise, every group
 * holds what the budget still allows. Without PIPELINING, one at a time.
 * QUIT follows the group that sends the last recipient.
 */
static void send_group(struct smtp_session *s)
{
	int left = s->norder - s->next_pos;
	int budget = s->error_budget - s->errors;
	int n = 1;
	if (s->pipelining)
		n = s->surprises == 0 && s->group_last > 0 ? left : budget;
	if (n > left)
		n = left;
	if (n < 1)
		n = 1;
	/*
	 * One at a time, the made-up address is only worth a round trip once a
	 * real recipient was accepted: until then it waits behind the next
	 * real one, and is never sent when none was accepted.
	 */
	if (!s->pipelining && s->next_pos == s->catch_all_pos && !s->any_accepted) {
		if (s->next_pos + 1 >= s->norder) {
			s->next_pos++;
			s->catch_all_pos = -1;
			group_done(s);
			return;
		}
		swap_positions(s, s->next_pos, s->next_pos + 1);
	}
	s->group_last = n;
	for (int i = 0; i < n; i++)
		send_command_at(s, CMD_RCPT, s->next_pos++);
	if (s->pipelining && s->next_pos >= s->norder)
		send_command(s, CMD_QUIT);
}

/*
 * With PIPELINING, before the first group: its real recipients are spread
 * evenly over the session (every R/g-th), the others follow in their own
 * order. The first group decides whether the rest goes in one flight
 * (send_group), so it must speak for the whole session: a list whose good
 * addresses come first and bad ones after (an old list with fresh entries
 * on top, a list sorted by something that tracks validity) would otherwise
 * pass the test and then spend the server's error limit in one flight. The
 * first recipient stays first, the made-up one right after it; a session
 * that fits in the first group keeps its order.
 */
static void spread_first_group(struct smtp_session *s)
{
	int real = s->norder - (s->catch_all_pos >= 0 ? 1 : 0);
	int g = s->error_budget - (s->catch_all_pos >= 0 ? 1 : 0);
	if (g < 1 || real <= g)
		return;
	char **order = xcalloc((size_t)s->norder, sizeof *order);
	int *idx = xcalloc((size_t)s->norder, sizeof *idx);
	int *reals = xcalloc((size_t)real, sizeof *reals);      /* positions of the real ones */
	bool *taken = xcalloc((size_t)real, sizeof *taken);
	for (int pos = 0, r = 0; pos < s->norder; pos++)
		if (pos != s->catch_all_pos)
			reals[r++] = pos;
	int out = 0;
	for (int k = 0; k < g; k++) {
		int r = (int)((long)k * real / g);
		taken[r] = true;
		order[out] = s->order[reals[r]];
		idx[out++] = s->order_idx[reals[r]];
		if (k == 0 && s->catch_all_pos >= 0) {
			order[out] = s->order[s->catch_all_pos];
			idx[out++] = -1;
		}
	}
	for (int r = 0; r < real; r++)
		if (!taken[r]) {
			order[out] = s->order[reals[r]];
			idx[out++] = s->order_idx[reals[r]];
		}
	if (s->catch_all_pos >= 0)
		s->catch_all_pos = 1;
	free(s->order);
	free(s->order_idx);
	s->order = order;
	s->order_idx = idx;
	free(reals);
	free(taken);
}

/* How the session ends, for the recipients sent and never answered (see smtp_enter). */
static void ending(struct smtp_session *s, enum failure f, const struct reply *r, const struct msg *why)
{
	if (s->end_failure != FAIL_NONE)
		return;
	s->end_failure = f;
	if (r)
		reply_copy(&s->end_reply, r);
	if (why)
		s->end_detail = *why;
}

static void mark_lost(struct smtp_session *s)
{
	for (int pos = 0; pos < s->norder; pos++) {
		struct smtp_rcpt *rc = &s->rcpt[slot(s, pos)];
		if (!rc->sent || rc->answered || rc->deferred)
			continue;
		rc->lost = s->end_failure != FAIL_NONE ? s->end_failure : FAIL_CLOSED;
		if (s->end_reply.code)
			reply_copy(&rc->lost_reply, &s->end_reply);
	}
}

/* The only function that changes state. Entering a state sends its command. */
static void smtp_enter(struct smtp_session *s, enum smtp_state next)
{
	if (next == SMTP_DONE && s->state != SMTP_DONE)
		mark_lost(s);
	if (s->fn) {
		struct smtp_event ev = { .type = SMTP_EV_STATE, .from = s->state, .to = next };
		s->fn(s->ctx, &ev);
	}
	s->state = next;
	send_command(s, states[next].cmd);
	/*
	 * With PIPELINING the recipients (and QUIT, when they are all in it)
	 * follow MAIL FROM in the same flight: EHLO, then one round trip for
	 * the whole envelope.
	 */
	if (next == SMTP_MAIL && s->pipelining) {
		if (s->next_pos == 0)
			spread_first_group(s);
		send_group(s);
	}
	else if (next == SMTP_RCPT && rcpts_pending(s) == 0)
		send_group(s);
}

/* Record the outcome; the first one decided is the one reported. */
static void finish(struct smtp_session *s, enum step step, enum failure f, const struct reply *r, const struct msg *detail)
{
	if (s->finished)
		return;
	s->finished = true;
	s->outcome.step = step;
	s->outcome.failure = f;
	if (r) {
		s->outcome.have_reply = true;
		reply_copy(&s->outcome.reply, r);
	}
	if (detail)
		s->outcome.detail = *detail;
}

/* A refusal at the current step: 421 means the server is closing, so no QUIT. */
static void refused(struct smtp_session *s, const struct reply *r)
{
	finish(s, states[s->state].step, failure_from_code(r->code), r, NULL);
	smtp_enter(s, r->code == 421 ? SMTP_DONE : SMTP_QUIT);
}

static void note_msg(struct smtp_session *s, const struct msg *m)
{
	if (!s->fn)
		return;
	struct smtp_event ev = { .type = SMTP_EV_NOTE, .msg = m, .from = s->state, .to = s->state };
	s->fn(s->ctx, &ev);
}

/* A note without arguments: text is N_()-marked English. */
static void note(struct smtp_session *s, const char *text)
{
	struct msg m;
	msg_set(&m, text, "");
	note_msg(s, &m);
}

/* finish() with a message that has no arguments. */
static void finish_text(struct smtp_session *s, enum step step, enum failure f, const struct reply *r, const char *text)
{
	struct msg m;
	msg_set(&m, text, "");
	finish(s, step, f, r, &m);
}

/* Prepare the AUTH command for the mechanism in common, or end the walk. */
static void start_auth(struct smtp_session *s)
{
	if (!s->tls_active && !s->allow_plaintext_auth) {
		finish_text(s, STEP_AUTH, FAIL_AUTH_CLEARTEXT, NULL,
		       N_("refusing to send credentials over an unencrypted connection (--allow-plaintext-auth overrides)"));
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	/*
	 * Encryption without authentication protects from eavesdroppers only:
	 * a man in the middle with any certificate would get the password.
	 */
	if (s->tls_active && !s->tls_verified && !s->allow_unverified_auth && !s->allow_plaintext_auth) {
		finish_text(s, STEP_AUTH, FAIL_AUTH_UNVERIFIED, NULL,
		       N_("refusing to send credentials: the server's certificate did not verify for its name (--allow-unverified-auth overrides)"));
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	s->auth_mech = auth_pick(s->caps.auth, s->auth_forced);
	if (s->auth_mech == AUTH_NONE) {
		struct msg detail;
		if (s->caps.auth[0])
			msg_set(&detail, N_("no usable AUTH mechanism (the server offers: %s)"), "s", s->caps.auth);
		else
			msg_set(&detail, N_("no usable AUTH mechanism (the server offers: none)"), "");
		finish(s, STEP_AUTH, FAIL_AUTH_UNSUPPORTED, NULL, &detail);
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	if (!auth_initial(s->auth_mech, s->auth_user, s->auth_secret, &s->auth_line, &s->auth_redacted)) {
		finish_text(s, STEP_AUTH, FAIL_INTERNAL, NULL, N_("the credentials cannot be encoded"));
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	smtp_enter(s, SMTP_AUTH);
}

/*
 * After a successful EHLO/HELO, TLS handshake or AUTH: the next thing the
 * walk needs - encryption first, then authentication, then the envelope.
 */
static void proceed(struct smtp_session *s)
{
	if (!s->tls_active && !s->tls_declined && s->tls_mode != TLS_NONE) {
		if (s->caps.ext & EHLO_STARTTLS) {
			smtp_enter(s, SMTP_STARTTLS);
			return;
		}
		if (s->tls_mode == TLS_REQUIRED) {
			finish_text(s, STEP_STARTTLS, FAIL_STARTTLS_MISSING, NULL, N_("the server does not offer STARTTLS"));
			smtp_enter(s, SMTP_QUIT);
			return;
		}
		s->tls_declined = true;
		note(s, N_("the server does not offer STARTTLS: the session continues in clear text"));
	}
	if (s->auth_user && !s->authenticated) {
		start_auth(s);
		return;
	}
	if (s->need_smtputf8 && !(s->caps.ext & EHLO_SMTPUTF8)) {
		finish_text(s, s->hello_step, FAIL_SMTPUTF8, NULL,
		       N_("the address needs SMTPUTF8 and the server does not offer it"));
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	/*
	 * A sending MTA does not offer a message above the advertised SIZE
	 * (RFC 1870 section 6): Postfix defers it locally. Some servers only
	 * check at DATA, which a probe never reaches, so this is the only place
	 * the refusal can be seen.
	 */
	if (s->size && (s->caps.ext & EHLO_SIZE) && s->caps.size > 0 && s->size > s->caps.size) {
		struct msg detail;
		msg_set(&detail, N_("the message size %d (--size) is above the server's limit of %d octets (SIZE)"), "uu",
		        s->size, (uint64_t)s->caps.size);
		finish(s, STEP_MAIL, FAIL_SIZE_EXCEEDED, NULL, &detail);
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	smtp_enter(s, SMTP_MAIL);
}

static void after_hello(struct smtp_session *s, const struct reply *r, bool helo_only)
{
	ehlo_parse(r, helo_only, &s->caps);
	s->have_caps = true;
	s->pipelining = (s->caps.ext & EHLO_PIPELINING) != 0;
	if (!s->tls_active && (s->caps.ext & EHLO_STARTTLS))
		s->starttls_offered = true;
	s->hello_step = states[s->state].step;
	proceed(s);
}

/*
 * Bytes behind the STARTTLS 220 were sent before encryption: believing them
 * would let an attacker inject replies (the classic STARTTLS flaw).
 */
static void starttls_injection(struct smtp_session *s)
{
	finish_text(s, STEP_STARTTLS, FAIL_PROTOCOL, NULL,
	       N_("the server sent data after its STARTTLS reply, before the handshake"));
	smtp_enter(s, SMTP_DONE);
}

static void on_starttls_reply(struct smtp_session *s, const struct reply *r)
{
	if (r->code / 100 == 2) {
		if (s->in.len > 0) {
			starttls_injection(s);
			return;
		}
		smtp_enter(s, SMTP_TLS);
		return;
	}
	if (s->tls_mode == TLS_REQUIRED || r->code == 421) {
		refused(s, r);
		return;
	}
	s->tls_declined = true;
	note(s, N_("the server refused STARTTLS: the session continues in clear text"));
	proceed(s);
}

static void on_auth_reply(struct smtp_session *s, const struct reply *r)
{
	if (s->auth_cancelled) {
		smtp_enter(s, SMTP_QUIT);
		return;
	}
	if (r->code / 100 == 2) {
		s->authenticated = true;
		proceed(s);
		return;
	}
	if (r->code != 334) {
		refused(s, r);
		return;
	}
	if (!auth_respond(s->auth_mech, s->auth_step++, strbuf_str(&r->text), r->text.len,
	                  s->auth_user, s->auth_secret, &s->auth_line, &s->auth_redacted)) {
		/* RFC 4954 4: "*" cancels; the server answers 501 and then hears QUIT. */
		finish_text(s, STEP_AUTH, FAIL_PROTOCOL, r, N_("unexpected AUTH challenge"));
		s->auth_cancelled = true;
		strbuf_reset(&s->auth_line);
		strbuf_puts(&s->auth_line, "*");
		strbuf_reset(&s->auth_redacted);
		strbuf_puts(&s->auth_redacted, "*");
		smtp_enter(s, SMTP_AUTH);
		return;
	}
	smtp_enter(s, SMTP_AUTH);
}

/* "452 4.5.3 Too many recipients": the transaction is full; the rest go to a new one. */
static bool too_many_recipients(const struct reply *r)
{
	if (r->code != 452 && r->code != 552)
		return false;
	if (strcmp(r->enhanced, "4.5.3") == 0 || strcmp(r->enhanced, "5.5.3") == 0)
		return true;
	return strcasestr(strbuf_str(&r->text), "too many recipients") != NULL;
}

/* After the replies of a group: the next group, or QUIT. */
static void group_done(struct smtp_session *s)
{
	if (s->state == SMTP_DONE || rcpts_pending(s) > 0)
		return;
	bool more = s->next_pos < s->norder && !s->stop_sending && !s->mail_refused;
	if (more && s->errors < s->error_budget) {
		send_group(s);
		return;
	}
	if (s->state != SMTP_QUIT)
		smtp_enter(s, SMTP_QUIT);
}

static void on_mail_reply(struct smtp_session *s, const struct reply *r)
{
	if (r->code / 100 == 2) {
		s->mail_accepted = true;
		smtp_enter(s, SMTP_RCPT);
		return;
	}
	/* Pipelined RCPTs are answered (503, "need MAIL") and ignored; QUIT follows them. */
	finish(s, STEP_MAIL, failure_from_code(r->code), r, NULL);
	s->mail_refused = true;
	if (r->code == 421) {
		ending(s, FAIL_TEMPFAIL, r, NULL);
		smtp_enter(s, SMTP_DONE);
		return;
	}
	s->state = SMTP_RCPT;  /* draining */
	group_done(s);
}

static void on_rcpt_reply(struct smtp_session *s, int pos, const struct reply *r)
{
	if (s->mail_refused) {
		group_done(s);
		return;
	}
	if (r->code == 421) {
		/* The server is closing: what it did not answer goes to a new session. */
		finish(s, STEP_RCPT, FAIL_TEMPFAIL, r, NULL);
		s->outcome.cut = true;
		s->outcome.closing = true;
		ending(s, FAIL_TEMPFAIL, r, NULL);
		smtp_enter(s, SMTP_DONE);
		return;
	}
	struct smtp_rcpt *rc = &s->rcpt[slot(s, pos)];
	/* With none accepted the transaction is not full: the reply is the recipient's own answer. */
	if (too_many_recipients(r) && s->accepted > 0) {
		s->stop_sending = true;
		rc->deferred = true;  /* not its answer: it goes to a new transaction */
		group_done(s);
		return;
	}
	rc->answered = true;
	reply_copy(&rc->reply, r);
	if (r->code / 100 == 2)
		s->accepted++;
	if (r->code / 100 != 2) {
		s->errors++;
		if (s->order_idx[pos] >= 0)
			s->surprises++;
	}
	if (s->order_idx[pos] < 0) {
		/* Only a definite answer counts: a 4xx says nothing about accept-all, but is kept. */
		s->outcome.catch_all = r->code / 100 == 4 ? CATCH_ALL_UNKNOWN : r->code / 100 == 2 ? CATCH_ALL_YES : CATCH_ALL_NO;
		reply_copy(&s->outcome.catch_all_reply, r);
	} else {
		if (r->code / 100 == 2)
			s->any_accepted = true;
		/* The first recipient's answer is the session's outcome (a single probe's result). */
		if (s->order_idx[pos] == 0)
			finish(s, STEP_RCPT, failure_from_code(r->code), r, NULL);
	}
	if (s->errors >= s->error_budget && s->next_pos < s->norder)
		s->outcome.cut = true;
	group_done(s);
}

/* Deciding: what a complete reply means in the current state. */
static void on_reply(struct smtp_session *s, const struct reply *r)
{
	bool ok = r->code / 100 == 2;

	switch (s->state) {
	case SMTP_BANNER:
		if (!ok)
			refused(s, r);
		else
			smtp_enter(s, SMTP_EHLO);
		break;
	case SMTP_MAIL:
		on_mail_reply(s, r);
		break;
	case SMTP_EHLO:
		if (ok)
			after_hello(s, r, false);
		else if (r->code / 100 == 5)
			smtp_enter(s, SMTP_HELO); /* RFC 5321 4.1.1.1: fall back for old servers */
		else
			refused(s, r);
		break;
	case SMTP_HELO:
		if (ok)
			after_hello(s, r, true);
		else
			refused(s, r);
		break;
	case SMTP_STARTTLS:
		on_starttls_reply(s, r);
		break;
	case SMTP_TLS:
		/* smtp_feed() never parses replies in this state; kept for -Wswitch. */
		starttls_injection(s);
		break;
	case SMTP_AUTH:
		on_auth_reply(s, r);
		break;
	case SMTP_RCPT:
		/* on_envelope_reply() takes every envelope reply; nothing arrives here. */
		break;
	case SMTP_QUIT:
	case SMTP_DONE:
	case SMTP_STATE_COUNT:
		smtp_enter(s, SMTP_DONE);
		break;
	}
}

static void take_notes(struct smtp_session *s, unsigned notes)
{
	unsigned fresh = notes & ~s->notes;
	s->notes |= notes;
	for (unsigned bit = 1; fresh; bit <<= 1) {
		if (!(fresh & bit))
			continue;
		fresh &= ~bit;
		note(s, reply_note_text((enum reply_note)bit));
	}
}

struct smtp_session *smtp_new(const struct smtp_params *p, smtp_event_fn fn, void *ctx)
{
	struct smtp_session *s = xcalloc(1, sizeof *s);
	s->helo = xstrdup(p->helo ? p->helo : "localhost");
	s->mail_from = xstrdup(p->mail_from ? p->mail_from : "");
	/* The recipients in sending order: the made-up one right after the first. */
	const char *const *rcpts = p->rcpts;
	int n = p->nrcpts;
	if (!rcpts) {
		rcpts = &p->rcpt_to;
		n = 1;
	}
	s->norder = n + (p->catch_all_rcpt ? 1 : 0);
	s->order = xcalloc((size_t)s->norder, sizeof *s->order);
	s->rcpt = xcalloc((size_t)s->norder, sizeof *s->rcpt);
	s->order_idx = xcalloc((size_t)s->norder, sizeof *s->order_idx);
	s->catch_all_pos = -1;
	for (int i = 0, pos = 0; i < n; i++) {
		s->order_idx[pos] = i;
		s->order[pos++] = xstrdup(rcpts[i] ? rcpts[i] : "");
		if (i == 0 && p->catch_all_rcpt) {
			s->catch_all_pos = pos;
			s->order_idx[pos] = -1;
			s->order[pos++] = xstrdup(p->catch_all_rcpt);
		}
	}
	s->error_budget = p->error_budget > 0 ? p->error_budget : SMTP_ERROR_BUDGET;
	s->need_smtputf8 = p->need_smtputf8;
	s->size = p->size;
	s->outcome.catch_all = CATCH_ALL_UNTESTED;
	s->tls_mode = (enum tls_mode)p->tls_mode;
	s->tls_active = p->tls_active;
	s->auth_forced = (enum auth_mech)p->auth_mech;
	s->allow_plaintext_auth = p->allow_plaintext_auth;
	s->allow_unverified_auth = p->allow_unverified_auth;
	s->tls_verified = p->tls_verified;
	if (p->auth_user) {
		s->auth_user = xstrdup(p->auth_user);
		s->auth_secret = xstrdup(p->auth_secret ? p->auth_secret : "");
		s->nforms = auth_secret_forms(s->auth_user, s->auth_secret, s->forms);
	}
	s->fn = fn;
	s->ctx = ctx;
	/*
	 * Room for the longest AUTH line (RFC 4954: 12288 octets) so it never
	 * moves, leaving no copy of the secret behind; only with AUTH (256
	 * sessions at once would hold 4 MB for nothing).
	 */
	if (s->auth_user)
		strbuf_reserve(&s->out, 16384);
	reply_reader_init(&s->rr);
	s->rr.on_line = on_reply_line;
	s->rr.ctx = s;
	s->state = SMTP_BANNER;
	return s;
}

void smtp_free(struct smtp_session *s)
{
	if (!s)
		return;
	free(s->helo);
	free(s->mail_from);
	for (int i = 0; i < s->norder; i++) {
		free(s->order[i]);
		reply_free(&s->rcpt[i].reply);
	}
	for (int i = 0; i < s->norder; i++)
		reply_free(&s->rcpt[i].lost_reply);
	reply_free(&s->end_reply);
	free(s->order);
	free(s->order_idx);
	free(s->rcpt);
	free(s->pending);
	reply_free(&s->outcome.catch_all_reply);
	free(s->auth_user);
	if (s->auth_secret) {
		OPENSSL_cleanse(s->auth_secret, strlen(s->auth_secret));
		free(s->auth_secret);
	}
	auth_wipe(&s->auth_line);
	auth_wipe(&s->out);
	for (int i = 0; i < s->nforms; i++)
		auth_wipe(&s->forms[i]);
	strbuf_free(&s->auth_redacted);
	reply_reader_free(&s->rr);
	reply_free(&s->outcome.reply);
	strbuf_free(&s->in);
	strbuf_free(&s->out);
	free(s);
}

/* A reply that answers nothing we sent: believing it would let a server (or an injector) make up results. */
static void unasked(struct smtp_session *s, const char *why)
{
	struct msg m;
	msg_set(&m, why, "");
	finish(s, states[s->state].step, FAIL_PROTOCOL, NULL, &m);
	ending(s, FAIL_PROTOCOL, NULL, &m);
	note_msg(s, &m);
	smtp_enter(s, SMTP_DONE);
}

/* Match a complete reply with the command it answers, in the order they were sent. */
static void dispatch(struct smtp_session *s, const struct reply *r)
{
	if (s->npending == 0) {
		if (s->state == SMTP_BANNER)
			on_reply(s, r);
		else
			unasked(s, N_("the server sent a reply that answers no command"));
		return;
	}
	struct pending p = s->pending[s->pending_head];
	if (p.end > s->out_written) {
		unasked(s, N_("the server answered a command before it was sent"));
		return;
	}
	s->pending_head = (s->pending_head + 1) % s->pending_cap;
	s->npending--;
	if (p.cmd == CMD_RCPT)
		on_rcpt_reply(s, p.pos, r);
	else if (p.cmd == CMD_QUIT)
		smtp_enter(s, SMTP_DONE);
	else
		on_reply(s, r);
}

void smtp_feed(struct smtp_session *s, const char *data, size_t len)
{
	if (s->state == SMTP_DONE)
		return;
	strbuf_append(&s->in, data, len);
	if (s->state == SMTP_TLS) {
		starttls_injection(s);
		return;
	}
	while (s->state != SMTP_DONE && s->state != SMTP_TLS && s->in.len > 0) {
		size_t used = 0;
		enum reply_status st = reply_reader_feed(&s->rr, s->in.data, s->in.len, &used);
		strbuf_consume(&s->in, used);
		take_notes(s, s->rr.reply.notes);
		if (st == REPLY_MORE)
			break;
		if (st == REPLY_BAD) {
			redact_msg(s, &s->rr.error);
			finish(s, states[s->state].step, FAIL_PROTOCOL, NULL, &s->rr.error);
			ending(s, FAIL_PROTOCOL, NULL, &s->rr.error);
			note_msg(s, &s->rr.error);
			smtp_enter(s, SMTP_DONE);
			break;
		}
		redact_reply(s, &s->rr.reply);
		dispatch(s, &s->rr.reply);
		reply_reader_next(&s->rr);
	}
}

void smtp_tls_done(struct smtp_session *s, enum failure f, const struct msg *detail)
{
	if (s->state != SMTP_TLS)
		return;
	if (f != FAIL_NONE) {
		finish(s, STEP_TLS, f, NULL, detail);
		smtp_enter(s, SMTP_DONE);
		return;
	}
	/* RFC 3207 4.2: forget what was learnt in clear text and ask again. */
	s->tls_active = true;
	s->have_caps = false;
	s->pipelining = false;
	memset(&s->caps, 0, sizeof s->caps);
	smtp_enter(s, SMTP_EHLO);
}

void smtp_eof(struct smtp_session *s)
{
	if (s->state == SMTP_DONE)
		return;
	struct msg m;
	msg_set(&m, N_("the server closed the connection"), "");
	finish(s, states[s->state].step, FAIL_CLOSED, NULL, &m);
	ending(s, FAIL_CLOSED, NULL, &m);
	smtp_enter(s, SMTP_DONE);
}

void smtp_abort(struct smtp_session *s, enum failure f, const struct msg *why)
{
	if (s->state == SMTP_DONE)
		return;
	finish(s, states[s->state].step, f, NULL, why);
	ending(s, f, NULL, why);
	smtp_enter(s, SMTP_DONE);
}

void smtp_set_tls_verified(struct smtp_session *s, bool verified)
{
	s->tls_verified = verified;
}

bool smtp_starttls_offered(const struct smtp_session *s)
{
	return s->starttls_offered;
}

void smtp_timeout(struct smtp_session *s)
{
	if (s->state == SMTP_DONE)
		return;
	struct msg m;
	msg_set(&m, N_("no reply from the server in time"), "");
	finish(s, states[s->state].step, FAIL_TIMEOUT, NULL, &m);
	ending(s, FAIL_TIMEOUT, NULL, &m);
	smtp_enter(s, SMTP_DONE);
}

const char *smtp_output(const struct smtp_session *s, size_t *len)
{
	*len = s->out.len;
	return strbuf_str(&s->out);
}

void smtp_output_done(struct smtp_session *s, size_t n)
{
	/* AUTH lines pass through here: leave no copy of them behind. */
	strbuf_consume_wipe(&s->out, n);
	s->out_written += n;
}

const struct msg *smtp_lost_detail(const struct smtp_session *s)
{
	return &s->end_detail;
}

const struct smtp_rcpt *smtp_rcpt_result(const struct smtp_session *s, int i)
{
	return &s->rcpt[i];
}

bool smtp_mail_accepted(const struct smtp_session *s)
{
	return s->mail_accepted && !s->mail_refused;
}

enum smtp_state smtp_state(const struct smtp_session *s)
{
	return s->state;
}

bool smtp_finished(const struct smtp_session *s)
{
	return s->finished;
}

const struct smtp_outcome *smtp_outcome(const struct smtp_session *s)
{
	return &s->outcome;
}

const struct ehlo_caps *smtp_caps(const struct smtp_session *s)
{
	return s->have_caps ? &s->caps : NULL;
}

bool smtp_tls_active(const struct smtp_session *s)
{
	return s->tls_active;
}

int smtp_auth_mech(const struct smtp_session *s)
{
	return s->authenticated ? (int)s->auth_mech : AUTH_NONE;
}
