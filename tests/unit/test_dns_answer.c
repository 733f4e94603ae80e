/*
 * Unit tests for dns.c's TXT and TLSA readers (dns_txt_from_answer,
 * dns_tlsa_from_answer) on DNS responses built here byte by byte, and for
 * dane_tlsa_name().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dane.h"
#include "dns.h"
#include "strbuf.h"

struct pkt {
	unsigned char b[2048];
	size_t len;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	assert_true(p->len + n <= sizeof p->b);
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void put16(struct pkt *p, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	put(p, b, 2);
}

/* Header: QR RD set, flags3 = RA|AD|RCODE as given, one question for "a.test". */
static void start(struct pkt *p, unsigned flags3, unsigned ancount, unsigned qtype)
{
	p->len = 0;
	put16(p, 0x1234);
	unsigned char f[2] = { 0x81, (unsigned char)flags3 };
	put(p, f, 2);
	put16(p, 1);
	put16(p, ancount);
	put16(p, 0);
	put16(p, 0);
	put(p, "\x01" "a\x04test", 8);
	put16(p, qtype);
	put16(p, 1);
}

/* An answer owned by the question's name (a compression pointer to offset 12). */
static void answer(struct pkt *p, unsigned type, const void *rdata, size_t rdlen)
{
	put(p, "\xc0\x0c", 2);
	put16(p, type);
	put16(p, 1);
	put(p, "\0\0\x01\x2c", 4);
	put16(p, (unsigned)rdlen);
	put(p, rdata, rdlen);
}

static void test_tlsa(void **state)
{
	(void)state;
	struct pkt p;
	unsigned char rd[3 + 32] = { 3, 1, 1 };
	for (int i = 0; i < 32; i++)
		rd[3 + i] = (unsigned char)i;
	start(&p, 0xa0, 3, 52);
	answer(&p, 5, "\x01x\xc0\x0c", 4);   /* a CNAME on the way: skipped */
	answer(&p, 52, rd, sizeof rd);
	rd[0] = 2;
	rd[2] = 2;
	answer(&p, 52, rd, 3 + 4);           /* a short SHA-512: read as it is */
	struct dns_tlsa t[DNS_TLSA_MAX];
	struct dns_answer_info info;
	const char *why;
	int n;
	assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), DNS_OK);
	assert_null(why);
	assert_int_equal(n, 2);
	assert_true(info.ad);
	assert_int_equal(t[0].usage, 3);
	assert_int_equal(t[0].selector, 1);
	assert_int_equal(t[0].mtype, 1);
	assert_int_equal(t[0].len, 32);
	assert_int_equal(t[0].data[31], 31);
	assert_int_equal(t[1].usage, 2);
	assert_int_equal(t[1].len, 4);

	/* Without AD; one record too short to be TLSA is skipped, not fatal. */
	start(&p, 0x80, 2, 52);
	answer(&p, 52, "\x03\x01", 2);
	answer(&p, 52, rd, sizeof rd);
	assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), DNS_OK);
	assert_false(info.ad);
	assert_int_equal(n, 1);
	assert_int_equal(info.skipped, 1);
}

static void test_status(void **state)
{
	(void)state;
	struct pkt p;
	struct dns_tlsa t[DNS_TLSA_MAX];
	struct dns_answer_info info;
	const char *why;
	int n;
	static const struct {
		unsigned flags3;
		enum dns_status st;
	} cases[] = {
		{ 0xa0, DNS_NODATA }, { 0xa3, DNS_NXDOMAIN }, { 0x82, DNS_SERVFAIL }, { 0x85, DNS_SERVFAIL },
		{ 0x84, DNS_ERROR },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		start(&p, cases[i].flags3, 0, 52);
		assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), cases[i].st);
		assert_int_equal(n, 0);
		assert_non_null(why);
	}
	/* NXDOMAIN with AD: a validated denial. */
	start(&p, 0xa3, 0, 52);
	dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why);
	assert_true(info.ad);

	/* Records of another type only: NODATA. */
	start(&p, 0x80, 1, 52);
	answer(&p, 16, "\x02hi", 3);
	assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), DNS_NODATA);
}

