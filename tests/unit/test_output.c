/*
 * Unit tests for output.c: records rendered in any order and written in
 * input order; a server's TLS lines once; the address as given; notices;
 * the summary. Results are made by hand, no probe runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* A finished result at one server; tls_cipher NULL: not encrypted. */
struct fake {
	struct probe_result r;
	struct probe_attempt a;
};

static void fake_init(struct fake *f, const char *input, enum failure fail, const char *ip, const char *tls_cipher)
{
	memset(f, 0, sizeof *f);
	struct probe_result *r = &f->r;
	r->input = (char *)input;
	r->input_len = strlen(input);
	r->failure = fail;
	r->verdict = failure_verdict(fail);
	r->decided = -1;
	r->catch_all = CATCH_ALL_UNTESTED;
	for (int i = 0; i < STEP_COUNT; i++)
		r->timings_ms[i] = -1;
	if (fail == FAIL_INVALID_ADDRESS) {
		r->step = STEP_INPUT;
		r->addr_error = ADDR_ERR_NO_AT;
		r->blame = BLAME_LOCAL;
		r->category = "address_syntax";
		r->exit_status = 65;
		msg_set(&r->detail, "invalid address: %s", "t", "no @");
		return;
	}
	r->addr_ok = true;
	r->step = STEP_RCPT;
	r->blame = fail == FAIL_NONE ? BLAME_NONE : BLAME_RECIPIENT;
	r->mailbox = fail == FAIL_NONE ? MAILBOX_EXISTS : MAILBOX_NOT_FOUND;
	r->category = fail == FAIL_NONE ? "accepted" : "recipient_unknown";
	r->exit_status = fail == FAIL_NONE ? 0 : 67;
	struct probe_attempt *a = &f->a;
	snprintf(a->host, sizeof a->host, "mx.example.org");
	snprintf(a->ip, sizeof a->ip, "%s", ip);
	a->port = 25;
	a->step = STEP_RCPT;
	a->failure = fail;
	a->have_reply = true;
	a->reply.code = fail == FAIL_NONE ? 250 : 550;
	if (tls_cipher) {
		a->tls.used = true;
		snprintf(a->tls.version, sizeof a->tls.version, "TLSv1.3");
		snprintf(a->tls.cipher, sizeof a->tls.cipher, "%s", tls_cipher);
		snprintf(a->tls.subject, sizeof a->tls.subject, "CN=mx.example.org");
		snprintf(a->tls.issuer, sizeof a->tls.issuer, "CN=CA");
		snprintf(a->tls.not_after, sizeof a->tls.not_after, "2030-01-01T00:00:00Z");
		a->tls.days_left = 100;
		a->tls.verified = true;
		snprintf(a->tls.name, sizeof a->tls.name, "mx.example.org");
		a->tls.name_matched = true;
	}
	r->attempts = a;
	r->nattempts = 1;
	r->decided = 0;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Render in the order given by `order`, write in input order; stdout and stderr come back. */
static void run(struct output *o, struct fake *f, size_t n, const size_t *order, struct strbuf *out, struct strbuf *err)
{
	struct strbuf rec[8];
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		rec[i] = (struct strbuf)STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		output_render(o, &f[order[i]].r, &rec[order[i]]);
	for (size_t i = 0; i < n; i++) {
		output_write(o, strbuf_str(&rec[i]), rec[i].len, out, err);
		strbuf_free(&rec[i]);
	}
}

static void test_tls_once(void **state)
{
	(void)state;
	struct output_config c = { .format = OUTPUT_TEXT };
	struct output *o = output_new(&c);
	struct fake f[4];
	fake_init(&f[0], "a@example.org", FAIL_NONE, "192.0.2.1", "TLS_AES_256_GCM_SHA384");
	fake_init(&f[1], "b@example.org", FAIL_REJECTED, "192.0.2.1", "TLS_AES_256_GCM_SHA384");
	fake_init(&f[2], "c@example.org", FAIL_NONE, "192.0.2.2", "TLS_AES_256_GCM_SHA384");
	fake_init(&f[3], "d@example.org", FAIL_NONE, "192.0.2.1", "TLS_CHACHA20_POLY1305_SHA256");
	/* The later addresses finish first: "as above" must still point up. */
	const size_t order[] = { 3, 1, 2, 0 };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	run(o, f, 4, order, &out, &err);
	const char *s = strbuf_str(&out);
	assert_int_equal(count(s, "  cert     "), 3);    /* 192.0.2.1, 192.0.2.2, then .1 with other TLS */
	assert_int_equal(count(s, "as above for mx.example.org [192.0.2.1]:25\n"), 1);
	const char *a = strstr(s, "ACCEPTED  a@"), *b = strstr(s, "REJECTED  b@"), *same = strstr(s, "as above");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < strstr(s, "  cert") && strstr(s, "  cert") < b && b < same);
	/* d: the same server, another TLS session: in full. */
	assert_non_null(strstr(strstr(s, "ACCEPTED  d@"), "TLS_CHACHA20_POLY1305_SHA256"));
	assert_int_equal(err.len, 0);
	strbuf_free(&out);
	strbuf_free(&err);
	output_free(o);
}

