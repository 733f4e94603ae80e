/*
 * Unit tests for the SMTP state machine over an in-memory transport: each
 * scenario scripts what the server says and what the client must send next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"

#define EOF_ "\x01EOF"
#define TIMEOUT_ "\x01TIMEOUT"

struct turn {
	const char *server;  /* bytes the server sends, or EOF_ / TIMEOUT_ */
	const char *client;  /* exact bytes the client must have queued afterwards ("" = none) */
};

struct scenario {
	const char *name;
	const char *mail_from;
	bool smtputf8;
	uint64_t size;
	struct turn turns[8];
	enum step step;
	enum failure failure;
	int code;
};

#define GREET { "220 mx.test ESMTP\r\n", "EHLO probe.test\r\n" }

static const struct scenario scenarios[] = {
	{ "accepted: QUIT right after the verdict", "", false, 0, {
		GREET,
		{ "250-mx.test\r\n250 8BITMIME\r\n", "MAIL FROM:<>\r\n" },
		{ "250 2.1.0 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "250 2.1.5 Ok\r\n", "QUIT\r\n" },
		{ "221 2.0.0 Bye\r\n", "" } }, STEP_RCPT, FAIL_NONE, 250 },
	{ "pipelining: MAIL, RCPT and QUIT in one flight", "", false, 0, {
		GREET,
		{ "250-mx.test\r\n250 PIPELINING\r\n", "MAIL FROM:<>\r\nRCPT TO:<user@example.test>\r\nQUIT\r\n" },
		{ "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n", "" } }, STEP_RCPT, FAIL_NONE, 250 },
	{ "pipelining: MAIL refused, the RCPT answer ignored", "", false, 0, {
		GREET,
		{ "250-mx.test\r\n250 PIPELINING\r\n", "MAIL FROM:<>\r\nRCPT TO:<user@example.test>\r\nQUIT\r\n" },
		{ "550 5.7.1 Sender rejected\r\n503 5.5.1 need MAIL\r\n221 Bye\r\n", "" } }, STEP_MAIL, FAIL_REJECTED, 550 },
	{ "rcpt 550", "", false, 0, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" },
		{ "250 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "550 5.1.1 <user@example.test>: User unknown\r\n", "QUIT\r\n" },
		{ "221 Bye\r\n", "" } }, STEP_RCPT, FAIL_REJECTED, 550 },
	{ "ehlo refused, helo", "", false, 0, {
		GREET,
		{ "502 5.5.2 Error: command not recognized\r\n", "HELO probe.test\r\n" },
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" },
		{ "250 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "250 Ok\r\n", "QUIT\r\n" } }, STEP_RCPT, FAIL_NONE, 250 },
	{ "helo refused too", "", false, 0, {
		GREET,
		{ "500 no\r\n", "HELO probe.test\r\n" },
		{ "501 5.5.4 bad\r\n", "QUIT\r\n" } }, STEP_HELO, FAIL_REJECTED, 501 },
	{ "greeting 554", "", false, 0, {
		{ "554 5.7.1 You are not welcome\r\n", "QUIT\r\n" },
		{ "221 Bye\r\n", "" } }, STEP_BANNER, FAIL_REJECTED, 554 },
	{ "greeting 421 closes", "", false, 0, {
		{ "421 4.3.2 Service not available\r\n", "" } }, STEP_BANNER, FAIL_TEMPFAIL, 421 },
	{ "ehlo 421", "", false, 0, {
		GREET,
		{ "421 4.7.0 too many\r\n", "" } }, STEP_EHLO, FAIL_TEMPFAIL, 421 },
	{ "mail 451", "", false, 0, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" },
		{ "451 4.3.0 try later\r\n", "QUIT\r\n" } }, STEP_MAIL, FAIL_TEMPFAIL, 451 },
	{ "mail 550 with sender", "a@b.test", false, 0, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<a@b.test>\r\n" },
		{ "550 5.7.1 Sender rejected\r\n", "QUIT\r\n" } }, STEP_MAIL, FAIL_REJECTED, 550 },
	{ "size above the advertised limit", "", false, 5000, {
		GREET,
		{ "250-mx.test\r\n250 SIZE 1000\r\n", "QUIT\r\n" } }, STEP_MAIL, FAIL_SIZE_EXCEEDED, 0 },
	{ "size within the advertised limit", "", false, 5000, {
		GREET,
		{ "250-mx.test\r\n250 SIZE 10000\r\n", "MAIL FROM:<> SIZE=5000\r\n" },
		{ "552 5.3.4 Message size exceeds fixed limit\r\n", "QUIT\r\n" } }, STEP_MAIL, FAIL_REJECTED, 552 },
	{ "size advertised without a limit", "", false, 5000, {
		GREET,
		{ "250-mx.test\r\n250 SIZE\r\n", "MAIL FROM:<> SIZE=5000\r\n" } }, STEP_MAIL, FAIL_NONE, 0 },
	{ "size not advertised", "", false, 5000, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" } }, STEP_MAIL, FAIL_NONE, 0 },
	{ "smtputf8 missing", "", true, 0, {
		GREET,
		{ "250-mx.test\r\n250 8BITMIME\r\n", "QUIT\r\n" },
		{ "221 Bye\r\n", "" } }, STEP_EHLO, FAIL_SMTPUTF8, 0 },
	{ "smtputf8 offered", "", true, 0, {
		GREET,
		{ "250-mx.test\r\n250 SMTPUTF8\r\n", "MAIL FROM:<> SMTPUTF8\r\n" } }, STEP_MAIL, FAIL_NONE, 0 },
	{ "garbage greeting", "", false, 0, {
		{ "HTTP/1.1 400 Bad Request\r\n", "" } }, STEP_BANNER, FAIL_PROTOCOL, 0 },
	{ "code change in ehlo", "", false, 0, {
		GREET,
		{ "250-mx.test\r\n251 odd\r\n", "" } }, STEP_EHLO, FAIL_PROTOCOL, 0 },
	{ "dropped after mail", "", false, 0, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" },
		{ "250 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ EOF_, "" } }, STEP_RCPT, FAIL_CLOSED, 0 },
	{ "silent server", "", false, 0, {
		{ TIMEOUT_, "" } }, STEP_BANNER, FAIL_TIMEOUT, 0 },
	{ "greylisted", "", false, 0, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" },
		{ "250 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "450 4.2.0 Greylisted\r\n", "QUIT\r\n" } }, STEP_RCPT, FAIL_TEMPFAIL, 450 },
	{ "quit unanswered keeps verdict", "", false, 0, {
		GREET,
		{ "250 mx.test\r\n", "MAIL FROM:<>\r\n" },
		{ "250 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "250 Ok\r\n", "QUIT\r\n" },
		{ TIMEOUT_, "" } }, STEP_RCPT, FAIL_NONE, 250 },
};

struct log {
	int sent;
	bool forbidden;
	int transitions;
};

static void on_event(void *ctx, const struct smtp_event *ev)
{
	struct log *log = ctx;
	if (ev->type == SMTP_EV_SENT) {
		log->sent++;
		if (ev->len >= 4 && (strncasecmp(ev->line, "DATA", 4) == 0 || strncasecmp(ev->line, "BDAT", 4) == 0))
			log->forbidden = true;
	} else if (ev->type == SMTP_EV_STATE) {
		log->transitions++;
	}
}

static void run(const struct scenario *sc)
{
	struct smtp_params p = {
		.helo = "probe.test",
		.mail_from = sc->mail_from,
		.rcpt_to = "user@example.test",
		.need_smtputf8 = sc->smtputf8,
		.size = sc->size,
	};
	struct log log = { 0 };
	struct smtp_session *s = smtp_new(&p, on_event, &log);
	assert_non_null(s);
	size_t len;
	smtp_output(s, &len);
	assert_int_equal(len, 0); /* nothing is said before the greeting */

	for (size_t i = 0; i < 8 && sc->turns[i].server; i++) {
		const struct turn *t = &sc->turns[i];
		if (strcmp(t->server, EOF_) == 0)
			smtp_eof(s);
		else if (strcmp(t->server, TIMEOUT_) == 0)
			smtp_timeout(s);
		else
			smtp_feed(s, t->server, strlen(t->server));
		const char *out = smtp_output(s, &len);
		if (len != strlen(t->client) || memcmp(out, t->client, len) != 0)
			fail_msg("%s, turn %zu: client sent \"%.*s\", want \"%s\"", sc->name, i, (int)len, out, t->client);
		smtp_output_done(s, len);
	}
	if (sc->code || sc->failure != FAIL_NONE) {
		assert_true(smtp_finished(s));
		const struct smtp_outcome *oc = smtp_outcome(s);
		if (oc->step != sc->step || oc->failure != sc->failure)
			fail_msg("%s: outcome %s/%s, want %s/%s", sc->name, step_name(oc->step),
			         failure_name(oc->failure), step_name(sc->step), failure_name(sc->failure));
		assert_int_equal(oc->have_reply ? oc->reply.code : 0, sc->code);
		if (sc->failure == FAIL_PROTOCOL || sc->failure == FAIL_CLOSED || sc->failure == FAIL_TIMEOUT)
			assert_int_equal(smtp_state(s), SMTP_DONE);
	}
	assert_false(log.forbidden);
	assert_true(log.transitions > 0 || sc->turns[0].server == NULL || smtp_state(s) == SMTP_BANNER);
	smtp_free(s);
}

static void test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		run(&scenarios[i]);
}

/* Replies split at every byte boundary give the same walk. */
static void test_split_feed(void **state)
{
	(void)state;
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpt_to = "u@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	const char *wire = "220-mx\r\n220 ready\r\n";
	for (size_t i = 0; wire[i]; i++)
		smtp_feed(s, wire + i, 1);
	size_t len;
	const char *out = smtp_output(s, &len);
	assert_int_equal(len, strlen("EHLO h\r\n"));
	assert_memory_equal(out, "EHLO h\r\n", len);
	assert_int_equal(smtp_state(s), SMTP_EHLO);
	smtp_free(s);
}

/* Once done, further input is ignored and nothing more is sent. */
static void test_done_is_final(void **state)
{
	(void)state;
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpt_to = "u@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	smtp_feed(s, "421 bye\r\n", 9);
	assert_int_equal(smtp_state(s), SMTP_DONE);
	smtp_feed(s, "220 again\r\n", 11);
	size_t len;
	smtp_output(s, &len);
	assert_int_equal(len, 0);
	assert_int_equal(smtp_outcome(s)->reply.code, 421);
	smtp_free(s);
}

static void test_caps_kept(void **state)
{
	(void)state;
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpt_to = "u@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	assert_null(smtp_caps(s));
	smtp_feed(s, "220 x\r\n", 7);
	size_t len;
	smtp_output(s, &len);
	smtp_output_done(s, len);
	smtp_feed(s, "250-mx\r\n250-PIPELINING\r\n250 SIZE 42\r\n", 37);
	const struct ehlo_caps *c = smtp_caps(s);
	assert_non_null(c);
	assert_int_equal(c->size, 42);
	assert_true(c->ext & EHLO_PIPELINING);
	smtp_free(s);
}

/* Feed the server's bytes, then take (and write) what the client queued. */
static char *say(struct smtp_session *s, const char *server)
{
	smtp_feed(s, server, strlen(server));
	size_t len;
	const char *out = smtp_output(s, &len);
	char *copy = strndup(out, len);
	smtp_output_done(s, len);
	return copy;
}

static void expect_said(struct smtp_session *s, const char *server, const char *client)
{
	char *got = say(s, server);
	if (strcmp(got, client) != 0)
		fail_msg("after \"%s\": client sent \"%s\", want \"%s\"", server, got, client);
	free(got);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Several recipients in one session: one MAIL FROM, the RCPTs in one pipelined group, each its own answer. */
static void test_many_recipients(void **state)
{
	(void)state;
	const char *rcpts[] = { "a@x.test", "b@x.test", "c@x.test" };
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpts = rcpts, .nrcpts = 3,
	                         .catch_all_rcpt = "made-up@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250-mx\r\n250 PIPELINING\r\n",
	            "MAIL FROM:<>\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<made-up@x.test>\r\n"
	            "RCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nQUIT\r\n");
	expect_said(s, "250 ok\r\n250 ok\r\n550 5.1.1 no\r\n550 5.1.1 no such user\r\n452 4.2.2 full\r\n221 bye\r\n", "");
	assert_int_equal(smtp_state(s), SMTP_DONE);
	assert_true(smtp_mail_accepted(s));
	assert_int_equal(smtp_rcpt_result(s, 0)->reply.code, 250);
	assert_int_equal(smtp_rcpt_result(s, 1)->reply.code, 550);
	assert_string_equal(strbuf_str(&smtp_rcpt_result(s, 1)->reply.text), "no such user");
	assert_int_equal(smtp_rcpt_result(s, 2)->reply.code, 452);
	assert_int_equal(smtp_outcome(s)->catch_all, CATCH_ALL_NO);
	assert_false(smtp_outcome(s)->cut);
	smtp_free(s);
}

/* Every recipient refused: the session stops at the error budget, before the server's limits; the rest is left for a new session. */
static void test_error_budget(void **state)
{
	(void)state;
	const char *rcpts[12];
	char names[12][16];
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "u%d@x.test", i);
		rcpts[i] = names[i];
	}
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpts = rcpts, .nrcpts = 12 };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	char *out = say(s, "250-mx\r\n250 PIPELINING\r\n");
	assert_int_equal(count(out, "RCPT TO:"), SMTP_ERROR_BUDGET);
	assert_int_equal(count(out, "QUIT"), 0);
	free(out);
	struct strbuf replies = STRBUF_INIT;
	strbuf_puts(&replies, "250 ok\r\n");
	for (int i = 0; i < SMTP_ERROR_BUDGET; i++)
		strbuf_puts(&replies, "550 5.1.1 unknown\r\n");
	expect_said(s, strbuf_str(&replies), "QUIT\r\n");
	strbuf_free(&replies);
	assert_true(smtp_outcome(s)->cut);
	assert_true(smtp_rcpt_result(s, 7)->answered);
	assert_false(smtp_rcpt_result(s, 8)->sent);
	smtp_free(s);
}

/*
 * The first group came back clean: the rest of the session's recipients go
 * in one flight (two envelope flights in all), as an MTA sends a message's
 * recipients at once. The made-up address's refusal is expected and does
 * not count as unclean.
 */
static void test_clean_first_group_then_the_rest(void **state)
{
	(void)state;
	enum { N = 50 };
	const char *rcpts[N];
	char names[N][16];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "u%d@x.test", i);
		rcpts[i] = names[i];
	}
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpts = rcpts, .nrcpts = N,
	                         .catch_all_rcpt = "made-up@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	char *out = say(s, "250-mx\r\n250 PIPELINING\r\n");
	assert_int_equal(count(out, "RCPT TO:"), SMTP_ERROR_BUDGET);
	assert_int_equal(count(out, "made-up@x.test"), 1);
	assert_int_equal(count(out, "QUIT"), 0);
	/* a sample of the whole session (every 50/7-th), so that it speaks for the rest */
	assert_string_equal(out, "MAIL FROM:<>\r\nRCPT TO:<u0@x.test>\r\nRCPT TO:<made-up@x.test>\r\n"
	                         "RCPT TO:<u7@x.test>\r\nRCPT TO:<u14@x.test>\r\nRCPT TO:<u21@x.test>\r\n"
	                         "RCPT TO:<u28@x.test>\r\nRCPT TO:<u35@x.test>\r\nRCPT TO:<u42@x.test>\r\n");
	free(out);
	/* MAIL, the first real one, the made-up one (refused), six more real ones */
	struct strbuf replies = STRBUF_INIT;
	strbuf_puts(&replies, "250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n");
	for (int i = 0; i < SMTP_ERROR_BUDGET - 2; i++)
		strbuf_puts(&replies, "250 ok\r\n");
	out = say(s, strbuf_str(&replies));
	/* every one left, and QUIT with them */
	assert_int_equal(count(out, "RCPT TO:"), N + 1 - SMTP_ERROR_BUDGET);
	assert_int_equal(count(out, "QUIT"), 1);
	free(out);
	strbuf_free(&replies);
	assert_int_equal(smtp_outcome(s)->catch_all, CATCH_ALL_NO);
	smtp_free(s);
}

/* A surprise in the first group (a real recipient refused): the next groups stay within the error budget. */
static void test_refusals_keep_the_budget(void **state)
{
	(void)state;
	enum { N = 20 };
	const char *rcpts[N];
	char names[N][16];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "u%d@x.test", i);
		rcpts[i] = names[i];
	}
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpts = rcpts, .nrcpts = N,
	                         .catch_all_rcpt = "made-up@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	char *out = say(s, "250-mx\r\n250 PIPELINING\r\n");
	assert_int_equal(count(out, "RCPT TO:"), SMTP_ERROR_BUDGET);
	free(out);
	/* MAIL; u0 ok; made-up refused; u1 refused (the surprise); u2..u6 ok: 2 errors */
	struct strbuf replies = STRBUF_INIT;
	strbuf_puts(&replies, "250 ok\r\n250 ok\r\n550 5.1.1 no\r\n550 5.1.1 no\r\n");
	for (int i = 0; i < SMTP_ERROR_BUDGET - 3; i++)
		strbuf_puts(&replies, "250 ok\r\n");
	out = say(s, strbuf_str(&replies));
	assert_int_equal(count(out, "RCPT TO:"), SMTP_ERROR_BUDGET - 2);
	assert_int_equal(count(out, "QUIT"), 0);
	free(out);
	/* all accepted: still no more than the budget allows (6), not the rest (12) */
	strbuf_reset(&replies);
	for (int i = 0; i < SMTP_ERROR_BUDGET - 2; i++)
		strbuf_puts(&replies, "250 ok\r\n");
	out = say(s, strbuf_str(&replies));
	assert_int_equal(count(out, "RCPT TO:"), SMTP_ERROR_BUDGET - 2);
	free(out);
	/* six refused: the budget is spent, the last recipient is left for a new session */
	strbuf_reset(&replies);
	for (int i = 0; i < SMTP_ERROR_BUDGET - 2; i++)
		strbuf_puts(&replies, "550 5.1.1 no\r\n");
	out = say(s, strbuf_str(&replies));
	assert_int_equal(count(out, "RCPT TO:"), 0);
	assert_int_equal(count(out, "QUIT"), 1);
	free(out);
	strbuf_free(&replies);
	assert_true(smtp_outcome(s)->cut);
	assert_false(smtp_rcpt_result(s, N - 1)->sent);
	smtp_free(s);
}

