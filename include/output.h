/*
 * output.h - what a run prints around the renderers of report.h: results in
 * the format asked for, in input order; in a text batch, a server's TLS
 * lines once; an invalid address named on stderr too when stdout is not a
 * terminal; each address as the user gave it ("Alice <alice@example.org>")
 * although the probe got only the address; the summary of a batch.
 *
 * Probes end in any order and the batch writes in input order, so this
 * works in two steps: output_render(), when a probe ends, turns its result
 * into a record holding every way the result can be shown; output_write(),
 * in input order, picks from each record what to print, knowing what was
 * printed before ("as above"). Nothing here does I/O: the caller writes
 * the buffers.
 */
#ifndef SMTPPROBE_OUTPUT_H
#define SMTPPROBE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"
#include "strbuf.h"

enum output_format { OUTPUT_TEXT, OUTPUT_LINE, OUTPUT_CSV, OUTPUT_JSON };

struct output_config {
	enum output_format format;
	bool color;            /* text and line: colour the verdict */
	bool transcript;       /* json: the "transcript" member (-v) */
	bool notice_invalid;   /* name an invalid address on stderr too */
};

struct output;

struct output *output_new(const struct output_config *c);
void output_free(struct output *o);

/*
 * The next address queued for probing is addr[0..alen); the user gave it
 * as given[0..glen) (the same bytes, or e.g. "Alice <alice@example.org>"),
 * which is what the output shows. Call once per queued address, in queue
 * order. reason, when not NULL, is why the address is invalid whatever the
 * probe finds (a line too long to be one): a literal marked with N_(),
 * translated when shown.
 */
void output_given(struct output *o, const char *addr, size_t alen,
                  const char *given, size_t glen, const char *reason);

/* What comes before the first result: the CSV header. */
void output_begin(const struct output *o, struct strbuf *out);

/* A finished result into one record appended to rec (results in any order). */
void output_render(struct output *o, const struct probe_result *r, struct strbuf *rec);

/*
 * Records made by output_render, in input order (one or several at once),
 * into what stdout (out) and stderr (err) get.
 */
void output_write(struct output *o, const char *recs, size_t len, struct strbuf *out, struct strbuf *err);

/* How many results were rendered. */
size_t output_count(const struct output *o);

/*
 * The summary for stderr, in the user's language: the number of results,
 * counts by verdict, by diagnosis category and by blame (identifiers as in
 * the other formats), and the exit status.
 */
void output_summary(const struct output *o, int exit_status, struct strbuf *err);

#endif
