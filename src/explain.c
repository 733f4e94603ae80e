/* explain.c - the explain command (see explain.h, docs/output.md). */
#include "explain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "diagnose.h"
#include "i18n.h"
#include "json.h"
#include "mem.h"
#include "report.h"

static const char *const outcome_names[] = {
	[EXPLAIN_NOT_PROBED] = "not_probed",
	[EXPLAIN_GONE] = "gone",
	[EXPLAIN_SAME] = "same",
	[EXPLAIN_CHANGED] = "changed",
};

const char *explain_outcome_name(enum explain_outcome o)
{
	return (unsigned)o < sizeof outcome_names / sizeof outcome_names[0] ? outcome_names[o] : "not_probed";
}

static void diagnose_rcpt(const struct bounce_rcpt *r, struct diagnosis *d);

/* Categories about the message's content: judged after DATA, whatever step the bounce names (or not). */
static const char *const content_categories[] = { "message_spam", "message_virus", "content_rejected" };

static bool about_content(const struct diagnosis *d)
{
	for (size_t i = 0; i < sizeof content_categories / sizeof content_categories[0]; i++)
		if (strcmp(d->category, content_categories[i]) == 0)
			return true;
	return false;
}

/* Whether a probe, which stops at RCPT TO, can see this refusal (diagnosed d) again: not one at or after DATA, nor one about the content. */
static bool reproducible(const struct bounce_rcpt *r, const struct diagnosis *d)
{
	return bounce_probe_can_reproduce(r->step) && !about_content(d);
}

enum explain_outcome explain_compare(const struct bounce_rcpt *then, const struct probe_result *now)
{
	if (!now || now->failure == FAIL_INVALID_ADDRESS || now->failure == FAIL_NOT_PROBED)
		return EXPLAIN_NOT_PROBED;
	if (now->verdict == VERDICT_ACCEPTED) {
		/* refused after DATA then, or for the content: a probe, which stops at RCPT TO, cannot tell */
		struct diagnosis d;
		diagnose_rcpt(then, &d);
		return reproducible(then, &d) ? EXPLAIN_GONE : EXPLAIN_NOT_PROBED;
	}
	const struct reply *rep = probe_reply(now);
	int then_class = then->have_reply ? then->reply.code / 100 : 0;
	int now_class = rep ? rep->code / 100 : 0;
	enum step then_step = bounce_probe_step(then->step);
	bool step_same = then->step == BSTEP_NONE || then_step == now->step;
	bool evidence_same = then->have_reply ? then_class == now_class : (!rep && then->failure == now->failure);
	return step_same && evidence_same ? EXPLAIN_SAME : EXPLAIN_CHANGED;
}

void explain_not_bounce(const struct bounce *b, bool translate, struct strbuf *out)
{
#define T(s) (translate ? _(s) : (s))
	switch (b->kind) {
	case BOUNCE_AUTOREPLY:
		strbuf_puts(out, T("not a bounce: an automatic reply (out of office)"));
		break;
	case BOUNCE_FEEDBACK:
		strbuf_puts(out, T("not a bounce: a feedback report (ARF), not a delivery failure"));
		break;
	case BOUNCE_SUCCESS:
		strbuf_printf(out, T("not a bounce: a delivery success notice (Action: %s)"), b->detail);
		break;
	case BOUNCE_EMPTY:
		strbuf_puts(out, T("not a bounce: the message is empty"));
		break;
	default:
		strbuf_puts(out, T("not a bounce: no failed recipient found"));
		break;
	}
#undef T
}

/*
 * The same table as a probe's. A bounce that does not say the step is
 * still about one recipient: when nothing specific matches without a
 * step, or only a code does while the words say more at RCPT TO ("451
 * 4.7.1 Please try again later"), the wording is read as it would be at
 * RCPT TO, where per-recipient refusals come from (the step stays unknown
 * in the report).
 */
