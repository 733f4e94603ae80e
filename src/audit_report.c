/*
 * audit_report.c - an audit's results for people (a table per domain and
 * a summary line), for programs (JSON Lines: one object per check, then
 * the summary) and for CI systems (JUnit XML: one testcase per check and
 * target). The evidence stays English everywhere, as the servers' replies
 * it quotes; the headings and the summary are translated.
 */
#include "audit.h"

#include <string.h>

#include "i18n.h"
#include "json.h"
#include "junit.h"
#include "report.h"

static const struct {
	const char *word;   /* the status column: the same in every language, as grep wants it */
	const char *color;
} styles[AUDIT_STATUS_COUNT] = {
	[AUDIT_PASS] = { "PASS", "\033[32m" },
	[AUDIT_SKIP] = { "SKIP", "\033[2m" },
	[AUDIT_WARN] = { "WARN", "\033[1;33m" },
	[AUDIT_FAIL] = { "FAIL", "\033[1;31m" },
	[AUDIT_ERROR] = { "ERROR", "\033[1;35m" },
};

/* A warning counts as a failure with --strict. */
static bool fails(enum audit_status st, bool strict)
{
	return st == AUDIT_FAIL || (strict && st == AUDIT_WARN);
}

static void summary_text(const struct audit_report *r, bool strict, struct strbuf *out)
{
	size_t c[AUDIT_STATUS_COUNT];
	audit_count(r, c);
	int status = audit_exit_status(r, strict);
	strbuf_printf(out, _("%zu checks: %zu passed, %zu warnings, %zu failed, %zu skipped"), r->nresults, c[AUDIT_PASS],
	              c[AUDIT_WARN], c[AUDIT_FAIL], c[AUDIT_SKIP]);
	if (c[AUDIT_ERROR])
		strbuf_printf(out, _(", %zu could not be checked from here"), c[AUDIT_ERROR]);
	if (strict)
		strbuf_printf(out, " (%s)", _("--strict: warnings fail"));
	strbuf_printf(out, _(" - exit status %d\n"), status);
}

void audit_render_text(const struct audit_report *r, bool color, bool strict, struct strbuf *out)
{
	size_t i = 0;
	for (int d = 0; d < r->ndomains; d++) {
		/* The target column as wide as this domain's widest target. */
		int width = 6;
		for (size_t k = i; k < r->nresults && r->results[k].domain == d; k++) {
			int w = (int)strlen(r->results[k].target);
			if (w > width)
				width = w;
		}
		if (d > 0)
			strbuf_putc(out, '\n');
		strbuf_printf(out, "%s%s%s\n", color ? "\033[1m" : "", r->domains[d], color ? "\033[0m" : "");
		strbuf_printf(out, "  %-6s %-22s %-*s %s\n", _("STATUS"), _("CHECK"), width, _("TARGET"), _("EVIDENCE"));
		for (; i < r->nresults && r->results[i].domain == d; i++) {
			const struct audit_result *x = &r->results[i];
			const struct audit_check *c = audit_check_get(x->check);
			strbuf_puts(out, "  ");
			if (color)
				strbuf_puts(out, styles[x->status].color);
			strbuf_printf(out, "%-6s", styles[x->status].word);
			if (color)
				strbuf_puts(out, "\033[0m");
			strbuf_printf(out, " %-22s ", c->id);
			size_t before = out->len;
			report_sanitize(out, x->target, strlen(x->target));
			for (size_t pad = out->len - before; pad < (size_t)width; pad++)
				strbuf_putc(out, ' ');
			strbuf_putc(out, ' ');
			report_sanitize(out, x->evidence, strlen(x->evidence));
			strbuf_putc(out, '\n');
		}
	}
	strbuf_putc(out, '\n');
	summary_text(r, strict, out);
}

void audit_render_json(const struct audit_report *r, bool strict, struct strbuf *out)
{
	struct json j;
	for (size_t i = 0; i < r->nresults; i++) {
		const struct audit_result *x = &r->results[i];
		const struct audit_check *c = audit_check_get(x->check);
		json_init(&j, out);
		json_object_begin(&j);
		json_key(&j, "domain");
		json_string(&j, r->domains[x->domain]);
		json_key(&j, "check");
		json_string(&j, c->id);
		json_key(&j, "group");
		json_string(&j, audit_group_name(c->group));
		json_key(&j, "target");
		json_string(&j, x->target);
		json_key(&j, "status");
		json_string(&j, audit_status_name(x->status));
		json_key(&j, "evidence");
		json_string(&j, x->evidence);
		json_key(&j, "rfc");
		json_string(&j, c->rfc);
		json_object_end(&j);
		strbuf_putc(out, '\n');
	}
	size_t c[AUDIT_STATUS_COUNT];
	audit_count(r, c);
	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "summary");
	json_object_begin(&j);
	json_key(&j, "domains");
	json_int(&j, r->ndomains);
	json_key(&j, "checks");
	json_int(&j, (int64_t)r->nresults);
	for (int s = 0; s < AUDIT_STATUS_COUNT; s++) {
		json_key(&j, audit_status_name((enum audit_status)s));
		json_int(&j, (int64_t)c[s]);
	}
	json_key(&j, "strict");
	json_bool(&j, strict);
	json_key(&j, "elapsed_ms");
	json_int(&j, r->elapsed_ms);
	json_key(&j, "exit_status");
	json_int(&j, audit_exit_status(r, strict));
	json_object_end(&j);
	json_object_end(&j);
	strbuf_putc(out, '\n');
}

void audit_render_junit(const struct audit_report *r, bool strict, struct junit *j)
{
	size_t i = 0;
	for (int d = 0; d < r->ndomains; d++) {
		struct strbuf suite = STRBUF_INIT;
		strbuf_printf(&suite, "smtpprobe audit %s", r->domains[d]);
		junit_suite_begin(j, strbuf_str(&suite), junit_local_hostname(), time(NULL));
		strbuf_free(&suite);
		for (; i < r->nresults && r->results[i].domain == d; i++) {
			const struct audit_result *x = &r->results[i];
			const struct audit_check *c = audit_check_get(x->check);
			struct strbuf cls = STRBUF_INIT, name = STRBUF_INIT, details = STRBUF_INIT;
			strbuf_printf(&cls, "%s.%s", r->domains[d], audit_group_name(c->group));
			strbuf_printf(&name, "%s %s", c->id, x->target);
			strbuf_printf(&details, "%s: %s\n%s (%s)\n", audit_status_name(x->status), x->evidence, c->description,
			              c->rfc);
			enum junit_outcome oc = fails(x->status, strict) ? JUNIT_FAILURE
				: x->status == AUDIT_ERROR ? JUNIT_ERROR
				: x->status == AUDIT_SKIP ? JUNIT_SKIPPED : JUNIT_PASS;
			junit_case(j, strbuf_str(&cls), strbuf_str(&name), 0, oc, c->id, x->evidence, strbuf_str(&details));
			strbuf_free(&cls);
			strbuf_free(&name);
			strbuf_free(&details);
		}
	}
}
