/* Unit tests for the TLS-RPT record parser (RFC 8460 section 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tlsrpt.h"

static void test_valid(void **state)
{
	(void)state;
	static const struct {
		const char *txt;
		int nrua;
		const char *first, *last;
	} cases[] = {
		{ "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", 1, "mailto:tlsrpt@example.com", NULL },
		{ "v=TLSRPTv1;rua=https://reports.example.com/tlsrpt", 1, "https://reports.example.com/tlsrpt", NULL },
		{ "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.net/x;", 2, "mailto:a@example.com",
		  "https://r.example.net/x" },
		{ "v=TLSRPTv1 ; rua=mailto:a@example.com , \tmailto:b@example.com ; ", 2, "mailto:a@example.com",
		  "mailto:b@example.com" },
		{ "v=TLSRPTv1; ext=1; rua=MAILTO:a@example.com?subject=x", 1, "MAILTO:a@example.com?subject=x", NULL },
		{ "v=TLSRPTv1; rua=mailto:a%2Cb@example.com", 1, "mailto:a%2Cb@example.com", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tlsrpt_record r;
		char err[256] = "";
		if (!tlsrpt_parse(cases[i].txt, strlen(cases[i].txt), &r, err, sizeof err))
			fail_msg("\"%s\" refused: %s", cases[i].txt, err);
		assert_int_equal(r.nrua, cases[i].nrua);
		assert_string_equal(r.rua[0].uri, cases[i].first);
		if (cases[i].last)
			assert_string_equal(r.rua[r.nrua - 1].uri, cases[i].last);
	}
	struct tlsrpt_record r;
	char err[256];
	const char *s = "v=TLSRPTv1; rua=https://r.example/a,mailto:x@example.org";
	assert_true(tlsrpt_parse(s, strlen(s), &r, err, sizeof err));
	assert_int_equal(r.rua[0].scheme, TLSRPT_HTTPS);
	assert_int_equal(r.rua[1].scheme, TLSRPT_MAILTO);
}

static void test_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *txt, *why;
	} cases[] = {
		{ "v=TLSRPTv1", "no rua field" },
		{ "v=TLSRPTv1;", "no rua field" },
		{ "v=TLSRPTv1; ext=1", "no rua field" },
		{ "v=TLSRPTv2; rua=mailto:a@example.com", "does not start" },
		{ "V=TLSRPTv1; rua=mailto:a@example.com", "does not start" },
		{ "v=TLSRPTv1 rua=mailto:a@example.com", "';' expected" },
		{ "v=TLSRPTv1; rua=", "empty URI" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com,", "empty URI between commas" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", "empty URI between commas" },
		{ "v=TLSRPTv1; rua=ftp://example.com/", "neither a mailto: nor an https://" },
		{ "v=TLSRPTv1; rua=http://example.com/", "neither a mailto: nor an https://" },
		{ "v=TLSRPTv1; rua=a@example.com", "neither a mailto: nor an https://" },
		{ "v=TLSRPTv1; rua=mailto:example.com", "no address" },
		{ "v=TLSRPTv1; rua=mailto:@example.com", "no address" },
		{ "v=TLSRPTv1; rua=mailto:a@", "no address" },
		{ "v=TLSRPTv1; rua=https:///x", "no host" },
		{ "v=TLSRPTv1; rua=mailto:a b@example.com", "holds a space" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", "rua given twice" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com;; x=1", "name=value" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com; -x=1", "not a valid extension" },
		{ "v=TLSRPTv1; rua=mailto:a@example.com ", "trailing white space" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tlsrpt_record r;
		char err[256] = "";
		if (tlsrpt_parse(cases[i].txt, strlen(cases[i].txt), &r, err, sizeof err))
			fail_msg("accepted: %s", cases[i].txt);
		if (!strstr(err, cases[i].why))
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", cases[i].txt, err, cases[i].why);
	}
	struct tlsrpt_record r;
	char err[256];
	assert_false(tlsrpt_parse("v=TLSRPTv1; rua=mailto:a@b\0c", 28, &r, err, sizeof err));
	assert_non_null(strstr(err, "NUL"));
}

static void test_selection(void **state)
{
	(void)state;
	struct tlsrpt_record r;
	char err[256];
	struct txt_record spf = { "v=spf1 -all", 11 };
	struct txt_record a = { "v=TLSRPTv1; rua=mailto:a@example.com", 36 };
	struct txt_record b = { "v=TLSRPTv1;rua=mailto:b@example.com", 35 };
	struct txt_record bad = { "v=TLSRPTv1", 10 };

	struct txt_record none[] = { spf };
	assert_int_equal(tlsrpt_from_txt(none, 1, &r, err, sizeof err), TLSRPT_NONE);
	struct txt_record one[] = { spf, a };
	assert_int_equal(tlsrpt_from_txt(one, 2, &r, err, sizeof err), TLSRPT_OK);
	assert_string_equal(r.rua[0].uri, "mailto:a@example.com");
	struct txt_record two[] = { a, b };
	assert_int_equal(tlsrpt_from_txt(two, 2, &r, err, sizeof err), TLSRPT_MULTIPLE);
	assert_int_equal(r.candidates, 2);
	struct txt_record invalid[] = { spf, bad };
	assert_int_equal(tlsrpt_from_txt(invalid, 2, &r, err, sizeof err), TLSRPT_INVALID);
	assert_non_null(strstr(err, "no rua"));
}

static void test_many(void **state)
{
	(void)state;
	char txt[2048] = "v=TLSRPTv1; rua=";
	for (int i = 0; i < TLSRPT_RUA_MAX + 2; i++)
		snprintf(txt + strlen(txt), sizeof txt - strlen(txt), "%smailto:r%d@example.com", i ? "," : "", i);
	struct tlsrpt_record r;
	char err[256];
	assert_true(tlsrpt_parse(txt, strlen(txt), &r, err, sizeof err));
	assert_int_equal(r.nrua, TLSRPT_RUA_MAX);
	assert_int_equal(r.rua_extra, 2);
}

static void test_name(void **state)
{
	(void)state;
	char buf[64];
	assert_true(tlsrpt_record_name("example.org.", buf, sizeof buf));
	assert_string_equal(buf, "_smtp._tls.example.org");
	assert_false(tlsrpt_record_name("", buf, sizeof buf));
	assert_false(tlsrpt_record_name("example.org", buf, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
