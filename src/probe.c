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
		o->trace(o->trace_ctx, p->who, prefix, line, len, m);
	if (!o->keep_transcript)
		return;
	struct strbuf *t = &p->common.transcript;
	/* A budget per probe: a hostile server cannot make the JSON transcript megabytes long. */
	if (t->len >= PROBE_TRANSCRIPT_MAX) {
		if (!p->transcript_cut) {
			p->transcript_cut = true;
			strbuf_printf(t, "*** transcript cut at %d octets\n", PROBE_TRANSCRIPT_MAX);
		}
		return;
	}
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
	r->notes = xreallocarray(r->notes, (size_t)r->nnotes + 1, sizeof *r->notes);
	r->notes[r->nnotes++] = *m;
}

void probe_add_time(struct probe *p, enum step st, int64_t ms)
{
	if (st == STEP_NONE)
		return;
	if (p->common.timings_ms[st] < 0)
		p->common.timings_ms[st] = 0;
	p->common.timings_ms[st] += ms;
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

/* An empty result for an address: nothing ran yet. */
static void result_init(struct probe_result *r, const char *input, size_t len, unsigned context)
{
	memset(r, 0, sizeof *r);
	for (int k = 0; k < STEP_COUNT; k++)
		r->timings_ms[k] = -1;
	r->catch_all = CATCH_ALL_UNTESTED;
	r->decided = -1;
	r->context = context;
	r->input = xmalloc(len + 1);
	memcpy(r->input, input, len);
	r->input[len] = '\0';
	r->input_len = len;
	r->addr_ok = addr_parse(input, len, false, &r->addr) == ADDR_OK;
}

/* Slot i's result, made when its answer is known. */
static struct probe_result *slot_result(struct probe *p, int i)
{
	struct slot *s = &p->slots[i];
	if (!s->r) {
		s->r = xmalloc(sizeof *s->r);
		result_init(s->r, s->input, s->input_len, p->common.context);
	}
	return s->r;
}

/*
 * An address that cannot exist at the same domain: long, random, and
 * saying what it is for anyone who reads the server's logs.
 */
static void make_catch_all_address(struct probe *p)
{
	unsigned char rnd[10] = { 0 };
	if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) < (ssize_t)sizeof rnd) {
		for (size_t i = 0; i < sizeof rnd; i++)
			rnd[i] = (unsigned char)rand();
	}
	char hex[sizeof rnd * 2 + 1];
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(p->catch_all_address, sizeof p->catch_all_address, "smtpprobe-nonexistent-%s@%s", hex, p->addr.domain);
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

/*
 * The catch-all answer from a session: what it says of the domain. A
 * refusal proves that the domain refuses unknown addresses only when it
 * is about the recipient: a made-up address refused because of this
 * client, the sender or a rate limit says nothing.
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

/* A session asked the catch-all question: a fact about the domain, whatever the recipients' answers. */
static void learn_catch_all(struct probe *p, const struct probe_attempt *a)
{
	/* Not asked, or asked but lost with the connection: a later session asks again. */
	if (a->catch_all == CATCH_ALL_UNTESTED || (a->catch_all == CATCH_ALL_UNKNOWN && !a->catch_all_reply.code))
		return;
	struct facts_catch_all c = { .state = catch_all_meaning(a->catch_all, &a->catch_all_reply, p->common.context),
	                             .have_reply = true, .reply = a->catch_all_reply };
	snprintf(c.address, sizeof c.address, "%s", p->catch_all_address);
	facts_set_catch_all(p->o->facts, p->addr.domain, &c);
}

/* An accepted recipient's result says what the domain's catch-all answer was (asked here or earlier). */
static void share_catch_all(struct probe *p, struct probe_result *r, int asked_in)
{
	if (!p->o->catch_all)
		return;
	const struct facts_catch_all *known = facts_catch_all(p->o->facts, p->addr.domain);
	if (!known)
		return;
	r->catch_all = known->state;
	/* shared: an earlier probe of the run asked, or another session of this one */
	r->catch_all_shared = asked_in < 0 || p->atts[asked_in].catch_all == CATCH_ALL_UNTESTED;
	snprintf(r->catch_all_address, sizeof r->catch_all_address, "%s", known->address);
	if (known->have_reply) {
		r->have_catch_all_reply = true;
		reply_copy(&r->catch_all_reply, &known->reply);
	}
}

