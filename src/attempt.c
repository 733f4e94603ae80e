/* attempt.c - one connection: connect, SOCKS5, TLS, the SMTP I/O (see attempt.h). */
#include "attempt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "mem.h"
#include "tls.h"
#include "tls_session.h"

static void flush(struct attempt *a);
static void start_handshake(struct attempt *a);
static bool start_session(struct attempt *a, bool tls_active);
static void start_socks(struct attempt *a);
static void tunnel_ready(struct attempt *a, const char *early, size_t len);

/* What went wrong, before it has a class. */
enum attempt_event {
	EV_CONNECT,         /* connect() failed: err */
	EV_CONNECT_TIMEOUT,
	EV_PROXY,           /* the SOCKS5 proxy failed: reason */
	EV_TLS,             /* the handshake failed: reason */
	EV_TLS_TIMEOUT,
	EV_TLS_VERIFY,      /* --tls-verify: reason */
	EV_IO,              /* a read or write failed mid-session: reason, else err */
	EV_STEP_TIMEOUT,    /* no reply in time */
	EV_LOCAL,           /* this machine could not go on: err */
};

/* Resources of this machine, not faults of the network or the remote host. */
static bool local_errno(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS || err == EADDRNOTAVAIL;
}

/*
 * The one place an attempt's failure gets its class and its words: the
 * same event is the same class on plain TCP, after STARTTLS and with
 * implicit TLS alike.
 */
static enum failure classify(const struct attempt *a, enum attempt_event ev, int err, const char *reason,
                             struct msg *m)
{
	const struct probe_options *o = a->ap.o;
	if ((ev == EV_CONNECT || ev == EV_IO) && local_errno(err) && !(reason && reason[0]))
		ev = EV_LOCAL;
	switch (ev) {
	case EV_CONNECT:
		if (o->proxy) {
			/* It was the proxy that could not be reached, not the mail server. */
			msg_set(m, N_("cannot connect to the proxy %s:%d: %s"), "sde", o->proxy->host, o->proxy->port, err);
			return FAIL_PROXY;
		}
		if (err == ECONNREFUSED) {
			msg_set(m, N_("connection refused"), "");
			return FAIL_REFUSED;
		}
		if (err == ETIMEDOUT) {
			msg_set(m, N_("connection failed: %s"), "e", err);
			return FAIL_TIMEOUT;
		}
		msg_set(m, N_("connection failed: %s"), "e", err);
		return FAIL_UNREACHABLE;
	case EV_CONNECT_TIMEOUT:
		if (o->proxy) {
			msg_set(m, N_("connect timed out after %d s (through the proxy)"), "d", o->timeout_ms[STEP_CONNECT] / 1000);
			return FAIL_PROXY;
		}
		msg_set(m, N_("connect timed out after %d s"), "d", o->timeout_ms[STEP_CONNECT] / 1000);
		return FAIL_TIMEOUT;
	case EV_PROXY:
		*m = a->proxy_why;
		return FAIL_PROXY;
	case EV_TLS:
		msg_set(m, N_("TLS handshake failed: %s"), "s", reason);
		return FAIL_TLS;
	case EV_TLS_TIMEOUT:
		msg_set(m, N_("TLS handshake timed out after %d s"), "d", o->timeout_ms[STEP_TLS] / 1000);
		return FAIL_TLS;
	case EV_TLS_VERIFY:
		msg_set(m, "%s", "s", reason);
		return FAIL_TLS_VERIFY;
	case EV_IO:
		if (reason && reason[0])
			msg_set(m, N_("connection lost: %s"), "s", reason);
		else
			msg_set(m, N_("connection lost: %s"), "e", err);
		return FAIL_CLOSED;
	case EV_STEP_TIMEOUT: {
		enum step st = a->s ? smtp_state_step(smtp_state(a->s)) : STEP_BANNER;
		msg_set(m, N_("no reply to %s within %d s"), "td", step_label(st), o->timeout_ms[st] / 1000);
		return FAIL_TIMEOUT;
	}
	case EV_LOCAL:
		msg_set(m, N_("this machine cannot open another connection: %s"), "e", err);
		return FAIL_INTERNAL;
	}
	msg_set(m, N_("internal error"), "");
	return FAIL_INTERNAL;
}

