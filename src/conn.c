/* conn.c - non-blocking TCP (see conn.h). */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <unistd.h>

int conn_start(struct conn *c, const struct sockaddr *sa, socklen_t salen)
{
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

ssize_t conn_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n = recv(c->fd, buf, len, 0);
	if (n > 0)
		return n;
	if (n == 0)
		return CONN_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return CONN_IO_AGAIN;
	if (errno == ECONNRESET)
		return CONN_IO_EOF;
	return CONN_IO_ERROR;
}

ssize_t conn_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return CONN_IO_AGAIN;
	if (errno == EPIPE || errno == ECONNRESET)
		return CONN_IO_EOF;
	return CONN_IO_ERROR;
}

void conn_close(struct conn *c)
{
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