static void copy_attempt(struct probe_attempt *dst, const struct probe_attempt *src)
{
	*dst = *src;
	memset(&dst->reply, 0, sizeof dst->reply);
	memset(&dst->catch_all_reply, 0, sizeof dst->catch_all_reply);
	if (src->have_reply)
		reply_copy(&dst->reply, &src->reply);
	if (src->catch_all != CATCH_ALL_UNTESTED)
		reply_copy(&dst->catch_all_reply, &src->catch_all_reply);
}

/* What every result of the probe shares: MX, notes, timings, transcript. */
static void copy_common(struct probe *p, struct probe_result *r)
{
	const struct probe_result *c = &p->common;
	memcpy(r->mx, c->mx, sizeof r->mx);
	r->nmx = c->nmx;
	r->null_mx = c->null_mx;
	for (int i = 0; i < c->nnotes; i++)
		probe_note(r, &c->notes[i]);
	r->notes_dropped += c->notes_dropped;
	memcpy(r->timings_ms, c->timings_ms, sizeof r->timings_ms);
	r->total_ms = loop_now_ms() - p->t_start;
	if (c->transcript.len)
		strbuf_append(&r->transcript, c->transcript.data, c->transcript.len);
}

static void slot_add_attempt(struct slot *s, int att)
{
	if (s->natts > 0 && s->atts[s->natts - 1] == att)
		return;
	s->atts = xreallocarray(s->atts, (size_t)s->natts + 1, sizeof *s->atts);
	s->atts[s->natts++] = att;
}

static void probe_done(struct probe *p);

/* A result is complete: its duplicates get the same, and the caller hears of each. */
static void slot_done(struct probe *p, int i)
{
	struct slot *s = &p->slots[i];
	s->state = SLOT_DONE;
	p->ndone++;
	struct probe_result *r = s->r;
	s->r = NULL;  /* the caller's now */
	if (p->done_fn)
		p->done_fn(p->done_ctx, i, r);
	else if (r) {
		probe_result_free(r);
		free(r);
	}
}

/* How one recipient's probe ended, when it is not simply how its last attempt ended. */
struct answer {
	enum failure failure;        /* at RCPT TO */
	const struct reply *reply;   /* its own RCPT reply, or the 421 that closed the session; may be NULL */
	const struct msg *detail;
};

/* Slot i's result: its attempts, the last one ending as ans says, or as the attempt itself ended. */
static void fill_result(struct probe *p, int i, const struct answer *ans)
{
	struct slot *s = &p->slots[i];
	struct probe_result *r = slot_result(p, i);
	r->attempts = xcalloc((size_t)s->natts, sizeof *r->attempts);
	for (int k = 0; k < s->natts; k++)
		copy_attempt(&r->attempts[k], &p->atts[s->atts[k]]);
	r->nattempts = s->natts;
	r->decided = s->natts - 1;
	struct probe_attempt *last = &r->attempts[r->decided];
	if (ans) {
		last->step = STEP_RCPT;
		last->failure = ans->failure;
		last->have_reply = ans->reply != NULL;
		if (ans->reply)
			reply_copy(&last->reply, ans->reply);
		else
			reply_free(&last->reply);
		if (ans->detail)
			last->detail = *ans->detail;
		else
			msg_clear(&last->detail);
	}
	copy_common(p, r);
	if (s->greylisted) {
		r->greylist_wait_s = p->o->retry_greylist_s;
		struct msg m;
		msg_set(&m, N_("greylisted at first: tried again after %d s"), "d", p->o->retry_greylist_s);
		probe_note(r, &m);
	}
	r->step = last->step;
	r->failure = last->failure;
	if (last->failure == FAIL_NONE)
		share_catch_all(p, r, s->atts[s->natts - 1]);
	probe_result_judge(r, p->o->require_mailbox);
}

/*
 * Give slot i its result, and the same to the later lines with the same
 * address (probed once). The caller may free a result once told it is
 * done, so duplicates are filled first.
 */
