/*
 * report.h - render a probe result for people (text) or programs (JSON
 * Lines, schema in docs/output.md). Renderers only read the result.
 */
#ifndef SMTPPROBE_REPORT_H
#define SMTPPROBE_REPORT_H

#include <stdbool.h>

#include "probe.h"
#include "strbuf.h"

/* One JSON object and a newline. */
void report_json(const struct probe_result *r, bool with_transcript, struct strbuf *out);

/* A short block: verdict line, then server, reply and diagnosis lines. */
void report_text(const struct probe_result *r, bool color, struct strbuf *out);

/*
 * Append bytes safe for a terminal: control characters and invalid UTF-8
 * become \xNN, so a hostile server cannot move the cursor or change colours.
 */
void report_sanitize(struct strbuf *out, const char *s, size_t len);

#endif