static void trace(struct attempt *a, const char *prefix, const char *line, size_t len)
{
	a->ops->trace(a->ctx, prefix, line, len, NULL);
}

static void event(struct attempt *a, const struct msg *m)
{
	a->ops->trace(a->ctx, "*** ", NULL, 0, m);
}

static void add_time(struct attempt *a, enum step st)
{
	if (st != STEP_NONE)
		a->ops->timing(a->ctx, st, loop_now_ms() - a->t_step);
}

static void disconnect(struct attempt *a)
{
	loop_timer_cancel(a->l, &a->timer);
	socks_free(a->socks);
	a->socks = NULL;
	if (a->c.fd >= 0) {
		loop_unwatch(a->l, a->c.fd);
		conn_close(&a->c);
	}
}

/* The attempt is over: close, tell the probe. Nothing may touch a afterwards. */
static void finish(struct attempt *a)
{
	struct probe_attempt *out = a->out;
	disconnect(a);
	struct msg m;
	msg_set(&m, N_("closed connection to %s [%s]:%d"), "ssd", out->host, out->ip, out->port);
	event(a, &m);
	a->running = false;
	a->ops->done(a->ctx);
}

/* A failure outside the SMTP session (connect, proxy, implicit TLS). */
static void fail_before_session(struct attempt *a, enum step step, enum attempt_event ev, int err, const char *reason)
{
	struct probe_attempt *out = a->out;
	out->step = step;
	out->failure = classify(a, ev, err, reason, &out->detail);
	struct strbuf sb = STRBUF_INIT;
	msg_format(&out->detail, false, &sb);
	struct msg m;
	msg_set(&m, "%s [%s]:%d: %s", "ssds", out->host, out->ip, out->port, strbuf_str(&sb));
	strbuf_free(&sb);
	event(a, &m);
	if (step == STEP_CONNECT)
		add_time(a, STEP_CONNECT);
	finish(a);
}

/*
 * What a result keeps of a long reply: its first and last lines. A hostile
 * server with 200-line replies on 16 MX hosts would otherwise make one
 * result megabytes long (and -j multiplies it).
 */
#define KEEP_HEAD 8
#define KEEP_TAIL 3
#define KEEP_OCTETS 4096

static void keep(struct attempt *a, struct reply *r)
{
	if (r->nlines <= KEEP_HEAD + KEEP_TAIL && r->text.len <= KEEP_OCTETS)
		return;
	const char *t = strbuf_str(&r->text);
	/* line starts */
	size_t starts[REPLY_LINES_MAX + 1];
	int n = 0;
	starts[n++] = 0;
	for (size_t i = 0; i < r->text.len && n <= REPLY_LINES_MAX; i++)
		if (t[i] == '\n')
			starts[n++] = i + 1;
	struct strbuf out = STRBUF_INIT;
	int head = n > KEEP_HEAD + KEEP_TAIL ? KEEP_HEAD : n;
	for (int i = 0; i < head; i++) {
		size_t end = i + 1 < n ? starts[i + 1] - 1 : r->text.len;
		size_t len = end - starts[i];
		strbuf_append(&out, t + starts[i], len > KEEP_OCTETS / (KEEP_HEAD + KEEP_TAIL) ? KEEP_OCTETS / (KEEP_HEAD + KEEP_TAIL) : len);
		if (i + 1 < n)
			strbuf_putc(&out, '\n');
	}
	if (head < n) {
		strbuf_printf(&out, "[%d lines cut]\n", n - head - KEEP_TAIL);
		for (int i = n - KEEP_TAIL; i < n; i++) {
			size_t end = i + 1 < n ? starts[i + 1] - 1 : r->text.len;
			size_t len = end - starts[i];
			strbuf_append(&out, t + starts[i], len > KEEP_OCTETS / (KEEP_HEAD + KEEP_TAIL) ? KEEP_OCTETS / (KEEP_HEAD + KEEP_TAIL) : len);
			if (i + 1 < n)
				strbuf_putc(&out, '\n');
		}
	}
	struct msg m;
	msg_set(&m, N_("a reply of %d lines and %d octets was cut to its first %d and last %d lines"), "dddd", r->nlines,
	        (int)r->text.len, KEEP_HEAD, KEEP_TAIL);
	a->ops->note(a->ctx, &m);
	strbuf_free(&r->text);
	r->text = out;
}

