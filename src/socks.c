/* socks.c - SOCKS5 client handshake and proxy URL parser (see socks.h). */
#include "socks.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "i18n.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"
#include "text.h"

#define SOCKS_VERSION 0x05
#define SOCKS_AUTH_VERSION 0x01     /* RFC 1929 2: the sub-negotiation's own version */
#define SOCKS_CMD_CONNECT 0x01
#define SOCKS_ATYP_IPV4 0x01
#define SOCKS_ATYP_DOMAIN 0x03
#define SOCKS_ATYP_IPV6 0x04
#define SOCKS_METHOD_NONE 0x00
#define SOCKS_METHOD_USERPASS 0x02
#define SOCKS_METHOD_REFUSED 0xff

#define SOCKS_DEFAULT_PORT 1080

/* The longest reply: VER REP RSV ATYP, a 255-octet name with its length, the port. */
#define SOCKS_REPLY_MAX (4 + 1 + 255 + 2)
/* Greeting, user/password request and CONNECT together: the output never reallocates. */
#define SOCKS_OUTPUT_MAX (4 + (3 + 255 + 255) + SOCKS_REPLY_MAX)

enum socks_state {
	ST_METHOD,    /* greeting sent, waiting for the chosen method */
	ST_AUTH,      /* user/password sent, waiting for the verdict */
	ST_CONNECT,   /* CONNECT sent, waiting for the reply */
	ST_DONE,
	ST_FAILED,
	ST_COUNT
};

struct socks_session;
typedef void (*send_fn)(struct socks_session *s);
/* Bytes the message being read needs in all, judging by what has arrived. */
typedef size_t (*need_fn)(const struct socks_session *s);
/* Look at a message as it arrives; false once it is known to be bad. */
typedef bool (*check_fn)(struct socks_session *s);
/* A whole message arrived: pick the next state. */
typedef void (*take_fn)(struct socks_session *s);

static void send_greeting(struct socks_session *s);
static void send_userpass(struct socks_session *s);
static void send_connect(struct socks_session *s);
static size_t need_two(const struct socks_session *s);
static size_t need_reply(const struct socks_session *s);
static bool check_method(struct socks_session *s);
static bool check_auth(struct socks_session *s);
static bool check_reply(struct socks_session *s);
static void take_method(struct socks_session *s);
static void take_auth(struct socks_session *s);
static void take_reply(struct socks_session *s);

/* Entering a state sends its message; then its reply is read with need/check/take. */
static const struct {
	const char *name;
	send_fn send;
	need_fn need;
	check_fn check;
	take_fn take;
} states[ST_COUNT] = {
	[ST_METHOD] = { "METHOD", send_greeting, need_two, check_method, take_method },
	[ST_AUTH] = { "AUTH", send_userpass, need_two, check_auth, take_auth },
	[ST_CONNECT] = { "CONNECT", send_connect, need_reply, check_reply, take_reply },
	[ST_DONE] = { "DONE", NULL, NULL, NULL, NULL },
	[ST_FAILED] = { "FAILED", NULL, NULL, NULL, NULL },
};

/* RFC 1928 6, indexed by REP. */
static const char *const rep_text[] = {
	[1] = N_("general SOCKS server failure"),
	[2] = N_("connection not allowed by ruleset"),
	[3] = N_("network unreachable"),
	[4] = N_("host unreachable"),
	[5] = N_("connection refused"),
	[6] = N_("TTL expired"),
	[7] = N_("command not supported"),
	[8] = N_("address type not supported"),
};

struct socks_session {
	enum socks_state state;

	/* Credentials live here until the proxy has taken them, then are wiped. */
	char user[256];
	char pass[256];

	unsigned char atyp;
	unsigned char addr[256];   /* 4 or 16 octets, or the name (atyp 3) */
	size_t addr_len;
	uint16_t port;

	unsigned char in[SOCKS_REPLY_MAX];
	size_t in_len;
	struct strbuf out;

	int rep;
	char err[160];
	struct msg err_msg;
};

static void socks_enter(struct socks_session *s, enum socks_state next)
{
	s->state = next;
	s->in_len = 0;
	if (states[next].send)
		states[next].send(s);
}

