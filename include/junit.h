/*
 * junit.h - a JUnit XML report writer, for CI systems (Jenkins, GitLab's
 * artifacts:reports:junit, GitHub test-report actions).
 *
 * Collect first, write last: a <testsuite> carries its counts as attributes
 * before its cases, so the cases are gathered in a struct junit and
 * junit_write() renders the whole document into a strbuf (pure, no I/O).
 * The document follows the widely read JUnit.xsd structure, checked by
 * fixtures/junit/junit.xsd in the tests:
 *
 *   <testsuites name tests failures errors skipped time>
 *     <testsuite name package id timestamp hostname tests failures errors skipped time>
 *       <properties><property name value/>...</properties>     (only when some were set)
 *       <testcase classname name time>
 *         <failure|error message type>details</failure|error>  or <skipped message/>
 *       </testcase>
 *       <system-out/> <system-err/>
 *
 * Every attribute and text is written as valid XML 1.0 whatever bytes it
 * holds: & < > " ' are escaped, invalid UTF-8 becomes U+FFFD (one per byte),
 * and so do the characters XML 1.0 forbids (C0 controls but TAB, LF, CR;
 * U+FFFE/U+FFFF) and those a terminal or a web page would act on (DEL, C1,
 * bidi overrides: utf8_unsafe()). TAB, LF and CR are kept as character
 * references in attributes (a parser would otherwise normalise them to
 * spaces) and CR in text too. Nothing is written as CDATA, so "]]>" in a
 * server's reply is harmless.
 *
 * Timestamps are UTC, "YYYY-MM-DDThh:mm:ss" without a zone (the schema's
 * pattern allows none). Times are seconds with millisecond precision,
 * written with '.' whatever the locale.
 */
#ifndef SMTPPROBE_JUNIT_H
#define SMTPPROBE_JUNIT_H

#include <stddef.h>
#include <time.h>

#include "strbuf.h"

enum junit_outcome {
	JUNIT_PASS = 0,
	JUNIT_FAILURE, /* the check ran and its expectation does not hold */
	JUNIT_ERROR,   /* the check could not run to an answer */
	JUNIT_SKIPPED,
};

struct junit; /* opaque */

/* A report named `name` (the <testsuites> name). Never NULL (allocation failure exits 70). */
struct junit *junit_new(const char *name);
void junit_free(struct junit *j); /* NULL is fine */

/*
 * Start a new <testsuite>; later cases go into it. `hostname` NULL or ""
 * is written as "localhost" (the schema wants a non-empty name);
 * `timestamp` is when the suite started.
 */
void junit_suite_begin(struct junit *j, const char *name, const char *hostname, time_t timestamp);
/* The current suite's wall time; without it, the sum of its cases. */
void junit_suite_time(struct junit *j, double seconds);
/* A <property> of the current suite (e.g. the smtpprobe version, the options). */
void junit_property(struct junit *j, const char *name, const char *value);

/*
 * One <testcase> in the current suite (one is started, named after the
 * report, if none was). `message` is the one-line summary (an attribute),
 * `details` the full text (the element's content); both may be NULL and
 * are ignored for JUNIT_PASS. `type` (NULL: "failure"/"error") is the
 * failure's type attribute.
 */
void junit_case(struct junit *j, const char *classname, const char *name, double seconds,
		enum junit_outcome outcome, const char *type, const char *message, const char *details);

/* Counts over the whole report, for a summary. */
size_t junit_count(const struct junit *j, enum junit_outcome outcome);
size_t junit_total(const struct junit *j);

/* Append the document (XML declaration included) to out. */
void junit_write(const struct junit *j, struct strbuf *out);

/* Write the document to `path` ("-" is stdout). 0, or -1 with errno set. */
int junit_save(const struct junit *j, const char *path);

/* This machine's host name for junit_suite_begin(), "localhost" when unknown. */
const char *junit_local_hostname(void);

/*
 * Append len bytes as XML character data: in an attribute value (quotes
 * escaped too, TAB LF CR as references) or in element text.
 */
void junit_escape(struct strbuf *sb, const char *s, size_t len, int in_attribute);

#endif
