/*
 * Unit tests for the audit's pure parts: the SMTP and TLS checks made from
 * hand-made probe results (the cases a loopback server cannot easily play:
 * TLS 1.0, a 4xx to the relay test, the expiry boundaries), the greeting's
 * host name, the relay test's addresses, the exit status, and the DNS
 * answer readers on well-formed and broken packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "dns_answer.h"

/* A probe result whose first (deciding) attempt went through TLS and got `code` at RCPT TO. */
static void make_result(struct probe_result *r, struct probe_attempt *a, int code, const char *version, int days)
{
	memset(r, 0, sizeof *r);
	memset(a, 0, sizeof *a);
	a->port = 25;
	a->step = STEP_RCPT;
	a->failure = code / 100 == 2 ? FAIL_NONE : code / 100 == 4 ? FAIL_TEMPFAIL : FAIL_REJECTED;
	a->have_reply = true;
	a->reply.code = code;
	a->have_caps = true;
	a->caps.ext = EHLO_SIZE;
	a->caps.size = 1000;
	a->starttls_offered = true;
	a->tls.used = true;
	snprintf(a->tls.version, sizeof a->tls.version, "%s", version);
	a->tls.verified = true;
	a->tls.name_matched = true;
	a->tls.days_left = days;
	r->attempts = a;
	r->nattempts = 1;
	r->decided = 0;
	r->step = a->step;
	r->failure = a->failure;
	r->verdict = failure_verdict(a->failure);
	r->input = (char *)"postmaster@example.org";
}

static enum audit_status status_of(const struct audit_report *rep, enum audit_check_id id)
{
	for (size_t i = 0; i < rep->nresults; i++)
		if (rep->results[i].check == id)
			return rep->results[i].status;
	fail_msg("check %s not reported", audit_check_get(id)->id);
	return AUDIT_SKIP;
}

static void run(struct audit_report *rep, int pm_code, int relay_code, const char *version, int days)
{
	struct probe_result pm, relay;
	struct probe_attempt apm, arelay;
	make_result(&pm, &apm, pm_code, version, days);
	make_result(&relay, &arelay, relay_code, version, days);
	struct audit_addr_evidence e = {
		.pm = &pm, .relay = &relay, .greeting = "220 mx.example.org ESMTP",
		.relay_from = "smtpprobe-relay-test@example.com", .relay_rcpt = "smtpprobe-relay-test@example.net",
		.cert_min_days = 14,
	};
	memset(rep, 0, sizeof *rep);
	audit_smtp_checks(rep, 0, "mx.example.org [192.0.2.1]", 1, &e);
	/* every check of an address is reported once */
	assert_int_equal(rep->nresults, AC_TLS_EXPIRY - AC_SMTP_CONNECT + 1);
}

static void test_tls_version(void **state)
{
	(void)state;
	struct audit_report rep;
	run(&rep, 250, 554, "TLSv1", 100);
	assert_int_equal(status_of(&rep, AC_TLS_VERSION), AUDIT_FAIL);
	audit_report_free(&rep);
	run(&rep, 250, 554, "TLSv1.1", 100);
	assert_int_equal(status_of(&rep, AC_TLS_VERSION), AUDIT_FAIL);
	audit_report_free(&rep);
	run(&rep, 250, 554, "TLSv1.3", 100);
	assert_int_equal(status_of(&rep, AC_TLS_VERSION), AUDIT_PASS);
	assert_int_equal(audit_exit_status(&rep, true), 0);
	audit_report_free(&rep);
}

static void test_expiry_boundaries(void **state)
{
	(void)state;
	static const struct {
		int days;
		enum audit_status want;
	} cases[] = { { 14, AUDIT_PASS }, { 13, AUDIT_WARN }, { 0, AUDIT_WARN }, { -1, AUDIT_FAIL } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct audit_report rep;
		run(&rep, 250, 554, "TLSv1.3", cases[i].days);
		assert_int_equal(status_of(&rep, AC_TLS_EXPIRY), cases[i].want);
		audit_report_free(&rep);
	}
}

static void test_postmaster_and_relay(void **state)
{
	(void)state;
	struct audit_report rep;
	run(&rep, 450, 451, "TLSv1.3", 100);
	assert_int_equal(status_of(&rep, AC_SMTP_POSTMASTER), AUDIT_WARN);
	assert_int_equal(status_of(&rep, AC_SMTP_OPEN_RELAY), AUDIT_WARN);
	assert_int_equal(audit_exit_status(&rep, false), 0);
	assert_int_equal(audit_exit_status(&rep, true), AUDIT_EXIT_FAILED);
	audit_report_free(&rep);
	run(&rep, 550, 250, "TLSv1.3", 100);
	assert_int_equal(status_of(&rep, AC_SMTP_POSTMASTER), AUDIT_FAIL);
	assert_int_equal(status_of(&rep, AC_SMTP_OPEN_RELAY), AUDIT_FAIL);
	assert_int_equal(audit_exit_status(&rep, false), AUDIT_EXIT_FAILED);
	audit_report_free(&rep);
}

