/* conn.c - non-blocking TCP and TLS (see conn.h). */
#include "conn.h"

#include <openssl/err.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "tls.h"

int conn_start(struct conn *c, const struct sockaddr *sa, socklen_t salen)
{
	c->ssl = NULL;
	c->wants = 0;
	c->read_wants = 0;
	c->write_wants = 0;
	c->tls_failed = false;
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return errno;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, sa, salen) < 0 && errno != EINPROGRESS) {
		int e = errno;
		conn_close(c);
		return e;
	}
	return 0;
}

int conn_finish(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

int conn_tls_begin(struct conn *c, SSL_CTX *ctx, const char *sni)
{
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	if (sni && sni[0] && SSL_set_tlsext_host_name(c->ssl, sni) != 1)
		return -1;
	SSL_set_connect_state(c->ssl);
	return 0;
}

/*
 * What an SSL_* call's failure means for us. Either direction may be wanted
 * by any call (renegotiation, key updates), so remember which one.
 */
/* Keep why an I/O call failed before anything else can change errno or the error queue. */
static ssize_t io_error(struct conn *c)
{
	c->err = errno;
	c->err_text[0] = '\0';
	if (ERR_peek_error())
		tls_last_error(c->err_text, sizeof c->err_text);
	return CONN_IO_ERROR;
}

static ssize_t tls_result(struct conn *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->wants = LOOP_READ;
		return CONN_IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->wants = LOOP_WRITE;
		return CONN_IO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return CONN_IO_EOF;
	case SSL_ERROR_SYSCALL:
		c->tls_failed = true;
		/* OpenSSL 3 reports a peer that just vanished as an SSL error or a syscall with errno 0. */
		return (errno == 0 || errno == ECONNRESET || errno == EPIPE) ? CONN_IO_EOF : io_error(c);
	default:
		c->tls_failed = true;
		if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return CONN_IO_EOF;
		}
		return io_error(c);
	}
}

int conn_tls_handshake(struct conn *c, char *err, size_t errsz)
{
	ERR_clear_error();
	errno = 0;
	int ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->wants = 0;
		c->read_wants = 0;
		return 1;
	}
	ssize_t r = tls_result(c, ret);
	if (r == CONN_IO_AGAIN) {
		c->read_wants = c->wants;
		return CONN_IO_AGAIN;
	}
	if (ERR_peek_error())
		tls_last_error(err, errsz);
	else if (r == CONN_IO_EOF || errno == 0)
		snprintf(err, errsz, "the server closed the connection during the handshake");
	else
		snprintf(err, errsz, "%s", strerror(errno));
	c->tls_failed = true;
	return CONN_IO_ERROR;
}

static ssize_t do_read(struct conn *c, char *buf, size_t len)
{
	if (c->ssl) {
		ERR_clear_error();
		errno = 0;
		int n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
		if (n > 0)
			return n;
		return tls_result(c, n);
	}
	ssize_t n = recv(c->fd, buf, len, 0);
	if (n > 0)
		return n;
	if (n == 0)
		return CONN_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->wants = LOOP_READ;
		return CONN_IO_AGAIN;
	}
	if (errno == ECONNRESET)
		return CONN_IO_EOF;
	return io_error(c);
}

ssize_t conn_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n = do_read(c, buf, len);
	c->read_wants = n == CONN_IO_AGAIN ? c->wants : 0;
	return n;
}

static ssize_t do_write(struct conn *c, const char *buf, size_t len)
{
	if (c->ssl) {
		ERR_clear_error();
		errno = 0;
		int n = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
		if (n > 0)
			return n;
		return tls_result(c, n);
	}
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->wants = LOOP_WRITE;
		return CONN_IO_AGAIN;
	}
	if (errno == EPIPE || errno == ECONNRESET)
		return CONN_IO_EOF;
	return io_error(c);
}

ssize_t conn_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t n = do_write(c, buf, len);
	c->write_wants = n == CONN_IO_AGAIN ? c->wants : 0;
	return n;
}

unsigned conn_events(const struct conn *c, bool output_pending)
{
	unsigned ev = c->read_wants ? c->read_wants : LOOP_READ;
	if (output_pending)
		ev |= c->write_wants ? c->write_wants : LOOP_WRITE;
	return ev;
}

void conn_close(struct conn *c)
{
	if (c->ssl) {
		/* Best effort, never blocking; never after a fatal error (OpenSSL forbids it). */
		if (!c->tls_failed)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int conn_local_literal(const struct conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN];
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip, sizeof ip);
			snprintf(buf, len, "[%s]", ip);
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
			snprintf(buf, len, "[IPv6:%s]", ip);
		}
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
		snprintf(buf, len, "[%s]", ip);
	}
	return 0;
}
