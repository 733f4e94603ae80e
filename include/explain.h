/*
 * explain.h - the explain command: bounces in, for each failed recipient
 * the step, the reply and the diagnosis out (text or JSON Lines, as in
 * docs/output.md), and with --reprobe a probe of the recipient now, side
 * by side with what the bounce said.
 */
#ifndef SMTPPROBE_EXPLAIN_H
#define SMTPPROBE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce.h"
#include "cli.h"
#include "probe.h"
#include "runtime.h"
#include "strbuf.h"

#define EXPLAIN_INPUT_MAX (10u * 1024 * 1024)  /* octets read from one FILE */

/* What a new probe said, then versus now (JSON "reprobe_outcome"). */
enum explain_outcome {
	EXPLAIN_NOT_PROBED = 0,  /* no recipient, or the refused step is beyond what a probe reaches */
	EXPLAIN_GONE,            /* accepted now */
	EXPLAIN_SAME,            /* refused at the same step with the same code class */
	EXPLAIN_CHANGED,         /* refused otherwise */
};

const char *explain_outcome_name(enum explain_outcome o);
/* Compare a bounce's refusal with a probe's result of now. */
enum explain_outcome explain_compare(const struct bounce_rcpt *then, const struct probe_result *now);

/* A reprobe of one recipient, for the renderers: its result as JSON and its outcome. */
struct explain_now {
	bool probed;
	enum explain_outcome outcome;
	enum verdict verdict;
	enum step step;
	char server[300];         /* "host [ip]" */
	char reply[600];          /* "550 5.1.1 text" first line, "" without reply */
	struct strbuf json;       /* the probe result, one JSON object without the newline */
};

/*
 * The records of one bounce (file is its name as given; now, when not
 * NULL, has b->nrcpts reprobes), appended to out: JSON Lines or text.
 */
void explain_render(const char *file, const struct bounce *b, const struct explain_now *now, bool json,
                    bool reprobe, struct strbuf *out);

/* Why a message is not a bounce, "not a bounce: ...", translated if asked. */
void explain_not_bounce(const struct bounce *b, bool translate, struct strbuf *out);

/*
 * The command: every FILE (or standard input) in turn. Returns 0, 65
 * (EX_DATAERR) when one is not a bounce, 66 (EX_NOINPUT) when one cannot
 * be opened or read, the worst winning.
 */
int explain_run(struct cli *c, struct runtime *rt);

#endif
