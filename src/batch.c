/* batch.c - concurrent probes, per-domain limits, input order (see batch.h). */
#include "batch.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "facts.h"
#include "mem.h"

enum item_state { ITEM_QUEUED, ITEM_RUNNING, ITEM_DONE, ITEM_WRITTEN };

struct item {
	char *input;
	size_t len;
	size_t domain;             /* index into domains */
	size_t next_in_domain;     /* the domain's next queued item, or SIZE_MAX */
	enum item_state state;
	struct probe *probe;
	struct probe_result *result; /* only while running */
	char *output;              /* rendered, waiting for earlier items */
	size_t output_len;
	struct batch *b;
};

/* Everything that shares one politeness limit: a domain, or the --server. */
struct domain {
	char *key;
	size_t running;
	size_t head, tail;         /* queued items, FIFO through next_in_domain */
	bool ready;                /* in the ready ring */
};

struct batch {
	struct loop *l;
	struct dns *d;
	struct probe_options o;    /* the caller's, with this run's facts */
	struct batch_config cfg;
	struct item *items;
	size_t n, cap;
	struct domain *domains;
	size_t ndomains, domains_cap;
	size_t *table;             /* open addressing: domain index + 1, 0 = empty */
	size_t table_cap;
	size_t *ready;             /* ring of domains that may start a probe now */
	size_t ready_head, ready_len;
	size_t next_write;
	size_t *finished;          /* items done since the last reap */
	size_t nfinished, finished_cap;
	struct batch_progress prog;
	struct loop_timer reap;    /* finished probes are freed outside their own callbacks */
	bool all_done;
	int status;
};

struct batch *batch_new(struct loop *l, struct dns *d, const struct probe_options *o,
                        const struct batch_config *cfg)
{
	struct batch *b = xcalloc(1, sizeof *b);
	b->l = l;
	b->d = d;
	b->o = *o;
	b->o.facts = facts_new();
	b->cfg = *cfg;
	if (b->cfg.concurrency < 1)
		b->cfg.concurrency = 1;
	if (b->cfg.per_domain < 1)
		b->cfg.per_domain = 1;
	return b;
}

/* Which remote side a probe will talk to, as far as it can be known up front. */
static void politeness_key(const struct probe_options *o, const char *input, size_t len, char *key, size_t keysz)
{
	key[0] = '\0';
	if (o->server_host) {
		snprintf(key, keysz, "%s", o->server_host);
		return;
	}
	struct address a;
	if (addr_parse(input, len, false, &a) == ADDR_OK)
		snprintf(key, keysz, "%s", a.domain);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void table_grow(struct batch *b)
{
	size_t cap = b->table_cap ? b->table_cap * 2 : 256;
	size_t *t = xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < b->ndomains; i++) {
		size_t slot = hash(b->domains[i].key) & (cap - 1);
		while (t[slot])
			slot = (slot + 1) & (cap - 1);
		t[slot] = i + 1;
	}
	free(b->table);
	b->table = t;
	b->table_cap = cap;
}

/* The domain for key, created on first sight. */
static size_t domain_for(struct batch *b, const char *key)
{
	if ((b->ndomains + 1) * 2 > b->table_cap)
		table_grow(b);
	size_t slot = hash(key) & (b->table_cap - 1);
	while (b->table[slot]) {
		size_t i = b->table[slot] - 1;
		if (strcmp(b->domains[i].key, key) == 0)
			return i;
		slot = (slot + 1) & (b->table_cap - 1);
	}
	if (b->ndomains == b->domains_cap) {
		size_t cap = b->domains_cap ? b->domains_cap * 2 : 64;
		b->domains = xreallocarray(b->domains, cap, sizeof *b->domains);
		b->domains_cap = cap;
	}
	struct domain *d = &b->domains[b->ndomains];
	d->key = xstrdup(key);
	d->running = 0;
	d->head = d->tail = SIZE_MAX;
	d->ready = false;
	b->table[slot] = ++b->ndomains;
	return b->ndomains - 1;
}

void batch_add(struct batch *b, const char *input, size_t len)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->items = xreallocarray(b->items, b->cap, sizeof *b->items);
	}
	char key[ADDR_DOMAIN_MAX + 301];
	politeness_key(&b->o, input, len, key, sizeof key);
	size_t dom = domain_for(b, key);
	struct item *it = &b->items[b->n];
	memset(it, 0, sizeof *it);
	it->input = xmalloc(len + 1);
	memcpy(it->input, input, len);
	it->input[len] = '\0';
	it->len = len;
	it->domain = dom;
	it->next_in_domain = SIZE_MAX;
	struct domain *d = &b->domains[dom];
	if (d->tail == SIZE_MAX)
		d->head = b->n;
	else
		b->items[d->tail].next_in_domain = b->n;
	d->tail = b->n;
	b->n++;
	b->prog.total = b->n;
}

/*
 * Whether the next address of a domain must wait for the one running: the
 * catch-all check is asked once per domain, so until a probe of the domain
 * has its answer, one probe of the domain runs at a time.
 */