/* The session ended: take what it learnt into out. */
static void end_session(struct attempt *a)
{
	struct probe_attempt *out = a->out;
	const struct smtp_outcome *oc = smtp_outcome(a->s);
	out->step = oc->step;
	out->failure = oc->failure;
	if (oc->have_reply) {
		out->have_reply = true;
		reply_copy(&out->reply, &oc->reply);
		keep(a, &out->reply);
	}
	out->detail = oc->detail;
	out->auth_mech = smtp_auth_mech(a->s);
	out->catch_all = oc->catch_all;
	if (oc->catch_all != CATCH_ALL_UNTESTED) {
		reply_copy(&out->catch_all_reply, &oc->catch_all_reply);
		keep(a, &out->catch_all_reply);
	}
	out->starttls_offered = smtp_starttls_offered(a->s);
	a->mail_accepted = smtp_mail_accepted(a->s);
	a->cut = oc->cut;
	a->closing = oc->closing;
	a->rcpt_results = xcalloc((size_t)(a->ap.nrcpts > 0 ? a->ap.nrcpts : 1), sizeof *a->rcpt_results);
	for (int i = 0; i < a->ap.nrcpts; i++) {
		const struct smtp_rcpt *rc = smtp_rcpt_result(a->s, i);
		a->rcpt_results[i] = *rc;
		memset(&a->rcpt_results[i].reply, 0, sizeof a->rcpt_results[i].reply);
		memset(&a->rcpt_results[i].lost_reply, 0, sizeof a->rcpt_results[i].lost_reply);
		if (rc->answered) {
			reply_copy(&a->rcpt_results[i].reply, &rc->reply);
			keep(a, &a->rcpt_results[i].reply);
		}
		if (rc->lost_reply.code)
			reply_copy(&a->rcpt_results[i].lost_reply, &rc->lost_reply);
	}
	const struct ehlo_caps *caps = smtp_caps(a->s);
	if (caps) {
		out->have_caps = true;
		out->caps = *caps;
	}
	/* A protocol error that smtp.c did not note itself (STARTTLS injection). */
	if (oc->failure == FAIL_PROTOCOL && !msg_empty(&oc->detail))
		a->ops->note(a->ctx, &oc->detail);
	smtp_free(a->s);
	a->s = NULL;
	a->handshaking = false;
	finish(a);
}

/* A failure while the session runs: the session records it at its step. */
static void fail_in_session(struct attempt *a, enum attempt_event ev, int err, const char *reason)
{
	struct msg m;
	enum failure f = classify(a, ev, err, reason, &m);
	if (a->handshaking) {
		a->handshaking = false;
		a->c.tls_failed = true;
		add_time(a, STEP_TLS);
		smtp_tls_done(a->s, f, &m);
	} else {
		smtp_abort(a->s, f, &m);
	}
	end_session(a);
}

/*
 * Watch the connection; epoll refusing (ENOMEM, the max_user_watches
 * limit) is this machine's failure. Returns false when the attempt ended.
 */
static bool watch(struct attempt *a, unsigned events, loop_fd_fn fn)
{
	if (loop_watch(a->l, a->c.fd, events, fn, a) == 0)
		return true;
	int err = errno;
	if (a->s)
		fail_in_session(a, EV_LOCAL, err, NULL);
	else
		fail_before_session(a, a->handshaking ? STEP_TLS : STEP_CONNECT, EV_LOCAL, err, NULL);
	return false;
}

