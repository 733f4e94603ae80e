/* Unit tests for the JSON writer: escaping of arbitrary bytes, structure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "json.h"

static void check_escape(const char *in, size_t len, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	json_escape(&sb, in, len);
	assert_string_equal(strbuf_str(&sb), want);
	strbuf_free(&sb);
}

static void test_escape(void **state)
{
	(void)state;
	check_escape("plain", 5, "\"plain\"");
	check_escape("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_escape("\r\n\t", 3, "\"\\r\\n\\t\"");
	check_escape("\x01\x1b[31m", 6, "\"\\u0001\\u001b[31m\"");
	check_escape("a\0b", 3, "\"a\\u0000b\"");
	check_escape("\x7f", 1, "\"\\u007f\"");
	check_escape("h\xc3\xa9", 3, "\"h\xc3\xa9\"");                 /* valid UTF-8 kept */
	check_escape("\xe7\x94\xa8", 3, "\"\xe7\x94\xa8\"");
	check_escape("x\xff" "y", 3, "\"x\xef\xbf\xbdy\"");            /* invalid -> U+FFFD */
	check_escape("\xc3", 1, "\"\xef\xbf\xbd\"");                   /* truncated sequence */
	check_escape("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");   /* overlong */
	check_escape("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
}

/* What a terminal would act on never leaves the writer raw: C1, bidi, separators, tags. */
static void test_escape_unsafe(void **state)
{
	(void)state;
	check_escape("\xc2\x9b" "31m", 5, "\"\\u009b31m\"");             /* C1 CSI */
	check_escape("\xc2\x85", 2, "\"\\u0085\"");                       /* NEL */
	check_escape("a\xe2\x80\xae" "b", 5, "\"a\\u202eb\"");            /* RLO */
	check_escape("\xe2\x81\xa6\xe2\x81\xa9", 6, "\"\\u2066\\u2069\""); /* LRI PDI */
	check_escape("\xe2\x80\x8f", 3, "\"\\u200f\"");                   /* RLM */
	check_escape("\xd8\x9c", 2, "\"\\u061c\"");                       /* ALM */
	check_escape("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\""); /* LS PS */
	check_escape("\xe2\x80\x8b\xef\xbb\xbf", 6, "\"\\u200b\\ufeff\""); /* ZWSP BOM */
	check_escape("\xf3\xa0\x80\x81", 4, "\"\\udb40\\udc01\"");       /* U+E0001, a surrogate pair */
	/* Visible text and the joiners stay as they are. */
	check_escape("\xc2\xa0\xe2\x80\x8c\xe2\x80\x8d", 8, "\"\xc2\xa0\xe2\x80\x8c\xe2\x80\x8d\"");
	check_escape("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 8, "\"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\""); /* Hebrew */
}

static void test_structure(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_key(&j, "a");
	json_int(&j, -5);
	json_key(&j, "b");
	json_array_begin(&j);
	json_string(&j, "x");
	json_null(&j);
	json_bool(&j, true);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	json_key(&j, "c");
	json_string(&j, NULL);
	json_key(&j, "d");
	json_object_begin(&j);
	json_key(&j, "e");
	json_bool(&j, false);
	json_object_end(&j);
	json_object_end(&j);
	assert_string_equal(strbuf_str(&sb), "{\"a\":-5,\"b\":[\"x\",null,true,{}],\"c\":null,\"d\":{\"e\":false}}");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_unsafe),
		cmocka_unit_test(test_structure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
