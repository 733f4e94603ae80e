/*
 * Unit tests for the SOCKS5 handshake (RFC 1928, RFC 1929) over an
 * in-memory proxy: each scenario scripts the proxy's bytes and the exact
 * bytes the client must queue next; then the proxy URL parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "socks.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define PASSWORD "s3cr3t-pw"

struct bytes {
	const char *p;
	size_t n;
};
#define B(s) { s, sizeof(s) - 1 }

struct turn {
	struct bytes proxy;   /* what the proxy sends */
	struct bytes client;  /* exact bytes the client must have queued afterwards */
};

struct scenario {
	const char *name;
	const char *user;     /* NULL: no authentication */
	bool remote_dns;
	const char *target;
	uint16_t port;
	struct bytes greeting;
	struct turn turns[4];
	enum socks_status status;
	const char *err;      /* a substring of socks_error() when failed */
	int rep;
	size_t trailing;      /* bytes of the last proxy turn that belong to SMTP */
};

#define GREET_NONE B("\x05\x01\x00")
#define GREET_USER B("\x05\x02\x00\x02")
#define CONNECT_V4 B("\x05\x01\x00\x01\xc0\x00\x02\x01\x00\x19")   /* 192.0.2.1:25 */
#define REPLY_V4 B("\x05\x00\x00\x01\x0a\x00\x00\x01\x04\x38")     /* bound 10.0.0.1:1080 */
#define USERPASS B("\x01\x05" "alice" "\x09" PASSWORD)
#define BANNER "220 mx.test ESMTP\r\n"

static const struct scenario scenarios[] = {
	{ "IPv4, no auth", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ REPLY_V4, B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "IPv6 target, IPv6 bound address", NULL, false, "2001:db8::25", 587, GREET_NONE, {
		{ B("\x05\x00"), B("\x05\x01\x00\x04\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\x00\x25\x02\x4b") },
		{ B("\x05\x00\x00\x04\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x04\x38"), B("") } },
	  SOCKS_DONE, NULL, -1, 0 },
	{ "domain name via socks5h, domain bound address", NULL, true, "mx.example.org", 25, GREET_NONE, {
		{ B("\x05\x00"), B("\x05\x01\x00\x03\x0e" "mx.example.org" "\x00\x19") },
		{ B("\x05\x00\x00\x03\x0a" "proxy.test" "\x04\x38"), B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "socks5h still sends IP literals as addresses", NULL, true, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ REPLY_V4, B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "empty bound name", NULL, true, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ B("\x05\x00\x00\x03\x00\x00\x00"), B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "SMTP greeting in the same read as the reply", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ B("\x05\x00\x00\x01\x0a\x00\x00\x01\x04\x38" BANNER), B("") } },
	  SOCKS_DONE, NULL, -1, sizeof BANNER - 1 },
	{ "SMTP greeting after a domain reply", NULL, true, "mx.example.org", 25, GREET_NONE, {
		{ B("\x05\x00"), B("\x05\x01\x00\x03\x0e" "mx.example.org" "\x00\x19") },
		{ B("\x05\x00\x00\x03\x01" "p" "\x04\x38" BANNER), B("") } }, SOCKS_DONE, NULL, -1, sizeof BANNER - 1 },
	{ "user/password accepted", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\x02"), USERPASS },
		{ B("\x01\x00"), CONNECT_V4 },
		{ REPLY_V4, B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "user/password status with version 5 (seen in the wild)", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\x02"), USERPASS },
		{ B("\x05\x00"), CONNECT_V4 },
		{ REPLY_V4, B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "user offered, proxy wants none", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ REPLY_V4, B("") } }, SOCKS_DONE, NULL, -1, 0 },
	{ "user/password rejected", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\x02"), USERPASS },
		{ B("\x01\x01"), B("") } }, SOCKS_FAILED, "rejected the user name or password", -1, 0 },
	{ "user/password bad version", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\x02"), USERPASS },
		{ B("\x02\x00"), B("") } }, SOCKS_FAILED, "version 0x02", -1, 0 },
	{ "no acceptable method", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\xff"), B("") } }, SOCKS_FAILED, "proxy accepts none of our authentication methods", -1, 0 },
	{ "no acceptable method with user", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\xff"), B("") } }, SOCKS_FAILED, "proxy accepts none of our authentication methods", -1, 0 },
	{ "user/password chosen but not offered", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x02"), B("") } }, SOCKS_FAILED, "method 0x02, which we did not offer", -1, 0 },
	{ "GSSAPI chosen", "alice", false, "192.0.2.1", 25, GREET_USER, {
		{ B("\x05\x01"), B("") } }, SOCKS_FAILED, "method 0x01", -1, 0 },
	{ "SOCKS4 proxy", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x04\x00"), B("") } }, SOCKS_FAILED, "version byte 0x04", -1, 0 },
	{ "HTTP proxy", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("HTTP/1.1 400 Bad Request\r\n"), B("") } }, SOCKS_FAILED, "HTTP", -1, 0 },
	{ "CONNECT reply bad version", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ B("\x00\x5a\x00\x00\x00\x00\x00\x00"), B("") } }, SOCKS_FAILED, "version byte 0x00", -1, 0 },
	{ "CONNECT reply unknown address type", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ B("\x05\x00\x00\x07\x01\x02\x03\x04\x00\x00"), B("") } }, SOCKS_FAILED, "address type 7", -1, 0 },
	{ "refusal cut short: the proxy closes after REP", NULL, false, "192.0.2.1", 25, GREET_NONE, {
		{ B("\x05\x00"), CONNECT_V4 },
		{ B("\x05\x05"), B("") } }, SOCKS_FAILED, "connection refused (REP 5)", 5, 0 },
};