static void on_io(void *ctx, int fd, unsigned events)
{
	(void)fd;
	struct attempt *a = ctx;
	/*
	 * Read whatever woke us: over TLS a read may have been waiting for the
	 * socket to become writable (renegotiation); conn_read says AGAIN when
	 * there is nothing.
	 */
	(void)events;
	{
		char buf[4096];
		for (;;) {
			ssize_t n = conn_read(&a->c, buf, sizeof buf);
			if (n > 0) {
				smtp_feed(a->s, buf, (size_t)n);
				/* In SMTP_TLS the next bytes belong to the handshake. */
				if (smtp_state(a->s) == SMTP_DONE || smtp_state(a->s) == SMTP_TLS)
					break;
				continue;
			}
			if (n == CONN_IO_EOF) {
				smtp_eof(a->s);
			} else if (n == CONN_IO_ERROR) {
				fail_in_session(a, EV_IO, a->c.err, a->c.err_text);
				return;
			}
			break;
		}
	}
	flush(a);
}

static void flush(struct attempt *a)
{
	size_t len;
	const char *out = smtp_output(a->s, &len);
	while (len > 0 && smtp_state(a->s) != SMTP_DONE) {
		ssize_t n = conn_write(&a->c, out, len);
		if (n == CONN_IO_AGAIN)
			break;
		if (n == CONN_IO_ERROR) {
			fail_in_session(a, EV_IO, a->c.err, a->c.err_text);
			return;
		}
		if (n < 0) {
			smtp_eof(a->s);
			break;
		}
		smtp_output_done(a->s, (size_t)n);
		out = smtp_output(a->s, &len);
	}
	if (smtp_state(a->s) == SMTP_DONE) {
		end_session(a);
		return;
	}
	if (smtp_state(a->s) == SMTP_TLS && !a->handshaking) {
		start_handshake(a);
		return;
	}
	/* What each direction waits for, as OpenSSL asked (conn.h). */
	watch(a, conn_events(&a->c, len > 0), on_io);
}

/* The name that SNI carries and the certificate must match. */
static const char *tls_name(const struct attempt *a)
{
	return a->ap.o->tls_name ? a->ap.o->tls_name : a->out->host;
}

static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The handshake succeeded (and the certificate passed or only noted). */
static void handshake_ok(struct attempt *a)
{
	a->handshaking = false;
	add_time(a, STEP_TLS);
	struct msg m;
	if (SSL_session_reused(a->c.ssl))
		msg_set(&m, N_("TLS resumed: %s, %s"), "ss", a->out->tls.version, a->out->tls.cipher);
	else
		msg_set(&m, N_("TLS established: %s, %s"), "ss", a->out->tls.version, a->out->tls.cipher);
	event(a, &m);
	if (!a->s) {
		start_session(a, true);  /* implicit TLS: the SMTP session starts now */
		return;
	}
	a->t_step = loop_now_ms();
	smtp_set_tls_verified(a->s, a->out->tls.verified && a->out->tls.name_matched);
	smtp_tls_done(a->s, FAIL_NONE, NULL);
	flush(a);
}

/* The handshake failed (ev EV_TLS, EV_TLS_TIMEOUT or EV_TLS_VERIFY). */
static void handshake_failed(struct attempt *a, enum attempt_event ev, const char *reason)
{
	if (a->s) {
		fail_in_session(a, ev, 0, reason);
		return;
	}
	a->handshaking = false;
	a->c.tls_failed = true;
	add_time(a, STEP_TLS);
	fail_before_session(a, STEP_TLS, ev, 0, reason);
}

/* Judge the certificate: reported always, fatal only with --tls-verify. */
static void judge_certificate(struct attempt *a)
{
	struct tls_info *t = &a->out->tls;
	tls_info_collect(a->c.ssl, tls_name(a), t);
	if (a->ap.o->tls_peer)
		a->ap.o->tls_peer(a->ap.o->tls_peer_ctx, a->c.ssl);
	struct msg m;
	if (!t->verified)
		msg_set(&m, N_("certificate not trusted: %s"), "s", t->verify_error);
	else if (!t->name_matched)
		msg_set(&m, N_("certificate does not match %s"), "s", t->name);
	else {
		handshake_ok(a);
		return;
	}
	if (a->ap.o->tls.verify) {
		struct strbuf sb = STRBUF_INIT;
		msg_format(&m, false, &sb);
		char reason[400];
		snprintf(reason, sizeof reason, "%s", strbuf_str(&sb));
		strbuf_free(&sb);
		handshake_failed(a, EV_TLS_VERIFY, reason);
		return;
	}
	a->ops->note(a->ctx, &m);
	handshake_ok(a);
}

