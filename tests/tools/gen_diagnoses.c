/*
 * gen_diagnoses - print docs/diagnoses.md from the diagnosis table, so the
 * documentation cannot drift from what smtpprobe does.
 *
 *   gen_diagnoses                  the markdown on stdout
 *   gen_diagnoses --output FILE    write FILE (meson: ninja diagnoses-doc)
 *   gen_diagnoses --check FILE     exit 1 unless FILE is what would be written
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_rules.h"
#include "strbuf.h"

/* Markdown table cells: a '|' would end the cell, a line break the row. */
static void cell(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			strbuf_puts(out, "\\|");
		else if (*s == '\n')
			strbuf_putc(out, ' ');
		else
			strbuf_putc(out, *s);
	}
}

/* "a|b&c" as `"a"` or `"b"` + `"c"`. */
static void alternatives(struct strbuf *out, const char *alts)
{
	strbuf_puts(out, "`\"");
	for (const char *p = alts; *p; p++) {
		if (*p == '|')
			strbuf_puts(out, "\"` or `\"");
		else if (*p == '&')
			strbuf_puts(out, "\"` + `\"");
		else
			strbuf_putc(out, *p);
	}
	strbuf_puts(out, "\"`");
}

static void enhanced(struct strbuf *out, const char *alts)
{
	const char *p = alts;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		strbuf_puts(out, "`X.");
		strbuf_append(out, p, n);
		if (n > 0 && p[n - 1] == '.')
			strbuf_putc(out, '*');
		strbuf_putc(out, '`');
		if (!bar)
			break;
		strbuf_puts(out, ", ");
		p = bar + 1;
	}
}

static void sep(struct strbuf *out, size_t start)
{
	if (out->len > start)
		strbuf_puts(out, "; ");
}

static void when(struct strbuf *out, const struct diag_rule *r)
{
	size_t start = out->len;
	if (r->failures) {
		strbuf_puts(out, "failure ");
		bool first = true;
		for (int f = 0; f < FAIL_COUNT; f++) {
			if (!(r->failures & DIAG_FAIL(f)))
				continue;
			strbuf_printf(out, "%s`%s`", first ? "" : ", ", failure_name((enum failure)f));
			first = false;
		}
	}
	if (r->steps) {
		sep(out, start);
		strbuf_puts(out, "at ");
		bool first = true;
		for (int s = 0; s < STEP_COUNT; s++) {
			if (!(r->steps & DIAG_STEP(s)))
				continue;
			strbuf_printf(out, "%s`%s`", first ? "" : ", ", step_name((enum step)s));
			first = false;
		}
	}
	if (r->code_class) {
		sep(out, start);
		strbuf_printf(out, "%dxx", r->code_class);
	}
	if (r->codes[0]) {
		sep(out, start);
		strbuf_puts(out, r->codes[1] ? "codes " : "code ");
		for (size_t i = 0; i < DIAG_CODES_MAX && r->codes[i]; i++)
			strbuf_printf(out, "%s%d", i ? ", " : "", r->codes[i]);
	}
	if (r->enhanced) {
		sep(out, start);
		strbuf_puts(out, "enhanced ");
		enhanced(out, r->enhanced);
	}
	if (r->text) {
		sep(out, start);
		strbuf_puts(out, "text ");
		alternatives(out, r->text);
	}
	if (r->unless) {
		sep(out, start);
		strbuf_puts(out, "unless ");
		alternatives(out, r->unless);
	}
	if (r->flags & DIAG_CATCH_ALL) {
		sep(out, start);
		strbuf_puts(out, "`--catch-all` found the domain accepts any address");
	}
	if (r->flags & DIAG_FALLBACK) {
		sep(out, start);
		strbuf_puts(out, "fallback on the code class");
	}
	if (r->flags & DIAG_LISTS) {
		sep(out, start);
		strbuf_puts(out, "names the blocklist");
	}
	if (out->len == start)
		strbuf_puts(out, "any result");
}

static void example(struct strbuf *out, const char *ex)
{
	if (ex[0] == '(') {
		cell(out, ex);      /* a situation, not a reply */
		return;
	}
	strbuf_putc(out, '`');
	cell(out, ex);
	strbuf_putc(out, '`');
}

