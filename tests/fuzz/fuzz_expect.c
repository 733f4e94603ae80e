/*
 * Fuzz target: the --expect file parser. Whatever the bytes, it returns 0
 * with at least one expectation or -1 with a one-line message naming the
 * file (and a line for everything but an empty file); every expectation
 * has an address without blanks or control characters and a verdict; and
 * an expectation written back by expect_describe() parses to the same one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_roundtrip(const struct expectation *e)
{
	struct strbuf sb = STRBUF_INIT;
	expect_describe(e, &sb);
	struct expect_list again = { 0 };
	char err[256];
	if (expect_parse(sb.data, sb.len, "f", &again, err, sizeof err) != 0 || again.n != 1)
		abort();
	const struct expectation *a = &again.items[0];
	if (strcmp(a->address, e->address) != 0)
		abort();
	for (int f = 0; f < EXPECT_FIELDS; f++)
		if (!same(a->want[f], e->want[f]))
			abort();
	expect_list_free(&again);
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect_list l = { 0 };
	char err[512];
	err[0] = '\0';
	int rc = expect_parse((const char *)data, size, "f.expect", &l, err, sizeof err);
	if (rc == 0) {
		if (l.n == 0)
			abort();
	} else if (rc != -1 || strncmp(err, "f.expect:", 9) != 0 || strchr(err, '\n')) {
		abort();
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct expectation *e = &l.items[i];
		if (!e->address[0] || !e->want[EXPECT_VERDICT] || e->line == 0)
			abort();
		for (const char *p = e->address; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				abort();
		if (rc == 0)
			check_roundtrip(e);
	}
	expect_list_free(&l);
	return 0;
}
