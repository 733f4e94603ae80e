/* probe.c - one address end to end: DNS, hosts in order, the SMTP walk (see probe.h). */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "conn.h"
#include "diagnose.h"
#include "smtp.h"
#include "socks.h"

struct host {
	char name[256];
	int preference;
	struct dns_addr addrs[DNS_ADDR_MAX];
	int naddrs;
	enum dns_status st;
	const char *why;
	struct probe *p;
};

struct target {
	int host;                    /* index into hosts */
	const struct dns_addr *addr;
};

struct probe {
	struct loop *l;
	struct dns *d;
	const struct probe_options *o;
	struct probe_result *r;
	bool done;
	void (*done_fn)(void *ctx);
	void *done_ctx;
	int64_t t_start;
	int64_t t_dns;
	int port;

	struct host hosts[DNS_MX_MAX];
	int nhosts;
	int pending;                 /* address lookups outstanding */
	struct loop_timer dns_timer;

	struct target targets[PROBE_TARGETS_MAX];
	int ntargets;
	int cur;                     /* target being tried */
	int host_final[DNS_MX_MAX];  /* --all-mx: attempt index that decided each host, or -1 */

	struct conn c;
	struct smtp_session *s;
	struct loop_timer timer;     /* connect and per-step deadline */
	bool handshaking;
	struct socks_session *socks;
	struct loop_timer retry_timer; /* --retry-greylist */
	bool retried;
	int64_t t_step;
	char helo[300];
	char rcpt[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
};

void probe_options_defaults(struct probe_options *o)
{
	memset(o, 0, sizeof *o);
	o->port = 25;
	o->family = AF_UNSPEC;
	o->mail_from = "";
	/* Fast enough for a person waiting, patient enough for tarpits and slow filters. */
	static const struct {
		enum step step;
		int ms;
	} defaults[] = {
		{ STEP_DNS, 10000 }, { STEP_CONNECT, 10000 }, { STEP_BANNER, 30000 },
		{ STEP_EHLO, 30000 }, { STEP_HELO, 30000 }, { STEP_STARTTLS, 30000 },
		{ STEP_TLS, 30000 }, { STEP_AUTH, 30000 }, { STEP_MAIL, 30000 },
		{ STEP_RCPT, 30000 }, { STEP_RSET, 5000 }, { STEP_QUIT, 5000 },
	};
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		o->timeout_ms[defaults[i].step] = defaults[i].ms;
}

static void trace(struct probe *p, const char *prefix, const char *line, size_t len)
{
	if (!p->o->trace && !p->o->keep_transcript)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, prefix);
	strbuf_append(&sb, line, len);
	if (p->o->trace)
		p->o->trace(p->o->trace_ctx, sb.data, sb.len);
	if (p->o->keep_transcript) {
		strbuf_append(&p->r->transcript, sb.data, sb.len);
		strbuf_putc(&p->r->transcript, '\n');
	}
	strbuf_free(&sb);
}

