/*
 * Unit tests for route.c: the order of attempts and every fall-over
 * decision, as data, without a socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "route.h"

static void add_addr(struct route_host *h, const char *ip)
{
	struct dns_addr *a = &h->addrs[h->naddrs++];
	memset(a, 0, sizeof *a);
	snprintf(a->ip, sizeof a->ip, "%s", ip);
	a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
}

/* Hosts "mx1".."mxN", each with the addresses given ("4" = one IPv4, "64" = IPv6 then IPv4...). */
static void make(struct route *rt, const char *const *hosts, int n, bool all_mx, enum tls_mode mode)
{
	memset(rt, 0, sizeof *rt);
	for (int i = 0; i < n; i++) {
		struct route_host *h = &rt->hosts[i];
		snprintf(h->name, sizeof h->name, "mx%d", i + 1);
		int k4 = 0, k6 = 0;
		for (const char *c = hosts[i]; *c; c++) {
			char ip[46];
			if (*c == '4')
				snprintf(ip, sizeof ip, "192.0.2.%d", 10 * (i + 1) + ++k4);
			else
				snprintf(ip, sizeof ip, "2001:db8::%d", 10 * (i + 1) + ++k6);
			add_addr(h, ip);
		}
	}
	rt->nhosts = n;
	route_build(rt, all_mx, mode);
}

static const char *now(const struct route *rt)
{
	return route_addr_now(rt)->ip;
}

static void test_order(void **state)
{
	(void)state;
	struct route rt;
	/* IPv6 and IPv4 alternate per host, IPv6 first; hosts in MX order. */
	const char *const hosts[] = { "4466", "4" };
	make(&rt, hosts, 2, false, TLS_AUTO);
	assert_int_equal(rt.ntargets, 5);
	static const char *const want[] = { "2001:db8::11", "192.0.2.11", "2001:db8::12", "192.0.2.12", "192.0.2.21" };
	for (int i = 0; i < rt.ntargets; i++) {
		const struct route_target *t = &rt.targets[i];
		assert_string_equal(rt.hosts[t->host].addrs[t->addr].ip, want[i]);
	}
	/* No address at all: nothing to connect to. */
	const char *const none[] = { "" };
	make(&rt, none, 1, false, TLS_AUTO);
	assert_int_equal(route_first(&rt), ROUTE_DONE);
}

static void test_cap(void **state)
{
	(void)state;
	struct route rt;
	const char *const hosts[] = { "4444444444", "4444444444" };
	make(&rt, hosts, 2, false, TLS_AUTO);
	assert_int_equal(rt.ntargets, ROUTE_ATTEMPTS_MAX);
	assert_int_equal(route_first(&rt), ROUTE_CONNECT);
	struct route_outcome refused = { STEP_CONNECT, FAIL_REFUSED, 0 };
	int n = 1;
	while (route_next(&rt, &refused, n - 1) == ROUTE_CONNECT)
		n++;
	assert_int_equal(n, ROUTE_ATTEMPTS_MAX);
}