static void finalize(struct probe *p, int i, const struct answer *answer)
{
	struct slot *s = &p->slots[i];
	for (int k = i + 1; k < p->nslots; k++) {
		struct slot *d = &p->slots[k];
		if (d->dup_of != i || d->state == SLOT_DONE)
			continue;
		d->natts = 0;
		for (int a = 0; a < s->natts; a++)
			slot_add_attempt(d, s->atts[a]);
		d->greylisted = s->greylisted;
		fill_result(p, k, answer);
		struct msg m;
		msg_set(&m, N_("the same address appears earlier in the input: probed once"), "");
		probe_note(d->r, &m);
		slot_done(p, k);
	}
	fill_result(p, i, answer);
	slot_done(p, i);
}

/* Every slot that is not done gets the outcome of attempt a as its own. */
static void finalize_rest(struct probe *p, int a)
{
	for (int i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_DONE || s->dup_of >= 0)
			continue;
		if (a >= 0)
			slot_add_attempt(s, a);
		if (s->natts == 0) {
			/* never connected (DNS): the common detail says why */
			struct probe_result *r = slot_result(p, i);
			r->detail = p->common.detail;
			copy_common(p, r);
			r->step = p->common.step;
			r->failure = p->common.failure;
			probe_result_judge(r, p->o->require_mailbox);
			slot_done(p, i);
			continue;
		}
		finalize(p, i, NULL);
	}
}

static void probe_done(struct probe *p)
{
	if (p->done)
		return;
	p->done = true;
	loop_timer_cancel(p->l, &p->wait_timer);
	loop_timer_cancel(p->l, &p->dns_timer);
	loop_timer_cancel(p->l, &p->max_timer);
	attempt_stop(&p->attempt);
	dns_forget(p->d, p);
	for (int i = 0; i < p->route.nhosts; i++)
		dns_forget(p->d, &p->lookups[i]);
}

void probe_fail(struct probe *p, enum step step, enum failure f, const struct msg *detail)
{
	if (detail)
		p->common.detail = *detail;
	p->common.step = step;
	p->common.failure = f;
	probe_done(p);
	finalize_rest(p, -1);
}

static int count_state(const struct probe *p, enum slot_state st)
{
	int n = 0;
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].state == st && p->slots[i].dup_of < 0)
			n++;
	return n;
}

static void next_session(struct probe *p);

static void on_wait_over(void *ctx)
{
	struct probe *p = ctx;
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].state == SLOT_WAIT)
			p->slots[i].state = SLOT_PENDING;
	next_session(p);
}

/* Wait before the next session: greylisting's delay, or a back-off after 421 or a rate limit. */
static void wait_then_continue(struct probe *p, int seconds, const struct msg *why)
{
	probe_event(p, why);
	loop_timer_arm(p->l, &p->wait_timer, (int64_t)seconds * 1000);
}

/*
 * Back-off after a host said it is closing (421) or limiting our rate:
 * 5 s, doubled each time, at most 60 s (documented in docs/output.md).
 */
static int backoff_seconds(struct probe *p)
{
	int s = 5 << (p->backoffs < 4 ? p->backoffs : 4);
	p->backoffs++;
	return s > 60 ? 60 : s;
}

static bool is_rate_limit(const struct probe *p, const struct reply *r)
{
	struct diag_input in = { .step = STEP_RCPT, .failure = failure_from_code(r->code), .reply = r,
	                         .catch_all = CATCH_ALL_UNTESTED, .context = p->common.context };
	struct diagnosis dg;
	diagnose_input(&in, &dg);
	return strcmp(dg.category, "rate_limited") == 0;
}

static bool is_greylisting(const struct probe *p, const struct reply *r)
{
	struct diag_input in = { .step = STEP_RCPT, .failure = failure_from_code(r->code), .reply = r,
	                         .catch_all = CATCH_ALL_UNTESTED, .context = p->common.context };
	struct diagnosis dg;
	diagnose_input(&in, &dg);
	return strcmp(dg.category, "greylisting") == 0;
}

/* What a recipient waits on, should --max-time end the wait. */
static void wait_on(struct slot *s, enum failure f, const struct reply *r)
{
	s->waiting_failure = f;
	reply_copy(&s->waiting_on, r);
}

