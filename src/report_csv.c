/*
 * report_csv.c - RFC 4180 CSV for spreadsheets (columns in docs/output.md):
 * CRLF line ends, a header row, every field quoted with inner quotes
 * doubled. A multi-line reply is joined with spaces, so that one record is
 * one physical line (grep, head and wc -l stay right). Fields are made safe
 * as in the text report (control characters as \xNN), and a field that a
 * spreadsheet would take for a formula (starting with = + - @, tab or CR)
 * gets a leading ' (OWASP's advice on CSV injection).
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

static const char *const columns[] = {
	"verdict", "address", "step", "failure", "code", "enhanced", "reply",
	"category", "blame", "mailbox", "exit_status",
	"server_host", "server_ip", "server_port", "message",
};

static void field(struct strbuf *out, bool first, const char *s, size_t len)
{
	if (!first)
		strbuf_putc(out, ',');
	struct strbuf safe = STRBUF_INIT;
	/* One record, one line: the reply's line breaks become spaces. */
	for (size_t i = 0; i < len; ) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (s + i)) : len - i;
		report_sanitize(&safe, s + i, n);
		i += n;
		if (nl) {
			strbuf_putc(&safe, ' ');
			i++;
		}
	}
	strbuf_putc(out, '"');
	if (safe.len && strchr("=+-@\t\r", safe.data[0]))
		strbuf_putc(out, '\'');
	for (size_t i = 0; i < safe.len; i++) {
		if (safe.data[i] == '"')
			strbuf_putc(out, '"');
		strbuf_putc(out, safe.data[i]);
	}
	strbuf_putc(out, '"');
	strbuf_free(&safe);
}

static void field_s(struct strbuf *out, const char *s)
{
	field(out, false, s ? s : "", s ? strlen(s) : 0);
}

static void field_d(struct strbuf *out, bool have, int v)
{
	char buf[16] = "";
	if (have)
		snprintf(buf, sizeof buf, "%d", v);
	field_s(out, buf);
}

void report_csv_header(struct strbuf *out)
{
	for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
		if (i)
			strbuf_putc(out, ',');
		strbuf_printf(out, "\"%s\"", columns[i]);
	}
	strbuf_puts(out, "\r\n");
}

void report_csv(const struct probe_result *r, struct strbuf *out)
{
	const char *verdict = verdict_name(r->verdict);
	field(out, true, verdict, strlen(verdict));
	field(out, false, r->input ? r->input : "", r->input ? r->input_len : 0);
	field_s(out, step_name(r->step));
	field_s(out, failure_name(r->failure));
	const struct reply *reply = probe_reply(r);
	field_d(out, reply != NULL, reply ? reply->code : 0);
	field_s(out, reply ? reply->enhanced : NULL);
	field(out, false, reply ? strbuf_str(&reply->text) : "", reply ? reply->text.len : 0);
	field_s(out, r->category);
	field_s(out, blame_name(r->blame));
	field_s(out, mailbox_name(r->mailbox));
	field_d(out, true, r->exit_status);
	const struct probe_attempt *dec = probe_have_server(r) ? probe_decided(r) : NULL;
	field_s(out, dec ? dec->host : NULL);
	field_s(out, dec ? dec->ip : NULL);
	field_d(out, dec != NULL, dec ? dec->port : 0);
	struct strbuf msg = STRBUF_INIT;
	probe_message(r, true, &msg);
	field(out, false, strbuf_str(&msg), msg.len);
	strbuf_free(&msg);
	strbuf_puts(out, "\r\n");
}
