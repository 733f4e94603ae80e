/*
 * Unit tests for the SMTP state machine over an in-memory transport: each
 * scenario scripts what the server says and what the client must send next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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
	{ "accepted", "", false, 0, {
		GREET,
		{ "250-mx.test\r\n250 8BITMIME\r\n", "MAIL FROM:<>\r\n" },
		{ "250 2.1.0 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "250 2.1.5 Ok\r\n", "RSET\r\n" },
		{ "250 2.0.0 Ok\r\n", "QUIT\r\n" },
		{ "221 2.0.0 Bye\r\n", "" } }, STEP_RCPT, FAIL_NONE, 250 },
	{ "pipelining: QUIT follows RSET at once", "", false, 0, {
		GREET,
		{ "250-mx.test\r\n250 PIPELINING\r\n", "MAIL FROM:<>\r\n" },
		{ "250 2.1.0 Ok\r\n", "RCPT TO:<user@example.test>\r\n" },
		{ "250 2.1.5 Ok\r\n", "RSET\r\nQUIT\r\n" },
		{ "250 2.0.0 Ok\r\n", "" },
		{ "221 2.0.0 Bye\r\n", "" } }, STEP_RCPT, FAIL_NONE, 250 },
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
		{ "250 Ok\r\n", "RSET\r\n" } }, STEP_RCPT, FAIL_NONE, 250 },
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
		{ "250 Ok\r\n", "RSET\r\n" },
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
	smtp_feed(s, "250-mx\r\n250-PIPELINING\r\n250 SIZE 42\r\n", 37);
	const struct ehlo_caps *c = smtp_caps(s);
	assert_non_null(c);
	assert_int_equal(c->size, 42);
	assert_true(c->ext & EHLO_PIPELINING);
	smtp_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_split_feed),
		cmocka_unit_test(test_done_is_final),
		cmocka_unit_test(test_caps_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
