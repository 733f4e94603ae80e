/*
 * socks.h - SOCKS5 client handshake (RFC 1928, RFC 1929 user/password), as
 * a pure state machine like smtp.c: feed it the proxy's bytes, write what
 * it hands back, until it says done or failed. The caller owns the socket.
 */
#ifndef SMTPPROBE_SOCKS_H
#define SMTPPROBE_SOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct socks_proxy {
	char host[256];       /* proxy host (name or IP) */
	int port;
	char user[256];       /* empty: no authentication offered */
	char pass[256];
	bool remote_dns;      /* socks5h: the proxy resolves target names */
};

/*
 * Parse "socks5://[user:pass@]host:port" or "socks5h://..." (user and pass
 * may be percent-encoded; IPv6 hosts in brackets). Returns false with a
 * one-line reason in err. The password is never copied into err.
 */
bool socks_parse_url(const char *url, struct socks_proxy *out, char *err, size_t errsz);

enum socks_status {
	SOCKS_MORE,    /* need more bytes from the proxy */
	SOCKS_DONE,    /* tunnel established: SMTP bytes follow */
	SOCKS_FAILED,  /* see socks_error() */
};

struct socks_session;

/*
 * Target: an IP address (connect by address) or, with remote_dns, a host
 * name the proxy resolves (ATYP 3). The greeting is queued at once.
 */
struct socks_session *socks_new(const struct socks_proxy *p, const char *target, uint16_t port);
void socks_free(struct socks_session *s);   /* wipes the credentials */

enum socks_status socks_feed(struct socks_session *s, const unsigned char *data, size_t len, size_t *used);
const unsigned char *socks_output(const struct socks_session *s, size_t *len);
void socks_output_done(struct socks_session *s, size_t n);

/* One line, e.g. "proxy refused: connection refused by destination host (REP 5)". */
const char *socks_error(const struct socks_session *s);
/* The same as a message, for the text report to translate. */
const struct msg *socks_error_msg(const struct socks_session *s);
/* The REP code of a failed CONNECT (RFC 1928 6), or -1. */
int socks_reply_code(const struct socks_session *s);

#endif
