/* probe_session.c - one connection: connect, SOCKS5, TLS, the SMTP I/O (see probe_internal.h). */
#include "probe_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

static void flush(struct probe *p);
static void start_handshake(struct probe *p);
static void start_session(struct probe *p, bool tls_active);
static void start_socks(struct probe *p);
static void tunnel_ready(struct probe *p, const char *early, size_t len);
static void on_socks_io(void *ctx, int fd, unsigned events);
static void socks_end(struct probe *p);
static void connect_failed(struct probe *p, enum step step, enum failure f, const char *detail);

static struct probe_attempt *attempt(struct probe *p)
{
	return &p->r->attempts[p->r->nattempts - 1];
}

void probe_disconnect(struct probe *p)
{
	loop_timer_cancel(p->l, &p->timer);
	socks_end(p);
	if (p->c.fd >= 0) {
		loop_unwatch(p->l, p->c.fd);
		conn_close(&p->c);
	}
}

static void end_session(struct probe *p)
{
	struct probe_attempt *a = attempt(p);
	const struct smtp_outcome *oc = smtp_outcome(p->s);
	a->step = oc->step;
	a->failure = oc->failure;
	if (oc->have_reply) {
		a->have_reply = true;
		reply_copy(&a->reply, &oc->reply);
	}
	if (oc->failure == FAIL_TIMEOUT)
		snprintf(a->detail, sizeof a->detail, _("no reply to %s within %d s"), probe_step_text(oc->step),
		         p->o->timeout_ms[oc->step] / 1000);
	else
		snprintf(a->detail, sizeof a->detail, "%s", oc->detail);
	a->auth_mech = smtp_auth_mech(p->s);
	a->catch_all = oc->catch_all;
	if (oc->catch_all != CATCH_ALL_UNTESTED)
		reply_copy(&a->catch_all_reply, &oc->catch_all_reply);
	const struct ehlo_caps *caps = smtp_caps(p->s);
	if (caps) {
		p->r->have_caps = true;
		p->r->caps = *caps;
	}
	unsigned notes = smtp_notes(p->s);
	for (unsigned bit = 1; notes; bit <<= 1) {
		if (notes & bit) {
			probe_note(p->r, reply_note_text((enum reply_note)bit));
			notes &= ~bit;
		}
	}
	if (oc->failure == FAIL_PROTOCOL && oc->detail[0])
		probe_note(p->r, oc->detail);
	smtp_free(p->s);
	p->s = NULL;
	p->handshaking = false;
	probe_disconnect(p);
	probe_tracef(p, _("closed connection to %s [%s]:%d"), a->host, a->ip, a->port);
	probe_next_target(p);
}

static void on_io(void *ctx, int fd, unsigned events)
{
	(void)fd;
	struct probe *p = ctx;
	if (events & (LOOP_READ | LOOP_ERROR)) {
		char buf[4096];
		for (;;) {
			ssize_t n = conn_read(&p->c, buf, sizeof buf);
			if (n > 0) {
				smtp_feed(p->s, buf, (size_t)n);
				/* In SMTP_TLS the next bytes belong to the handshake. */
				if (smtp_state(p->s) == SMTP_DONE || smtp_state(p->s) == SMTP_TLS)
					break;
				continue;
			}
			if (n != CONN_IO_AGAIN)
				smtp_eof(p->s);
			break;
		}
	}
	flush(p);
}

static void flush(struct probe *p)
{
	size_t len;
	const char *out = smtp_output(p->s, &len);
	while (len > 0 && smtp_state(p->s) != SMTP_DONE) {
		ssize_t n = conn_write(&p->c, out, len);
		if (n == CONN_IO_AGAIN)
			break;
		if (n < 0) {
			smtp_eof(p->s);
			break;
		}
		smtp_output_done(p->s, (size_t)n);
		out = smtp_output(p->s, &len);
	}
	if (smtp_state(p->s) == SMTP_DONE) {
		end_session(p);
		return;
	}
	if (smtp_state(p->s) == SMTP_TLS && !p->handshaking) {
		start_handshake(p);
		return;
	}
	unsigned ev = LOOP_READ;
	if (len > 0)
		ev |= LOOP_WRITE | p->c.wants;
	loop_watch(p->l, p->c.fd, ev, on_io, p);
}

/* The name that SNI carries and the certificate must match. */
static const char *tls_name(struct probe *p)
{
	if (p->o->tls_name)
		return p->o->tls_name;
	return attempt(p)->host;
}