/* `recipient`, with the mailbox when the rule knows it: `recipient` (mailbox `not_found`). */
static void blame(struct strbuf *out, const struct diag_rule *r)
{
	strbuf_printf(out, "`%s`", blame_name(r->blame));
	if (r->mailbox != MAILBOX_UNKNOWN)
		strbuf_printf(out, " (mailbox `%s`)", mailbox_name(r->mailbox));
}

/* Every distinct blame the rules of a category give, in table order. */
static void category_blames(struct strbuf *out, const char *category)
{
	size_t start = out->len;
	for (size_t i = 0; i < diag_rules_count; i++) {
		const struct diag_rule *r = &diag_rules[i];
		if (strcmp(r->category, category) != 0)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(diag_rules[k].category, category) == 0 &&
				diag_rules[k].blame == r->blame && diag_rules[k].mailbox == r->mailbox;
		if (seen)
			continue;
		if (out->len > start)
			strbuf_puts(out, ", ");
		blame(out, r);
	}
}

static void generate(struct strbuf *out)
{
	strbuf_puts(out,
		"# Diagnoses\n"
		"\n"
		"<!-- Generated from src/diagnose_rules.c by tests/tools/gen_diagnoses: do not edit.\n"
		"     `ninja -C build diagnoses-doc` rewrites it; the diagnoses-doc test fails when it drifts. -->\n"
		"\n"
		"Every result carries a diagnosis: what the outcome means in plain words and\n"
		"what to do about it. In JSON it is the `diagnosis` object\n"
		"([output.md](output.md)): `category` (a stable id for scripts), `summary`,\n"
		"`remedy`, `matched` (what decided: `enhanced code 5.1.1`, `text \"user unknown\"`,\n"
		"`reply code 421`, `failure class nxdomain`, or `code class 5xx (no specific rule)`)\n"
		"and `list` (the blocklist the reply names, or null). The text report shows the\n"
		"summary and remedy as `why` and `fix`, translated (`LANGUAGE=ru`), with what\n"
		"matched in brackets; JSON is always English.\n"
		"\n"
		"Each rule also says whom the outcome blames and, when the reply says so, the\n"
		"state of the mailbox: the result's `blame` and `mailbox`, from which the exit\n"
		"status follows ([output.md](output.md), \"Blame, mailbox and exit status\"). A\n"
		"5xx blamed on the `recipient` exits 67; on the `sender`, the `client` or a\n"
		"`policy` 77; on the `server` or `unknown` (the fallbacks on the code class) 69.\n"
		"\n"
		"## How a result is matched\n"
		"\n"
		"The rules below are tried in order and the first that fits wins:\n"
		"\n"
		"1. outcomes without a reply (DNS, connection, TLS, timeouts) and acceptance;\n"
		"2. what the reply says, at whatever step it came. The step is evidence, not\n"
		"   the verdict: Postfix (`smtpd_delay_reject = yes`, the default) and others\n"
		"   report a rejected sender, client or HELO name only at RCPT TO, and a reply\n"
		"   that names the sender is diagnosed as a sender problem there too;\n"
		"3. enhanced status codes alone (RFC 3463 and the IANA registry);\n"
		"4. reply codes alone;\n"
		"5. fallbacks on the step and the code class, which say \"by code class only\".\n"
		"\n"
		"Text patterns are case-insensitive substrings of the reply text, with the\n"
		"lines of a multi-line reply joined by a space. Enhanced codes are written\n"
		"without their class: `X.1.1` is 4.1.1 or 5.1.1; `X.7.*` is any X.7 code. A\n"
		"code written in the text as `(#5.1.1)` (qmail) counts when the reply has\n"
		"none of its own. A 2xx at RCPT TO is `accepted`, which does not prove the\n"
		"mailbox exists: 252 and accept-all domains (`--catch-all`) are unverifiable.\n"
		"\n"
		"## Languages\n"
		"\n"
		"The text report follows the locale for messages: `LANGUAGE=ru` with any\n"
		"locale but `C`/`POSIX` (glibc ignores `LANGUAGE` there), for instance\n"
		"`LC_ALL=C.UTF-8 LANGUAGE=ru smtpprobe ...`, or `LANG=ru_RU.UTF-8` where that\n"
		"locale is installed. Catalogues are installed under the `localedir` set at\n"
		"`meson setup`; `SMTPPROBE_LOCALEDIR=DIR` reads\n"
		"`DIR/<lang>/LC_MESSAGES/smtpprobe.mo` instead (the tests use the build tree,\n"
		"`build/po`). Numbers and the JSON output never change with the locale.\n"
		"\n"
		"## Categories\n"
		"\n"
		"| category | blame | example | summary | remedy |\n"
		"| --- | --- | --- | --- | --- |\n");

	/* One row per category, from its first rule. */
	for (size_t i = 0; i < diag_rules_count; i++) {
		const struct diag_rule *r = &diag_rules[i];
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(diag_rules[k].category, r->category) == 0;
		if (seen)
			continue;
		strbuf_printf(out, "| `%s` | ", r->category);
		category_blames(out, r->category);
		strbuf_puts(out, " | ");
		example(out, r->example);
		strbuf_puts(out, " | ");
		cell(out, r->summary);
		strbuf_puts(out, " | ");
		cell(out, r->remedy);
		strbuf_puts(out, " |\n");
	}
	strbuf_puts(out,
		"| `unknown` | `unknown` | (no rule matched) | no rule matched this result | read the server's reply text |\n"
		"\n"
		"## Remedies for a bounce\n"
		"\n"
		"`smtpprobe explain` diagnoses a bounce's refusal with the same rules, but a\n"
		"real MTA sent the message, so the advice is for its sender and their mail\n"
		"administrator rather than for smtpprobe's options. These categories get\n"
		"this remedy there (the rules written for bounces, such as\n"
		"`delivery_expired` and the refusals after DATA, keep their own; other\n"
		"categories keep theirs, which fits both):\n"
		"\n"
		"| category | remedy in `smtpprobe explain` |\n"
		"| --- | --- |\n");
	for (size_t i = 0; i < diag_bounce_remedies_count; i++) {
		strbuf_printf(out, "| `%s` | ", diag_bounce_remedies[i].category);
		cell(out, diag_bounce_remedies[i].remedy);
		strbuf_puts(out, " |\n");
	}
	strbuf_puts(out,
		"\n"
		"## Rules, in order\n"
		"\n"
		"| # | category | blame | when | example | summary | remedy |\n"
		"| --- | --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < diag_rules_count; i++) {
		const struct diag_rule *r = &diag_rules[i];
		strbuf_printf(out, "| %zu | `%s` | ", i + 1, r->category);
		blame(out, r);
		strbuf_puts(out, " | ");
		when(out, r);
		strbuf_puts(out, " | ");
		example(out, r->example);
		strbuf_puts(out, " | ");
		cell(out, r->summary);
		strbuf_puts(out, " | ");
		cell(out, r->remedy);
		strbuf_puts(out, " |\n");
	}
	strbuf_puts(out,
		"\n"
		"## Blocklists named\n"
		"\n"
		"When a rule names the blocklist, the first of these found in the reply is\n"
		"reported (`list` in JSON, after the summary in text):\n"
		"\n"
		"| the reply contains | list |\n"
		"| --- | --- |\n");
	for (size_t i = 0; i < diag_lists_count; i++) {
		strbuf_printf(out, "| `%s` | ", diag_lists[i].pattern);
		cell(out, diag_lists[i].name);
		strbuf_puts(out, " |\n");
	}
}

