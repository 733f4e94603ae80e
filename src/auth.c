/* auth.c - SMTP AUTH client side (see auth.h). */
#include "auth.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * RFC 4954 4 lets an AUTH command be 12288 octets with its CRLF. We hold
 * every line we send to that, continuation answers included, so nothing a
 * server could reasonably refuse ever leaves us and the stack buffers
 * below have a fixed size.
 */
#define AUTH_LINE_MAX (12288 - 2)
/* The most plaintext whose base64 still fits on such a line. */
#define AUTH_RAW_MAX (AUTH_LINE_MAX / 4 * 3)
/* Multiple of 3 (encode) and of 4 after encoding (decode): padding only ever ends the last chunk. */
#define B64_CHUNK 3072

#define REDACTED "<redacted>"

/*
 * Plaintext being assembled. A fixed array on the stack, because a growing
 * heap buffer would realloc and leave copies of the secret in freed memory.
 */
struct raw {
	unsigned char b[AUTH_RAW_MAX];
	size_t len;
	bool overflow;
};

static void raw_add(struct raw *r, const void *p, size_t n)
{
	if (r->overflow || n > sizeof r->b - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void raw_puts(struct raw *r, const char *s)
{
	raw_add(r, s, strlen(s));
}

int auth_secret_forms(const char *user, const char *secret, struct strbuf forms[AUTH_FORMS_MAX])
{
	size_t ul = strlen(user), sl = strlen(secret);
	if (sl == 0)
		return 0;
	int n = 0;
	strbuf_append(&forms[n++], secret, sl);
	auth_b64_encode((const unsigned char *)secret, sl, &forms[n++]);
	/* PLAIN: authzid (empty) NUL user NUL secret */
	struct strbuf raw = STRBUF_INIT;
	strbuf_putc(&raw, '\0');
	strbuf_append(&raw, user, ul);
	strbuf_putc(&raw, '\0');
	strbuf_append(&raw, secret, sl);
	auth_b64_encode((const unsigned char *)raw.data, raw.len, &forms[n++]);
	auth_wipe(&raw);
	/* XOAUTH2: "user=" U ^A "auth=Bearer " S ^A ^A */
	strbuf_printf(&raw, "user=%s\001auth=Bearer %s\001\001", user, secret);
	auth_b64_encode((const unsigned char *)raw.data, raw.len, &forms[n++]);
	auth_wipe(&raw);
	return n;
}

void auth_wipe(struct strbuf *sb)
{
	if (!sb)
		return;
	/* The whole allocation: bytes past len may hold an older, longer secret. */
	if (sb->data)
		OPENSSL_cleanse(sb->data, sb->cap);
	strbuf_free(sb);
}

/*
 * Replace out with prefix + base64(raw) in a single allocation, for the
 * same reason as struct raw: no realloc may ever move a secret.
 */
static bool put_encoded(struct strbuf *out, const char *prefix, const struct raw *r)
{
	char line[AUTH_LINE_MAX + 1];
	size_t plen = strlen(prefix);

	if (r->overflow || plen + (r->len + 2) / 3 * 4 > AUTH_LINE_MAX)
		return false;
	memcpy(line, prefix, plen);
	int n = EVP_EncodeBlock((unsigned char *)line + plen, r->b, (int)r->len);
	auth_wipe(out);
	strbuf_append(out, line, plen + (size_t)n);
	OPENSSL_cleanse(line, sizeof line);
	return true;
}

void auth_b64_encode(const unsigned char *in, size_t len, struct strbuf *out)
{
	char buf[B64_CHUNK / 3 * 4 + 1];

	strbuf_append(out, "", 0); /* an empty input still leaves a string */
	while (len > 0) {
		size_t n = len < B64_CHUNK ? len : B64_CHUNK;
		int m = EVP_EncodeBlock((unsigned char *)buf, in, (int)n);
		strbuf_append(out, buf, (size_t)m);
		in += n;
		len -= n;
	}
	OPENSSL_cleanse(buf, sizeof buf);
}

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * EVP_DecodeBlock is too forgiving to be the validator: it skips leading
 * and trailing white space and decodes '=' anywhere as zero bits. So check
 * the shape here - groups of four, alphabet only, at most two '=' and only
 * at the very end - and count the pad to know the real length.
 */
static bool b64_valid(const char *in, size_t len, size_t *pad)
{
	if (len % 4 != 0)
		return false;
	*pad = 0;
	while (*pad < len && *pad < 3 && in[len - 1 - *pad] == '=')
		(*pad)++;
	if (*pad > 2)
		return false;
	for (size_t i = 0; i < len - *pad; i++)
		if (!b64_char((unsigned char)in[i]))
			return false;
	return true;
}

int auth_b64_decode(const char *in, size_t len, struct strbuf *out)
{
	size_t pad;
	if (!b64_valid(in, len, &pad) || len / 4 * 3 - pad > INT_MAX)
		return -1;

	unsigned char buf[B64_CHUNK];
	size_t total = 0;
	strbuf_append(out, "", 0);
	for (size_t off = 0, n; off < len; off += n) {
		n = len - off < B64_CHUNK / 3 * 4 ? len - off : B64_CHUNK / 3 * 4;
		int m = EVP_DecodeBlock(buf, (const unsigned char *)in + off, (int)n);
		if (m < 0) /* cannot happen after b64_valid, but never trust a count of -1 */
			break;
		/* DecodeBlock counts the pad as zero bytes; only the last chunk has any. */
		size_t real = (size_t)m - (off + n == len ? pad : 0);
		strbuf_append(out, (const char *)buf, real);
		total += real;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return (int)total;
}

/* --- the mechanisms ----------------------------------------------------- */

static bool plain_initial(const char *user, const char *secret, struct strbuf *out)
{
	/* RFC 4616: [authzid] NUL authcid NUL passwd; no authzid, act as ourselves. */
	struct raw r = { .len = 0 };
	raw_add(&r, "", 1);
	raw_puts(&r, user);
	raw_add(&r, "", 1);
	raw_puts(&r, secret);
	bool ok = put_encoded(out, "AUTH PLAIN ", &r);
	OPENSSL_cleanse(&r, sizeof r);
	return ok;
}

static bool xoauth2_initial(const char *user, const char *secret, struct strbuf *out)
{
	struct raw r = { .len = 0 };
	raw_puts(&r, "user=");
	raw_puts(&r, user);
	raw_puts(&r, "\x01" "auth=Bearer ");
	raw_puts(&r, secret);
	raw_puts(&r, "\x01\x01");
	bool ok = put_encoded(out, "AUTH XOAUTH2 ", &r);
	OPENSSL_cleanse(&r, sizeof r);
	return ok;
}

static bool login_respond(int step, const struct strbuf *chal, const char *user, const char *secret,
                          struct strbuf *out)
{
	/*
	 * Go by the count, not the prompt text: "Username:" and "Password:"
	 * are what everyone sends, but the draft never made them normative.
	 */
	(void)chal;
	if (step > 1)
		return false;
	struct raw r = { .len = 0 };
	raw_puts(&r, step == 0 ? user : secret);
	bool ok = put_encoded(out, "", &r);
	OPENSSL_cleanse(&r, sizeof r);
	return ok;
}

static bool cram_md5_respond(int step, const struct strbuf *chal, const char *user, const char *secret,
                             struct strbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[16];
	char digest_hex[2 * sizeof digest];
	size_t dlen = 0;

	/* RFC 2195: exactly one challenge, a msg-id; an empty one is no challenge. */
	if (step != 0 || chal->len == 0)
		return false;
	/* NULL when MD5 is unavailable, e.g. under a FIPS provider. */
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, secret, strlen(secret),
	               (const unsigned char *)chal->data, chal->len, digest, sizeof digest, &dlen) ||
	    dlen != sizeof digest) {
		OPENSSL_cleanse(digest, sizeof digest);
		return false;
	}
	for (size_t i = 0; i < sizeof digest; i++) {
		digest_hex[2 * i] = hex[digest[i] >> 4];
		digest_hex[2 * i + 1] = hex[digest[i] & 0x0f];
	}

	struct raw r = { .len = 0 };
	raw_puts(&r, user);
	raw_add(&r, " ", 1);
	raw_add(&r, digest_hex, sizeof digest_hex);
	bool ok = put_encoded(out, "", &r);
	OPENSSL_cleanse(&r, sizeof r);
	OPENSSL_cleanse(digest, sizeof digest);
	OPENSSL_cleanse(digest_hex, sizeof digest_hex);
	return ok;
}

static bool xoauth2_respond(int step, const struct strbuf *chal, const char *user, const char *secret,
                            struct strbuf *out)
{
	/*
	 * The 334 carries the server's JSON error; the exchange only ends (with
	 * the final 535) once we answer, and the answer must be empty.
	 */
	(void)chal;
	(void)user;
	(void)secret;
	if (step != 0)
		return false;
	auth_wipe(out);
	strbuf_append(out, "", 0);
	return true;
}

typedef bool (*initial_fn)(const char *user, const char *secret, struct strbuf *out);
typedef bool (*respond_fn)(int step, const struct strbuf *chal, const char *user, const char *secret,
                           struct strbuf *out);

static const struct mech {
	const char *name;
	initial_fn initial;        /* NULL: the command is "AUTH <name>" alone */
	const char *initial_redacted;
	respond_fn respond;        /* NULL: a 334 is never expected */
	const char *answer_redacted;
	const char *forbidden;     /* bytes a credential may not contain */
} mechs[] = {
	[AUTH_NONE] = { "NONE", NULL, NULL, NULL, NULL, NULL },
	[AUTH_PLAIN] = { "PLAIN", plain_initial, "AUTH PLAIN " REDACTED, NULL, NULL, "\r\n" },
	[AUTH_LOGIN] = { "LOGIN", NULL, "AUTH LOGIN", login_respond, REDACTED, "\r\n" },
	[AUTH_CRAM_MD5] = { "CRAM-MD5", NULL, "AUTH CRAM-MD5", cram_md5_respond, REDACTED, "\r\n" },
	/* \x01 separates the XOAUTH2 fields; inside one it would forge another. */
	[AUTH_XOAUTH2] = { "XOAUTH2", xoauth2_initial, "AUTH XOAUTH2 " REDACTED, xoauth2_respond, "", "\r\n\x01" },
};

#define NMECHS (sizeof mechs / sizeof mechs[0])

/* Tried in this order when nothing is forced: CRAM-MD5 never sends the secret itself. */
static const enum auth_mech preference[] = { AUTH_CRAM_MD5, AUTH_PLAIN, AUTH_LOGIN };

const char *auth_mech_name(enum auth_mech m)
{
	return (unsigned)m < NMECHS ? mechs[m].name : "?";
}

enum auth_mech auth_mech_parse(const char *name)
{
	if (!name)
		return AUTH_NONE;
	for (size_t i = AUTH_NONE + 1; i < NMECHS; i++)
		if (strcasecmp(name, mechs[i].name) == 0)
			return (enum auth_mech)i;
	return AUTH_NONE;
}

static bool advertised_has(const char *advertised, enum auth_mech m)
{
	const char *name = mechs[m].name;
	size_t nlen = strlen(name);
	const char *p = advertised;

	while (*p) {
		p += strspn(p, " \t");
		size_t w = strcspn(p, " \t");
		if (w == nlen && strncasecmp(p, name, w) == 0)
			return true;
		p += w;
	}
	return false;
}

enum auth_mech auth_pick(const char *advertised, enum auth_mech forced)
{
	if (!advertised || (unsigned)forced >= NMECHS)
		return AUTH_NONE;
	if (forced != AUTH_NONE)
		return advertised_has(advertised, forced) ? forced : AUTH_NONE;
	for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++)
		if (advertised_has(advertised, preference[i]))
			return preference[i];
	return AUTH_NONE;
}

