/*
 * Unit tests for SMTP AUTH: mechanism choice, base64 edge cases, and the
 * lines each mechanism sends, checked against the RFCs' published examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 2195 2, the CRAM-MD5 example. */
#define TIM "tim"
#define TIM_SECRET "tanstaaftanstaaf"
#define RFC2195_CHALLENGE "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
#define RFC2195_ANSWER "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"

/* Google's XOAUTH2 protocol page, the SMTP example. */
#define GOOGLE_USER "someuser@example.com"
#define GOOGLE_TOKEN "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
#define GOOGLE_IR "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
#define GOOGLE_ERROR "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1haWwiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5nb29nbGUuY29tLyJ9"

static void test_mech_names(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		enum auth_mech m;
	} cases[] = {
		{ "PLAIN", AUTH_PLAIN },     { "plain", AUTH_PLAIN },   { "Login", AUTH_LOGIN },
		{ "cram-md5", AUTH_CRAM_MD5 }, { "XOAUTH2", AUTH_XOAUTH2 }, { "xoauth2", AUTH_XOAUTH2 },
		{ "GSSAPI", AUTH_NONE },     { "CRAM-MD5 ", AUTH_NONE }, { "PLAI", AUTH_NONE },
		{ "", AUTH_NONE },           { NULL, AUTH_NONE },
	};
	for (size_t i = 0; i < N(cases); i++)
		if (auth_mech_parse(cases[i].in) != cases[i].m)
			fail_msg("parse \"%s\": got %d, want %d", cases[i].in ? cases[i].in : "(null)",
			         auth_mech_parse(cases[i].in), cases[i].m);

	assert_string_equal(auth_mech_name(AUTH_PLAIN), "PLAIN");
	assert_string_equal(auth_mech_name(AUTH_LOGIN), "LOGIN");
	assert_string_equal(auth_mech_name(AUTH_CRAM_MD5), "CRAM-MD5");
	assert_string_equal(auth_mech_name(AUTH_XOAUTH2), "XOAUTH2");
	for (enum auth_mech m = AUTH_PLAIN; m <= AUTH_XOAUTH2; m++)
		assert_int_equal(auth_mech_parse(auth_mech_name(m)), m);
	assert_string_equal(auth_mech_name((enum auth_mech)99), "?");
}

static void test_pick(void **state)
{
	(void)state;
	static const struct {
		const char *advertised;
		enum auth_mech forced, want;
	} cases[] = {
		{ "PLAIN LOGIN CRAM-MD5", AUTH_NONE, AUTH_CRAM_MD5 },
		{ "LOGIN PLAIN", AUTH_NONE, AUTH_PLAIN },
		{ "LOGIN", AUTH_NONE, AUTH_LOGIN },
		{ "plain login", AUTH_NONE, AUTH_PLAIN },
		{ "  LOGIN \t PLAIN  ", AUTH_NONE, AUTH_PLAIN },
		{ "GSSAPI NTLM", AUTH_NONE, AUTH_NONE },
		{ "XOAUTH2", AUTH_NONE, AUTH_NONE },            /* never chosen unasked */
		{ "XOAUTH2 LOGIN", AUTH_NONE, AUTH_LOGIN },
		{ "XOAUTH2 PLAIN", AUTH_XOAUTH2, AUTH_XOAUTH2 },
		{ "CRAM-MD5 PLAIN", AUTH_LOGIN, AUTH_NONE },    /* forced but not offered */
		{ "CRAM-MD5 PLAIN", AUTH_PLAIN, AUTH_PLAIN },   /* forced beats stronger */
		{ "CRAM-MD5X PLAINY LOGI", AUTH_NONE, AUTH_NONE }, /* whole words only */
		{ "XCRAM-MD5", AUTH_CRAM_MD5, AUTH_NONE },
		{ "", AUTH_NONE, AUTH_NONE },
		{ "", AUTH_PLAIN, AUTH_NONE },
		{ NULL, AUTH_PLAIN, AUTH_NONE },
		{ "PLAIN", (enum auth_mech)42, AUTH_NONE },
	};
	for (size_t i = 0; i < N(cases); i++) {
		enum auth_mech got = auth_pick(cases[i].advertised, cases[i].forced);
		if (got != cases[i].want)
			fail_msg("pick \"%s\" forced %d: got %d, want %d",
			         cases[i].advertised ? cases[i].advertised : "(null)", cases[i].forced, got, cases[i].want);
	}
}