static void test_greeting_name(void **state)
{
	(void)state;
	char n[256];
	assert_true(audit_greeting_name("220 mx.example.org ESMTP", n, sizeof n));
	assert_string_equal(n, "mx.example.org");
	assert_true(audit_greeting_name("220-mx.example.org ESMTP", n, sizeof n));
	assert_string_equal(n, "mx.example.org");
	assert_false(audit_greeting_name("220 ", n, sizeof n));
	assert_false(audit_greeting_name("554 mx.example.org", n, sizeof n));
	assert_false(audit_greeting_name("220", n, sizeof n));
}

static void test_relay_addresses(void **state)
{
	(void)state;
	char from[80], rcpt[80];
	audit_relay_addresses("example.org", from, sizeof from, rcpt, sizeof rcpt);
	assert_string_equal(from, "smtpprobe-relay-test@example.com");
	assert_string_equal(rcpt, "smtpprobe-relay-test@example.net");
	audit_relay_addresses("mail.example.com", from, sizeof from, rcpt, sizeof rcpt);
	assert_string_equal(from, "smtpprobe-relay-test@example.net");
	assert_string_equal(rcpt, "smtpprobe-relay-test@example.org");
	/* a domain above a candidate: example.net is under net */
	audit_relay_addresses("NET", from, sizeof from, rcpt, sizeof rcpt);
	assert_string_equal(from, "smtpprobe-relay-test@example.com");
	assert_string_equal(rcpt, "smtpprobe-relay-test@example.org");
}

/* Header (id, flags, 1 question, n answers), question mx.example.org/CNAME. */
static size_t packet_head(unsigned char *p, int ancount)
{
	static const unsigned char head[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		0, 5, 0, 1,
	};
	memcpy(p, head, sizeof head);
	p[7] = (unsigned char)ancount;
	return sizeof head;
}

static void test_answer_cname(void **state)
{
	(void)state;
	unsigned char p[512];
	size_t n = packet_head(p, 1);
	/* owner: pointer to the question name (offset 12), CNAME IN, TTL, rdata "host" + pointer to example.org (15) */
	static const unsigned char rr[] = {
		0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0x2c, 0, 7,
		4, 'h', 'o', 's', 't', 0xc0, 15,
	};
	memcpy(p + n, rr, sizeof rr);
	n += sizeof rr;
	char names[4][256];
	assert_int_equal(dns_answer_names(p, (int)n, ns_t_cname, names, 4), 1);
	assert_string_equal(names[0], "host.example.org");
	assert_int_equal(dns_answer_names(p, (int)n, ns_t_ptr, names, 4), 0);
	/* cut anywhere: never read past the end */
	for (size_t cut = 0; cut < n; cut++)
		assert_true(dns_answer_names(p, (int)cut, ns_t_cname, names, 4) < 1);
	/* a compression pointer to itself */
	p[n - 1] = (unsigned char)(n - 2);
	assert_int_equal(dns_answer_names(p, (int)n, ns_t_cname, names, 4), -1);
	/* more answers announced than there are */
	n = packet_head(p, 3);
	assert_int_equal(dns_answer_names(p, (int)n, ns_t_cname, names, 4), -1);
}

static void test_reverse_name(void **state)
{
	(void)state;
	struct dns_addr a = { 0 };
	char out[80];
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a.sa;
	a.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &s4->sin_addr);
	assert_true(dns_reverse_name(&a, out, sizeof out));
	assert_string_equal(out, "10.2.0.192.in-addr.arpa");
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.sa;
	a.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
	assert_true(dns_reverse_name(&a, out, sizeof out));
	assert_string_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_false(dns_reverse_name(&a, out, 72));
}

static void test_check_table(void **state)
{
	(void)state;
	for (int i = 0; i < AC_COUNT; i++) {
		const struct audit_check *c = audit_check_get((enum audit_check_id)i);
		assert_non_null(c->id);
		assert_non_null(c->rfc);
		assert_non_null(c->description);
		/* the id starts with its group's name */
		const char *g = audit_group_name(c->group);
		assert_int_equal(strncmp(c->id, g, strlen(g)), 0);
		assert_int_equal(c->id[strlen(g)], '.');
		for (int k = 0; k < i; k++)
			assert_string_not_equal(c->id, audit_check_get((enum audit_check_id)k)->id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_version),
		cmocka_unit_test(test_expiry_boundaries),
		cmocka_unit_test(test_postmaster_and_relay),
		cmocka_unit_test(test_greeting_name),
		cmocka_unit_test(test_relay_addresses),
		cmocka_unit_test(test_answer_cname),
		cmocka_unit_test(test_reverse_name),
		cmocka_unit_test(test_check_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
