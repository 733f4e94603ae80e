/* expect.c - the --expect file: parser and comparison with a result (see expect.h). */
#include "expect.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_rules.h"
#include "i18n.h"
#include "mem.h"

/* ---- the values each field takes ------------------------------------------ */

static bool valid_verdict(const char *v)
{
	for (int i = VERDICT_ACCEPTED; i <= VERDICT_ERROR; i++)
		if (strcmp(v, verdict_name((enum verdict)i)) == 0)
			return true;
	return false;
}

static bool valid_step(const char *v)
{
	for (int i = STEP_NONE + 1; i < STEP_COUNT; i++)
		if (strcmp(v, step_name((enum step)i)) == 0)
			return true;
	return false;
}

/* A category of the diagnosis table, or "unknown" (what no rule matched gets). */
static bool valid_category(const char *v)
{
	if (strcmp(v, "unknown") == 0)
		return true;
	for (size_t i = 0; i < diag_rules_count; i++)
		if (diag_rules[i].category && strcmp(v, diag_rules[i].category) == 0)
			return true;
	return false;
}

static bool valid_blame(const char *v)
{
	for (int i = 0; i < BLAME_COUNT; i++)
		if (strcmp(v, blame_name((enum blame)i)) == 0)
			return true;
	return false;
}

static bool valid_mailbox(const char *v)
{
	for (int i = 0; i < MAILBOX_COUNT; i++)
		if (strcmp(v, mailbox_name((enum mailbox)i)) == 0)
			return true;
	return false;
}

/* A reply code, a digit 2-5 then two digits; 'x' stands for any digit after the first. */
static bool valid_code(const char *v)
{
	if (strlen(v) != 3 || v[0] < '2' || v[0] > '5')
		return false;
	for (int i = 1; i < 3; i++)
		if (!(v[i] >= '0' && v[i] <= '9') && v[i] != 'x')
			return false;
	return true;
}

/* An enhanced status code (RFC 3463): class.subject.detail, class 2, 4 or 5, 1-3 digits each. */
static bool valid_enhanced(const char *v)
{
	if (!(v[0] == '2' || v[0] == '4' || v[0] == '5') || v[1] != '.')
		return false;
	const char *p = v + 2;
	for (int part = 0; part < 2; part++) {
		size_t n = 0;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
		if (n < 1 || n > 3)
			return false;
		p += n;
		if (part == 0 && *p++ != '.')
			return false;
	}
	return *p == '\0';
}

/* The names are JSON keys and KEY= words (English); N_() lets the text output label its lines with them translated. */
static const struct {
	const char *name;
	bool (*valid)(const char *v);
	const char *hint;   /* what to write instead, for the error */
} fields[EXPECT_FIELDS] = {
	[EXPECT_VERDICT] = { N_("verdict"), valid_verdict, N_("use accepted, rejected, tempfail or error") },
	[EXPECT_STEP] = { N_("step"), valid_step,
		N_("use input, dns, connect, banner, ehlo, helo, starttls, tls, auth, mail, rcpt, rset or quit") },
	[EXPECT_CATEGORY] = { N_("category"), valid_category, N_("docs/diagnoses.md lists the categories") },
	[EXPECT_BLAME] = { N_("blame"), valid_blame,
		N_("use none, recipient, sender, client, policy, server, network, dns, local or unknown") },
	[EXPECT_MAILBOX] = { N_("mailbox"), valid_mailbox,
		N_("use exists, not_found, disabled, full, unverifiable or unknown") },
	[EXPECT_CODE] = { N_("code"), valid_code, N_("use a reply code such as 550, or 5xx, 55x") },
	[EXPECT_ENHANCED] = { N_("enhanced"), valid_enhanced, N_("use an enhanced status code such as 5.1.1") },
};

/* The positional fields after the verdict, in order. */
static const enum expect_field positional[] = { EXPECT_STEP, EXPECT_CATEGORY, EXPECT_BLAME };