static int read_file(const char *path, struct strbuf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_append(out, buf, n);
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct strbuf doc = STRBUF_INIT;
	generate(&doc);
	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		struct strbuf cur = STRBUF_INIT;
		if (read_file(argv[2], &cur) < 0) {
			fprintf(stderr, "gen_diagnoses: cannot read %s\n", argv[2]);
			return 1;
		}
		int same = cur.len == doc.len && memcmp(strbuf_str(&cur), strbuf_str(&doc), doc.len) == 0;
		if (!same)
			fprintf(stderr, "gen_diagnoses: %s differs from the rule table: run `ninja -C build diagnoses-doc`\n", argv[2]);
		strbuf_free(&cur);
		strbuf_free(&doc);
		return same ? 0 : 1;
	}
	FILE *f = stdout;
	if (argc == 3 && strcmp(argv[1], "--output") == 0) {
		f = fopen(argv[2], "wb");
		if (!f) {
			fprintf(stderr, "gen_diagnoses: cannot write %s\n", argv[2]);
			return 1;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: gen_diagnoses [--output FILE | --check FILE]\n");
		return 2;
	}
	int bad = fwrite(strbuf_str(&doc), 1, doc.len, f) != doc.len;
	if (f != stdout)
		bad |= fclose(f) != 0;
	strbuf_free(&doc);
	return bad ? 1 : 0;
}
