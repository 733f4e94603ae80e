/* junit.c - JUnit XML report writer (see junit.h). */
#include "junit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "utf8.h"

struct junit_tc {
	char *classname, *name, *type, *message, *details;
	double seconds;
	enum junit_outcome outcome;
};

struct junit_prop {
	char *name, *value;
};

struct junit_suite {
	char *name, *hostname;
	time_t timestamp;
	double seconds;
	int has_seconds;
	struct junit_tc *cases;
	size_t ncases, capcases;
	struct junit_prop *props;
	size_t nprops, capprops;
};

struct junit {
	char *name;
	struct junit_suite *suites;
	size_t nsuites, capsuites;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Grow an array of `size`-byte elements so that one more fits. */
static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	return xreallocarray(p, *cap, size);
}

struct junit *junit_new(const char *name)
{
	struct junit *j = xcalloc(1, sizeof *j);
	j->name = xstrdup(name ? name : "smtpprobe");
	return j;
}

void junit_free(struct junit *j)
{
	if (!j)
		return;
	for (size_t s = 0; s < j->nsuites; s++) {
		struct junit_suite *su = &j->suites[s];
		for (size_t c = 0; c < su->ncases; c++) {
			struct junit_tc *tc = &su->cases[c];
			free(tc->classname);
			free(tc->name);
			free(tc->type);
			free(tc->message);
			free(tc->details);
		}
		for (size_t p = 0; p < su->nprops; p++) {
			free(su->props[p].name);
			free(su->props[p].value);
		}
		free(su->cases);
		free(su->props);
		free(su->name);
		free(su->hostname);
	}
	free(j->suites);
	free(j->name);
	free(j);
}

void junit_suite_begin(struct junit *j, const char *name, const char *hostname, time_t timestamp)
{
	j->suites = grow(j->suites, j->nsuites, &j->capsuites, sizeof *j->suites);
	struct junit_suite *su = &j->suites[j->nsuites++];
	memset(su, 0, sizeof *su);
	su->name = xstrdup(name ? name : j->name);
	su->hostname = xstrdup(hostname && *hostname ? hostname : "localhost");
	su->timestamp = timestamp;
}

static struct junit_suite *current(struct junit *j)
{
	if (j->nsuites == 0)
		junit_suite_begin(j, j->name, NULL, time(NULL));
	return &j->suites[j->nsuites - 1];
}

void junit_suite_time(struct junit *j, double seconds)
{
	struct junit_suite *su = current(j);
	su->seconds = seconds;
	su->has_seconds = 1;
}

void junit_property(struct junit *j, const char *name, const char *value)
{
	struct junit_suite *su = current(j);
	su->props = grow(su->props, su->nprops, &su->capprops, sizeof *su->props);
	su->props[su->nprops].name = xstrdup(name ? name : "");
	su->props[su->nprops].value = xstrdup(value ? value : "");
	su->nprops++;
}

void junit_case(struct junit *j, const char *classname, const char *name, double seconds,
		enum junit_outcome outcome, const char *type, const char *message, const char *details)
{
	struct junit_suite *su = current(j);
	su->cases = grow(su->cases, su->ncases, &su->capcases, sizeof *su->cases);
	struct junit_tc *tc = &su->cases[su->ncases++];
	tc->classname = xstrdup(classname ? classname : su->name);
	tc->name = xstrdup(name ? name : "");
	tc->seconds = seconds;
	tc->outcome = outcome;
	bool pass = outcome == JUNIT_PASS;
	tc->type = pass ? NULL : dup_or_null(type);
	tc->message = pass ? NULL : dup_or_null(message);
	tc->details = pass ? NULL : dup_or_null(details);
}

static size_t suite_count(const struct junit_suite *su, enum junit_outcome outcome)
{
	size_t n = 0;
	for (size_t c = 0; c < su->ncases; c++)
		n += su->cases[c].outcome == outcome;
	return n;
}

static double suite_seconds(const struct junit_suite *su)
{
	if (su->has_seconds)
		return su->seconds;
	double t = 0;
	for (size_t c = 0; c < su->ncases; c++)
		t += su->cases[c].seconds;
	return t;
}

size_t junit_count(const struct junit *j, enum junit_outcome outcome)
{
	size_t n = 0;
	for (size_t s = 0; s < j->nsuites; s++)
		n += suite_count(&j->suites[s], outcome);
	return n;
}

size_t junit_total(const struct junit *j)
{
	size_t n = 0;
	for (size_t s = 0; s < j->nsuites; s++)
		n += j->suites[s].ncases;
	return n;
}

/* XML 1.0 Char production (2.2), less what must not reach a screen as it is. */
static bool xml_char_ok(uint32_t cp)
{
	if (cp == 0x9 || cp == 0xa || cp == 0xd)
		return true;
	if (utf8_unsafe(cp))
		return false;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return false;
	return cp != 0xfffe && cp != 0xffff;
}

/* The entity or character reference for an ASCII byte, or NULL to copy it as it is. */
static const char *xml_ref(unsigned char c, int in_attribute)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;"; /* always: "]]>" must not appear in text */
	case '"': return in_attribute ? "&quot;" : NULL;
	case '\'': return in_attribute ? "&apos;" : NULL;
	case '\t': return in_attribute ? "&#9;" : NULL;
	case '\n': return in_attribute ? "&#10;" : NULL;
	case '\r': return "&#13;"; /* a parser turns a raw CR (or CRLF) into LF */
	default: return NULL;
	}
}