static void test_given(void **state)
{
	(void)state;
	struct output_config c = { .format = OUTPUT_LINE, .notice_invalid = true };
	struct output *o = output_new(&c);
	const char *alice = "Alice Example <alice@example.org>";
	output_given(o, "alice@example.org", 17, "alice@example.org", 17, NULL);
	output_given(o, "alice@example.org", 17, alice, strlen(alice), NULL);
	output_given(o, "xxxx", 4, "xxxx...", 7, "the line is too long");
	struct fake f[3];
	fake_init(&f[0], "alice@example.org", FAIL_NONE, "192.0.2.1", NULL);
	fake_init(&f[1], "alice@example.org", FAIL_NONE, "192.0.2.1", NULL);
	fake_init(&f[2], "xxxx", FAIL_INVALID_ADDRESS, "", NULL);
	const size_t order[] = { 0, 1, 2 };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	run(o, f, 3, order, &out, &err);
	const char *s = strbuf_str(&out);
	assert_non_null(strstr(s, "accepted\talice@example.org\trcpt\t"));
	assert_non_null(strstr(s, "accepted\tAlice Example <alice@example.org>\trcpt\t"));
	assert_non_null(strstr(s, "error\txxxx...\tinput\t"));
	assert_non_null(strstr(s, "\tinvalid address: the line is too long\n"));
	assert_string_equal(strbuf_str(&err), "smtpprobe: invalid address \"xxxx...\": the line is too long\n");
	strbuf_free(&out);
	strbuf_free(&err);
	output_free(o);
}

/* Many occurrences of one address, given in different forms: shown in queue order. */
static void test_given_order(void **state)
{
	(void)state;
	struct output_config c = { .format = OUTPUT_LINE };
	struct output *o = output_new(&c);
	const char *addr = "a@example.org";
	/* plain, plain, named, plain, named, ... : the list starts after two plain ones. */
	char want[40][40];
	for (int i = 0; i < 40; i++) {
		if (i < 2 || i % 3 == 0)
			snprintf(want[i], sizeof want[i], "%s", addr);
		else
			snprintf(want[i], sizeof want[i], "N%d <%s>", i, addr);
		output_given(o, addr, strlen(addr), want[i], strlen(want[i]), NULL);
	}
	struct fake f;
	fake_init(&f, addr, FAIL_NONE, "192.0.2.1", NULL);
	for (int i = 0; i < 40; i++) {
		struct strbuf rec = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
		output_render(o, &f.r, &rec);
		output_write(o, strbuf_str(&rec), rec.len, &out, &err);
		char prefix[64];
		snprintf(prefix, sizeof prefix, "accepted\t%s\t", want[i]);
		assert_true(strncmp(strbuf_str(&out), prefix, strlen(prefix)) == 0);
		strbuf_free(&rec);
		strbuf_free(&out);
		strbuf_free(&err);
	}
	/* More results than were queued: the address as probed. */
	struct strbuf rec = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	output_render(o, &f.r, &rec);
	output_write(o, strbuf_str(&rec), rec.len, &out, &err);
	assert_true(strncmp(strbuf_str(&out), "accepted\ta@example.org\t", 23) == 0);
	strbuf_free(&rec);
	strbuf_free(&out);
	strbuf_free(&err);
	output_free(o);
}

/*
 * A long run: the addresses whose results are all out are dropped from the
 * table now and then (it would otherwise hold every address of the list),
 * and the ones still queued keep their forms across that.
 */
