/* https.c - one HTTPS GET with libcurl's multi interface in the shared loop (see https.h). */
#include "https.h"

#include "dns.h"
#include "mem.h"
#include "strbuf.h"

#include "config.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTPS_DEFAULT_MAX_BODY 65536
#define HTTPS_DEFAULT_TIMEOUT_MS 10000

struct https_fetch {
	struct loop *loop;
	struct dns *dns;
	https_fn fn;
	void *ctx;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *resolve;
	struct curl_slist *connect_list;
	struct loop_timer timer;
	struct strbuf body;
	size_t max_body;
	bool too_large;
	bool dns_pending;
	char *host;
	long port;         /* the URL's */
	long connect_port; /* where the connection goes */
	char connect_to[300];
	struct https_result res;
	char curl_err[CURL_ERROR_SIZE];
	char content_type[128];  /* the media type wanted, "" = any */
	char *url;
	char *ca_file, *ca_path;
};

static const char *const status_names[] = {
	[HTTPS_OK] = "ok",
	[HTTPS_DNS] = "dns",
	[HTTPS_CONNECT] = "connect",
	[HTTPS_TLS] = "tls",
	[HTTPS_CERT] = "certificate",
	[HTTPS_TIMEOUT] = "timeout",
	[HTTPS_REDIRECT] = "redirect",
	[HTTPS_HTTP_STATUS] = "http_status",
	[HTTPS_CONTENT_TYPE] = "content_type",
	[HTTPS_TOO_LARGE] = "too_large",
	[HTTPS_ERROR] = "error",
};

const char *https_status_name(enum https_status st)
{
	return (unsigned)st < sizeof status_names / sizeof status_names[0] ? status_names[st] : "error";
}

/* libcurl's transfer errors in our vocabulary, as data; the rest is HTTPS_ERROR. */
static const struct {
	CURLcode code;
	enum https_status st;
} curl_map[] = {
	{ CURLE_COULDNT_RESOLVE_HOST, HTTPS_DNS },
	{ CURLE_COULDNT_CONNECT, HTTPS_CONNECT },
	{ CURLE_OPERATION_TIMEDOUT, HTTPS_TIMEOUT },
	{ CURLE_SSL_CONNECT_ERROR, HTTPS_TLS },
	{ CURLE_PEER_FAILED_VERIFICATION, HTTPS_CERT },
	{ CURLE_SSL_CACERT_BADFILE, HTTPS_CERT },
	{ CURLE_SSL_CERTPROBLEM, HTTPS_CERT },
	{ CURLE_FILESIZE_EXCEEDED, HTTPS_TOO_LARGE },
	{ CURLE_UNSUPPORTED_PROTOCOL, HTTPS_ERROR },
};

static enum https_status map_curl(CURLcode c)
{
	for (size_t i = 0; i < sizeof curl_map / sizeof curl_map[0]; i++)
		if (curl_map[i].code == c)
			return curl_map[i].st;
	return HTTPS_ERROR;
}

bool https_media_type_is(const char *ct, const char *want)
{
	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct https_fetch *f = userp;
	size_t n = size * nmemb;
	if (f->body.len + n > f->max_body) {
		/* Keep what fits (evidence), then stop the transfer: returning less aborts it. */
		strbuf_append(&f->body, data, f->max_body - f->body.len);
		f->too_large = true;
		return 0;
	}
	strbuf_append(&f->body, data, n);
	return n;
}

static void fetch_free(struct https_fetch *f)
{
	if (f->dns_pending)
		dns_forget(f->dns, f);
	loop_timer_cancel(f->loop, &f->timer);
	if (f->easy) {
		curl_multi_remove_handle(f->multi, f->easy);
		curl_easy_cleanup(f->easy);
	}
	if (f->multi)
		curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->resolve);
	curl_slist_free_all(f->connect_list);
	strbuf_free(&f->body);
	free(f->host);
	free(f->url);
	free(f->ca_file);
	free(f->ca_path);
	free(f);
}

void https_fetch_cancel(struct https_fetch *f)
{
	if (f)
		fetch_free(f);
}

