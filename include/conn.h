/*
 * conn.h - one non-blocking client connection: TCP connect with the result
 * collected later, and reads/writes that never block. TLS will live behind
 * the same calls, so the probe does not care which transport it runs on.
 */
#ifndef SMTPPROBE_CONN_H
#define SMTPPROBE_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

enum conn_io {
	CONN_IO_AGAIN = -1,  /* would block: wait for the fd */
	CONN_IO_EOF = -2,    /* the peer closed */
	CONN_IO_ERROR = -3,  /* errno says why */
};

struct conn {
	int fd;
};

/* Start connecting; returns 0 (in progress or done) or an errno value. */
int conn_start(struct conn *c, const struct sockaddr *sa, socklen_t salen);
/* After the fd turned writable: 0 when connected, else the errno value. */
int conn_finish(struct conn *c);
/* Bytes read (> 0) or a conn_io value. */
ssize_t conn_read(struct conn *c, char *buf, size_t len);
/* Bytes written (>= 0) or a conn_io value. */
ssize_t conn_write(struct conn *c, const char *buf, size_t len);
void conn_close(struct conn *c);
/* "[127.0.0.1]" or "[IPv6:::1]": the local address as an EHLO address literal. */
int conn_local_literal(const struct conn *c, char *buf, size_t len);

#endif
