/*
 * Fuzz target: pasted input lines. Every piece lies inside the line,
 * trimmed and not empty; the address found in it is never longer than the
 * piece, and a piece with a control character is passed on whole (no
 * extraction may hide a CR LF from the address parser).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct line {
	const char *s;
	size_t len;
};

static void check_piece(void *ctx, const char *p, size_t len)
{
	const struct line *l = ctx;
	if (len == 0 || p < l->s || p + len > l->s + l->len)
		abort();
	if (p[0] == ' ' || p[0] == '\t' || p[len - 1] == ' ' || p[len - 1] == '\t')
		abort();
	char *buf = malloc(len + 1);
	if (!buf)
		abort();
	size_t n = input_address(p, len, buf, len + 1);
	if (n > len || buf[n] != '\0')
		abort();
	bool control = false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			control = true;
	if (control && (n != len || memcmp(buf, p, len) != 0))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_LINE_MAX)
		return 0;
	struct line l = { (const char *)data, size };
	input_split(l.s, l.len, check_piece, &l);
	return 0;
}
