/*
 * dane.h - DANE for SMTP (RFC 7672): a presented certificate chain checked
 * against the TLSA records of _25._tcp.MXHOST with OpenSSL's DANE support.
 *
 * The check runs after the handshake, on the chain the server sent, in a
 * verification of its own: the SMTP session's handshake and its PKIX
 * result (tls_info.verified, name_matched) stay what they are, and the
 * audit reports both. Only DANE-TA(2) and DANE-EE(3) records are usable
 * (RFC 7672 3.1.3: SMTP clients treat PKIX-TA(0) and PKIX-EE(1) as
 * unusable), with selector 0/1 and matching type 0/1/2; DANE-EE matches
 * the leaf key with no name or expiry check (RFC 7672 3.1.1), DANE-TA
 * needs a chain to the matching certificate and the MX host name in the
 * leaf (3.1.2, 3.2.3).
 *
 * Whether the records can be trusted at all is the lookup's AD bit
 * (dns.h: dns_answer_info.ad): RFC 7672 2.2 uses TLSA only from a
 * validated (secure) answer. The result says which, the audit decides.
 */
#ifndef SMTPPROBE_DANE_H
#define SMTPPROBE_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "dns.h"

enum dane_status {
	DANE_MATCHED,      /* a usable record matched the chain */
	DANE_NOT_MATCHED,  /* usable records, none matched (or DANE-TA without the name) */
	DANE_NO_USABLE,    /* records, but none OpenSSL can use for SMTP */
	DANE_ERROR,        /* no chain, or OpenSSL failed */
};

struct dane_result {
	enum dane_status status;
	int usable;             /* records accepted for the check */
	int unusable;           /* PKIX-TA/PKIX-EE, unknown selector or matching type, bad length */
	/* The record that matched (status MATCHED): */
	uint8_t usage, selector, mtype;
	int depth;              /* 0 = the leaf matched, n = the nth certificate up */
	char detail[200];       /* English, for the evidence: OpenSSL's verify error when not matched */
};

/*
 * Check the chain the peer of a completed handshake sent (SSL_get_peer_cert_chain)
 * against records t[0..n) for mx_host (the TLSA base domain and the name
 * DANE-TA checks). The SSL is only read.
 */
void dane_check_ssl(SSL *ssl, const char *mx_host, const struct dns_tlsa *t, int n, struct dane_result *r);

/* The same on a chain (leaf first), for tests and callers that keep chains. */
void dane_check_chain(STACK_OF(X509) *chain, const char *mx_host, const struct dns_tlsa *t, int n,
                      struct dane_result *r);

/* "_25._tcp.mx.example.org" for mx_host (a trailing dot dropped); false when it does not fit. */
bool dane_tlsa_name(const char *mx_host, int port, char *buf, size_t size);

const char *dane_status_name(enum dane_status st);   /* "matched", ... for JSON */
const char *dane_usage_name(uint8_t usage);          /* "DANE-EE", ... */

#endif
