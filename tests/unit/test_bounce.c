/*
 * Unit tests for the bounce parser: one small bounce per wording family
 * (the fixtures in fixtures/bounce hold whole ones), the step phrases,
 * merging DSN and text, non-bounces, and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"

struct bounce_case {
	const char *name;
	const char *in;
	enum bounce_kind kind;
	size_t nrcpts;
	/* the first recipient */
	const char *recipient;
	enum bounce_step step;
	int code;
	const char *enhanced;
	const char *text;
	const char *host;
	const char *ip;
	enum bounce_source source;
	bool permanent;
};

#define DAEMON "From: MAILER-DAEMON@mail.example.net\nSubject: Undelivered Mail\n"

static const struct bounce_case cases[] = {
	{ "postfix rcpt", DAEMON "\n<bob@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n"
	  "    <bob@example.com>: User unknown (in reply to RCPT TO command)\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_RCPT, 550, "5.1.1", "<bob@example.com>: User unknown",
	  "mx.example.com", "192.0.2.1", BSRC_POSTFIX, true },
	{ "postfix end of data", DAEMON "\nThis is the mail system at host mail.example.net.\n\n"
	  "<bob@example.com>: host mx.example.com[192.0.2.1] said: 554 5.7.1 spam\n"
	  "    (in reply to end of DATA command)\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_END_OF_DATA, 554, "5.7.1", "spam", "mx.example.com", "192.0.2.1",
	  BSRC_POSTFIX, true },
	{ "postfix data verb", DAEMON "\n<bob@example.com>: host mx.example.com[192.0.2.1] said: 554 no (in reply to DATA command)\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_DATA, 554, "", "no", "mx.example.com", "192.0.2.1", BSRC_POSTFIX, true },
	{ "postfix folded multi-line", DAEMON "\n<bob@example.com>: host mx.example.com[192.0.2.1] said: 550-5.1.1 a\n"
	  "    550-5.1.1 b 550 5.1.1 c (in reply to RCPT TO command)\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_RCPT, 550, "5.1.1", "a\nb\nc", "mx.example.com", "192.0.2.1",
	  BSRC_POSTFIX, true },
	{ "postfix connect refused", DAEMON "\n<bob@example.com>: connect to mx.example.com[192.0.2.1]:25: Connection refused\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_CONNECT, 0, NULL, NULL, "mx.example.com", "192.0.2.1", BSRC_GENERIC, true },
	{ "exim mail from", DAEMON "\nThis message was created automatically by mail delivery software.\n\n"
	  "  bob@example.com\n    SMTP error from remote mail server after MAIL FROM:<alice@example.net> SIZE=12:\n"
	  "    host mx.example.com [192.0.2.2]: 550 5.7.1 SPF fail\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_MAIL, 550, "5.7.1", "SPF fail", "mx.example.com", "192.0.2.2",
	  BSRC_EXIM, true },
	{ "exim initial connection", DAEMON "\n  bob@example.com\n    SMTP error from remote mail server after initial connection:\n"
	  "    host mx.example.com [192.0.2.2]: 554 go away\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_BANNER, 554, "", "go away", "mx.example.com", "192.0.2.2", BSRC_EXIM, true },
	{ "sendmail transcript end of data", DAEMON "\n   ----- Transcript of session follows -----\n"
	  "... while talking to mx.example.com.:\n>>> RCPT To:<bob@example.com>\n<<< 250 ok\n>>> DATA\n<<< 354 go\n>>> .\n"
	  "<<< 554 5.7.1 virus\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_END_OF_DATA, 554, "5.7.1", "virus", "mx.example.com", "", BSRC_SENDMAIL, true },
	{ "qmail", DAEMON "\nHi. This is the qmail-send program at mail.example.net.\n\n<bob@example.com>:\n"
	  "192.0.2.3 does not like recipient.\nRemote host said: 550 no such user\nGiving up on 192.0.2.3.\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_RCPT, 550, "", "no such user", "", "192.0.2.3", BSRC_QMAIL, true },
	{ "exchange", DAEMON "\nDelivery has failed to these recipients or groups:\n\nbob@example.com\n"
	  "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; doesn't exist'\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_NONE, 550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; doesn't exist", "", "",
	  BSRC_EXCHANGE, true },
	{ "gmail", DAEMON "\nYour message wasn't delivered to bob@example.com because the address couldn't be found.\n\n"
	  "The response from the remote server was:\n550-5.1.1 one\n550 5.1.1 two\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_NONE, 550, "5.1.1", "one\ntwo", "", "", BSRC_GMAIL, true },
	{ "yahoo marker", DAEMON "\nSorry, we were unable to deliver your message to the following address.\n\n<bob@example.com>:\n"
	  "Remote host said: 552 mailbox full [RCPT_TO]\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_RCPT, 552, "", "mailbox full", "", "", BSRC_YAHOO, true },
	{ "delay notice", "From: MAILER-DAEMON@mail.example.net\nSubject: Delayed Mail (still being retried)\n\n"
	  "<bob@example.com>: host mx.example.com[192.0.2.1] said: 450 4.2.0 greylisted (in reply to RCPT TO command)\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_RCPT, 450, "4.2.0", "greylisted", "mx.example.com", "192.0.2.1",
	  BSRC_POSTFIX, false },
	{ "dsn and text merged", DAEMON "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\n\n<bob@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 text (in reply to RCPT TO command)\n"
	  "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.net\n\n"
	  "Final-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.com\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 from the\n    dsn\n--b--\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_RCPT, 550, "5.1.1", "from the dsn", "mx.example.com", "192.0.2.1",
	  BSRC_DSN, true },
	{ "ses notification", "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n"
	  "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":\"bob@example.com\","
	  "\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user \\\"unknown\\\"\"}],"
	  "\"remoteMtaIp\":\"192.0.2.9\",\"reportingMTA\":\"dsn; a1.example.net\"},\"mail\":{\"source\":\"alice@example.net\"}}\n",
	  BOUNCE_FAILURE, 1, "bob@example.com", BSTEP_NONE, 550, "5.1.1", "user \"unknown\"", "", "192.0.2.9", BSRC_SES, true },
	{ "dsn success", DAEMON "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.net\n\n"
	  "Final-Recipient: rfc822; bob@example.com\nAction: delivered\nStatus: 2.0.0\n--b--\n",
	  BOUNCE_SUCCESS, 0, NULL, BSTEP_NONE, 0, NULL, NULL, NULL, NULL, BSRC_DSN, false },
	{ "arf", "From: abuse@example.net\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
	  "--b\n\n550 5.1.1 not this\n--b--\n",
	  BOUNCE_FEEDBACK, 0, NULL, BSTEP_NONE, 0, NULL, NULL, NULL, NULL, BSRC_DSN, false },
	{ "vacation", "From: bob@example.com\nSubject: Out of Office: test\nAuto-Submitted: auto-replied\n\nI am away.\n",
	  BOUNCE_AUTOREPLY, 0, NULL, BSTEP_NONE, 0, NULL, NULL, NULL, NULL, BSRC_DSN, false },
	{ "ordinary mail", "From: bob@example.com\nSubject: lunch\n\nAt 12:30? Room 550 - bob@example.com\n",
	  BOUNCE_NONE, 0, NULL, BSTEP_NONE, 0, NULL, NULL, NULL, NULL, BSRC_DSN, false },
	{ "empty", "", BOUNCE_EMPTY, 0, NULL, BSTEP_NONE, 0, NULL, NULL, NULL, NULL, BSRC_DSN, false },
	{ "white space only", " \r\n\n\t\n", BOUNCE_EMPTY, 0, NULL, BSTEP_NONE, 0, NULL, NULL, NULL, NULL, BSRC_DSN, false },
};

static void check_case(const struct bounce_case *c, const char *in, size_t len)
{
	struct bounce b;
	bounce_parse(in, len, &b);
	if (b.kind != c->kind)
		fail_msg("%s: kind %d, want %d", c->name, b.kind, c->kind);
	if (b.nrcpts != c->nrcpts)
		fail_msg("%s: %zu recipients, want %zu", c->name, b.nrcpts, c->nrcpts);
	if (c->recipient) {
		const struct bounce_rcpt *r = &b.rcpts[0];
		if (strcmp(r->recipient, c->recipient) != 0 || r->step != c->step)
			fail_msg("%s: recipient %s step %s", c->name, r->recipient, bounce_step_name(r->step));
		if (c->code) {
			if (!r->have_reply || r->reply.code != c->code || strcmp(r->reply.enhanced, c->enhanced) != 0 ||
			    strcmp(strbuf_str(&r->reply.text), c->text) != 0)
				fail_msg("%s: reply %d %s \"%s\"", c->name, r->reply.code, r->reply.enhanced, strbuf_str(&r->reply.text));
		} else if (r->have_reply) {
			fail_msg("%s: a reply where none is", c->name);
		}
		if (strcmp(r->remote_host, c->host) != 0 || strcmp(r->remote_ip, c->ip) != 0)
			fail_msg("%s: host \"%s\" ip \"%s\"", c->name, r->remote_host, r->remote_ip);
		if (c->code && r->source != c->source)
			fail_msg("%s: source %s", c->name, bounce_source_name(r->source));
		if (r->permanent != c->permanent)
			fail_msg("%s: permanent %d", c->name, r->permanent);
	}
	bounce_free(&b);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		check_case(&cases[i], cases[i].in, strlen(cases[i].in));
		/* the same with CRLF line ends */
		struct strbuf crlf = STRBUF_INIT;
		for (const char *p = cases[i].in; *p; p++) {
			if (*p == '\n')
				strbuf_putc(&crlf, '\r');
			strbuf_putc(&crlf, *p);
		}
		check_case(&cases[i], strbuf_str(&crlf), crlf.len);
		strbuf_free(&crlf);
	}
}

static void test_step_names(void **state)
{
	(void)state;
	assert_string_equal(bounce_step_name(BSTEP_END_OF_DATA), "end_of_data");
	assert_string_equal(bounce_step_name(BSTEP_NONE), "");
	assert_int_equal(bounce_probe_step(BSTEP_RCPT), STEP_RCPT);
	assert_int_equal(bounce_probe_step(BSTEP_DATA), STEP_NONE);
	assert_false(bounce_probe_can_reproduce(BSTEP_END_OF_DATA));
	assert_true(bounce_probe_can_reproduce(BSTEP_MAIL));
	assert_string_equal(bounce_source_name(BSRC_SES), "ses");
}

/* Hostile input: NUL bytes, endless replies, a million codes, binary: bounded, no crash. */
static void test_hostile(void **state)
{
	(void)state;
	struct strbuf in = STRBUF_INIT;
	strbuf_puts(&in, DAEMON "\n<bob@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 a");
	strbuf_append(&in, "\0\0\0", 3);
	strbuf_puts(&in, "b (in reply to RCPT TO command)\n");
	struct bounce b;
	bounce_parse(in.data, in.len, &b);
	assert_int_equal(b.kind, BOUNCE_FAILURE);
	assert_int_equal(b.rcpts[0].step, BSTEP_RCPT);
	bounce_free(&b);

	strbuf_reset(&in);
	strbuf_puts(&in, DAEMON "\n");
	for (int i = 0; i < 20000; i++)
		strbuf_printf(&in, "<u%d@example.com>: 550 5.1.1 no\n", i);
	bounce_parse(in.data, in.len, &b);
	assert_true(b.nrcpts > 0 && b.nrcpts <= BOUNCE_RCPTS_MAX);
	bounce_free(&b);

	strbuf_reset(&in);
	strbuf_puts(&in, DAEMON "\n<bob@example.com>: said: 550-");
	for (int i = 0; i < 5000; i++)
		strbuf_puts(&in, "5.1.1 x 550-");
	strbuf_puts(&in, "\n");
	bounce_parse(in.data, in.len, &b);
	bounce_free(&b);

	/* one endless line of failure phrases: bounded records, no quadratic search */
	strbuf_reset(&in);
	strbuf_puts(&in, DAEMON "\n<bob@example.com>: ");
	for (int i = 0; i < 20000; i++)
		strbuf_puts(&in, "connection timed out ");
	bounce_parse(in.data, in.len, &b);
	assert_true(b.nrcpts >= 1 && b.nrcpts <= BOUNCE_RCPTS_MAX);
	assert_int_equal(b.rcpts[0].failure, FAIL_TIMEOUT);
	bounce_free(&b);

	strbuf_reset(&in);
	for (int i = 0; i < 65536; i++)
		strbuf_putc(&in, (char)(i * 7919 % 251));
	bounce_parse(in.data, in.len, &b);
	assert_true(b.nrcpts <= BOUNCE_RCPTS_MAX);
	bounce_free(&b);
	strbuf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_step_names),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