static void assert_bytes(const char *name, size_t turn, const unsigned char *got, size_t glen, struct bytes want)
{
	if (glen != want.n || memcmp(got, want.p, glen) != 0) {
		char g[600] = "", w[600] = "";
		for (size_t i = 0; i < glen && i < 190; i++)
			snprintf(g + 3 * i, 4, "%02x ", got[i]);
		for (size_t i = 0; i < want.n && i < 190; i++)
			snprintf(w + 3 * i, 4, "%02x ", (unsigned char)want.p[i]);
		fail_msg("%s turn %zu: queued [%s], want [%s]", name, turn, g, w);
	}
}

static struct socks_session *start(const struct scenario *sc)
{
	struct socks_proxy p = { .host = "proxy.test", .port = 1080, .remote_dns = sc->remote_dns };
	if (sc->user) {
		snprintf(p.user, sizeof p.user, "%s", sc->user);
		snprintf(p.pass, sizeof p.pass, "%s", PASSWORD);
	}
	struct socks_session *s = socks_new(&p, sc->target, sc->port);
	assert_non_null(s);
	size_t len;
	const unsigned char *out = socks_output(s, &len);
	assert_bytes(sc->name, 0, out, len, sc->greeting);
	socks_output_done(s, len);
	return s;
}

static void check_end(const struct scenario *sc, struct socks_session *s, enum socks_status st)
{
	if (st != sc->status)
		fail_msg("%s: status %d, want %d (%s)", sc->name, st, sc->status, socks_error(s));
	if (sc->err && !strstr(socks_error(s), sc->err))
		fail_msg("%s: error \"%s\" lacks \"%s\"", sc->name, socks_error(s), sc->err);
	if (st == SOCKS_DONE)
		assert_string_equal(socks_error(s), "");
	if (strstr(socks_error(s), PASSWORD) || strstr(socks_error(s), "alice"))
		fail_msg("%s: error shows a credential", sc->name);
	assert_int_equal(socks_reply_code(s), sc->rep);

	/* Once decided, nothing more is taken: later bytes are SMTP or noise. */
	size_t used = 99;
	assert_int_equal(socks_feed(s, (const unsigned char *)"\x05\x00", 2, &used), st);
	assert_int_equal(used, 0);
}

