/*
 * report.h - render a probe result for people (text) or programs (JSON
 * Lines, schema in docs/output.md). Renderers only read the result.
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

#endif
