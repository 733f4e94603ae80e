/*
 * address.c - mail address parser (see address.h).
 *
 * The checks run in a fixed order so one input always gets the same error:
 * whole-input byte checks (control characters, UTF-8, invisible
 * characters), then structure (white space, brackets, quotes, where the @
 * is), then the local part, then the domain, then the length of the whole
 * path. Nothing here allocates except libidn2, whose results are
 * released with idn2_free before returning.
 */
#include "address.h"

#include "i18n.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* UTS #46 non-transitional mapping (IDNA2008 + case folding, ß kept as ß). */
#define ADDR_IDN2_FLAGS (IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)

#define LABEL_MAX 63

static const char *const error_texts[] = {
	[ADDR_OK] = N_("no error"),
	[ADDR_ERR_EMPTY] = N_("the address is empty"),
	[ADDR_ERR_CONTROL] = N_("contains a control character (CR, LF, NUL, tab ...)"),
	[ADDR_ERR_SPACE] = N_("contains white space outside quotes"),
	[ADDR_ERR_NO_AT] = N_("has no @ between local part and domain"),
	[ADDR_ERR_MULTIPLE_AT] = N_("has an @ in the local part that is not quoted"),
	[ADDR_ERR_EMPTY_LOCAL] = N_("the local part (before the @) is empty"),
	[ADDR_ERR_EMPTY_DOMAIN] = N_("the domain (after the @) is empty"),
	[ADDR_ERR_LOCAL_TOO_LONG] = N_("the local part is longer than 64 octets"),
	[ADDR_ERR_DOMAIN_TOO_LONG] = N_("the domain is longer than 253 octets"),
	[ADDR_ERR_LOCAL_SYNTAX] = N_("the local part has a misplaced dot, bad quoting or a forbidden character"),
	[ADDR_ERR_DOMAIN_SYNTAX] = N_("the domain has an empty or bad label or a bad address literal"),
	[ADDR_ERR_IDN] = N_("the domain is not a valid internationalised domain name"),
	[ADDR_ERR_BRACKETS] = N_("the angle brackets < > are unbalanced or misplaced"),
	[ADDR_ERR_UTF8] = N_("contains bytes that are not valid UTF-8"),
	[ADDR_ERR_INVISIBLE] = N_("contains an invisible character (a zero-width space, a byte order mark, "
				  "a bidi control such as U+202E): retype the address"),
	[ADDR_ERR_PATH_TOO_LONG] = N_("is longer than 254 octets (its domain in A-labels): with < and > "
				      "that is over the 256 octets RFC 5321 allows for a path"),
};

/* A new enum value at the end must come with its text. */
_Static_assert(sizeof error_texts / sizeof error_texts[0] == ADDR_ERR_PATH_TOO_LONG + 1,
	       "error_texts must cover every enum addr_error value");

const char *addr_strerror(enum addr_error err)
{
	if ((unsigned)err >= sizeof error_texts / sizeof error_texts[0] || !error_texts[err])
		return "unknown address error";
	return error_texts[err];
}

/* RFC 5322 atext besides letters and digits. */
static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_atext(unsigned char c)
{
	/* Non-ASCII bytes were already checked to form valid UTF-8 (RFC 6531). */
	if (c >= 0x80 || is_alpha(c) || is_digit(c))
		return true;
	return c != '\0' && strchr(atext_specials, c) != NULL;
}

static unsigned char to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Control characters anywhere, even quoted, are refused first: a CR or LF
 * would let an address inject SMTP commands, and a NUL would silently cut
 * the address wherever it is used as a C string.
 */
static bool has_ascii_control(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/*
 * Strict UTF-8 over the whole input. C1 controls (U+0080..U+009F) are also
 * control characters: U+0085 (NEL) is a line break to some software, so the
 * same injection reasoning applies. Invisible characters (zero-width
 * space, BOM, bidi controls) come last, so a control character or broken
 * UTF-8 anywhere is reported as such whatever comes before it.
 */
static enum addr_error check_utf8(const unsigned char *s, size_t n)
{
	bool invisible = false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_seq_len(s + i, n - i, &cp);
		if (k == 0)
			return ADDR_ERR_UTF8;
		if (utf8_is_control(cp))
			return ADDR_ERR_CONTROL;
		invisible |= utf8_is_invisible(cp);
		i += k;
	}
	return invisible ? ADDR_ERR_INVISIBLE : ADDR_OK;
}

