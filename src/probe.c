/* probe.c - one address end to end: entry, the order of attempts, the result (see probe.h). */
#include "probe_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "diagnose.h"
#include "facts.h"
#include "i18n.h"
#include "mem.h"

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

/* -v: live to the caller; with keep_transcript also into the result, in English. */
static void trace(struct probe *p, const char *prefix, const char *line, size_t len, const struct msg *m)
{
	const struct probe_options *o = p->o;
	if (o->trace)
		o->trace(o->trace_ctx, prefix, line, len, m);
	if (!o->keep_transcript)
		return;
	struct strbuf *t = &p->r->transcript;
	strbuf_puts(t, prefix);
	if (m)
		msg_format(m, false, t);
	else
		strbuf_append(t, line, len);
	strbuf_putc(t, '\n');
}

void probe_event(struct probe *p, const struct msg *m)
{
	trace(p, "*** ", NULL, 0, m);
}

void probe_note(struct probe_result *r, const struct msg *m)
{
	/* Each note once, however many hosts showed it. */
	for (int i = 0; i < r->nnotes; i++)
		if (msg_equal(&r->notes[i], m))
			return;
	if (r->nnotes == PROBE_NOTES_MAX) {
		r->notes_dropped++;
		return;
	}
	r->notes[r->nnotes++] = *m;
}

void probe_add_time(struct probe *p, enum step st, int64_t ms)
{
	if (st == STEP_NONE)
		return;
	if (p->r->timings_ms[st] < 0)
		p->r->timings_ms[st] = 0;
	p->r->timings_ms[st] += ms;
}

const struct probe_attempt *probe_decided(const struct probe_result *r)
{
	return r->decided >= 0 && r->decided < r->nattempts ? &r->attempts[r->decided] : NULL;
}

bool probe_have_server(const struct probe_result *r)
{
	const struct probe_attempt *a = probe_decided(r);
	/* A server that never answered the connection did not give the result. */
	return a && a->step != STEP_CONNECT;
}

const struct reply *probe_reply(const struct probe_result *r)
{
	const struct probe_attempt *a = probe_decided(r);
	return a && a->have_reply ? &a->reply : NULL;
}

__attribute__((format_arg(1)))
static const char *tr(const char *s, bool translate)
{
	return translate && s[0] ? _(s) : s;
}

