/*
 * tls.h - OpenSSL 3 set-up and the certificate audit.
 *
 * Verification always runs and is always reported; whether a failure stops
 * the probe is the caller's choice (--tls-verify). The chain and the host
 * name are judged separately, so a report can say "chain fine, wrong name".
 */
#ifndef SMTPPROBE_TLS_H
#define SMTPPROBE_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

enum tls_mode {
	TLS_AUTO = 0,   /* STARTTLS when offered, else clear text (noted) */
	TLS_REQUIRED,   /* no STARTTLS or a failed handshake ends the probe */
	TLS_NONE,       /* never */
	TLS_IMPLICIT,   /* TLS from the first byte (port 465) */
};

struct tls_config {
	enum tls_mode mode;
	bool verify;             /* --tls-verify */
	const char *ca_file;
	const char *ca_path;
	int min_version;         /* TLS1_VERSION ... TLS1_3_VERSION; 0 = OpenSSL's default */
};

#define TLS_SAN_MAX 16

struct tls_info {
	bool used;
	char version[16];        /* "TLSv1.3" */
	char cipher[64];
	char group[32];          /* key exchange group, "" when unknown */
	char subject[256];
	char issuer[256];
	char san[TLS_SAN_MAX][256];
	int nsan;
	char not_before[32];     /* ISO 8601, UTC */
	char not_after[32];
	int days_left;           /* negative once expired */
	int chain_length;
	bool verified;           /* the chain verifies against the trust anchors */
	char verify_error[160];  /* OpenSSL's reason when not */
	char name[256];          /* the name checked (MX host or --tls-name); "" if none */
	bool name_matched;
};

/* A client context for cfg; NULL with a one-line reason in err. */
SSL_CTX *tls_ctx_new(const struct tls_config *cfg, char *err, size_t errsz);

/* Add the system trust store to ctx, once, before the first handshake. */
void tls_ctx_load_system_trust(SSL_CTX *ctx);

/* Fill info from a completed handshake; name may be NULL or "". */
void tls_info_collect(SSL *ssl, const char *name, struct tls_info *info);

/* Parse "1.2" / "1.3" / "TLSv1.2" for --tls-min-version; 0 when unknown. */
int tls_parse_version(const char *s);

/* The first queued OpenSSL error in words (and clears the queue). */
void tls_last_error(char *buf, size_t len);

#endif