static void on_handshake_io(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct attempt *a = ctx;
	char err[192];
	int r = conn_tls_handshake(&a->c, err, sizeof err);
	if (r == CONN_IO_AGAIN) {
		watch(a, a->c.wants, on_handshake_io);
		return;
	}
	if (r != 1) {
		handshake_failed(a, EV_TLS, err);
		return;
	}
	judge_certificate(a);
}

/* One deadline for every step: the handshake, a reply, the proxy, the connect. */
static void on_timeout(void *ctx)
{
	struct attempt *a = ctx;
	if (a->handshaking) {
		handshake_failed(a, EV_TLS_TIMEOUT, NULL);
		return;
	}
	if (a->s) {
		fail_in_session(a, EV_STEP_TIMEOUT, 0, NULL);
		return;
	}
	fail_before_session(a, STEP_CONNECT, EV_CONNECT_TIMEOUT, 0, NULL);
}

static void arm(struct attempt *a, enum step st)
{
	loop_timer_arm(a->l, &a->timer, a->ap.o->timeout_ms[st]);
}

static void start_handshake(struct attempt *a)
{
	a->handshaking = true;
	a->t_step = loop_now_ms();
	const char *name = tls_name(a);
	bool ip = is_ip(name);
	struct ssl_ctx_st *ctx = a->ap.o->tls_ctx;
	if (ctx)
		tls_ctx_load_system_trust(ctx);
	if (!ctx || conn_tls_begin(&a->c, ctx, ip ? NULL : name) < 0) {
		handshake_failed(a, EV_TLS, "cannot set up TLS");
		return;
	}
	/* The same server (name and address) later in the run resumes its session. */
	char key[600];
	snprintf(key, sizeof key, "%s|%s|%d", name, a->out->ip, a->out->port);
	a->resuming = tls_session_prepare(a->c.ssl, key);
	struct msg m;
	if (ip)
		msg_set(&m, N_("starting TLS"), "");
	else
		msg_set(&m, N_("starting TLS, SNI %s"), "s", name);
	event(a, &m);
	/* Implicit TLS and STARTTLS alike: the handshake has the TLS step's deadline. */
	arm(a, STEP_TLS);
	on_handshake_io(a, a->c.fd, LOOP_WRITE);
}

static void on_smtp_event(void *ctx, const struct smtp_event *ev)
{
	struct attempt *a = ctx;
	switch (ev->type) {
	case SMTP_EV_SENT:
		trace(a, "C: ", ev->line, ev->len);
		break;
	case SMTP_EV_RECEIVED:
		trace(a, "S: ", ev->line, ev->len);
		break;
	case SMTP_EV_NOTE:
		event(a, ev->msg);
		a->ops->note(a->ctx, ev->msg);
		break;
	case SMTP_EV_STATE:
		add_time(a, smtp_state_step(ev->from));
		a->t_step = loop_now_ms();
		if (a->ap.o->verbose >= 2) {
			struct msg m;
			msg_set(&m, N_("state %s -> %s"), "ss", smtp_state_name(ev->from), smtp_state_name(ev->to));
			event(a, &m);
		}
		if (ev->to == SMTP_DONE)
			loop_timer_cancel(a->l, &a->timer);
		else if (ev->to != SMTP_TLS)
			arm(a, smtp_state_step(ev->to));
		break;
	}
}

