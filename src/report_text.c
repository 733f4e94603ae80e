/* report_text.c - the report for people (see report.h). */
#include "report.h"

#include <string.h>

#include "diagnose.h"
#include "i18n.h"
#include "utf8.h"

/* Words and labels are translated (LANGUAGE=ru); the values they introduce are not. */
static const struct {
	const char *word;
	const char *color;
} verdict_style[] = {
	[VERDICT_ACCEPTED] = { N_("ACCEPTED"), "\033[1;32m" },
	[VERDICT_REJECTED] = { N_("REJECTED"), "\033[1;31m" },
	[VERDICT_TEMPFAIL] = { N_("TEMPFAIL"), "\033[1;33m" },
	[VERDICT_ERROR] = { N_("ERROR"), "\033[1;35m" },
};

const char *report_verdict_color(enum verdict v)
{
	return verdict_style[(unsigned)v < 4 ? (unsigned)v : VERDICT_ERROR].color;
}

__attribute__((format_arg(1)))
static const char *tr(const char *s)
{
	return s[0] ? _(s) : s;  /* gettext("") would be the catalogue's header */
}

/* Append s, then blanks up to `width` columns (characters, not bytes: labels may be Cyrillic). */
static void pad(struct strbuf *out, const char *s, size_t width)
{
	size_t cols = 0;
	for (const char *p = s; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			cols++;
	strbuf_puts(out, s);
	for (; cols < width; cols++)
		strbuf_putc(out, ' ');
}

void report_sanitize(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq_len(p + i, len - i, &cp);
		if (n == 0 || utf8_unsafe(cp)) {
			if (p[i] == '\t')
				strbuf_putc(out, ' ');
			else
				strbuf_printf(out, "\\x%02x", p[i]);
			i++;
			continue;
		}
		strbuf_append(out, s + i, n);
		i += n;
	}
}

void report_label(struct strbuf *out, const char *name)
{
	strbuf_puts(out, "  ");
	pad(out, tr(name), 8);
	strbuf_putc(out, ' ');
}

static void field(struct strbuf *out, const char *name, const char *value, size_t len)
{
	report_label(out, name);
	/* Continuation lines of a multi-line reply stay under the first one. */
	const char *end = value + len;
	bool first = true;
	while (value <= end) {
		const char *nl = memchr(value, '\n', (size_t)(end - value));
		size_t n = nl ? (size_t)(nl - value) : (size_t)(end - value);
		if (!first)
			strbuf_puts(out, "           ");
		report_sanitize(out, value, n);
		strbuf_putc(out, '\n');
		first = false;
		if (!nl)
			break;
		value = nl + 1;
	}
}

/*
 * How an attempt ended, in words, for the "tried" lines: "accepted at
 * RCPT TO", not the failure class "none". %s is the step, where a format
 * has one.
 */
static const char *const attempt_outcomes[FAIL_COUNT] = {
	[FAIL_NONE] = N_("accepted at %s"),
	[FAIL_REJECTED] = N_("refused at %s"),
	[FAIL_TEMPFAIL] = N_("temporarily refused at %s"),
	[FAIL_TIMEOUT] = N_("no answer in time at %s"),
	[FAIL_REFUSED] = N_("connection refused"),
	[FAIL_UNREACHABLE] = N_("unreachable"),
	[FAIL_CLOSED] = N_("connection closed at %s"),
	[FAIL_PROTOCOL] = N_("not SMTP at %s (protocol error)"),
	[FAIL_SMTPUTF8] = N_("no SMTPUTF8 for this address"),
	[FAIL_INTERNAL] = N_("failed on this machine at %s"),
	[FAIL_TLS] = N_("TLS handshake failed"),
	[FAIL_TLS_VERIFY] = N_("certificate not verified"),
	[FAIL_STARTTLS_MISSING] = N_("no STARTTLS offered"),
	[FAIL_AUTH_CLEARTEXT] = N_("AUTH not sent over clear text"),
	[FAIL_AUTH_UNSUPPORTED] = N_("no AUTH mechanism in common"),
	[FAIL_PROXY] = N_("the proxy failed"),
	[FAIL_SIZE_EXCEEDED] = N_("--size is over the server's limit"),
};

static void attempt_outcome(const struct probe_attempt *a, struct strbuf *out)
{
	const char *fmt = (unsigned)a->failure < FAIL_COUNT ? attempt_outcomes[a->failure] : NULL;
	struct msg m;
	if (fmt)
		msg_set(&m, fmt, "t", step_label(a->step));
	else   /* a failure class that ends a probe, not an attempt */
		msg_set(&m, "%s at %s", "st", failure_name(a->failure), step_label(a->step));
	msg_format(&m, true, out);
}

void report_server(const struct probe_attempt *a, struct strbuf *out)
{
	if (strcmp(a->host, a->ip) == 0)
		strbuf_printf(out, "[%s]:%d", a->ip, a->port);
	else if (a->ip[0])
		strbuf_printf(out, "%s [%s]:%d", a->host, a->ip, a->port);
	else
		strbuf_printf(out, "%s:%d", a->host, a->port);
}

