/*
 * danecheck - test driver for the DNS TXT/TLSA lookups (dns.c) and the
 * DANE check (dane.c), linked with the core library. Prints one JSON line.
 *
 *   danecheck --resolver IP:PORT --txt NAME
 *       {"status":"ok","ad":true,"skipped":0,"txt":["v=STSv1; id=1"],
 *        "mta_sts":"ok"|"none"|"multiple"|"invalid","tlsrpt":...}
 *   danecheck --resolver IP:PORT [--connect IP:PORT] [--tlsa-port N] MXHOST
 *       looks up TLSA at _N._tcp.MXHOST (N = 25), and with --connect
 *       speaks SMTP there (EHLO, STARTTLS, the handshake with SNI MXHOST,
 *       QUIT) and checks the chain the server sent against the records:
 *       {"status":"ok","ad":true,"skipped":0,"tlsa":["3 1 1 ab12..."],
 *        "dane":{"status":"matched","usage":3,"selector":1,"mtype":1,
 *        "depth":0,"usable":1,"unusable":0,"detail":"..."}}
 *
 * The SMTP side is deliberately plain blocking I/O with a 10 s socket
 * timeout: it only has to hand dane_check_ssl() an SSL* after a real
 * STARTTLS handshake. Exit 0 when it ran (whatever it found), 1 when the
 * SMTP or TLS side failed, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "dane.h"
#include "dns.h"
#include "json.h"
#include "loop.h"
#include "mta_sts.h"
#include "strbuf.h"
#include "tlsrpt.h"

struct lookup {
	bool done;
	enum dns_status st;
	struct dns_answer_info info;
	const char *why;
	struct strbuf out;   /* the JSON members written so far */
	struct dns_tlsa *t;  /* copied for the DANE check */
	int n;
};

static void put_status(struct json *j, struct lookup *lk, enum dns_status st, const struct dns_answer_info *info,
                       const char *why)
{
	static const char *const names[] = { "ok", "nodata", "nxdomain", "servfail", "timeout", "error" };
	json_key(j, "status");
	json_string(j, names[st]);
	json_key(j, "ad");
	json_bool(j, info->ad);
	json_key(j, "skipped");
	json_int(j, info->skipped);
	json_key(j, "why");
	if (why)
		json_string(j, why);
	else
		json_null(j);
	lk->st = st;
}

static void on_txt(void *ctx, enum dns_status st, const struct txt_record *txt, int n,
                   const struct dns_answer_info *info, const char *why)
{
	struct lookup *lk = ctx;
	struct json j;
	json_init(&j, &lk->out);
	json_object_begin(&j);
	put_status(&j, lk, st, info, why);
	json_key(&j, "txt");
	json_array_begin(&j);
	for (int i = 0; i < n; i++)
		json_string_n(&j, txt[i].data, txt[i].len);
	json_array_end(&j);
	static const char *const sts[] = { "ok", "none", "multiple", "invalid" };
	char err[256];
	struct mta_sts_record rec;
	json_key(&j, "mta_sts");
	json_string(&j, sts[mta_sts_record_from_txt(txt, n, &rec, err, sizeof err)]);
	struct tlsrpt_record rpt;
	json_key(&j, "tlsrpt");
	json_string(&j, sts[tlsrpt_from_txt(txt, n, &rpt, err, sizeof err)]);
	json_object_end(&j);
	lk->done = true;
}

static void on_tlsa(void *ctx, enum dns_status st, const struct dns_tlsa *t, int n,
                    const struct dns_answer_info *info, const char *why)
{
	struct lookup *lk = ctx;
	struct json j;
	json_init(&j, &lk->out);
	json_object_begin(&j);
	put_status(&j, lk, st, info, why);
	json_key(&j, "tlsa");
	json_array_begin(&j);
	for (int i = 0; i < n; i++) {
		struct strbuf s = STRBUF_INIT;
		strbuf_printf(&s, "%u %u %u ", t[i].usage, t[i].selector, t[i].mtype);
		for (int k = 0; k < t[i].len; k++)
			strbuf_printf(&s, "%02x", t[i].data[k]);
		json_string(&j, strbuf_str(&s));
		strbuf_free(&s);
	}
	json_array_end(&j);
	/* The object stays open: main() adds "dane" and closes it. */
	lk->t = calloc((size_t)(n ? n : 1), sizeof *t);
	if (!lk->t)
		abort();
	memcpy(lk->t, t, (size_t)n * sizeof *t);
	lk->n = n;
	lk->done = true;
}