/* The session reached the envelope: each recipient's answer is its result. */
static void session_answered(struct probe *p, int a)
{
	const struct smtp_rcpt *res = p->attempt.rcpt_results;
	const struct probe_attempt *att = &p->atts[a];
	bool closing = p->attempt.closing;
	bool rate_limited = false, lost = false;
	for (int k = 0; k < p->nsession; k++) {
		int i = p->session[k];
		struct slot *s = &p->slots[i];
		const struct smtp_rcpt *rc = &res[k];
		if (rc->answered) {
			if (p->o->retry_greylist_s && !s->greylisted && !p->o->all_mx && is_greylisting(p, &rc->reply)) {
				s->greylisted = true;
				s->state = SLOT_WAIT;
				wait_on(s, FAIL_TEMPFAIL, &rc->reply);
				continue;
			}
			if (is_rate_limit(p, &rc->reply))
				rate_limited = true;
			struct answer ans = { failure_from_code(rc->reply.code), &rc->reply, NULL };
			finalize(p, i, &ans);
			continue;
		}
		s->state = SLOT_PENDING;
		if (!rc->sent || rc->deferred)
			continue;  /* left for a new session: the error budget, or "too many recipients" */
		if (closing) {
			/* 421 mid-session: the unanswered go to a new session, but not forever. */
			if (++s->tries > 2) {
				struct answer ans = { rc->lost, rc->lost_reply.code ? &rc->lost_reply : NULL, &p->attempt.lost_detail };
				finalize(p, i, &ans);
			} else if (rc->lost_reply.code) {
				wait_on(s, rc->lost, &rc->lost_reply);
			}
			continue;
		}
		s->state = SLOT_SENT;  /* lost with the connection: the route decides */
		lost = true;
	}
	p->reconnect = true;
	if (lost) {
		/* The connection died under them (a drop, silence, garbage): as an MTA, try the next address. */
		struct route_outcome oc = { att->step, att->failure, att->have_reply ? att->reply.code : 0 };
		bool again = route_next(&p->route, &oc, a) == ROUTE_CONNECT;
		for (int k = 0; k < p->nsession; k++) {
			int i = p->session[k];
			if (p->slots[i].state != SLOT_SENT)
				continue;
			if (again) {
				p->slots[i].state = SLOT_PENDING;
				continue;
			}
			const struct smtp_rcpt *rc = &res[k];
			struct answer ans = { rc->lost != FAIL_NONE ? rc->lost : att->failure,
			                      rc->lost_reply.code ? &rc->lost_reply : NULL,
			                      rc->lost != FAIL_NONE ? &p->attempt.lost_detail : &att->detail };
			finalize(p, i, &ans);
		}
	}
	if (count_state(p, SLOT_PENDING) > 0) {
		if (closing) {
			struct msg m;
			int secs = backoff_seconds(p);
			msg_set(&m, N_("%s is closing sessions (421): waiting %d s before the next"), "sd", att->host, secs);
			wait_then_continue(p, secs, &m);
			return;
		}
		if (rate_limited) {
			struct msg m;
			int secs = backoff_seconds(p);
			msg_set(&m, N_("%s limits this client's rate: waiting %d s before the next session"), "sd", att->host, secs);
			wait_then_continue(p, secs, &m);
			return;
		}
		next_session(p);
		return;
	}
	if (count_state(p, SLOT_WAIT) > 0) {
		struct msg m;
		msg_set(&m, N_("greylisted: trying again in %d s"), "d", p->o->retry_greylist_s);
		wait_then_continue(p, p->o->retry_greylist_s, &m);
		return;
	}
	probe_done(p);
}

static void connect_target(struct probe *p);

static void on_attempt_trace(void *ctx, const char *prefix, const char *line, size_t len, const struct msg *m)
{
	trace(ctx, prefix, line, len, m);
}

static void on_attempt_note(void *ctx, const struct msg *m)
{
	struct probe *p = ctx;
	probe_note(&p->common, m);
}

static void on_attempt_timing(void *ctx, enum step st, int64_t ms)
{
	probe_add_time(ctx, st, ms);
}

