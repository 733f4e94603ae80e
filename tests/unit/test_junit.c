/* Unit tests for the JUnit XML writer: escaping of arbitrary bytes, counts, structure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <string.h>

#include "junit.h"

static void check_escape(const char *in, size_t len, int attr, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	junit_escape(&sb, in, len, attr);
	assert_string_equal(strbuf_str(&sb), want);
	strbuf_free(&sb);
}

static void test_escape_markup(void **state)
{
	(void)state;
	check_escape("plain", 5, 1, "plain");
	check_escape("a&b<c>d", 7, 0, "a&amp;b&lt;c&gt;d");
	check_escape("\"q\" 'a'", 7, 1, "&quot;q&quot; &apos;a&apos;");
	check_escape("\"q\" 'a'", 7, 0, "\"q\" 'a'");           /* quotes need no escape in text */
	check_escape("x]]>y", 5, 0, "x]]&gt;y");                  /* no CDATA end in text */
	check_escape("<![CDATA[", 9, 0, "&lt;![CDATA[");
	check_escape("&amp;", 5, 1, "&amp;amp;");                 /* no double-decoding */
}

static void test_escape_whitespace(void **state)
{
	(void)state;
	/* An attribute keeps its TAB, LF and CR only as references. */
	check_escape("a\tb\nc\rd", 7, 1, "a&#9;b&#10;c&#13;d");
	/* Text keeps TAB and LF; CR as a reference, or a parser makes CRLF one LF. */
	check_escape("a\tb\r\nc", 6, 0, "a\tb&#13;\nc");
}