static void tracef(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tracef(struct probe *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	trace(p, "*** ", sb.data, sb.len);
	strbuf_free(&sb);
}

static void add_note(struct probe_result *r, const char *note)
{
	/* Each note once, however many hosts showed it. */
	const char *have = strbuf_str(&r->notes);
	size_t n = strlen(note);
	for (const char *q = have; (q = strstr(q, note)) != NULL; q += n)
		if ((q == have || q[-1] == '\n') && (q[n] == '\n' || q[n] == '\0'))
			return;
	strbuf_puts(&r->notes, note);
	strbuf_putc(&r->notes, '\n');
}

static void add_time(struct probe *p, enum step st, int64_t since)
{
	if (st == STEP_NONE)
		return;
	int64_t d = loop_now_ms() - since;
	if (p->r->timings_ms[st] < 0)
		p->r->timings_ms[st] = 0;
	p->r->timings_ms[st] += d;
}

/* ---- the end: pick the deciding attempt and describe it ---- */

static void set_message(struct probe_result *r, const char *detail)
{
	/* Named even when it did not answer: "connection refused" needs a who. */
	bool named = r->server_ip[0] != '\0';
	char server[400] = "";
	if (named && strcmp(r->server_host, r->server_ip) == 0)
		snprintf(server, sizeof server, "[%s]:%d", r->server_ip, r->server_port);
	else if (named)
		snprintf(server, sizeof server, "%s [%s]:%d", r->server_host, r->server_ip, r->server_port);
	switch (r->failure) {
	case FAIL_NONE:
		snprintf(r->message, sizeof r->message, "accepted at RCPT TO by %s", server);
		break;
	case FAIL_REJECTED:
	case FAIL_TEMPFAIL:
		snprintf(r->message, sizeof r->message, "%s %s by %s", step_label(r->step),
		         r->failure == FAIL_REJECTED ? "rejected" : "temporarily refused", server);
		break;
	case FAIL_INVALID_ADDRESS:
	case FAIL_INTERNAL:
		snprintf(r->message, sizeof r->message, "%s", detail ? detail : "");
		break;
	default:
		if (named)
			snprintf(r->message, sizeof r->message, "%s (%s)", detail ? detail : failure_name(r->failure), server);
		else
			snprintf(r->message, sizeof r->message, "%s", detail ? detail : failure_name(r->failure));
		break;
	}
}

static void conclude(struct probe_result *r, enum step step, enum failure f, const char *detail)
{
	r->step = step;
	r->failure = f;
	r->verdict = failure_verdict(f);
	r->exit_status = result_exit_status(step, f);
	set_message(r, detail);
}

static void conclude_attempt(struct probe_result *r, const struct probe_attempt *a)
{
	r->catch_all = a->catch_all;
	if (a->catch_all >= 0) {
		r->have_catch_all_reply = true;
		reply_copy(&r->catch_all_reply, &a->catch_all_reply);
	}
	r->tls = a->tls;
	r->auth_mech = a->auth_mech;
	/* A server that never answered the connection did not give the result. */
	r->have_server = a->step != STEP_CONNECT;
	snprintf(r->server_host, sizeof r->server_host, "%s", a->host);
	snprintf(r->server_ip, sizeof r->server_ip, "%s", a->ip);
	r->server_port = a->port;
	if (a->have_reply) {
		r->have_reply = true;
		reply_copy(&r->reply, &a->reply);
	}
	conclude(r, a->step, a->failure, a->detail[0] ? a->detail : NULL);
}

static void probe_done(struct probe *p)
{
	p->done = true;
	loop_timer_cancel(p->l, &p->retry_timer);
	loop_timer_cancel(p->l, &p->dns_timer);
	loop_timer_cancel(p->l, &p->timer);
	dns_forget(p->d, p);
	for (int i = 0; i < p->nhosts; i++)
		dns_forget(p->d, &p->hosts[i]);
	p->r->total_ms = loop_now_ms() - p->t_start;
	if (p->done_fn)
		p->done_fn(p->done_ctx);
}

static void fail(struct probe *p, enum step step, enum failure f, const char *detail)
{
	conclude(p->r, step, f, detail);
	probe_done(p);
}

static void start_target(struct probe *p);

/*
 * --retry-greylist: a greylister refuses the first try of a new
 * (client, sender, recipient) triple and accepts a later one, as an MTA's
 * queue would retry. Once only, and not with --all-mx, where several
 * hosts decide together.
 */
static bool should_retry(const struct probe *p)
{
	if (!p->o->retry_greylist_s || p->retried || p->o->all_mx || p->r->verdict != VERDICT_TEMPFAIL ||
	    !p->r->have_reply || p->r->nattempts >= PROBE_TARGETS_MAX)
		return false;
	struct diagnosis dg;
	diagnose(p->r, &dg);
	return strcmp(dg.category, "greylisting") == 0;
}

static void on_retry(void *ctx)
{
	struct probe *p = ctx;
	/* The retry's own outcome replaces the first; both stay in attempts. */
	reply_free(&p->r->reply);
	p->r->have_reply = false;
	start_target(p);
}

/* The attempt that decides the result: the last one, or with --all-mx the worst host's. */
static void finish_targets(struct probe *p)
{
	struct probe_result *r = p->r;
	int pick = p->o->all_mx ? -1 : r->nattempts - 1;
	if (p->o->all_mx) {
		int worst_status = 0;
		for (int h = 0; h < p->nhosts; h++) {
			int a = p->host_final[h];
			if (a < 0)
				continue;
			int st = result_exit_status(r->attempts[a].step, r->attempts[a].failure);
			if (pick < 0 || (st != worst_status && result_exit_combine(st, worst_status) == st)) {
				pick = a;
				worst_status = st;
			}
		}
	}
	if (pick < 0)
		pick = r->nattempts - 1;
	conclude_attempt(r, &r->attempts[pick]);
	if (should_retry(p)) {
		p->retried = true;
		r->greylist_wait_s = p->o->retry_greylist_s;
		tracef(p, "greylisted: trying again in %d s", p->o->retry_greylist_s);
		loop_timer_init(&p->retry_timer, on_retry, p);
		loop_timer_arm(p->l, &p->retry_timer, (int64_t)p->o->retry_greylist_s * 1000);
		return;
	}
	probe_done(p);
}

/*
 * Whether an MTA would try the next address or host after this attempt:
 * connection failures, a greeting that is not a 5xx, any 421 (the server
 * is closing), a lost connection, silence or garbage. A real answer to a
 * command - 5xx, or 4xx after the greeting - is definitive.
 */
static bool moves_on(const struct probe_attempt *a)
{
	if (a->failure == FAIL_NONE || a->failure == FAIL_SMTPUTF8)
		return false;
	if (a->have_reply && a->reply.code == 421)
		return true;
	switch (a->failure) {
	case FAIL_REFUSED:
	case FAIL_UNREACHABLE:
	case FAIL_CLOSED:
	case FAIL_TIMEOUT:
	case FAIL_PROTOCOL:
		return true;
	case FAIL_TEMPFAIL:
		return a->step == STEP_BANNER;
	default:
		return false;
	}
}

static void next_target(struct probe *p)
{
	struct probe_attempt *a = &p->r->attempts[p->r->nattempts - 1];
	int host = p->targets[p->cur].host;
	bool on = moves_on(a);
	if (p->o->all_mx) {
		/* Every host gets its own verdict: skip the rest of a host once it answered. */
		if (!on || p->cur + 1 >= p->ntargets || p->targets[p->cur + 1].host != host) {
			p->host_final[host] = p->r->nattempts - 1;
			while (p->cur + 1 < p->ntargets && p->targets[p->cur + 1].host == host)
				p->cur++;
		}
		on = true;
	}
	if (on && p->cur + 1 < p->ntargets && p->r->nattempts < PROBE_TARGETS_MAX) {
		p->cur++;
		start_target(p);
		return;
	}
	finish_targets(p);
}

/* ---- one connection ---- */

static struct probe_attempt *attempt(struct probe *p)
{
	return &p->r->attempts[p->r->nattempts - 1];
}

static void socks_end(struct probe *p);

static void end_connection(struct probe *p)
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
		snprintf(a->detail, sizeof a->detail, "no reply to %s within %d s", step_label(oc->step),
		         p->o->timeout_ms[oc->step] / 1000);
	else
		snprintf(a->detail, sizeof a->detail, "%s", oc->detail);
	a->auth_mech = smtp_auth_mech(p->s);
	a->catch_all = oc->catch_all;
	if (oc->catch_all >= 0)
		reply_copy(&a->catch_all_reply, &oc->catch_all_reply);
	const struct ehlo_caps *caps = smtp_caps(p->s);
	if (caps) {
		p->r->have_caps = true;
		p->r->caps = *caps;
	}
	unsigned notes = smtp_notes(p->s);
	for (unsigned bit = 1; notes; bit <<= 1) {
		if (notes & bit) {
			add_note(p->r, reply_note_text((enum reply_note)bit));
			notes &= ~bit;
		}
	}
	if (oc->failure == FAIL_PROTOCOL && oc->detail[0])
		add_note(p->r, oc->detail);
	smtp_free(p->s);
	p->s = NULL;
	p->handshaking = false;
	end_connection(p);
	tracef(p, "closed connection to %s [%s]:%d", a->host, a->ip, a->port);
	next_target(p);
}

