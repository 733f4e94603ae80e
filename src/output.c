/* output.c - results in order, TLS once per server, notices, summary (see output.h). */
#include "output.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "mem.h"
#include "report.h"
#include "text.h"

/* ---- a map from byte strings to a pointer ------------------------------ */

struct map_entry {
	char *key;                 /* NULL: empty slot */
	size_t klen;
	void *val;
};

struct map {
	struct map_entry *e;
	size_t cap, n;
};

static struct map_entry *map_slot(struct map_entry *e, size_t cap, const char *key, size_t klen)
{
	size_t i = text_hash(key, klen) & (cap - 1);
	while (e[i].key && (e[i].klen != klen || memcmp(e[i].key, key, klen) != 0))
		i = (i + 1) & (cap - 1);
	return &e[i];
}

/* The entry for key, created (val NULL) when absent. */
static struct map_entry *map_get(struct map *m, const char *key, size_t klen)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct map_entry *e = xcalloc(cap, sizeof *e);
		for (size_t i = 0; i < m->cap; i++)
			if (m->e[i].key)
				*map_slot(e, cap, m->e[i].key, m->e[i].klen) = m->e[i];
		free(m->e);
		m->e = e;
		m->cap = cap;
	}
	struct map_entry *s = map_slot(m->e, m->cap, key, klen);
	if (!s->key) {
		s->key = xmalloc(klen + 1);
		memcpy(s->key, key, klen);
		s->key[klen] = '\0';
		s->klen = klen;
		s->val = NULL;
		m->n++;
	}
	return s;
}

static void map_free(struct map *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->e[i].key)
			continue;
		free(m->e[i].key);
		free_val(m->e[i].val);
	}
	free(m->e);
	m->e = NULL;
	m->cap = m->n = 0;
}

/* ---- the addresses as given ---------------------------------------------- */

/* One queued address: how it was given, when that differs from what is probed. */
struct given {
	char *text;                /* NULL: as probed */
	size_t len;
	const char *reason;        /* NULL, or why it is invalid whatever the probe says (N_()) */
};

/*
 * Every queued occurrence of one probed address, in queue order. The
 * results of one address come back in that order as long as its probes
 * run one after the other (the default --per-domain 1); with more at once
 * two results of the very same address may swap their display forms, and
 * nothing else.
 *
 * Every address of a run has one, so they are kept small: the key in an
 * arena, and no list while every occurrence is as probed (the usual case,
 * a plain address): then n counts them.
 */
struct givens {
	uint32_t key;              /* offset + 1 of the key in the arena; 0: empty slot */
	uint32_t klen;
	uint32_t head, n;          /* occurrences taken, queued */
	struct given *q;           /* NULL while all n are as probed */
};

struct givens_table {
	struct givens *slot;
	size_t cap, used;
	size_t live;               /* entries with occurrences still queued */
	struct strbuf keys;        /* the arena */
};

static struct givens *givens_slot(struct givens_table *t, struct givens *slot, size_t cap,
                                  const char *key, size_t klen)
{
	size_t i = text_hash(key, klen) & (cap - 1);
	while (slot[i].key && (slot[i].klen != klen || memcmp(t->keys.data + slot[i].key - 1, key, klen) != 0))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static struct givens *givens_find(struct givens_table *t, const char *key, size_t klen)
{
	if (!t->cap)
		return NULL;
	struct givens *g = givens_slot(t, t->slot, t->cap, key, klen);
	return g->key ? g : NULL;
}

static struct givens *givens_get(struct givens_table *t, const char *key, size_t klen)
{
	if ((t->used + 1) * 4 > t->cap * 3) {   /* at most 3/4 full */
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct givens *slot = xcalloc(cap, sizeof *slot);
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i].key)
				*givens_slot(t, slot, cap, t->keys.data + t->slot[i].key - 1, t->slot[i].klen) = t->slot[i];
		free(t->slot);
		t->slot = slot;
		t->cap = cap;
	}
	struct givens *g = givens_slot(t, t->slot, t->cap, key, klen);
	if (!g->key) {
		if (t->keys.len + klen + 1 > UINT32_MAX)
			mem_fail();
		g->key = (uint32_t)t->keys.len + 1;
		g->klen = (uint32_t)klen;
		strbuf_append(&t->keys, key, klen);
		t->used++;
	}
	return g;
}