static int attempt_exit_status(const struct probe *p, const struct probe_attempt *a)
{
	struct diag_input in = {
		.step = a->step,
		.failure = a->failure,
		.reply = a->have_reply ? &a->reply : NULL,
		.catch_all = a->catch_all,
		.context = p->common.context,
	};
	struct diagnosis dg;
	diagnose_input(&in, &dg);
	return result_exit_status(a->failure, dg.blame, dg.mailbox, p->o->require_mailbox);
}

/* --all-mx: the worst host's attempt decides (one recipient per probe then). */
static int worst_host_attempt(const struct probe *p)
{
	int pick = -1, worst = 0;
	for (int h = 0; h < p->route.nhosts; h++) {
		int a = p->route.host_final[h];
		if (a < 0)
			continue;
		int st = attempt_exit_status(p, &p->atts[a]);
		if (pick < 0 || (st != worst && result_exit_combine(st, worst) == st)) {
			pick = a;
			worst = st;
		}
	}
	return pick < 0 ? p->natts - 1 : pick;
}

static void on_attempt_done(void *ctx)
{
	struct probe *p = ctx;
	int idx = p->natts - 1;
	const struct probe_attempt *a = &p->atts[idx];
	learn_catch_all(p, a);
	if (a->failure == FAIL_TLS && a->step == STEP_TLS && p->o->tls.mode == TLS_AUTO && !a->plain) {
		/* The opportunistic fall-back (route_next decides it): say so in the report. */
		struct strbuf why = STRBUF_INIT;
		msg_format(&a->detail, false, &why);
		struct msg m;
		msg_set(&m, N_("STARTTLS was offered but the TLS handshake with %s failed (%s): retried in clear text, as an MTA with opportunistic TLS does"),
		        "ss", a->host, strbuf_str(&why));
		strbuf_free(&why);
		probe_note(&p->common, &m);
	}
	if (p->o->all_mx) {
		struct route_outcome oc = { a->step, a->failure, a->have_reply ? a->reply.code : 0 };
		if (route_next(&p->route, &oc, idx) == ROUTE_CONNECT) {
			connect_target(p);
			return;
		}
		probe_done(p);
		/* the single recipient's answer is the worst host's outcome */
		struct slot *s = &p->slots[0];
		int w = worst_host_attempt(p);
		s->natts = 0;
		for (int k = 0; k <= idx; k++)
			slot_add_attempt(s, k);
		/* the deciding attempt goes last, as finalize() expects */
		if (w != idx) {
			s->atts[w] = idx;
			s->atts[idx] = w;
		}
		finalize(p, 0, NULL);
		return;
	}
	if (p->attempt.mail_accepted) {
		session_answered(p, idx);
		return;
	}
	/* The session never reached its recipients: the route decides, for all of them. */
	struct route_outcome oc = { a->step, a->failure, a->have_reply ? a->reply.code : 0 };
	if (route_next(&p->route, &oc, idx) == ROUTE_CONNECT) {
		connect_target(p);
		return;
	}
	probe_done(p);
	finalize_rest(p, idx);
}

static const struct attempt_ops attempt_ops = {
	.trace = on_attempt_trace,
	.note = on_attempt_note,
	.timing = on_attempt_timing,
	.done = on_attempt_done,
};

/* Open the route's current target with the session's recipients. */
static void connect_target(struct probe *p)
{
	p->atts = xreallocarray(p->atts, (size_t)p->natts + 1, sizeof *p->atts);
	int idx = p->natts++;
	struct probe_attempt *a = &p->atts[idx];
	memset(a, 0, sizeof *a);
	a->at_ms = loop_now_ms() - p->t_start;
	for (int k = 0; k < p->nsession; k++)
		slot_add_attempt(&p->slots[p->session[k]], idx);
	/* The question once per domain: not when this run knows the answer already. */
	bool ask = p->o->catch_all && !facts_catch_all(p->o->facts, p->addr.domain);
	if (ask && !p->catch_all_address[0])
		make_catch_all_address(p);
	bool smtputf8 = p->o->from_needs_smtputf8;
	for (int k = 0; k < p->nsession; k++)
		smtputf8 |= p->slots[p->session[k]].needs_smtputf8;
	const struct route_host *h = route_host_now(&p->route);
	struct attempt_params ap = {
		.o = p->o,
		.host = h->name,
		.addr = route_addr_now(&p->route),
		.port = p->port,
		.plain = p->route.plain,
		.rcpts = p->session_rcpts,
		.nrcpts = p->nsession,
		.catch_all_rcpt = ask ? p->catch_all_address : NULL,
		.need_smtputf8 = smtputf8,
	};
	attempt_start(&p->attempt, p->l, &ap, a, &attempt_ops, p);
}

