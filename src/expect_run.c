/* expect_run.c - a probe run against expectations, shown like a test runner (see expect_run.h). */
#include "expect_run.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"
#include "junit.h"
#include "mem.h"
#include "report.h"

/* What one expectation came to, kept for the summary and the JUnit report. */
struct outcome {
	bool done;
	bool ok;
	bool not_probed;      /* the run ended before this address had a result */
	double seconds;
	char *message;        /* English, one line: the differences */
	char *details;        /* English: differences, reply, result, where in the file */
};

/*
 * A result between rendering (any order) and writing (input order), where
 * it meets its expectation: what the comparison and the output need, so
 * that the result itself can go.
 */
struct pending {
	struct expect_got got;
	char category[64];
	char enhanced[16];
	char *reply;          /* "550 5.1.1 text", NULL without a reply */
	char *result;         /* probe_message, translated */
	char *result_en;      /* the same in English, for JUnit */
	char *json;           /* the result's JSON object without its closing "}\n" (JSON only) */
	double seconds;
	bool not_probed;
};

struct expect_run {
	struct expect_run_config cfg;
	struct expect_list list;
	struct outcome *out;      /* per expectation, in file order */
	struct pending *pending;  /* per result, in rendering order */
	size_t npending, cappending;
	size_t next;              /* the expectation the next written result meets */
};

/*
 * A record in the batch's output: this header, nothing else. Records never
 * leave the process; the index (not a pointer) keeps every pending result
 * owned by the run, freed with it even when the output stopped early.
 */
#define EXPECT_RECORD_MAGIC 0x52505845u   /* "EXPR" */
struct expect_record {
	uint32_t magic;
	uint32_t pad;
	uint64_t index;
};

struct expect_run *expect_run_new(struct expect_list *list, const struct expect_run_config *cfg)
{
	struct expect_run *x = xcalloc(1, sizeof *x);
	x->cfg = *cfg;
	x->list = *list;
	memset(list, 0, sizeof *list);
	x->out = xcalloc(x->list.n ? x->list.n : 1, sizeof *x->out);
	return x;
}

static void pending_clear(struct pending *p)
{
	free(p->reply);
	free(p->result);
	free(p->result_en);
	free(p->json);
	memset(p, 0, sizeof *p);
}

void expect_run_free(struct expect_run *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->list.n; i++) {
		free(x->out[i].message);
		free(x->out[i].details);
	}
	for (size_t i = 0; i < x->npending; i++)
		pending_clear(&x->pending[i]);
	free(x->pending);
	free(x->out);
	expect_list_free(&x->list);
	free(x);
}

size_t expect_run_count(const struct expect_run *x)
{
	return x->list.n;
}

const char *expect_run_address(const struct expect_run *x, size_t i)
{
	return x->list.items[i].address;
}

__attribute__((format_arg(1)))
static const char *tr(const char *s, bool translate)
{
	return translate ? _(s) : s;
}

/* "code enhanced text" of the reply that decided, continuation lines joined by " / "; NULL without one. */
static char *reply_line(const struct probe_result *r)
{
	const struct reply *rep = probe_reply(r);
	if (!rep)
		return NULL;
	struct strbuf out = STRBUF_INIT;
	strbuf_printf(&out, "%d", rep->code);
	if (rep->enhanced[0])
		strbuf_printf(&out, " %s", rep->enhanced);
	const char *t = strbuf_str(&rep->text);
	for (size_t i = 0; i < rep->text.len; i++) {
		if (i == 0)
			strbuf_putc(&out, ' ');
		if (t[i] == '\n')
			strbuf_puts(&out, " / ");
		else
			strbuf_putc(&out, t[i]);
	}
	return out.data;
}

/* "verdict: expected rejected, got accepted; step: ..." */
static void differences_line(const struct expectation *e, const struct expect_got *got, const enum expect_field *diff,
                             int ndiff, struct strbuf *out)
{
	for (int k = 0; k < ndiff; k++)
		strbuf_printf(out, "%s%s: expected %s, got %s", k ? "; " : "", expect_field_name(diff[k]),
		              e->want[diff[k]], got->value[diff[k]] ? got->value[diff[k]] : "-");
}

/*
 * The lines under a FAIL: one per difference, the reply that decided, what
 * happened (which names the server and the step). Raw bytes: the text
 * renderer sanitises them, the JUnit writer escapes them.
 */