/*
 * Drop the entries whose occurrences are all out, once they outnumber the
 * others: a run keeps the addresses between queueing and writing (the
 * batch's window), not every address of the list (300,000 addresses kept
 * 20 MB here).
 */
static void givens_compact(struct givens_table *t)
{
	if (t->used < 4096 || t->used < 2 * t->live)
		return;
	struct givens_table n = { 0 };
	size_t cap = 64;
	while ((t->live + 1) * 4 > cap * 3)
		cap *= 2;
	n.slot = xcalloc(cap, sizeof *n.slot);
	n.cap = cap;
	for (size_t i = 0; i < t->cap; i++) {
		struct givens *g = &t->slot[i];
		if (!g->key || g->head == g->n)
			continue;
		const char *key = t->keys.data + g->key - 1;
		struct givens *d = givens_slot(&n, n.slot, n.cap, key, g->klen);
		*d = *g;
		d->key = (uint32_t)n.keys.len + 1;
		strbuf_append(&n.keys, key, g->klen);
		n.used++;
	}
	n.live = n.used;
	free(t->slot);
	strbuf_free(&t->keys);
	*t = n;
}

static void givens_free(struct givens_table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct givens *g = &t->slot[i];
		if (!g->q)
			continue;
		for (uint32_t k = g->head; k < g->n; k++)
			free(g->q[k].text);
		free(g->q);
	}
	free(t->slot);
	strbuf_free(&t->keys);
	memset(t, 0, sizeof *t);
}

/* ---- counts for the summary -------------------------------------------- */

struct count {
	const char *name;
	size_t n;
};

#define CATEGORIES_MAX 256

struct output {
	struct output_config cfg;
	struct givens_table givens; /* probed address -> how each occurrence was given */
	struct map tls_shown;      /* "host [ip]:port" -> struct strbuf: the TLS lines last shown */
	size_t results;
	size_t verdicts[4];
	size_t blames[BLAME_COUNT];
	struct count categories[CATEGORIES_MAX];
	size_t ncategories;
};

static void strbuf_val_free(void *p)
{
	struct strbuf *sb = p;
	if (!sb)
		return;
	strbuf_free(sb);
	free(sb);
}

struct output *output_new(const struct output_config *c)
{
	struct output *o = xcalloc(1, sizeof *o);
	o->cfg = *c;
	return o;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	givens_free(&o->givens);
	map_free(&o->tls_shown, strbuf_val_free);
	free(o);
}

void output_given(struct output *o, const char *addr, size_t alen,
                  const char *given, size_t glen, const char *reason)
{
	struct givens *g = givens_get(&o->givens, addr, alen);
	bool same = glen == alen && memcmp(given, addr, alen) == 0;
	if (g->n == UINT32_MAX)
		mem_fail();
	if (g->head == g->n)
		o->givens.live++;
	if (same && !reason && !g->q) {
		g->n++;
		return;
	}
	/* A list from now on: room for a power of two, the plain ones before as plain. */
	if (!g->q || (g->n >= 2 && (g->n & (g->n - 1)) == 0)) {
		size_t cap = 2;
		while (cap <= g->n)
			cap *= 2;
		bool fresh = !g->q;
		g->q = xreallocarray(g->q, cap, sizeof *g->q);
		if (fresh)
			memset(g->q, 0, g->n * sizeof *g->q);
	}
	struct given *it = &g->q[g->n++];
	memset(it, 0, sizeof *it);
	if (!same) {
		it->text = xmalloc(glen + 1);
		memcpy(it->text, given, glen);
		it->text[glen] = '\0';
		it->len = glen;
	}
	it->reason = reason;
}