static void flush(struct probe *p);

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

static void start_handshake(struct probe *p);

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

/* ---- TLS ---- */

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

static void start_session(struct probe *p, bool tls_active);
static void start_socks(struct probe *p);
static void tunnel_ready(struct probe *p, const char *early, size_t len);
static void on_socks_io(void *ctx, int fd, unsigned events);
static void connect_failed(struct probe *p, enum step step, enum failure f, const char *detail);

/* The handshake ended: f is FAIL_NONE, FAIL_TLS or FAIL_TLS_VERIFY. */
static void handshake_done(struct probe *p, enum failure f, const char *detail)
{
	p->handshaking = false;
	add_time(p, STEP_TLS, p->t_step);
	if (f == FAIL_NONE)
		tracef(p, "TLS established: %s, %s", attempt(p)->tls.version, attempt(p)->tls.cipher);
	else
		tracef(p, "TLS failed: %s", detail);
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
		snprintf(detail, sizeof detail, "certificate not trusted: %s", t->verify_error);
	else if (!t->name_matched)
		snprintf(detail, sizeof detail, "certificate does not match %s", t->name);
	else {
		handshake_done(p, FAIL_NONE, NULL);
		return;
	}
	if (p->o->tls.verify) {
		handshake_done(p, FAIL_TLS_VERIFY, detail);
		return;
	}
	add_note(p->r, detail);
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
		char detail[240];
		snprintf(detail, sizeof detail, "TLS handshake failed: %s", err);
		handshake_done(p, FAIL_TLS, detail);
		return;
	}
	judge_certificate(p);
}

