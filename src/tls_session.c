/* tls_session.c - TLS sessions resumed per server within a run (see tls_session.h). */
#include "tls_session.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

/*
 * TLS 1.3 tickets are meant for one use (RFC 8446 C.4, for privacy): a
 * server hands out a few after a full handshake (OpenSSL: 2, Postfix: 1)
 * and often none after a resumed one. So a server keeps a small stack of
 * them, each used once while there are others; the last one is used
 * again. A probe's connections are linkable by its address anyway, and a
 * server that refuses the reuse just does a full handshake.
 */
#define TICKETS_PER_SERVER 4

struct kept {
	char *key;
	SSL_SESSION *tickets[TICKETS_PER_SERVER];
	int n;
};

static struct kept kept[TLS_SESSIONS_MAX];
static size_t next_slot;
static int key_index = -1;

static struct kept *find(const char *key)
{
	for (size_t i = 0; i < TLS_SESSIONS_MAX; i++)
		if (kept[i].key && strcmp(kept[i].key, key) == 0)
			return &kept[i];
	return NULL;
}

static void forget(struct kept *k)
{
	for (int i = 0; i < k->n; i++)
		SSL_SESSION_free(k->tickets[i]);
	k->n = 0;
	free(k->key);
	k->key = NULL;
}

/* OpenSSL's new-session callback: one more ticket for this server. */
static int on_new_session(SSL *ssl, SSL_SESSION *session)
{
	const char *key = SSL_get_ex_data(ssl, key_index);
	if (!key || !SSL_SESSION_is_resumable(session))
		return 0;
	struct kept *k = find(key);
	if (!k) {
		k = &kept[next_slot];
		next_slot = (next_slot + 1) % TLS_SESSIONS_MAX;
		forget(k);
		k->key = xstrdup(key);
	}
	if (k->n == TICKETS_PER_SERVER) {
		SSL_SESSION_free(k->tickets[0]);
		memmove(k->tickets, k->tickets + 1, sizeof k->tickets[0] * (TICKETS_PER_SERVER - 1));
		k->n--;
	}
	k->tickets[k->n++] = session;
	return 1;  /* the store holds the reference now */
}

static void free_key(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

void tls_session_attach(SSL_CTX *ctx)
{
	if (key_index < 0)
		key_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_key);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

bool tls_session_prepare(SSL *ssl, const char *key)
{
	if (key_index < 0)
		return false;
	SSL_set_ex_data(ssl, key_index, xstrdup(key));
	struct kept *k = find(key);
	if (!k || k->n == 0)
		return false;
	/* the newest ticket: used once, unless it is the last one */
	SSL_SESSION *t = k->tickets[k->n - 1];
	bool ok = SSL_set_session(ssl, t) == 1;
	if (k->n > 1) {
		k->n--;
		SSL_SESSION_free(t);
	}
	return ok;
}

void tls_session_clear(void)
{
	for (size_t i = 0; i < TLS_SESSIONS_MAX; i++)
		forget(&kept[i]);
}