/*
 * NUL cannot reach us inside a C string, so what is left to refuse is CR
 * and LF - nearly always the newline of a password file read whole - and
 * whatever the mechanism uses as a separator. RFC 4616 wants both fields
 * non-empty, and an empty user or secret is a mistake for the others too.
 */
static bool credentials_ok(const struct mech *mc, const char *user, const char *secret)
{
	if (!user || !secret || !*user || !*secret)
		return false;
	/* Refuse at AUTH time what could never be sent later (the LOGIN password, say). */
	if (strlen(user) > AUTH_RAW_MAX || strlen(secret) > AUTH_RAW_MAX)
		return false;
	return user[strcspn(user, mc->forbidden)] == '\0' && secret[strcspn(secret, mc->forbidden)] == '\0';
}

bool auth_initial(enum auth_mech m, const char *user, const char *secret,
                  struct strbuf *out, struct strbuf *redacted)
{
	auth_wipe(out);
	if (redacted)
		strbuf_reset(redacted);
	if (m == AUTH_NONE || (unsigned)m >= NMECHS)
		return false;

	const struct mech *mc = &mechs[m];
	if (!credentials_ok(mc, user, secret))
		return false;
	if (mc->initial) {
		if (!mc->initial(user, secret, out))
			return false;
	} else {
		strbuf_printf(out, "AUTH %s", mc->name);
	}
	if (redacted)
		strbuf_puts(redacted, mc->initial_redacted);
	return true;
}

bool auth_respond(enum auth_mech m, int step, const char *challenge, size_t len,
                  const char *user, const char *secret,
                  struct strbuf *out, struct strbuf *redacted)
{
	auth_wipe(out);
	if (redacted)
		strbuf_reset(redacted);
	if (m == AUTH_NONE || (unsigned)m >= NMECHS || !mechs[m].respond || step < 0 || !challenge)
		return false;

	const struct mech *mc = &mechs[m];
	if (!credentials_ok(mc, user, secret) || len > AUTH_LINE_MAX)
		return false;

	/* RFC 4954 4: every challenge is base64, even the ones we ignore. */
	struct strbuf chal = STRBUF_INIT;
	bool ok = auth_b64_decode(challenge, len, &chal) >= 0 && mc->respond(step, &chal, user, secret, out);
	strbuf_free(&chal);
	if (!ok) {
		auth_wipe(out);
		return false;
	}
	if (redacted)
		strbuf_puts(redacted, mc->answer_redacted);
	return true;
}
