/*
 * test_address.c - table-driven tests for the mail address parser.
 *
 * Each row of `cases` runs as its own cmocka test (named after the row), so
 * a failure names the input that broke.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "address.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Long inputs, built from pieces so that their lengths can be checked by eye. */
#define A16 "aaaaaaaaaaaaaaaa"
#define A64 A16 A16 A16 A16
#define A65 A64 "a"
#define A63 A16 A16 A16 "aaaaaaaaaaaaaaa"
#define A61 A16 A16 A16 "aaaaaaaaaaaaa"
#define A62 A61 "a"
#define A54 A16 A16 A16 "aaaaaa"
#define A60 A16 A16 A16 "aaaaaaaaaaaa"
#define DOMAIN252 A63 "." A63 "." A63 "." A60
#define DOMAIN253 A63 "." A63 "." A63 "." A61 /* 3 * 64 + 61 */
#define DOMAIN254 A63 "." A63 "." A63 "." A62
#define A48 A16 A16 A16
#define A47 A16 A16 "aaaaaaaaaaaaaaa"
#define DOMAIN189 A63 "." A63 "." A61
#define DOMAIN190 A63 "." A63 "." A62
/* "b\xc3\xbccher" (7 octets) is "xn--bcher-kva" (13) in A-labels. */
#define BUECHER_DOMAIN(tail) "b\xc3\xbc" "cher." A63 "." A63 "." tail

struct parse_case {
	const char *name;
	const char *in;
	size_t len;             /* 0: strlen(in); set it for inputs with a NUL inside */
	bool allow_null;
	enum addr_error err;
	/* Checked only when err == ADDR_OK: */
	const char *local;
	const char *domain;
	const char *domain_unicode;
	const char *literal_ip; /* NULL: not a literal */
	bool needs_smtputf8;
	bool is_null;
};

#define OK(n, i, l, d, u) { .name = n, .in = i, .err = ADDR_OK, .local = l, .domain = d, .domain_unicode = u }
#define OK8(n, i, l, d, u) { .name = n, .in = i, .err = ADDR_OK, .local = l, .domain = d, .domain_unicode = u, .needs_smtputf8 = true }
#define LIT(n, i, d, ip) { .name = n, .in = i, .err = ADDR_OK, .local = "user", .domain = d, .domain_unicode = d, .literal_ip = ip }
#define ERR(n, i, e) { .name = n, .in = i, .err = e }
#define ERRN(n, i, l, e) { .name = n, .in = i, .len = l, .err = e }

