/*
 * batch.h - many addresses in one process, politely: up to `concurrency`
 * probes at once, at most `per_domain` of them to the same domain (or the
 * same --server), domains taken in turn, output in input order.
 *
 * Memory and time stay proportional to the input, not to its square: a
 * result exists only while its probe runs; what waits for an earlier, slower
 * address is its rendered output.
 */
#ifndef SMTPPROBE_BATCH_H
#define SMTPPROBE_BATCH_H

#include <stddef.h>

#include "dns.h"
#include "loop.h"
#include "probe.h"
#include "strbuf.h"

struct batch_progress {
	size_t total, done, running;
	size_t accepted, rejected, tempfail, error;
};

struct batch_config {
	int concurrency;   /* >= 1 */
	int per_domain;    /* >= 1 */
	/* Render one finished result into out (text, JSON, or nothing). */
	void (*render)(void *ctx, const struct probe_result *r, struct strbuf *out);
	/* Write rendered output, in input order. */
	void (*write)(void *ctx, const char *data, size_t len);
	/* Called after each probe finishes (for a progress line); may be NULL. */
	void (*progress)(void *ctx, const struct batch_progress *p);
	void *ctx;
};

struct batch;

struct batch *batch_new(struct loop *l, struct dns *d, const struct probe_options *o,
                        const struct batch_config *cfg);
/* Queue one address (copied), before batch_run. */
void batch_add(struct batch *b, const char *input, size_t len);
/* Probe everything queued; returns the combined exit status. */
int batch_run(struct batch *b);
void batch_free(struct batch *b);

#endif