/* What an MTA does after each kind of outcome: on to the next address, or stop. */
static void test_moves_on(void **state)
{
	(void)state;
	static const struct {
		struct route_outcome o;
		bool on;
	} rows[] = {
		{ { STEP_RCPT, FAIL_NONE, 250 }, false },
		{ { STEP_RCPT, FAIL_REJECTED, 550 }, false },      /* a definitive answer */
		{ { STEP_RCPT, FAIL_TEMPFAIL, 450 }, false },      /* 4xx after the greeting: definitive */
		{ { STEP_BANNER, FAIL_TEMPFAIL, 450 }, true },     /* 4xx greeting: try another */
		{ { STEP_BANNER, FAIL_REJECTED, 554 }, false },
		{ { STEP_RCPT, FAIL_TEMPFAIL, 421 }, true },       /* the server is closing */
		{ { STEP_MAIL, FAIL_TEMPFAIL, 421 }, true },
		{ { STEP_CONNECT, FAIL_REFUSED, 0 }, true },
		{ { STEP_CONNECT, FAIL_UNREACHABLE, 0 }, true },
		{ { STEP_CONNECT, FAIL_TIMEOUT, 0 }, true },
		{ { STEP_BANNER, FAIL_TIMEOUT, 0 }, true },
		{ { STEP_RCPT, FAIL_CLOSED, 0 }, true },
		{ { STEP_EHLO, FAIL_PROTOCOL, 0 }, true },
		{ { STEP_TLS, FAIL_TLS, 0 }, true },               /* TLS failed: the next MX */
		{ { STEP_TLS, FAIL_TLS_VERIFY, 0 }, false },
		{ { STEP_EHLO, FAIL_SMTPUTF8, 0 }, false },
		{ { STEP_INPUT, FAIL_INTERNAL, 0 }, false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (route_moves_on(&rows[i].o) != rows[i].on)
			fail_msg("row %zu: %s at %s (%d): want %s", i, failure_name(rows[i].o.failure), step_name(rows[i].o.step),
			         rows[i].o.code, rows[i].on ? "move on" : "stop");
	}
}

static void test_fall_over(void **state)
{
	(void)state;
	struct route rt;
	const char *const hosts[] = { "4", "4" };
	make(&rt, hosts, 2, false, TLS_AUTO);
	assert_int_equal(route_first(&rt), ROUTE_CONNECT);
	assert_string_equal(now(&rt), "192.0.2.11");
	struct route_outcome refused = { STEP_CONNECT, FAIL_REFUSED, 0 };
	assert_int_equal(route_next(&rt, &refused, 0), ROUTE_CONNECT);
	assert_string_equal(now(&rt), "192.0.2.21");
	assert_false(rt.plain);
	/* The last target: nothing left. */
	assert_int_equal(route_next(&rt, &refused, 1), ROUTE_DONE);
	/* A local failure stops at once, whatever is left. */
	make(&rt, hosts, 2, false, TLS_AUTO);
	route_first(&rt);
	struct route_outcome local = { STEP_CONNECT, FAIL_INTERNAL, 0 };
	assert_int_equal(route_next(&rt, &local, 0), ROUTE_DONE);
}

/* --tls auto: a failed STARTTLS handshake is retried on the same address in clear text, once. */
static void test_opportunistic_tls(void **state)
{
	(void)state;
	struct route rt;
	const char *const hosts[] = { "4", "4" };
	struct route_outcome tls = { STEP_TLS, FAIL_TLS, 0 };
	make(&rt, hosts, 2, false, TLS_AUTO);
	route_first(&rt);
	assert_int_equal(route_next(&rt, &tls, 0), ROUTE_CONNECT);
	assert_string_equal(now(&rt), "192.0.2.11");
	assert_true(rt.plain);
	/* The clear-text retry also failing (say, dropped) moves on, with TLS again for the next host. */
	struct route_outcome closed = { STEP_EHLO, FAIL_CLOSED, 0 };
	assert_int_equal(route_next(&rt, &closed, 1), ROUTE_CONNECT);
	assert_string_equal(now(&rt), "192.0.2.21");
	assert_false(rt.plain);
	/* --tls required: no clear text; the next MX instead. */
	make(&rt, hosts, 2, false, TLS_REQUIRED);
	route_first(&rt);
	assert_int_equal(route_next(&rt, &tls, 0), ROUTE_CONNECT);
	assert_string_equal(now(&rt), "192.0.2.21");
	assert_false(rt.plain);
	/* Implicit TLS: the same. */
	make(&rt, hosts, 2, false, TLS_IMPLICIT);
	route_first(&rt);
	assert_int_equal(route_next(&rt, &tls, 0), ROUTE_CONNECT);
	assert_false(rt.plain);
}

/* --all-mx: every host answers for itself; the rest of a host is skipped once it answered. */
static void test_all_mx(void **state)
{
	(void)state;
	struct route rt;
	const char *const hosts[] = { "44", "4", "4" };
	make(&rt, hosts, 3, true, TLS_AUTO);
	route_first(&rt);
	struct route_outcome rejected = { STEP_RCPT, FAIL_REJECTED, 550 };
	struct route_outcome refused = { STEP_CONNECT, FAIL_REFUSED, 0 };
	struct route_outcome ok = { STEP_RCPT, FAIL_NONE, 250 };
	assert_int_equal(route_next(&rt, &rejected, 0), ROUTE_CONNECT);   /* mx1 answered: skip its 2nd address */
	assert_string_equal(route_host_now(&rt)->name, "mx2");
	assert_int_equal(rt.host_final[0], 0);
	assert_int_equal(route_next(&rt, &refused, 1), ROUTE_CONNECT);    /* mx2's only address refused */
	assert_int_equal(rt.host_final[1], 1);
	assert_string_equal(route_host_now(&rt)->name, "mx3");
	assert_int_equal(route_next(&rt, &ok, 2), ROUTE_DONE);
	assert_int_equal(rt.host_final[2], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_moves_on),
		cmocka_unit_test(test_fall_over),
		cmocka_unit_test(test_opportunistic_tls),
		cmocka_unit_test(test_all_mx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
