/* Unit tests for the MTA-STS record, policy and pattern parsers (RFC 8461). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "mta_sts.h"

static bool rec_ok(const char *s, struct mta_sts_record *r)
{
	char err[256] = "";
	bool ok = mta_sts_record_parse(s, strlen(s), r, err, sizeof err);
	assert_true(ok ? err[0] == '\0' : err[0] != '\0');
	return ok;
}

static void test_record_valid(void **state)
{
	(void)state;
	static const struct {
		const char *txt, *id;
	} cases[] = {
		{ "v=STSv1; id=20160831085700Z", "20160831085700Z" },
		{ "v=STSv1;id=abc", "abc" },
		{ "v=STSv1 ;\tid=abc;", "abc" },
		{ "v=STSv1; id=abc ; ", "abc" },
		{ "v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012" },
		{ "v=STSv1; ext.x-1=some!value; id=Z", "Z" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mta_sts_record r;
		assert_true(rec_ok(cases[i].txt, &r));
		assert_string_equal(r.id, cases[i].id);
	}
}

static void test_record_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *txt, *why;
	} cases[] = {
		{ "v=STSv1", "no id field" },
		{ "v=STSv1;", "no id field" },
		{ "v=STSv2; id=1", "does not start" },
		{ " v=STSv1; id=1", "does not start" },
		{ "v=stsv1; id=1", "does not start" },
		{ "v=STSv1; id=", "1 to 32" },
		{ "v=STSv1; id=123456789012345678901234567890123", "1 to 32" },
		{ "v=STSv1; id=ab-c", "letters and digits" },
		{ "v=STSv1; id=1; id=2", "twice" },
		{ "v=STSv1 id=1", "';' expected" },
		{ "v=STSv1; id=1 x", "only letters and digits" },
		{ "v=STSv1; id=1;; x=y", "name=value" },
		{ "v=STSv1; id=1; junk", "name=value" },
		{ "v=STSv1; id=1; _x=y", "not a valid extension" },
		{ "v=STSv1; id=1; x=", "not a valid extension" },
		{ "v=STSv1; id=1 ", "trailing white space" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mta_sts_record r;
		char err[256] = "";
		assert_false(mta_sts_record_parse(cases[i].txt, strlen(cases[i].txt), &r, err, sizeof err));
		if (!strstr(err, cases[i].why))
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", cases[i].txt, err, cases[i].why);
	}
	struct mta_sts_record r;
	char err[128];
	assert_false(mta_sts_record_parse("v=STSv1; id=a\0b", 15, &r, err, sizeof err));
	assert_non_null(strstr(err, "NUL"));
}

static void test_record_selection(void **state)
{
	(void)state;
	struct mta_sts_record r;
	char err[256];
	struct txt_record spf = { "v=spf1 -all", 11 };
	struct txt_record a = { "v=STSv1; id=one", 15 };
	struct txt_record b = { "v=STSv1; id=two", 15 };
	struct txt_record bad = { "v=STSv1; id=", 12 };
	struct txt_record prefix = { "v=STSv10; id=x", 14 };

	struct txt_record none[] = { spf, prefix };
	assert_int_equal(mta_sts_record_from_txt(none, 2, &r, err, sizeof err), MTA_STS_RECORD_NONE);
	assert_int_equal(mta_sts_record_from_txt(NULL, 0, &r, err, sizeof err), MTA_STS_RECORD_NONE);

	struct txt_record one[] = { spf, a };
	assert_int_equal(mta_sts_record_from_txt(one, 2, &r, err, sizeof err), MTA_STS_RECORD_OK);
	assert_string_equal(r.id, "one");
	assert_int_equal(r.candidates, 1);

	struct txt_record two[] = { a, spf, b };
	assert_int_equal(mta_sts_record_from_txt(two, 3, &r, err, sizeof err), MTA_STS_RECORD_MULTIPLE);
	assert_int_equal(r.candidates, 2);
	assert_non_null(strstr(err, "exactly one"));

	struct txt_record invalid[] = { bad };
	assert_int_equal(mta_sts_record_from_txt(invalid, 1, &r, err, sizeof err), MTA_STS_RECORD_INVALID);
	assert_int_equal(r.candidates, 1);
}

static bool policy(const char *s, struct mta_sts_policy *p, char *err, size_t errsz)
{
	err[0] = '\0';
	bool ok = mta_sts_policy_parse(s, strlen(s), p, err, errsz);
	assert_true(ok ? err[0] == '\0' : err[0] != '\0');
	return ok;
}

static void test_policy_valid(void **state)
{
	(void)state;
	struct mta_sts_policy p;
	char err[256];
	assert_true(policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.NET\r\n"
	                   "max_age: 604800\r\n", &p, err, sizeof err));
	assert_int_equal(p.mode, MTA_STS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.nmx, 2);
	assert_string_equal(p.mx[0], "mail.example.com");
	assert_string_equal(p.mx[1], "*.example.net");

	/* LF endings, no final newline, trailing blanks, unknown keys, blank lines. */
	assert_true(policy("version:STSv1\nmode: testing \nmx:\tmx1.example.org\n\nfoo_bar: anything at all\n"
	                   "max_age: 0", &p, err, sizeof err));
	assert_int_equal(p.mode, MTA_STS_MODE_TESTING);
	assert_int_equal(p.max_age, 0);
	assert_int_equal(p.unknown_keys, 1);

	/* mode none needs no mx; the maximum max_age. */
	assert_true(policy("version: STSv1\nmode: none\nmax_age: 31557600\n", &p, err, sizeof err));
	assert_int_equal(p.mode, MTA_STS_MODE_NONE);
	assert_int_equal(p.nmx, 0);
	assert_int_equal(p.max_age, MTA_STS_MAX_AGE_MAX);
	assert_string_equal(mta_sts_mode_name(p.mode), "none");

	/* Patterns beyond the array are counted, not an error. */
	char big[8192] = "version: STSv1\nmode: enforce\nmax_age: 1\n";
	for (int i = 0; i < MTA_STS_MX_MAX + 3; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "mx: mx%d.example.org\n", i);
	assert_true(policy(big, &p, err, sizeof err));
	assert_int_equal(p.nmx, MTA_STS_MX_MAX);
	assert_int_equal(p.mx_extra, 3);
}