/* A session for the recipients still waiting, at most --rcpt-per-session of them. */
static void next_session(struct probe *p)
{
	int max = p->o->rcpt_per_session > 0 ? p->o->rcpt_per_session : PROBE_RCPT_PER_SESSION;
	p->nsession = 0;
	for (int i = 0; i < p->nslots && p->nsession < max; i++) {
		struct slot *s = &p->slots[i];
		if (s->state != SLOT_PENDING || s->dup_of >= 0)
			continue;
		s->state = SLOT_SENT;
		p->session[p->nsession] = i;
		p->session_rcpts[p->nsession] = s->rcpt;
		p->nsession++;
	}
	if (p->nsession == 0) {
		probe_done(p);
		return;
	}
	if (p->reconnect) {
		/* The target that reached the recipients last time, again. */
		p->route.nattempts = 0;
		connect_target(p);
		return;
	}
	if (route_first(&p->route) == ROUTE_CONNECT)
		connect_target(p);
}

void probe_hosts_known(struct probe *p)
{
	p->hosts_known = true;
	next_session(p);
}

static void on_max_time(void *ctx)
{
	struct probe *p = ctx;
	struct msg m;
	msg_set(&m, N_("no result within --max-time %d s"), "d", p->o->max_time_s);
	probe_event(p, &m);
	enum step now = attempt_step(&p->attempt);
	attempt_stop(&p->attempt);
	/*
	 * A session under way times out where it stands. Between sessions (a
	 * back-off after a 421, a greylisting wait) the last one's answer is
	 * the evidence: it stays, and the result says why it is the last.
	 */
	if (p->natts > 0 && now == STEP_NONE) {
		probe_done(p);
		for (int i = 0; i < p->nslots; i++) {
			struct slot *s = &p->slots[i];
			if (s->state == SLOT_DONE || s->dup_of >= 0)
				continue;
			if (s->natts == 0)
				slot_add_attempt(s, p->natts - 1);
			struct answer ans = { FAIL_TIMEOUT, NULL, &m };
			if (s->waiting_on.code) {
				ans.failure = s->waiting_failure;
				ans.reply = &s->waiting_on;
			}
			finalize(p, i, &ans);
		}
		return;
	}
	if (p->natts > 0) {
		struct probe_attempt *a = &p->atts[p->natts - 1];
		a->step = now;
		a->failure = FAIL_TIMEOUT;
		a->detail = m;
		probe_done(p);
		finalize_rest(p, p->natts - 1);
		return;
	}
	probe_fail(p, STEP_DNS, FAIL_TIMEOUT, &m);
}