void report_text(const struct probe_result *r, bool color, struct strbuf *out)
{
	struct strbuf tls = STRBUF_INIT, tail = STRBUF_INIT;
	report_text_parts(r, color, out, &tls, &tail);
	strbuf_append(out, strbuf_str(&tls), tls.len);
	strbuf_append(out, strbuf_str(&tail), tail.len);
	strbuf_free(&tls);
	strbuf_free(&tail);
}

void report_text_parts(const struct probe_result *r, bool color, struct strbuf *out,
                       struct strbuf *tls, struct strbuf *tail)
{
	unsigned v = (unsigned)r->verdict < 4 ? (unsigned)r->verdict : VERDICT_ERROR;
	if (color)
		strbuf_puts(out, verdict_style[v].color);
	pad(out, tr(verdict_style[v].word), 8);
	if (color)
		strbuf_puts(out, "\033[0m");
	strbuf_puts(out, "  ");
	report_sanitize(out, r->input ? r->input : "", r->input_len);
	if (r->verdict == VERDICT_ACCEPTED)
		strbuf_puts(out, "\n");
	else
		strbuf_printf(out, _("  at %s\n"), tr(step_label(r->step)));

	if (r->addr_ok && strcmp(r->addr.domain, r->addr.domain_unicode) != 0)
		field(out, N_("domain"), r->addr.domain, strlen(r->addr.domain));
	const struct probe_attempt *dec = probe_decided(r);
	if (probe_have_server(r)) {
		struct strbuf s = STRBUF_INIT;
		report_server(dec, &s);
		if (r->nmx > 0 && !r->mx[0].implicit) {
			for (int i = 0; i < r->nmx; i++)
				if (strcmp(r->mx[i].host, dec->host) == 0)
					strbuf_printf(&s, "  (MX %d)", r->mx[i].preference);
		} else if (r->nmx > 0) {
			strbuf_puts(&s, _("  (no MX: implicit MX)"));
		}
		field(out, N_("server"), s.data, s.len);
		strbuf_free(&s);
	}
	const struct reply *reply = probe_reply(r);
	if (reply) {
		struct strbuf s = STRBUF_INIT;
		strbuf_printf(&s, "%d ", reply->code);
		if (reply->enhanced[0])
			strbuf_printf(&s, "%s ", reply->enhanced);
		strbuf_append(&s, strbuf_str(&reply->text), reply->text.len);
		field(out, N_("reply"), s.data, s.len);
		strbuf_free(&s);
	}
	struct strbuf detail = STRBUF_INIT;
	if (!reply && r->failure != FAIL_NONE) {
		probe_message(r, true, &detail);
		field(out, N_("detail"), strbuf_str(&detail), detail.len);
	}
	/* Who has to act and what it says of the mailbox: what a reader acts on. */
	if (r->addr_ok) {
		if (r->blame != BLAME_NONE) {
			const char *b = tr(blame_label(r->blame));
			field(out, N_("blame"), b, strlen(b));
		}
		/* "A made-up address is refused" is only true when one was tried. */
		const char *m = r->mailbox == MAILBOX_EXISTS && r->catch_all == CATCH_ALL_UNTESTED
			? _("exists (accepted; not compared with a made-up address: --no-catch-all)")
			: tr(mailbox_label(r->mailbox));
		field(out, N_("mailbox"), m, strlen(m));
	}
	if (dec)
		report_tls_text(&dec->tls, tls);
	out = tail;
	/* Earlier hosts that did not answer explain why a backup decided. */
	for (int i = 0; i < r->nattempts; i++) {
		if (i == r->decided)
			continue;
		const struct probe_attempt *a = &r->attempts[i];
		struct strbuf s = STRBUF_INIT;
		report_server(a, &s);
		strbuf_puts(&s, ": ");
		attempt_outcome(a, &s);
		if (a->have_reply)
			strbuf_printf(&s, " (%d)", a->reply.code);
		field(out, N_("tried"), s.data, s.len);
		strbuf_free(&s);
	}
	struct diagnosis dg;
	diagnose(r, &dg);
	if (r->verdict != VERDICT_ACCEPTED || strcmp(dg.category, "accepted") != 0) {
		struct strbuf why = STRBUF_INIT;
		diagnosis_summary(&dg, true, &why);
		/* What in the reply decided, unless only the code class did (the summary says so). */
		if (dg.by_reply) {
			strbuf_puts(&why, " [");
			diagnosis_matched(&dg, true, &why);
			strbuf_putc(&why, ']');
		}
		field(out, N_("why"), why.data, why.len);
		strbuf_free(&why);
		const char *fix = diagnosis_remedy(&dg, true);
		field(out, N_("fix"), fix, strlen(fix));
	}
	for (int i = 0; i < r->nnotes; i++) {
		struct strbuf s = STRBUF_INIT;
		msg_format(&r->notes[i], true, &s);
		/* A note that only repeats the detail line (a protocol error says both) is said once. */
		if (!(s.len && detail.len >= s.len && memcmp(detail.data, s.data, s.len) == 0))
			field(out, N_("note"), strbuf_str(&s), s.len);
		strbuf_free(&s);
	}
	strbuf_free(&detail);
	if (r->notes_dropped) {
		struct strbuf s = STRBUF_INIT;
		strbuf_printf(&s, _("%d more notes not kept"), r->notes_dropped);
		field(out, N_("note"), strbuf_str(&s), s.len);
		strbuf_free(&s);
	}
}