static void test_b64_vectors(void **state)
{
	(void)state;
	/* RFC 4648 10, plus bytes whose zeros must survive the padding arithmetic. */
	static const struct {
		const char *raw;
		size_t len;
		const char *enc;
	} cases[] = {
		{ "", 0, "" },
		{ "f", 1, "Zg==" },
		{ "fo", 2, "Zm8=" },
		{ "foo", 3, "Zm9v" },
		{ "foob", 4, "Zm9vYg==" },
		{ "fooba", 5, "Zm9vYmE=" },
		{ "foobar", 6, "Zm9vYmFy" },
		{ "\0", 1, "AA==" },
		{ "\0\0", 2, "AAA=" },
		{ "\0\0\0", 3, "AAAA" },
		{ "\xff\xfe\xfd\0", 4, "//79AA==" },
		{ "\0tim\0tanstaaftanstaaf", 21, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
		auth_b64_encode((const unsigned char *)cases[i].raw, cases[i].len, &enc);
		assert_string_equal(strbuf_str(&enc), cases[i].enc);
		int n = auth_b64_decode(cases[i].enc, strlen(cases[i].enc), &dec);
		if (n != (int)cases[i].len)
			fail_msg("decode \"%s\": length %d, want %zu", cases[i].enc, n, cases[i].len);
		assert_int_equal(dec.len, cases[i].len);
		assert_memory_equal(strbuf_str(&dec), cases[i].raw, cases[i].len);
		strbuf_free(&enc);
		strbuf_free(&dec);
	}
}

/* Every input length 0..5 over every residue of the padding, and a long one crossing chunks. */
static void test_b64_round_trip(void **state)
{
	(void)state;
	static unsigned char raw[10000];
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 3071, 3072, 3073, 4095, 4096, 4097, 10000 };

	for (size_t i = 0; i < N(lens); i++) {
		struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
		auth_b64_encode(raw, lens[i], &enc);
		assert_int_equal(enc.len, (lens[i] + 2) / 3 * 4);
		size_t pad = (3 - lens[i] % 3) % 3;
		for (size_t k = 0; k < enc.len; k++)
			if ((enc.data[k] == '=') != (k >= enc.len - pad))
				fail_msg("length %zu: '=' at %zu", lens[i], k);
		int n = auth_b64_decode(enc.data ? enc.data : "", enc.len, &dec);
		if (n != (int)lens[i])
			fail_msg("length %zu decoded to %d", lens[i], n);
		assert_memory_equal(strbuf_str(&dec), raw, lens[i]);
		strbuf_free(&enc);
		strbuf_free(&dec);
	}
}

static void test_b64_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg=",       /* not a multiple of 4 */
		"Z",
		"Zm9vY",
		"Zg===",     /* 5 chars */
		"Z===",      /* three pads */
		"====",
		"=Zg=",      /* pad in front */
		"Zm=v",      /* pad in the middle: DecodeBlock would take it as zero bits */
		"Zm9v=Zm9",
		"Zm9vYg==Zm9v",
		" Zm9v",     /* DecodeBlock would skip leading white space */
		"Zm9v\r\n",  /* ... and trailing */
		"Zm9 ",
		"Zm9-",      /* base64url, not base64 */
		"Zm9_",
		"Zm9\x80",
		"Zm9.",
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct strbuf out = STRBUF_INIT;
		strbuf_puts(&out, "keep");
		if (auth_b64_decode(bad[i], strlen(bad[i]), &out) != -1)
			fail_msg("\"%s\" decoded", bad[i]);
		assert_string_equal(strbuf_str(&out), "keep"); /* untouched on failure */
		strbuf_free(&out);
	}
	/* The length is what counts, not a NUL: an embedded NUL is not base64. */
	struct strbuf out = STRBUF_INIT;
	assert_int_equal(auth_b64_decode("Zm\0v", 4, &out), -1);
	assert_int_equal(auth_b64_decode("Zm9vXXXX", 4, &out), 3);
	assert_string_equal(strbuf_str(&out), "foo");
	strbuf_free(&out);
}

/* One step of a dialogue: what the server said (NULL = the AUTH command) and what we answer. */
struct exchange {
	const char *challenge;
	bool ok;
	const char *line;
	const char *redacted;
};

struct auth_case {
	const char *name;
	enum auth_mech mech;
	const char *user, *secret;
	struct exchange steps[4];
};