static void on_handshake_timeout(void *ctx)
{
	struct probe *p = ctx;
	char detail[96];
	snprintf(detail, sizeof detail, "TLS handshake timed out after %d s", p->o->timeout_ms[STEP_TLS] / 1000);
	handshake_done(p, FAIL_TLS, detail);
}

static void start_handshake(struct probe *p)
{
	p->handshaking = true;
	p->t_step = loop_now_ms();
	const char *name = tls_name(p);
	bool ip = is_ip(name);
	if (!p->o->tls_ctx || conn_tls_begin(&p->c, p->o->tls_ctx, ip ? NULL : name) < 0) {
		handshake_done(p, FAIL_TLS, "cannot set up TLS");
		return;
	}
	tracef(p, "starting TLS%s%s", ip ? "" : ", SNI ", ip ? "" : name);
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
		trace(p, "C: ", ev->line, ev->len);
		break;
	case SMTP_EV_RECEIVED:
		trace(p, "S: ", ev->line, ev->len);
		break;
	case SMTP_EV_NOTE: {
		trace(p, "*** ", ev->line, ev->len);
		char note[256];
		snprintf(note, sizeof note, "%.*s", (int)ev->len, ev->line);
		add_note(p->r, note);
		break;
	}
	case SMTP_EV_STATE:
		add_time(p, smtp_state_step(ev->from), p->t_step);
		p->t_step = loop_now_ms();
		if (p->o->verbose >= 2)
			tracef(p, "state %s -> %s", smtp_state_name(ev->from), smtp_state_name(ev->to));
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
	tracef(p, "%s [%s]:%d: %s", a->host, a->ip, a->port, detail);
	end_connection(p);
	if (step == STEP_CONNECT)
		add_time(p, STEP_CONNECT, p->t_step);
	next_target(p);
}