static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The handshake ended: f is FAIL_NONE, FAIL_TLS or FAIL_TLS_VERIFY. */
static void handshake_done(struct probe *p, enum failure f, const char *detail)
{
	p->handshaking = false;
	probe_add_time(p, STEP_TLS, p->t_step);
	if (f == FAIL_NONE)
		probe_tracef(p, _("TLS established: %s, %s"), attempt(p)->tls.version, attempt(p)->tls.cipher);
	else
		probe_tracef(p, _("TLS failed: %s"), detail);
	if (!p->s) {
		/* implicit TLS: there is no SMTP session yet */
		if (f != FAIL_NONE) {
			p->c.tls_failed = true;
			connect_failed(p, STEP_TLS, f, detail);
			return;
		}
		start_session(p, true);
		return;
	}
	p->t_step = loop_now_ms();
	smtp_tls_done(p->s, f, detail);
	flush(p);
}

/* Judge the certificate: reported always, fatal only with --tls-verify. */
static void judge_certificate(struct probe *p)
{
	struct probe_attempt *a = attempt(p);
	tls_info_collect(p->c.ssl, tls_name(p), &a->tls);
	const struct tls_info *t = &a->tls;
	char detail[400];
	if (!t->verified)
		snprintf(detail, sizeof detail, _("certificate not trusted: %s"), t->verify_error);
	else if (!t->name_matched)
		snprintf(detail, sizeof detail, _("certificate does not match %s"), t->name);
	else {
		handshake_done(p, FAIL_NONE, NULL);
		return;
	}
	if (p->o->tls.verify) {
		handshake_done(p, FAIL_TLS_VERIFY, detail);
		return;
	}
	probe_note(p->r, detail);
	handshake_done(p, FAIL_NONE, NULL);
}

static void on_handshake_io(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct probe *p = ctx;
	char err[192];
	int r = conn_tls_handshake(&p->c, err, sizeof err);
	if (r == CONN_IO_AGAIN) {
		loop_watch(p->l, p->c.fd, p->c.wants, on_handshake_io, p);
		return;
	}
	if (r != 1) {
		char detail[320];
		snprintf(detail, sizeof detail, _("TLS handshake failed: %s"), err);
		handshake_done(p, FAIL_TLS, detail);
		return;
	}
	judge_certificate(p);
}

static void on_handshake_timeout(void *ctx)
{
	struct probe *p = ctx;
	char detail[192];
	snprintf(detail, sizeof detail, _("TLS handshake timed out after %d s"), p->o->timeout_ms[STEP_TLS] / 1000);
	handshake_done(p, FAIL_TLS, detail);
}

static void start_handshake(struct probe *p)
{
	p->handshaking = true;
	p->t_step = loop_now_ms();
	const char *name = tls_name(p);
	bool ip = is_ip(name);
	if (p->o->tls_ctx)
		tls_ctx_load_system_trust(p->o->tls_ctx);
	if (!p->o->tls_ctx || conn_tls_begin(&p->c, p->o->tls_ctx, ip ? NULL : name) < 0) {
		handshake_done(p, FAIL_TLS, _("cannot set up TLS"));
		return;
	}
	if (ip)
		probe_tracef(p, "%s", _("starting TLS"));
	else
		probe_tracef(p, _("starting TLS, SNI %s"), name);
	if (!p->s) {
		/* implicit TLS has its own deadline; STARTTLS runs under SMTP_TLS's */
		loop_timer_cancel(p->l, &p->timer);
		loop_timer_init(&p->timer, on_handshake_timeout, p);
		loop_timer_arm(p->l, &p->timer, p->o->timeout_ms[STEP_TLS]);
	}
	on_handshake_io(p, p->c.fd, LOOP_WRITE);
}

static void on_step_timeout(void *ctx)
{
	struct probe *p = ctx;
	if (p->handshaking) {
		p->handshaking = false;
		p->c.tls_failed = true;
	}
	smtp_timeout(p->s);
	end_session(p);
}

static void on_smtp_event(void *ctx, const struct smtp_event *ev)
{
	struct probe *p = ctx;
	switch (ev->type) {
	case SMTP_EV_SENT:
		probe_trace(p, "C: ", ev->line, ev->len);
		break;
	case SMTP_EV_RECEIVED:
		probe_trace(p, "S: ", ev->line, ev->len);
		break;
	case SMTP_EV_NOTE: {
		probe_trace(p, "*** ", ev->line, ev->len);
		char note[384];
		snprintf(note, sizeof note, "%.*s", (int)ev->len, ev->line);
		probe_note(p->r, note);
		break;
	}
	case SMTP_EV_STATE:
		probe_add_time(p, smtp_state_step(ev->from), p->t_step);
		p->t_step = loop_now_ms();
		if (p->o->verbose >= 2)
			probe_tracef(p, _("state %s -> %s"), smtp_state_name(ev->from), smtp_state_name(ev->to));
		if (ev->to == SMTP_DONE)
			loop_timer_cancel(p->l, &p->timer);
		else
			loop_timer_arm(p->l, &p->timer, p->o->timeout_ms[smtp_state_step(ev->to)]);
		break;
	}
}