static void test_given_long_run(void **state)
{
	(void)state;
	enum { N = 20000, AHEAD = 300 };
	struct output_config c = { .format = OUTPUT_LINE };
	struct output *o = output_new(&c);
	char addr[32], form[64];
	int queued = 0;
	for (int done = 0; done < N; done++) {
		/* keep AHEAD queued, each in its own form */
		for (; queued < N && queued < done + AHEAD; queued++) {
			snprintf(addr, sizeof addr, "u%d@example.org", queued);
			snprintf(form, sizeof form, "U%d <%s>", queued, addr);
			output_given(o, addr, strlen(addr), form, strlen(form), NULL);
		}
		snprintf(addr, sizeof addr, "u%d@example.org", done);
		struct fake f;
		fake_init(&f, addr, FAIL_NONE, "192.0.2.1", NULL);
		struct strbuf rec = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
		output_render(o, &f.r, &rec);
		output_write(o, strbuf_str(&rec), rec.len, &out, &err);
		char prefix[96];
		snprintf(prefix, sizeof prefix, "accepted\tU%d <%s>\t", done, addr);
		if (strncmp(strbuf_str(&out), prefix, strlen(prefix)) != 0)
			fail_msg("result %d: got \"%s\", want the form \"%s\"", done, strbuf_str(&out), prefix);
		strbuf_free(&rec);
		strbuf_free(&out);
		strbuf_free(&err);
	}
	output_free(o);
}

/* Several records in one write, and the CSV header first. */
static void test_csv_records(void **state)
{
	(void)state;
	struct output_config c = { .format = OUTPUT_CSV };
	struct output *o = output_new(&c);
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, recs = STRBUF_INIT;
	output_begin(o, &out);
	assert_true(strncmp(strbuf_str(&out), "\"verdict\",\"address\",", 20) == 0);
	struct fake f[2];
	fake_init(&f[0], "a@example.org", FAIL_NONE, "192.0.2.1", NULL);
	fake_init(&f[1], "nope", FAIL_INVALID_ADDRESS, "", NULL);
	output_render(o, &f[0].r, &recs);
	output_render(o, &f[1].r, &recs);
	output_write(o, strbuf_str(&recs), recs.len, &out, &err);
	assert_int_equal(count(strbuf_str(&out), "\r\n"), 3);
	assert_non_null(strstr(strbuf_str(&out), "\r\n\"accepted\",\"a@example.org\","));
	assert_non_null(strstr(strbuf_str(&out), "\r\n\"error\",\"nope\",\"input\",\"invalid_address\","));
	assert_int_equal(err.len, 0);   /* notices were not asked for */
	/* Bytes that are not a record are passed through. */
	strbuf_reset(&out);
	output_write(o, "plain", 5, &out, &err);
	assert_string_equal(strbuf_str(&out), "plain");
	strbuf_free(&out);
	strbuf_free(&err);
	strbuf_free(&recs);
	output_free(o);
}

static void test_summary(void **state)
{
	(void)state;
	struct output_config c = { .format = OUTPUT_JSON };
	struct output *o = output_new(&c);
	struct fake f[4];
	fake_init(&f[0], "a@example.org", FAIL_NONE, "192.0.2.1", NULL);
	fake_init(&f[1], "b@example.org", FAIL_REJECTED, "192.0.2.1", NULL);
	fake_init(&f[2], "c@example.org", FAIL_NONE, "192.0.2.1", NULL);
	fake_init(&f[3], "nope", FAIL_INVALID_ADDRESS, "", NULL);
	struct strbuf rec = STRBUF_INIT, sum = STRBUF_INIT;
	for (int i = 0; i < 4; i++)
		output_render(o, &f[i].r, &rec);
	assert_int_equal(output_count(o), 4);
	output_summary(o, 65, &sum);
	assert_string_equal(strbuf_str(&sum),
	                    "summary: 4 addresses: accepted 2, rejected 1, tempfail 0, error 1 (exit status 65)\n"
	                    "  by category: accepted 2, address_syntax 1, recipient_unknown 1\n"
	                    "  by blame: none 2, local 1, recipient 1\n");
	strbuf_free(&rec);
	strbuf_free(&sum);
	output_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_once),
		cmocka_unit_test(test_given),
		cmocka_unit_test(test_given_order),
		cmocka_unit_test(test_given_long_run),
		cmocka_unit_test(test_csv_records),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