static void on_connected(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct attempt *a = ctx;
	int err = conn_finish(&a->c);
	if ((err == ECONNRESET || err == EPIPE) && !a->ap.o->proxy) {
		/*
		 * The handshake completed, then the server reset: it was reached
		 * and turned this client away before its greeting (a block on
		 * the client's address, a full server), not unreachable.
		 */
		fail_before_session(a, STEP_BANNER, EV_IO, err, NULL);
		return;
	}
	if (err) {
		fail_before_session(a, STEP_CONNECT, EV_CONNECT, err, NULL);
		return;
	}
	if (a->ap.o->proxy) {
		start_socks(a);
		return;
	}
	add_time(a, STEP_CONNECT);
	struct msg m;
	msg_set(&m, N_("connected to %s [%s]:%d"), "ssd", a->out->host, a->out->ip, a->out->port);
	event(a, &m);
	tunnel_ready(a, NULL, 0);
}

/* The TCP path to the server exists (directly or through the proxy): speak. */
static void tunnel_ready(struct attempt *a, const char *early, size_t len)
{
	if (a->ap.o->tls.mode == TLS_IMPLICIT) {
		start_handshake(a);
		return;
	}
	if (!start_session(a, false))
		return;
	if (len > 0) {
		/* The greeting arrived in the same read as the proxy's reply. */
		smtp_feed(a->s, early, len);
		flush(a);
	}
}

static void on_socks_io(void *ctx, int fd, unsigned events);

static void socks_flush(struct attempt *a)
{
	size_t len;
	const unsigned char *out = socks_output(a->socks, &len);
	while (len > 0) {
		ssize_t n = conn_write(&a->c, (const char *)out, len);
		if (n <= 0)
			break;
		socks_output_done(a->socks, (size_t)n);
		out = socks_output(a->socks, &len);
	}
	watch(a, LOOP_READ | (len > 0 ? LOOP_WRITE : 0), on_socks_io);
}

/* The proxy said no (why from socks.c), or closed (why NULL). */
static void socks_failed(struct attempt *a, const struct msg *why)
{
	struct msg m;
	if (why)
		m = *why;
	else
		msg_set(&m, N_("the proxy closed the connection during the SOCKS5 handshake"), "");
	socks_free(a->socks);
	a->socks = NULL;
	a->proxy_why = m;
	fail_before_session(a, STEP_CONNECT, EV_PROXY, 0, NULL);
}

static void on_socks_io(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct attempt *a = ctx;
	char buf[1024];
	ssize_t n = conn_read(&a->c, buf, sizeof buf);
	if (n == CONN_IO_AGAIN) {
		socks_flush(a);
		return;
	}
	if (n < 0) {
		socks_failed(a, NULL);
		return;
	}
	size_t used = 0;
	enum socks_status st = socks_feed(a->socks, (const unsigned char *)buf, (size_t)n, &used);
	if (st == SOCKS_FAILED) {
		socks_failed(a, socks_error_msg(a->socks));
		return;
	}
	if (st == SOCKS_MORE) {
		socks_flush(a);
		return;
	}
	socks_free(a->socks);
	a->socks = NULL;
	add_time(a, STEP_CONNECT);
	const struct probe_attempt *out = a->out;
	struct msg m;
	msg_set(&m, N_("connected to %s:%d through the proxy"), "sd", out->ip[0] ? out->ip : out->host, out->port);
	event(a, &m);
	tunnel_ready(a, buf + used, (size_t)n - used);
}

static void start_socks(struct attempt *a)
{
	const struct probe_attempt *out = a->out;
	const struct socks_proxy *px = a->ap.o->proxy;
	struct msg m;
	msg_set(&m, N_("connected to proxy %s:%d, asking for %s:%d"), "sdsd", px->host, px->port,
	        out->ip[0] ? out->ip : out->host, out->port);
	event(a, &m);
	a->socks = socks_new(px, out->ip[0] ? out->ip : out->host, (uint16_t)out->port);
	/* A target the proxy cannot be asked for fails at once, not at the timeout. */
	size_t used;
	if (socks_feed(a->socks, NULL, 0, &used) == SOCKS_FAILED) {
		socks_failed(a, socks_error_msg(a->socks));
		return;
	}
	socks_flush(a);
}