static void connect_failed(struct probe *p, enum step step, enum failure f, const char *detail)
{
	struct probe_attempt *a = attempt(p);
	a->step = step;
	a->failure = f;
	snprintf(a->detail, sizeof a->detail, "%s", detail);
	probe_tracef(p, "%s [%s]:%d: %s", a->host, a->ip, a->port, detail);
	probe_disconnect(p);
	if (step == STEP_CONNECT)
		probe_add_time(p, STEP_CONNECT, p->t_step);
	probe_next_target(p);
}

static void connect_failed_errno(struct probe *p, int err)
{
	enum failure f = err == ECONNREFUSED ? FAIL_REFUSED : FAIL_UNREACHABLE;
	char detail[400];
	snprintf(detail, sizeof detail, _("connection failed: %s"), strerror(err));
	if (err == ECONNREFUSED)
		snprintf(detail, sizeof detail, "%s", _("connection refused"));
	if (p->o->proxy) {
		/* It was the proxy that could not be reached, not the mail server. */
		f = FAIL_PROXY;
		snprintf(detail, sizeof detail, _("cannot connect to the proxy %s:%d: %s"), p->o->proxy->host,
		         p->o->proxy->port, strerror(err));
	}
	connect_failed(p, STEP_CONNECT, f, detail);
}

static void on_connect_timeout(void *ctx)
{
	struct probe *p = ctx;
	char detail[192];
	int s = p->o->timeout_ms[STEP_CONNECT] / 1000;
	if (p->o->proxy)
		snprintf(detail, sizeof detail, _("connect timed out after %d s (through the proxy)"), s);
	else
		snprintf(detail, sizeof detail, _("connect timed out after %d s"), s);
	connect_failed(p, STEP_CONNECT, p->o->proxy ? FAIL_PROXY : FAIL_TIMEOUT, detail);
}

static void on_connected(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct probe *p = ctx;
	int err = conn_finish(&p->c);
	if (err) {
		connect_failed_errno(p, err);
		return;
	}
	struct probe_attempt *a = attempt(p);
	if (p->o->proxy) {
		start_socks(p);
		return;
	}
	probe_add_time(p, STEP_CONNECT, p->t_step);
	probe_tracef(p, _("connected to %s [%s]:%d"), a->host, a->ip, a->port);
	tunnel_ready(p, NULL, 0);
}

/* The TCP path to the server exists (directly or through the proxy): speak. */
static void tunnel_ready(struct probe *p, const char *early, size_t len)
{
	if (p->o->tls.mode == TLS_IMPLICIT) {
		start_handshake(p);
		return;
	}
	start_session(p, false);
	if (len > 0 && p->s) {
		/* The greeting arrived in the same read as the proxy's reply. */
		smtp_feed(p->s, early, len);
		flush(p);
	}
}

static void socks_flush(struct probe *p)
{
	size_t len;
	const unsigned char *out = socks_output(p->socks, &len);
	while (len > 0) {
		ssize_t n = conn_write(&p->c, (const char *)out, len);
		if (n <= 0)
			break;
		socks_output_done(p->socks, (size_t)n);
		out = socks_output(p->socks, &len);
	}
	loop_watch(p->l, p->c.fd, LOOP_READ | (len > 0 ? LOOP_WRITE : 0), on_socks_io, p);
}

static void socks_end(struct probe *p)
{
	socks_free(p->socks);
	p->socks = NULL;
}

static void on_socks_io(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct probe *p = ctx;
	char buf[1024];
	ssize_t n = conn_read(&p->c, buf, sizeof buf);
	if (n == CONN_IO_AGAIN) {
		socks_flush(p);
		return;
	}
	if (n < 0) {
		socks_end(p);
		connect_failed(p, STEP_CONNECT, FAIL_PROXY, _("the proxy closed the connection during the SOCKS5 handshake"));
		return;
	}
	size_t used = 0;
	enum socks_status st = socks_feed(p->socks, (const unsigned char *)buf, (size_t)n, &used);
	if (st == SOCKS_FAILED) {
		char detail[192];
		snprintf(detail, sizeof detail, "%s", socks_error(p->socks));
		socks_end(p);
		connect_failed(p, STEP_CONNECT, FAIL_PROXY, detail);
		return;
	}
	if (st == SOCKS_MORE) {
		socks_flush(p);
		return;
	}
	socks_end(p);
	probe_add_time(p, STEP_CONNECT, p->t_step);
	struct probe_attempt *a = attempt(p);
	probe_tracef(p, _("connected to %s:%d through the proxy"), a->ip[0] ? a->ip : a->host, a->port);
	tunnel_ready(p, buf + used, (size_t)n - used);
}

