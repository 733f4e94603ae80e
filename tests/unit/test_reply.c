/* Unit tests for the SMTP reply reader: well-formed, multi-line and broken replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "reply.h"

/* Feed all of input; return the status of the first complete (or bad) reply. */
static enum reply_status feed_all(struct reply_reader *rr, const char *input, size_t len, size_t *consumed)
{
	size_t used = 0;
	enum reply_status st = reply_reader_feed(rr, input, len, &used);
	*consumed = used;
	return st;
}

struct reply_case {
	const char *name;
	const char *input;
	enum reply_status status;
	int code;
	const char *enhanced;
	const char *text;
	unsigned notes;
};

static const struct reply_case cases[] = {
	{ "single", "250 OK\r\n", REPLY_DONE, 250, "", "OK", 0 },
	{ "enhanced", "550 5.1.1 <u@x>: User unknown\r\n", REPLY_DONE, 550, "5.1.1", "<u@x>: User unknown", 0 },
	{ "code only", "250\r\n", REPLY_DONE, 250, "", "", 0 },
	{ "multi-line", "250-mx.example\r\n250-SIZE 100\r\n250 8BITMIME\r\n", REPLY_DONE, 250, "", "mx.example\nSIZE 100\n8BITMIME", 0 },
	{ "multi enhanced", "550-5.7.1 first\r\n550 5.7.1 second\r\n", REPLY_DONE, 550, "5.7.1", "first\nsecond", 0 },
	{ "bare LF", "220 hi\n", REPLY_DONE, 220, "", "hi", REPLY_NOTE_BARE_LF },
	{ "enhanced class mismatch", "550 2.0.0 odd\r\n", REPLY_DONE, 550, "", "2.0.0 odd", REPLY_NOTE_ENHANCED_MISMATCH },
	{ "not enhanced", "250 2.0 short\r\n", REPLY_DONE, 250, "", "2.0 short", 0 },
	{ "non-ascii", "220 h\xc3\xa9llo\r\n", REPLY_DONE, 220, "", "h\xc3\xa9llo", REPLY_NOTE_NON_ASCII },
	{ "control", "220 a\x01" "b\r\n", REPLY_DONE, 220, "", "a\x01" "b", REPLY_NOTE_CONTROL },
	{ "C1 control", "220 a\xc2\x9b" "b\r\n", REPLY_DONE, 220, "", "a\xc2\x9b" "b", REPLY_NOTE_NON_ASCII | REPLY_NOTE_CONTROL },
	{ "bidi override", "550 a\xe2\x80\xae" "b\r\n", REPLY_DONE, 550, "", "a\xe2\x80\xae" "b", REPLY_NOTE_NON_ASCII | REPLY_NOTE_INVISIBLE },
	{ "zero-width space", "550 a\xe2\x80\x8b" "b\r\n", REPLY_DONE, 550, "", "a\xe2\x80\x8b" "b", REPLY_NOTE_NON_ASCII | REPLY_NOTE_INVISIBLE },
	{ "Latin-1 is no C1", "220 \x9b\xe9\r\n", REPLY_DONE, 220, "", "\x9b\xe9", REPLY_NOTE_NON_ASCII },
	{ "incomplete line", "250 OK", REPLY_MORE, 0, "", "", 0 },
	{ "incomplete reply", "250-one\r\n", REPLY_MORE, 0, "", "", 0 },
	{ "garbage", "HTTP/1.1 400 Bad Request\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "bad separator", "250xOK\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code 571", "571 Delivery not authorized\r\n", REPLY_DONE, 571, "", "Delivery not authorized", REPLY_NOTE_NONSTANDARD_CODE },
	{ "code 570 enhanced", "570 5.7.7 Email not accepted for policy reasons\r\n", REPLY_DONE, 570, "5.7.7", "Email not accepted for policy reasons", REPLY_NOTE_NONSTANDARD_CODE },
	{ "code 460 multi-line", "460-first\r\n460 second\r\n", REPLY_DONE, 460, "", "first\nsecond", REPLY_NOTE_NONSTANDARD_CODE },
	{ "code 299", "299 odd\r\n", REPLY_DONE, 299, "", "odd", REPLY_NOTE_NONSTANDARD_CODE },
	{ "code 559 is standard", "559 no\r\n", REPLY_DONE, 559, "", "no", 0 },
	{ "code 5541", "5541 no\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code 5x1", "5x1 no\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code 671", "671 no\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code 171", "171 no\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code 600", "600 no\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code 199", "199 no\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "code change", "250-a\r\n251 b\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "short", "25\r\n", REPLY_BAD, 0, "", "", 0 },
	{ "empty line", "\r\n", REPLY_BAD, 0, "", "", 0 },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct reply_case *c = &cases[i];
		struct reply_reader rr;
		reply_reader_init(&rr);
		size_t used;
		enum reply_status st = feed_all(&rr, c->input, strlen(c->input), &used);
		if (st != c->status)
			fail_msg("%s: status %d, want %d", c->name, st, c->status);
		if (st == REPLY_DONE) {
			assert_int_equal(rr.reply.code, c->code);
			assert_string_equal(rr.reply.enhanced, c->enhanced);
			assert_string_equal(strbuf_str(&rr.reply.text), c->text);
			if (rr.reply.notes != c->notes)
				fail_msg("%s: notes %#x, want %#x", c->name, rr.reply.notes, c->notes);
			assert_int_equal(used, strlen(c->input));
		}
		if (st == REPLY_BAD)
			assert_true(!msg_empty(&rr.error));
		reply_reader_free(&rr);
	}
}

