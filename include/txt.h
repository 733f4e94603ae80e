/*
 * txt.h - one DNS TXT record as the record parsers read it: the record's
 * character-strings joined (RFC 7208 3.3 style, no separator), as bytes
 * that may hold anything, NUL included. Plain data shared by dns.c (which
 * produces them) and the MTA-STS / TLS-RPT parsers (which read them).
 */
#ifndef SMTPPROBE_TXT_H
#define SMTPPROBE_TXT_H

#include <stddef.h>

struct txt_record {
	const char *data;
	size_t len;
};

#endif