static void start_socks(struct probe *p)
{
	struct probe_attempt *a = attempt(p);
	probe_tracef(p, _("connected to proxy %s:%d, asking for %s:%d"), p->o->proxy->host, p->o->proxy->port,
	       a->ip[0] ? a->ip : a->host, a->port);
	p->socks = socks_new(p->o->proxy, a->ip[0] ? a->ip : a->host, (uint16_t)a->port);
	if (!p->socks) {
		connect_failed(p, STEP_CONNECT, FAIL_INTERNAL, _("out of memory"));
		return;
	}
	/* A target the proxy cannot be asked for fails at once, not at the timeout. */
	size_t used;
	if (socks_feed(p->socks, NULL, 0, &used) == SOCKS_FAILED) {
		char detail[192];
		snprintf(detail, sizeof detail, "%s", socks_error(p->socks));
		socks_end(p);
		connect_failed(p, STEP_CONNECT, FAIL_PROXY, detail);
		return;
	}
	socks_flush(p);
}

static void start_session(struct probe *p, bool tls_active)
{
	if (p->o->helo)
		snprintf(p->helo, sizeof p->helo, "%s", p->o->helo);
	else if (conn_local_literal(&p->c, p->helo, sizeof p->helo) < 0)
		snprintf(p->helo, sizeof p->helo, "localhost");
	struct smtp_params sp = {
		.helo = p->helo,
		.mail_from = p->o->mail_from,
		.rcpt_to = p->rcpt,
		.need_smtputf8 = p->r->addr.needs_smtputf8 || p->o->from_needs_smtputf8,
		.size = p->o->size,
		.tls_mode = p->o->tls.mode,
		.tls_active = tls_active,
		.auth_user = p->o->auth_user,
		.auth_secret = p->o->auth_secret,
		.auth_mech = p->o->auth_mech,
		.allow_plaintext_auth = p->o->allow_plaintext_auth,
		.catch_all_rcpt = p->r->catch_all_address[0] ? p->r->catch_all_address : NULL,
	};
	p->s = smtp_new(&sp, on_smtp_event, p);
	if (!p->s) {
		probe_disconnect(p);
		probe_fail(p, STEP_CONNECT, FAIL_INTERNAL, _("out of memory"));
		return;
	}
	p->t_step = loop_now_ms();
	loop_timer_cancel(p->l, &p->timer);
	loop_timer_init(&p->timer, on_step_timeout, p);
	loop_timer_arm(p->l, &p->timer, p->o->timeout_ms[STEP_BANNER]);
	loop_watch(p->l, p->c.fd, LOOP_READ, on_io, p);
}

void probe_connect(struct probe *p)
{
	const struct target *t = &p->targets[p->cur];
	struct probe_attempt *a = &p->r->attempts[p->r->nattempts++];
	memset(a, 0, sizeof *a);
	a->catch_all = CATCH_ALL_UNTESTED;
	a->at_ms = loop_now_ms() - p->t_start;
	snprintf(a->host, sizeof a->host, "%s", p->hosts[t->host].name);
	snprintf(a->ip, sizeof a->ip, "%s", t->addr->ip);
	a->port = p->port;

	/* Through a proxy, the TCP connection goes to the proxy. */
	const struct dns_addr *to = p->o->proxy ? p->o->proxy_addr : t->addr;
	int port = p->o->proxy ? p->o->proxy->port : p->port;
	struct sockaddr_storage sa;
	memcpy(&sa, &to->sa, to->salen);
	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)port);

	if (p->o->proxy)
		probe_tracef(p, _("connecting to proxy [%s]:%d"), to->ip, port);
	else
		probe_tracef(p, _("connecting to %s [%s]:%d"), a->host, to->ip, port);
	p->t_step = loop_now_ms();
	int err = conn_start(&p->c, (struct sockaddr *)&sa, to->salen);
	if (err) {
		connect_failed_errno(p, err);
		return;
	}
	loop_timer_cancel(p->l, &p->timer);
	loop_timer_init(&p->timer, on_connect_timeout, p);
	loop_timer_arm(p->l, &p->timer, p->o->timeout_ms[STEP_CONNECT]);
	loop_watch(p->l, p->c.fd, LOOP_WRITE, on_connected, p);
}