void probe_message(const struct probe_result *r, bool translate, struct strbuf *out)
{
	const struct probe_attempt *a = probe_decided(r);
	const struct msg *detail = a ? &a->detail : &r->detail;
	/* Named even when it did not answer: "connection refused" needs a who. */
	struct strbuf server = STRBUF_INIT;
	if (a && a->ip[0] && strcmp(a->host, a->ip) == 0)
		strbuf_printf(&server, "[%s]:%d", a->ip, a->port);
	else if (a && a->ip[0])
		strbuf_printf(&server, "%s [%s]:%d", a->host, a->ip, a->port);
	else if (a)
		strbuf_printf(&server, "%s:%d", a->host, a->port);
	const char *step = step_label(r->step);
	step = step[0] ? tr(step, translate) : step;
	switch (r->failure) {
	case FAIL_NONE:
		strbuf_printf(out, tr(N_("accepted at RCPT TO by %s"), translate), strbuf_str(&server));
		break;
	case FAIL_REJECTED:
		strbuf_printf(out, tr(N_("%s rejected by %s"), translate), step, strbuf_str(&server));
		break;
	case FAIL_TEMPFAIL:
		strbuf_printf(out, tr(N_("%s temporarily refused by %s"), translate), step, strbuf_str(&server));
		break;
	default:
		if (msg_empty(detail))
			strbuf_puts(out, failure_name(r->failure));
		else
			msg_format(detail, translate, out);
		if (a && r->failure != FAIL_INTERNAL)
			strbuf_printf(out, " (%s)", strbuf_str(&server));
		break;
	}
	strbuf_free(&server);
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

static void conclude(struct probe_result *r, const struct probe_options *o, enum step step, enum failure f)
{
	r->step = step;
	r->failure = f;
	probe_result_judge(r, o->require_mailbox);
}

/*
 * What the made-up address's answer says of the domain. A refusal proves
 * that the domain refuses unknown addresses only when it is about the
 * recipient: a made-up address refused because of this client, the sender
 * or a rate limit says nothing.
 */
static enum catch_all catch_all_meaning(enum catch_all st, const struct reply *r, unsigned context)
{
	if (st != CATCH_ALL_NO)
		return st;
	struct diag_input in = { .step = STEP_RCPT, .failure = failure_from_code(r->code), .reply = r,
	                         .catch_all = CATCH_ALL_UNTESTED, .context = context };
	struct diagnosis dg;
	diagnose_input(&in, &dg);
	return dg.blame == BLAME_RECIPIENT ? CATCH_ALL_NO : CATCH_ALL_UNKNOWN;
}

/* The session asked the catch-all question: a fact about the domain, whatever the recipient's answer. */
static void learn_catch_all(struct probe_result *r, const struct probe_options *o, const struct probe_attempt *a)
{
	if (a->catch_all == CATCH_ALL_UNTESTED)
		return;
	struct facts_catch_all c = { .state = catch_all_meaning(a->catch_all, &a->catch_all_reply, r->context),
	                             .have_reply = true, .reply = a->catch_all_reply };
	snprintf(c.address, sizeof c.address, "%s", r->catch_all_address);
	facts_set_catch_all(o->facts, r->addr.domain, &c);
}

/*
 * The catch-all check is a fact about the domain: the first accepted
 * recipient of a domain asks, the others of the run reuse its answer.
 */
static void share_catch_all(struct probe_result *r, const struct probe_options *o, const struct probe_attempt *a)
{
	if (!o->catch_all)
		return;
	if (a->catch_all != CATCH_ALL_UNTESTED) {
		r->catch_all = catch_all_meaning(a->catch_all, &a->catch_all_reply, r->context);
		r->have_catch_all_reply = true;
		reply_copy(&r->catch_all_reply, &a->catch_all_reply);
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

static void probe_done(struct probe *p)
{
	p->done = true;
	loop_timer_cancel(p->l, &p->retry_timer);
	loop_timer_cancel(p->l, &p->dns_timer);
	attempt_stop(&p->attempt);
	dns_forget(p->d, p);
	for (int i = 0; i < p->route.nhosts; i++)
		dns_forget(p->d, &p->lookups[i]);
	p->r->total_ms = loop_now_ms() - p->t_start;
	if (p->done_fn)
		p->done_fn(p->done_ctx);
}

void probe_fail(struct probe *p, enum step step, enum failure f, const struct msg *detail)
{
	if (detail)
		p->r->detail = *detail;
	p->r->decided = -1;
	conclude(p->r, p->o, step, f);
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
	return p->o->retry_greylist_s && !p->retried && !p->o->all_mx && p->r->verdict == VERDICT_TEMPFAIL &&
	       probe_reply(p->r) && strcmp(p->r->category, "greylisting") == 0;
}

static void connect_target(struct probe *p);

static void on_retry(void *ctx)
{
	struct probe *p = ctx;
	/* The same address again; the retry's own outcome replaces the first, both stay in attempts. */
	p->route.plain = false;
	p->route.nattempts++;
	connect_target(p);
}

static int attempt_exit_status(const struct probe *p, const struct probe_attempt *a)
{
	struct diag_input in = {
		.step = a->step,
		.failure = a->failure,
		.reply = a->have_reply ? &a->reply : NULL,
		.catch_all = a->catch_all,
		.context = p->r->context,
	};
	struct diagnosis dg;
	diagnose_input(&in, &dg);
	return result_exit_status(a->failure, dg.blame, dg.mailbox, p->o->require_mailbox);
}

/* The attempt that decides the result: the last one, or with --all-mx the worst host's. */
static int deciding_attempt(const struct probe *p)
{
	const struct probe_result *r = p->r;
	if (!p->o->all_mx)
		return r->nattempts - 1;
	int pick = -1, worst = 0;
	for (int h = 0; h < p->route.nhosts; h++) {
		int a = p->route.host_final[h];
		if (a < 0)
			continue;
		int st = attempt_exit_status(p, &r->attempts[a]);
		if (pick < 0 || (st != worst && result_exit_combine(st, worst) == st)) {
			pick = a;
			worst = st;
		}
	}
	return pick < 0 ? r->nattempts - 1 : pick;
}

static void finish_attempts(struct probe *p)
{
	struct probe_result *r = p->r;
	r->decided = deciding_attempt(p);
	const struct probe_attempt *a = &r->attempts[r->decided];
	learn_catch_all(r, p->o, a);
	if (a->failure == FAIL_NONE)
		share_catch_all(r, p->o, a);
	conclude(r, p->o, a->step, a->failure);
	if (should_retry(p)) {
		p->retried = true;
		r->greylist_wait_s = p->o->retry_greylist_s;
		struct msg m;
		msg_set(&m, N_("greylisted: trying again in %d s"), "d", p->o->retry_greylist_s);
		probe_event(p, &m);
		msg_set(&m, N_("greylisted at first: tried again after %d s"), "d", p->o->retry_greylist_s);
		probe_note(r, &m);
		loop_timer_init(&p->retry_timer, on_retry, p);
		loop_timer_arm(p->l, &p->retry_timer, (int64_t)p->o->retry_greylist_s * 1000);
		return;
	}
	probe_done(p);
}

static void on_attempt_trace(void *ctx, const char *prefix, const char *line, size_t len, const struct msg *m)
{
	trace(ctx, prefix, line, len, m);
}

static void on_attempt_note(void *ctx, const struct msg *m)
{
	struct probe *p = ctx;
	probe_note(p->r, m);
}

static void on_attempt_timing(void *ctx, enum step st, int64_t ms)
{
	probe_add_time(ctx, st, ms);
}

static void on_attempt_done(void *ctx)
{
	struct probe *p = ctx;
	struct probe_result *r = p->r;
	int idx = r->nattempts - 1;
	const struct probe_attempt *a = &r->attempts[idx];
	struct route_outcome oc = { a->step, a->failure, a->have_reply ? a->reply.code : 0 };
	if (a->failure == FAIL_TLS && a->step == STEP_TLS && p->o->tls.mode == TLS_AUTO && !a->plain) {
		/* The opportunistic fall-back (route_next decides it): say so in the report. */
		struct strbuf why = STRBUF_INIT;
		msg_format(&a->detail, false, &why);
		struct msg m;
		msg_set(&m, N_("STARTTLS was offered but the TLS handshake with %s failed (%s): retried in clear text, as an MTA with opportunistic TLS does"),
		        "ss", a->host, strbuf_str(&why));
		strbuf_free(&why);
		probe_note(r, &m);
	}
	if (r->nattempts < ROUTE_ATTEMPTS_MAX && route_next(&p->route, &oc, idx) == ROUTE_CONNECT) {
		connect_target(p);
		return;
	}
	finish_attempts(p);
}

static const struct attempt_ops attempt_ops = {
	.trace = on_attempt_trace,
	.note = on_attempt_note,
	.timing = on_attempt_timing,
	.done = on_attempt_done,
};

/* Open the route's current target as a new attempt. */
static void connect_target(struct probe *p)
{
	struct probe_result *r = p->r;
	r->attempts = xreallocarray(r->attempts, (size_t)r->nattempts + 1, sizeof *r->attempts);
	struct probe_attempt *a = &r->attempts[r->nattempts++];
	memset(a, 0, sizeof *a);
	a->at_ms = loop_now_ms() - p->t_start;
	const struct route_host *h = route_host_now(&p->route);
	struct attempt_params ap = {
		.o = p->o,
		.host = h->name,
		.addr = route_addr_now(&p->route),
		.port = p->port,
		.plain = p->route.plain,
		.rcpt = p->rcpt,
		.catch_all_rcpt = r->catch_all_address[0] ? r->catch_all_address : NULL,
		.need_smtputf8 = r->addr.needs_smtputf8 || p->o->from_needs_smtputf8,
	};
	attempt_start(&p->attempt, p->l, &ap, a, &attempt_ops, p);
}

void probe_hosts_known(struct probe *p)
{
	if (route_first(&p->route) == ROUTE_CONNECT)
		connect_target(p);
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
	r->context = (o->family != AF_UNSPEC ? DIAG_CTX_FAMILY : 0) | (o->resolver_given ? DIAG_CTX_RESOLVER : 0);
	r->input = xmalloc(len + 1);
	memcpy(r->input, input, len);
	r->input[len] = '\0';
	r->input_len = len;
	struct probe *p = xcalloc(1, sizeof *p);
	p->l = l;
	p->d = d;
	p->o = o;
	p->r = r;
	p->done_fn = done;
	p->done_ctx = ctx;
	p->t_start = loop_now_ms();
	p->port = o->server_host && o->server_port ? o->server_port : o->port;
	loop_timer_init(&p->retry_timer, on_retry, p);
	loop_timer_init(&p->dns_timer, probe_on_dns_timeout, p);

	enum addr_error ae = addr_parse(input, len, false, &r->addr);
	if (ae != ADDR_OK) {
		r->addr_error = ae;
		struct msg m;
		msg_set(&m, N_("invalid address: %s"), "t", addr_strerror(ae));
		probe_fail(p, STEP_INPUT, FAIL_INVALID_ADDRESS, &m);
		return p;
	}
	r->addr_ok = true;
	/* Ask only when no earlier address of the domain has (share_catch_all). */
	if (o->catch_all && !facts_catch_all(o->facts, r->addr.domain))
		make_catch_all_address(r);
	if (!addr_format(&r->addr, p->rcpt, sizeof p->rcpt)) {
		struct msg m;
		msg_set(&m, N_("invalid address: %s"), "t", N_("the address is too long"));
		probe_fail(p, STEP_INPUT, FAIL_INVALID_ADDRESS, &m);
		return p;
	}

	p->t_dns = loop_now_ms();
	loop_timer_arm(l, &p->dns_timer, o->timeout_ms[STEP_DNS]);
	if (o->server_host || r->addr.domain_is_literal) {
		struct route_host *h = &p->route.hosts[0];
		split_server(o->server_host ? o->server_host : r->addr.literal_ip, h->name, sizeof h->name);
		p->route.nhosts = 1;
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
	for (int i = 0; i < p->route.nhosts; i++)
		dns_forget(p->d, &p->lookups[i]);
	attempt_stop(&p->attempt);
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
	if (!finished && loop_run(l, &finished) < 0) {
		struct msg m;
		msg_set(&m, N_("event loop failed"), "");
		probe_fail(p, STEP_NONE, FAIL_INTERNAL, &m);
	}
	probe_free(p);
}

void probe_result_free(struct probe_result *r)
{
	free(r->input);
	for (int i = 0; i < r->nattempts; i++) {
		reply_free(&r->attempts[i].reply);
		reply_free(&r->attempts[i].catch_all_reply);
	}
	free(r->attempts);
	reply_free(&r->catch_all_reply);
	strbuf_free(&r->transcript);
	memset(r, 0, sizeof *r);
}