/* Each proxy turn in one read. */
static void test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		struct socks_session *s = start(sc);
		enum socks_status st = SOCKS_MORE;
		for (size_t t = 0; t < N(sc->turns) && sc->turns[t].proxy.p; t++) {
			const struct turn *tn = &sc->turns[t];
			bool last = t + 1 == N(sc->turns) || !sc->turns[t + 1].proxy.p;
			size_t used = 0;
			st = socks_feed(s, (const unsigned char *)tn->proxy.p, tn->proxy.n, &used);
			if (!last && st != SOCKS_MORE)
				fail_msg("%s turn %zu: status %d early (%s)", sc->name, t + 1, st, socks_error(s));
			if (last && st == SOCKS_DONE && used != tn->proxy.n - sc->trailing)
				fail_msg("%s turn %zu: used %zu of %zu, want %zu", sc->name, t + 1, used, tn->proxy.n,
				         tn->proxy.n - sc->trailing);
			if (st == SOCKS_MORE)
				assert_int_equal(used, tn->proxy.n);
			size_t len;
			const unsigned char *out = socks_output(s, &len);
			assert_bytes(sc->name, t + 1, out, len, tn->client);
			socks_output_done(s, len);
		}
		check_end(sc, s, st);
		socks_free(s);
	}
}

/* The same scenarios with the proxy's bytes arriving one at a time. */
static void test_byte_at_a_time(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		struct socks_session *s = start(sc);
		enum socks_status st = SOCKS_MORE;
		size_t taken_last = 0;
		for (size_t t = 0; t < N(sc->turns) && sc->turns[t].proxy.p; t++) {
			const struct turn *tn = &sc->turns[t];
			taken_last = 0;
			for (size_t k = 0; k < tn->proxy.n && st == SOCKS_MORE; k++) {
				size_t used = 99;
				st = socks_feed(s, (const unsigned char *)tn->proxy.p + k, 1, &used);
				assert_int_equal(used, 1);
				taken_last += used;
				/* A reply is only complete with its last byte. */
				if (st == SOCKS_DONE && k + 1 != tn->proxy.n - sc->trailing)
					fail_msg("%s: done after byte %zu of %zu", sc->name, k + 1, tn->proxy.n - sc->trailing);
			}
			size_t len;
			const unsigned char *out = socks_output(s, &len);
			assert_bytes(sc->name, t + 1, out, len, tn->client);
			socks_output_done(s, len);
		}
		if (st == SOCKS_DONE) {
			const struct turn *lt = &sc->turns[0];
			for (size_t t = 0; t < N(sc->turns) && sc->turns[t].proxy.p; t++)
				lt = &sc->turns[t];
			assert_int_equal(taken_last, lt->proxy.n - sc->trailing);
		}
		check_end(sc, s, st);
		socks_free(s);
	}
}

/* Every REP code of RFC 1928 6, and one it does not assign. */
static void test_reply_codes(void **state)
{
	(void)state;
	static const char *const text[] = {
		NULL,
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
		"unassigned",
	};
	for (int rep = 1; rep <= 9; rep++) {
		struct socks_proxy p = { .host = "proxy.test", .port = 1080 };
		struct socks_session *s = socks_new(&p, "192.0.2.1", 25);
		size_t used, len;
		assert_int_equal(socks_feed(s, (const unsigned char *)"\x05\x00", 2, &used), SOCKS_MORE);
		socks_output(s, &len);
		socks_output_done(s, len);
		unsigned char reply[] = { 5, (unsigned char)rep, 0, 1, 10, 0, 0, 1, 0x04, 0x38 };
		assert_int_equal(socks_feed(s, reply, sizeof reply, &used), SOCKS_FAILED);
		char want[128];
		snprintf(want, sizeof want, "(REP %d)", rep);
		if (!strstr(socks_error(s), text[rep]) || !strstr(socks_error(s), want))
			fail_msg("REP %d: \"%s\"", rep, socks_error(s));
		assert_null(strchr(socks_error(s), '\n'));
		assert_int_equal(socks_reply_code(s), rep);
		socks_free(s);
	}
}