/* 452 too many recipients: that one and the rest go to a new transaction; 421: the unanswered to a new session. */
static void test_too_many_and_421(void **state)
{
	(void)state;
	const char *rcpts[] = { "a@x.test", "b@x.test", "c@x.test" };
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpts = rcpts, .nrcpts = 3 };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250 mx\r\n", "MAIL FROM:<>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<a@x.test>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<b@x.test>\r\n");
	expect_said(s, "452 4.5.3 Error: too many recipients\r\n", "QUIT\r\n");
	assert_true(smtp_rcpt_result(s, 1)->deferred);
	assert_false(smtp_rcpt_result(s, 1)->answered);
	assert_false(smtp_rcpt_result(s, 2)->sent);
	smtp_free(s);

	s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250-mx\r\n250 PIPELINING\r\n",
	            "MAIL FROM:<>\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nQUIT\r\n");
	expect_said(s, "250 ok\r\n250 ok\r\n421 4.7.0 closing\r\n", "");
	assert_int_equal(smtp_state(s), SMTP_DONE);
	assert_true(smtp_outcome(s)->cut);
	assert_true(smtp_rcpt_result(s, 0)->answered);
	assert_false(smtp_rcpt_result(s, 1)->answered);
	assert_false(smtp_rcpt_result(s, 2)->answered);
	/* the first recipient's answer stays the session's outcome */
	assert_true(smtp_finished(s));
	assert_int_equal(smtp_outcome(s)->reply.code, 250);
	smtp_free(s);

	/* a 421 before any recipient's answer is the outcome: the session does not end without one */
	s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250 mx\r\n", "MAIL FROM:<>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<a@x.test>\r\n");
	expect_said(s, "421 4.7.0 closing\r\n", "");
	assert_true(smtp_finished(s));
	assert_int_equal(smtp_outcome(s)->step, STEP_RCPT);
	assert_int_equal(smtp_outcome(s)->failure, FAIL_TEMPFAIL);
	assert_int_equal(smtp_outcome(s)->reply.code, 421);
	smtp_free(s);

	/* Nothing accepted yet: the transaction is not full, so the 452 is the first recipient's own answer (else: a new session for ever). */
	s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250 mx\r\n", "MAIL FROM:<>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<a@x.test>\r\n");
	expect_said(s, "452 4.5.3 too many recipients\r\n", "RCPT TO:<b@x.test>\r\n");
	assert_true(smtp_rcpt_result(s, 0)->answered);
	assert_false(smtp_rcpt_result(s, 0)->deferred);
	assert_int_equal(smtp_rcpt_result(s, 0)->reply.code, 452);
	smtp_free(s);
}