const char *expect_field_name(enum expect_field f)
{
	return (unsigned)f < EXPECT_FIELDS ? fields[f].name : "";
}

/* ---- the parser ------------------------------------------------------------ */

struct parse {
	const char *name;
	unsigned line;
	char *err;
	size_t errsz;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errsz, "%s:%u: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->errsz)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void expectation_free(struct expectation *e)
{
	free(e->address);
	for (int f = 0; f < EXPECT_FIELDS; f++)
		free(e->want[f]);
	memset(e, 0, sizeof *e);
}

/* One field's value, checked, into e (a field named twice is an error). */
static int set_field(struct parse *p, struct expectation *e, enum expect_field f, const char *v, size_t n)
{
	char value[64];
	if (n >= sizeof value)
		return fail(p, _("the %s \"%.*s...\" is too long"), fields[f].name, 20, v);
	memcpy(value, v, n);
	value[n] = '\0';
	if (e->want[f])
		return fail(p, _("%s given twice"), fields[f].name);
	if (!fields[f].valid(value))
		return fail(p, _("unknown %s \"%s\": %s"), fields[f].name, value, _(fields[f].hint));
	e->want[f] = xstrdup(value);
	return 0;
}

/* KEY=VALUE (the '=' at eq). */
static int set_keyed(struct parse *p, struct expectation *e, const char *w, size_t n, const char *eq)
{
	size_t klen = (size_t)(eq - w);
	for (int f = 0; f < EXPECT_FIELDS; f++) {
		if (strlen(fields[f].name) == klen && memcmp(fields[f].name, w, klen) == 0) {
			if (klen + 1 == n)
				return fail(p, _("%s= without a value"), fields[f].name);
			return set_field(p, e, (enum expect_field)f, eq + 1, n - klen - 1);
		}
	}
	return fail(p, _("unknown field \"%.*s\": use step, category, blame, mailbox, code or enhanced"),
		    (int)(klen > 40 ? 40 : klen), w);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One line (without its newline) into e; *empty when it holds no
 * expectation (blank or comment).
 */
static int parse_line(struct parse *p, const char *s, size_t len, struct expectation *e, bool *empty)
{
	if (len > 0 && s[len - 1] == '\r')
		len--;   /* a file written on Windows */
	if (len > EXPECT_LINE_MAX)
		return fail(p, _("the line is longer than %d octets"), EXPECT_LINE_MAX);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return fail(p, _("the line contains a control character (CR, NUL, ...)"));
	*empty = true;
	size_t i = 0, word = 0, npos = 0;
	bool keyed = false;
	while (i < len) {
		while (i < len && blank(s[i]))
			i++;
		if (i == len || s[i] == '#')
			break;   /* the rest is a comment */
		const char *w = s + i;
		size_t n = 0;
		while (i < len && !blank(s[i])) {
			i++;
			n++;
		}
		const char *eq = memchr(w, '=', n);
		if (word == 0) {
			e->address = xmalloc(n + 1);
			memcpy(e->address, w, n);
			e->address[n] = '\0';
			*empty = false;
		} else if (word == 1) {
			if (set_field(p, e, EXPECT_VERDICT, w, n) < 0)
				return -1;
		} else if (eq) {
			keyed = true;
			if (set_keyed(p, e, w, n, eq) < 0)
				return -1;
		} else if (keyed) {
			return fail(p, _("\"%.*s\" after KEY=VALUE fields: positional fields (STEP CATEGORY BLAME) come first"),
				    (int)(n > 40 ? 40 : n), w);
		} else if (npos == sizeof positional / sizeof positional[0]) {
			return fail(p, _("too many fields: ADDRESS VERDICT [STEP [CATEGORY [BLAME]]] [KEY=VALUE...]"));
		} else if (!(n == 1 && w[0] == '-') && set_field(p, e, positional[npos], w, n) < 0) {
			return -1;
		} else {
			npos++;
		}
		word++;
	}
	if (!*empty && word < 2)
		return fail(p, _("\"%s\" without a verdict: write ADDRESS VERDICT (accepted, rejected, tempfail or error)"),
			    e->address);
	return 0;
}

int expect_parse(const char *buf, size_t len, const char *name, struct expect_list *list, char *err, size_t errsz)
{
	struct parse p = { name, 0, err, errsz };
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		p.line++;
		struct expectation e = { 0 };
		e.line = p.line;
		bool empty = true;
		if (parse_line(&p, buf + pos, n, &e, &empty) < 0) {
			expectation_free(&e);
			return -1;
		}
		if (!empty) {
			if (list->n == list->cap) {
				list->cap = list->cap ? list->cap * 2 : 16;
				list->items = xreallocarray(list->items, list->cap, sizeof *list->items);
			}
			list->items[list->n++] = e;
		}
		pos += n + 1;
	}
	if (list->n == 0) {
		snprintf(err, errsz, _("%s: no expectation in the file (one line each: ADDRESS VERDICT ...)"), name);
		return -1;
	}
	return 0;
}

int expect_load(const char *path, struct expect_list *list, bool *io, char *err, size_t errsz)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	*io = true;
	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (sb.len + n > EXPECT_FILE_MAX) {
			*io = false;
			snprintf(err, errsz, _("%s: larger than %u MiB"), path, EXPECT_FILE_MAX >> 20);
			rc = -1;
			break;
		}
		strbuf_append(&sb, chunk, n);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (!is_stdin)
		fclose(f);
	if (rc == 0) {
		*io = false;
		rc = expect_parse(strbuf_str(&sb), sb.len, path, list, err, errsz);
	}
	strbuf_free(&sb);
	return rc;
}