/* Targets refused before anything is sent: socks_feed with no bytes reports it. */
static void test_bad_targets(void **state)
{
	(void)state;
	char n255[256], n256[257];
	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'a', 256);
	n256[256] = '\0';

	static const struct {
		bool remote_dns;
		const char *target;
		uint16_t port;
		const char *err;
	} cases[] = {
		{ false, "mx.example.org", 25, "socks5h://" },   /* a name needs the proxy's resolver */
		{ true, NULL, 25, "no target" },
		{ true, "", 25, "no target" },
		{ true, "192.0.2.1", 0, "port 0" },
		{ true, "n256", 25, "at most 255" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct socks_proxy p = { .host = "proxy.test", .port = 1080, .remote_dns = cases[i].remote_dns };
		const char *target = cases[i].target && strcmp(cases[i].target, "n256") == 0 ? n256 : cases[i].target;
		struct socks_session *s = socks_new(&p, target, cases[i].port);
		assert_non_null(s);
		size_t used = 99, len = 99;
		assert_int_equal(socks_feed(s, NULL, 0, &used), SOCKS_FAILED);
		assert_int_equal(used, 0);
		socks_output(s, &len);
		assert_int_equal(len, 0);
		if (!strstr(socks_error(s), cases[i].err))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, socks_error(s), cases[i].err);
		socks_free(s);
	}

	/* 255 octets is the most a name can be, and its length octet says 255. */
	struct socks_proxy p = { .host = "proxy.test", .port = 1080, .remote_dns = true };
	struct socks_session *s = socks_new(&p, n255, 25);
	size_t used, len;
	assert_int_equal(socks_feed(s, NULL, 0, &used), SOCKS_MORE);
	socks_output(s, &len);
	socks_output_done(s, len);
	assert_int_equal(socks_feed(s, (const unsigned char *)"\x05\x00", 2, &used), SOCKS_MORE);
	const unsigned char *out = socks_output(s, &len);
	assert_int_equal(len, 4 + 1 + 255 + 2);
	assert_memory_equal(out, "\x05\x01\x00\x03\xff", 5);
	assert_memory_equal(out + 5, n255, 255);
	assert_memory_equal(out + 260, "\x00\x19", 2);
	socks_free(s);
	socks_free(NULL);
}

/* Output written in pieces, and the password gone from the buffer once written. */
static void test_output_and_wipe(void **state)
{
	(void)state;
	struct socks_proxy p = { .host = "proxy.test", .port = 1080, .user = "alice", .pass = PASSWORD };
	struct socks_session *s = socks_new(&p, "192.0.2.1", 25);
	size_t len, used;
	const unsigned char *out = socks_output(s, &len);
	assert_int_equal(len, 4);
	socks_output_done(s, 1);
	out = socks_output(s, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "\x02\x00\x02", 3);
	socks_output_done(s, 3);
	socks_output(s, &len);
	assert_int_equal(len, 0);

	assert_int_equal(socks_feed(s, (const unsigned char *)"\x05\x02", 2, &used), SOCKS_MORE);
	out = socks_output(s, &len);
	assert_int_equal(len, 3 + 5 + 9);
	assert_non_null(memmem(out, len, PASSWORD, strlen(PASSWORD)));
	socks_output_done(s, 5);
	socks_output_done(s, len - 5);
	/* The buffer was reserved up front, so out still points at it. */
	assert_null(memmem(out, len, PASSWORD, strlen(PASSWORD)));
	assert_null(memmem(out, len, "alice", 5));
	socks_free(s);
}

struct url_case {
	const char *url;
	const char *err;     /* NULL: parses */
	const char *host;
	int port;
	const char *user, *pass;
	bool remote_dns;
};

#define GOOD(u, h, po, us, pa, r) { u, NULL, h, po, us, pa, r }
#define BAD(u, e) { u, e, NULL, 0, NULL, NULL, false }

