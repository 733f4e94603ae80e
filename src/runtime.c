/* runtime.c - the set-up every command shares (see runtime.h). */
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "i18n.h"
#include "result.h"
#include "secret.h"
#include "tls.h"
#include "tls_session.h"

/* This host's FQDN when it has one; otherwise the probe uses its address literal. */
static void default_helo(struct cli *c)
{
	if (c->probe.helo)
		return;
	char name[256];
	if (gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = '\0';
		if (strchr(name, '.') && addr_valid_hostname(name)) {
			snprintf(c->helo, sizeof c->helo, "%s", name);
			c->probe.helo = c->helo;
		}
	}
}

struct proxy_lookup {
	bool done;
	enum dns_status st;
	struct dns_addr addr;
	const char *why;
};

static void on_proxy_addr(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why)
{
	struct proxy_lookup *pl = ctx;
	pl->st = n > 0 ? DNS_OK : (st == DNS_OK ? DNS_NODATA : st);
	if (n > 0)
		pl->addr = a[0];
	pl->why = why;
	pl->done = true;
}

/* The proxy's own address, looked up once for every probe. */
static int resolve_proxy(struct runtime *rt, int family, char *err, size_t errsz)
{
	struct proxy_lookup pl = { 0 };
	dns_query_addr(rt->dns, rt->proxy.host, family, on_proxy_addr, &pl);
	if (!pl.done)
		loop_run(rt->loop, &pl.done);
	if (pl.st != DNS_OK) {
		snprintf(err, errsz, _("cannot resolve the proxy %s: %s"), rt->proxy.host,
		         pl.why ? pl.why : _(dns_status_text(pl.st)));
		return -1;
	}
	rt->proxy_addr = pl.addr;
	return 0;
}

static int open_proxy(struct runtime *rt, struct cli *c, char *err, size_t errsz)
{
	const char *url = c->proxy ? c->proxy : getenv("SMTPPROBE_PROXY");
	if (!url || !url[0])
		return 0;
	bool parsed = socks_parse_url(url, &rt->proxy, err, errsz);
	/* The proxy's password leaves the process list and the environment once parsed. */
	if (c->proxy)
		secret_scrub_userinfo((char *)c->proxy);
	secret_scrub_env("SMTPPROBE_PROXY");
	if (!parsed)
		return EXIT_USAGE;
	if (resolve_proxy(rt, c->probe.family, err, errsz) < 0)
		return EXIT_TEMPFAIL;
	c->probe.proxy = &rt->proxy;
	c->probe.proxy_addr = &rt->proxy_addr;
	return 0;
}

int runtime_open(struct runtime *rt, struct cli *c, char *err, size_t errsz)
{
	memset(rt, 0, sizeof *rt);
	default_helo(c);
	if (c->probe.auth_user) {
		if (secret_read(c->password_file, c->probe.auth_user, &rt->secret, err, errsz) < 0)
			return EXIT_USAGE;
		c->probe.auth_secret = rt->secret;
	}
	if (c->probe.tls.mode != TLS_NONE) {
		rt->tls_ctx = tls_ctx_new(&c->probe.tls, err, errsz);
		if (!rt->tls_ctx)
			return c->probe.tls.ca_file || c->probe.tls.ca_path ? EXIT_USAGE : EXIT_SOFTWARE;
		c->probe.tls_ctx = rt->tls_ctx;
	}
	rt->loop = loop_new();
	if (!rt->loop) {
		snprintf(err, errsz, "%s: %s", _("cannot create the event loop"), strerror(errno));
		return EXIT_SOFTWARE;
	}
	/* Two tries per query fit inside the DNS step's timeout. */
	int try_ms = c->probe.timeout_ms[STEP_DNS] / 3;
	rt->dns = dns_new(rt->loop, c->resolver, try_ms < 200 ? 200 : try_ms, err, errsz);
	if (!rt->dns)
		return c->resolver ? EXIT_USAGE : EXIT_SOFTWARE;
	return open_proxy(rt, c, err, errsz);
}

void runtime_close(struct runtime *rt)
{
	dns_free(rt->dns);
	loop_free(rt->loop);
	SSL_CTX_free(rt->tls_ctx);
	tls_session_clear();
	secret_free(rt->secret);
	OPENSSL_cleanse(&rt->proxy, sizeof rt->proxy);
	memset(rt, 0, sizeof *rt);
}