static void connect_failed_errno(struct probe *p, int err)
{
	enum failure f = err == ECONNREFUSED ? FAIL_REFUSED : FAIL_UNREACHABLE;
	char detail[400];
	snprintf(detail, sizeof detail, "connection failed: %s", strerror(err));
	if (err == ECONNREFUSED)
		snprintf(detail, sizeof detail, "connection refused");
	if (p->o->proxy) {
		/* It was the proxy that could not be reached, not the mail server. */
		f = FAIL_PROXY;
		snprintf(detail, sizeof detail, "cannot connect to the proxy %s:%d: %s", p->o->proxy->host,
		         p->o->proxy->port, strerror(err));
	}
	connect_failed(p, STEP_CONNECT, f, detail);
}

static void on_connect_timeout(void *ctx)
{
	struct probe *p = ctx;
	char detail[96];
	snprintf(detail, sizeof detail, "connect timed out after %d s%s", p->o->timeout_ms[STEP_CONNECT] / 1000,
	         p->o->proxy ? " (through the proxy)" : "");
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
	add_time(p, STEP_CONNECT, p->t_step);
	tracef(p, "connected to %s [%s]:%d", a->host, a->ip, a->port);
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

/* ---- SOCKS5 ---- */

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
		connect_failed(p, STEP_CONNECT, FAIL_PROXY, "the proxy closed the connection during the SOCKS5 handshake");
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
	add_time(p, STEP_CONNECT, p->t_step);
	struct probe_attempt *a = attempt(p);
	tracef(p, "connected to %s:%d through the proxy", a->ip[0] ? a->ip : a->host, a->port);
	tunnel_ready(p, buf + used, (size_t)n - used);
}

static void start_socks(struct probe *p)
{
	struct probe_attempt *a = attempt(p);
	tracef(p, "connected to proxy %s:%d, asking for %s:%d", p->o->proxy->host, p->o->proxy->port,
	       a->ip[0] ? a->ip : a->host, a->port);
	p->socks = socks_new(p->o->proxy, a->ip[0] ? a->ip : a->host, (uint16_t)a->port);
	if (!p->socks) {
		connect_failed(p, STEP_CONNECT, FAIL_INTERNAL, "out of memory");
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
		.catch_all_rcpt = p->o->catch_all ? p->r->catch_all_address : NULL,
	};
	p->s = smtp_new(&sp, on_smtp_event, p);
	if (!p->s) {
		end_connection(p);
		fail(p, STEP_CONNECT, FAIL_INTERNAL, "out of memory");
		return;
	}
	p->t_step = loop_now_ms();
	loop_timer_cancel(p->l, &p->timer);
	loop_timer_init(&p->timer, on_step_timeout, p);
	loop_timer_arm(p->l, &p->timer, p->o->timeout_ms[STEP_BANNER]);
	loop_watch(p->l, p->c.fd, LOOP_READ, on_io, p);
}

