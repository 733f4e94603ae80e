/*
 * tls_session.h - TLS sessions kept for the run, per mail server (host
 * name and address), so that the later sessions of a batch to the same MX
 * resume (TLS 1.3 tickets, RFC 8446 2.2; RFC 5077 before) instead of doing
 * a full handshake and certificate verification each time.
 *
 * One store per process: smtpprobe runs one batch per process.
 */
#ifndef SMTPPROBE_TLS_SESSION_H
#define SMTPPROBE_TLS_SESSION_H

#include <stdbool.h>

#include <openssl/ssl.h>

#define TLS_SESSIONS_MAX 256  /* servers remembered; the oldest goes first */

/* Make ctx hand new client sessions to the store. */
void tls_session_attach(SSL_CTX *ctx);
/* Before the handshake: ssl belongs to server key; offer one of its kept tickets (each is used once). Returns whether it did. */
bool tls_session_prepare(SSL *ssl, const char *key);
/* Forget every session (at exit). */
void tls_session_clear(void);

#endif