/* The failure as a message (kinds as for msg_set), and in English for socks_error(). */
static void socks_fail(struct socks_session *s, const char *fmt, const char *kinds, ...)
{
	va_list ap;
	va_start(ap, kinds);
	msg_vset(&s->err_msg, fmt, kinds, ap);
	va_end(ap);
	struct strbuf sb = STRBUF_INIT;
	msg_format(&s->err_msg, false, &sb);
	snprintf(s->err, sizeof s->err, "%s", strbuf_str(&sb));
	strbuf_free(&sb);
	socks_enter(s, ST_FAILED);
}

static const char *hex_byte(unsigned char b, char buf[8])
{
	snprintf(buf, 8, "0x%02x", b);
	return buf;
}

static void put(struct socks_session *s, const void *p, size_t n)
{
	strbuf_append(&s->out, p, n);
}

static void put_byte(struct socks_session *s, unsigned char b)
{
	put(s, &b, 1);
}

/* --- what we send ------------------------------------------------------- */

static void send_greeting(struct socks_session *s)
{
	/* Offer user/password only when we have one: a proxy may pick it otherwise. */
	if (s->user[0]) {
		static const unsigned char g[] = { SOCKS_VERSION, 2, SOCKS_METHOD_NONE, SOCKS_METHOD_USERPASS };
		put(s, g, sizeof g);
	} else {
		static const unsigned char g[] = { SOCKS_VERSION, 1, SOCKS_METHOD_NONE };
		put(s, g, sizeof g);
	}
}

static void send_userpass(struct socks_session *s)
{
	size_t ulen = strlen(s->user), plen = strlen(s->pass);
	put_byte(s, SOCKS_AUTH_VERSION);
	put_byte(s, (unsigned char)ulen);
	put(s, s->user, ulen);
	put_byte(s, (unsigned char)plen);
	put(s, s->pass, plen);
	/* Queued: the copy in the output is wiped as it is written (socks_output_done). */
	OPENSSL_cleanse(s->user, sizeof s->user);
	OPENSSL_cleanse(s->pass, sizeof s->pass);
}

static void send_connect(struct socks_session *s)
{
	const unsigned char head[] = { SOCKS_VERSION, SOCKS_CMD_CONNECT, 0x00, s->atyp };
	put(s, head, sizeof head);
	if (s->atyp == SOCKS_ATYP_DOMAIN)
		put_byte(s, (unsigned char)s->addr_len);
	put(s, s->addr, s->addr_len);
	put_byte(s, (unsigned char)(s->port >> 8));
	put_byte(s, (unsigned char)(s->port & 0xff));
}

/* --- what we read ------------------------------------------------------- */

static size_t need_two(const struct socks_session *s)
{
	(void)s;
	return 2;
}

static size_t need_reply(const struct socks_session *s)
{
	if (s->in_len < 4)
		return 4;
	switch (s->in[3]) {
	case SOCKS_ATYP_IPV4:
		return 4 + 4 + 2;
	case SOCKS_ATYP_IPV6:
		return 4 + 16 + 2;
	case SOCKS_ATYP_DOMAIN:
		return s->in_len < 5 ? 5 : 5 + (size_t)s->in[4] + 2;
	default:
		return 4; /* check_reply refuses it */
	}
}

static bool check_version(struct socks_session *s, unsigned char want, const char *what)
{
	if (s->in_len < 1 || s->in[0] == want)
		return true;
	/* A common mistake is pointing at an HTTP proxy; say so. */
	char hex[8];
	if (s->in[0] == 'H')
		socks_fail(s, N_("%s: the proxy does not speak SOCKS5 (it answered like an HTTP server)"), "t", what);
	else
		socks_fail(s, N_("%s: the proxy does not speak SOCKS5 (version byte %s)"), "ts", what, hex_byte(s->in[0], hex));
	return false;
}

static bool check_method(struct socks_session *s)
{
	return check_version(s, SOCKS_VERSION, N_("proxy greeting"));
}

