/* Unit tests for the MIME reader: decodings, charsets, structure, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

struct decode_case {
	const char *name;
	void (*fn)(const char *, size_t, struct strbuf *);
	const char *in;
	const char *want;
};

static void words(const char *s, size_t n, struct strbuf *o) { mime_decode_words(s, n, o); }
static void html(const char *s, size_t n, struct strbuf *o) { mime_html_to_text(s, n, o); }
static void latin1(const char *s, size_t n, struct strbuf *o) { mime_to_utf8("ISO-8859-1", s, n, o); }
static void koi8(const char *s, size_t n, struct strbuf *o) { mime_to_utf8("koi8-r", s, n, o); }
static void bogus(const char *s, size_t n, struct strbuf *o) { mime_to_utf8("../../etc/passwd", s, n, o); }

static const struct decode_case decode_cases[] = {
	{ "base64", mime_base64_decode, "aGVsbG8gd29ybGQ=", "hello world" },
	{ "base64 lines and garbage", mime_base64_decode, "aGVs\r\nbG8g*d29y\nbGQ=", "hello world" },
	{ "base64 truncated", mime_base64_decode, "aGVsbG", "hell" },
	{ "qp", mime_qp_decode, "caf=C3=A9 =3D ok", "caf\xc3\xa9 = ok" },
	{ "qp soft break", mime_qp_decode, "long=\r\nline=  \nend", "longlineend" },
	{ "qp bad escape", mime_qp_decode, "a=ZZb=4", "a=ZZb=4" },
	{ "2047 utf-8 Q", words, "=?UTF-8?Q?Unzustellbar=3A_caf=C3=A9?=", "Unzustellbar: caf\xc3\xa9" },
	{ "2047 latin1 B", words, "=?iso-8859-1?B?Y2Fm6Q==?=", "caf\xc3\xa9" },
	{ "2047 adjacent words", words, "=?utf-8?Q?a?= =?utf-8?Q?b?= c", "ab c" },
	{ "2047 windows-1252", words, "=?windows-1252?Q?=93x=94?=", "\xe2\x80\x9cx\xe2\x80\x9d" },
	{ "2047 broken kept", words, "=?utf-8?X?abc?= =?utf-8", "=?utf-8?X?abc?= =?utf-8" },
	{ "latin1 to utf-8", latin1, "Empf\xe4nger", "Empf\xc3\xa4nger" },
	{ "iconv charset", koi8, "\xf0\xd2\xc9", "\xd0\x9f\xd1\x80\xd0\xb8" },
	{ "odd charset name falls back", bogus, "ok \xe9", "ok \xc3\xa9" },
	{ "html", html, "<p>Hi&amp;bye</p><script>x<1</script>&#233;<br>end", "\nHi&bye\n\xc3\xa9\nend" },
};

static void test_decodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
		const struct decode_case *c = &decode_cases[i];
		struct strbuf out = STRBUF_INIT;
		c->fn(c->in, strlen(c->in), &out);
		if (strcmp(strbuf_str(&out), c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, strbuf_str(&out), c->want);
		strbuf_free(&out);
	}
}

static const char multipart[] =
	"From: MAILER-DAEMON@example.net\r\n"
	"Subject: =?utf-8?Q?Undelivered?=\r\n"
	"Content-Type: multipart/report; report-type=delivery-status;\r\n"
	"\tboundary=\"B1\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--B1\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Empf=E4nger unbekannt\r\n"
	"--B1\r\n"
	"Content-Type: message/delivery-status\r\n"
	"\r\n"
	"Final-Recipient: rfc822; bob@example.com\r\n"
	"--B1\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Return-Path: <alice@example.net>\r\n"
	"From: alice@example.net\r\n"
	"\r\n"
	"hello\r\n"
	"--B1--\r\n"
	"epilogue\r\n";

static void test_structure(void **state)
{
	(void)state;
	struct mime_message m;
	mime_parse(multipart, sizeof multipart - 1, &m);
	assert_int_equal(m.nparts, 5);
	assert_string_equal(m.parts[0].type, "multipart/report");
	char rt[32];
	assert_true(mime_param(mime_field(&m.parts[0], "content-type"), "report-type", rt, sizeof rt));
	assert_string_equal(rt, "delivery-status");
	assert_string_equal(m.parts[1].type, "text/plain");
	assert_string_equal(strbuf_str(&m.parts[1].body), "Empf\xc3\xa4nger unbekannt");
	assert_string_equal(m.parts[2].type, "message/delivery-status");
	assert_string_equal(m.parts[3].type, "message/rfc822");
	assert_int_equal(m.parts[4].enclosed, 1);
	assert_string_equal(mime_field(&m.parts[4], "Return-Path"), "<alice@example.net>");
	assert_false(m.truncated);
	mime_free(&m);
}

static void test_folding_and_mbox(void **state)
{
	(void)state;
	static const char in[] = "From alice Sun Nov 29\nSubject: one\n\nfirst\n"
	                         "From bob Sun Nov 29\nSubject: two\n  folded\t here\nX: y\n\nsecond\n";
	struct mime_message m;
	mime_parse(in, sizeof in - 1, &m);
	assert_string_equal(mime_field(&m.parts[0], "subject"), "two folded\t here");
	assert_string_equal(strbuf_str(&m.parts[0].body), "second\n");
	mime_free(&m);
}

static void test_missing_boundary(void **state)
{
	(void)state;
	/* no closing delimiter, and a multipart without a boundary: both still read */
	static const char open_end[] = "Content-Type: multipart/mixed; boundary=x\n\n--x\n\ntext one\n--x\n\ntext two\n";
	struct mime_message m;
	mime_parse(open_end, sizeof open_end - 1, &m);
	assert_int_equal(m.nparts, 3);
	assert_string_equal(strbuf_str(&m.parts[2].body), "text two\n");
	mime_free(&m);
	static const char nobound[] = "Content-Type: multipart/mixed\n\nplain words\n";
	mime_parse(nobound, sizeof nobound - 1, &m);
	assert_int_equal(m.nparts, 1);
	assert_string_equal(strbuf_str(&m.parts[0].body), "plain words\n");
	mime_free(&m);
}

