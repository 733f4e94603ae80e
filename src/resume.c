/* resume.c - the addresses an earlier run already has results for (see resume.h). */
#include "resume.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "mem.h"
#include "text.h"

struct resume {
	char **keys;               /* open addressing, NULL = empty */
	size_t *lens;
	size_t cap, n;
};

static void put_utf8(uint32_t cp, char *out, size_t outsz, size_t *o)
{
	unsigned char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (size_t i = 0; i < n && *o + 1 < outsz; i++)
		out[(*o)++] = (char)b[i];
}

static bool hex4(const char *p, const char *end, uint32_t *v)
{
	if (end - p < 4)
		return false;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int h = text_hexval(p[i]);
		if (h < 0)
			return false;
		*v = *v * 16 + (uint32_t)h;
	}
	return true;
}

bool resume_address(const char *line, size_t len, char *out, size_t outsz, size_t *outlen)
{
	static const char key[] = "\"address\":\"";
	const char *end = line + len;
	const char *p = line;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p != '{')
		return false;
	p++;
	if ((size_t)(end - p) < sizeof key - 1 || memcmp(p, key, sizeof key - 1) != 0)
		return false;
	p += sizeof key - 1;
	size_t o = 0;
	while (p < end && *p != '"') {
		if (*p != '\\') {
			if (o + 1 < outsz)
				out[o++] = *p;
			p++;
			continue;
		}
		if (++p >= end)
			return false;
		uint32_t cp;
		switch (*p) {
		case '"': case '\\': case '/':
			cp = (unsigned char)*p;
			break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (!hex4(p + 1, end, &cp))
				return false;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u') {
				uint32_t lo;
				if (hex4(p + 3, end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			break;
		default:
			return false;
		}
		put_utf8(cp, out, outsz, &o);
		p++;
	}
	if (p >= end)
		return false;
	out[o < outsz ? o : outsz - 1] = '\0';
	*outlen = o;
	return true;
}

static void grow(struct resume *r)
{
	size_t cap = r->cap ? r->cap * 2 : 1024;
	char **keys = xcalloc(cap, sizeof *keys);
	size_t *lens = xcalloc(cap, sizeof *lens);
	for (size_t i = 0; i < r->cap; i++) {
		if (!r->keys[i])
			continue;
		size_t j = text_hash(r->keys[i], r->lens[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = r->keys[i];
		lens[j] = r->lens[i];
	}
	free(r->keys);
	free(r->lens);
	r->keys = keys;
	r->lens = lens;
	r->cap = cap;
}

static void add(struct resume *r, const char *s, size_t len)
{
	if (resume_has(r, s, len))
		return;
	if ((r->n + 1) * 2 > r->cap)
		grow(r);
	size_t j = text_hash(s, len) & (r->cap - 1);
	while (r->keys[j])
		j = (j + 1) & (r->cap - 1);
	r->keys[j] = xmalloc(len + 1);
	memcpy(r->keys[j], s, len);
	r->keys[j][len] = '\0';
	r->lens[j] = len;
	r->n++;
}

bool resume_has(const struct resume *r, const char *input, size_t len)
{
	if (!r || r->cap == 0)
		return false;
	for (size_t j = text_hash(input, len) & (r->cap - 1); r->keys[j]; j = (j + 1) & (r->cap - 1))
		if (r->lens[j] == len && memcmp(r->keys[j], input, len) == 0)
			return true;
	return false;
}

struct resume *resume_load(const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errsz, _("cannot read --resume \"%s\": %s"), path, strerror(errno));
		return NULL;
	}
	struct resume *r = xcalloc(1, sizeof *r);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char addr[8192];
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t alen;
		/* An address the interrupted run did not get to is probed again. */
		if (strstr(line, "\"failure\":\"not_probed\""))
			continue;
		if (resume_address(line, (size_t)n, addr, sizeof addr, &alen))
			add(r, addr, alen);
	}
	bool bad = ferror(f);
	int e = errno;
	free(line);
	fclose(f);
	if (bad) {
		snprintf(err, errsz, _("cannot read --resume \"%s\": %s"), path, strerror(e));
		resume_free(r);
		return NULL;
	}
	return r;
}

void resume_free(struct resume *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->cap; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->lens);
	free(r);
}