static void failure_lines(const struct expectation *e, const struct pending *p, const enum expect_field *diff,
                          int ndiff, bool translate, const char *indent, struct strbuf *out)
{
	for (int k = 0; k < ndiff; k++) {
		const char *got = p->got.value[diff[k]];
		strbuf_printf(out, "%s%-9s ", indent, tr(expect_field_name(diff[k]), translate));
		strbuf_printf(out, tr(N_("expected %s, got %s"), translate), e->want[diff[k]], got ? got : "-");
		strbuf_putc(out, '\n');
	}
	if (p->reply)
		strbuf_printf(out, "%s%-9s %s\n", indent, tr(N_("reply"), translate), p->reply);
	strbuf_printf(out, "%s%-9s %s\n", indent, tr(N_("result"), translate), translate ? p->result : p->result_en);
}

static void render_text(const struct expect_run *x, const struct expectation *e, const struct pending *p,
                        const enum expect_field *diff, int ndiff, struct strbuf *out)
{
	struct strbuf desc = STRBUF_INIT;
	expect_describe(e, &desc);
	bool c = x->cfg.color;
	/* ok and FAIL are the runner's keywords, as in TAP and make check: never translated. */
	if (ndiff == 0)
		strbuf_printf(out, "%sok%s   ", c ? "\033[32m" : "", c ? "\033[0m" : "");
	else
		strbuf_printf(out, "%sFAIL%s ", c ? "\033[1;31m" : "", c ? "\033[0m" : "");
	report_sanitize(out, desc.data, desc.len);
	if (ndiff == 0) {
		strbuf_putc(out, '\n');
		strbuf_free(&desc);
		return;
	}
	strbuf_puts(out, "  (");
	report_sanitize(out, x->cfg.file, strlen(x->cfg.file));
	strbuf_printf(out, ":%u)\n", e->line);
	struct strbuf lines = STRBUF_INIT;
	failure_lines(e, p, diff, ndiff, true, "     ", &lines);
	/* Line by line, so that the newlines survive the sanitiser. */
	const char *s = strbuf_str(&lines), *end = s + lines.len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		report_sanitize(out, s, n);
		strbuf_putc(out, '\n');
		s += n + 1;
	}
	strbuf_free(&lines);
	strbuf_free(&desc);
}

/* {"ok":..,"line":..,"expected":{..},"differences":[{"field","expected","got"}..]} */
static void expect_json(const struct expectation *e, const struct expect_got *got, const enum expect_field *diff,
                        int ndiff, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "ok");
	json_bool(&j, ndiff == 0);
	json_key(&j, "line");
	json_int(&j, e->line);
	json_key(&j, "expected");
	json_object_begin(&j);
	for (int f = 0; f < EXPECT_FIELDS; f++) {
		if (!e->want[f])
			continue;
		json_key(&j, expect_field_name((enum expect_field)f));
		json_string(&j, e->want[f]);
	}
	json_object_end(&j);
	json_key(&j, "differences");
	json_array_begin(&j);
	for (int k = 0; k < ndiff; k++) {
		json_object_begin(&j);
		json_key(&j, "field");
		json_string(&j, expect_field_name(diff[k]));
		json_key(&j, "expected");
		json_string(&j, e->want[diff[k]]);
		json_key(&j, "got");
		json_string(&j, got->value[diff[k]]); /* null when the result has none */
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

void expect_run_render(struct expect_run *x, const struct probe_result *r, struct strbuf *out)
{
	if (x->npending == x->cappending) {
		x->cappending = x->cappending ? x->cappending * 2 : 16;
		x->pending = xreallocarray(x->pending, x->cappending, sizeof *x->pending);
	}
	size_t idx = x->npending++;
	struct pending *p = &x->pending[idx];
	memset(p, 0, sizeof *p);
	expect_got_from(r, &p->got);
	/* The got values point into the result or static tables; keep copies of the former. */
	if (p->got.value[EXPECT_CATEGORY]) {
		snprintf(p->category, sizeof p->category, "%s", p->got.value[EXPECT_CATEGORY]);
		p->got.value[EXPECT_CATEGORY] = p->category;
	}
	if (p->got.value[EXPECT_ENHANCED]) {
		snprintf(p->enhanced, sizeof p->enhanced, "%s", p->got.value[EXPECT_ENHANCED]);
		p->got.value[EXPECT_ENHANCED] = p->enhanced;
	}
	if (p->got.value[EXPECT_CODE])
		p->got.value[EXPECT_CODE] = p->got.code;
	p->reply = reply_line(r);
	struct strbuf sb = STRBUF_INIT;
	probe_message(r, true, &sb);
	p->result = xstrdup(strbuf_str(&sb));
	strbuf_reset(&sb);
	probe_message(r, false, &sb);
	p->result_en = xstrdup(strbuf_str(&sb));
	strbuf_reset(&sb);
	if (x->cfg.json) {
		/* report_json writes one object and a newline: without "}\n" it can take one more member. */
		report_json(r, x->cfg.transcript, &sb);
		if (sb.len >= 2 && memcmp(sb.data + sb.len - 2, "}\n", 2) == 0)
			sb.len -= 2;
		p->json = xmalloc(sb.len + 1);
		memcpy(p->json, strbuf_str(&sb), sb.len);
		p->json[sb.len] = '\0';
	}
	strbuf_free(&sb);
	p->seconds = r->total_ms > 0 ? (double)r->total_ms / 1000.0 : 0;
	p->not_probed = r->failure == FAIL_NOT_PROBED;
	struct expect_record rec = { .magic = EXPECT_RECORD_MAGIC, .index = idx };
	strbuf_append(out, (const char *)&rec, sizeof rec);
}

/* A result meets the next expectation of the file: compared, remembered, shown. */
static void meet(struct expect_run *x, struct pending *p, struct strbuf *out)
{
	if (x->next >= x->list.n)
		return;   /* more results than expectations: cannot happen, one address is queued per line */
	size_t k = x->next++;
	const struct expectation *e = &x->list.items[k];
	struct outcome *o = &x->out[k];
	enum expect_field diff[EXPECT_FIELDS];
	int ndiff = expect_compare(e, &p->got, diff);
	o->done = true;
	o->ok = ndiff == 0;
	o->not_probed = p->not_probed;
	o->seconds = p->seconds;
	if (ndiff) {
		struct strbuf sb = STRBUF_INIT;
		differences_line(e, &p->got, diff, ndiff, &sb);
		o->message = xstrdup(strbuf_str(&sb));
		strbuf_reset(&sb);
		failure_lines(e, p, diff, ndiff, false, "", &sb);
		strbuf_printf(&sb, "expectation %s:%u\n", x->cfg.file, e->line);
		o->details = xstrdup(strbuf_str(&sb));
		strbuf_free(&sb);
	}
	if (x->cfg.json) {
		strbuf_puts(out, p->json ? p->json : "{");
		strbuf_puts(out, ",\"expect\":");
		expect_json(e, &p->got, diff, ndiff, out);
		strbuf_puts(out, "}\n");
	} else {
		render_text(x, e, p, diff, ndiff, out);
	}
}

void expect_run_write(struct expect_run *x, const char *recs, size_t len, struct strbuf *out)
{
	struct expect_record rec;
	while (len >= sizeof rec) {
		memcpy(&rec, recs, sizeof rec);
		recs += sizeof rec;
		len -= sizeof rec;
		if (rec.magic != EXPECT_RECORD_MAGIC || rec.index >= x->npending)
			continue;   /* not ours: cannot happen */
		struct pending *p = &x->pending[rec.index];
		meet(x, p, out);
		pending_clear(p);
	}
}

/* The domain of an address as written: what follows its last '@', or the whole. */
static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');
	return at && at[1] ? at + 1 : address;
}

