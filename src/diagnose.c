/* diagnose.c - apply the rule table to a result (see diagnose.h, diagnose_rules.h). */
#include "diagnose.h"

#include <stdio.h>
#include <string.h>

#include "diagnose_rules.h"
#include "i18n.h"

static const char no_rule_summary[] = N_("no rule matched this result");
static const char no_rule_remedy[] = N_("read the server's reply text");

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/* Lower-case ASCII, one space for every run of white space (line joins too). */
static void normalize(const char *s, size_t len, struct strbuf *out)
{
	bool space = false;
	for (size_t i = 0; i < len; i++) {
		if (is_space(s[i])) {
			space = true;
			continue;
		}
		if (space && out->len > 0)
			strbuf_putc(out, ' ');
		space = false;
		strbuf_putc(out, ascii_lower(s[i]));
	}
}

static bool contains(const char *hay, const char *needle, size_t n)
{
	if (n == 0)
		return true;
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && hay[i] == ascii_lower(needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* One alternative, "a" or "a&b&c": every part is in the text. */
static bool alternative_matches(const char *norm, const char *alt, size_t n)
{
	while (n > 0) {
		const char *amp = memchr(alt, '&', n);
		size_t part = amp ? (size_t)(amp - alt) : n;
		if (!contains(norm, alt, part))
			return false;
		if (!amp)
			break;
		n -= part + 1;
		alt = amp + 1;
	}
	return true;
}

/* The first alternative of "a|b|c" found in the text, or NULL. */
static const char *find_alternative(const char *norm, const char *alts, size_t *len)
{
	const char *p = alts;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (alternative_matches(norm, p, n)) {
			*len = n;
			return p;
		}
		if (!bar)
			return NULL;
		p = bar + 1;
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Up to three digits at s; their count, 0 if none. */
static size_t digits(const char *s)
{
	size_t n = 0;
	while (n < 3 && is_digit(s[n]))
		n++;
	return is_digit(s[n]) ? 0 : n;
}

/*
 * An enhanced code written into the text as "#5.1.1" (qmail and its
 * patches: "(#5.1.1)", "(#5.1.1 - chkuser)"), copied to out.
 */
static bool enhanced_in_text(const char *norm, char *out, size_t outsz)
{
	for (const char *p = strchr(norm, '#'); p; p = strchr(p + 1, '#')) {
		const char *s = p + 1;
		if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
			continue;
		size_t a = digits(s + 2);
		if (a == 0 || s[2 + a] != '.')
			continue;
		size_t b = digits(s + 3 + a);
		if (b == 0)
			continue;
		size_t len = 3 + a + b;
		if (len >= outsz)
			continue;
		memcpy(out, s, len);
		out[len] = '\0';
		return true;
	}
	return false;
}

/* "1.1" is X.1.1 exactly; "7." is any X.7.*; alternatives split by '|'. */
static bool enhanced_matches(const char *alts, const char *code)
{
	const char *dot = strchr(code, '.');
	if (!dot)
		return false;
	const char *sub = dot + 1;
	size_t sublen = strlen(sub);
	const char *p = alts;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n > 0 && p[n - 1] == '.') {
			if (sublen >= n && memcmp(sub, p, n) == 0)
				return true;
		} else if (n == sublen && memcmp(sub, p, n) == 0) {
			return true;
		}
		if (!bar)
			return false;
		p = bar + 1;
	}
}

static bool needs_reply(const struct diag_rule *rule)
{
	return rule->code_class || rule->codes[0] || rule->enhanced || rule->text;
}

static bool code_listed(const struct diag_rule *rule, int code)
{
	for (size_t i = 0; i < DIAG_CODES_MAX && rule->codes[i]; i++)
		if (rule->codes[i] == code)
			return true;
	return false;
}

/* The reply as the rules see it. */
struct evidence {
	const struct diag_input *r;
	const char *norm;       /* normalized text; "" without a reply */
	const char *enhanced;   /* the reply's enhanced code, else one from the text, else the status, else "" */
	bool enhanced_in_text;
	bool enhanced_from_status;
};

static bool rule_matches(const struct diag_rule *rule, const struct evidence *ev,
                         const char **text, size_t *text_len)
{
	const struct diag_input *r = ev->r;
	*text = NULL;
	*text_len = 0;
	if (rule->failures && ((unsigned)r->failure >= 32 || !(rule->failures & DIAG_FAIL(r->failure))))
		return false;
	if (rule->steps && ((unsigned)r->step >= 32 || !(rule->steps & DIAG_STEP(r->step))))
		return false;
	if ((rule->flags & DIAG_CATCH_ALL) && r->catch_all != CATCH_ALL_YES)
		return false;
	if ((rule->flags & DIAG_CATCH_ALL_UNKNOWN) && r->catch_all != CATCH_ALL_UNKNOWN)
		return false;
	if ((rule->context & r->context) != rule->context)
		return false;
	/* A DSN status without a reply can decide the rules on enhanced codes alone. */
	if (needs_reply(rule) && !r->reply && !(ev->enhanced[0] && !rule->code_class && !rule->codes[0] && !rule->text))
		return false;
	if (rule->code_class && r->reply->code / 100 != rule->code_class)
		return false;
	if (rule->codes[0] && !code_listed(rule, r->reply->code))
		return false;
	if (rule->enhanced && (!ev->enhanced[0] || !enhanced_matches(rule->enhanced, ev->enhanced)))
		return false;
	if (rule->text && !(*text = find_alternative(ev->norm, rule->text, text_len)))
		return false;
	size_t n;
	if (rule->unless && find_alternative(ev->norm, rule->unless, &n))
		return false;
	return true;
}

static const char *find_list(const char *norm)
{
	for (size_t i = 0; i < diag_lists_count; i++)
		if (contains(norm, diag_lists[i].pattern, strlen(diag_lists[i].pattern)))
			return diag_lists[i].name;
	return NULL;
}

void diagnose(const struct probe_result *r, struct diagnosis *out)
{
	struct diag_input in = {
		.step = r->step,
		.failure = r->failure,
		.reply = probe_reply(r),
		.catch_all = r->catch_all,
		.context = r->context,
	};
	diagnose_input(&in, out);
}

void diagnose_input(const struct diag_input *r, struct diagnosis *out)
{
	memset(out, 0, sizeof *out);
	out->failure = (int)r->failure;
	out->code = r->reply ? r->reply->code : 0;

	struct strbuf norm = STRBUF_INIT;
	char text_code[16] = "";
	struct evidence ev = { .r = r, .norm = "", .enhanced = "" };
	if (r->reply) {
		normalize(strbuf_str(&r->reply->text), r->reply->text.len, &norm);
		ev.norm = strbuf_str(&norm);
		if (r->reply->enhanced[0]) {
			ev.enhanced = r->reply->enhanced;
		} else if (enhanced_in_text(ev.norm, text_code, sizeof text_code)) {
			ev.enhanced = text_code;
			ev.enhanced_in_text = true;
		}
	}
	if (!ev.enhanced[0] && r->status && r->status[0] && strcmp(r->status + 1, ".0.0") != 0) {
		ev.enhanced = r->status;
		ev.enhanced_from_status = true;
	}

	out->category = "unknown";
	out->summary = no_rule_summary;
	out->remedy = no_rule_remedy;
	for (size_t i = 0; i < diag_rules_count; i++) {
		const struct diag_rule *rule = &diag_rules[i];
		if (!rule_matches(rule, &ev, &out->text, &out->text_len))
			continue;
		out->rule = rule;
		out->category = rule->category;
		out->blame = rule->blame;
		out->mailbox = rule->mailbox;
		out->summary = rule->summary;
		out->remedy = rule->remedy;
		if (rule->enhanced) {
			snprintf(out->enhanced, sizeof out->enhanced, "%s", ev.enhanced);
			out->enhanced_in_text = ev.enhanced_in_text;
			out->enhanced_from_status = ev.enhanced_from_status;
		}
		if (rule->flags & DIAG_LISTS)
			out->list = find_list(ev.norm);
		out->by_reply = !(rule->flags & DIAG_FALLBACK) &&
			(rule->codes[0] || rule->enhanced || rule->text);
		break;
	}
	/* a rule written for bounces has its own remedy; the others get their category's bounce one */
	if ((r->context & DIAG_CTX_BOUNCE) && out->rule && !(out->rule->context & (DIAG_CTX_BOUNCE | DIAG_CTX_AFTER_DATA)))
		for (size_t i = 0; i < diag_bounce_remedies_count; i++)
			if (strcmp(diag_bounce_remedies[i].category, out->category) == 0)
				out->remedy = diag_bounce_remedies[i].remedy;
	strbuf_free(&norm);

	struct strbuf m = STRBUF_INIT;
	diagnosis_matched(out, false, &m);
	snprintf(out->matched, sizeof out->matched, "%s", strbuf_str(&m));
	strbuf_free(&m);
}

/* format_arg: printf checks the English format through the translation. */
__attribute__((format_arg(1)))
static const char *tr(const char *s, bool translate)
{
	return translate && s[0] ? _(s) : s;
}

void diagnosis_summary(const struct diagnosis *d, bool translate, struct strbuf *out)
{
	strbuf_puts(out, tr(d->summary, translate));
	if (d->list)
		strbuf_printf(out, ": %s", d->list);
}

const char *diagnosis_remedy(const struct diagnosis *d, bool translate)
{
	return tr(d->remedy, translate);
}

static void separator(struct strbuf *out, size_t start)
{
	if (out->len > start)
		strbuf_puts(out, ", ");
}

void diagnosis_matched(const struct diagnosis *d, bool translate, struct strbuf *out)
{
	const struct diag_rule *rule = d->rule;
	size_t start = out->len;
	if (!rule) {
		strbuf_puts(out, tr(N_("no rule"), translate));
		return;
	}
	if (rule->flags & DIAG_FALLBACK) {
		strbuf_printf(out, tr(N_("code class %dxx (no specific rule)"), translate), d->code / 100);
		return;
	}
	if (rule->flags & DIAG_CATCH_ALL)
		strbuf_puts(out, tr(N_("catch-all check: a made-up address was accepted too"), translate));
	if (rule->enhanced) {
		separator(out, start);
		if (d->enhanced_in_text)
			strbuf_printf(out, tr(N_("enhanced code %s (in the text)"), translate), d->enhanced);
		else if (d->enhanced_from_status)
			strbuf_printf(out, tr(N_("status %s (of the delivery report)"), translate), d->enhanced);
		else
			strbuf_printf(out, tr(N_("enhanced code %s"), translate), d->enhanced);
	}
	if (rule->codes[0]) {
		separator(out, start);
		strbuf_printf(out, tr(N_("reply code %d"), translate), d->code);
	}
	if (d->text) {
		/* "a&b" shows as "a" + "b". */
		struct strbuf q = STRBUF_INIT;
		strbuf_putc(&q, '"');
		for (size_t i = 0; i < d->text_len; i++) {
			if (d->text[i] == '&')
				strbuf_puts(&q, "\" + \"");
			else
				strbuf_putc(&q, d->text[i]);
		}
		strbuf_putc(&q, '"');
		separator(out, start);
		strbuf_printf(out, tr(N_("text %s"), translate), strbuf_str(&q));
		strbuf_free(&q);
	}
	if (out->len > start)
		return;
	/* A rule on the outcome alone: say which. */
	if (d->code)
		strbuf_printf(out, tr(N_("reply code %d"), translate), d->code);
	else
		strbuf_printf(out, tr(N_("failure class %s"), translate), failure_name((enum failure)d->failure));
}
