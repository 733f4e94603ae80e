/*
 * Unit tests for input.c: the pieces of a pasted line as given, and the
 * address probed in each. Table-driven: a line, then "given => probed"
 * per piece.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "strbuf.h"

/* Each piece as "given => probed", joined by " | ". */
static void collect(void *ctx, const char *s, size_t len)
{
	struct strbuf *sb = ctx;
	char buf[INPUT_LINE_MAX + 1];
	size_t n = input_address(s, len, buf, sizeof buf);
	assert_int_equal(strlen(buf), n);   /* NUL-terminated at n */
	if (sb->len)
		strbuf_puts(sb, " | ");
	strbuf_append(sb, s, len);
	strbuf_puts(sb, " => ");
	strbuf_append(sb, buf, n);
}

static const struct {
	const char *line;
	const char *want;     /* pieces, as collect() joins them */
	size_t n;
} cases[] = {
	/* plain addresses, alone and listed */
	{ "alice@example.org", "alice@example.org => alice@example.org", 1 },
	{ "a@x.org,b@y.org", "a@x.org => a@x.org | b@y.org => b@y.org", 2 },
	{ "a@x.org; b@y.org ;c@z.org", "a@x.org => a@x.org | b@y.org => b@y.org | c@z.org => c@z.org", 3 },
	{ " a@x.org , , ;b@y.org,", "a@x.org => a@x.org | b@y.org => b@y.org", 2 },
	{ ",;, ", "", 0 },
	/* RFC 5322 name-addr */
	{ "Alice Example <alice@example.org>", "Alice Example <alice@example.org> => alice@example.org", 1 },
	{ "<alice@example.org>", "<alice@example.org> => alice@example.org", 1 },
	{ "\"Example, Alice\" <alice@example.org>, bob@example.org",
	  "\"Example, Alice\" <alice@example.org> => alice@example.org | bob@example.org => bob@example.org", 2 },
	{ "\"A \\\"q\\\" <x@y>\" <alice@example.org>", "\"A \\\"q\\\" <x@y>\" <alice@example.org> => alice@example.org", 1 },
	{ "Alice <alice@example.org> (work)", "Alice <alice@example.org> (work) => alice@example.org", 1 },
	{ "Алиса <alice@example.org>", "Алиса <alice@example.org> => alice@example.org", 1 },
	/* Outlook's lists: ';' between, "Last, First" names with an unquoted comma */
	{ "Doe, John <john@example.org>; Roe, Jane <jane@example.org>",
	  "Doe, John <john@example.org> => john@example.org | Roe, Jane <jane@example.org> => jane@example.org", 2 },
	{ "Doe, John <john@example.org>, Roe, Jane <jane@example.org>",
	  "Doe, John <john@example.org> => john@example.org | Roe, Jane <jane@example.org> => jane@example.org", 2 },
	/* a quoted local part keeps its comma and @ */
	{ "\"a,b@c\"@example.org, d@example.org",
	  "\"a,b@c\"@example.org => \"a,b@c\"@example.org | d@example.org => d@example.org", 2 },
	/* comments */
	{ "alice@example.org (Alice)", "alice@example.org (Alice) => alice@example.org", 1 },
	{ "alice@example.org (a (nested, one))", "alice@example.org (a (nested, one)) => alice@example.org", 1 },
	/* mailto: URIs */
	{ "mailto:alice@example.org", "mailto:alice@example.org => alice@example.org", 1 },
	{ "MAILTO:alice@example.org?subject=hi,(there;", "MAILTO:alice@example.org?subject=hi,(there; => alice@example.org", 1 },
	{ "mailto:a@x.org?cc=b@y.org c@z.org", "mailto:a@x.org?cc=b@y.org => a@x.org | c@z.org => c@z.org", 2 },
	{ "mailto:a@x.org?subject=x, c@z.org", "mailto:a@x.org?subject=x, => a@x.org | c@z.org => c@z.org", 2 },
	{ "mailto:a%40b@example.org", "mailto:a%40b@example.org => a@b@example.org", 1 },
	{ "mailto:a@x.org,b@y.org", "mailto:a@x.org => a@x.org | b@y.org => b@y.org", 2 },
	{ "<mailto:alice@example.org>", "<mailto:alice@example.org> => alice@example.org", 1 },
	/* not an address: passed on as given, so that the probe says why */
	{ "not an address", "not an address => not an address", 1 },
	{ "Alice Example", "Alice Example => Alice Example", 1 },
	{ "Alice, Bob", "Alice => Alice | Bob => Bob", 2 },
	{ "Alice <a@x.org> <b@y.org>", "Alice <a@x.org> <b@y.org> => Alice <a@x.org> <b@y.org>", 1 },
	{ "Alice <a@x.org> trailing", "Alice <a@x.org> trailing => Alice <a@x.org> trailing", 1 },
	{ "Alice <a@x.org", "Alice <a@x.org => Alice <a@x.org", 1 },
	{ "<>", "<> => ", 1 },
	{ "\"unterminated <a@x.org>", "\"unterminated <a@x.org> => \"unterminated <a@x.org>", 1 },
};

static void test_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct strbuf sb = STRBUF_INIT;
		size_t n = input_split(cases[i].line, strlen(cases[i].line), collect, &sb);
		if (strcmp(strbuf_str(&sb), cases[i].want) != 0 || n != cases[i].n)
			fail_msg("line '%s':\n  got  '%s' (%zu)\n  want '%s' (%zu)", cases[i].line,
			         strbuf_str(&sb), n, cases[i].want, cases[i].n);
		strbuf_free(&sb);
	}
}

/* A control character is never hidden by an extraction: the probe must see it and refuse. */
static void test_control(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a@b.test\r\nRCPT TO:<x@y.test>",
		"Alice\t<alice@example.org>",
		"mailto:x@y.test?\r\n",
	};
	char buf[128];
	for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
		size_t n = input_address(pieces[i], strlen(pieces[i]), buf, sizeof buf);
		assert_int_equal(n, strlen(pieces[i]));
		assert_memory_equal(buf, pieces[i], n);
	}
	/* A NUL inside the line is a control character too. */
	const char nul[] = "Alice <a@x.org>\0<b@y.org>";
	size_t n = input_address(nul, sizeof nul - 1, buf, sizeof buf);
	assert_int_equal(n, sizeof nul - 1);
	/* %0D%0A decodes to what the probe refuses: it never reaches SMTP. */
	n = input_address("mailto:a@b.test%0D%0ADATA", 25, buf, sizeof buf);
	assert_string_equal(buf, "a@b.test\r\nDATA");
}

/* The output never grows, and a buffer too small cannot overflow. */
static void test_buffer(void **state)
{
	(void)state;
	char buf[8];
	size_t n = input_address("Alice <alice@example.org>", 25, buf, sizeof buf);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "Alice <");
	assert_int_equal(input_address("x", 1, buf, 0), 0);
}

static void test_bom(void **state)
{
	(void)state;
	assert_int_equal(input_bom("\xef\xbb\xbf" "a@b", 6), 3);
	assert_int_equal(input_bom("\xef\xbb", 2), 0);
	assert_int_equal(input_bom("a@b", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_bom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
