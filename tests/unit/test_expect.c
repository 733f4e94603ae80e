/* Unit tests for the --expect parser and the comparison with a result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"

static int parse(const char *text, size_t len, struct expect_list *l, char *err, size_t errsz)
{
	memset(l, 0, sizeof *l);
	err[0] = '\0';
	return expect_parse(text, len, "e.txt", l, err, errsz);
}

static void check_ok(const char *text, size_t n, struct expect_list *l)
{
	char err[256];
	int rc = parse(text, strlen(text), l, err, sizeof err);
	if (rc != 0)
		fail_msg("parse failed: %s", err);
	assert_int_equal(l->n, n);
}

static void check_error(const char *text, size_t len, const char *want)
{
	struct expect_list l;
	char err[256];
	assert_int_equal(parse(text, len, &l, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	expect_list_free(&l);
}

static void test_positional(void **state)
{
	(void)state;
	struct expect_list l;
	check_ok("# a comment\n\n  sales@example.org accepted\n"
	         "noreply@example.org rejected rcpt recipient_unknown recipient  # why\n"
	         "x@example.org tempfail - greylisting\r\n"
	         "y@example.org error dns\t-\tdns\n", 4, &l);
	assert_string_equal(l.items[0].address, "sales@example.org");
	assert_int_equal(l.items[0].line, 3);
	assert_string_equal(l.items[0].want[EXPECT_VERDICT], "accepted");
	for (int f = EXPECT_STEP; f < EXPECT_FIELDS; f++)
		assert_null(l.items[0].want[f]);
	assert_int_equal(l.items[1].line, 4);
	assert_string_equal(l.items[1].want[EXPECT_STEP], "rcpt");
	assert_string_equal(l.items[1].want[EXPECT_CATEGORY], "recipient_unknown");
	assert_string_equal(l.items[1].want[EXPECT_BLAME], "recipient");
	assert_null(l.items[2].want[EXPECT_STEP]);
	assert_string_equal(l.items[2].want[EXPECT_CATEGORY], "greylisting");
	assert_string_equal(l.items[3].want[EXPECT_STEP], "dns");
	assert_null(l.items[3].want[EXPECT_CATEGORY]);
	assert_string_equal(l.items[3].want[EXPECT_BLAME], "dns");
	expect_list_free(&l);
}

static void test_keyed(void **state)
{
	(void)state;
	struct expect_list l;
	check_ok("a@b.example rejected rcpt category=recipient_unknown mailbox=not_found code=5xx enhanced=5.1.1\n"
	         "c@d.example accepted blame=none step=rcpt code=250\n"
	         "c@d.example rejected\n", 3, &l);
	assert_string_equal(l.items[0].want[EXPECT_STEP], "rcpt");
	assert_string_equal(l.items[0].want[EXPECT_MAILBOX], "not_found");
	assert_string_equal(l.items[0].want[EXPECT_CODE], "5xx");
	assert_string_equal(l.items[0].want[EXPECT_ENHANCED], "5.1.1");
	assert_string_equal(l.items[1].want[EXPECT_BLAME], "none");
	/* The same address twice: two expectations. */
	assert_string_equal(l.items[2].address, "c@d.example");
	struct strbuf sb = STRBUF_INIT;
	expect_describe(&l.items[0], &sb);
	assert_string_equal(strbuf_str(&sb),
	                    "a@b.example rejected step=rcpt category=recipient_unknown mailbox=not_found code=5xx enhanced=5.1.1");
	strbuf_free(&sb);
	expect_list_free(&l);
}