/* What one quote-aware pass over the input found. */
struct scan {
	size_t lt, gt;        /* number of unquoted < and > */
	size_t lt_pos, gt_pos; /* position of the last of each */
	size_t ats;           /* number of unquoted @ */
	size_t last_at;       /* position of the last unquoted @ */
	bool space;           /* unquoted space */
	bool open_quote;      /* input ended inside a quoted string */
	bool open_after_at;   /* ... and that quote opened after an unquoted @ */
};

/*
 * One pass that knows about quoted strings, so that "a@b"@x.org, "a b"@x.org
 * and "<"@x.org are taken apart correctly. A backslash only escapes inside
 * quotes (RFC 5321 quoted-pairSMTP).
 */
static void scan_input(const unsigned char *s, size_t n, struct scan *sc)
{
	bool quoted = false;

	memset(sc, 0, sizeof *sc);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (quoted) {
			if (c == '\\')
				i++; /* a trailing lone backslash leaves the quote open */
			else if (c == '"')
				quoted = false;
			continue;
		}
		switch (c) {
		case '"':
			quoted = true;
			sc->open_after_at = sc->ats > 0;
			break;
		case '@':
			sc->ats++;
			sc->last_at = i;
			break;
		case '<':
			sc->lt++;
			sc->lt_pos = i;
			break;
		case '>':
			sc->gt++;
			sc->gt_pos = i;
			break;
		case ' ':
			sc->space = true;
			break;
		default:
			break;
		}
	}
	sc->open_quote = quoted;
}

/* RFC 5321 Dot-string: atoms of atext joined by single dots. */
static bool valid_dot_string(const unsigned char *s, size_t n)
{
	if (s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.') /* i + 1 < n: the last byte is no dot */
				return false;
		} else if (!is_atext(s[i])) {
			return false;
		}
	}
	return true;
}

/*
 * RFC 5321 Quoted-string with RFC 6531's UTF-8 in qtext. Control characters
 * are already gone, so inside the quotes anything but a bare " or \ is
 * qtext; a quoted-pair escapes printable ASCII only (RFC 6531 does not
 * extend quoted-pairSMTP).
 */
static bool valid_quoted_string(const unsigned char *s, size_t n)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '"')
			return false;
		if (s[i] == '\\') {
			if (i + 1 >= n - 1 || s[i + 1] < 0x20 || s[i + 1] > 0x7e)
				return false;
			i++;
		}
	}
	return true;
}

static enum addr_error parse_local(const unsigned char *s, size_t n, struct address *out)
{
	if (n > ADDR_LOCAL_MAX)
		return ADDR_ERR_LOCAL_TOO_LONG;
	if (!(s[0] == '"' ? valid_quoted_string(s, n) : valid_dot_string(s, n)))
		return ADDR_ERR_LOCAL_SYNTAX;
	memcpy(out->local, s, n);
	out->local[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			out->needs_smtputf8 = true;
	return ADDR_OK;
}

/*
 * Address literal: "[" IPv4 "]" or "[IPv6:" IPv6 "]" (RFC 5321 4.1.3). The
 * tag is matched without regard to case, as ABNF strings are. General
 * address literals (other tags) have no use for delivery and are refused.
 * `ip` must hold 64 bytes.
 */
static bool parse_literal(const unsigned char *s, size_t n, char *ip)
{
	static const char tag6[] = "IPv6:";
	const size_t tag6_len = sizeof tag6 - 1;
	unsigned char bin[sizeof(struct in6_addr)];
	int af = AF_INET;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return false;
	s++;
	n -= 2;
	if (n >= tag6_len && strncasecmp((const char *)s, tag6, tag6_len) == 0) {
		af = AF_INET6;
		s += tag6_len;
		n -= tag6_len;
	}
	/* inet_pton needs a C string; the longest valid text is 45 octets. */
	if (n == 0 || n >= 64)
		return false;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(af, ip, bin) != 1) {
		ip[0] = '\0';
		return false;
	}
	return true;
}

/*
 * LDH host name (RFC 1035 / 1123): labels of 1..63 letters, digits and
 * hyphens, no hyphen at either end, at most 253 octets. Works on ASCII
 * only: non-ASCII bytes fail the character test.
 */
