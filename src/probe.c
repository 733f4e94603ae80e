/* probe.c - one address end to end: entry, the order of attempts, the result (see probe.h). */
#include "probe_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "diagnose.h"
#include "facts.h"
#include "i18n.h"

void probe_options_defaults(struct probe_options *o)
{
	memset(o, 0, sizeof *o);
	o->port = 25;
	o->family = AF_UNSPEC;
	o->mail_from = "";
	o->catch_all = true;
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

void probe_trace(struct probe *p, const char *prefix, const char *line, size_t len)
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

void probe_tracef(struct probe *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	probe_trace(p, "*** ", sb.data, sb.len);
	strbuf_free(&sb);
}

void probe_note(struct probe_result *r, const char *note)
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

void probe_add_time(struct probe *p, enum step st, int64_t since)
{
	if (st == STEP_NONE)
		return;
	int64_t d = loop_now_ms() - since;
	if (p->r->timings_ms[st] < 0)
		p->r->timings_ms[st] = 0;
	p->r->timings_ms[st] += d;
}

const char *probe_step_text(enum step st)
{
	const char *l = step_label(st);
	return l[0] ? _(l) : l;  /* gettext("") would be the catalogue's header */
}

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
		snprintf(r->message, sizeof r->message, _("accepted at RCPT TO by %s"), server);
		break;
	case FAIL_REJECTED:
	case FAIL_TEMPFAIL:
		if (r->failure == FAIL_REJECTED)
			snprintf(r->message, sizeof r->message, _("%s rejected by %s"), probe_step_text(r->step), server);
		else
			snprintf(r->message, sizeof r->message, _("%s temporarily refused by %s"), probe_step_text(r->step), server);
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

void probe_result_judge(struct probe_result *r, bool require_mailbox)
{
	struct diagnosis dg;
	diagnose(r, &dg);
	r->category = dg.category;
	r->blame = dg.blame;
	r->mailbox = dg.mailbox;
	r->verdict = failure_verdict(r->failure);
	r->exit_status = result_exit_status(r->failure, r->blame, r->mailbox, require_mailbox);
}

static void conclude(struct probe_result *r, const struct probe_options *o, enum step step, enum failure f,
                     const char *detail)
{
	r->step = step;
	r->failure = f;
	probe_result_judge(r, o->require_mailbox);
	set_message(r, detail);
}

/*
 * The catch-all check is a fact about the domain: the first accepted
 * recipient of a domain asks, the others of the run reuse its answer.
 */
static void share_catch_all(struct probe_result *r, const struct probe_options *o)
{
	if (!o->catch_all)
		return;
	if (r->catch_all != CATCH_ALL_UNTESTED) {
		struct facts_catch_all c = { .state = r->catch_all, .have_reply = r->have_catch_all_reply };
		snprintf(c.address, sizeof c.address, "%s", r->catch_all_address);
		if (c.have_reply)
			c.reply = r->catch_all_reply;  /* copied by facts_set_catch_all */
		facts_set_catch_all(o->facts, r->addr.domain, &c);
		return;
	}
	const struct facts_catch_all *known = facts_catch_all(o->facts, r->addr.domain);
	if (!known)
		return;
	r->catch_all = known->state;
	r->catch_all_shared = true;
	snprintf(r->catch_all_address, sizeof r->catch_all_address, "%s", known->address);
	if (known->have_reply) {
		r->have_catch_all_reply = true;
		reply_copy(&r->catch_all_reply, &known->reply);
	}
}

static void conclude_attempt(struct probe_result *r, const struct probe_options *o, const struct probe_attempt *a)
{
	r->catch_all = a->catch_all;
	if (a->catch_all != CATCH_ALL_UNTESTED) {
		r->have_catch_all_reply = true;
		reply_copy(&r->catch_all_reply, &a->catch_all_reply);
	}
	r->decided = (int)(a - r->attempts);
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
	if (a->failure == FAIL_NONE)
		share_catch_all(r, o);
	conclude(r, o, a->step, a->failure, a->detail[0] ? a->detail : NULL);
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

void probe_fail(struct probe *p, enum step step, enum failure f, const char *detail)
{
	conclude(p->r, p->o, step, f, detail);
	probe_done(p);
}

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
	return strcmp(p->r->category, "greylisting") == 0;
}

static void on_retry(void *ctx)
{
	struct probe *p = ctx;
	/* The retry's own outcome replaces the first; both stay in attempts. */
	reply_free(&p->r->reply);
	p->r->have_reply = false;
	probe_connect(p);
}

static int attempt_exit_status(const struct probe_options *o, const struct probe_attempt *a)
{
	struct diag_input in = {
		.step = a->step,
		.failure = a->failure,
		.reply = a->have_reply ? &a->reply : NULL,
		.catch_all = a->catch_all,
	};
	struct diagnosis dg;
	diagnose_input(&in, &dg);
	return result_exit_status(a->failure, dg.blame, dg.mailbox, o->require_mailbox);
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
			int st = attempt_exit_status(p->o, &r->attempts[a]);
			if (pick < 0 || (st != worst_status && result_exit_combine(st, worst_status) == st)) {
				pick = a;
				worst_status = st;
			}
		}
	}
	if (pick < 0)
		pick = r->nattempts - 1;
	conclude_attempt(r, p->o, &r->attempts[pick]);
	if (should_retry(p)) {
		p->retried = true;
		r->greylist_wait_s = p->o->retry_greylist_s;
		probe_tracef(p, _("greylisted: trying again in %d s"), p->o->retry_greylist_s);
		char note[192];
		snprintf(note, sizeof note, _("greylisted at first: tried again after %d s"), p->o->retry_greylist_s);
		probe_note(r, note);
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

void probe_next_target(struct probe *p)
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
		probe_connect(p);
		return;
	}
	finish_targets(p);
}

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
	r->catch_all = CATCH_ALL_UNTESTED;
	r->decided = -1;
	struct probe *p = calloc(1, sizeof *p);
	r->input = malloc(len + 1);
	if (!p || !r->input) {
		free(p);
		conclude(r, o, STEP_INPUT, FAIL_INTERNAL, _("out of memory"));
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
		/* TRANSLATORS: followed by the reason; main.c takes it off again for its own line. */
		snprintf(detail, sizeof detail, "%s%s", _("invalid address: "), _(addr_strerror(ae)));
		probe_fail(p, STEP_INPUT, FAIL_INVALID_ADDRESS, detail);
		return p;
	}
	r->addr_ok = true;
	/* Ask only when no earlier address of the domain has (share_catch_all). */
	if (o->catch_all && !facts_catch_all(o->facts, r->addr.domain))
		make_catch_all_address(r);
	if (!addr_format(&r->addr, p->rcpt, sizeof p->rcpt)) {
		probe_fail(p, STEP_INPUT, FAIL_INTERNAL, _("address too long"));
		return p;
	}

	p->t_dns = loop_now_ms();
	loop_timer_init(&p->dns_timer, probe_on_dns_timeout, p);
	loop_timer_arm(l, &p->dns_timer, o->timeout_ms[STEP_DNS]);
	if (o->server_host || r->addr.domain_is_literal) {
		split_server(o->server_host ? o->server_host : r->addr.literal_ip, p->hosts[0].name, sizeof p->hosts[0].name);
		p->nhosts = 1;
		probe_resolve_hosts(p, false);
	} else {
		dns_query_mx(d, r->addr.domain, probe_on_mx, p);
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
	probe_disconnect(p);
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
		probe_fail(p, STEP_NONE, FAIL_INTERNAL, _("event loop failed"));
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