static const struct parse_case cases[] = {
	/* Plain forms. */
	OK("plain", "user@example.org", "user", "example.org", "example.org"),
	OK("angle brackets", "<user@example.org>", "user", "example.org", "example.org"),
	OK("atext specials", "a+b!#$%&'*/=?^_`{|}~-@x.org", "a+b!#$%&'*/=?^_`{|}~-", "x.org", "x.org"),
	OK("dotted local", "first.last@x.org", "first.last", "x.org", "x.org"),
	OK("local case kept", "User.Name@X.ORG", "User.Name", "x.org", "x.org"),
	OK("single label domain", "root@localhost", "root", "localhost", "localhost"),
	OK("trailing dot stripped", "user@EXAMPLE.org.", "user", "example.org", "example.org"),
	{ .name = "only len bytes are read", .in = "user@x.orgZZZ", .len = 10, .err = ADDR_OK,
	  .local = "user", .domain = "x.org", .domain_unicode = "x.org" },

	/* Quoted local parts. */
	OK("quoted with space", "\"john doe\"@example.org", "\"john doe\"", "example.org", "example.org"),
	OK("quoted-pair quote", "\"a\\\"b\"@x.org", "\"a\\\"b\"", "x.org", "x.org"),
	OK("quoted-pair backslash", "\"a\\\\\"@x.org", "\"a\\\\\"", "x.org", "x.org"),
	OK("quoted at sign", "\"a@b\"@x.org", "\"a@b\"", "x.org", "x.org"),
	OK("quoted brackets", "<\"<a>\"@x.org>", "\"<a>\"", "x.org", "x.org"),
	OK("quoted double dot", "\"a..b\"@x.org", "\"a..b\"", "x.org", "x.org"),
	OK("empty quoted string", "\"\"@x.org", "\"\"", "x.org", "x.org"),
	OK8("quoted UTF-8", "\"j\xc3\xb6hn d\"@x.org", "\"j\xc3\xb6hn d\"", "x.org", "x.org"),
	ERR("unterminated quote", "\"abc@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("escaped closing quote", "\"a\\\"@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("quote then text", "\"a\"b@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("quote inside atom", "a\"b\"@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("quoted-pair of non-ASCII", "\"\\\xc3\xa9\"@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("unterminated quote in domain", "a@\"x.org", ADDR_ERR_DOMAIN_SYNTAX),

	/* Dot-string syntax. */
	ERR("double dot", "a..b@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("leading dot", ".a@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("trailing dot local", "a.@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("lone dot local", ".@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("parenthesis", "a(b)@x.org", ADDR_ERR_LOCAL_SYNTAX),
	ERR("comma", "a,b@x.org", ADDR_ERR_LOCAL_SYNTAX),
	OK8("UTF-8 local", "\xe7\x94\xa8\xe6\x88\xb7@example.org", "\xe7\x94\xa8\xe6\x88\xb7", "example.org", "example.org"),

	/* The @. */
	ERR("no at", "user.example.org", ADDR_ERR_NO_AT),
	ERR("only quoted at", "\"a@b\"", ADDR_ERR_NO_AT),
	ERR("double at", "a@@x.org", ADDR_ERR_MULTIPLE_AT),
	ERR("two ats", "a@b@x.org", ADDR_ERR_MULTIPLE_AT),
	ERR("empty local", "@x.org", ADDR_ERR_EMPTY_LOCAL),
	ERR("empty local bracketed", "<@x.org>", ADDR_ERR_EMPTY_LOCAL),
	ERR("empty domain", "user@", ADDR_ERR_EMPTY_DOMAIN),
	ERR("domain only a dot", "user@.", ADDR_ERR_EMPTY_DOMAIN),

	/* Lengths. */
	OK("64-octet local", A64 "@x.org", A64, "x.org", "x.org"),
	ERR("65-octet local", A65 "@x.org", ADDR_ERR_LOCAL_TOO_LONG),
	ERR("65-octet quoted local", "\"" A63 "\"@x.org", ADDR_ERR_LOCAL_TOO_LONG),
	OK("252-octet domain", "u@" DOMAIN252, "u", DOMAIN252, DOMAIN252),
	OK("252-octet domain plus dot", "u@" DOMAIN252 ".", "u", DOMAIN252, DOMAIN252),
	/* A valid domain, but "<u@" + 253 + ">" is one octet over the path limit. */
	ERR("253-octet domain", "u@" DOMAIN253, ADDR_ERR_PATH_TOO_LONG),
	ERR("253-octet domain plus dot", "u@" DOMAIN253 ".", ADDR_ERR_PATH_TOO_LONG),
	ERR("254-octet domain", "u@" DOMAIN254, ADDR_ERR_DOMAIN_TOO_LONG),
	OK("63-octet label", "u@" A63 ".org", "u", A63 ".org", A63 ".org"),
	ERR("64-octet label", "u@" A64 ".org", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("64-octet label, Unicode", "u@\xc3\xbc" A63 ".org", ADDR_ERR_DOMAIN_SYNTAX),
	/* "xn--tda." + 3 * 64 + 54 = 254 octets once converted */
	ERR("254-octet domain once converted", "u@\xc3\xbc." A63 "." A63 "." A63 "." A54, ADDR_ERR_DOMAIN_TOO_LONG),
	ERR("Unicode domain past 255", "u@\xc3\xbc." DOMAIN253, ADDR_ERR_DOMAIN_TOO_LONG),

	/* Host name syntax. */
	ERR("leading hyphen", "user@-bad.org", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("trailing hyphen", "user@bad-.org", ADDR_ERR_DOMAIN_SYNTAX),
	OK("inner hyphens", "user@a--b.org", "user", "a--b.org", "a--b.org"),
	ERR("underscore", "user@a_b.org", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("empty label", "user@a..org", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("leading dot domain", "user@.org", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("two trailing dots", "user@x.org..", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("quoted domain", "user@\"x\".org", ADDR_ERR_DOMAIN_SYNTAX),

	/* IDN. */
	OK("U-label", "user@b\xc3\xbc" "cher.example", "user", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example"),
	OK("U-label mapped to lower case", "user@B\xc3\xbc" "cher.example", "user", "xn--bcher-kva.example", "B\xc3\xbc" "cher.example"),
	OK("U-label upper umlaut", "user@B\xc3\x9c" "CHER.example.", "user", "xn--bcher-kva.example", "B\xc3\x9c" "CHER.example"),
	OK("sharp s non-transitional", "user@stra\xc3\x9f" "e.de", "user", "xn--strae-oqa.de", "stra\xc3\x9f" "e.de"),
	OK("ideographic full stop", "user@\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "user", "xn--r8jz45g.xn--zckzah",
	   "\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"),
	OK("A-label given", "user@XN--BCHER-KVA.example", "user", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example"),
	ERR("invalid A-label", "user@xn--zz.org", ADDR_ERR_IDN),
	ERR("A-label of a control", "user@xn--a.org", ADDR_ERR_IDN),
	ERR("bare ACE prefix", "user@xn--.org", ADDR_ERR_DOMAIN_SYNTAX), /* ends in a hyphen */
	ERR("disallowed code point", "user@\xe2\x92\x88.org", ADDR_ERR_IDN), /* U+2488 */
	ERR("U-label with underscore", "user@\xc3\xbc_x.org", ADDR_ERR_DOMAIN_SYNTAX),
	OK8("UTF-8 local and domain", "\xe7\x94\xa8@b\xc3\xbc" "cher.example", "\xe7\x94\xa8", "xn--bcher-kva.example", "b\xc3\xbc" "cher.example"),

	/* Address literals. */
	LIT("IPv4 literal", "user@[192.0.2.1]", "[192.0.2.1]", "192.0.2.1"),
	LIT("IPv6 literal", "user@[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]", "2001:db8::1"),
	LIT("IPv6 tag as given", "user@[ipv6:2001:DB8::1]", "[ipv6:2001:DB8::1]", "2001:DB8::1"),
	LIT("IPv6 with IPv4 tail", "user@[IPv6:::ffff:192.0.2.1]", "[IPv6:::ffff:192.0.2.1]", "::ffff:192.0.2.1"),
	ERR("IPv4 octet too big", "user@[300.1.1.1]", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("IPv4 too short", "user@[192.0.2]", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("IPv6 without tag", "user@[2001:db8::1]", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("IPv4 under IPv6 tag", "user@[IPv6:192.0.2.1]", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("general literal", "user@[x400:abc]", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("empty literal", "user@[]", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("unclosed literal", "user@[192.0.2.1", ADDR_ERR_DOMAIN_SYNTAX),
	ERR("host name after literal", "user@[192.0.2.1]x", ADDR_ERR_DOMAIN_SYNTAX),

	/* Control characters, refused anywhere, quoted or not. */
	ERR("CR", "user\r@x.org", ADDR_ERR_CONTROL),
	ERR("LF", "user@x.org\n", ADDR_ERR_CONTROL),
	ERR("CRLF injection", "user@x.org>\r\nRCPT TO:<v@y.org", ADDR_ERR_CONTROL),
	ERRN("NUL in local", "us\0er@x.org", 11, ADDR_ERR_CONTROL),
	ERRN("NUL at end", "user@x.org\0", 11, ADDR_ERR_CONTROL),
	ERRN("NUL in quotes", "\"a\0b\"@x.org", 11, ADDR_ERR_CONTROL),
	ERR("LF in quotes", "\"a\nb\"@x.org", ADDR_ERR_CONTROL),
	ERR("tab", "user\t@x.org", ADDR_ERR_CONTROL),
	ERR("DEL", "user\x7f@x.org", ADDR_ERR_CONTROL),
	ERR("C1 NEL", "user\xc2\x85@x.org", ADDR_ERR_CONTROL),
	ERR("control beats UTF-8", "\xff\r@x.org", ADDR_ERR_CONTROL),

	/* White space. */
	ERR("space in domain", "user@exa mple.org", ADDR_ERR_SPACE),
	ERR("space in local", "a b@x.org", ADDR_ERR_SPACE),
	ERR("space outside brackets", " <user@x.org>", ADDR_ERR_SPACE),
	ERR("space without at", "a b", ADDR_ERR_SPACE),

	/* Brackets. */
	ERR("no closing bracket", "<user@x.org", ADDR_ERR_BRACKETS),
	ERR("no opening bracket", "user@x.org>", ADDR_ERR_BRACKETS),
	ERR("doubled brackets", "<<user@x.org>>", ADDR_ERR_BRACKETS),
	ERR("bracket inside", "us<er@x.org>", ADDR_ERR_BRACKETS),
	ERR("text after bracket", "<user@x.org>x", ADDR_ERR_BRACKETS),
	ERR("lone bracket", "<", ADDR_ERR_BRACKETS),

	/* UTF-8. */
	ERR("byte 0xff", "us\xff" "er@x.org", ADDR_ERR_UTF8),
	ERR("0xff in domain", "user@x\xff.org", ADDR_ERR_UTF8),
	ERR("overlong slash", "\xc0\xaf@x.org", ADDR_ERR_UTF8),
	ERR("surrogate", "\xed\xa0\x80@x.org", ADDR_ERR_UTF8),
	ERR("truncated sequence", "user@x.org\xe7\x94", ADDR_ERR_UTF8),
	ERR("lone continuation", "\x80@x.org", ADDR_ERR_UTF8),

	/* Invisible characters: what is shown would not be what is probed. */
	ERR("zero-width space", "us\xe2\x80\x8b" "er@x.org", ADDR_ERR_INVISIBLE),
	ERR("BOM in front", "\xef\xbb\xbf" "user@x.org", ADDR_ERR_INVISIBLE),
	ERR("BOM at the end", "user@x.org\xef\xbb\xbf", ADDR_ERR_INVISIBLE),
	ERR("right-to-left override", "\xe2\x80\xae" "gro.x@resu", ADDR_ERR_INVISIBLE),
	ERR("bidi isolate quoted", "\"a\xe2\x81\xa6" "b\"@x.org", ADDR_ERR_INVISIBLE),
	ERR("RLM in domain", "user@x\xe2\x80\x8f.org", ADDR_ERR_INVISIBLE),
	/* UTS #46 would map it away and probe example.org without a word. */
	ERR("soft hyphen in domain", "user@exam\xc2\xad" "ple.org", ADDR_ERR_INVISIBLE),
	ERR("word joiner", "user\xe2\x81\xa0@x.org", ADDR_ERR_INVISIBLE),
	ERR("tag character", "user\xf3\xa0\x80\x81@x.org", ADDR_ERR_INVISIBLE),
	ERR("control beats invisible", "\xe2\x80\x8b" "a\xc2\x85@x.org", ADDR_ERR_CONTROL),
	ERR("broken UTF-8 beats invisible", "\xe2\x80\x8b" "a\xff@x.org", ADDR_ERR_UTF8),
	OK8("zero-width non-joiner is a letter's business", "a\xe2\x80\x8c" "b@x.org", "a\xe2\x80\x8c" "b", "x.org", "x.org"),

	/* The whole path, "<" local "@" domain ">", is at most 256 octets (RFC 5321 4.5.3.1.3). */
	OK("path of 256 octets", A64 "@" DOMAIN189, A64, DOMAIN189, DOMAIN189),
	OK("path of 256 octets, bracketed", "<" A64 "@" DOMAIN189 ">", A64, DOMAIN189, DOMAIN189),
	ERR("path of 257 octets", A64 "@" DOMAIN190, ADDR_ERR_PATH_TOO_LONG),
	ERR("path of 257 octets, bracketed", "<" A64 "@" DOMAIN190 ">", ADDR_ERR_PATH_TOO_LONG),
	ERR("path of 257 octets, quoted local", "\"" A62 "\"@" DOMAIN190, ADDR_ERR_PATH_TOO_LONG),
	ERR("path of 257 octets in A-labels", A64 "@" BUECHER_DOMAIN(A48), ADDR_ERR_PATH_TOO_LONG),
	OK("path of 256 octets in A-labels", A64 "@" BUECHER_DOMAIN(A47), A64,
	   "xn--bcher-kva." A63 "." A63 "." A47, "b\xc3\xbc" "cher." A63 "." A63 "." A47),
	{ .name = "long sender path", .in = A64 "@" DOMAIN190, .allow_null = true, .err = ADDR_ERR_PATH_TOO_LONG },

	/* Empty and null. */
	ERR("empty", "", ADDR_ERR_EMPTY),
	ERR("null path refused", "<>", ADDR_ERR_EMPTY),
	{ .name = "empty allowed", .in = "", .allow_null = true, .err = ADDR_OK, .is_null = true },
	{ .name = "null path allowed", .in = "<>", .allow_null = true, .err = ADDR_OK, .is_null = true },
	{ .name = "allow_null keeps addresses", .in = "<a@x.org>", .allow_null = true, .err = ADDR_OK,
	  .local = "a", .domain = "x.org", .domain_unicode = "x.org" },
	{ .name = "allow_null still checks", .in = "< >", .allow_null = true, .err = ADDR_ERR_SPACE },
};

static size_t case_len(const struct parse_case *c)
{
	return c->len ? c->len : strlen(c->in);
}

static void test_parse_case(void **state)
{
	const struct parse_case *c = *state;
	struct address a, zero;
	enum addr_error err;

	memset(&zero, 0, sizeof zero);
	memset(&a, 0xa5, sizeof a); /* whatever the caller had there must go */
	err = addr_parse(c->in, case_len(c), c->allow_null, &a);
	if (err != c->err)
		fail_msg("%s: got %d (%s), want %d (%s)", c->name, err, addr_strerror(err), c->err,
			 addr_strerror(c->err));

	if (err != ADDR_OK) {
		assert_memory_equal(&a, &zero, sizeof a);
		return;
	}
	assert_int_equal(a.is_null, c->is_null);
	if (c->is_null) {
		assert_string_equal(a.local, "");
		assert_string_equal(a.domain, "");
		return;
	}
	assert_string_equal(a.local, c->local);
	assert_string_equal(a.domain, c->domain);
	assert_string_equal(a.domain_unicode, c->domain_unicode);
	assert_int_equal(a.needs_smtputf8, c->needs_smtputf8);
	assert_int_equal(a.domain_is_literal, c->literal_ip != NULL);
	assert_string_equal(a.literal_ip, c->literal_ip ? c->literal_ip : "");
}

/* Every code in the table above is exercised, so a new code needs a row. */
static void test_every_error_covered(void **state)
{
	bool seen[ADDR_ERR_PATH_TOO_LONG + 1] = { false };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		seen[cases[i].err] = true;
	for (int e = ADDR_OK; e <= ADDR_ERR_PATH_TOO_LONG; e++)
		if (!seen[e])
			fail_msg("no test case expects error %d (%s)", e, addr_strerror((enum addr_error)e));
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = ADDR_OK; e <= ADDR_ERR_PATH_TOO_LONG; e++) {
		const char *t = addr_strerror((enum addr_error)e);
		assert_non_null(t);
		assert_true(strlen(t) > 0);
		assert_null(strchr(t, '\n'));
		assert_string_not_equal(t, "unknown address error");
		for (int f = ADDR_OK; f < e; f++)
			assert_string_not_equal(t, addr_strerror((enum addr_error)f));
	}
	assert_string_equal(addr_strerror(ADDR_ERR_LOCAL_TOO_LONG), "the local part is longer than 64 octets");
	assert_non_null(strstr(addr_strerror(ADDR_ERR_CONTROL), "control character"));
	assert_non_null(strstr(addr_strerror(ADDR_ERR_INVISIBLE), "invisible character"));
	assert_non_null(strstr(addr_strerror(ADDR_ERR_PATH_TOO_LONG), "256 octets"));
	assert_string_equal(addr_strerror((enum addr_error)(ADDR_ERR_PATH_TOO_LONG + 1)), "unknown address error");
	assert_string_equal(addr_strerror((enum addr_error)-1), "unknown address error");
}

static void test_format(void **state)
{
	struct address a;
	char buf[32];
	const char *want = "\"john doe\"@xn--bcher-kva.example";

	(void)state;
	const char *in = "<\"john doe\"@B\xc3\xbc" "cher.example.>";
	assert_int_equal(addr_parse(in, strlen(in), false, &a), ADDR_OK);

	/* Exactly enough room, then one byte short. */
	char fit[64];
	assert_true(addr_format(&a, fit, strlen(want) + 1));
	assert_string_equal(fit, want);
	memset(fit, 'x', sizeof fit);
	assert_false(addr_format(&a, fit, strlen(want)));
	assert_string_equal(fit, "");
	assert_false(addr_format(&a, buf, 0));
	assert_false(addr_format(&a, NULL, 10));

	/* The formatted address parses back to the same thing. */
	struct address b;
	assert_true(addr_format(&a, fit, sizeof fit));
	assert_int_equal(addr_parse(fit, strlen(fit), false, &b), ADDR_OK);
	assert_string_equal(b.local, a.local);
	assert_string_equal(b.domain, a.domain);

	/* The null path formats as nothing (MAIL FROM:<>). */
	assert_int_equal(addr_parse("<>", 2, true, &a), ADDR_OK);
	memset(buf, 'x', sizeof buf);
	assert_true(addr_format(&a, buf, sizeof buf));
	assert_string_equal(buf, "");

	/* Literals format with their brackets. */
	assert_int_equal(addr_parse("u@[IPv6:::1]", 12, false, &a), ADDR_OK);
	assert_true(addr_format(&a, buf, sizeof buf));
	assert_string_equal(buf, "u@[IPv6:::1]");
}

/* A NULL buffer is only an empty input; with a length it is still refused. */
static void test_null_input(void **state)
{
	struct address a;

	(void)state;
	assert_int_equal(addr_parse(NULL, 0, false, &a), ADDR_ERR_EMPTY);
	assert_int_equal(addr_parse(NULL, 0, true, &a), ADDR_OK);
	assert_true(a.is_null);
	memset(&a, 0xa5, sizeof a);
	assert_int_equal(addr_parse(NULL, 5, true, &a), ADDR_ERR_EMPTY);
	assert_false(a.is_null);
}

static const struct {
	const char *name;
	bool valid;
} hostnames[] = {
	{ "mx.example.org", true },
	{ "MX1.Example.ORG", true },
	{ "localhost", true },
	{ "a--b.example", true },
	{ "xn--bcher-kva.example", true },
	{ "[192.0.2.1]", true },
	{ "[IPv6:2001:db8::1]", true },
	{ "[IPv6:::1]", true },
	{ A63 ".org", true },
	{ DOMAIN253, true },
	{ "", false },
	{ ".", false },
	{ "mx.example.org.", false },
	{ ".example.org", false },
	{ "a..b", false },
	{ "-a.org", false },
	{ "a-.org", false },
	{ "a_b.org", false },
	{ "a b.org", false },
	{ "a.org\r\nMAIL FROM:<x@y>", false },
	{ "a.org\t", false },
	{ "b\xc3\xbc" "cher.example", false },
	{ A64 ".org", false },
	{ DOMAIN254, false },
	{ "[300.1.1.1]", false },
	{ "[2001:db8::1]", false },
	{ "[192.0.2.1", false },
	{ "192.0.2.1]", false },
	{ "[]", false },
	{ "user@x.org", false },
};

static void test_valid_hostname(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(hostnames); i++)
		if (addr_valid_hostname(hostnames[i].name) != hostnames[i].valid)
			fail_msg("addr_valid_hostname(\"%s\") should be %s", hostnames[i].name,
				 hostnames[i].valid ? "true" : "false");
	assert_false(addr_valid_hostname(NULL));
}

int main(void)
{
	static const struct CMUnitTest other_tests[] = {
		cmocka_unit_test(test_every_error_covered),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_null_input),
		cmocka_unit_test(test_valid_hostname),
	};
	/* One group, so that the TAP output has a single plan (meson insists). */
	struct CMUnitTest tests[ARRAY_SIZE(cases) + ARRAY_SIZE(other_tests)];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(test_parse_case, (void *)&cases[i]);
		t.name = cases[i].name;
		tests[i] = t;
	}
	for (size_t i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[ARRAY_SIZE(cases) + i] = other_tests[i];
	return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