static enum addr_error check_ldh(const char *name, size_t n)
{
	size_t label = 0;

	if (n > ADDR_DOMAIN_MAX)
		return ADDR_ERR_DOMAIN_TOO_LONG;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)name[i] : '.';
		if (c == '.') {
			if (label == 0 || label > LABEL_MAX || name[i - 1] == '-')
				return ADDR_ERR_DOMAIN_SYNTAX;
			label = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-')
			return ADDR_ERR_DOMAIN_SYNTAX;
		if (c == '-' && label == 0)
			return ADDR_ERR_DOMAIN_SYNTAX;
		label++;
	}
	return ADDR_OK;
}

/* Does any label start with the ACE prefix? (name is lower case already) */
static bool has_alabel(const char *name)
{
	const char *label = name;

	for (;;) {
		if (strncmp(label, "xn--", 4) == 0)
			return true;
		label = strchr(label, '.');
		if (!label)
			return false;
		label++;
	}
}

static bool copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);
	if (n >= dstsz)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * A-labels given by the user are checked by decoding them and encoding the
 * result again: an A-label that is not the canonical encoding of a valid
 * U-label (bad Punycode, upper case inside, disallowed code points) does not
 * come back the same. The Unicode form goes to domain_unicode.
 */
static enum addr_error check_alabels(struct address *out)
{
	char *uni = NULL, *back = NULL;
	enum addr_error err = ADDR_ERR_IDN;

	if (idn2_to_unicode_8z8z(out->domain, &uni, 0) != IDN2_OK)
		goto done;
	if (idn2_to_ascii_8z(uni, &back, ADDR_IDN2_FLAGS) != IDN2_OK)
		goto done;
	if (strcmp(back, out->domain) != 0)
		goto done;
	if (!copy_str(out->domain_unicode, sizeof out->domain_unicode, uni))
		goto done;
	err = ADDR_OK;
done:
	idn2_free(uni);
	idn2_free(back);
	return err;
}

/* Map the libidn2 failures that have a more precise code of our own. */
static enum addr_error idn2_error(int rc)
{
	switch (rc) {
	case IDN2_TOO_BIG_DOMAIN:
		return ADDR_ERR_DOMAIN_TOO_LONG;
	case IDN2_TOO_BIG_LABEL:
	case IDN2_PUNYCODE_BIG_OUTPUT: /* the A-label would pass 63 octets */
		return ADDR_ERR_DOMAIN_SYNTAX;
	default:
		return ADDR_ERR_IDN;
	}
}

static enum addr_error parse_unicode_domain(const unsigned char *s, size_t n, struct address *out)
{
	char *ascii = NULL;
	enum addr_error err;
	int rc;

	/* domain_unicode doubles as the NUL-terminated input for libidn2. */
	if (n >= sizeof out->domain_unicode)
		return ADDR_ERR_DOMAIN_TOO_LONG;
	memcpy(out->domain_unicode, s, n);
	out->domain_unicode[n] = '\0';

	rc = idn2_to_ascii_8z(out->domain_unicode, &ascii, ADDR_IDN2_FLAGS);
	if (rc != IDN2_OK) {
		idn2_free(ascii);
		return idn2_error(rc);
	}
	/* libidn2 lets empty labels and non-LDH ASCII (such as _) through. */
	err = check_ldh(ascii, strlen(ascii));
	if (err == ADDR_OK)
		memcpy(out->domain, ascii, strlen(ascii) + 1); /* <= 253 after check_ldh */
	idn2_free(ascii);
	return err;
}

static enum addr_error parse_ascii_domain(const unsigned char *s, size_t n, struct address *out)
{
	enum addr_error err;

	if (n > ADDR_DOMAIN_MAX)
		return ADDR_ERR_DOMAIN_TOO_LONG;
	for (size_t i = 0; i < n; i++)
		out->domain[i] = (char)to_lower(s[i]);
	out->domain[n] = '\0';
	err = check_ldh(out->domain, n);
	if (err != ADDR_OK)
		return err;
	if (has_alabel(out->domain))
		return check_alabels(out);
	memcpy(out->domain_unicode, out->domain, n + 1);
	return ADDR_OK;
}

static enum addr_error parse_domain(const unsigned char *s, size_t n, struct address *out)
{
	/* A fully qualified "example.org." names the same domain. */
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return ADDR_ERR_EMPTY_DOMAIN;

