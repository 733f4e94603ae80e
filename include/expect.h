/*
 * expect.h - expectations for probes (--expect FILE): what each address
 * should get, parsed from a file, and the comparison with a result.
 *
 * The file format (docs/output.md, "Expectations"): one expectation per
 * line,
 *
 *   ADDRESS VERDICT [STEP [CATEGORY [BLAME]]] [KEY=VALUE...] [# comment]
 *
 * whitespace-separated; VERDICT is accepted, rejected, tempfail or error;
 * "-" skips a positional field; KEY is step, category, blame, mailbox,
 * code (e.g. 550, or 5xx / 55x with x for any digit) or enhanced (5.1.1).
 * Blank lines and lines whose first word starts with '#' are comments, and
 * so is the rest of a line from a word starting with '#'. Every value is
 * checked against the names smtpprobe uses (result.h, the diagnosis table),
 * so a typo is an error at its line, not an expectation that can never hold.
 *
 * Everything here is pure (buffers in, structures out) but expect_load,
 * which reads the file.
 */
#ifndef SMTPPROBE_EXPECT_H
#define SMTPPROBE_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"

/* What an expectation can name, in the order of the positional fields. */
enum expect_field {
	EXPECT_VERDICT = 0,
	EXPECT_STEP,
	EXPECT_CATEGORY,
	EXPECT_BLAME,
	EXPECT_MAILBOX,
	EXPECT_CODE,
	EXPECT_ENHANCED,
	EXPECT_FIELDS
};

#define EXPECT_LINE_MAX 4096        /* octets per line, as --input */
#define EXPECT_FILE_MAX (16u << 20) /* octets per file */

struct expectation {
	char *address;                  /* NUL-terminated, as written */
	unsigned line;                  /* 1-based line number in the file */
	char *want[EXPECT_FIELDS];      /* NULL: not checked */
};

struct expect_list {
	struct expectation *items;
	size_t n, cap;
};

/* The field's name as KEY= and in JSON: "verdict", "step", ... */
const char *expect_field_name(enum expect_field f);

/*
 * Parse a whole file's content. name is the file's name for messages. On
 * an error, err holds "NAME:LINE: what" and -1 is returned (list then holds
 * the lines before); a file with no expectation is an error too.
 */
int expect_parse(const char *buf, size_t len, const char *name, struct expect_list *list, char *err, size_t errsz);

/*
 * Read and parse path ("-": standard input). Returns 0; or -1 with err set
 * and *io true when the file could not be read (exit 74), false when its
 * content is wrong (exit 64).
 */
int expect_load(const char *path, struct expect_list *list, bool *io, char *err, size_t errsz);

void expect_list_free(struct expect_list *list);

/* What a result got, as the strings expectations compare with (English ids). */
struct expect_got {
	const char *value[EXPECT_FIELDS];   /* NULL: the result has none (no step, no reply) */
	char code[4];                       /* storage for value[EXPECT_CODE] */
};

void expect_got_from(const struct probe_result *r, struct expect_got *got);

/* Whether a wanted value holds for a got one (code: 'x' matches any digit). */
bool expect_field_matches(enum expect_field f, const char *want, const char *got);

/*
 * The fields that differ, in enum order, into diff[] (room for
 * EXPECT_FIELDS); returns how many.
 */
int expect_compare(const struct expectation *e, const struct expect_got *got, enum expect_field *diff);

/* The expectation as one line: "ADDRESS VERDICT key=value..." (normalised). */
void expect_describe(const struct expectation *e, struct strbuf *out);

#endif
