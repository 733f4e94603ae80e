/*
 * Fuzz target: the bounce parser (and under it the MIME reader) on
 * arbitrary messages. Every record must stay within its bounds and name
 * a step, a source and a reply that make sense.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce b;
	bounce_parse((const char *)data, size, &b);
	if (b.nrcpts > BOUNCE_RCPTS_MAX || (b.kind == BOUNCE_FAILURE) != (b.nrcpts > 0))
		abort();
	for (size_t i = 0; i < b.nrcpts; i++) {
		const struct bounce_rcpt *r = &b.rcpts[i];
		if ((unsigned)r->step >= BSTEP_COUNT || (unsigned)r->source >= BSRC_COUNT)
			abort();
		if (r->have_reply && (r->reply.code < 200 || r->reply.code > 599))  /* a DSN may quote any code */
			abort();
		if (strlen(r->recipient) >= sizeof r->recipient || strlen(r->remote_host) >= sizeof r->remote_host)
			abort();
	}
	bounce_free(&b);
	return 0;
}