static bool check_auth(struct socks_session *s)
{
	if (s->in_len < 1)
		return true;
	/*
	 * RFC 1929 says 0x01, but some proxies echo the SOCKS version 0x05
	 * here; curl accepts both, and so do we.
	 */
	if (s->in[0] == SOCKS_VERSION)
		return true;
	if (s->in[0] != SOCKS_AUTH_VERSION) {
		char hex[8];
		socks_fail(s, N_("proxy authentication: bad sub-negotiation version %s"), "s", hex_byte(s->in[0], hex));
		return false;
	}
	return true;
}

static bool check_reply(struct socks_session *s)
{
	if (!check_version(s, SOCKS_VERSION, N_("proxy CONNECT reply")))
		return false;
	/* Decide on REP at once: a refusing proxy often closes before the rest. */
	if (s->in_len >= 2 && s->in[1] != 0) {
		s->rep = s->in[1];
		const char *t = s->rep < (int)(sizeof rep_text / sizeof rep_text[0]) && rep_text[s->rep]
		                        ? rep_text[s->rep]
		                        : N_("unassigned reply code");
		socks_fail(s, N_("proxy refused: %s (REP %d)"), "td", t, s->rep);
		return false;
	}
	if (s->in_len >= 4 && s->in[3] != SOCKS_ATYP_IPV4 && s->in[3] != SOCKS_ATYP_IPV6 &&
	    s->in[3] != SOCKS_ATYP_DOMAIN) {
		socks_fail(s, N_("proxy CONNECT reply: unknown address type %d"), "d", s->in[3]);
		return false;
	}
	return true;
}

static void take_method(struct socks_session *s)
{
	unsigned char m = s->in[1];
	if (m == SOCKS_METHOD_NONE)
		socks_enter(s, ST_CONNECT);
	else if (m == SOCKS_METHOD_USERPASS && s->user[0])
		socks_enter(s, ST_AUTH);
	else if (m == SOCKS_METHOD_REFUSED)
		socks_fail(s, s->user[0] ? N_("proxy accepts none of our authentication methods")
		                         : N_("proxy accepts none of our authentication methods (it may want a user name and password)"), "");
	else {
		char hex[8];
		socks_fail(s, N_("proxy chose authentication method %s, which we did not offer"), "s", hex_byte(m, hex));
	}
}

static void take_auth(struct socks_session *s)
{
	/* RFC 1929 2: any status but 0 is a failure and the proxy closes. */
	if (s->in[1] != 0)
		socks_fail(s, N_("proxy rejected the user name or password (status %d)"), "d", s->in[1]);
	else
		socks_enter(s, ST_CONNECT);
}

static void take_reply(struct socks_session *s)
{
	/* BND.ADDR/BND.PORT are the proxy's side of the tunnel: nothing to check. */
	socks_enter(s, ST_DONE);
}

/* --- the session -------------------------------------------------------- */

/* How to reach the target: by address, or by name through the proxy's resolver. */
static bool set_target(struct socks_session *s, const struct socks_proxy *p, const char *target)
{
	size_t n = target ? strlen(target) : 0;

	if (n == 0) {
		socks_fail(s, N_("no target host for the proxy"), "");
		return false;
	}
	if (inet_pton(AF_INET, target, s->addr) == 1) {
		s->atyp = SOCKS_ATYP_IPV4;
		s->addr_len = 4;
	} else if (inet_pton(AF_INET6, target, s->addr) == 1) {
		s->atyp = SOCKS_ATYP_IPV6;
		s->addr_len = 16;
	} else if (!p->remote_dns) {
		char name[65];
		snprintf(name, sizeof name, "%.64s", target);
		socks_fail(s, N_("target %s is a name, but socks5:// needs an address (use socks5h:// to let the proxy resolve it)"),
		           "s", name);
		return false;
	} else if (n > 255) {
		/* RFC 1928 5: the name's length travels in one octet. */
		socks_fail(s, N_("target name is %d octets, SOCKS5 allows at most 255"), "u", (uint64_t)n);
		return false;
	} else {
		s->atyp = SOCKS_ATYP_DOMAIN;
		memcpy(s->addr, target, n);
		s->addr_len = n;
	}
	return true;
}

struct socks_session *socks_new(const struct socks_proxy *p, const char *target, uint16_t port)
{
	if (!p)
		return NULL;
	struct socks_session *s = xcalloc(1, sizeof *s);
	s->rep = -1;
	s->port = port;

