/*
 * Unit tests for utf8.c: strict decoding, and which code points are unsafe
 * on a terminal (each range's ends and its neighbours, table-driven).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"

struct cp_case {
	uint32_t cp;
	bool control;
	bool invisible;
	const char *what;
};

static const struct cp_case cases[] = {
	{ 0x0000, true, false, "NUL" },
	{ 0x0009, true, false, "TAB" },
	{ 0x001b, true, false, "ESC" },
	{ 0x001f, true, false, "last C0" },
	{ 0x0020, false, false, "SPACE" },
	{ 0x007e, false, false, "~" },
	{ 0x007f, true, false, "DEL" },
	{ 0x0080, true, false, "first C1" },
	{ 0x0085, true, false, "NEL" },
	{ 0x009b, true, false, "CSI" },
	{ 0x009f, true, false, "last C1" },
	{ 0x00a0, false, false, "NO-BREAK SPACE" },
	{ 0x00ad, false, true, "SOFT HYPHEN" },
	{ 0x00e9, false, false, "e acute" },
	{ 0x061b, false, false, "ARABIC SEMICOLON" },
	{ 0x061c, false, true, "ARABIC LETTER MARK" },
	{ 0x061d, false, false, "after ALM" },
	{ 0x180e, false, true, "MONGOLIAN VOWEL SEPARATOR" },
	{ 0x200a, false, false, "HAIR SPACE" },
	{ 0x200b, false, true, "ZERO WIDTH SPACE" },
	{ 0x200c, false, false, "ZERO WIDTH NON-JOINER (needed by scripts and IDNA)" },
	{ 0x200d, false, false, "ZERO WIDTH JOINER (emoji, scripts)" },
	{ 0x200e, false, true, "LRM" },
	{ 0x200f, false, true, "RLM" },
	{ 0x2010, false, false, "HYPHEN" },
	{ 0x2027, false, false, "HYPHENATION POINT" },
	{ 0x2028, false, true, "LINE SEPARATOR" },
	{ 0x2029, false, true, "PARAGRAPH SEPARATOR" },
	{ 0x202a, false, true, "LRE" },
	{ 0x202b, false, true, "RLE" },
	{ 0x202c, false, true, "PDF" },
	{ 0x202d, false, true, "LRO" },
	{ 0x202e, false, true, "RLO" },
	{ 0x202f, false, false, "NARROW NO-BREAK SPACE" },
	{ 0x205f, false, false, "MEDIUM MATHEMATICAL SPACE" },
	{ 0x2060, false, true, "WORD JOINER" },
	{ 0x2062, false, true, "INVISIBLE TIMES" },
	{ 0x2066, false, true, "LRI" },
	{ 0x2067, false, true, "RLI" },
	{ 0x2068, false, true, "FSI" },
	{ 0x2069, false, true, "PDI" },
	{ 0x206f, false, true, "NOMINAL DIGIT SHAPES" },
	{ 0x2070, false, false, "SUPERSCRIPT ZERO" },
	{ 0xfe0f, false, false, "VARIATION SELECTOR-16 (emoji)" },
	{ 0xfefe, false, false, "before BOM" },
	{ 0xfeff, false, true, "BOM / ZWNBSP" },
	{ 0xfff9, false, true, "INTERLINEAR ANNOTATION ANCHOR" },
	{ 0xfffb, false, true, "INTERLINEAR ANNOTATION TERMINATOR" },
	{ 0xfffd, false, false, "REPLACEMENT CHARACTER" },
	{ 0x1d172, false, false, "before the musical format characters" },
	{ 0x1d173, false, true, "MUSICAL SYMBOL BEGIN BEAM" },
	{ 0x1d17a, false, true, "MUSICAL SYMBOL END PHRASE" },
	{ 0x1d17b, false, false, "after them" },
	{ 0x1f600, false, false, "emoji" },
	{ 0xe0001, false, true, "LANGUAGE TAG" },
	{ 0xe0041, false, true, "TAG LATIN CAPITAL LETTER A" },
	{ 0xe007f, false, true, "CANCEL TAG" },
	{ 0xe0100, false, false, "VARIATION SELECTOR-17" },
	{ 0x10ffff, false, false, "last code point" },
};

static void test_classes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cp_case *c = &cases[i];
		if (utf8_is_control(c->cp) != c->control)
			fail_msg("U+%04X %s: control %d, want %d", (unsigned)c->cp, c->what, !c->control, c->control);
		if (utf8_is_invisible(c->cp) != c->invisible)
			fail_msg("U+%04X %s: invisible %d, want %d", (unsigned)c->cp, c->what, !c->invisible, c->invisible);
		if (utf8_unsafe(c->cp) != (c->control || c->invisible))
			fail_msg("U+%04X %s: unsafe is not control or invisible", (unsigned)c->cp, c->what);
	}
}

static void test_seq_len(void **state)
{
	(void)state;
	uint32_t cp = 0;
	assert_int_equal(utf8_seq_len((const unsigned char *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc2\x85", 2, &cp), 2);
	assert_int_equal(cp, 0x85);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x80\xae", 3, &cp), 3);
	assert_int_equal(cp, 0x202e);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xf3\xa0\x80\x81", 4, &cp), 4);
	assert_int_equal(cp, 0xe0001);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x80", 2, &cp), 0);     /* cut short */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc0\x80", 2, &cp), 0);     /* overlong */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0); /* surrogate */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\x80", 1, &cp), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"", 0, &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_seq_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