static void test_errors(void **state)
{
	(void)state;
	check_error("a@b.example\n", 12, "e.txt:1: \"a@b.example\" without a verdict");
	check_error("# c\na@b.example maybe\n", 22, "e.txt:2: unknown verdict \"maybe\"");
	check_error("a@b.example accepted rcpt nosuch\n", 33, "e.txt:1: unknown category \"nosuch\"");
	check_error("a@b.example accepted rcp\n", 25, "unknown step \"rcp\"");
	check_error("a@b.example accepted - - someone\n", 33, "unknown blame \"someone\"");
	check_error("a@b.example accepted mailbox=gone\n", 34, "unknown mailbox \"gone\"");
	check_error("a@b.example accepted code=650\n", 30, "unknown code \"650\"");
	check_error("a@b.example accepted code=5x\n", 29, "unknown code");
	check_error("a@b.example accepted enhanced=5.1\n", 34, "unknown enhanced \"5.1\"");
	check_error("a@b.example accepted color=red\n", 31, "unknown field \"color\"");
	check_error("a@b.example accepted step=\n", 27, "step= without a value");
	check_error("a@b.example accepted rcpt step=rcpt\n", 36, "step given twice");
	check_error("a@b.example accepted step=rcpt accepted\n", 40, "after KEY=VALUE");
	check_error("a@b.example accepted rcpt accepted none none\n", 46, "too many fields");
	check_error("a@b.example accepted\x01\n", 22, "e.txt:1: the line contains a control character");
	check_error("ok@b.example accepted\nx@b.example acc\0epted\n", 42, "e.txt:2: the line contains a control character");
	check_error("a@b.example accepted\rrejected\n", 30, "control character");
	check_error("# only comments\n\n", 17, "e.txt: no expectation");
	check_error("", 0, "no expectation");
	char big[5000];
	memset(big, 'a', sizeof big);
	check_error(big, sizeof big, "e.txt:1: the line is longer than 4096 octets");
	/* Hostile values are not echoed in full. */
	char longval[200];
	snprintf(longval, sizeof longval, "a@b.example accepted category=%0150d\n", 0);
	check_error(longval, strlen(longval), "is too long");
}

static void test_compare(void **state)
{
	(void)state;
	struct expect_list l;
	check_ok("a@b.example rejected rcpt recipient_unknown recipient code=5x1 enhanced=5.1.1\n", 1, &l);
	struct expect_got got = { 0 };
	got.value[EXPECT_VERDICT] = "rejected";
	got.value[EXPECT_STEP] = "rcpt";
	got.value[EXPECT_CATEGORY] = "recipient_unknown";
	got.value[EXPECT_BLAME] = "recipient";
	got.value[EXPECT_MAILBOX] = "not_found";
	got.value[EXPECT_CODE] = "551";
	got.value[EXPECT_ENHANCED] = "5.1.1";
	enum expect_field diff[EXPECT_FIELDS];
	assert_int_equal(expect_compare(&l.items[0], &got, diff), 0);
	got.value[EXPECT_VERDICT] = "accepted";
	got.value[EXPECT_CODE] = "250";
	got.value[EXPECT_ENHANCED] = NULL;   /* no enhanced code: a difference */
	assert_int_equal(expect_compare(&l.items[0], &got, diff), 3);
	assert_int_equal(diff[0], EXPECT_VERDICT);
	assert_int_equal(diff[1], EXPECT_CODE);
	assert_int_equal(diff[2], EXPECT_ENHANCED);
	got.value[EXPECT_STEP] = NULL;       /* a DNS failure has a step; none at all differs too */
	assert_int_equal(expect_compare(&l.items[0], &got, diff), 4);
	assert_int_equal(diff[1], EXPECT_STEP);
	expect_list_free(&l);

	assert_true(expect_field_matches(EXPECT_CODE, "5xx", "550"));
	assert_true(expect_field_matches(EXPECT_CODE, "55x", "554"));
	assert_false(expect_field_matches(EXPECT_CODE, "55x", "450"));
	assert_false(expect_field_matches(EXPECT_CODE, "5xx", "5"));
	assert_false(expect_field_matches(EXPECT_STEP, "rcpt", "RCPT"));
	assert_true(expect_field_matches(EXPECT_STEP, NULL, NULL));
	assert_string_equal(expect_field_name(EXPECT_ENHANCED), "enhanced");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positional),
		cmocka_unit_test(test_keyed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