static void start_target(struct probe *p)
{
	const struct target *t = &p->targets[p->cur];
	struct probe_attempt *a = &p->r->attempts[p->r->nattempts++];
	memset(a, 0, sizeof *a);
	a->catch_all = -1;
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

	tracef(p, "connecting to %s [%s]:%d", p->o->proxy ? "proxy" : a->host, to->ip, port);
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

/* ---- DNS ---- */

static enum failure dns_failure(enum dns_status st)
{
	static const enum failure map[] = {
		[DNS_OK] = FAIL_NONE,
		[DNS_NODATA] = FAIL_NO_ADDRESS,
		[DNS_NXDOMAIN] = FAIL_NXDOMAIN,
		[DNS_SERVFAIL] = FAIL_SERVFAIL,
		[DNS_TIMEOUT] = FAIL_DNS_TIMEOUT,
		[DNS_ERROR] = FAIL_DNS_ERROR,
	};
	return (unsigned)st < sizeof map / sizeof map[0] ? map[st] : FAIL_DNS_ERROR;
}

/* IPv6 and IPv4 alternate, as Happy Eyeballs orders them, without racing. */
static void build_targets(struct probe *p)
{
	p->ntargets = 0;
	for (int h = 0; h < p->nhosts; h++) {
		struct host *ho = &p->hosts[h];
		const struct dns_addr *v6[DNS_ADDR_MAX], *v4[DNS_ADDR_MAX];
		int n6 = 0, n4 = 0;
		for (int i = 0; i < ho->naddrs; i++) {
			if (ho->addrs[i].family == AF_INET6)
				v6[n6++] = &ho->addrs[i];
			else
				v4[n4++] = &ho->addrs[i];
		}
		for (int i = 0; i < n6 || i < n4; i++) {
			if (i < n6 && p->ntargets < PROBE_TARGETS_MAX)
				p->targets[p->ntargets++] = (struct target){ h, v6[i] };
			if (i < n4 && p->ntargets < PROBE_TARGETS_MAX)
				p->targets[p->ntargets++] = (struct target){ h, v4[i] };
		}
	}
}

static void addresses_known(struct probe *p)
{
	loop_timer_cancel(p->l, &p->dns_timer);
	add_time(p, STEP_DNS, p->t_dns);
	build_targets(p);
	if (p->ntargets > 0) {
		p->cur = 0;
		start_target(p);
		return;
	}
	/* Nothing to connect to: a resolver failure is temporary, a plain absence is not. */
	enum dns_status worst = DNS_NODATA;
	const char *why = NULL;
	for (int h = 0; h < p->nhosts; h++) {
		enum dns_status st = p->hosts[h].st;
		if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
			worst = st;
			why = p->hosts[h].why;
		}
	}
	char detail[400];
	if (worst == DNS_NODATA)
		snprintf(detail, sizeof detail, "no IP address for %s%s", p->hosts[0].name,
		         p->nhosts > 1 ? " or any other mail host" : "");
	else
		snprintf(detail, sizeof detail, "address lookup of %s failed: %s", p->hosts[0].name,
		         why ? why : dns_status_text(worst));
	fail(p, STEP_DNS, worst == DNS_NODATA ? FAIL_NO_ADDRESS : dns_failure(worst), detail);
}

static void on_addr(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why)
{
	struct host *h = ctx;
	struct probe *p = h->p;
	h->st = st;
	h->why = why;
	for (int i = 0; i < n && h->naddrs < DNS_ADDR_MAX; i++)
		h->addrs[h->naddrs++] = a[i];
	if (--p->pending == 0 && !p->done)
		addresses_known(p);
}

static void resolve_hosts(struct probe *p, bool absolute)
{
	if (p->o->proxy && p->o->proxy->remote_dns) {
		/* socks5h: the proxy resolves each host; one target per host, by name. */
		for (int i = 0; i < p->nhosts; i++) {
			memset(&p->hosts[i].addrs[0], 0, sizeof p->hosts[i].addrs[0]);
			p->hosts[i].naddrs = 1;
			p->hosts[i].st = DNS_OK;
		}
		addresses_known(p);
		return;
	}
	p->pending = p->nhosts;
	for (int i = 0; i < p->nhosts; i++) {
		struct host *h = &p->hosts[i];
		h->p = p;
		char name[260];
		size_t len = strlen(h->name);
		/* A trailing dot keeps c-ares from trying search domains on MX names. */
		snprintf(name, sizeof name, "%s%s", h->name, absolute && len && h->name[len - 1] != '.' ? "." : "");
		dns_query_addr(p->d, name, p->o->family, on_addr, h);
		if (p->done)
			return;
	}
}

struct mx_sort {
	struct dns_mx mx;
	uint32_t key;
};

