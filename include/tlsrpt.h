/*
 * tlsrpt.h - SMTP TLS Reporting (RFC 8460) pure parser: the _smtp._tls
 * TXT record (section 3). No I/O. Error texts are evidence for a report,
 * in English, and say where the record went wrong.
 */
#ifndef SMTPPROBE_TLSRPT_H
#define SMTPPROBE_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>

#include "txt.h"

#define TLSRPT_RUA_MAX 8

enum tlsrpt_status {
	TLSRPT_OK,
	TLSRPT_NONE,      /* no TXT record starts with "v=TLSRPTv1" */
	TLSRPT_MULTIPLE,  /* more than one does: no reporting (3) */
	TLSRPT_INVALID,   /* exactly one, and its syntax is wrong */
};

enum tlsrpt_scheme {
	TLSRPT_MAILTO,
	TLSRPT_HTTPS,
};

struct tlsrpt_rua {
	enum tlsrpt_scheme scheme;
	char uri[512];
};

struct tlsrpt_record {
	int nrua;
	struct tlsrpt_rua rua[TLSRPT_RUA_MAX];
	int rua_extra;    /* valid destinations not kept: beyond TLSRPT_RUA_MAX or over 511 bytes */
	int candidates;   /* TXT records that started with "v=TLSRPTv1" */
};

/* "_smtp._tls.DOMAIN" (a trailing dot dropped); false when empty or it does not fit. */
bool tlsrpt_record_name(const char *domain, char *buf, size_t size);

/* Pick the one TLS-RPT record among a name's TXT records and parse it. */
enum tlsrpt_status tlsrpt_from_txt(const struct txt_record *txt, int n, struct tlsrpt_record *rec, char *err,
                                   size_t errsz);

/*
 * One record (3, ABNF): v=TLSRPTv1 first, then ';'-separated fields; rua
 * required, once, with one or more "mailto:" or "https:" URIs separated
 * by ','; extensions (name=value) ignored. True and rec filled, or false
 * and err ("rua: \"ftp://x\" is neither mailto: nor https:").
 */
bool tlsrpt_parse(const char *buf, size_t len, struct tlsrpt_record *rec, char *err, size_t errsz);

#endif