/* Returns false when the attempt already ended (and may have been restarted). */
static bool start_session(struct attempt *a, bool tls_active)
{
	const struct probe_options *o = a->ap.o;
	if (o->helo)
		snprintf(a->helo, sizeof a->helo, "%s", o->helo);
	else if (conn_local_literal(&a->c, a->helo, sizeof a->helo) < 0)
		snprintf(a->helo, sizeof a->helo, "localhost");
	struct smtp_params sp = {
		.helo = a->helo,
		.mail_from = o->mail_from,
		.rcpts = a->ap.rcpts,
		.nrcpts = a->ap.nrcpts,
		.need_smtputf8 = a->ap.need_smtputf8,
		.size = o->size,
		.tls_mode = a->ap.plain ? TLS_NONE : o->tls.mode,
		.tls_active = tls_active,
		.auth_user = o->auth_user,
		.auth_secret = o->auth_secret,
		.auth_mech = o->auth_mech,
		.allow_plaintext_auth = o->allow_plaintext_auth,
		.allow_unverified_auth = o->allow_unverified_auth,
		.tls_verified = tls_active && a->out->tls.verified && a->out->tls.name_matched,
		.catch_all_rcpt = a->ap.catch_all_rcpt,
	};
	a->s = smtp_new(&sp, on_smtp_event, a);
	a->t_step = loop_now_ms();
	arm(a, STEP_BANNER);
	return watch(a, LOOP_READ, on_io);
}

static void free_results(struct attempt *a)
{
	if (!a->rcpt_results)
		return;
	for (int i = 0; i < a->ap.nrcpts; i++) {
		reply_free(&a->rcpt_results[i].reply);
		reply_free(&a->rcpt_results[i].lost_reply);
	}
	free(a->rcpt_results);
	a->rcpt_results = NULL;
}

void attempt_start(struct attempt *a, struct loop *l, const struct attempt_params *ap, struct probe_attempt *out,
                   const struct attempt_ops *ops, void *ctx)
{
	free_results(a);
	memset(a, 0, sizeof *a);
	a->l = l;
	a->ap = *ap;
	a->ops = ops;
	a->ctx = ctx;
	a->out = out;
	a->c.fd = -1;
	a->running = true;
	loop_timer_init(&a->timer, on_timeout, a);

	snprintf(out->host, sizeof out->host, "%s", ap->host);
	snprintf(out->ip, sizeof out->ip, "%s", ap->addr->ip);
	out->port = ap->port;
	out->plain = ap->plain;
	out->catch_all = CATCH_ALL_UNTESTED;

	const struct probe_options *o = ap->o;
	/* Through a proxy, the TCP connection goes to the proxy. */
	const struct dns_addr *to = o->proxy ? o->proxy_addr : ap->addr;
	int port = o->proxy ? o->proxy->port : ap->port;
	struct sockaddr_storage sa;
	memcpy(&sa, &to->sa, to->salen);
	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)port);

	struct msg m;
	if (o->proxy)
		msg_set(&m, N_("connecting to proxy [%s]:%d"), "sd", to->ip, port);
	else if (ap->plain)
		msg_set(&m, N_("connecting to %s [%s]:%d again, without STARTTLS"), "ssd", out->host, to->ip, port);
	else
		msg_set(&m, N_("connecting to %s [%s]:%d"), "ssd", out->host, to->ip, port);
	event(a, &m);
	a->t_step = loop_now_ms();
	int err = conn_start(&a->c, (struct sockaddr *)&sa, to->salen);
	if (err) {
		fail_before_session(a, STEP_CONNECT, EV_CONNECT, err, NULL);
		return;
	}
	arm(a, STEP_CONNECT);
	watch(a, LOOP_WRITE, on_connected);
}

enum step attempt_step(const struct attempt *a)
{
	if (!a->running)
		return STEP_NONE;
	if (a->handshaking)
		return STEP_TLS;
	if (a->s)
		return smtp_state_step(smtp_state(a->s));
	return STEP_CONNECT;
}

void attempt_stop(struct attempt *a)
{
	free_results(a);
	if (!a->running)
		return;
	smtp_free(a->s);
	a->s = NULL;
	disconnect(a);
	a->running = false;
}
