/*
 * tls_info.h - the TLS vocabulary that results and renderers need: the
 * modes, the configuration and what the certificate audit found. Plain
 * data, no OpenSSL: only tls.c and conn.c talk to OpenSSL.
 */
#ifndef SMTPPROBE_TLS_INFO_H
#define SMTPPROBE_TLS_INFO_H

#include <stdbool.h>

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

#endif