	if (s[0] == '[') {
		if (n > ADDR_DOMAIN_MAX || !parse_literal(s, n, out->literal_ip))
			return ADDR_ERR_DOMAIN_SYNTAX;
		memcpy(out->domain, s, n);
		out->domain[n] = '\0';
		memcpy(out->domain_unicode, s, n);
		out->domain_unicode[n] = '\0';
		out->domain_is_literal = true;
		return ADDR_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return parse_unicode_domain(s, n, out);
	return parse_ascii_domain(s, n, out);
}

/* Structure: white space, brackets, quotes and the @ that splits. */
static enum addr_error split_address(const unsigned char *s, size_t n, bool allow_null,
				     struct address *out, size_t *at)
{
	struct scan sc;

	scan_input(s, n, &sc);
	if (sc.space)
		return ADDR_ERR_SPACE;
	if (sc.lt != sc.gt || sc.lt > 1 || (sc.lt == 1 && (sc.lt_pos != 0 || sc.gt_pos != n - 1)))
		return ADDR_ERR_BRACKETS;
	if (sc.lt == 1 && n == 2) {
		if (!allow_null)
			return ADDR_ERR_EMPTY;
		out->is_null = true;
		return ADDR_OK;
	}
	if (sc.open_quote)
		return sc.open_after_at ? ADDR_ERR_DOMAIN_SYNTAX : ADDR_ERR_LOCAL_SYNTAX;
	if (sc.ats == 0)
		return ADDR_ERR_NO_AT;
	if (sc.ats > 1)
		return ADDR_ERR_MULTIPLE_AT;
	*at = sc.last_at;
	return ADDR_OK;
}

static enum addr_error parse(const unsigned char *s, size_t n, bool allow_null, struct address *out)
{
	enum addr_error err;
	size_t at = 0;

	if (n == 0) {
		if (!allow_null)
			return ADDR_ERR_EMPTY;
		out->is_null = true;
		return ADDR_OK;
	}
	if (has_ascii_control(s, n))
		return ADDR_ERR_CONTROL;
	err = check_utf8(s, n);
	if (err != ADDR_OK)
		return err;
	err = split_address(s, n, allow_null, out, &at);
	if (err != ADDR_OK || out->is_null)
		return err;
	if (s[0] == '<') {
		/* split_address made sure the > is the last byte. */
		s++;
		n -= 2;
		at--;
	}
	if (at == 0)
		return ADDR_ERR_EMPTY_LOCAL;
	if (at == n - 1)
		return ADDR_ERR_EMPTY_DOMAIN;
	err = parse_local(s, at, out);
	if (err != ADDR_OK)
		return err;
	err = parse_domain(s + at + 1, n - at - 1, out);
	if (err != ADDR_OK)
		return err;
	/* As it goes on the wire: "<" local "@" A-label domain ">". */
	if (strlen(out->local) + 1 + strlen(out->domain) + 2 > ADDR_PATH_MAX)
		return ADDR_ERR_PATH_TOO_LONG;
	return ADDR_OK;
}

enum addr_error addr_parse(const char *in, size_t len, bool allow_null, struct address *out)
{
	enum addr_error err;

	memset(out, 0, sizeof *out);
	if (!in && len > 0)
		return ADDR_ERR_EMPTY;
	err = parse((const unsigned char *)in, len, allow_null, out);
	if (err != ADDR_OK)
		memset(out, 0, sizeof *out);
	return err;
}

bool addr_format(const struct address *a, char *buf, size_t bufsz)
{
	int n;

	if (!buf || bufsz == 0)
		return false;
	/* The null reverse-path has no local@domain form: MAIL FROM:<>. */
	if (a->is_null) {
		buf[0] = '\0';
		return true;
	}
	n = snprintf(buf, bufsz, "%s@%s", a->local, a->domain);
	if (n < 0 || (size_t)n >= bufsz) {
		buf[0] = '\0';
		return false;
	}
	return true;
}

bool addr_valid_hostname(const char *name)
{
	char ip[64];
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0)
		return false;
	/* Control characters and spaces fail both branches below. */
	if (name[0] == '[')
		return n <= ADDR_DOMAIN_MAX && parse_literal((const unsigned char *)name, n, ip);
	return check_ldh(name, n) == ADDR_OK;
}