static const struct url_case urls[] = {
	GOOD("socks5://127.0.0.1:1080", "127.0.0.1", 1080, "", "", false),
	GOOD("socks5h://proxy.example:9050", "proxy.example", 9050, "", "", true),
	GOOD("SOCKS5H://Proxy.Example:1", "Proxy.Example", 1, "", "", true),
	GOOD("socks5://proxy.example", "proxy.example", 1080, "", "", false),   /* default port */
	GOOD("socks5://proxy.example:1080/", "proxy.example", 1080, "", "", false),
	GOOD("socks5://alice:Hunter2@p.test:1080", "p.test", 1080, "alice", "Hunter2", false),
	GOOD("socks5h://al%69ce:pa%40ss%3Aw%2f@p.test:2", "p.test", 2, "alice", "pa@ss:w/", true),
	GOOD("socks5://alice:p@ss@p.test:3", "p.test", 3, "alice", "p@ss", false),  /* last '@' ends the user info */
	GOOD("socks5://alice:a:b@p.test:3", "p.test", 3, "alice", "a:b", false),    /* first ':' ends the user */
	GOOD("socks5://u%20x:p%25@h:4", "h", 4, "u x", "p%", false),
	GOOD("socks5://alice@p.test:5", "p.test", 5, "alice", "", false),
	GOOD("socks5://alice:@p.test:5", "p.test", 5, "alice", "", false),
	GOOD("socks5://[::1]:1080", "::1", 1080, "", "", false),
	GOOD("socks5h://[2001:db8::1]:65535", "2001:db8::1", 65535, "", "", true),
	GOOD("socks5://[::1]", "::1", 1080, "", "", false),
	GOOD("socks5://alice:Hunter2@[::1]:6", "::1", 6, "alice", "Hunter2", false),
	BAD(NULL, "no proxy URL"),
	BAD("http://p.test:1080", "socks5://"),
	BAD("socks4://p.test:1080", "socks5://"),
	BAD("socks5:/p.test:1080", "socks5://"),
	BAD("socks5h:p.test", "socks5://"),
	BAD("", "socks5://"),
	BAD("socks5://", "no host"),
	BAD("socks5://:1080", "no host"),
	BAD("socks5://alice:Hunter2@", "no host"),
	BAD("socks5://p.test:0", "1 to 65535"),
	BAD("socks5://p.test:65536", "1 to 65535"),
	BAD("socks5://p.test:100000", "1 to 65535"),
	BAD("socks5://p.test:", "1 to 65535"),
	BAD("socks5://p.test:12a", "1 to 65535"),
	BAD("socks5://p.test:-1", "1 to 65535"),
	BAD("socks5://p.test:+80", "1 to 65535"),
	BAD("socks5://p.test:1/path", "path"),
	BAD("socks5://p.test:1?x", "path, query"),
	BAD("socks5://p.test:1#f", "fragment"),
	BAD("socks5://alice:Hunter2/x@p.test:1", "percent-encode"),
	BAD("socks5://[::1:1080", "']'"),
	BAD("socks5://[zz::1]:1", "IPv6 address is not valid"),
	BAD("socks5://[]:1", "IPv6 address is not valid"),
	BAD("socks5://[192.0.2.1]:1", "IPv6 address is not valid"),
	BAD("socks5://[::1]x", "after the ']'"),
	BAD("socks5://[::1]:", "1 to 65535"),
	BAD("socks5://::1:1080", "brackets"),
	BAD("socks5://p test:1", "character"),
	BAD("socks5://p.test\r:1", "character"),
	BAD("socks5://alice:Hunter2%zz@p.test:1", "password has a bad %-escape"),
	BAD("socks5://alice:Hunter2%0@p.test:1", "password has a bad %-escape"),
	BAD("socks5://alice:Hunter2%@p.test:1", "password has a bad %-escape"),
	BAD("socks5://alice:Hunter2%00x@p.test:1", "password contains a NUL"),
	BAD("socks5://al%ZZice:Hunter2@p.test:1", "user name has a bad %-escape"),
	BAD("socks5://al%00ice:Hunter2@p.test:1", "user name contains a NUL"),
	BAD("socks5://:Hunter2@p.test:1", "no user name"),
};