static void test_malformed(void **state)
{
	(void)state;
	struct pkt p;
	struct dns_tlsa t[DNS_TLSA_MAX];
	struct dns_answer_info info;
	const char *why;
	int n;
	unsigned char rd[35] = { 3, 1, 1 };
	start(&p, 0x80, 1, 52);
	answer(&p, 52, rd, sizeof rd);
	/* Every cut of a good packet is an error or fewer records, never a read past the end. */
	for (size_t cut = 0; cut < p.len; cut++) {
		enum dns_status st = dns_tlsa_from_answer(p.b, (int)cut, t, &n, &info, &why);
		assert_int_not_equal(st, DNS_OK);
		assert_int_equal(n, 0);
	}
	/* A query (QR clear) is no answer. */
	p.b[2] = 0x01;
	assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), DNS_ERROR);
	/* An answer count larger than what is there. */
	start(&p, 0x80, 2, 52);
	answer(&p, 52, rd, sizeof rd);
	assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), DNS_ERROR);
	/* A label type 0x40/0x80 in a name. */
	start(&p, 0x80, 1, 52);
	p.b[12] = 0x41;
	assert_int_equal(dns_tlsa_from_answer(p.b, (int)p.len, t, &n, &info, &why), DNS_ERROR);
	/* Oversized data (a full certificate beyond DNS_TLSA_DATA_MAX) is skipped. */
	static unsigned char whole[4096];
	static const unsigned char big[3 + DNS_TLSA_DATA_MAX + 1] = { 3, 0, 0 };
	start(&p, 0x80, 1, 52);
	put(&p, "\xc0\x0c", 2);
	put16(&p, 52);
	put16(&p, 1);
	put(&p, "\0\0\0\1", 4);
	put16(&p, sizeof big);
	memcpy(whole, p.b, p.len);
	memcpy(whole + p.len, big, sizeof big);
	assert_int_equal(dns_tlsa_from_answer(whole, (int)(p.len + sizeof big), t, &n, &info, &why), DNS_ERROR);
	assert_int_equal(info.skipped, 1);
	assert_int_equal(n, 0);
}

static void test_txt(void **state)
{
	(void)state;
	struct pkt p;
	start(&p, 0xa0, 3, 16);
	answer(&p, 16, "\x09v=STSv1; \x05id=42", 16);   /* two strings, joined */
	answer(&p, 16, "\x0bv=spf1 -all", 12);
	answer(&p, 16, "\x05" "a\0b\r\n", 6);          /* bytes kept as they are */
	struct strbuf store = STRBUF_INIT;
	struct txt_record txt[DNS_TXT_MAX];
	struct dns_answer_info info;
	const char *why;
	int n;
	assert_int_equal(dns_txt_from_answer(p.b, (int)p.len, &store, txt, &n, &info, &why), DNS_OK);
	assert_int_equal(n, 3);
	assert_true(info.ad);
	assert_int_equal(txt[0].len, 14);
	assert_memory_equal(txt[0].data, "v=STSv1; id=42", 14);
	assert_memory_equal(txt[1].data, "v=spf1 -all", 11);
	assert_int_equal(txt[2].len, 5);
	assert_memory_equal(txt[2].data, "a\0b\r\n", 5);

	/* A string length past the record's end: that record is skipped. */
	start(&p, 0x80, 2, 16);
	answer(&p, 16, "\x09short", 6);
	answer(&p, 16, "\x02ok", 3);
	assert_int_equal(dns_txt_from_answer(p.b, (int)p.len, &store, txt, &n, &info, &why), DNS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(info.skipped, 1);
	assert_memory_equal(txt[0].data, "ok", 2);

	/* Only unreadable records: an error, not NODATA. */
	start(&p, 0x80, 1, 16);
	answer(&p, 16, "\x09short", 6);
	assert_int_equal(dns_txt_from_answer(p.b, (int)p.len, &store, txt, &n, &info, &why), DNS_ERROR);
	assert_int_equal(n, 0);
	assert_non_null(why);

	/* More than DNS_TXT_MAX: the rest counted. */
	start(&p, 0x80, DNS_TXT_MAX + 2, 16);
	for (int i = 0; i < DNS_TXT_MAX + 2; i++)
		answer(&p, 16, "\x01x", 2);
	assert_int_equal(dns_txt_from_answer(p.b, (int)p.len, &store, txt, &n, &info, &why), DNS_OK);
	assert_int_equal(n, DNS_TXT_MAX);
	assert_int_equal(info.skipped, 2);
	strbuf_free(&store);
}

static void test_tlsa_name(void **state)
{
	(void)state;
	char buf[300];
	assert_true(dane_tlsa_name("mx.example.org", 25, buf, sizeof buf));
	assert_string_equal(buf, "_25._tcp.mx.example.org");
	assert_true(dane_tlsa_name("mx.example.org.", 25, buf, sizeof buf));
	assert_string_equal(buf, "_25._tcp.mx.example.org");
	assert_false(dane_tlsa_name("", 25, buf, sizeof buf));
	assert_false(dane_tlsa_name(".", 25, buf, sizeof buf));
	assert_false(dane_tlsa_name("mx.example.org", 25, buf, 10));
	assert_string_equal(dane_usage_name(3), "DANE-EE");
	assert_string_equal(dane_usage_name(9), "unknown");
	assert_string_equal(dane_status_name(DANE_NO_USABLE), "no_usable_records");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsa),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_tlsa_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