/* One at a time, the made-up address waits for an accepted recipient, and is never sent without one. */
static void test_catch_all_one_at_a_time(void **state)
{
	(void)state;
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpt_to = "u@x.test", .catch_all_rcpt = "made-up@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250 mx\r\n", "MAIL FROM:<>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<u@x.test>\r\n");
	expect_said(s, "550 5.1.1 no\r\n", "QUIT\r\n");
	assert_int_equal(smtp_outcome(s)->catch_all, CATCH_ALL_UNTESTED);
	smtp_free(s);

	const char *rcpts[] = { "a@x.test", "b@x.test" };
	struct smtp_params q = { .helo = "h", .mail_from = "", .rcpts = rcpts, .nrcpts = 2, .catch_all_rcpt = "made-up@x.test" };
	s = smtp_new(&q, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250 mx\r\n", "MAIL FROM:<>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<a@x.test>\r\n");
	expect_said(s, "550 5.1.1 no\r\n", "RCPT TO:<b@x.test>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<made-up@x.test>\r\n");
	expect_said(s, "250 ok\r\n", "QUIT\r\n");
	assert_int_equal(smtp_outcome(s)->catch_all, CATCH_ALL_YES);
	assert_int_equal(smtp_rcpt_result(s, 1)->reply.code, 250);
	smtp_free(s);
}

