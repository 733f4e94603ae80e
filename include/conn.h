/*
 * conn.h - one non-blocking client connection: TCP connect with the result
 * collected later, then reads and writes that never block, over plain TCP
 * or TLS alike, so the probe does not care which transport it runs on.
 */
#ifndef SMTPPROBE_CONN_H
#define SMTPPROBE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

enum conn_io {
	CONN_IO_AGAIN = -1,  /* would block: wait for conn_wants() */
	CONN_IO_EOF = -2,    /* the peer closed */
	CONN_IO_ERROR = -3,  /* errno or the OpenSSL queue says why */
};

struct conn {
	int fd;
	SSL *ssl;            /* NULL until TLS starts */
	unsigned wants;      /* LOOP_READ / LOOP_WRITE the last AGAIN waits for (any call) */
	/*
	 * The same per direction of the caller: what the last conn_read (or
	 * handshake step) that returned AGAIN waits for, and the last
	 * conn_write's; 0 once the call got through. Over TLS a read may wait
	 * for writability (a KeyUpdate to answer, a renegotiation) and a write
	 * for readability: conn_events() puts them together.
	 */
	unsigned read_wants;
	unsigned write_wants;
	bool tls_failed;     /* no close_notify after a fatal TLS error */
	/* Why the last CONN_IO_ERROR happened: OpenSSL's reason, else errno. */
	int err;
	char err_text[160];
};

/* Start connecting; returns 0 (in progress or done) or an errno value. */
int conn_start(struct conn *c, const struct sockaddr *sa, socklen_t salen);
/* After the fd turned writable: 0 when connected, else the errno value. */
int conn_finish(struct conn *c);

/* Put TLS on the connection; sni may be NULL (no SNI for IP addresses). 0 or -1. */
int conn_tls_begin(struct conn *c, SSL_CTX *ctx, const char *sni);
/* Drive the handshake: 1 when done, CONN_IO_AGAIN, or CONN_IO_ERROR with a reason in err. */
int conn_tls_handshake(struct conn *c, char *err, size_t errsz);

/* Bytes read (> 0) or a conn_io value. */
ssize_t conn_read(struct conn *c, char *buf, size_t len);
/* Bytes written (>= 0) or a conn_io value. */
ssize_t conn_write(struct conn *c, const char *buf, size_t len);
/*
 * What to wait for before calling conn_read again (and conn_write, when
 * output is pending): exactly what the last calls asked for, LOOP_READ and
 * LOOP_WRITE by default. On readiness, retry both calls, whichever event
 * came: a read waiting for LOOP_WRITE goes on when the fd is writable.
 */
unsigned conn_events(const struct conn *c, bool output_pending);

/* Close, with a TLS close_notify when the session ended cleanly. */
void conn_close(struct conn *c);
/* "[127.0.0.1]" or "[IPv6:::1]": the local address as an EHLO address literal. */
int conn_local_literal(const struct conn *c, char *buf, size_t len);

#endif
