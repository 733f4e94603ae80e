/* facts.c - per-domain facts of a run (see facts.h): a small open-addressing table. */
#include "facts.h"

#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fact {
	char *domain;                /* NULL: empty slot */
	struct facts_catch_all catch_all;
};

struct facts {
	struct fact *slots;
	size_t cap, n;               /* cap is a power of two, or 0 */
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a over the lower-cased name */
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

struct facts *facts_new(void)
{
	return xcalloc(1, sizeof(struct facts));
}

void facts_free(struct facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->cap; i++) {
		if (!f->slots[i].domain)
			continue;
		free(f->slots[i].domain);
		reply_free(&f->slots[i].catch_all.reply);
	}
	free(f->slots);
	free(f);
}

static struct fact *find(const struct facts *f, const char *domain)
{
	if (!f || f->cap == 0)
		return NULL;
	for (size_t i = hash(domain) & (f->cap - 1);; i = (i + 1) & (f->cap - 1)) {
		struct fact *s = &f->slots[i];
		if (!s->domain)
			return NULL;
		if (strcasecmp(s->domain, domain) == 0)
			return s;
	}
}

static void grow(struct facts *f)
{
	size_t cap = f->cap ? f->cap * 2 : 64;
	struct fact *slots = xcalloc(cap, sizeof *slots);
	for (size_t i = 0; i < f->cap; i++) {
		if (!f->slots[i].domain)
			continue;
		size_t j = hash(f->slots[i].domain) & (cap - 1);
		while (slots[j].domain)
			j = (j + 1) & (cap - 1);
		slots[j] = f->slots[i];
	}
	free(f->slots);
	f->slots = slots;
	f->cap = cap;
}

const struct facts_catch_all *facts_catch_all(const struct facts *f, const char *domain)
{
	const struct fact *s = find(f, domain);
	return s ? &s->catch_all : NULL;
}

void facts_set_catch_all(struct facts *f, const char *domain, const struct facts_catch_all *c)
{
	if (!f || find(f, domain))
		return;
	if ((f->n + 1) * 2 > f->cap)
		grow(f);
	size_t i = hash(domain) & (f->cap - 1);
	while (f->slots[i].domain)
		i = (i + 1) & (f->cap - 1);
	struct fact *s = &f->slots[i];
	s->domain = xstrdup(domain);
	s->catch_all.state = c->state;
	memcpy(s->catch_all.address, c->address, sizeof s->catch_all.address);
	s->catch_all.have_reply = c->have_reply;
	memset(&s->catch_all.reply, 0, sizeof s->catch_all.reply);
	if (c->have_reply)
		reply_copy(&s->catch_all.reply, &c->reply);
	f->n++;
}
