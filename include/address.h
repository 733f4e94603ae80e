/*
 * address.h - parse and validate one mail address (pure, no I/O).
 *
 * Accepts "local@domain" with or without angle brackets, a dot-string or
 * quoted-string local part (UTF-8 allowed, RFC 6531), and a domain that is a
 * host name (Unicode converted to A-labels with libidn2, IDNA2008 + UTS #46
 * non-transitional mapping) or an address literal ([192.0.2.1], [IPv6:...]).
 * Everything is rejected before any network activity, including what a
 * person cannot see (zero-width spaces, a byte order mark, bidi controls:
 * the address shown would not be the address probed) and a path longer
 * than RFC 5321 allows (a server may cut it or refuse it).
 */
#ifndef SMTPPROBE_ADDRESS_H
#define SMTPPROBE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_LOCAL_MAX 64   /* RFC 5321 4.5.3.1.1, octets */
#define ADDR_DOMAIN_MAX 253 /* octets, without the trailing dot */
#define ADDR_PATH_MAX 256   /* RFC 5321 4.5.3.1.3: "<local@domain>", brackets included */

enum addr_error {
	ADDR_OK = 0,
	ADDR_ERR_EMPTY,          /* nothing given */
	ADDR_ERR_CONTROL,        /* CR, LF, NUL or another control character */
	ADDR_ERR_SPACE,          /* unquoted white space */
	ADDR_ERR_NO_AT,          /* no @ */
	ADDR_ERR_MULTIPLE_AT,    /* an unquoted @ in the local part */
	ADDR_ERR_EMPTY_LOCAL,
	ADDR_ERR_EMPTY_DOMAIN,
	ADDR_ERR_LOCAL_TOO_LONG,
	ADDR_ERR_DOMAIN_TOO_LONG,
	ADDR_ERR_LOCAL_SYNTAX,   /* bad dots, bad quoting, forbidden character */
	ADDR_ERR_DOMAIN_SYNTAX,  /* bad label, bad literal */
	ADDR_ERR_IDN,            /* libidn2 refused the Unicode domain */
	ADDR_ERR_BRACKETS,       /* unbalanced < > */
	ADDR_ERR_UTF8,           /* bytes that are not valid UTF-8 */
	ADDR_ERR_INVISIBLE,      /* an invisible character: U+200B, U+FEFF, a bidi control (utf8_is_invisible) */
	ADDR_ERR_PATH_TOO_LONG,  /* "<local@domain>" (A-labels) over ADDR_PATH_MAX octets */
};

struct address {
	char local[ADDR_LOCAL_MAX + 1];          /* as written, quotes included */
	char domain[ADDR_DOMAIN_MAX + 1];        /* A-labels, lower case; or the literal with brackets */
	char domain_unicode[4 * ADDR_DOMAIN_MAX + 1]; /* as given (without trailing dot) */
	bool domain_is_literal;                  /* [..]: no MX lookup, connect to it */
	char literal_ip[64];                     /* the IP inside the literal, when domain_is_literal */
	bool needs_smtputf8;                     /* the local part has non-ASCII octets */
	bool is_null;                            /* "<>" or "" given where allowed (sender only) */
};

/*
 * Parse `len` bytes at `in` (need not be NUL-terminated; a NUL byte inside is
 * an error). With allow_null, "<>" and "" yield is_null = true (for --from).
 * On failure *out is zeroed and the error is returned.
 */
enum addr_error addr_parse(const char *in, size_t len, bool allow_null, struct address *out);

/* One line in English saying what is wrong, e.g. "the local part is longer than 64 octets". */
const char *addr_strerror(enum addr_error err);

/* Write "local@domain" (A-label domain) into buf; returns false if it does not fit. */
bool addr_format(const struct address *a, char *buf, size_t bufsz);

/* Validate a host name for EHLO/HELO or --server (LDH labels, or an address literal). */
bool addr_valid_hostname(const char *name);

#endif
