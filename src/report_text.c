/* report_text.c - the report for people (see report.h). */
#include "report.h"

#include <string.h>

#include "diagnose.h"
#include "utf8.h"

static const struct {
	const char *word;
	const char *color;
} verdict_style[] = {
	[VERDICT_ACCEPTED] = { "ACCEPTED", "\033[1;32m" },
	[VERDICT_REJECTED] = { "REJECTED", "\033[1;31m" },
	[VERDICT_TEMPFAIL] = { "TEMPFAIL", "\033[1;33m" },
	[VERDICT_ERROR] = { "ERROR", "\033[1;35m" },
};

void report_sanitize(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq_len(p + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
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

static void field(struct strbuf *out, const char *name, const char *value, size_t len)
{
	strbuf_printf(out, "  %-8s ", name);
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

void report_text(const struct probe_result *r, bool color, struct strbuf *out)
{
	unsigned v = (unsigned)r->verdict < 4 ? (unsigned)r->verdict : VERDICT_ERROR;
	if (color)
		strbuf_printf(out, "%s%-8s\033[0m  ", verdict_style[v].color, verdict_style[v].word);
	else
		strbuf_printf(out, "%-8s  ", verdict_style[v].word);
	report_sanitize(out, r->input ? r->input : "", r->input_len);
	if (r->verdict == VERDICT_ACCEPTED)
		strbuf_puts(out, "\n");
	else
		strbuf_printf(out, "  at %s\n", step_label(r->step));

	if (r->addr_ok && strcmp(r->addr.domain, r->addr.domain_unicode) != 0)
		field(out, "domain", r->addr.domain, strlen(r->addr.domain));
	if (r->have_server) {
		struct strbuf s = STRBUF_INIT;
		if (strcmp(r->server_host, r->server_ip) == 0)
			strbuf_printf(&s, "[%s]:%d", r->server_ip, r->server_port);
		else
			strbuf_printf(&s, "%s [%s]:%d", r->server_host, r->server_ip, r->server_port);
		if (r->nmx > 0 && !r->mx[0].implicit) {
			for (int i = 0; i < r->nmx; i++)
				if (strcmp(r->mx[i].host, r->server_host) == 0)
					strbuf_printf(&s, "  (MX %d)", r->mx[i].preference);
		} else if (r->nmx > 0) {
			strbuf_puts(&s, "  (no MX: implicit MX)");
		}
		field(out, "server", s.data, s.len);
		strbuf_free(&s);
	}
	if (r->have_reply) {
		struct strbuf s = STRBUF_INIT;
		strbuf_printf(&s, "%d ", r->reply.code);
		if (r->reply.enhanced[0])
			strbuf_printf(&s, "%s ", r->reply.enhanced);
		strbuf_append(&s, strbuf_str(&r->reply.text), r->reply.text.len);
		field(out, "reply", s.data, s.len);
		strbuf_free(&s);
	} else if (r->message[0]) {
		field(out, "detail", r->message, strlen(r->message));
	}
	report_tls_text(&r->tls, out);
	/* Earlier hosts that did not answer explain why a backup decided. */
	for (int i = 0; i + 1 < r->nattempts; i++) {
		const struct probe_attempt *a = &r->attempts[i];
		struct strbuf s = STRBUF_INIT;
		strbuf_printf(&s, "%s [%s]:%d: %s at %s", a->host, a->ip, a->port, failure_name(a->failure), step_label(a->step));
		if (a->have_reply)
			strbuf_printf(&s, " (%d)", a->reply.code);
		field(out, "tried", s.data, s.len);
		strbuf_free(&s);
	}
	struct diagnosis dg;
	diagnose(r, &dg);
	if (r->verdict != VERDICT_ACCEPTED || strcmp(dg.category, "accepted") != 0) {
		field(out, "why", dg.summary, strlen(dg.summary));
		field(out, "fix", dg.remedy, strlen(dg.remedy));
	}
	const char *p = strbuf_str(&r->notes);
	const char *end = p + r->notes.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		field(out, "note", p, n);
		p += n + 1;
	}
}