static void diagnose_rcpt(const struct bounce_rcpt *r, struct diagnosis *d)
{
	struct diag_input in = {
		.step = bounce_probe_step(r->step),
		.failure = r->failure,
		.reply = r->have_reply ? &r->reply : NULL,
		.status = r->status,
		.catch_all = CATCH_ALL_UNTESTED,
		.context = DIAG_CTX_BOUNCE | (bounce_probe_can_reproduce(r->step) ? 0 : DIAG_CTX_AFTER_DATA) |
			   (strcmp(r->action, "delayed") != 0 ? DIAG_CTX_FINAL : 0),
	};
	diagnose_input(&in, d);
	if (r->step == BSTEP_NONE && (!d->by_reply || !d->text_len)) {
		struct diagnosis at_rcpt;
		in.step = STEP_RCPT;
		diagnose_input(&in, &at_rcpt);
		if ((!d->by_reply && at_rcpt.by_reply) || (!d->text_len && at_rcpt.text_len))
			*d = at_rcpt;
	}
}

static void str_or_null(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s && s[0] ? s : NULL);
}

static void render_json(const char *file, const struct bounce_rcpt *r, const struct explain_now *now, bool reprobe,
                        struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_object_begin(&j);
	str_or_null(&j, "file", file);
	str_or_null(&j, "recipient", r->recipient);
	str_or_null(&j, "original_recipient", r->original_recipient);
	str_or_null(&j, "sender", r->sender);
	str_or_null(&j, "remote_host", r->remote_host);
	str_or_null(&j, "remote_ip", r->remote_ip);
	str_or_null(&j, "reporting_mta", r->reporting_mta);
	str_or_null(&j, "step", bounce_step_name(r->step));
	json_key(&j, "reply");
	if (r->have_reply) {
		json_object_begin(&j);
		json_key(&j, "code");
		json_int(&j, r->reply.code);
		str_or_null(&j, "enhanced", r->reply.enhanced);
		json_key(&j, "text");
		json_string_n(&j, strbuf_str(&r->reply.text), r->reply.text.len);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	str_or_null(&j, "status", r->status);
	str_or_null(&j, "action", r->action);
	json_key(&j, "permanent");
	json_bool(&j, r->permanent);
	str_or_null(&j, "source", bounce_source_name(r->source));
	str_or_null(&j, "last_attempt", r->last_attempt);
	struct diagnosis d;
	diagnose_rcpt(r, &d);
	json_key(&j, "probe_can_reproduce");
	json_bool(&j, reproducible(r, &d));

	struct strbuf summary = STRBUF_INIT;
	diagnosis_summary(&d, false, &summary);
	json_key(&j, "diagnosis");
	json_object_begin(&j);
	str_or_null(&j, "category", d.category);
	str_or_null(&j, "blame", blame_name(d.blame));
	str_or_null(&j, "mailbox", mailbox_name(d.mailbox));
	json_key(&j, "summary");
	json_string_n(&j, strbuf_str(&summary), summary.len);
	str_or_null(&j, "remedy", diagnosis_remedy(&d, false));
	str_or_null(&j, "matched", d.matched);
	json_key(&j, "list");
	json_string(&j, d.list);
	json_object_end(&j);
	strbuf_free(&summary);
	if (reprobe) {
		json_key(&j, "reprobe_outcome");
		json_string(&j, explain_outcome_name(now && now->probed ? now->outcome : EXPLAIN_NOT_PROBED));
		/* the probe's own object, exactly as `smtpprobe --json` writes it */
		strbuf_puts(out, ",\"reprobe\":");
		if (now && now->probed && now->json.len)
			strbuf_append(out, now->json.data, now->json.len);
		else
			strbuf_puts(out, "null");
	}
	strbuf_puts(out, "}\n");
}

/* "label:" padded to 11 columns, as the text report's lines line up. */
static void label(struct strbuf *out, const char *l)
{
	size_t cols = 0;
	strbuf_puts(out, "    ");
	for (const char *p = l; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			cols++;
	strbuf_puts(out, l);
	strbuf_putc(out, ':');
	/* at least one space: a label as long as the column ("что делать") too */
	cols++;
	do
		strbuf_putc(out, ' ');
	while (++cols < 11);
}

static void server_words(const struct bounce_rcpt *r, struct strbuf *out)
{
	if (r->remote_host[0] && r->remote_ip[0])
		strbuf_printf(out, " %s %s [%s]", _("by"), r->remote_host, r->remote_ip);
	else if (r->remote_host[0] || r->remote_ip[0])
		strbuf_printf(out, " %s %s", _("by"), r->remote_host[0] ? r->remote_host : r->remote_ip);
}

static void render_text(const char *file, const struct bounce_rcpt *r, const struct explain_now *now, bool reprobe,
                        struct strbuf *out)
{
	struct strbuf line = STRBUF_INIT;
	strbuf_puts(&line, r->recipient[0] ? r->recipient : _("(recipient not named)"));
	strbuf_puts(&line, ": ");
	bool delayed = strcmp(r->action, "delayed") == 0;
	if (r->step != BSTEP_NONE)
		strbuf_printf(&line, delayed ? _("delayed at %s") : _("refused at %s"), _(bounce_step_label(r->step)));
	else
		strbuf_puts(&line, delayed ? _("delayed") : _("refused"));
	server_words(r, &line);
	strbuf_printf(&line, " (%s)\n", r->permanent ? _("permanent") : _("temporary"));
	if (r->have_reply) {
		label(&line, _("reply"));
		strbuf_printf(&line, "%d", r->reply.code);
		if (r->reply.enhanced[0])
			strbuf_printf(&line, " %s", r->reply.enhanced);
		strbuf_putc(&line, ' ');
		const char *t = strbuf_str(&r->reply.text);
		for (const char *p = t; *p; p++) {
			if (*p == '\n')
				strbuf_puts(&line, "\n               ");
			else
				strbuf_putc(&line, *p);
		}
		strbuf_putc(&line, '\n');
	}
	if (r->status[0] || r->reporting_mta[0]) {
		label(&line, _("status"));
		if (r->status[0])
			strbuf_printf(&line, "%s (%s)", r->status, r->action[0] ? r->action : "-");
		if (r->reporting_mta[0])
			strbuf_printf(&line, "%s%s %s", r->status[0] ? ", " : "", _("reported by"), r->reporting_mta);
		if (r->last_attempt[0])
			strbuf_printf(&line, " %s %s", _("on"), r->last_attempt);
		strbuf_putc(&line, '\n');
	}
	struct diagnosis d;
	diagnose_rcpt(r, &d);
	label(&line, _("diagnosis"));
	diagnosis_summary(&d, true, &line);
	strbuf_printf(&line, "  (%s: %s)\n", _("blame"), _(blame_label(d.blame)));
	label(&line, _("remedy"));
	strbuf_printf(&line, "%s\n", diagnosis_remedy(&d, true));
	if (!bounce_probe_can_reproduce(r->step)) {
		label(&line, _("note"));
		strbuf_printf(&line, delayed ? _("held up after the message was sent (%s): a probe cannot reproduce this") :
		                               _("refused after the message was sent (%s): a probe cannot reproduce this"),
		              _(bounce_step_label(r->step)));
		strbuf_putc(&line, '\n');
	} else if (about_content(&d)) {
		label(&line, _("note"));
		strbuf_puts(&line, _("the message's content was judged: a probe, which sends none, cannot reproduce this"));
		strbuf_putc(&line, '\n');
	}
	if (reprobe) {
		label(&line, _("now"));
		if (!now || !now->probed) {
			strbuf_puts(&line, _("not probed (no recipient address)"));
		} else {
			strbuf_printf(&line, "%s %s", now->verdict == VERDICT_ACCEPTED ? _("accepted at") : _("refused at"),
			              _(step_label(now->step == STEP_NONE ? STEP_RCPT : now->step)));
			if (now->server[0])
				strbuf_printf(&line, " %s %s", _("by"), now->server);
			if (now->reply[0])
				strbuf_printf(&line, ": %s", now->reply);
			static const char *const words[] = {
				[EXPLAIN_NOT_PROBED] = N_("-> a probe cannot tell (it stops at RCPT TO)"),
				[EXPLAIN_GONE] = N_("-> the problem is gone"),
				[EXPLAIN_SAME] = N_("-> the same problem"),
				[EXPLAIN_CHANGED] = N_("-> changed"),
			};
			strbuf_printf(&line, " %s", _(words[now->outcome]));
		}
		strbuf_putc(&line, '\n');
	}
	(void)file;
	/* what the bounce said reaches the terminal sanitised, line by line */
	const char *p = strbuf_str(&line), *end = p + line.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		report_sanitize(out, p, n);
		strbuf_putc(out, '\n');
		p += n + 1;
	}
	strbuf_free(&line);
}

void explain_render(const char *file, const struct bounce *b, const struct explain_now *now, bool json,
                    bool reprobe, struct strbuf *out)
{
	for (size_t i = 0; i < b->nrcpts; i++) {
		if (json)
			render_json(file, &b->rcpts[i], now ? &now[i] : NULL, reprobe, out);
		else
			render_text(file, &b->rcpts[i], now ? &now[i] : NULL, reprobe, out);
	}
}

/* ---- the command ---- */

struct item {
	const char *file;       /* as given, "-" for standard input */
	int status;             /* 0, 65 or 66 */
	char err[512];
	struct bounce b;
	struct explain_now *now;
};

/* The whole file, at most EXPLAIN_INPUT_MAX octets; 0, or the exit status with err set. */
static int read_input(const char *file, struct strbuf *out, char *err, size_t errsz)
{
	bool is_stdin = strcmp(file, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(file, "rb");
	if (!f) {
		snprintf(err, errsz, "%s: %s: %s", file, _("cannot read"), strerror(errno));
		return EXIT_NOINPUT;
	}
	char buf[65536];
	int status = 0;
	for (;;) {
		size_t n = fread(buf, 1, sizeof buf, f);
		if (n > 0) {
			if (out->len + n > EXPLAIN_INPUT_MAX) {
				snprintf(err, errsz, "%s: %s: %s", file, _("cannot read"), _("larger than 10 MiB"));
				status = EXIT_DATAERR;
				break;
			}
			strbuf_append(out, buf, n);
		}
		if (n < sizeof buf) {
			if (ferror(f)) {
				snprintf(err, errsz, "%s: %s: %s", file, _("cannot read"), strerror(errno));
				status = EXIT_NOINPUT;
			}
			break;
		}
	}
	if (!is_stdin)
		fclose(f);
	return status;
}

static int worse(int a, int b)
{
	/* 66 (nothing to read) before 65 (not a bounce) before 0 */
	return a == EXIT_NOINPUT || b == EXIT_NOINPUT ? EXIT_NOINPUT : (a ? a : b);
}

/* Reprobes: a batch per MAIL FROM, each result kept for its recipient. */
struct slot {
	const char *addr;
	struct explain_now *now;
	const struct bounce_rcpt *then;
};

struct reprobe {
	struct slot *slots;
	size_t nslots;
};

static void reprobe_render(void *ctx, const struct probe_result *r, struct strbuf *out)
{
	(void)out;
	struct reprobe *rp = ctx;
	for (size_t i = 0; i < rp->nslots; i++) {
		struct slot *s = &rp->slots[i];
		if (s->now->probed || strlen(s->addr) != r->input_len || memcmp(s->addr, r->input, r->input_len) != 0)
			continue;
		s->now->probed = true;
		s->now->outcome = explain_compare(s->then, r);
		s->now->verdict = r->verdict;
		s->now->step = r->step;
		const struct probe_attempt *a = probe_decided(r);
		if (a && probe_have_server(r))
			snprintf(s->now->server, sizeof s->now->server, "%s [%s]", a->host, a->ip);
		const struct reply *rep = probe_reply(r);
		if (rep) {
			const char *t = strbuf_str(&rep->text);
			size_t l = strcspn(t, "\n");
			snprintf(s->now->reply, sizeof s->now->reply, "%d%s%s %.*s", rep->code, rep->enhanced[0] ? " " : "",
			         rep->enhanced, (int)(l > 500 ? 500 : l), t);
		}
		report_json(r, false, &s->now->json);
		if (s->now->json.len && s->now->json.data[s->now->json.len - 1] == '\n')
			s->now->json.data[--s->now->json.len] = '\0';
		/* no return: the same recipient in several bounces gets the same result */
	}
}

static int reprobe_write(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void run_reprobes(struct cli *c, struct runtime *rt, struct item *items, size_t nitems)
{
	/* one batch per distinct MAIL FROM: the bounce's sender with --reprobe-as-sender, else --from */
	size_t total = 0;
	for (size_t i = 0; i < nitems; i++)
		total += items[i].b.nrcpts;
	bool *done = xcalloc(total ? total : 1, sizeof *done);
	for (;;) {
		const char *sender = NULL;
		bool any = false;
		struct reprobe rp = { NULL, 0 };
		size_t k = 0;
		for (size_t i = 0; i < nitems; i++)
			for (size_t r = 0; r < items[i].b.nrcpts; r++, k++) {
				const struct bounce_rcpt *br = &items[i].b.rcpts[r];
				if (done[k])
					continue;
				if (!br->recipient[0]) {
					done[k] = true;
					continue;
				}
				const char *s = c->reprobe_as_sender ? br->sender : "";
				if (!any) {
					sender = s;
					any = true;
				}
				if (strcmp(s, sender) != 0)
					continue;
				done[k] = true;
				rp.slots = xreallocarray(rp.slots, rp.nslots + 1, sizeof *rp.slots);
				rp.slots[rp.nslots++] = (struct slot){ br->recipient, &items[i].now[r], br };
			}
		if (!any)
			break;
		struct probe_options o = c->probe;
		struct address from;
		char from_text[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
		if (sender[0] && addr_parse(sender, strlen(sender), true, &from) == ADDR_OK && !from.is_null &&
		    addr_format(&from, from_text, sizeof from_text)) {
			o.mail_from = from_text;
			o.from_needs_smtputf8 = from.needs_smtputf8;
		}
		struct batch_config bc = {
			.concurrency = c->concurrency,
			.per_domain = c->per_domain,
			.render = reprobe_render,
			.write = reprobe_write,
			.ctx = &rp,
		};
		struct batch *b = batch_new(rt->loop, rt->dns, &o, &bc);
		for (size_t s = 0; s < rp.nslots; s++)
			batch_add(b, rp.slots[s].addr, strlen(rp.slots[s].addr));
		batch_run(b);
		batch_free(b);
		free(rp.slots);
	}
	free(done);
}

int explain_run(struct cli *c, struct runtime *rt)
{
	static char *const stdin_name[] = { "-" };
	char *const *files = c->naddresses > 0 ? c->addresses : stdin_name;
	size_t nfiles = c->naddresses > 0 ? (size_t)c->naddresses : 1;
	struct item *items = xcalloc(nfiles, sizeof *items);
	int status = 0;
	for (size_t i = 0; i < nfiles; i++) {
		struct item *it = &items[i];
		it->file = files[i];
		struct strbuf in = STRBUF_INIT;
		it->status = read_input(it->file, &in, it->err, sizeof it->err);
		if (it->status == 0) {
			bounce_parse(strbuf_str(&in), in.len, &it->b);
			if (it->b.kind != BOUNCE_FAILURE) {
				struct strbuf why = STRBUF_INIT;
				explain_not_bounce(&it->b, true, &why);
				snprintf(it->err, sizeof it->err, "%s: %s", it->file, strbuf_str(&why));
				strbuf_free(&why);
				it->status = EXIT_DATAERR;
			}
		}
		strbuf_free(&in);
		it->now = xcalloc(it->b.nrcpts ? it->b.nrcpts : 1, sizeof *it->now);
	}
	if (c->reprobe)
		run_reprobes(c, rt, items, nfiles);
	bool json = c->format == OUTPUT_JSON;
	bool first = true;
	for (size_t i = 0; i < nfiles; i++) {
		struct item *it = &items[i];
		status = worse(status, it->status);
		if (it->status) {
			fflush(stdout);
			struct strbuf e = STRBUF_INIT;
			report_sanitize(&e, it->err, strlen(it->err));
			fprintf(stderr, "smtpprobe: %s\n", strbuf_str(&e));
			strbuf_free(&e);
			continue;
		}
		struct strbuf out = STRBUF_INIT;
		if (!json && nfiles > 1) {
			if (!first)
				strbuf_putc(&out, '\n');
			strbuf_puts(&out, "==> ");
			report_sanitize(&out, it->file, strlen(it->file));
			strbuf_puts(&out, " <==\n");
		}
		first = false;
		explain_render(it->file, &it->b, it->now, json, c->reprobe, &out);
		if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
			if (errno != EPIPE)
				fprintf(stderr, "smtpprobe: %s: %s\n", _("cannot write the results"), strerror(errno));
			status = EXIT_IOERR;
			strbuf_free(&out);
			break;
		}
		strbuf_free(&out);
	}
	for (size_t i = 0; i < nfiles; i++) {
		for (size_t r = 0; r < items[i].b.nrcpts; r++)
			strbuf_free(&items[i].now[r].json);
		free(items[i].now);
		bounce_free(&items[i].b);
	}
	free(items);
	return status;
}