void expect_list_free(struct expect_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		expectation_free(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof *list);
}

/* ---- comparison ------------------------------------------------------------ */

void expect_got_from(const struct probe_result *r, struct expect_got *got)
{
	memset(got, 0, sizeof *got);
	got->value[EXPECT_VERDICT] = verdict_name(r->verdict);
	got->value[EXPECT_STEP] = r->step == STEP_NONE ? NULL : step_name(r->step);
	got->value[EXPECT_CATEGORY] = r->category ? r->category : "unknown";
	got->value[EXPECT_BLAME] = blame_name(r->blame);
	got->value[EXPECT_MAILBOX] = mailbox_name(r->mailbox);
	const struct reply *rep = probe_reply(r);
	if (rep && rep->code >= 200 && rep->code <= 599) {
		snprintf(got->code, sizeof got->code, "%d", rep->code);
		got->value[EXPECT_CODE] = got->code;
	}
	if (rep && rep->enhanced[0])
		got->value[EXPECT_ENHANCED] = rep->enhanced;
}

bool expect_field_matches(enum expect_field f, const char *want, const char *got)
{
	if (!want)
		return true;
	if (!got)
		return false;
	if (f != EXPECT_CODE)
		return strcmp(want, got) == 0;
	if (strlen(got) != strlen(want))
		return false;
	for (size_t i = 0; want[i]; i++)
		if (want[i] != got[i] && !(want[i] == 'x' && got[i] >= '0' && got[i] <= '9'))
			return false;
	return true;
}

int expect_compare(const struct expectation *e, const struct expect_got *got, enum expect_field *diff)
{
	int n = 0;
	for (int f = 0; f < EXPECT_FIELDS; f++)
		if (!expect_field_matches((enum expect_field)f, e->want[f], got->value[f]))
			diff[n++] = (enum expect_field)f;
	return n;
}

void expect_describe(const struct expectation *e, struct strbuf *out)
{
	strbuf_puts(out, e->address);
	strbuf_putc(out, ' ');
	strbuf_puts(out, e->want[EXPECT_VERDICT] ? e->want[EXPECT_VERDICT] : "-");
	for (int f = EXPECT_VERDICT + 1; f < EXPECT_FIELDS; f++)
		if (e->want[f])
			strbuf_printf(out, " %s=%s", fields[f].name, e->want[f]);
}
