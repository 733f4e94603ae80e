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

#include "tls_info.h"

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