void junit_escape(struct strbuf *sb, const char *s, size_t len, int in_attribute)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq_len(p + i, len - i, &cp);
		if (n == 0) {
			/* A server may send Latin-1 or binary: one U+FFFD per byte, as json.c does. */
			strbuf_puts(sb, replacement);
			i++;
			continue;
		}
		const char *ref = n == 1 ? xml_ref(p[i], in_attribute) : NULL;
		if (ref)
			strbuf_puts(sb, ref);
		else if (!xml_char_ok(cp))
			strbuf_puts(sb, replacement);
		else
			strbuf_append(sb, s + i, n);
		i += n;
	}
}

static void attr(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_printf(sb, " %s=\"", name);
	junit_escape(sb, value, strlen(value), 1);
	strbuf_putc(sb, '"');
}

static void attr_size(struct strbuf *sb, const char *name, size_t value)
{
	strbuf_printf(sb, " %s=\"%zu\"", name, value);
}

/* Seconds with three decimals and a '.', whatever LC_NUMERIC says. */
static void attr_seconds(struct strbuf *sb, double seconds)
{
	if (!(seconds >= 0) || seconds > 1e12) /* negative, NaN or absurd: 0 */
		seconds = 0;
	long long ms = (long long)(seconds * 1000.0 + 0.5);
	strbuf_printf(sb, " time=\"%lld.%03lld\"", ms / 1000, ms % 1000);
}

static void attr_timestamp(struct strbuf *sb, time_t t)
{
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		strcpy(buf, "1970-01-01T00:00:00");
	attr(sb, "timestamp", buf);
}

static const char *const outcome_element[] = {
	[JUNIT_PASS] = NULL,
	[JUNIT_FAILURE] = "failure",
	[JUNIT_ERROR] = "error",
	[JUNIT_SKIPPED] = "skipped",
};

static void write_case(struct strbuf *sb, const struct junit_tc *tc)
{
	strbuf_puts(sb, "    <testcase");
	attr(sb, "classname", tc->classname);
	attr(sb, "name", tc->name);
	attr_seconds(sb, tc->seconds);
	const char *element = outcome_element[tc->outcome];
	if (!element) {
		strbuf_puts(sb, "/>\n");
		return;
	}
	strbuf_printf(sb, ">\n      <%s", element);
	if (tc->message)
		attr(sb, "message", tc->message);
	if (tc->outcome != JUNIT_SKIPPED)
		attr(sb, "type", tc->type ? tc->type : element);
	if (tc->details && *tc->details) {
		strbuf_putc(sb, '>');
		junit_escape(sb, tc->details, strlen(tc->details), 0);
		strbuf_printf(sb, "</%s>\n", element);
	} else {
		strbuf_puts(sb, "/>\n");
	}
	strbuf_puts(sb, "    </testcase>\n");
}

static void write_counts(struct strbuf *sb, size_t tests, size_t failures, size_t errors, size_t skipped)
{
	attr_size(sb, "tests", tests);
	attr_size(sb, "failures", failures);
	attr_size(sb, "errors", errors);
	attr_size(sb, "skipped", skipped);
}

static void write_suite(struct strbuf *sb, const struct junit_suite *su, size_t id)
{
	strbuf_puts(sb, "  <testsuite");
	attr(sb, "name", su->name);
	attr(sb, "package", su->name);
	attr_size(sb, "id", id);
	attr_timestamp(sb, su->timestamp);
	attr(sb, "hostname", su->hostname);
	write_counts(sb, su->ncases, suite_count(su, JUNIT_FAILURE), suite_count(su, JUNIT_ERROR),
		     suite_count(su, JUNIT_SKIPPED));
	attr_seconds(sb, suite_seconds(su));
	strbuf_puts(sb, ">\n");
	if (su->nprops) {
		strbuf_puts(sb, "    <properties>\n");
		for (size_t p = 0; p < su->nprops; p++) {
			strbuf_puts(sb, "      <property");
			attr(sb, "name", su->props[p].name);
			attr(sb, "value", su->props[p].value);
			strbuf_puts(sb, "/>\n");
		}
		strbuf_puts(sb, "    </properties>\n");
	}
	for (size_t c = 0; c < su->ncases; c++)
		write_case(sb, &su->cases[c]);
	strbuf_puts(sb, "    <system-out/>\n    <system-err/>\n  </testsuite>\n");
}

void junit_write(const struct junit *j, struct strbuf *out)
{
	double seconds = 0;
	for (size_t s = 0; s < j->nsuites; s++)
		seconds += suite_seconds(&j->suites[s]);
	strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	attr(out, "name", j->name);
	write_counts(out, junit_total(j), junit_count(j, JUNIT_FAILURE), junit_count(j, JUNIT_ERROR),
		     junit_count(j, JUNIT_SKIPPED));
	attr_seconds(out, seconds);
	strbuf_puts(out, ">\n");
	for (size_t s = 0; s < j->nsuites; s++)
		write_suite(out, &j->suites[s], s);
	strbuf_puts(out, "</testsuites>\n");
}

int junit_save(const struct junit *j, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	junit_write(j, &sb);
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	int rc = -1;
	if (f) {
		size_t n = fwrite(sb.data, 1, sb.len, f);
		int err = n == sb.len ? 0 : errno;
		if (to_stdout ? fflush(f) != 0 : fclose(f) != 0)
			err = err ? err : errno;
		rc = err ? -1 : 0;
		if (err)
			errno = err;
	}
	int saved = errno;
	strbuf_free(&sb);
	errno = saved;
	return rc;
}

const char *junit_local_hostname(void)
{
	static char name[256];
	if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
		return "localhost";
	name[sizeof name - 1] = '\0';
	return name;
}