/* The transfer ended with code c: judge it, report once, free. */
static void finish(struct https_fetch *f, CURLcode c)
{
	struct https_result *r = &f->res;
	char *ct = NULL, *loc = NULL, *ip = NULL;
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &r->http_code);
	curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_URL, &loc);
	curl_easy_getinfo(f->easy, CURLINFO_PRIMARY_IP, &ip);
	snprintf(r->content_type, sizeof r->content_type, "%s", ct ? ct : "");
	snprintf(r->location, sizeof r->location, "%s", loc ? loc : "");
	snprintf(r->ip, sizeof r->ip, "%s", ip ? ip : "");

	if (f->too_large || c == CURLE_FILESIZE_EXCEEDED) {
		r->status = HTTPS_TOO_LARGE;
		snprintf(r->error, sizeof r->error, "the body is larger than %zu bytes", f->max_body);
	} else if (c != CURLE_OK) {
		r->status = map_curl(c);
		snprintf(r->error, sizeof r->error, "%s", f->curl_err[0] ? f->curl_err : curl_easy_strerror(c));
	} else if (r->http_code >= 300 && r->http_code < 400) {
		r->status = HTTPS_REDIRECT;
		snprintf(r->error, sizeof r->error, "HTTP %ld redirect%s%s (redirects are not followed)", r->http_code,
		         r->location[0] ? " to " : "", r->location);
	} else if (r->http_code != 200) {
		r->status = HTTPS_HTTP_STATUS;
		snprintf(r->error, sizeof r->error, "HTTP status %ld, not 200", r->http_code);
	} else if (f->content_type[0] && !https_media_type_is(r->content_type, f->content_type)) {
		r->status = HTTPS_CONTENT_TYPE;
		snprintf(r->error, sizeof r->error, "Content-Type \"%s\", not %s", r->content_type[0] ? r->content_type : "(none)",
		         f->content_type);
	} else {
		r->status = HTTPS_OK;
	}
	r->body = strbuf_str(&f->body);
	r->len = f->body.len;
	f->fn(f->ctx, r);
	fetch_free(f);
}

/* Whether the transfer is over; if so it has been reported and f is gone. */
static bool check_done(struct https_fetch *f)
{
	int left;
	CURLMsg *m;
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg == CURLMSG_DONE) {
			finish(f, m->data.result);
			return true;
		}
	}
	return false;
}

static void on_fd(void *ctx, int fd, unsigned events)
{
	struct https_fetch *f = ctx;
	int flags = ((events & LOOP_READ) ? CURL_CSELECT_IN : 0) | ((events & LOOP_WRITE) ? CURL_CSELECT_OUT : 0) |
		((events & LOOP_ERROR) ? CURL_CSELECT_ERR : 0);
	int running;
	curl_multi_socket_action(f->multi, fd, flags, &running);
	check_done(f);
}

static void on_timer(void *ctx)
{
	struct https_fetch *f = ctx;
	int running;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(f);
}

/* CURLMOPT_SOCKETFUNCTION: curl says which of its sockets to watch for what. */
static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct https_fetch *f = userp;
	static const unsigned events[] = {
		[CURL_POLL_NONE] = 0,
		[CURL_POLL_IN] = LOOP_READ,
		[CURL_POLL_OUT] = LOOP_WRITE,
		[CURL_POLL_INOUT] = LOOP_READ | LOOP_WRITE,
	};
	if (what == CURL_POLL_REMOVE || (unsigned)what >= sizeof events / sizeof events[0] || events[what] == 0)
		loop_unwatch(f->loop, s);
	else
		loop_watch(f->loop, s, events[what], on_fd, f);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer, re-armed as curl asks; -1 disarms it. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct https_fetch *f = userp;
	if (timeout_ms < 0)
		loop_timer_cancel(f->loop, &f->timer);
	else
		loop_timer_arm(f->loop, &f->timer, timeout_ms);
	return 0;
}

/* The transfer itself, once the addresses are known (or left to libcurl). */
static void start_transfer(struct https_fetch *f)
{
	if (f->resolve)
		curl_easy_setopt(f->easy, CURLOPT_RESOLVE, f->resolve);
	if (f->connect_list)
		curl_easy_setopt(f->easy, CURLOPT_CONNECT_TO, f->connect_list);
	curl_multi_add_handle(f->multi, f->easy);
}

static void slist_add(struct curl_slist **list, const char *s)
{
	struct curl_slist *n = curl_slist_append(*list, s);
	if (!n)
		mem_fail();
	*list = n;
}

/*
 * The URL's host through smtpprobe's resolver: "host:port:addr,addr" for
 * CURLOPT_RESOLVE, for the port connected to (and the URL's, the same
 * when no test port is set). A failed lookup is the fetch's result.
 */
static void on_addrs(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why)
{
	struct https_fetch *f = ctx;
	f->dns_pending = false;
	if (st != DNS_OK || n == 0) {
		struct https_result *r = &f->res;
		r->status = HTTPS_DNS;
		snprintf(r->error, sizeof r->error, "%s: %s", f->host, why ? why : dns_status_text(st));
		r->body = "";
		f->fn(f->ctx, r);
		fetch_free(f);
		return;
	}
	struct strbuf addrs = STRBUF_INIT;
	for (int i = 0; i < n; i++)
		strbuf_printf(&addrs, a[i].family == AF_INET6 ? "%s[%s]" : "%s%s", i ? "," : "", a[i].ip);
	char entry[1200];
	snprintf(entry, sizeof entry, "%s:%ld:%s", f->host, f->connect_port, strbuf_str(&addrs));
	slist_add(&f->resolve, entry);
	if (f->connect_port != f->port) {
		snprintf(entry, sizeof entry, "%s:%ld:%s", f->host, f->port, strbuf_str(&addrs));
		slist_add(&f->resolve, entry);
	}
	strbuf_free(&addrs);
	start_transfer(f);
}

