/*
 * Fuzz target: the EHLO parser on any reply text the reader can hand over
 * (up to REPLY_LINES_MAX lines of up to REPLY_LINE_MAX octets, any bytes
 * but LF, NUL included). Whatever the server advertises, the capabilities
 * stay within their arrays, the AUTH list is upper case with each
 * mechanism once, and a HELO answer advertises nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ehlo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXT_ALL (EHLO_SIZE | EHLO_PIPELINING | EHLO_STARTTLS | EHLO_AUTH | EHLO_8BITMIME | EHLO_SMTPUTF8 | \
		 EHLO_ENHANCEDSTATUSCODES | EHLO_DSN | EHLO_CHUNKING)

static void check_auth(const char *auth)
{
	/* "PLAIN LOGIN": words of at most 40 octets, single spaces, no lower case, no repeats. */
	size_t len = strnlen(auth, 256);
	if (len == 256 || (len && (auth[0] == ' ' || auth[len - 1] == ' ')) || strstr(auth, "  "))
		abort();
	for (const char *p = auth; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || *p == '\t')
			abort();
	for (const char *w = auth; *w;) {
		size_t n = strcspn(w, " ");
		if (n > 40)
			abort();
		for (const char *v = w + n; *v;) {
			while (*v == ' ')
				v++;
			size_t m = strcspn(v, " ");
			if (m == n && memcmp(v, w, n) == 0)
				abort();
			v += m;
		}
		w += n;
		while (*w == ' ')
			w++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool helo_only = data[0] & 1;
	data++;
	size--;
	struct reply r = { .code = 250 };
	/* As the reader builds it: lines cut to REPLY_LINE_MAX, at most REPLY_LINES_MAX. */
	size_t off = 0;
	while (off <= size && r.nlines < REPLY_LINES_MAX) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
		if (r.nlines)
			strbuf_putc(&r.text, '\n');
		strbuf_append(&r.text, (const char *)data + off, len < REPLY_LINE_MAX ? len : REPLY_LINE_MAX);
		r.nlines++;
		off += len + 1;
	}
	struct ehlo_caps caps;
	memset(&caps, 0xa5, sizeof caps);  /* whatever was there must go */
	ehlo_parse(&r, helo_only, &caps);
	if (caps.helo_only != helo_only || caps.nkeywords < 0 || caps.nkeywords > EHLO_KEYWORDS_MAX)
		abort();
	if (helo_only && (caps.nkeywords || caps.ext || caps.auth[0] || caps.size))
		abort();
	if (caps.ext & ~(unsigned)EXT_ALL)
		abort();
	if (strnlen(caps.domain, sizeof caps.domain) == sizeof caps.domain || strchr(caps.domain, ' '))
		abort();
	for (int i = 0; i < caps.nkeywords; i++)
		if (strnlen(caps.keywords[i], EHLO_KEYWORD_LEN) == EHLO_KEYWORD_LEN)
			abort();
	if (caps.auth[0] && !(caps.ext & EHLO_AUTH))
		abort();
	if (caps.size && !(caps.ext & EHLO_SIZE))
		abort();
	check_auth(caps.auth);
	reply_free(&r);
	return 0;
}
