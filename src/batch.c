/* batch.c - shared sessions per domain, streaming input, bounded output order (see batch.h). */
#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "facts.h"
#include "i18n.h"
#include "mem.h"
#include "text.h"

#define INPUT_LINE_MAX 4096     /* longer lines are an invalid address, not a skipped line */
#define WINDOW_MIN 1024         /* addresses read ahead of the oldest unwritten one, at least */
/*
 * Rendered results kept in memory while they wait for an earlier one
 * (input order); the rest of the window's go to an unlinked temporary
 * file until their turn. A JSON result is about 1.5 KB: a list whose
 * domains interleave keeps most of the 25,600 addresses of a -j 256 window
 * finished and waiting (a job of a domain carries addresses from all over
 * the window), 37 MB in memory before; a slow address at the top, the
 * whole window.
 */
#define WINDOW_BYTES (8u << 20)
#define BREAKER_STRIKES 2       /* probes of a domain that reached no server before its queue fails fast */

enum item_state { ITEM_QUEUED, ITEM_RUNNING, ITEM_DONE, ITEM_WRITTEN };

struct job;

/* One address of the input, alive from reading to writing. */
struct item {
	char *input;
	size_t len;
	size_t domain;             /* index into domains */
	uint64_t next_in_domain;   /* the domain's next queued item (sequence), or UINT64_MAX */
	enum item_state state;
	struct job *job;
	int slot;                  /* index in the job */
	struct probe_result *result;
	char *output;              /* rendered, waiting for earlier items (NULL when spilled) */
	size_t output_len;
	bool spilled;              /* in the spill file at spill_off */
	uint64_t spill_off;
};

/* The addresses of one domain that one probe carries together. */
struct job {
	struct batch *b;
	size_t domain;
	struct probe *probe;
	uint64_t *seqs;            /* the items, by slot */
	int n, ndone;
	bool reaped;
	struct job *next_finished;
};

/* Everything that shares one politeness limit: a domain, or the --server. */
struct domain {
	char *key;
	size_t running;
	uint64_t head, tail;       /* queued items, FIFO through next_in_domain */
	size_t queued;
	bool ready;                /* in the ready ring */
	int strikes;               /* probes in a row that reached no server */
	/* The failure its queue gets once tripped (not a whole result: one domain entry per domain of the run). */
	struct {
		enum step step;
		enum failure failure;
	} breaker;
	bool tripped;
};

struct batch {
	struct loop *l;
	struct dns *d;
	struct probe_options o;    /* the caller's, with this run's facts */
	struct batch_config cfg;
	/* items by sequence number, a ring of window entries from write_next */
	struct item *ring;
	size_t ring_cap;
	uint64_t write_next, read_next;
	size_t held;               /* octets of rendered output waiting in memory */
	int spill_fd;              /* the rest waits here (unlinked temporary file); -1 until needed */
	bool spill_broken;         /* could not be made or written: keep results in memory */
	uint64_t spill_end;
	size_t nspilled;           /* results in it not yet written; at 0 it starts afresh */
	struct domain *domains;
	size_t ndomains, domains_cap; /* entries in use or free */
	size_t live;               /* domains in the table */
	size_t *spare;             /* free entries (forgotten domains), a stack */
	size_t nspare;
	size_t *table;             /* open addressing: domain index + 1, 0 = empty */
	size_t table_cap;
	size_t *ready;             /* ring of domains that may start a probe now */
	size_t ready_cap, ready_head, ready_len;
	size_t running;
	struct job *finished;      /* jobs whose every item is done, to free outside callbacks */
	struct batch_progress prog;
	struct loop_timer reap;
	/* input */
	int in_fd;
	bool in_watched, in_eof, in_regular;
	bool in_skip;              /* inside an over-long line: drop up to its end */
	int in_flags;              /* the descriptor's flags before O_NONBLOCK, restored at the end */
	struct strbuf in_buf;
	bool first_line;
	/* the end */
	bool stopping;             /* no new probes: interrupted, or the output failed */
	bool output_failed;        /* nothing more can be written */
	int interrupted;           /* the signal */
	bool all_done;
	int status;
};