	/* Reserve the output once, so no realloc ever leaves the password behind. */
	static const unsigned char zero[SOCKS_OUTPUT_MAX];
	put(s, zero, sizeof zero);
	strbuf_reset(&s->out);

	/* The struct fields are fixed arrays; never trust them to be terminated. */
	size_t ulen = strnlen(p->user, sizeof p->user);
	size_t plen = strnlen(p->pass, sizeof p->pass);
	if (ulen > 255 || plen > 255) {
		socks_fail(s, N_("proxy user name or password is longer than 255 octets"), "");
		return s;
	}
	if (ulen) {
		memcpy(s->user, p->user, ulen);
		memcpy(s->pass, p->pass, plen);
	}

	if (!set_target(s, p, target))
		return s;
	if (port == 0) {
		socks_fail(s, N_("target port 0"), "");
		return s;
	}
	socks_enter(s, ST_METHOD);
	return s;
}

void socks_free(struct socks_session *s)
{
	if (!s)
		return;
	if (s->out.data)
		OPENSSL_cleanse(s->out.data, s->out.cap);
	strbuf_free(&s->out);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

static enum socks_status status_of(const struct socks_session *s)
{
	return s->state == ST_DONE ? SOCKS_DONE : s->state == ST_FAILED ? SOCKS_FAILED : SOCKS_MORE;
}

enum socks_status socks_feed(struct socks_session *s, const unsigned char *data, size_t len, size_t *used)
{
	size_t n = 0;

	/*
	 * Take only what the current message needs: whatever follows the
	 * CONNECT reply is the SMTP server talking and stays with the caller.
	 */
	while (n < len && states[s->state].need) {
		size_t need = states[s->state].need(s);
		size_t take = need - s->in_len < len - n ? need - s->in_len : len - n;
		memcpy(s->in + s->in_len, data + n, take);
		s->in_len += take;
		n += take;
		if (!states[s->state].check(s))
			break;
		if (s->in_len == states[s->state].need(s))
			states[s->state].take(s);
	}
	if (used)
		*used = n;
	return status_of(s);
}

const unsigned char *socks_output(const struct socks_session *s, size_t *len)
{
	*len = s->out.len;
	return (const unsigned char *)strbuf_str(&s->out);
}

void socks_output_done(struct socks_session *s, size_t n)
{
	strbuf_consume(&s->out, n);
	/* consume() moves the rest down; what was beyond it may be the password. */
	if (s->out.data)
		OPENSSL_cleanse(s->out.data + s->out.len, s->out.cap - s->out.len);
}

const char *socks_error(const struct socks_session *s)
{
	return s->err;
}

const struct msg *socks_error_msg(const struct socks_session *s)
{
	return &s->err_msg;
}

int socks_reply_code(const struct socks_session *s)
{
	return s->rep;
}

/* --- proxy URLs --------------------------------------------------------- */

/* msg is marked with N_(): the command line's errors are in the user's language. */
static bool url_fail(char *err, size_t errsz, const char *msg)
{
	if (err && errsz)
		snprintf(err, errsz, "%s", _(msg));
	return false;
}

enum decode_result { DEC_OK, DEC_BAD_ESCAPE, DEC_NUL, DEC_TOO_LONG };

/* RFC 3986 2.1 percent-decoding of in[0..len) into a 256-octet field. */
static enum decode_result pct_decode(const char *in, size_t len, char out[256])
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			if (len - i < 3 || text_hexval(in[i + 1]) < 0 || text_hexval(in[i + 2]) < 0)
				return DEC_BAD_ESCAPE;
			c = text_hexval(in[i + 1]) << 4 | text_hexval(in[i + 2]);
			i += 2;
			if (c == 0)
				return DEC_NUL;
		}
		if (o == 255)
			return DEC_TOO_LONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return DEC_OK;
}

