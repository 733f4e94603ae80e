/* Unit tests for the outcome vocabulary: verdicts, exit statuses, combining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "result.h"

static void test_exit_status(void **state)
{
	(void)state;
	static const struct {
		enum step step;
		enum failure f;
		int exit;
		enum verdict v;
	} rows[] = {
		{ STEP_RCPT, FAIL_NONE, 0, VERDICT_ACCEPTED },
		{ STEP_RCPT, FAIL_REJECTED, 67, VERDICT_REJECTED },
		{ STEP_MAIL, FAIL_REJECTED, 69, VERDICT_REJECTED },
		{ STEP_BANNER, FAIL_REJECTED, 69, VERDICT_REJECTED },
		{ STEP_EHLO, FAIL_SMTPUTF8, 69, VERDICT_REJECTED },
		{ STEP_DNS, FAIL_NXDOMAIN, 68, VERDICT_REJECTED },
		{ STEP_DNS, FAIL_NULL_MX, 68, VERDICT_REJECTED },
		{ STEP_DNS, FAIL_NO_ADDRESS, 68, VERDICT_REJECTED },
		{ STEP_DNS, FAIL_SERVFAIL, 75, VERDICT_TEMPFAIL },
		{ STEP_DNS, FAIL_DNS_TIMEOUT, 75, VERDICT_TEMPFAIL },
		{ STEP_RCPT, FAIL_TEMPFAIL, 75, VERDICT_TEMPFAIL },
		{ STEP_CONNECT, FAIL_REFUSED, 75, VERDICT_TEMPFAIL },
		{ STEP_BANNER, FAIL_TIMEOUT, 75, VERDICT_TEMPFAIL },
		{ STEP_RCPT, FAIL_CLOSED, 75, VERDICT_TEMPFAIL },
		{ STEP_BANNER, FAIL_PROTOCOL, 76, VERDICT_ERROR },
		{ STEP_INPUT, FAIL_INVALID_ADDRESS, 64, VERDICT_ERROR },
		{ STEP_NONE, FAIL_INTERNAL, 70, VERDICT_ERROR },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(result_exit_status(rows[i].step, rows[i].f), rows[i].exit);
		assert_int_equal(failure_verdict(rows[i].f), rows[i].v);
	}
}

static void test_combine(void **state)
{
	(void)state;
	assert_int_equal(result_exit_combine(0, 67), 67);
	assert_int_equal(result_exit_combine(75, 67), 67);   /* permanent over temporary */
	assert_int_equal(result_exit_combine(67, 69), 69);   /* whole server over one mailbox */
	assert_int_equal(result_exit_combine(69, 68), 68);
	assert_int_equal(result_exit_combine(68, 64), 64);
	assert_int_equal(result_exit_combine(64, 70), 70);
	assert_int_equal(result_exit_combine(76, 67), 76);
	assert_int_equal(result_exit_combine(0, 0), 0);
	assert_int_equal(result_exit_combine(75, 0), 75);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(step_name(STEP_RCPT), "rcpt");
	assert_string_equal(step_name(STEP_BANNER), "banner");
	assert_string_equal(failure_name(FAIL_NULL_MX), "null_mx");
	assert_string_equal(failure_name(FAIL_DNS_TIMEOUT), "dns_timeout");
	assert_string_equal(verdict_name(VERDICT_TEMPFAIL), "tempfail");
	for (int s = STEP_INPUT; s < STEP_COUNT; s++)
		assert_true(strlen(step_name((enum step)s)) > 0);
	for (int f = 0; f < FAIL_COUNT; f++)
		assert_true(strlen(failure_name((enum failure)f)) > 0);
	assert_int_equal(failure_from_code(250), FAIL_NONE);
	assert_int_equal(failure_from_code(451), FAIL_TEMPFAIL);
	assert_int_equal(failure_from_code(554), FAIL_REJECTED);
	assert_int_equal(failure_from_code(354), FAIL_PROTOCOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