static bool curl_ready(char *err, size_t errsz)
{
	static bool ready;
	if (!ready) {
		CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (c != CURLE_OK) {
			snprintf(err, errsz, "libcurl: %s", curl_easy_strerror(c));
			return false;
		}
		ready = true;
	}
	return true;
}

/* Host and port of an https:// URL, through libcurl's own URL parser. */
static bool url_parts(struct https_fetch *f, const char *url, char *err, size_t errsz)
{
	CURLU *u = curl_url();
	if (!u)
		mem_fail();
	char *scheme = NULL, *host = NULL, *port = NULL;
	bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
	if (!ok)
		snprintf(err, errsz, "not a URL: %s", url);
	else if (strcasecmp(scheme, "https") != 0) {
		snprintf(err, errsz, "not an https:// URL: %s", url);
		ok = false;
	} else {
		f->host = xstrdup(host);
		f->port = strtol(port, NULL, 10);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/* The test port: the request's, else SMTPPROBE_TEST_HTTPS_PORT, else the URL's. */
static long test_port(const struct https_request *req, long url_port)
{
	if (req->connect_port > 0 && req->connect_port < 65536)
		return req->connect_port;
	const char *env = getenv("SMTPPROBE_TEST_HTTPS_PORT");
	if (env && env[0]) {
		char *end;
		long p = strtol(env, &end, 10);
		if (*end == '\0' && p > 0 && p < 65536)
			return p;
	}
	return url_port;
}

/*
 * Trust anchors exactly as for SMTP (tls.c, --ca-file's help): the system
 * store (OpenSSL's default paths, so SSL_CERT_FILE / SSL_CERT_DIR apply)
 * plus --ca-file / --ca-path. Set on the SSL_CTX libcurl made for this
 * transfer, with libcurl's own CA settings switched off, so neither side
 * trusts what the other does not.
 */
static CURLcode ssl_ctx_cb(CURL *curl, void *sslctx, void *parm)
{
	struct https_fetch *f = parm;
	SSL_CTX *ctx = sslctx;
	if ((f->ca_file && SSL_CTX_load_verify_file(ctx, f->ca_file) != 1) ||
	    (f->ca_path && SSL_CTX_load_verify_dir(ctx, f->ca_path) != 1)) {
		ERR_clear_error();
		return CURLE_SSL_CACERT_BADFILE;
	}
	SSL_CTX_set_default_verify_paths(ctx);
	ERR_clear_error();
	return CURLE_OK;
}

static void set_trust(struct https_fetch *f, CURL *e, const struct https_request *req)
{
	f->ca_file = req->ca_file ? xstrdup(req->ca_file) : NULL;
	f->ca_path = req->ca_path ? xstrdup(req->ca_path) : NULL;
	curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	/* A store cached across transfers would outlive what this one loaded into it. */
	curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, f);
}

struct https_fetch *https_fetch_start(struct loop *l, const struct https_request *req, https_fn fn, void *ctx,
                                      char *err, size_t errsz)
{
	if (!curl_ready(err, errsz))
		return NULL;
	struct https_fetch *f = xcalloc(1, sizeof *f);
	f->loop = l;
	f->fn = fn;
	f->ctx = ctx;
	f->dns = req->dns;
	f->max_body = req->max_body ? req->max_body : HTTPS_DEFAULT_MAX_BODY;
	snprintf(f->content_type, sizeof f->content_type, "%s", req->content_type ? req->content_type : "");
	loop_timer_init(&f->timer, on_timer, f);
	if (!url_parts(f, req->url, err, errsz))
		goto error;
	f->url = xstrdup(req->url);
	f->connect_port = test_port(req, f->port);
	f->multi = curl_multi_init();
	f->easy = curl_easy_init();
	if (!f->multi || !f->easy) {
		snprintf(err, errsz, "libcurl: cannot create a transfer");
		goto error;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);

	CURL *e = f->easy;
	int timeout = req->timeout_ms > 0 ? req->timeout_ms : HTTPS_DEFAULT_TIMEOUT_MS;
	curl_easy_setopt(e, CURLOPT_URL, f->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	set_trust(f, e, req);
	/* An http_proxy in the environment must not send the fetch elsewhere. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
	/* A Content-Length over the limit fails before any body arrives; on_body catches the rest. */
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->curl_err);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "smtpprobe/" SMTPPROBE_VERSION);
	/* No compressed bodies: the size limit is on what the server sends. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
	if (f->connect_port != f->port) {
		char entry[300];
		snprintf(entry, sizeof entry, "%s:%ld::%ld", f->host, f->port, f->connect_port);
		slist_add(&f->connect_list, entry);
	}
	if (f->dns) {
		f->dns_pending = true;
		/* A literal address answers at once, and only successfully: nothing is reported from here. */
		dns_query_addr(f->dns, f->host, AF_UNSPEC, on_addrs, f);
	} else {
		start_transfer(f);
	}
	return f;

error:
	fetch_free(f);
	return NULL;
}