static const struct auth_case dialogues[] = {
	{ "PLAIN RFC 4616", AUTH_PLAIN, TIM, TIM_SECRET, {
		{ NULL, true, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "AUTH PLAIN <redacted>" },
		{ "", false, "", "" } } },   /* we sent an initial response: a 334 makes no sense */
	{ "LOGIN", AUTH_LOGIN, TIM, TIM_SECRET, {
		{ NULL, true, "AUTH LOGIN", "AUTH LOGIN" },
		{ "VXNlcm5hbWU6", true, "dGlt", "<redacted>" },
		{ "UGFzc3dvcmQ6", true, "dGFuc3RhYWZ0YW5zdGFhZg==", "<redacted>" },
		{ "UGFzc3dvcmQ6", false, "", "" } } },
	{ "LOGIN bad challenge", AUTH_LOGIN, TIM, TIM_SECRET, {
		{ NULL, true, "AUTH LOGIN", "AUTH LOGIN" },
		{ "Username:", false, "", "" } } },
	{ "CRAM-MD5 RFC 2195", AUTH_CRAM_MD5, TIM, TIM_SECRET, {
		{ NULL, true, "AUTH CRAM-MD5", "AUTH CRAM-MD5" },
		{ RFC2195_CHALLENGE, true, RFC2195_ANSWER, "<redacted>" },
		{ RFC2195_CHALLENGE, false, "", "" } } },
	{ "CRAM-MD5 empty challenge", AUTH_CRAM_MD5, TIM, TIM_SECRET, {
		{ NULL, true, "AUTH CRAM-MD5", "AUTH CRAM-MD5" },
		{ "", false, "", "" } } },
	{ "CRAM-MD5 broken challenge", AUTH_CRAM_MD5, TIM, TIM_SECRET, {
		{ NULL, true, "AUTH CRAM-MD5", "AUTH CRAM-MD5" },
		{ "<1896.697170952@postoffice.reston.mci.net>", false, "", "" } } },
	{ "XOAUTH2 Google example", AUTH_XOAUTH2, GOOGLE_USER, GOOGLE_TOKEN, {
		{ NULL, true, "AUTH XOAUTH2 " GOOGLE_IR, "AUTH XOAUTH2 <redacted>" },
		{ GOOGLE_ERROR, true, "", "" },   /* the JSON error gets an empty line */
		{ GOOGLE_ERROR, false, "", "" } } },
	{ "XOAUTH2 broken error", AUTH_XOAUTH2, GOOGLE_USER, GOOGLE_TOKEN, {
		{ NULL, true, "AUTH XOAUTH2 " GOOGLE_IR, "AUTH XOAUTH2 <redacted>" },
		{ "{\"status\":\"401\"}", false, "", "" } } },
	{ "NONE", AUTH_NONE, TIM, TIM_SECRET, {
		{ NULL, false, "", "" },
		{ "", false, "", "" } } },
};

static void test_dialogues(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(dialogues); i++) {
		const struct auth_case *c = &dialogues[i];
		int step = 0;
		for (size_t k = 0; k < N(c->steps) && c->steps[k].line; k++) {
			const struct exchange *e = &c->steps[k];
			struct strbuf out = STRBUF_INIT, red = STRBUF_INIT;
			/* Leftovers must be replaced, not appended to. */
			strbuf_puts(&out, "stale");
			strbuf_puts(&red, "stale");
			bool ok = e->challenge
			                  ? auth_respond(c->mech, step++, e->challenge, strlen(e->challenge), c->user,
			                                 c->secret, &out, &red)
			                  : auth_initial(c->mech, c->user, c->secret, &out, &red);
			if (ok != e->ok)
				fail_msg("%s step %zu: returned %d", c->name, k, ok);
			if (strcmp(strbuf_str(&out), e->line) != 0)
				fail_msg("%s step %zu: sent \"%s\", want \"%s\"", c->name, k, strbuf_str(&out), e->line);
			if (strcmp(strbuf_str(&red), e->redacted) != 0)
				fail_msg("%s step %zu: redacted \"%s\", want \"%s\"", c->name, k, strbuf_str(&red), e->redacted);
			if (strstr(strbuf_str(&red), c->secret) || (c->mech != AUTH_NONE && strstr(strbuf_str(&red), c->user)))
				fail_msg("%s step %zu: redacted form leaks a credential", c->name, k);
			auth_wipe(&out);
			assert_null(out.data);
			assert_int_equal(out.len, 0);
			strbuf_free(&red);
		}
	}
}

