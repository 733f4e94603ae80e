/*
 * Fuzz target: the reply reader and the EHLO parser on arbitrary server
 * bytes, fed in pieces whose sizes come from the input itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ehlo.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (data[0] % 64) + 1;
	data++;
	size--;
	struct reply_reader rr;
	reply_reader_init(&rr);
	struct strbuf in = STRBUF_INIT;
	size_t off = 0;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		strbuf_append(&in, (const char *)data + off, n);
		off += n;
		for (;;) {
			size_t used = 0;
			enum reply_status st = reply_reader_feed(&rr, in.data, in.len, &used);
			if (used > in.len)
				abort();
			strbuf_consume(&in, used);
			if (st == REPLY_BAD)
				goto out;
			if (st == REPLY_MORE)
				break;
			if (rr.reply.code < 200 || rr.reply.code > 599 || rr.reply.text.len > REPLY_LINES_MAX * (REPLY_LINE_MAX + 1))
				abort();
			struct ehlo_caps caps;
			ehlo_parse(&rr.reply, false, &caps);
			if (caps.nkeywords > EHLO_KEYWORDS_MAX || strlen(caps.auth) >= sizeof caps.auth)
				abort();
			reply_reader_next(&rr);
		}
		/* The reader never keeps more than one overlong line's worth. */
		if (in.len > REPLY_LINE_MAX + chunk)
			abort();
	}
out:
	strbuf_free(&in);
	reply_reader_free(&rr);
	return 0;
}