static struct item *item_at(struct batch *b, uint64_t seq)
{
	return &b->ring[seq % b->ring_cap];
}

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
	/* A window wide enough to group a domain's addresses, small enough to keep memory flat. */
	size_t rcpt = o->rcpt_per_session > 0 ? (size_t)o->rcpt_per_session : PROBE_RCPT_PER_SESSION;
	b->ring_cap = (size_t)b->cfg.concurrency * rcpt * 2;
	if (b->ring_cap < WINDOW_MIN)
		b->ring_cap = WINDOW_MIN;
	b->ring = xcalloc(b->ring_cap, sizeof *b->ring);
	b->in_fd = -1;
	b->spill_fd = -1;
	b->first_line = true;
	return b;
}

/* FNV-1a over the lower-cased key: the same on every machine and every run. */
int batch_shard_of(const char *key, int n)
{
	return n > 0 ? (int)(text_hash_folded(key) % (uint64_t)n) + 1 : 1;
}

/* Which remote side a probe will talk to, as far as it can be known up front; "" for an invalid address. */
static void politeness_key(const struct probe_options *o, const char *input, size_t len, char *key, size_t keysz)
{
	key[0] = '\0';
	struct address a;
	if (addr_parse(input, len, false, &a) != ADDR_OK)
		return;
	snprintf(key, keysz, "%s", o->server_host ? o->server_host : a.domain);
}

static void table_grow(struct batch *b)
{
	size_t cap = b->table_cap ? b->table_cap * 2 : 256;
	size_t *t = xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < b->ndomains; i++) {
		if (!b->domains[i].key)
			continue;
		size_t slot = text_hash_folded(b->domains[i].key) & (cap - 1);
		while (t[slot])
			slot = (slot + 1) & (cap - 1);
		t[slot] = i + 1;
	}
	free(b->table);
	b->table = t;
	b->table_cap = cap;
}

/* The domain for key, created on first sight (or again, after it was forgotten). */
static size_t domain_for(struct batch *b, const char *key)
{
	if ((b->live + 1) * 2 > b->table_cap)
		table_grow(b);
	size_t slot = text_hash_folded(key) & (b->table_cap - 1);
	while (b->table[slot]) {
		size_t i = b->table[slot] - 1;
		if (strcmp(b->domains[i].key, key) == 0)
			return i;
		slot = (slot + 1) & (b->table_cap - 1);
	}
	size_t i;
	if (b->nspare) {
		i = b->spare[--b->nspare];
	} else {
		if (b->ndomains == b->domains_cap) {
			b->domains_cap = b->domains_cap ? b->domains_cap * 2 : 64;
			b->domains = xreallocarray(b->domains, b->domains_cap, sizeof *b->domains);
			b->spare = xreallocarray(b->spare, b->domains_cap, sizeof *b->spare);
		}
		i = b->ndomains++;
	}
	struct domain *d = &b->domains[i];
	memset(d, 0, sizeof *d);
	d->key = xstrdup(key);
	d->head = d->tail = UINT64_MAX;
	b->table[slot] = i + 1;
	b->live++;
	return i;
}

/*
 * A domain with nothing queued or running and nothing the breaker counts
 * is forgotten: the table holds the domains of the window, not of the
 * whole list (100,000 domains would otherwise stay to the end). What the
 * run learnt of it (DNS, catch-all) is in facts, bounded there. A domain
 * with strikes or a tripped breaker stays, so that it still fails fast.
 */