static bool waits_for_catch_all(const struct batch *b, const struct domain *d)
{
	if (!b->o.catch_all || d->running == 0)
		return false;
	const struct item *it = &b->items[d->head];
	struct address a;
	if (addr_parse(it->input, it->len, false, &a) != ADDR_OK)
		return false;
	return facts_catch_all(b->o.facts, a.domain) == NULL;
}

static void make_ready(struct batch *b, size_t dom)
{
	struct domain *d = &b->domains[dom];
	if (d->ready || d->head == SIZE_MAX || d->running >= (size_t)b->cfg.per_domain ||
	    waits_for_catch_all(b, d))
		return;
	d->ready = true;
	b->ready[(b->ready_head + b->ready_len) % b->ndomains] = dom;
	b->ready_len++;
}

static void on_probe_done(void *ctx)
{
	struct item *it = ctx;
	struct batch *b = it->b;
	it->state = ITEM_DONE;
	b->prog.running--;
	b->prog.done++;
	b->domains[it->domain].running--;
	static const size_t counters[] = {
		[VERDICT_ACCEPTED] = offsetof(struct batch_progress, accepted),
		[VERDICT_REJECTED] = offsetof(struct batch_progress, rejected),
		[VERDICT_TEMPFAIL] = offsetof(struct batch_progress, tempfail),
		[VERDICT_ERROR] = offsetof(struct batch_progress, error),
	};
	unsigned v = (unsigned)it->result->verdict < 4 ? (unsigned)it->result->verdict : VERDICT_ERROR;
	(*(size_t *)((char *)&b->prog + counters[v]))++;
	if (b->nfinished == b->finished_cap) {
		size_t cap = b->finished_cap ? b->finished_cap * 2 : 16;
		b->finished = xreallocarray(b->finished, cap, sizeof *b->finished);
		b->finished_cap = cap;
	}
	b->finished[b->nfinished++] = (size_t)(it - b->items);
	loop_timer_arm(b->l, &b->reap, 0);
}

/* Start what the limits allow, taking the domains in turn. */
static void start_more(struct batch *b)
{
	while (b->prog.running < (size_t)b->cfg.concurrency && b->ready_len > 0) {
		size_t dom = b->ready[b->ready_head];
		b->ready_head = (b->ready_head + 1) % b->ndomains;
		b->ready_len--;
		struct domain *d = &b->domains[dom];
		d->ready = false;
		size_t i = d->head;
		struct item *it = &b->items[i];
		d->head = it->next_in_domain;
		if (d->head == SIZE_MAX)
			d->tail = SIZE_MAX;
		it->result = xcalloc(1, sizeof *it->result);
		it->state = ITEM_RUNNING;
		it->b = b;
		d->running++;
		b->prog.running++;
		/* Back of the ring: other domains get their turn first. */
		make_ready(b, dom);
		it->probe = probe_start(b->l, b->d, &b->o, it->input, it->len, it->result, on_probe_done, it);
	}
}

static void write_ready(struct batch *b)
{
	while (b->next_write < b->n && b->items[b->next_write].state == ITEM_DONE) {
		struct item *it = &b->items[b->next_write];
		if (it->output_len)
			b->cfg.write(b->cfg.ctx, it->output, it->output_len);
		free(it->output);
		it->output = NULL;
		it->state = ITEM_WRITTEN;
		b->next_write++;
	}
}

static void on_reap(void *ctx)
{
	struct batch *b = ctx;
	/* Only probes that finished since the last pass hold a result. */
	for (size_t k = 0; k < b->nfinished; k++) {
		struct item *it = &b->items[b->finished[k]];
		probe_free(it->probe);
		it->probe = NULL;
		struct strbuf out = STRBUF_INIT;
		b->cfg.render(b->cfg.ctx, it->result, &out);
		it->output = out.data;
		it->output_len = out.len;
		b->status = result_exit_combine(b->status, it->result->exit_status);
		probe_result_free(it->result);
		free(it->result);
		it->result = NULL;
		free(it->input);
		it->input = NULL;
		make_ready(b, it->domain);
	}
	b->nfinished = 0;
	if (b->cfg.progress)
		b->cfg.progress(b->cfg.ctx, &b->prog);
	write_ready(b);
	start_more(b);
	b->all_done = b->next_write == b->n;
}

int batch_run(struct batch *b)
{
	loop_timer_init(&b->reap, on_reap, b);
	b->status = 0;
	if (b->n == 0)
		return 0;
	b->ready = xcalloc(b->ndomains, sizeof *b->ready);
	/* Domains in the order their first address came. */
	for (size_t i = 0; i < b->n; i++)
		make_ready(b, b->items[i].domain);
	start_more(b);
	b->all_done = false;
	if (loop_run(b->l, &b->all_done) < 0)
		return EXIT_SOFTWARE;
	return b->status;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	loop_timer_cancel(b->l, &b->reap);
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		probe_free(it->probe);
		if (it->result) {
			probe_result_free(it->result);
			free(it->result);
		}
		free(it->output);
		free(it->input);
	}
	for (size_t i = 0; i < b->ndomains; i++)
		free(b->domains[i].key);
	free(b->domains);
	free(b->table);
	free(b->ready);
	free(b->finished);
	free(b->items);
	facts_free(b->o.facts);
	free(b);
}