static int mx_cmp(const void *a, const void *b)
{
	const struct mx_sort *x = a, *y = b;
	if (x->mx.preference != y->mx.preference)
		return x->mx.preference < y->mx.preference ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void on_mx(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why)
{
	struct probe *p = ctx;
	struct probe_result *r = p->r;
	const char *domain = r->addr.domain;
	char detail[400];

	if (st == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
		snprintf(r->mx[0].host, sizeof r->mx[0].host, "%s", domain);
		r->mx[0].implicit = true;
		r->nmx = 1;
		snprintf(p->hosts[0].name, sizeof p->hosts[0].name, "%s", domain);
		p->nhosts = 1;
		resolve_hosts(p, true);
		return;
	}
	if (st != DNS_OK) {
		if (st == DNS_NXDOMAIN)
			snprintf(detail, sizeof detail, "%s does not exist (NXDOMAIN)", domain);
		else
			snprintf(detail, sizeof detail, "MX lookup for %s failed: %s", domain, why ? why : dns_status_text(st));
		fail(p, STEP_DNS, dns_failure(st), detail);
		return;
	}

	struct mx_sort sorted[DNS_MX_MAX];
	uint32_t keys[DNS_MX_MAX] = { 0 };
	if (getrandom(keys, sizeof keys, GRND_NONBLOCK) < 0) {
		for (int i = 0; i < DNS_MX_MAX; i++)
			keys[i] = (uint32_t)rand();
	}
	int nreal = 0, nnull = 0;
	for (int i = 0; i < n; i++) {
		if (mx[i].host[0] == '\0') {
			nnull++;
			continue;
		}
		sorted[nreal].mx = mx[i];
		sorted[nreal].key = keys[i];
		nreal++;
	}
	if (nnull > 0 && nreal == 0) {
		r->null_mx = true;
		snprintf(detail, sizeof detail, "%s publishes a null MX (RFC 7505): it accepts no mail", domain);
		fail(p, STEP_DNS, FAIL_NULL_MX, detail);
		return;
	}
	if (nnull > 0)
		add_note(r, "a null MX is published beside other MX records (RFC 7505 says it must stand alone); it was ignored");
	/* RFC 5321 5.1: lowest preference first, random order among equals. */
	qsort(sorted, (size_t)nreal, sizeof sorted[0], mx_cmp);
	for (int i = 0; i < nreal; i++) {
		snprintf(r->mx[i].host, sizeof r->mx[i].host, "%s", sorted[i].mx.host);
		r->mx[i].preference = sorted[i].mx.preference;
		snprintf(p->hosts[i].name, sizeof p->hosts[i].name, "%s", sorted[i].mx.host);
		p->hosts[i].preference = sorted[i].mx.preference;
	}
	r->nmx = nreal;
	p->nhosts = nreal;
	resolve_hosts(p, true);
}

static void on_dns_timeout(void *ctx)
{
	struct probe *p = ctx;
	char detail[96];
	snprintf(detail, sizeof detail, "no answer from the resolver within %d s", p->o->timeout_ms[STEP_DNS] / 1000);
	fail(p, STEP_DNS, FAIL_DNS_TIMEOUT, detail);
}

/* ---- entry ---- */

/*
 * An address that cannot exist at the same domain: long, random, and
 * saying what it is for anyone who reads the server's logs.
 */
static void make_catch_all_address(struct probe_result *r)
{
	unsigned char rnd[10] = { 0 };
	if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) < (ssize_t)sizeof rnd) {
		for (size_t i = 0; i < sizeof rnd; i++)
			rnd[i] = (unsigned char)rand();
	}
	char hex[sizeof rnd * 2 + 1];
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(r->catch_all_address, sizeof r->catch_all_address, "smtpprobe-nonexistent-%s@%s", hex, r->addr.domain);
}

