/*
 * expect_run.h - a probe run against expectations (--expect FILE), shown
 * like a test runner: what each address should get (expect.h), each
 * result as it comes compared with its expectation and rendered ("ok" /
 * "FAIL" lines with the differences and the reply that decided, or the
 * JSON result with an "expect" member), then the summary, the JUnit
 * report (--junit) and the exit status: 0 when every expectation holds,
 * EXIT_EXPECT_FAILED (1) when any does not.
 *
 * One address is queued per expectation, in file order, and the batch
 * writes results in that order (--order input): the k-th result written
 * meets the k-th expectation. An address on several lines is probed once
 * and each line is its own expectation. Nothing here does I/O but
 * expect_run_finish writing the JUnit file.
 */
#ifndef SMTPPROBE_EXPECT_RUN_H
#define SMTPPROBE_EXPECT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "expect.h"
#include "probe.h"
#include "strbuf.h"

struct expect_run_config {
	const char *file;      /* the --expect file's name, for messages and the JUnit suite */
	bool json;             /* JSON Lines with an "expect" member; else the runner's text */
	bool color;            /* text: ok green, FAIL red */
	bool transcript;       /* json: the "transcript" member (-v) */
	time_t started;        /* for the JUnit timestamp */
};

struct expect_run;

/* Takes the list (left empty). Never NULL. */
struct expect_run *expect_run_new(struct expect_list *list, const struct expect_run_config *cfg);
void expect_run_free(struct expect_run *x);

/* The expectations, in file order: the addresses to queue. */
size_t expect_run_count(const struct expect_run *x);
const char *expect_run_address(const struct expect_run *x, size_t i);

/* A finished result (any order) into a record appended to rec (batch_config.render). */
void expect_run_render(struct expect_run *x, const struct probe_result *r, struct strbuf *rec);
/*
 * Records in input order (batch_config.write): each meets its expectation
 * and is shown (text or one JSON line) into out.
 */
void expect_run_write(struct expect_run *x, const char *recs, size_t len, struct strbuf *out);

/*
 * After the run: the summary line ("N passed, M failed") into summary and
 * the JUnit report to junit_path (NULL: none). Returns 0 or
 * EXIT_EXPECT_FAILED; EXIT_IOERR with err set when the JUnit file could
 * not be written. An expectation that got no result (an interrupted run)
 * has failed.
 */
int expect_run_finish(struct expect_run *x, const char *junit_path, struct strbuf *summary, char *err, size_t errsz);

#endif