static void test_escape_forbidden(void **state)
{
	(void)state;
	/* C0 controls XML 1.0 forbids even as references, NUL included. */
	check_escape("a\x01" "b\x1b[31m", 8, 0, "a\xef\xbf\xbd" "b\xef\xbf\xbd[31m");
	check_escape("a\0b", 3, 1, "a\xef\xbf\xbd" "b");
	check_escape("\x7f\x0b\x0c", 3, 1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* C1 CSI, RLO, U+FFFE, U+FFFF. */
	check_escape("\xc2\x9b", 2, 0, "\xef\xbf\xbd");
	check_escape("a\xe2\x80\xae" "b", 5, 1, "a\xef\xbf\xbd" "b");
	check_escape("\xef\xbf\xbe\xef\xbf\xbf", 6, 0, "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	check_escape("h\xc3\xa9 \xe7\x94\xa8 \xf0\x9f\x93\xa7", 12, 1, "h\xc3\xa9 \xe7\x94\xa8 \xf0\x9f\x93\xa7");
	check_escape("x\xff" "y", 3, 0, "x\xef\xbf\xbdy");                       /* Latin-1 byte */
	check_escape("\xc3", 1, 1, "\xef\xbf\xbd");                              /* truncated */
	check_escape("\xc0\xaf", 2, 0, "\xef\xbf\xbd\xef\xbf\xbd");              /* overlong '/' */
	check_escape("\xed\xa0\x80", 3, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	check_escape("\xc3<", 2, 0, "\xef\xbf\xbd&lt;");                         /* the next byte still escaped */
}

static void test_empty_report(void **state)
{
	(void)state;
	struct junit *j = junit_new("smtpprobe");
	struct strbuf sb = STRBUF_INIT;
	junit_write(j, &sb);
	assert_string_equal(strbuf_str(&sb),
			    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<testsuites name=\"smtpprobe\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\">\n"
			    "</testsuites>\n");
	assert_int_equal(junit_total(j), 0);
	strbuf_free(&sb);
	junit_free(j);
	junit_free(NULL);
}

static void test_document(void **state)
{
	(void)state;
	struct junit *j = junit_new("smtpprobe expect");
	junit_suite_begin(j, "expect.txt", "ci-runner", 1785499200); /* 2026-07-31T12:00:00Z */
	junit_property(j, "version", "1.0");
	junit_case(j, "example.org", "sales@example.org accepted", 0.0125, JUNIT_PASS, NULL, "ignored", "ignored");
	junit_case(j, "example.org", "noreply@example.org rejected", 1.5, JUNIT_FAILURE, NULL,
		   "verdict: expected rejected, got accepted", "250 2.1.5 Ok\n<mx.example.org>");
	junit_case(j, "example.net", "x@example.net accepted", 2, JUNIT_ERROR, "dns", "no such domain", NULL);
	junit_case(j, "example.net", "y@example.net accepted", 0, JUNIT_SKIPPED, NULL, "not probed", NULL);
	junit_suite_time(j, 3.25);
	assert_int_equal(junit_total(j), 4);
	assert_int_equal(junit_count(j, JUNIT_PASS), 1);
	assert_int_equal(junit_count(j, JUNIT_FAILURE), 1);
	assert_int_equal(junit_count(j, JUNIT_ERROR), 1);
	assert_int_equal(junit_count(j, JUNIT_SKIPPED), 1);
	struct strbuf sb = STRBUF_INIT;
	junit_write(j, &sb);
	assert_string_equal(strbuf_str(&sb),
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"smtpprobe expect\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"3.250\">\n"
		"  <testsuite name=\"expect.txt\" package=\"expect.txt\" id=\"0\" timestamp=\"2026-07-31T12:00:00\""
		" hostname=\"ci-runner\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"3.250\">\n"
		"    <properties>\n"
		"      <property name=\"version\" value=\"1.0\"/>\n"
		"    </properties>\n"
		"    <testcase classname=\"example.org\" name=\"sales@example.org accepted\" time=\"0.013\"/>\n"
		"    <testcase classname=\"example.org\" name=\"noreply@example.org rejected\" time=\"1.500\">\n"
		"      <failure message=\"verdict: expected rejected, got accepted\" type=\"failure\">"
		"250 2.1.5 Ok\n&lt;mx.example.org&gt;</failure>\n"
		"    </testcase>\n"
		"    <testcase classname=\"example.net\" name=\"x@example.net accepted\" time=\"2.000\">\n"
		"      <error message=\"no such domain\" type=\"dns\"/>\n"
		"    </testcase>\n"
		"    <testcase classname=\"example.net\" name=\"y@example.net accepted\" time=\"0.000\">\n"
		"      <skipped message=\"not probed\"/>\n"
		"    </testcase>\n"
		"    <system-out/>\n    <system-err/>\n"
		"  </testsuite>\n"
		"</testsuites>\n");
	strbuf_free(&sb);
	junit_free(j);
}

/* Hostile names: the attribute stays one well-formed value; an empty host name becomes localhost. */
static void test_hostile_attributes(void **state)
{
	(void)state;
	struct junit *j = junit_new("r");
	junit_suite_begin(j, "s\"><x>", "", 0);
	junit_case(j, "d\xff", "a\"b'<c>&\r\n\x01 ]]>", -4, JUNIT_FAILURE, "t\"", "m\x1b[2J", "\xe2\x80\xae]]>\x00");
	struct strbuf sb = STRBUF_INIT;
	junit_write(j, &sb);
	const char *doc = strbuf_str(&sb);
	assert_non_null(strstr(doc, " name=\"s&quot;&gt;&lt;x&gt;\" package="));
	assert_non_null(strstr(doc, " timestamp=\"1970-01-01T00:00:00\" hostname=\"localhost\""));
	assert_non_null(strstr(doc, "<testcase classname=\"d\xef\xbf\xbd\" "
				    "name=\"a&quot;b&apos;&lt;c&gt;&amp;&#13;&#10;\xef\xbf\xbd ]]&gt;\" time=\"0.000\">"));
	assert_non_null(strstr(doc, "<failure message=\"m\xef\xbf\xbd[2J\" type=\"t&quot;\">\xef\xbf\xbd]]&gt;</failure>"));
	assert_null(strstr(doc, "]]>"));
	assert_null(strstr(doc, "\x1b"));
	strbuf_free(&sb);
	junit_free(j);
}

/* A case before any suite gets one named after the report; times ignore LC_NUMERIC. */
static void test_implicit_suite_and_locale(void **state)
{
	(void)state;
	const char *had = setlocale(LC_NUMERIC, "de_DE.UTF-8"); /* may be missing: then "C" is tested */
	struct junit *j = junit_new("r");
	junit_case(j, NULL, "n", 1.0005, JUNIT_PASS, NULL, NULL, NULL);
	struct strbuf sb = STRBUF_INIT;
	junit_write(j, &sb);
	assert_non_null(strstr(strbuf_str(&sb), "<testsuite name=\"r\" package=\"r\" id=\"0\""));
	assert_non_null(strstr(strbuf_str(&sb), "<testcase classname=\"r\" name=\"n\" time=\"1.001\"/>"));
	strbuf_free(&sb);
	junit_free(j);
	if (had)
		setlocale(LC_NUMERIC, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_escape_whitespace),
		cmocka_unit_test(test_escape_forbidden),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_empty_report),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_hostile_attributes),
		cmocka_unit_test(test_implicit_suite_and_locale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