struct probe *probe_start_many(struct loop *l, struct dns *d, const struct probe_options *o,
                               const char *const *inputs, const size_t *lens, int n,
                               void (*done)(void *ctx, int i, struct probe_result *r), void *ctx)
{
	struct probe *p = xcalloc(1, sizeof *p);
	p->l = l;
	p->d = d;
	p->o = o;
	p->done_fn = done;
	p->done_ctx = ctx;
	p->t_start = loop_now_ms();
	p->port = o->server_host && o->server_port ? o->server_port : o->port;
	loop_timer_init(&p->wait_timer, on_wait_over, p);
	loop_timer_init(&p->dns_timer, probe_on_dns_timeout, p);
	loop_timer_init(&p->max_timer, on_max_time, p);
	for (int i = 0; i < STEP_COUNT; i++)
		p->common.timings_ms[i] = -1;
	p->common.context = (o->family != AF_UNSPEC ? DIAG_CTX_FAMILY : 0) | (o->resolver_given ? DIAG_CTX_RESOLVER : 0);
	p->slots = xcalloc((size_t)(n > 0 ? n : 1), sizeof *p->slots);
	p->session = xcalloc((size_t)(n > 0 ? n : 1), sizeof *p->session);
	p->session_rcpts = xcalloc((size_t)(n > 0 ? n : 1), sizeof *p->session_rcpts);
	p->nslots = n;

	int valid = 0;
	for (int i = 0; i < n; i++) {
		struct slot *s = &p->slots[i];
		s->input = xmalloc(lens[i] + 1);
		memcpy(s->input, inputs[i], lens[i]);
		s->input[lens[i]] = '\0';
		s->input_len = lens[i];
		s->dup_of = -1;
		s->state = SLOT_PENDING;
		struct address a;
		char rcpt[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
		enum addr_error ae = addr_parse(inputs[i], lens[i], false, &a);
		if (ae == ADDR_OK && !addr_format(&a, rcpt, sizeof rcpt))
			ae = ADDR_ERR_LOCAL_TOO_LONG;
		if (ae != ADDR_OK) {
			struct probe_result *r = slot_result(p, i);
			r->addr_ok = false;
			r->addr_error = ae;
			msg_set(&r->detail, N_("invalid address: %s"), "t", addr_strerror(ae));
			r->step = STEP_INPUT;
			r->failure = FAIL_INVALID_ADDRESS;
			probe_result_judge(r, o->require_mailbox);
			s->state = SLOT_DONE;
			continue;
		}
		s->addr_ok = true;
		s->needs_smtputf8 = a.needs_smtputf8;
		s->rcpt = xstrdup(rcpt);
		valid++;
		if (!p->have_addr) {
			p->addr = a;
			p->have_addr = true;
			static unsigned serial;
			snprintf(p->who, sizeof p->who, "%s#%u", a.domain, ++serial);
		}
		for (int k = 0; k < i; k++)
			if (p->slots[k].addr_ok && strcmp(p->slots[k].rcpt, s->rcpt) == 0 && p->slots[k].dup_of < 0) {
				s->dup_of = k;
				break;
			}
	}
	/* Invalid addresses are done at once (the caller may hear of them before this returns). */
	for (int i = 0; i < n; i++)
		if (p->slots[i].state == SLOT_DONE)
			slot_done(p, i);
	if (valid == 0) {
		p->done = true;
		return p;
	}
	if (o->max_time_s > 0)
		loop_timer_arm(l, &p->max_timer, (int64_t)o->max_time_s * 1000);
	p->t_dns = loop_now_ms();
	loop_timer_arm(l, &p->dns_timer, o->timeout_ms[STEP_DNS]);
	if (o->server_host || p->addr.domain_is_literal) {
		struct route_host *h = &p->route.hosts[0];
		split_server(o->server_host ? o->server_host : p->addr.literal_ip, h->name, sizeof h->name);
		p->route.nhosts = 1;
		probe_resolve_hosts(p, false);
	} else if (!probe_dns_cached(p)) {
		struct msg m;
		msg_set(&m, N_("looking up the MX of %s"), "s", p->addr.domain);
		probe_event(p, &m);
		dns_query_mx(d, p->addr.domain, probe_on_mx, p);
	}
	return p;
}

void probe_result_unprobed(struct probe_result *r, const char *input, size_t len, enum step step,
                           enum failure f, const struct msg *why, bool require_mailbox)
{
	result_init(r, input, len, 0);
	r->step = step;
	r->failure = f;
	r->detail = *why;
	probe_result_judge(r, require_mailbox);
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	probe_done(p);
	for (int i = 0; i < p->natts; i++) {
		reply_free(&p->atts[i].reply);
		reply_free(&p->atts[i].catch_all_reply);
	}
	free(p->atts);
	for (int i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];
		free(s->atts);
		reply_free(&s->waiting_on);
		free(s->input);
		free(s->rcpt);
		if (s->r) {
			probe_result_free(s->r);
			free(s->r);
		}
	}
	free(p->slots);
	free(p->session);
	free(p->session_rcpts);
	strbuf_free(&p->common.transcript);
	free(p->common.notes);
	free(p);
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
	free(r->notes);
	memset(r, 0, sizeof *r);
}