/* The note a 571 carries says what is odd about it. */
static void test_nonstandard_note(void **state)
{
	(void)state;
	assert_non_null(strstr(reply_note_text(REPLY_NOTE_NONSTANDARD_CODE), "outside RFC 5321"));
}

static void test_byte_at_a_time(void **state)
{
	(void)state;
	const char *in = "250-mx\r\n250-PIPELINING\r\n250 SIZE 5\r\n";
	struct reply_reader rr;
	reply_reader_init(&rr);
	struct strbuf buf = STRBUF_INIT;
	enum reply_status st = REPLY_MORE;
	for (size_t i = 0; in[i]; i++) {
		strbuf_putc(&buf, in[i]);
		size_t used;
		st = reply_reader_feed(&rr, buf.data, buf.len, &used);
		strbuf_consume(&buf, used);
		if (st != REPLY_MORE)
			break;
	}
	assert_int_equal(st, REPLY_DONE);
	assert_int_equal(rr.reply.nlines, 3);
	assert_string_equal(strbuf_str(&rr.reply.text), "mx\nPIPELINING\nSIZE 5");
	strbuf_free(&buf);
	reply_reader_free(&rr);
}

static void test_two_replies_in_one_buffer(void **state)
{
	(void)state;
	const char *in = "220 hi\r\n250 ok\r\n";
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used;
	assert_int_equal(reply_reader_feed(&rr, in, strlen(in), &used), REPLY_DONE);
	assert_int_equal(used, 8);
	assert_int_equal(rr.reply.code, 220);
	reply_reader_next(&rr);
	assert_int_equal(reply_reader_feed(&rr, in + used, strlen(in) - used, &used), REPLY_DONE);
	assert_int_equal(rr.reply.code, 250);
	assert_string_equal(strbuf_str(&rr.reply.text), "ok");
	reply_reader_free(&rr);
}

/* An overlong line is cut and the rest dropped; the next reply still parses. */
static void test_overlong_line(void **state)
{
	(void)state;
	struct strbuf in = STRBUF_INIT;
	strbuf_puts(&in, "220 ");
	for (int i = 0; i < 5000; i++)
		strbuf_putc(&in, 'x');
	strbuf_puts(&in, "\r\n250 next\r\n");
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used;
	assert_int_equal(reply_reader_feed(&rr, in.data, in.len, &used), REPLY_DONE);
	assert_int_equal(rr.reply.code, 220);
	assert_true(rr.reply.notes & REPLY_NOTE_LINE_CUT);
	assert_int_equal(rr.reply.text.len, REPLY_LINE_MAX - 4);
	reply_reader_next(&rr);
	size_t used2;
	assert_int_equal(reply_reader_feed(&rr, in.data + used, in.len - used, &used2), REPLY_DONE);
	assert_int_equal(rr.reply.code, 250);
	reply_reader_free(&rr);
	strbuf_free(&in);
}

/*
 * A line with no end in sight is cut, its rest dropped as it comes (memory
 * stays bounded), but the reply is complete only when the line ends: a
 * client that took it for complete would send EHLO while the server is
 * still mid-line, and read the rest of the line as the EHLO reply.
 */
