/*
 * ehlo.h - what a server advertises in its EHLO reply (RFC 5321 4.1.1.1), pure.
 */
#ifndef SMTPPROBE_EHLO_H
#define SMTPPROBE_EHLO_H

#include <stdbool.h>
#include <stdint.h>

#include "reply.h"

enum ehlo_ext {
	EHLO_SIZE = 1 << 0,
	EHLO_PIPELINING = 1 << 1,
	EHLO_STARTTLS = 1 << 2,
	EHLO_AUTH = 1 << 3,
	EHLO_8BITMIME = 1 << 4,
	EHLO_SMTPUTF8 = 1 << 5,
	EHLO_ENHANCEDSTATUSCODES = 1 << 6,
	EHLO_DSN = 1 << 7,
	EHLO_CHUNKING = 1 << 8,
};

#define EHLO_KEYWORDS_MAX 32
#define EHLO_KEYWORD_LEN 128

struct ehlo_caps {
	unsigned ext;                 /* enum ehlo_ext bits */
	uint64_t size;                /* SIZE parameter; 0 = advertised without a limit */
	char domain[256];             /* first word of the first line */
	char auth[256];               /* AUTH mechanisms, space-separated, upper case */
	int nkeywords;
	char keywords[EHLO_KEYWORDS_MAX][EHLO_KEYWORD_LEN]; /* every keyword line as sent */
	bool helo_only;               /* the server only answered HELO */
};

/* Fill caps from a successful EHLO (or, with helo_only, HELO) reply. */
void ehlo_parse(const struct reply *r, bool helo_only, struct ehlo_caps *caps);

/* Names of the extensions in enum order, for reports: "SIZE", "PIPELINING", ... */
const char *ehlo_ext_name(enum ehlo_ext ext);

#endif