/* One SMTP reply, every line read; the code of the last. 0 on failure. */
static int read_reply(int fd)
{
	char line[1024];
	for (;;) {
		size_t n = 0;
		char c;
		while (n < sizeof line - 1) {
			if (recv(fd, &c, 1, 0) != 1)
				return 0;
			if (c == '\n')
				break;
			line[n++] = c;
		}
		line[n] = '\0';
		if (n < 4)
			return 0;
		if (line[3] == ' ')
			return atoi(line);
	}
}

static bool say(int fd, const char *s)
{
	size_t n = strlen(s);
	return send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n;
}

static int smtp_starttls(const char *addr, const char *host, SSL_CTX **ctxp, SSL **sslp, int *fdp)
{
	char ip[64];
	snprintf(ip, sizeof ip, "%s", addr);
	char *colon = strrchr(ip, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	*fdp = fd;
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || read_reply(fd) != 220 ||
	    !say(fd, "EHLO danecheck.test\r\n") || read_reply(fd) != 250 || !say(fd, "STARTTLS\r\n") ||
	    read_reply(fd) != 220)
		return -1;
	/* No verification here: the DANE check is the point, and it is dane.c's. */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	*ctxp = ctx;
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	*sslp = ssl;
	if (!ssl || SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		return -1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: danecheck --resolver IP:PORT (--txt NAME | [--connect IP:PORT] [--tlsa-port N] MXHOST)\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *resolver = NULL, *txt = NULL, *connect_to = NULL, *host = NULL;
	int port = 25;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--resolver") == 0 && v)
			resolver = argv[++i];
		else if (strcmp(argv[i], "--txt") == 0 && v)
			txt = argv[++i];
		else if (strcmp(argv[i], "--connect") == 0 && v)
			connect_to = argv[++i];
		else if (strcmp(argv[i], "--tlsa-port") == 0 && v)
			port = atoi(argv[++i]);
		else if (argv[i][0] != '-' && !host)
			host = argv[i];
		else
			return usage();
	}
	if (!resolver || (!txt && !host))
		return usage();

	struct loop *l = loop_new();
	char err[256];
	struct dns *d = l ? dns_new(l, resolver, 1000, err, sizeof err) : NULL;
	if (!d) {
		fprintf(stderr, "danecheck: no resolver\n");
		return 1;
	}
	struct lookup lk = { .out = STRBUF_INIT };
	char name[300];
	if (txt) {
		dns_query_txt(d, txt, on_txt, &lk);
	} else {
		if (!dane_tlsa_name(host, port, name, sizeof name))
			return usage();
		dns_query_tlsa(d, name, on_tlsa, &lk);
	}
	loop_run(l, &lk.done);
	dns_free(d);
	loop_free(l);

	int rc = 0;
	if (host && connect_to) {
		SSL_CTX *ctx = NULL;
		SSL *ssl = NULL;
		int fd = -1;
		struct dane_result r;
		if (smtp_starttls(connect_to, host, &ctx, &ssl, &fd) != 0) {
			rc = 1;
			strbuf_puts(&lk.out, ",\"dane\":null");
		} else {
			dane_check_ssl(ssl, host, lk.t, lk.n, &r);
			struct json j;
			json_init(&j, &lk.out);
			/* Continue the object on_tlsa left open. */
			j.depth = 1;
			j.need_comma[1] = true;
			json_key(&j, "dane");
			json_object_begin(&j);
			json_key(&j, "status");
			json_string(&j, dane_status_name(r.status));
			json_key(&j, "usage");
			json_int(&j, r.usage);
			json_key(&j, "selector");
			json_int(&j, r.selector);
			json_key(&j, "mtype");
			json_int(&j, r.mtype);
			json_key(&j, "depth");
			json_int(&j, r.depth);
			json_key(&j, "usable");
			json_int(&j, r.usable);
			json_key(&j, "unusable");
			json_int(&j, r.unusable);
			json_key(&j, "detail");
			json_string(&j, r.detail);
			json_object_end(&j);
			/* End the session as the script expects: QUIT over TLS, its 221. */
			char buf[512];
			if (SSL_write(ssl, "QUIT\r\n", 6) == 6)
				SSL_read(ssl, buf, sizeof buf);
		}
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		if (fd >= 0)
			close(fd);
	}
	if (host)
		strbuf_puts(&lk.out, "}");
	printf("%s\n", strbuf_str(&lk.out));
	strbuf_free(&lk.out);
	free(lk.t);
	return rc;
}