/* The next queued form of the address r was probed as; false when none was registered. */
static bool pop_given(struct output *o, const struct probe_result *r, struct given *out)
{
	struct givens *g = givens_find(&o->givens, r->input ? r->input : "", r->input ? r->input_len : 0);
	if (!g || g->head == g->n)
		return false;
	if (g->q)
		*out = g->q[g->head];
	else
		memset(out, 0, sizeof *out);
	g->head++;
	if (g->head == g->n) {
		if (g->q) {   /* every occurrence is out: forget the list */
			free(g->q);
			g->q = NULL;
			g->head = g->n = 0;
		}
		o->givens.live--;
		givens_compact(&o->givens);
	}
	return true;
}

/* ---- records ------------------------------------------------------------- */

/*
 * A record: this header, then its parts' bytes in this order. Records
 * never leave the process, so the header is plain memory.
 */
enum { PART_SERVER, PART_HEAD, PART_TLS, PART_TAIL, PART_NOTICE, PARTS };
#define RECORD_MAGIC 0x52505053u   /* "SPPR" */

struct record_header {
	uint32_t magic;
	uint32_t len[PARTS];
};

static void count_result(struct output *o, const struct probe_result *r)
{
	o->results++;
	o->verdicts[(unsigned)r->verdict < 4 ? (unsigned)r->verdict : VERDICT_ERROR]++;
	o->blames[(unsigned)r->blame < BLAME_COUNT ? (unsigned)r->blame : BLAME_UNKNOWN]++;
	const char *cat = r->category ? r->category : "unknown";
	size_t i = 0;
	while (i < o->ncategories && strcmp(o->categories[i].name, cat) != 0)
		i++;
	if (i == o->ncategories) {
		if (i == CATEGORIES_MAX)
			i--;   /* cannot happen with the rule table's size; count it with the last */
		else
			o->categories[o->ncategories++].name = cat;
	}
	o->categories[i].n++;
}

static void notice_invalid(const struct probe_result *r, const struct given *g, struct strbuf *out)
{
	struct strbuf a = STRBUF_INIT, why = STRBUF_INIT;
	report_sanitize(&a, r->input ? r->input : "", r->input_len);
	strbuf_puts(&why, _(g->reason ? g->reason : addr_strerror(r->addr_error)));
	strbuf_puts(out, "smtpprobe: ");
	strbuf_printf(out, _("invalid address \"%s\": %s\n"), strbuf_str(&a), strbuf_str(&why));
	strbuf_free(&a);
	strbuf_free(&why);
}

void output_render(struct output *o, const struct probe_result *r, struct strbuf *rec)
{
	/* What the user gave is what the output shows. */
	struct probe_result view = *r;
	struct given g = { 0 };
	if (pop_given(o, r, &g) && g.text) {
		view.input = g.text;
		view.input_len = g.len;
	}
	if (g.reason && view.failure == FAIL_INVALID_ADDRESS)
		msg_set(&view.detail, N_("invalid address: %s"), "t", g.reason);
	count_result(o, &view);

	struct strbuf part[PARTS];
	for (int i = 0; i < PARTS; i++)
		part[i] = (struct strbuf)STRBUF_INIT;
	switch (o->cfg.format) {
	case OUTPUT_JSON:
		report_json(&view, o->cfg.transcript, &part[PART_HEAD]);
		break;
	case OUTPUT_LINE:
		report_line(&view, o->cfg.color, &part[PART_HEAD]);
		break;
	case OUTPUT_CSV:
		report_csv(&view, &part[PART_HEAD]);
		break;
	case OUTPUT_TEXT:
		report_text_parts(&view, o->cfg.color, &part[PART_HEAD], &part[PART_TLS], &part[PART_TAIL]);
		if (part[PART_TLS].len)
			report_server(probe_decided(&view), &part[PART_SERVER]);
		break;
	}
	if (o->cfg.notice_invalid && view.failure == FAIL_INVALID_ADDRESS)
		notice_invalid(&view, &g, &part[PART_NOTICE]);

	struct record_header h = { .magic = RECORD_MAGIC };
	for (int i = 0; i < PARTS; i++)
		h.len[i] = (uint32_t)part[i].len;
	strbuf_append(rec, (const char *)&h, sizeof h);
	for (int i = 0; i < PARTS; i++) {
		strbuf_append(rec, strbuf_str(&part[i]), part[i].len);
		strbuf_free(&part[i]);
	}
	free(g.text);
}

