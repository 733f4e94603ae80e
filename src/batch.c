/* batch.c - concurrent probes with per-domain limits, in input order (see batch.h). */
#include "batch.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

enum item_state { ITEM_QUEUED, ITEM_RUNNING, ITEM_DONE, ITEM_EMITTED };

struct item {
	char *input;
	size_t len;
	char key[ADDR_DOMAIN_MAX + 1];  /* politeness key: the domain, or "" for none */
	enum item_state state;
	struct probe *probe;
	struct probe_result result;
	struct batch *b;
};

struct batch {
	struct loop *l;
	struct dns *d;
	const struct probe_options *o;
	struct batch_config cfg;
	struct item *items;
	size_t n, cap;
	size_t first_queued;   /* items before it are all started */
	size_t next_emit;
	struct batch_progress prog;
	struct loop_timer reap; /* finished probes are freed outside their own callbacks */
	bool all_done;
	int status;
};

struct batch *batch_new(struct loop *l, struct dns *d, const struct probe_options *o,
                        const struct batch_config *cfg)
{
	struct batch *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->l = l;
	b->d = d;
	b->o = o;
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

int batch_add(struct batch *b, const char *input, size_t len)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct item *it = realloc(b->items, cap * sizeof *it);
		if (!it)
			return -1;
		b->items = it;
		b->cap = cap;
	}
	struct item *it = &b->items[b->n];
	memset(it, 0, sizeof *it);
	it->input = malloc(len + 1);
	if (!it->input)
		return -1;
	memcpy(it->input, input, len);
	it->input[len] = '\0';
	it->len = len;
	politeness_key(b->o, input, len, it->key, sizeof it->key);
	b->n++;
	b->prog.total = b->n;
	return 0;
}

static size_t running_for(const struct batch *b, const char *key)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].state == ITEM_RUNNING && strcmp(b->items[i].key, key) == 0)
			n++;
	return n;
}

static void on_probe_done(void *ctx)
{
	struct item *it = ctx;
	struct batch *b = it->b;
	it->state = ITEM_DONE;
	b->prog.running--;
	b->prog.done++;
	static const size_t offsets[] = {
		[VERDICT_ACCEPTED] = offsetof(struct batch_progress, accepted),
		[VERDICT_REJECTED] = offsetof(struct batch_progress, rejected),
		[VERDICT_TEMPFAIL] = offsetof(struct batch_progress, tempfail),
		[VERDICT_ERROR] = offsetof(struct batch_progress, error),
	};
	unsigned v = (unsigned)it->result.verdict < 4 ? (unsigned)it->result.verdict : VERDICT_ERROR;
	(*(size_t *)((char *)&b->prog + offsets[v]))++;
	loop_timer_arm(b->l, &b->reap, 0);
}

/* Start whatever the limits allow, oldest first. */
static void start_more(struct batch *b)
{
	for (size_t i = b->first_queued; i < b->n && b->prog.running < (size_t)b->cfg.concurrency; i++) {
		struct item *it = &b->items[i];
		if (it->state != ITEM_QUEUED)
			continue;
		/* An address that does not parse has no domain and no limit. */
		if (it->key[0] && running_for(b, it->key) >= (size_t)b->cfg.per_domain)
			continue;
		it->state = ITEM_RUNNING;
		it->b = b;
		b->prog.running++;
		it->probe = probe_start(b->l, b->d, b->o, it->input, it->len, &it->result, on_probe_done, it);
	}
	while (b->first_queued < b->n && b->items[b->first_queued].state != ITEM_QUEUED)
		b->first_queued++;
}

static void emit_ready(struct batch *b)
{
	while (b->next_emit < b->n && b->items[b->next_emit].state == ITEM_DONE) {
		struct item *it = &b->items[b->next_emit];
		b->cfg.emit(b->cfg.ctx, &it->result);
		b->status = result_exit_combine(b->status, it->result.exit_status);
		probe_result_free(&it->result);
		free(it->input);
		it->input = NULL;
		it->state = ITEM_EMITTED;
		b->next_emit++;
	}
}

static void on_reap(void *ctx)
{
	struct batch *b = ctx;
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		if (it->state == ITEM_DONE && it->probe) {
			probe_free(it->probe);
			it->probe = NULL;
		}
	}
	if (b->cfg.progress)
		b->cfg.progress(b->cfg.ctx, &b->prog);
	emit_ready(b);
	start_more(b);
	b->all_done = b->next_emit == b->n;
}

int batch_run(struct batch *b)
{
	loop_timer_init(&b->reap, on_reap, b);
	b->status = 0;
	start_more(b);
	/* Probes that finished during start_more left the reap timer armed. */
	b->all_done = b->n == 0;
	if (!b->all_done && loop_run(b->l, &b->all_done) < 0)
		return EXIT_SOFTWARE;
	return b->status;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	loop_timer_cancel(b->l, &b->reap);
	for (size_t i = 0; i < b->n; i++) {
		probe_free(b->items[i].probe);
		if (b->items[i].state == ITEM_DONE)
			probe_result_free(&b->items[i].result);
		free(b->items[i].input);
	}
	free(b->items);
	free(b);
}
