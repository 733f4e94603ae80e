/*
 * batch.h - many addresses in one process, at the protocol minimum and
 * politely: the addresses of one domain (or one --server) go through shared
 * sessions (probe_start_many), at most `per_domain` of them at once, at
 * most `concurrency` in all, domains taken in turn.
 *
 * Input is read as the run goes (a pipe can feed it), within a bounded
 * window ahead of the oldest unwritten result, so memory stays flat
 * however long the list; results come out in input order or, with
 * completion_order, as they finish. An output that fails (EPIPE, ENOSPC)
 * or an interruption stops the run promptly.
 */
#ifndef SMTPPROBE_BATCH_H
#define SMTPPROBE_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"
#include "loop.h"
#include "probe.h"
#include "strbuf.h"

struct batch_progress {
	size_t total, done, running;   /* total: read so far */
	size_t accepted, rejected, tempfail, error;
	bool input_done;
};

struct batch_config {
	int concurrency;          /* probes at once, >= 1 */
	int per_domain;           /* probes at once per domain or --server, >= 1 */
	bool completion_order;    /* --order completion: write results as they finish */
	int shard_k, shard_n;     /* --shard K/N: only domains whose hash falls in shard K; n = 0: all */
	const char *input;        /* --input FILE, "-" for standard input; NULL: none */
	/* Render one finished result into out (text, JSON, ...). */
	void (*render)(void *ctx, const struct probe_result *r, struct strbuf *out);
	/* Write rendered output; a negative return (errno set) stops the run. */
	int (*write)(void *ctx, const char *data, size_t len);
	/* After each probe finishes (for a progress line); may be NULL. */
	void (*progress)(void *ctx, const struct batch_progress *p);
	/*
	 * One input line into its addresses, each passed to emit; NULL: the
	 * line trimmed of blanks is one address. Lines that are blank or start
	 * with '#' never reach it; a line over 4,096 octets reaches it with its
	 * first 4,097. The hook queues what --shard keeps (batch_in_shard).
	 */
	void (*split)(void *ctx, const char *line, size_t len, void (*emit)(void *ectx, const char *a, size_t n),
	              void *ectx);
	void *ctx;
};

struct batch;

struct batch *batch_new(struct loop *l, struct dns *d, const struct probe_options *o,
                        const struct batch_config *cfg);
/* Queue one address (copied), before batch_run: the command line's. */
void batch_add(struct batch *b, const char *input, size_t len);
/*
 * Probe everything queued, then the input; returns the combined exit
 * status: 74 (EX_IOERR) when the input could not be read or the output
 * not written, 128 + signal after batch_interrupt.
 */
int batch_run(struct batch *b);
/* SIGINT/SIGTERM: finish now; what did not finish is written as not probed. */
void batch_interrupt(struct batch *b, int signo);
void batch_free(struct batch *b);

/* The shard (1..n) of a domain: a stable hash, the same on every machine. */
int batch_shard_of(const char *key, int n);
/* Whether --shard keeps this address (its domain's shard; an invalid one by its text). */
bool batch_in_shard(const struct batch *b, const char *input, size_t len);

#endif