static void split_server(const char *spec, char *host, size_t hostsz)
{
	/* "[v6]" -> "v6"; the port was taken off by the caller. */
	size_t len = strlen(spec);
	if (len >= 2 && spec[0] == '[' && spec[len - 1] == ']')
		snprintf(host, hostsz, "%.*s", (int)(len - 2), spec + 1);
	else
		snprintf(host, hostsz, "%s", spec);
}

struct probe *probe_start(struct loop *l, struct dns *d, const struct probe_options *o,
                          const char *input, size_t len, struct probe_result *r,
                          void (*done)(void *ctx), void *ctx)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < STEP_COUNT; i++)
		r->timings_ms[i] = -1;
	r->catch_all = -1;
	struct probe *p = calloc(1, sizeof *p);
	r->input = malloc(len + 1);
	if (!p || !r->input) {
		free(p);
		conclude(r, STEP_INPUT, FAIL_INTERNAL, "out of memory");
		if (done)
			done(ctx);
		return NULL;
	}
	memcpy(r->input, input, len);
	r->input[len] = '\0';
	r->input_len = len;
	p->l = l;
	p->d = d;
	p->o = o;
	p->r = r;
	p->done_fn = done;
	p->done_ctx = ctx;
	p->c.fd = -1;
	p->t_start = loop_now_ms();
	p->port = o->server_host && o->server_port ? o->server_port : o->port;
	for (int i = 0; i < DNS_MX_MAX; i++)
		p->host_final[i] = -1;

	enum addr_error ae = addr_parse(input, len, false, &r->addr);
	if (ae != ADDR_OK) {
		char detail[200];
		snprintf(detail, sizeof detail, "invalid address: %s", addr_strerror(ae));
		fail(p, STEP_INPUT, FAIL_INVALID_ADDRESS, detail);
		return p;
	}
	r->addr_ok = true;
	if (o->catch_all)
		make_catch_all_address(r);
	if (!addr_format(&r->addr, p->rcpt, sizeof p->rcpt)) {
		fail(p, STEP_INPUT, FAIL_INTERNAL, "address too long");
		return p;
	}

	p->t_dns = loop_now_ms();
	loop_timer_init(&p->dns_timer, on_dns_timeout, p);
	loop_timer_arm(l, &p->dns_timer, o->timeout_ms[STEP_DNS]);
	if (o->server_host || r->addr.domain_is_literal) {
		split_server(o->server_host ? o->server_host : r->addr.literal_ip, p->hosts[0].name, sizeof p->hosts[0].name);
		p->nhosts = 1;
		resolve_hosts(p, false);
	} else {
		dns_query_mx(d, r->addr.domain, on_mx, p);
	}
	return p;
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	loop_timer_cancel(p->l, &p->retry_timer);
	loop_timer_cancel(p->l, &p->dns_timer);
	dns_forget(p->d, p);
	for (int i = 0; i < p->nhosts; i++)
		dns_forget(p->d, &p->hosts[i]);
	smtp_free(p->s);
	end_connection(p);
	free(p);
}

static void set_flag(void *ctx)
{
	*(bool *)ctx = true;
}

void probe_run(struct loop *l, struct dns *d, const struct probe_options *o,
               const char *input, size_t len, struct probe_result *r)
{
	bool finished = false;
	struct probe *p = probe_start(l, d, o, input, len, r, set_flag, &finished);
	if (p && !finished && loop_run(l, &finished) < 0)
		fail(p, STEP_NONE, FAIL_INTERNAL, "event loop failed");
	probe_free(p);
}

void probe_result_free(struct probe_result *r)
{
	free(r->input);
	reply_free(&r->reply);
	for (int i = 0; i < r->nattempts; i++) {
		reply_free(&r->attempts[i].reply);
		reply_free(&r->attempts[i].catch_all_reply);
	}
	reply_free(&r->catch_all_reply);
	strbuf_free(&r->notes);
	strbuf_free(&r->transcript);
	memset(r, 0, sizeof *r);
}