/* Decode what we send and compare bytes, independently of the expected base64 text. */
static void test_payloads(void **state)
{
	(void)state;
	struct strbuf out = STRBUF_INIT, raw = STRBUF_INIT;

	assert_true(auth_initial(AUTH_PLAIN, TIM, TIM_SECRET, &out, NULL));
	const char *b64 = strbuf_str(&out) + strlen("AUTH PLAIN ");
	assert_int_equal(auth_b64_decode(b64, strlen(b64), &raw), 21);
	assert_memory_equal(raw.data, "\0tim\0tanstaaftanstaaf", 21);
	strbuf_free(&raw);

	assert_true(auth_initial(AUTH_XOAUTH2, "u@x.test", "tok.en", &out, NULL));
	b64 = strbuf_str(&out) + strlen("AUTH XOAUTH2 ");
	static const char want[] = "user=u@x.test\x01" "auth=Bearer tok.en\x01\x01";
	assert_int_equal(auth_b64_decode(b64, strlen(b64), &raw), (int)sizeof want - 1);
	assert_memory_equal(raw.data, want, sizeof want - 1);
	strbuf_free(&raw);

	assert_true(auth_respond(AUTH_CRAM_MD5, 0, RFC2195_CHALLENGE, strlen(RFC2195_CHALLENGE), TIM, TIM_SECRET,
	                         &out, NULL));
	assert_true(auth_b64_decode(out.data, out.len, &raw) > 0);
	assert_string_equal(raw.data, "tim b913a602c7eda7a495b4e6e7334d3890");
	strbuf_free(&raw);

	/* A second, different challenge gives a different digest (no caching, no fixed answer). */
	assert_true(auth_respond(AUTH_CRAM_MD5, 0, "PGFAYj4=", 8, TIM, TIM_SECRET, &out, NULL));
	assert_true(auth_b64_decode(out.data, out.len, &raw) > 0);
	assert_int_equal(raw.len, 4 + 32);
	assert_memory_equal(raw.data, "tim ", 4);
	assert_string_not_equal(raw.data, "tim b913a602c7eda7a495b4e6e7334d3890");
	for (size_t i = 4; i < raw.len; i++)
		assert_true(strchr("0123456789abcdef", raw.data[i]) != NULL);
	strbuf_free(&raw);
	auth_wipe(&out);
}

static void test_bad_credentials(void **state)
{
	(void)state;
	static char big[13000];
	memset(big, 'a', sizeof big - 1);

	static const struct {
		const char *user, *secret;
		enum auth_mech only; /* AUTH_NONE: refused by every mechanism */
	} cases[] = {
		{ "tim\r", "pw", AUTH_NONE },
		{ "tim\n", "pw", AUTH_NONE },
		{ "tim", "pw\n", AUTH_NONE },
		{ "tim", "p\rw", AUTH_NONE },
		{ "", "pw", AUTH_NONE },
		{ "tim", "", AUTH_NONE },
		{ NULL, "pw", AUTH_NONE },
		{ "tim", NULL, AUTH_NONE },
		{ "tim", big, AUTH_NONE },            /* past the 12288-octet line */
		{ big, "pw", AUTH_NONE },
		{ "t\x01im", "pw", AUTH_XOAUTH2 },    /* would forge a field */
		{ "tim", "tok\x01" "auth=x", AUTH_XOAUTH2 },
	};
	for (size_t i = 0; i < N(cases); i++) {
		for (enum auth_mech m = AUTH_PLAIN; m <= AUTH_XOAUTH2; m++) {
			if (cases[i].only != AUTH_NONE && m != cases[i].only)
				continue;
			struct strbuf out = STRBUF_INIT, red = STRBUF_INIT;
			bool ok = auth_initial(m, cases[i].user, cases[i].secret, &out, &red);
			/* LOGIN and CRAM-MD5 only use the credentials in their answers. */
			if (m == AUTH_LOGIN)
				ok = ok || auth_respond(m, 1, "UGFzc3dvcmQ6", 12, cases[i].user, cases[i].secret, &out, &red) ||
				     auth_respond(m, 0, "VXNlcm5hbWU6", 12, cases[i].user, cases[i].secret, &out, &red);
			if (m == AUTH_CRAM_MD5)
				ok = ok || auth_respond(m, 0, RFC2195_CHALLENGE, strlen(RFC2195_CHALLENGE), cases[i].user,
				                        cases[i].secret, &out, &red);
			if (ok)
				fail_msg("case %zu accepted by %s", i, auth_mech_name(m));
			assert_int_equal(out.len, 0);
			assert_int_equal(red.len, 0);
			strbuf_free(&red);
			auth_wipe(&out);
		}
	}

	/* Just under the limit still works: a 9000-octet token fits the 12288-octet line. */
	struct strbuf out = STRBUF_INIT;
	big[9000] = '\0';
	assert_true(auth_initial(AUTH_XOAUTH2, "u", big, &out, NULL));
	assert_true(out.len <= 12286);
	auth_wipe(&out);
}

static void test_wipe(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	auth_wipe(&sb);          /* empty */
	auth_wipe(NULL);         /* destroy functions accept NULL */
	strbuf_puts(&sb, "secret");
	auth_wipe(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	strbuf_puts(&sb, "usable again");
	assert_string_equal(strbuf_str(&sb), "usable again");
	auth_wipe(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mech_names),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_invalid),
		cmocka_unit_test(test_dialogues),
		cmocka_unit_test(test_payloads),
		cmocka_unit_test(test_bad_credentials),
		cmocka_unit_test(test_wipe),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
