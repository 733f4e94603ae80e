/*
 * report_line.c - one line per address, tab-separated, for terminals, grep,
 * cut and awk (columns in docs/output.md). Every field is there, "-" when it
 * has no value, so the columns never shift; identifiers stay English, the
 * last field (the message) is in the user's language.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

/* A field made safe (no tab, newline or escape can come through) and never empty. */
static void put(struct strbuf *out, const char *s, size_t len)
{
	strbuf_putc(out, '\t');
	if (!s || len == 0) {
		strbuf_putc(out, '-');
		return;
	}
	report_sanitize(out, s, len);
}

static void puts_field(struct strbuf *out, const char *s)
{
	put(out, s, s ? strlen(s) : 0);
}

void report_line(const struct probe_result *r, bool color, struct strbuf *out)
{
	const char *verdict = verdict_name(r->verdict);
	if (color)
		strbuf_puts(out, report_verdict_color(r->verdict));
	strbuf_puts(out, verdict);
	if (color)
		strbuf_puts(out, "\033[0m");
	put(out, r->input, r->input ? r->input_len : 0);
	puts_field(out, step_name(r->step));
	const struct reply *reply = probe_reply(r);
	char code[8] = "";
	if (reply)
		snprintf(code, sizeof code, "%d", reply->code);
	puts_field(out, code);
	puts_field(out, reply ? reply->enhanced : NULL);
	puts_field(out, r->category);
	puts_field(out, blame_name(r->blame));
	puts_field(out, mailbox_name(r->mailbox));
	char status[8];
	snprintf(status, sizeof status, "%d", r->exit_status);
	puts_field(out, status);
	const struct probe_attempt *dec = probe_have_server(r) ? probe_decided(r) : NULL;
	puts_field(out, dec ? dec->host : NULL);
	puts_field(out, dec ? dec->ip : NULL);
	struct strbuf msg = STRBUF_INIT;
	probe_message(r, true, &msg);
	put(out, msg.data, msg.len);
	strbuf_free(&msg);
	strbuf_putc(out, '\n');
}