/* One message per outcome and field; none of them quotes the input. */
static const char *const decode_msg[2][4] = {
	{ NULL,
	  /* xgettext:no-c-format */
	  N_("proxy user name has a bad %-escape"),
	  /* xgettext:no-c-format */
	  N_("proxy user name contains a NUL (%00)"),
	  N_("proxy user name is longer than 255 octets") },
	{ NULL,
	  /* xgettext:no-c-format */
	  N_("proxy password has a bad %-escape"),
	  /* xgettext:no-c-format */
	  N_("proxy password contains a NUL (%00)"),
	  N_("proxy password is longer than 255 octets") },
};

static bool host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

static bool parse_port(const char *p, size_t len, int *port)
{
	if (len == 0 || len > 5)
		return false;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = v;
	return true;
}

static const struct {
	const char *prefix;
	bool remote_dns;
} schemes[] = {
	{ "socks5://", false },
	{ "socks5h://", true },
};

static bool parse_url(const char *url, struct socks_proxy *out, char *err, size_t errsz)
{
	const char *p = NULL;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncasecmp(url, schemes[i].prefix, n) == 0) {
			p = url + n;
			out->remote_dns = schemes[i].remote_dns;
		}
	}
	if (!p)
		return url_fail(err, errsz, N_("proxy URL must start with socks5:// or socks5h://"));

	/*
	 * RFC 3986 3.2: the authority ends at '/', '?' or '#'. The user info
	 * ends at the last '@' in it, which forgives an unencoded '@' in a
	 * password: a host can never contain one.
	 */
	size_t alen = strcspn(p, "/?#");
	const char *end = p + alen;
	if (*end && strcmp(end, "/") != 0)
		return url_fail(err, errsz,
		                N_("proxy URL must not have a path, query or fragment (percent-encode '/', '?' and '#' in a password)"));

	const char *at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
		enum decode_result r = pct_decode(p, ulen, out->user);
		if (r != DEC_OK)
			return url_fail(err, errsz, decode_msg[0][r]);
		if (colon) {
			r = pct_decode(colon + 1, (size_t)(at - colon - 1), out->pass);
			if (r != DEC_OK)
				return url_fail(err, errsz, decode_msg[1][r]);
		}
		if (!out->user[0] && out->pass[0])
			return url_fail(err, errsz, N_("proxy URL has a password but no user name"));
		p = at + 1;
	}

	const char *host = p, *port = NULL;
	size_t hlen;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return url_fail(err, errsz, N_("proxy IPv6 address lacks its closing ']'"));
		host = p + 1;
		hlen = (size_t)(close - host);
		unsigned char a6[16];
		char tmp[64];
		if (hlen == 0 || hlen >= sizeof tmp)
			return url_fail(err, errsz, N_("proxy IPv6 address is not valid"));
		memcpy(tmp, host, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET6, tmp, a6) != 1)
			return url_fail(err, errsz, N_("proxy IPv6 address is not valid"));
		if (close + 1 < end && close[1] != ':')
			return url_fail(err, errsz, N_("proxy URL has junk after the ']'"));
		if (close + 1 < end)
			port = close + 2;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		hlen = colon ? (size_t)(colon - p) : (size_t)(end - p);
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return url_fail(err, errsz, N_("proxy IPv6 address must be in brackets, e.g. socks5://[::1]:1080"));
		if (hlen == 0)
			return url_fail(err, errsz, N_("proxy URL has no host"));
		for (size_t i = 0; i < hlen; i++)
			if (!host_char((unsigned char)host[i]))
				return url_fail(err, errsz, N_("proxy host name has a character that no host name has"));
		if (colon)
			port = colon + 1;
	}
	if (hlen > 255)
		return url_fail(err, errsz, N_("proxy host name is longer than 255 octets"));
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';

	out->port = SOCKS_DEFAULT_PORT;
	if (port && !parse_port(port, (size_t)(end - port), &out->port))
		return url_fail(err, errsz, N_("proxy port must be a number from 1 to 65535"));
	return true;
}

bool socks_parse_url(const char *url, struct socks_proxy *out, char *err, size_t errsz)
{
	if (err && errsz)
		err[0] = '\0';
	memset(out, 0, sizeof *out);
	if (!url)
		return url_fail(err, errsz, N_("no proxy URL"));
	if (parse_url(url, out, err, errsz))
		return true;
	/* A half-filled result may hold the password. */
	OPENSSL_cleanse(out, sizeof *out);
	return false;
}
