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
		enum failure f;
		enum blame b;
		enum mailbox m;
		bool require_mailbox;
		int exit;
		enum verdict v;
	} rows[] = {
		{ FAIL_NONE, BLAME_NONE, MAILBOX_EXISTS, false, 0, VERDICT_ACCEPTED },
		{ FAIL_NONE, BLAME_NONE, MAILBOX_EXISTS, true, 0, VERDICT_ACCEPTED },
		/* catch-all and 252: accepted for a delivery test, not proof for a list cleaner */
		{ FAIL_NONE, BLAME_NONE, MAILBOX_UNVERIFIABLE, false, 0, VERDICT_ACCEPTED },
		{ FAIL_NONE, BLAME_NONE, MAILBOX_UNVERIFIABLE, true, 79, VERDICT_ACCEPTED },
		/* 67 only when the recipient's mailbox is refused */
		{ FAIL_REJECTED, BLAME_RECIPIENT, MAILBOX_NOT_FOUND, false, 67, VERDICT_REJECTED },
		{ FAIL_REJECTED, BLAME_RECIPIENT, MAILBOX_DISABLED, false, 67, VERDICT_REJECTED },
		{ FAIL_REJECTED, BLAME_CLIENT, MAILBOX_UNKNOWN, false, 77, VERDICT_REJECTED },
		{ FAIL_REJECTED, BLAME_SENDER, MAILBOX_UNKNOWN, false, 77, VERDICT_REJECTED },
		{ FAIL_REJECTED, BLAME_POLICY, MAILBOX_UNKNOWN, true, 77, VERDICT_REJECTED },
		{ FAIL_REJECTED, BLAME_SERVER, MAILBOX_UNKNOWN, false, 69, VERDICT_REJECTED },
		{ FAIL_REJECTED, BLAME_UNKNOWN, MAILBOX_UNKNOWN, false, 69, VERDICT_REJECTED },
		{ FAIL_SIZE_EXCEEDED, BLAME_POLICY, MAILBOX_UNKNOWN, false, 77, VERDICT_REJECTED },
		{ FAIL_SMTPUTF8, BLAME_SERVER, MAILBOX_UNKNOWN, false, 69, VERDICT_REJECTED },
		{ FAIL_NXDOMAIN, BLAME_DNS, MAILBOX_UNKNOWN, false, 68, VERDICT_REJECTED },
		{ FAIL_NULL_MX, BLAME_DNS, MAILBOX_UNKNOWN, false, 68, VERDICT_REJECTED },
		{ FAIL_NO_ADDRESS, BLAME_DNS, MAILBOX_UNKNOWN, false, 68, VERDICT_REJECTED },
		{ FAIL_SERVFAIL, BLAME_DNS, MAILBOX_UNKNOWN, false, 75, VERDICT_TEMPFAIL },
		{ FAIL_DNS_TIMEOUT, BLAME_DNS, MAILBOX_UNKNOWN, false, 75, VERDICT_TEMPFAIL },
		/* a temporary refusal stays 75 whoever is blamed */
		{ FAIL_TEMPFAIL, BLAME_RECIPIENT, MAILBOX_FULL, false, 75, VERDICT_TEMPFAIL },
		{ FAIL_TEMPFAIL, BLAME_POLICY, MAILBOX_UNKNOWN, false, 75, VERDICT_TEMPFAIL },
		{ FAIL_REFUSED, BLAME_NETWORK, MAILBOX_UNKNOWN, false, 75, VERDICT_TEMPFAIL },
		{ FAIL_TIMEOUT, BLAME_NETWORK, MAILBOX_UNKNOWN, false, 75, VERDICT_TEMPFAIL },
		{ FAIL_CLOSED, BLAME_SERVER, MAILBOX_UNKNOWN, false, 75, VERDICT_TEMPFAIL },
		{ FAIL_PROTOCOL, BLAME_SERVER, MAILBOX_UNKNOWN, false, 76, VERDICT_ERROR },
		{ FAIL_INVALID_ADDRESS, BLAME_LOCAL, MAILBOX_UNKNOWN, false, 65, VERDICT_ERROR },
		{ FAIL_INTERNAL, BLAME_LOCAL, MAILBOX_UNKNOWN, false, 70, VERDICT_ERROR },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(result_exit_status(rows[i].f, rows[i].b, rows[i].m, rows[i].require_mailbox), rows[i].exit);
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
	assert_int_equal(result_exit_combine(68, 65), 65);   /* broken input over what the network said */
	assert_int_equal(result_exit_combine(65, 64), 64);   /* bad options over bad data */
	assert_int_equal(result_exit_combine(68, 64), 64);
	assert_int_equal(result_exit_combine(64, 70), 70);
	assert_int_equal(result_exit_combine(76, 67), 76);
	assert_int_equal(result_exit_combine(67, 77), 77);   /* refused us over refused one mailbox */
	assert_int_equal(result_exit_combine(77, 69), 69);
	assert_int_equal(result_exit_combine(79, 75), 75);   /* unverifiable is the mildest failure */
	assert_int_equal(result_exit_combine(0, 79), 79);
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
	for (int b = 0; b < BLAME_COUNT; b++) {
		assert_true(strlen(blame_name((enum blame)b)) > 0);
		assert_true(strlen(blame_label((enum blame)b)) > 0);
	}
	for (int m = 0; m < MAILBOX_COUNT; m++)
		assert_true(strlen(mailbox_name((enum mailbox)m)) > 0);
	assert_string_equal(blame_name(BLAME_UNKNOWN), "unknown");
	assert_string_equal(blame_name(BLAME_CLIENT), "client");
	assert_string_equal(mailbox_name(MAILBOX_NOT_FOUND), "not_found");
	assert_string_equal(mailbox_name(MAILBOX_UNVERIFIABLE), "unverifiable");
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