static void domain_forget_idle(struct batch *b, size_t dom)
{
	struct domain *d = &b->domains[dom];
	if (!d->key || d->head != UINT64_MAX || d->running || d->ready || d->tripped || d->strikes)
		return;
	size_t mask = b->table_cap - 1;
	size_t hole = text_hash_folded(d->key) & mask;
	while (b->table[hole] != dom + 1)
		hole = (hole + 1) & mask;
	b->table[hole] = 0;
	/* Linear probing: move up what would no longer be found across the hole. */
	for (size_t j = (hole + 1) & mask; b->table[j]; j = (j + 1) & mask) {
		size_t home = text_hash_folded(b->domains[b->table[j] - 1].key) & mask;
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (stays)
			continue;
		b->table[hole] = b->table[j];
		b->table[j] = 0;
		hole = j;
	}
	free(d->key);
	d->key = NULL;
	b->live--;
	b->spare[b->nspare++] = dom;
}

static void make_ready(struct batch *b, size_t dom);

/* One address into the window (the caller checked there is room). */
static void enqueue(struct batch *b, const char *input, size_t len)
{
	char key[ADDR_DOMAIN_MAX + 320];
	politeness_key(&b->o, input, len, key, sizeof key);
	if (!b->cfg.split && !batch_in_shard(b, input, len))
		return;
	uint64_t seq = b->read_next++;
	struct item *it = item_at(b, seq);
	memset(it, 0, sizeof *it);
	it->input = xmalloc(len + 1);
	memcpy(it->input, input, len);
	it->input[len] = '\0';
	it->len = len;
	it->domain = domain_for(b, key);
	it->next_in_domain = UINT64_MAX;
	struct domain *d = &b->domains[it->domain];
	if (d->tail == UINT64_MAX)
		d->head = seq;
	else
		item_at(b, d->tail)->next_in_domain = seq;
	d->tail = seq;
	d->queued++;
	b->prog.total++;
	make_ready(b, it->domain);
}

bool batch_in_shard(const struct batch *b, const char *input, size_t len)
{
	if (b->cfg.shard_n <= 0)
		return true;
	/* a stable hash of the domain (or, for something that is no address, of its text) */
	char key[INPUT_LINE_MAX + 1];
	politeness_key(&b->o, input, len, key, sizeof key);
	if (!key[0])
		snprintf(key, sizeof key, "%.*s", (int)(len < INPUT_LINE_MAX ? len : INPUT_LINE_MAX), input);
	return batch_shard_of(key, b->cfg.shard_n) == b->cfg.shard_k;
}

static bool window_full(const struct batch *b)
{
	return b->read_next - b->write_next >= b->ring_cap;
}

void batch_add(struct batch *b, const char *input, size_t len)
{
	/* The command line is small; the window grows to hold it. */
	if (b->read_next - b->write_next >= b->ring_cap) {
		size_t cap = b->ring_cap * 2;
		struct item *ring = xcalloc(cap, sizeof *ring);
		for (uint64_t s = b->write_next; s < b->read_next; s++)
			ring[s % cap] = *item_at(b, s);
		free(b->ring);
		b->ring = ring;
		b->ring_cap = cap;
	}
	enqueue(b, input, len);
}

/* --- reading the input as the run goes --------------------------------- */

struct emit_ctx {
	struct batch *b;
};

static void emit_address(void *ectx, const char *a, size_t n)
{
	struct emit_ctx *e = ectx;
	enqueue(e->b, a, n);
}