/*
 * A server without PIPELINING that answers commands before they were
 * written (all in the greeting's segment) is not believed.
 */
static void test_replies_ahead(void **state)
{
	(void)state;
	struct smtp_params p = { .helo = "h", .mail_from = "", .rcpt_to = "u@x.test" };
	struct smtp_session *s = smtp_new(&p, NULL, NULL);
	const char *wire = "220 x\r\n250 mx\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n";
	smtp_feed(s, wire, strlen(wire));
	assert_int_equal(smtp_state(s), SMTP_DONE);
	assert_int_equal(smtp_outcome(s)->failure, FAIL_PROTOCOL);
	assert_int_equal(smtp_outcome(s)->step, STEP_EHLO);
	smtp_free(s);
	/* A reply when nothing was asked: the same. */
	s = smtp_new(&p, NULL, NULL);
	expect_said(s, "220 x\r\n", "EHLO h\r\n");
	expect_said(s, "250 mx\r\n", "MAIL FROM:<>\r\n");
	expect_said(s, "250 ok\r\n", "RCPT TO:<u@x.test>\r\n");
	expect_said(s, "250 ok\r\n", "QUIT\r\n");
	expect_said(s, "250 extra\r\n", "");
	assert_int_equal(smtp_state(s), SMTP_DONE);
	smtp_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_split_feed),
		cmocka_unit_test(test_done_is_final),
		cmocka_unit_test(test_caps_kept),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_error_budget),
		cmocka_unit_test(test_clean_first_group_then_the_rest),
		cmocka_unit_test(test_refusals_keep_the_budget),
		cmocka_unit_test(test_too_many_and_421),
		cmocka_unit_test(test_catch_all_one_at_a_time),
		cmocka_unit_test(test_replies_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