static void test_policy_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *body, *why;
	} cases[] = {
		{ "", "no version line" },
		{ "mode: enforce\nmx: a.example\nmax_age: 1\n", "no version line" },
		{ "version: STSv1\nmx: a.example\nmax_age: 1\n", "no mode line" },
		{ "version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age line" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\n", "without any mx" },
		{ "version: STSv1\nmode: testing\nmax_age: 1\n", "without any mx" },
		{ "version: STSv2\nmode: none\nmax_age: 1\n", "line 1: version \"STSv2\"" },
		{ "version: STSv1\nmode: Enforce\nmax_age: 1\n", "line 2: mode \"Enforce\"" },
		{ "version: STSv1\nmode: none\nmax_age: 31557601\n", "over the maximum" },
		{ "version: STSv1\nmode: none\nmax_age: -1\n", "not 1 to 10 digits" },
		{ "version: STSv1\nmode: none\nmax_age: 12345678901\n", "not 1 to 10 digits" },
		{ "version: STSv1\nmode: none\nmax_age: \n", "not 1 to 10 digits" },
		{ "version: STSv1\nmode: none\nmode: none\nmax_age: 1\n", "line 3: mode given twice" },
		{ "version: STSv1\nmode: none\nmax_age: 1\nmax_age: 2\n", "max_age given twice" },
		{ "version: STSv1\nversion: STSv1\n", "version given twice" },
		{ "version: STSv1\nmode none\n", "line 2: \"key: value\" expected" },
		{ "version: STSv1\nmode: enforce\nmx: mx..example\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: *.\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: *example.org\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: -a.example\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: a-.example\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: a_b.example\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\nmode: enforce\nmx: a.example b.example\nmax_age: 1\n", "line 3: mx" },
		{ "version: STSv1\rmode: none\nmax_age: 1\n", "line 1: a CR not followed by LF" },
		{ "version: STSv1\nmode: none\x01\nmax_age: 1\n", "control character" },
		{ "version: STSv1\n bad key: x\n", "line 2: \" bad key\" is not a valid key" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mta_sts_policy p;
		char err[256];
		if (policy(cases[i].body, &p, err, sizeof err))
			fail_msg("accepted: %s", cases[i].body);
		if (!strstr(err, cases[i].why))
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", cases[i].body, err, cases[i].why);
	}
}

static void test_policy_limits(void **state)
{
	(void)state;
	struct mta_sts_policy p;
	char err[256];
	/* Exactly the limit parses (padding with an extension line); one byte more does not. */
	size_t n = MTA_STS_POLICY_MAX + 1;
	char *body = malloc(n);
	assert_non_null(body);
	const char *head = "version: STSv1\nmode: none\nmax_age: 1\npad: ";
	size_t hl = strlen(head);
	memcpy(body, head, hl);
	memset(body + hl, 'x', n - hl);
	assert_true(mta_sts_policy_parse(body, MTA_STS_POLICY_MAX, &p, err, sizeof err));
	assert_false(mta_sts_policy_parse(body, n, &p, err, sizeof err));
	assert_non_null(strstr(err, "over the limit"));
	free(body);

	assert_false(mta_sts_policy_parse("version: STSv1\0\nmode: none\nmax_age: 1\n", 38, &p, err, sizeof err));
	assert_non_null(strstr(err, "NUL"));
}

static void test_patterns(void **state)
{
	(void)state;
	static const struct {
		const char *pattern, *host;
		bool match;
	} cases[] = {
		{ "mail.example.com", "mail.example.com", true },
		{ "mail.example.com", "MAIL.Example.COM.", true },
		{ "mail.example.com.", "mail.example.com", true },
		{ "mail.example.com", "mail.example.co", false },
		{ "mail.example.com", "xmail.example.com", false },
		{ "*.example.com", "mx1.example.com", true },
		{ "*.example.com", "MX1.EXAMPLE.COM.", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", "a.b.example.com", false },
		{ "*.example.com", ".example.com", false },
		{ "*.example.com", "mx1.example.com.evil", false },
		{ "*.example.com", "mx1example.com", false },
		{ "*.example.com", "", false },
		{ "", "example.com", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (mta_sts_pattern_matches(cases[i].pattern, cases[i].host) != cases[i].match)
			fail_msg("%s vs %s: expected %d", cases[i].pattern, cases[i].host, cases[i].match);

	struct mta_sts_policy p;
	char err[256];
	assert_true(policy("version: STSv1\nmode: enforce\nmx: mx.example.org\nmx: *.backup.example.org\nmax_age: 9\n",
	                   &p, err, sizeof err));
	assert_int_equal(mta_sts_mx_matches(&p, "mx.example.org"), 0);
	assert_int_equal(mta_sts_mx_matches(&p, "b1.backup.example.org."), 1);
	assert_int_equal(mta_sts_mx_matches(&p, "mx2.example.org"), -1);
	assert_int_equal(mta_sts_mx_matches(&p, "x.b1.backup.example.org"), -1);
}

static void test_cert_names(void **state)
{
	(void)state;
	const char *names[] = { "IP:127.0.0.1", "DNS:other.example", "DNS:*.example.org", "mx.example.net",
		                "DNS:m*.example.com", "DNS:*.*.example.edu" };
	int n = sizeof names / sizeof names[0];
	assert_int_equal(mta_sts_cert_matches(names, n, "mx.example.org"), 2);
	assert_int_equal(mta_sts_cert_matches(names, n, "MX.example.net"), 3);
	assert_int_equal(mta_sts_cert_matches(names, n, "other.example"), 1);
	assert_int_equal(mta_sts_cert_matches(names, n, "example.org"), -1);
	assert_int_equal(mta_sts_cert_matches(names, n, "a.b.example.org"), -1);
	/* Partial and double wildcards never match. */
	assert_int_equal(mta_sts_cert_matches(names, n, "mx.example.com"), -1);
	assert_int_equal(mta_sts_cert_matches(names, n, "a.b.example.edu"), -1);
	assert_int_equal(mta_sts_cert_matches(names, n, "127.0.0.1"), -1);
}

static void test_names(void **state)
{
	(void)state;
	char buf[300];
	assert_true(mta_sts_record_name("example.org.", buf, sizeof buf));
	assert_string_equal(buf, "_mta-sts.example.org");
	assert_true(mta_sts_policy_url("example.org", buf, sizeof buf));
	assert_string_equal(buf, "https://mta-sts.example.org/.well-known/mta-sts.txt");
	assert_false(mta_sts_policy_url("", buf, sizeof buf));
	assert_false(mta_sts_record_name(".", buf, sizeof buf));
	assert_false(mta_sts_policy_url("example.org", buf, 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_valid),
		cmocka_unit_test(test_record_invalid),
		cmocka_unit_test(test_record_selection),
		cmocka_unit_test(test_policy_valid),
		cmocka_unit_test(test_policy_invalid),
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_cert_names),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
