/*
 * https.h - one HTTPS GET in the shared loop, made for the MTA-STS policy
 * (RFC 8461 3.3): libcurl's multi interface with its sockets watched by
 * loop.h and its timeout on a loop timer, so a fetch runs beside DNS and
 * SMTP work in the same thread.
 *
 * What a fetch insists on, and reports as its own status when not met:
 * https only; no redirect followed (a 3xx is HTTPS_REDIRECT, with the
 * Location); status 200; the media type of Content-Type (parameters
 * allowed, case-insensitive) when one is asked for; a body of at most
 * max_body bytes; the server certificate verified against the trust
 * anchors smtpprobe's SMTP side uses (the system store, with
 * SSL_CERT_FILE / SSL_CERT_DIR honoured, plus ca_file / ca_path as
 * --ca-file / --ca-path give them) and valid for the URL's host name;
 * TLS 1.2 or newer; no proxy from the environment; one deadline for the
 * whole transfer.
 *
 * Names: given a struct dns, the URL's host is looked up with smtpprobe's
 * own resolver (c-ares, so --resolver and the test unbound apply) and the
 * addresses are handed to libcurl (CURLOPT_RESOLVE); without one, libcurl
 * resolves.
 *
 * Tests only: connect_port (or, when it is 0, the environment variable
 * SMTPPROBE_TEST_HTTPS_PORT) makes the connection go to that port of the
 * same addresses instead of the URL's (CURLOPT_CONNECT_TO); the name in
 * the URL, SNI and the certificate check are unchanged. Unprivileged test
 * servers cannot listen on 443.
 */
#ifndef SMTPPROBE_HTTPS_H
#define SMTPPROBE_HTTPS_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

struct dns;

enum https_status {
	HTTPS_OK,
	HTTPS_DNS,           /* the host name did not resolve */
	HTTPS_CONNECT,       /* TCP connection refused or unreachable */
	HTTPS_TLS,           /* TLS handshake failed */
	HTTPS_CERT,          /* certificate not trusted, or not for this name */
	HTTPS_TIMEOUT,       /* the deadline passed */
	HTTPS_REDIRECT,      /* 3xx: never followed (RFC 8461 3.3) */
	HTTPS_HTTP_STATUS,   /* any other status than 200 */
	HTTPS_CONTENT_TYPE,  /* not the media type asked for */
	HTTPS_TOO_LARGE,     /* the body is over max_body */
	HTTPS_ERROR,         /* anything else (protocol error, bad URL) */
};

struct https_request {
	const char *url;            /* "https://mta-sts.example.org/.well-known/mta-sts.txt" */
	const char *ca_file;        /* NULL: see above */
	const char *ca_path;
	const char *content_type;   /* media type required, e.g. "text/plain"; NULL: any */
	size_t max_body;            /* bytes; 0 means 65536 */
	int timeout_ms;             /* whole transfer; 0 means 10000 */
	struct dns *dns;            /* NULL: libcurl resolves */
	int connect_port;           /* tests only, see above; 0: the URL's */
};

struct https_result {
	enum https_status status;
	long http_code;             /* 0 when no response came */
	char content_type[128];     /* as sent, "" when none */
	char location[512];         /* a redirect's target, "" otherwise */
	char ip[46];                /* the address connected to, "" when none */
	const char *body;           /* what arrived (up to max_body), NUL-terminated; never NULL */
	size_t len;
	char error[256];            /* one line for every status but OK */
};

/* Called once per fetch, from the loop, never from https_fetch_start. */
typedef void (*https_fn)(void *ctx, const struct https_result *res);

struct https_fetch;

/*
 * Start a GET. Returns NULL with a reason in err when it cannot start
 * (libcurl could not be set up, the URL is not https://). The result and
 * its body live until fn returns; the fetch is freed right after.
 */
struct https_fetch *https_fetch_start(struct loop *l, const struct https_request *req, https_fn fn, void *ctx,
                                      char *err, size_t errsz);

/* Stop a fetch whose callback has not run; fn is never called. NULL is fine. */
void https_fetch_cancel(struct https_fetch *f);

const char *https_status_name(enum https_status st);  /* "redirect", ... for JSON */

/* Whether a Content-Type value's media type is want ("text/plain; charset=utf-8" is text/plain). */
bool https_media_type_is(const char *content_type, const char *want);

#endif