static void test_cut_line_waits_for_its_end(void **state)
{
	(void)state;
	char chunk[3000];
	memset(chunk, 'y', sizeof chunk);
	memcpy(chunk, "220 ", 4);
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used;
	assert_int_equal(reply_reader_feed(&rr, chunk, sizeof chunk, &used), REPLY_MORE);
	assert_int_equal(used, sizeof chunk);
	assert_true(rr.reply.notes & REPLY_NOTE_LINE_CUT);  /* noted at once, for a timeout's report */
	memset(chunk, 'z', sizeof chunk);
	assert_int_equal(reply_reader_feed(&rr, chunk, sizeof chunk, &used), REPLY_MORE);
	assert_int_equal(used, sizeof chunk);
	assert_int_equal(reply_reader_feed(&rr, "zz\r\n250 ok\r\n", 12, &used), REPLY_DONE);
	assert_int_equal(used, 4);
	assert_int_equal(rr.reply.code, 220);
	assert_int_equal(rr.reply.text.len, REPLY_LINE_MAX - 4);
	assert_int_equal(strspn(strbuf_str(&rr.reply.text), "y"), REPLY_LINE_MAX - 4);
	assert_false(rr.reply.notes & REPLY_NOTE_BARE_LF);
	reply_reader_next(&rr);
	assert_int_equal(reply_reader_feed(&rr, "250 ok\r\n", 8, &used), REPLY_DONE);
	assert_int_equal(rr.reply.code, 250);
	assert_string_equal(strbuf_str(&rr.reply.text), "ok");
	assert_false(rr.reply.notes & REPLY_NOTE_LINE_CUT);
	reply_reader_free(&rr);
}

/*
 * Feed `in` in pieces of `chunk` octets, as a socket would deliver it, the
 * caller keeping what the reader did not use (as smtp.c does). Returns the
 * offset in `in` at which each reply completed, in want[] order.
 */
static void feed_in_pieces(const struct strbuf *in, size_t chunk, size_t *done_at, int ndone,
			   struct reply *replies)
{
	struct reply_reader rr;
	reply_reader_init(&rr);
	struct strbuf buf = STRBUF_INIT;
	int got = 0;
	for (size_t off = 0; off < in->len;) {
		size_t n = in->len - off < chunk ? in->len - off : chunk;
		strbuf_append(&buf, in->data + off, n);
		off += n;
		for (;;) {
			size_t used;
			enum reply_status st = reply_reader_feed(&rr, buf.data, buf.len, &used);
			assert_true(used <= buf.len);
			/* Only the unfinished start of one short line is ever left to the caller. */
			strbuf_consume(&buf, used);
			if (st == REPLY_MORE)
				break;
			assert_int_equal(st, REPLY_DONE);
			assert_true(got < ndone);
			/* Complete exactly where its last line ended: nothing of it is left over. */
			done_at[got] = off - buf.len;
			reply_copy(&replies[got], &rr.reply);
			got++;
			reply_reader_next(&rr);
		}
		assert_true(buf.len <= REPLY_LINE_MAX);
	}
	assert_int_equal(got, ndone);
	strbuf_free(&buf);
	reply_reader_free(&rr);
}

static void test_cut_line_in_pieces(void **state)
{
	(void)state;
	struct strbuf in = STRBUF_INIT;
	/* The cut line is the last of its reply: the reply ends where the line does. */
	strbuf_puts(&in, "220-first\r\n220 ");
	for (int i = 0; i < 1500; i++)
		strbuf_putc(&in, 'x');
	strbuf_puts(&in, "\r\n");
	size_t first_end = in.len;
	strbuf_puts(&in, "250 next\r\n");
	static const size_t chunks[] = { 1, 2, 3, 7, 999, 1000, 1001, 1003, 1014, 1015, 1516, 1517, 4096 };
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		size_t done_at[2];
		struct reply replies[2] = { 0 };
		feed_in_pieces(&in, chunks[c], done_at, 2, replies);
		if (done_at[0] != first_end)
			fail_msg("pieces of %zu: first reply complete at %zu, want %zu", chunks[c], done_at[0], first_end);
		assert_int_equal(done_at[1], in.len);
		assert_int_equal(replies[0].code, 220);
		assert_int_equal(replies[0].nlines, 2);
		assert_int_equal(replies[0].text.len, strlen("first\n") + REPLY_LINE_MAX - 4);
		assert_true(replies[0].notes & REPLY_NOTE_LINE_CUT);
		if (replies[0].notes & REPLY_NOTE_BARE_LF)
			fail_msg("pieces of %zu: a CRLF split across pieces is no bare LF", chunks[c]);
		assert_int_equal(replies[1].code, 250);
		assert_string_equal(strbuf_str(&replies[1].text), "next");
		reply_free(&replies[0]);
		reply_free(&replies[1]);
	}
	strbuf_free(&in);
}