static void check_url(const struct url_case *c, const char *url)
{
	struct socks_proxy p;
	char err[256];
	memset(&p, 0x55, sizeof p);
	memset(err, 0x55, sizeof err);
	bool ok = socks_parse_url(url, &p, err, sizeof err);
	const char *show = url ? url : "(null)";

	if (ok != (c->err == NULL))
		fail_msg("%s: returned %d (%s)", show, ok, ok ? "" : err);
	if (!ok) {
		if (!strstr(err, c->err))
			fail_msg("%s: error \"%s\" lacks \"%s\"", show, err, c->err);
		assert_null(strchr(err, '\n'));
		/* Neither the message nor the left-over struct may keep the password. */
		if (strstr(err, "Hunter2"))
			fail_msg("%s: error shows the password", show);
		assert_int_equal(p.pass[0], 0);
		assert_int_equal(p.host[0], 0);
		return;
	}
	assert_string_equal(err, "");
	assert_string_equal(p.host, c->host);
	assert_int_equal(p.port, c->port);
	assert_string_equal(p.user, c->user);
	assert_string_equal(p.pass, c->pass);
	assert_int_equal(p.remote_dns, c->remote_dns);
}

static void test_urls(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(urls); i++)
		check_url(&urls[i], urls[i].url);

	/* Length limits: RFC 1929 fields and host names hold 255 octets. */
	char a255[256], a256[257], url[700];
	memset(a255, 'a', 255);
	a255[255] = '\0';
	memset(a256, 'a', 256);
	a256[256] = '\0';
	struct url_case c = GOOD(NULL, "p.test", 1, a255, "Hunter2", false);
	snprintf(url, sizeof url, "socks5://%s:Hunter2@p.test:1", a255);
	check_url(&c, url);
	c = (struct url_case)GOOD(NULL, "p.test", 1, "u", a255, false);
	snprintf(url, sizeof url, "socks5://u:%s@p.test:1", a255);
	check_url(&c, url);
	c = (struct url_case)GOOD(NULL, a255, 1, "", "", false);
	snprintf(url, sizeof url, "socks5://%s:1", a255);
	check_url(&c, url);
	/* 255 octets once decoded: 255 escapes make 765 characters. */
	char esc[800] = "socks5://u:";
	for (int i = 0; i < 255; i++)
		strcat(esc, "%41");
	strcat(esc, "@h");
	struct socks_proxy p;
	char err[128];
	assert_true(socks_parse_url(esc, &p, err, sizeof err));
	assert_int_equal(strlen(p.pass), 255);

	c = (struct url_case)BAD(NULL, "user name is longer than 255");
	snprintf(url, sizeof url, "socks5://%s:Hunter2@p.test:1", a256);
	check_url(&c, url);
	c = (struct url_case)BAD(NULL, "password is longer than 255");
	snprintf(url, sizeof url, "socks5://u:Hunter2%s@p.test:1", a256);
	check_url(&c, url);
	c = (struct url_case)BAD(NULL, "host name is longer than 255");
	snprintf(url, sizeof url, "socks5://%s:1", a256);
	check_url(&c, url);

	/* A tiny or missing error buffer is not written past. */
	char tiny[8];
	memset(tiny, 'x', sizeof tiny);
	assert_false(socks_parse_url("ftp://x", &p, tiny, 5));
	assert_int_equal(tiny[4], '\0');
	assert_int_equal(tiny[5], 'x');
	assert_false(socks_parse_url("ftp://x", &p, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_reply_codes),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_output_and_wipe),
		cmocka_unit_test(test_urls),
	};
	return cmocka_run_group_tests_name("socks", tests, NULL, NULL);
}