/* The TLS lines of a record: in full the first time a server shows them, else one line. */
static void write_tls(struct output *o, const char *server, size_t slen, const char *tls, size_t tlen,
                      struct strbuf *out)
{
	struct map_entry *e = map_get(&o->tls_shown, server, slen);
	struct strbuf *shown = e->val;
	if (shown && shown->len == tlen && memcmp(shown->data, tls, tlen) == 0) {
		report_tls_same(e->key, out);
		return;
	}
	if (!shown)
		shown = e->val = xcalloc(1, sizeof *shown);
	strbuf_reset(shown);
	strbuf_append(shown, tls, tlen);
	strbuf_append(out, tls, tlen);
}

void output_write(struct output *o, const char *recs, size_t len, struct strbuf *out, struct strbuf *err)
{
	while (len > 0) {
		struct record_header h;
		size_t total = sizeof h;
		if (len >= sizeof h)
			memcpy(&h, recs, sizeof h);
		if (len < sizeof h || h.magic != RECORD_MAGIC)
			goto raw;
		for (int i = 0; i < PARTS; i++)
			total += h.len[i];
		if (total > len)
			goto raw;
		const char *p[PARTS];
		p[0] = recs + sizeof h;
		for (int i = 1; i < PARTS; i++)
			p[i] = p[i - 1] + h.len[i - 1];
		strbuf_append(out, p[PART_HEAD], h.len[PART_HEAD]);
		if (h.len[PART_TLS])
			write_tls(o, p[PART_SERVER], h.len[PART_SERVER], p[PART_TLS], h.len[PART_TLS], out);
		strbuf_append(out, p[PART_TAIL], h.len[PART_TAIL]);
		strbuf_append(err, p[PART_NOTICE], h.len[PART_NOTICE]);
		recs += total;
		len -= total;
	}
	return;
raw:
	/* Not a record: bytes are bytes. */
	strbuf_append(out, recs, len);
}

void output_begin(const struct output *o, struct strbuf *out)
{
	if (o->cfg.format == OUTPUT_CSV)
		report_csv_header(out);
}

size_t output_count(const struct output *o)
{
	return o->results;
}

/* ---- the summary ---------------------------------------------------------- */

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* "name n, name n": the counts, most frequent first. */
static void counts_line(struct strbuf *out, const char *label, struct count *c, size_t n)
{
	qsort(c, n, sizeof *c, by_count);
	strbuf_puts(out, "  ");
	strbuf_puts(out, label);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "%s%s %zu", i ? ", " : " ", c[i].name, c[i].n);
	strbuf_putc(out, '\n');
}

void output_summary(const struct output *o, int exit_status, struct strbuf *err)
{
	strbuf_printf(err, dngettext(I18N_DOMAIN, "summary: %zu address:", "summary: %zu addresses:", o->results),
	              o->results);
	strbuf_printf(err, _(" accepted %zu, rejected %zu, tempfail %zu, error %zu"),
	              o->verdicts[VERDICT_ACCEPTED], o->verdicts[VERDICT_REJECTED],
	              o->verdicts[VERDICT_TEMPFAIL], o->verdicts[VERDICT_ERROR]);
	strbuf_printf(err, _(" (exit status %d)\n"), exit_status);

	struct count c[CATEGORIES_MAX > BLAME_COUNT ? CATEGORIES_MAX : BLAME_COUNT];
	memcpy(c, o->categories, o->ncategories * sizeof *c);
	counts_line(err, _("by category:"), c, o->ncategories);
	size_t n = 0;
	for (int b = 0; b < BLAME_COUNT; b++)
		if (o->blames[b])
			c[n++] = (struct count){ blame_name((enum blame)b), o->blames[b] };
	counts_line(err, _("by blame:"), c, n);
}