/* A cut line that ends in a bare LF says so, whichever piece the LF comes in. */
static void test_cut_line_bare_lf(void **state)
{
	(void)state;
	struct strbuf in = STRBUF_INIT;
	strbuf_puts(&in, "220 ");
	for (int i = 0; i < 1996; i++)
		strbuf_putc(&in, 'x');
	strbuf_puts(&in, "\n");
	static const size_t chunks[] = { 1, 1001, 2000, 4096 };
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		size_t done_at;
		struct reply r = { 0 };
		feed_in_pieces(&in, chunks[c], &done_at, 1, &r);
		assert_int_equal(done_at, in.len);
		assert_true(r.notes & REPLY_NOTE_BARE_LF);
		assert_true(r.notes & REPLY_NOTE_LINE_CUT);
		reply_free(&r);
	}
	strbuf_free(&in);
}

/* An endless line, or endless lines, end as a protocol error at REPLY_OCTETS_MAX. */
static void test_octet_cap(void **state)
{
	(void)state;
	struct reply_reader rr;
	reply_reader_init(&rr);
	char chunk[4096];
	memset(chunk, 'x', sizeof chunk);
	memcpy(chunk, "220 ", 4);
	size_t fed = 0, used;
	enum reply_status st;
	do {
		st = reply_reader_feed(&rr, chunk, sizeof chunk, &used);
		assert_int_equal(used, sizeof chunk);
		fed += used;
		memset(chunk, 'x', 4);
	} while (st == REPLY_MORE && fed < 10 * REPLY_OCTETS_MAX);
	assert_int_equal(st, REPLY_BAD);
	assert_true(fed > REPLY_OCTETS_MAX && fed <= REPLY_OCTETS_MAX + sizeof chunk);
	struct strbuf m = STRBUF_INIT;
	msg_format(&rr.error, false, &m);
	assert_non_null(strstr(strbuf_str(&m), "longer than 65536 octets"));
	strbuf_free(&m);
	reply_reader_free(&rr);

	/* Many long lines, fewer than REPLY_LINES_MAX: the same. */
	struct strbuf in = STRBUF_INIT;
	for (int i = 0; i < 100; i++) {
		strbuf_puts(&in, "250-");
		for (int k = 0; k < 990; k++)
			strbuf_putc(&in, 'x');
		strbuf_puts(&in, "\r\n");
	}
	strbuf_puts(&in, "250 end\r\n");
	reply_reader_init(&rr);
	assert_int_equal(reply_reader_feed(&rr, in.data, in.len, &used), REPLY_BAD);
	reply_reader_free(&rr);

	/* Just under the cap is a reply like any other. */
	strbuf_reset(&in);
	for (int i = 0; i < 65; i++) {
		strbuf_puts(&in, "250-");
		for (int k = 0; k < 990; k++)
			strbuf_putc(&in, 'x');
		strbuf_puts(&in, "\r\n");
	}
	strbuf_puts(&in, "250 end\r\n");
	assert_true(in.len <= REPLY_OCTETS_MAX);
	reply_reader_init(&rr);
	assert_int_equal(reply_reader_feed(&rr, in.data, in.len, &used), REPLY_DONE);
	assert_int_equal(rr.reply.nlines, 66);
	/* ... and the count starts again with the next one. */
	reply_reader_next(&rr);
	assert_int_equal(reply_reader_feed(&rr, in.data, in.len, &used), REPLY_DONE);
	reply_reader_free(&rr);
	strbuf_free(&in);
}

static void test_too_many_lines(void **state)
{
	(void)state;
	struct strbuf in = STRBUF_INIT;
	for (int i = 0; i < REPLY_LINES_MAX + 5; i++)
		strbuf_puts(&in, "250-x\r\n");
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used;
	assert_int_equal(reply_reader_feed(&rr, in.data, in.len, &used), REPLY_BAD);
	reply_reader_free(&rr);
	strbuf_free(&in);
}

static void test_enhanced_len(void **state)
{
	(void)state;
	assert_int_equal(reply_enhanced_len("5.1.1 x", 7), 5);
	assert_int_equal(reply_enhanced_len("4.7.100", 7), 7);
	assert_int_equal(reply_enhanced_len("5.1.1000", 8), 0);
	assert_int_equal(reply_enhanced_len("3.1.1", 5), 0);
	assert_int_equal(reply_enhanced_len("5.1.", 4), 0);
	assert_int_equal(reply_enhanced_len("5.1.1x", 6), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_nonstandard_note),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_two_replies_in_one_buffer),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_cut_line_waits_for_its_end),
		cmocka_unit_test(test_cut_line_in_pieces),
		cmocka_unit_test(test_cut_line_bare_lf),
		cmocka_unit_test(test_octet_cap),
		cmocka_unit_test(test_too_many_lines),
		cmocka_unit_test(test_enhanced_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