/* Hostile input: nesting past the limit, a boundary that repeats, NUL bytes, a huge header. */
static void test_hostile(void **state)
{
	(void)state;
	struct strbuf in = STRBUF_INIT;
	for (int i = 0; i < 200; i++)
		strbuf_printf(&in, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	strbuf_puts(&in, "\ndeep\n");
	struct mime_message m;
	mime_parse(in.data, in.len, &m);
	assert_true(m.nparts <= MIME_PARTS_MAX);
	assert_true(m.parts[m.nparts - 1].depth <= MIME_DEPTH_MAX);
	mime_free(&m);
	strbuf_reset(&in);

	/* the same boundary at every level: no loop */
	for (int i = 0; i < 50; i++)
		strbuf_puts(&in, "Content-Type: multipart/mixed; boundary=same\n\n--same\n");
	mime_parse(in.data, in.len, &m);
	assert_true(m.nparts <= MIME_PARTS_MAX);
	mime_free(&m);
	strbuf_reset(&in);

	/* many parts */
	strbuf_puts(&in, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 1000; i++)
		strbuf_puts(&in, "--p\n\nx\n");
	mime_parse(in.data, in.len, &m);
	assert_int_equal(m.nparts, MIME_PARTS_MAX);
	assert_true(m.truncated);
	mime_free(&m);
	strbuf_reset(&in);

	/* a header of a megabyte, folded, and NUL bytes */
	strbuf_puts(&in, "Subject: x");
	for (int i = 0; i < 100000; i++)
		strbuf_puts(&in, "\n folded");
	strbuf_append(&in, "\nX-Nul: a\0b\n\nbody\0body\n", 23);
	mime_parse(in.data, in.len, &m);
	assert_true(strlen(mime_field(&m.parts[0], "Subject")) < MIME_FIELD_MAX);
	assert_int_equal(m.parts[0].body.len, 10);
	mime_free(&m);
	strbuf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decodings),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_folding_and_mbox),
		cmocka_unit_test(test_missing_boundary),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
