/*
 * Fuzz target: the JUnit writer's escaping. Whatever bytes go in, what
 * comes out, in an attribute and in text, is well-formed XML 1.0 character
 * data: valid UTF-8 (checked by its own decoder here), no code point XML
 * forbids or a screen would act on, '&' only as one of the references the
 * writer uses, no '<' or '>', and in an attribute no raw quote or TAB, LF,
 * CR (which attribute normalisation would change).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "junit.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const refs[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;" };

static void check(const struct strbuf *sb, bool attr)
{
	const unsigned char *p = (const unsigned char *)strbuf_str(sb);
	size_t len = sb->len, i = 0;
	while (i < len) {
		if (p[i] == '&') {
			size_t k = 0;
			while (k < sizeof refs / sizeof refs[0] &&
			       (len - i < strlen(refs[k]) || memcmp(p + i, refs[k], strlen(refs[k])) != 0))
				k++;
			if (k == sizeof refs / sizeof refs[0])
				abort();
			i += strlen(refs[k]);
			continue;
		}
		if (p[i] == '<' || p[i] == '>' || p[i] == 0)
			abort();
		if (attr && (p[i] == '"' || p[i] == '\'' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			abort();
		if (!attr && p[i] == '\r')
			abort();
		uint32_t cp;
		size_t n = utf8_seq_len(p + i, len - i, &cp);
		if (n == 0)
			abort();
		bool xml_ok = cp == 0x9 || cp == 0xa || (cp >= 0x20 && cp <= 0xd7ff) ||
			      (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
		if (!xml_ok || (cp != 0x9 && cp != 0xa && utf8_unsafe(cp)))
			abort();
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int attr = 0; attr < 2; attr++) {
		struct strbuf sb = STRBUF_INIT;
		junit_escape(&sb, (const char *)data, size, attr);
		check(&sb, attr);
		strbuf_free(&sb);
	}
	return 0;
}
