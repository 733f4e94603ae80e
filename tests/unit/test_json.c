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
		cmocka_unit_test(test_structure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
