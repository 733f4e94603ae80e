/* facts.c - per-domain facts of a run (see facts.h): a small open-addressing table. */
#include "facts.h"

#include "mem.h"
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fact {
	char *domain;                /* NULL: empty slot */
	struct facts_catch_all *catch_all; /* the catch-all table's; 300 octets, so not inline in every slot */
	void *route;                 /* the routes table's */
	size_t route_len;
};

/* An open-addressing table of facts by domain. */
struct table {
	struct fact *slots;
	size_t cap, n;               /* cap is a power of two, or 0 */
};

struct facts {
	struct table catch_all;
	struct table routes;
};

struct facts *facts_new(void)
{
	return xcalloc(1, sizeof(struct facts));
}

static void table_clear(struct table *f)
{
	for (size_t i = 0; i < f->cap; i++) {
		if (!f->slots[i].domain)
			continue;
		free(f->slots[i].domain);
		if (f->slots[i].catch_all) {
			reply_free(&f->slots[i].catch_all->reply);
			free(f->slots[i].catch_all);
		}
		free(f->slots[i].route);
	}
	free(f->slots);
	memset(f, 0, sizeof *f);
}

void facts_free(struct facts *f)
{
	if (!f)
		return;
	table_clear(&f->catch_all);
	table_clear(&f->routes);
	free(f);
}

static struct fact *find(const struct table *f, const char *domain)
{
	if (f->cap == 0)
		return NULL;
	for (size_t i = text_hash_folded(domain) & (f->cap - 1);; i = (i + 1) & (f->cap - 1)) {
		struct fact *s = &f->slots[i];
		if (!s->domain)
			return NULL;
		if (strcasecmp(s->domain, domain) == 0)
			return s;
	}
}

static void grow(struct table *f)
{
	size_t cap = f->cap ? f->cap * 2 : 64;
	struct fact *slots = xcalloc(cap, sizeof *slots);
	for (size_t i = 0; i < f->cap; i++) {
		if (!f->slots[i].domain)
			continue;
		size_t j = text_hash_folded(f->slots[i].domain) & (cap - 1);
		while (slots[j].domain)
			j = (j + 1) & (cap - 1);
		slots[j] = f->slots[i];
	}
	free(f->slots);
	f->slots = slots;
	f->cap = cap;
}

/* A new slot for domain (which is not in the table). */
static struct fact *add(struct table *f, const char *domain)
{
	if ((f->n + 1) * 2 > f->cap)
		grow(f);
	size_t i = text_hash_folded(domain) & (f->cap - 1);
	while (f->slots[i].domain)
		i = (i + 1) & (f->cap - 1);
	struct fact *s = &f->slots[i];
	s->domain = xstrdup(domain);
	f->n++;
	return s;
}

const struct facts_catch_all *facts_catch_all(const struct facts *f, const char *domain)
{
	const struct fact *s = f ? find(&f->catch_all, domain) : NULL;
	return s ? s->catch_all : NULL;
}

void facts_set_catch_all(struct facts *f, const char *domain, const struct facts_catch_all *c)
{
	if (!f || find(&f->catch_all, domain))
		return;
	/* Bounded as the routes are: a domain forgotten is asked again, one RCPT more. */
	if (f->catch_all.n >= FACTS_ROUTES_MAX)
		table_clear(&f->catch_all);
	struct fact *s = add(&f->catch_all, domain);
	struct facts_catch_all *k = xcalloc(1, sizeof *k);
	k->state = c->state;
	memcpy(k->address, c->address, sizeof k->address);
	k->have_reply = c->have_reply;
	if (c->have_reply)
		reply_copy(&k->reply, &c->reply);
	s->catch_all = k;
}

const void *facts_route(const struct facts *f, const char *domain, size_t *len)
{
	const struct fact *s = f ? find(&f->routes, domain) : NULL;
	if (!s)
		return NULL;
	*len = s->route_len;
	return s->route;
}

void facts_set_route(struct facts *f, const char *domain, const void *data, size_t len)
{
	if (!f || find(&f->routes, domain))
		return;
	if (f->routes.n >= FACTS_ROUTES_MAX)
		table_clear(&f->routes);
	struct fact *s = add(&f->routes, domain);
	s->route = xmalloc(len);
	memcpy(s->route, data, len);
	s->route_len = len;
}