static int write_junit(const struct expect_run *x, const char *path, char *err, size_t errsz)
{
	struct junit *j = junit_new("smtpprobe");
	junit_suite_begin(j, x->cfg.file, junit_local_hostname(), x->cfg.started);
	for (size_t i = 0; i < x->list.n; i++) {
		const struct expectation *e = &x->list.items[i];
		const struct outcome *o = &x->out[i];
		struct strbuf name = STRBUF_INIT;
		expect_describe(e, &name);
		if (!o->done)
			junit_case(j, domain_of(e->address), strbuf_str(&name), 0, JUNIT_ERROR, "not_probed",
			           "no result: the run ended first", NULL);
		else if (o->not_probed && !o->ok)
			junit_case(j, domain_of(e->address), strbuf_str(&name), o->seconds, JUNIT_ERROR, "not_probed",
			           o->message, o->details);
		else
			junit_case(j, domain_of(e->address), strbuf_str(&name), o->seconds,
			           o->ok ? JUNIT_PASS : JUNIT_FAILURE, "expectation", o->message, o->details);
		strbuf_free(&name);
	}
	int rc = junit_save(j, path);
	if (rc < 0)
		snprintf(err, errsz, _("cannot write the JUnit report %s: %s"), path, strerror(errno));
	junit_free(j);
	return rc;
}

int expect_run_finish(struct expect_run *x, const char *junit_path, struct strbuf *summary, char *err, size_t errsz)
{
	size_t passed = 0, failed = 0;
	for (size_t i = 0; i < x->list.n; i++) {
		if (x->out[i].done && x->out[i].ok)
			passed++;
		else
			failed++;
	}
	strbuf_printf(summary, _("%zu passed, %zu failed"), passed, failed);
	strbuf_putc(summary, '\n');
	if (junit_path && write_junit(x, junit_path, err, errsz) < 0)
		return EXIT_IOERR;
	return failed ? EXIT_EXPECT_FAILED : 0;
}
