/* Unit tests for the EHLO keyword parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ehlo.h"

static void parse(const char *wire, struct ehlo_caps *caps, bool helo_only)
{
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used;
	assert_int_equal(reply_reader_feed(&rr, wire, strlen(wire), &used), REPLY_DONE);
	ehlo_parse(&rr.reply, helo_only, caps);
	reply_reader_free(&rr);
}

static void test_postfix_like(void **state)
{
	(void)state;
	struct ehlo_caps c;
	parse("250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
	      "250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN CRAM-MD5\r\n"
	      "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n", &c, false);
	assert_string_equal(c.domain, "mx.example.org");
	unsigned want = EHLO_PIPELINING | EHLO_SIZE | EHLO_STARTTLS | EHLO_AUTH | EHLO_ENHANCEDSTATUSCODES |
		EHLO_8BITMIME | EHLO_DSN | EHLO_SMTPUTF8 | EHLO_CHUNKING;
	assert_int_equal(c.ext, want);
	assert_int_equal(c.size, 10240000);
	assert_string_equal(c.auth, "PLAIN LOGIN CRAM-MD5");
	assert_int_equal(c.nkeywords, 12);
	assert_string_equal(c.keywords[2], "VRFY");
	assert_false(c.helo_only);
}

static void test_minimal(void **state)
{
	(void)state;
	struct ehlo_caps c;
	parse("250 tiny.example greets you\r\n", &c, false);
	assert_string_equal(c.domain, "tiny.example");
	assert_int_equal(c.ext, 0);
	assert_int_equal(c.nkeywords, 0);
}

static void test_case_and_size_without_limit(void **state)
{
	(void)state;
	struct ehlo_caps c;
	parse("250-x\r\n250-size\r\n250 smtputf8\r\n", &c, false);
	assert_int_equal(c.ext, EHLO_SIZE | EHLO_SMTPUTF8);
	assert_int_equal(c.size, 0);
}

static void test_prefix_is_not_keyword(void **state)
{
	(void)state;
	struct ehlo_caps c;
	/* "SIZEX" and "AUTHX" are other keywords, not SIZE or AUTH. */
	parse("250-x\r\n250-SIZEX 5\r\n250 AUTHX PLAIN\r\n", &c, false);
	assert_int_equal(c.ext, 0);
	assert_string_equal(c.auth, "");
}

static void test_helo_only(void **state)
{
	(void)state;
	struct ehlo_caps c;
	parse("250-old.example\r\n250 SIZE 5\r\n", &c, true);
	assert_true(c.helo_only);
	assert_int_equal(c.ext, 0);
	assert_string_equal(c.domain, "old.example");
}

static void test_keyword_overflow(void **state)
{
	(void)state;
	char wire[8192] = "250-x\r\n";
	for (int i = 0; i < EHLO_KEYWORDS_MAX + 10; i++)
		strcat(wire, "250-XKEY\r\n");
	strcat(wire, "250 8BITMIME\r\n");
	struct ehlo_caps c;
	parse(wire, &c, false);
	assert_int_equal(c.nkeywords, EHLO_KEYWORDS_MAX);
	assert_true(c.ext & EHLO_8BITMIME); /* still recognised past the stored list */
}

/* Words that are no mechanism names (a NUL, controls, non-ASCII) stay out of the AUTH list. */
static void test_auth_names_only(void **state)
{
	(void)state;
	static const char wire[] = "250-x\r\n250-AUTH A\0XOA plain \x01x l\xc3\xa9gin\r\n250 AUTH a\0XOA LOGIN\r\n";
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used;
	assert_int_equal(reply_reader_feed(&rr, wire, sizeof wire - 1, &used), REPLY_DONE);
	struct ehlo_caps c;
	ehlo_parse(&rr.reply, false, &c);
	assert_string_equal(c.auth, "PLAIN LOGIN");
	assert_true(c.ext & EHLO_AUTH);
	reply_reader_free(&rr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix_like),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_case_and_size_without_limit),
		cmocka_unit_test(test_prefix_is_not_keyword),
		cmocka_unit_test(test_helo_only),
		cmocka_unit_test(test_keyword_overflow),
		cmocka_unit_test(test_auth_names_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