/* One line (without its line ending): blank and '#' lines are skipped, the rest split into addresses. */
static void take_line(struct batch *b, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	/* A UTF-8 byte order mark (Windows editors) is not part of the first address. */
	if (b->first_line && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	b->first_line = false;
	size_t start = 0;
	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	while (len > start && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (start == len || line[start] == '#')
		return;
	/* Too long to be an address: reported as one that does not parse (from its first octets). */
	if (len - start > INPUT_LINE_MAX)
		len = start + INPUT_LINE_MAX + 1;
	struct emit_ctx e = { b };
	if (b->cfg.split)
		b->cfg.split(b->cfg.ctx, line + start, len - start, emit_address, &e);
	else
		enqueue(b, line + start, len - start);
}

static void on_input(void *ctx, int fd, unsigned events);

static void input_error(struct batch *b, int err)
{
	fprintf(stderr, "smtpprobe: %s \"%s\": %s\n", _("cannot read --input"), b->cfg.input, strerror(err));
	b->status = result_exit_combine(b->status, EXIT_IOERR);
	b->in_eof = true;
}

/*
 * Read whole lines while the window has room. Returns after one read()
 * for a pipe (the loop calls again when more arrives); a regular file is
 * read until the window is full or the file ends.
 */
static void read_input(struct batch *b)
{
	while (!b->in_eof && !b->stopping && !window_full(b)) {
		/* complete lines already buffered */
		char *nl;
		while (!window_full(b) && (nl = memchr(b->in_buf.data ? b->in_buf.data : "", '\n', b->in_buf.len))) {
			size_t n = (size_t)(nl - b->in_buf.data);
			if (!b->in_skip)
				take_line(b, b->in_buf.data, n);
			b->in_skip = false;
			strbuf_consume(&b->in_buf, n + 1);
		}
		if (window_full(b))
			break;
		/* A line longer than any address: reported from its first octets, the rest dropped. */
		if (b->in_buf.len > 2 * INPUT_LINE_MAX + 16) {
			if (!b->in_skip)
				take_line(b, b->in_buf.data, b->in_buf.len);
			b->in_skip = true;
			strbuf_reset(&b->in_buf);
		}
		char buf[65536];
		ssize_t r = read(b->in_fd, buf, sizeof buf);
		if (r > 0) {
			strbuf_append(&b->in_buf, buf, (size_t)r);
			if (!b->in_regular)
				continue;  /* drain what a pipe has, then wait for epoll */
			continue;
		}
		if (r == 0) {
			if (b->in_buf.len && !b->in_skip)
				take_line(b, b->in_buf.data, b->in_buf.len);
			strbuf_reset(&b->in_buf);
			b->in_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		input_error(b, errno);
		break;
	}
	if (b->in_eof && b->in_watched) {
		loop_unwatch(b->l, b->in_fd);
		b->in_watched = false;
	}
	b->prog.input_done = b->in_eof;
	/* A pipe with room in the window: hear when more comes. */
	if (!b->in_eof && !b->in_regular && !b->stopping) {
		unsigned ev = window_full(b) ? 0 : LOOP_READ;
		if (ev && !b->in_watched) {
			if (loop_watch(b->l, b->in_fd, LOOP_READ, on_input, b) == 0)
				b->in_watched = true;
		} else if (!ev && b->in_watched) {
			loop_unwatch(b->l, b->in_fd);
			b->in_watched = false;
		}
	}
}

static void start_more(struct batch *b);
static void write_ready(struct batch *b);
static void finish_check(struct batch *b);

static void on_input(void *ctx, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct batch *b = ctx;
	read_input(b);
	start_more(b);
	write_ready(b);
	finish_check(b);
}

static int open_input(struct batch *b)
{
	if (!b->cfg.input) {
		b->in_eof = true;
		return 0;
	}
	int fd = strcmp(b->cfg.input, "-") == 0 ? dup(STDIN_FILENO) : open(b->cfg.input, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "smtpprobe: %s \"%s\": %s\n", _("cannot open --input"), b->cfg.input, strerror(errno));
		b->status = result_exit_combine(b->status, EXIT_IOERR);
		b->in_eof = true;
		return -1;
	}
	b->in_fd = fd;
	/* epoll cannot watch a regular file: it is always readable, so read it directly. */
	b->in_flags = -1;
	if (loop_watch(b->l, fd, LOOP_READ, on_input, b) == 0) {
		loop_unwatch(b->l, fd);
		/* A shared description (a terminal, the caller's pipe) gets its flags back at the end. */
		b->in_flags = fcntl(fd, F_GETFL);
		if (b->in_flags >= 0)
			fcntl(fd, F_SETFL, b->in_flags | O_NONBLOCK);
	} else {
		b->in_regular = true;
	}
	return 0;
}

/* --- probes -------------------------------------------------------------- */

/*
 * Whether the next address of a domain must wait for the probe running:
 * the catch-all question is asked once per domain, so until a probe of
 * the domain has its answer, one probe of the domain runs at a time.
 */
static bool waits_for_catch_all(const struct batch *b, const struct domain *d)
{
	if (!b->o.catch_all || d->running == 0 || d->head == UINT64_MAX)
		return false;
	const struct item *it = &b->ring[d->head % b->ring_cap];
	struct address a;
	if (addr_parse(it->input, it->len, false, &a) != ADDR_OK)
		return false;
	return facts_catch_all(b->o.facts, a.domain) == NULL;
}

static void make_ready(struct batch *b, size_t dom)
{
	struct domain *d = &b->domains[dom];
	if (d->ready || d->head == UINT64_MAX || d->running >= (size_t)b->cfg.per_domain || waits_for_catch_all(b, d))
		return;
	if (b->ready_len == b->ready_cap) {
		size_t cap = b->ready_cap ? b->ready_cap * 2 : 64;
		size_t *r = xcalloc(cap, sizeof *r);
		for (size_t i = 0; i < b->ready_len; i++)
			r[i] = b->ready[(b->ready_head + i) % b->ready_cap];
		free(b->ready);
		b->ready = r;
		b->ready_cap = cap;
		b->ready_head = 0;
	}
	d->ready = true;
	b->ready[(b->ready_head + b->ready_len) % b->ready_cap] = dom;
	b->ready_len++;
}

static void count_verdict(struct batch *b, const struct probe_result *r)
{
	static const size_t counters[] = {
		[VERDICT_ACCEPTED] = offsetof(struct batch_progress, accepted),
		[VERDICT_REJECTED] = offsetof(struct batch_progress, rejected),
		[VERDICT_TEMPFAIL] = offsetof(struct batch_progress, tempfail),
		[VERDICT_ERROR] = offsetof(struct batch_progress, error),
	};
	unsigned v = (unsigned)r->verdict < 4 ? (unsigned)r->verdict : VERDICT_ERROR;
	(*(size_t *)((char *)&b->prog + counters[v]))++;
}

/* All of len at off, or false (errno set). */
static bool pwrite_all(int fd, const char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return true;
}

static bool pread_all(int fd, char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return true;
}

/*
 * A rendered result to the spill file (made on first need, in $TMPDIR or
 * /tmp, unlinked at once so nothing is left behind). false: keep it in
 * memory, as when the file cannot be made or the disk is full.
 */
static bool spill(struct batch *b, struct item *it)
{
	if (b->spill_broken || !it->output_len)
		return false;
	if (b->spill_fd < 0) {
		const char *dir = getenv("TMPDIR");
		char path[4096];
		snprintf(path, sizeof path, "%s/smtpprobe-spill-XXXXXX", dir && dir[0] == '/' ? dir : "/tmp");
		b->spill_fd = mkostemp(path, O_CLOEXEC);
		if (b->spill_fd < 0) {
			b->spill_broken = true;
			return false;
		}
		unlink(path);
	}
	if (!pwrite_all(b->spill_fd, it->output, it->output_len, b->spill_end)) {
		b->spill_broken = true;
		return false;
	}
	it->spilled = true;
	it->spill_off = b->spill_end;
	b->spill_end += it->output_len;
	b->nspilled++;
	return true;
}

/* Write one finished result (from memory or the spill file); an output error stops the run. */
static void write_item(struct batch *b, struct item *it)
{
	char *data = it->output;
	if (it->spilled) {
		data = xmalloc(it->output_len);
		if (!pread_all(b->spill_fd, data, it->output_len, it->spill_off)) {
			if (!b->output_failed)
				fprintf(stderr, "smtpprobe: %s: %s\n", _("cannot read back the results held for input order"),
				        strerror(errno ? errno : EIO));
			b->output_failed = b->stopping = true;
		}
		it->spilled = false;
		/* Nothing left in the file: it starts afresh (and gives its space back). */
		if (--b->nspilled == 0) {
			b->spill_end = 0;
			if (ftruncate(b->spill_fd, 0) < 0)
				b->spill_broken = true;
		}
	} else {
		b->held -= it->output_len;
	}
	if (it->output_len && !b->output_failed && b->cfg.write(b->cfg.ctx, data, it->output_len) < 0)
		b->output_failed = b->stopping = true;
	if (data != it->output)
		free(data);
	free(it->output);
	it->output = NULL;
}

/* A result is complete: render it now; it is written in order (or at once) by write_ready. */
static void item_done(struct batch *b, struct item *it)
{
	it->state = ITEM_DONE;
	b->prog.done++;
	count_verdict(b, it->result);
	struct strbuf out = STRBUF_INIT;
	b->cfg.render(b->cfg.ctx, it->result, &out);
	/* Exactly its size: a strbuf has room to grow, up to twice what it holds. */
	it->output = out.len ? xreallocarray(out.data, out.len, 1) : out.data;
	it->output_len = out.len;
	if (!b->cfg.completion_order && b->held + out.len > WINDOW_BYTES && spill(b, it)) {
		free(it->output);
		it->output = NULL;
	} else {
		b->held += out.len;
	}
	b->status = result_exit_combine(b->status, it->result->exit_status);
	probe_result_free(it->result);
	free(it->result);
	it->result = NULL;
}

/* Probes of a domain that reached no server at all: after a few, its queue fails fast. */
static bool reached_no_server(const struct probe_result *r)
{
	if (r->step != STEP_CONNECT)
		return false;
	return r->failure == FAIL_TIMEOUT || r->failure == FAIL_UNREACHABLE || r->failure == FAIL_REFUSED;
}

static void on_probe_done(void *ctx, int slot, struct probe_result *r)
{
	struct job *j = ctx;
	struct batch *b = j->b;
	struct item *it = item_at(b, j->seqs[slot]);
	it->result = r;
	struct domain *d = &b->domains[j->domain];
	if (it->result->addr_ok && !d->tripped) {
		if (reached_no_server(it->result)) {
			if (++d->strikes >= BREAKER_STRIKES && !d->tripped) {
				d->tripped = true;
				d->breaker.step = it->result->step;
				d->breaker.failure = it->result->failure;
			}
		} else {
			d->strikes = 0;
		}
	}
	item_done(b, it);
	if (++j->ndone == j->n) {
		j->next_finished = b->finished;
		b->finished = j;
		loop_timer_arm(b->l, &b->reap, 0);
	}
}

/* The domain's queue once the breaker tripped: results at once, saying why. */
static void fail_fast(struct batch *b, size_t dom)
{
	struct domain *d = &b->domains[dom];
	while (d->head != UINT64_MAX) {
		uint64_t seq = d->head;
		struct item *it = item_at(b, seq);
		d->head = it->next_in_domain;
		d->queued--;
		it->result = xcalloc(1, sizeof *it->result);
		struct msg why;
		msg_set(&why, N_("not probed: %d probes of this domain in a row reached no server (%s); the rest of its addresses fail fast"),
		        "ds", d->strikes, failure_name(d->breaker.failure));
		probe_result_unprobed(it->result, it->input, it->len, d->breaker.step, d->breaker.failure, &why,
		                      b->o.require_mailbox);
		item_done(b, it);
		/*
		 * Results made here, with no probe running, leave room in the
		 * window: read on (a reap pass), or with nothing left running the
		 * run would wait for an event that never comes.
		 */
		loop_timer_arm(b->l, &b->reap, 0);
	}
	d->tail = UINT64_MAX;
}

/* One probe for the domain's queued addresses (an invalid one alone), as many as one probe carries. */
static void start_job(struct batch *b, size_t dom)
{
	struct domain *d = &b->domains[dom];
	size_t rcpt = b->o.rcpt_per_session > 0 ? (size_t)b->o.rcpt_per_session : PROBE_RCPT_PER_SESSION;
	if (b->o.all_mx)
		rcpt = 1;  /* every host answers for each address */
	struct job *j = xcalloc(1, sizeof *j);
	j->b = b;
	j->domain = dom;
	size_t max = d->key[0] ? rcpt : 1;
	j->seqs = xcalloc(max, sizeof *j->seqs);
	const char **inputs = xcalloc(max, sizeof *inputs);
	size_t *lens = xcalloc(max, sizeof *lens);
	/* One mail domain per probe (the catch-all question is the domain's): with --server, consecutive ones. */
	char first[ADDR_DOMAIN_MAX + 1] = "";
	while (d->head != UINT64_MAX && (size_t)j->n < max) {
		uint64_t seq = d->head;
		struct item *it = item_at(b, seq);
		if (b->o.server_host && d->key[0]) {
			struct address a;
			const char *dn = addr_parse(it->input, it->len, false, &a) == ADDR_OK ? a.domain : "";
			if (j->n == 0)
				snprintf(first, sizeof first, "%s", dn);
			else if (strcasecmp(first, dn) != 0)
				break;
		}
		d->head = it->next_in_domain;
		d->queued--;
		it->state = ITEM_RUNNING;
		it->job = j;
		it->slot = j->n;
		j->seqs[j->n] = seq;
		inputs[j->n] = it->input;
		lens[j->n] = it->len;
		j->n++;
	}
	if (d->head == UINT64_MAX)
		d->tail = UINT64_MAX;
	d->running++;
	b->running++;
	b->prog.running += (size_t)j->n;
	/* Back of the ring: other domains get their turn first. */
	make_ready(b, dom);
	j->probe = probe_start_many(b->l, b->d, &b->o, inputs, lens, j->n, on_probe_done, j);
	free(inputs);
	free(lens);
}

/* Start what the limits allow, taking the domains in turn. */
static void start_more(struct batch *b)
{
	while (!b->stopping && b->running < (size_t)b->cfg.concurrency && b->ready_len > 0) {
		size_t dom = b->ready[b->ready_head];
		b->ready_head = (b->ready_head + 1) % b->ready_cap;
		b->ready_len--;
		struct domain *d = &b->domains[dom];
		d->ready = false;
		if (d->tripped) {
			fail_fast(b, dom);
			continue;
		}
		if (d->head == UINT64_MAX || d->running >= (size_t)b->cfg.per_domain || waits_for_catch_all(b, d))
			continue;
		start_job(b, dom);
	}
}

/* Written in input order, or as they finish; an output error stops the run. */
static void write_ready(struct batch *b)
{
	if (b->cfg.completion_order) {
		for (uint64_t s = b->write_next; s < b->read_next; s++) {
			struct item *it = item_at(b, s);
			if (it->state != ITEM_DONE)
				continue;
			write_item(b, it);
			it->state = ITEM_WRITTEN;
		}
		while (b->write_next < b->read_next && item_at(b, b->write_next)->state == ITEM_WRITTEN) {
			free(item_at(b, b->write_next)->input);
			b->write_next++;
		}
		return;
	}
	while (b->write_next < b->read_next && item_at(b, b->write_next)->state == ITEM_DONE) {
		struct item *it = item_at(b, b->write_next);
		write_item(b, it);
		free(it->input);
		it->input = NULL;
		it->state = ITEM_WRITTEN;
		b->write_next++;
	}
}

static void job_free(struct job *j)
{
	probe_free(j->probe);
	free(j->seqs);
	free(j);
}

static void abort_jobs(struct batch *b);

static void finish_check(struct batch *b)
{
	/* Nobody reads the results any more: stop at once, probing nothing else. */
	if (b->output_failed && !b->all_done) {
		abort_jobs(b);
		b->all_done = true;
		return;
	}
	b->all_done = b->write_next == b->read_next && (b->in_eof || b->stopping) && b->running == 0;
}

static void on_reap(void *ctx)
{
	struct batch *b = ctx;
	/* Jobs are freed here, outside the probe's own callbacks. */
	while (b->finished) {
		struct job *j = b->finished;
		b->finished = j->next_finished;
		struct domain *d = &b->domains[j->domain];
		d->running--;
		b->running--;
		b->prog.running -= (size_t)j->n;
		size_t dom = j->domain;
		job_free(j);
		make_ready(b, dom);
		domain_forget_idle(b, dom);
	}
	if (b->cfg.progress)
		b->cfg.progress(b->cfg.ctx, &b->prog);
	write_ready(b);
	read_input(b);
	start_more(b);
	write_ready(b);
	finish_check(b);
}

/* Stop every running probe now; the jobs are freed with the batch. */
static void abort_jobs(struct batch *b)
{
	for (uint64_t s = b->write_next; s < b->read_next; s++) {
		struct item *it = item_at(b, s);
		struct job *j = it->job;
		if (it->state == ITEM_RUNNING && j && !j->reaped) {
			j->reaped = true;
			probe_free(j->probe);
			j->probe = NULL;
			if (j->ndone < j->n) {
				/* freed with the batch */
				j->next_finished = b->finished;
				b->finished = j;
			}
		}
	}
	b->running = 0;
	loop_timer_cancel(b->l, &b->reap);
}

void batch_interrupt(struct batch *b, int signo)
{
	if (b->interrupted)
		return;
	b->interrupted = signo;
	b->stopping = true;
	/* What runs stops now; its addresses and the queued ones are written as not probed. */
	abort_jobs(b);
	for (uint64_t s = b->write_next; s < b->read_next; s++) {
		struct item *it = item_at(b, s);
		if (it->state != ITEM_QUEUED && it->state != ITEM_RUNNING)
			continue;
		if (it->result)
			probe_result_free(it->result);
		else
			it->result = xcalloc(1, sizeof *it->result);
		struct msg why;
		msg_set(&why, N_("not probed: the run was interrupted"), "");
		probe_result_unprobed(it->result, it->input, it->len, STEP_NONE, FAIL_NOT_PROBED, &why, b->o.require_mailbox);
		item_done(b, it);
	}
	write_ready(b);
	b->all_done = true;
}

int batch_run(struct batch *b)
{
	loop_timer_init(&b->reap, on_reap, b);
	open_input(b);
	read_input(b);
	start_more(b);
	write_ready(b);
	finish_check(b);
	if (!b->all_done && loop_run(b->l, &b->all_done) < 0)
		return EXIT_SOFTWARE;
	if (b->cfg.progress)
		b->cfg.progress(b->cfg.ctx, &b->prog);
	if (b->interrupted)
		return 128 + b->interrupted;
	if (b->output_failed)
		return result_exit_combine(b->status, EXIT_IOERR);
	return b->status;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	loop_timer_cancel(b->l, &b->reap);
	if (b->in_watched)
		loop_unwatch(b->l, b->in_fd);
	if (b->in_fd >= 0) {
		if (b->in_flags >= 0)
			fcntl(b->in_fd, F_SETFL, b->in_flags);
		close(b->in_fd);
	}
	strbuf_free(&b->in_buf);
	if (b->spill_fd >= 0)
		close(b->spill_fd);
	for (uint64_t s = b->write_next; s < b->read_next; s++) {
		struct item *it = item_at(b, s);
		if (it->result) {
			probe_result_free(it->result);
			free(it->result);
		}
		free(it->output);
		free(it->input);
	}
	while (b->finished) {
		struct job *j = b->finished;
		b->finished = j->next_finished;
		job_free(j);
	}
	for (size_t i = 0; i < b->ndomains; i++)
		free(b->domains[i].key);
	free(b->domains);
	free(b->spare);
	free(b->table);
	free(b->ready);
	free(b->ring);
	facts_free(b->o.facts);
	free(b);
}
