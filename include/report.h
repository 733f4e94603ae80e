/*
 * report.h - render a probe result for people (text), terminals and grep
 * (line), spreadsheets (CSV) or programs (JSON Lines); columns and schema
 * in docs/output.md. Renderers are pure: they only read the result and
 * append to a buffer.
 */
#ifndef SMTPPROBE_REPORT_H
#define SMTPPROBE_REPORT_H

#include <stdbool.h>

#include "probe.h"
#include "json.h"
#include "strbuf.h"
#include "tls_info.h"

/* One JSON object and a newline. */
void report_json(const struct probe_result *r, bool with_transcript, struct strbuf *out);

/* A short block: verdict line, then server, reply and diagnosis lines. */
void report_text(const struct probe_result *r, bool color, struct strbuf *out);
/*
 * The same block in three parts, so that a batch can show a server's TLS
 * lines once: head (verdict, server, reply, blame, mailbox), tls (the
 * tls/cert/verify lines; nothing when not encrypted), tail (the rest).
 */
void report_text_parts(const struct probe_result *r, bool color, struct strbuf *head,
                       struct strbuf *tls, struct strbuf *tail);
/* "host [ip]:port", as the server line shows it. */
void report_server(const struct probe_attempt *a, struct strbuf *out);

/*
 * One line, tab-separated: verdict, address, step, code, enhanced, category,
 * blame, mailbox, exit_status, server host, server IP, message; "-" for a
 * field without value. color: the verdict in its colour.
 */
void report_line(const struct probe_result *r, bool color, struct strbuf *out);

/* The CSV header row (RFC 4180, CRLF), once before the records. */
void report_csv_header(struct strbuf *out);
/* One CSV record: every field quoted, formula-like fields neutralised. */
void report_csv(const struct probe_result *r, struct strbuf *out);

/* The escape sequence that colours a verdict's word. */
const char *report_verdict_color(enum verdict v);

/*
 * Append bytes safe for a terminal: control characters and invalid UTF-8
 * become \xNN, so a hostile server cannot move the cursor or change colours.
 */
void report_sanitize(struct strbuf *out, const char *s, size_t len);

/* "  label    ": a report line's label, translated, padded to 8 characters. */
void report_label(struct strbuf *out, const char *name);

/* The "tls" member's value (null when the session was not encrypted). */
void report_tls_json(struct json *j, const struct tls_info *t);
/* tls/cert/verify lines of the text report; nothing when not encrypted. */
void report_tls_text(const struct tls_info *t, struct strbuf *out);
/* One tls line instead: the same TLS as shown above for server ("host [ip]:port"). */
void report_tls_same(const char *server, struct strbuf *out);

#endif
