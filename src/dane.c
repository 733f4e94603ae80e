/* dane.c - a presented chain against TLSA records, with OpenSSL's DANE verifier (see dane.h). */
#include "dane.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

static const char *const status_names[] = {
	[DANE_MATCHED] = "matched",
	[DANE_NOT_MATCHED] = "not_matched",
	[DANE_NO_USABLE] = "no_usable_records",
	[DANE_ERROR] = "error",
};

const char *dane_status_name(enum dane_status st)
{
	return (unsigned)st < sizeof status_names / sizeof status_names[0] ? status_names[st] : "error";
}

const char *dane_usage_name(uint8_t usage)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };
	return usage < 4 ? names[usage] : "unknown";
}

bool dane_tlsa_name(const char *mx_host, int port, char *buf, size_t size)
{
	size_t n = strlen(mx_host);
	if (n && mx_host[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	int w = snprintf(buf, size, "_%d._tcp.%.*s", port, (int)n, mx_host);
	return w > 0 && (size_t)w < size;
}

/* RFC 7672 3.1.3: an SMTP client uses DANE-TA(2) and DANE-EE(3) only. */
static bool usable_for_smtp(const struct dns_tlsa *t)
{
	return t->usage == 2 || t->usage == 3;
}

void dane_check_chain(STACK_OF(X509) *chain, const char *mx_host, const struct dns_tlsa *t, int n,
                      struct dane_result *r)
{
	memset(r, 0, sizeof *r);
	r->status = DANE_ERROR;
	r->depth = -1;
	if (!chain || sk_X509_num(chain) == 0) {
		snprintf(r->detail, sizeof r->detail, "the server sent no certificate");
		return;
	}
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *xs = NULL;
	/*
	 * OpenSSL keeps the TLSA set in an SSL (SSL_dane_enable/tlsa_add);
	 * this one never handshakes, it only lends its DANE state to a
	 * verification of the chain the real session received. The store is
	 * empty on purpose: DANE-TA/EE need no trust anchors.
	 */
	if (!(ctx = SSL_CTX_new(TLS_client_method())) || SSL_CTX_dane_enable(ctx) <= 0 || !(ssl = SSL_new(ctx)) ||
	    SSL_dane_enable(ssl, mx_host) <= 0) {
		snprintf(r->detail, sizeof r->detail, "OpenSSL cannot set up DANE");
		goto done;
	}
	/* RFC 7672 3.1.1: DANE-EE binds the key; the name in it does not matter. */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (int i = 0; i < n; i++) {
		if (!usable_for_smtp(&t[i])) {
			r->unusable++;
			continue;
		}
		/* > 0 added; 0 unusable (unknown selector or matching type, wrong digest length); < 0 error. */
		int rc = SSL_dane_tlsa_add(ssl, t[i].usage, t[i].selector, t[i].mtype, t[i].data, t[i].len);
		if (rc > 0)
			r->usable++;
		else
			r->unusable++;
		ERR_clear_error();
	}
	if (r->usable == 0) {
		r->status = DANE_NO_USABLE;
		snprintf(r->detail, sizeof r->detail, "no usable TLSA record (%d unusable)", r->unusable);
		goto done;
	}
	if (!(store = X509_STORE_new()) || !(xs = X509_STORE_CTX_new()) ||
	    X509_STORE_CTX_init(xs, store, sk_X509_value(chain, 0), chain) != 1) {
		snprintf(r->detail, sizeof r->detail, "OpenSSL cannot set up a verification");
		goto done;
	}
	X509_STORE_CTX_set_default(xs, "ssl_server");
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(xs), mx_host, 0);
	X509_STORE_CTX_set0_dane(xs, SSL_get0_dane(ssl));
	int ok = X509_verify_cert(xs);
	uint8_t usage, selector, mtype;
	int depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, NULL, NULL);
	if (ok == 1 && depth >= 0) {
		r->status = DANE_MATCHED;
		r->usage = usage;
		r->selector = selector;
		r->mtype = mtype;
		r->depth = depth;
		snprintf(r->detail, sizeof r->detail, "%s(%u) %u %u matched at depth %d", dane_usage_name(usage), usage,
		         selector, mtype, depth);
	} else {
		r->status = DANE_NOT_MATCHED;
		int e = X509_STORE_CTX_get_error(xs);
		snprintf(r->detail, sizeof r->detail, "%s", X509_verify_cert_error_string(e));
	}
done:
	ERR_clear_error();
	X509_STORE_CTX_free(xs);
	X509_STORE_free(store);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

void dane_check_ssl(SSL *ssl, const char *mx_host, const struct dns_tlsa *t, int n, struct dane_result *r)
{
	dane_check_chain(SSL_get_peer_cert_chain(ssl), mx_host, t, n, r);
}
