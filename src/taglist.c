/* taglist.c - the tag-list grammar of MTA-STS and TLS-RPT records (see taglist.h). */
#include "taglist.h"

#include <stdio.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int taglist_clip(size_t n)
{
	return n > 60 ? 60 : (int)n;
}

static bool taglist_is_candidate(const char *s, size_t len, const char *version)
{
	size_t v = strlen(version);
	return len >= v && memcmp(s, version, v) == 0 && (len == v || is_wsp(s[v]) || s[v] == ';');
}

int taglist_pick(const struct txt_record *txt, int n, const char *version, int *pick)
{
	int candidates = 0;
	*pick = -1;
	for (int i = 0; i < n; i++) {
		if (taglist_is_candidate(txt[i].data, txt[i].len, version)) {
			candidates++;
			*pick = i;
		}
	}
	return candidates;
}

bool taglist_begin(struct taglist *tl, const char *buf, size_t len, const char *version, char *err, size_t errsz)
{
	*tl = (struct taglist){ .buf = buf, .len = len, .field = 1 };
	if (memchr(buf, '\0', len)) {
		snprintf(err, errsz, "the record holds a NUL byte");
		return false;
	}
	if (!taglist_is_candidate(buf, len, version)) {
		snprintf(err, errsz, "the record does not start with \"%s\"", version);
		return false;
	}
	tl->pos = strlen(version);
	return true;
}

/* Field by field: 1 with *t set, 0 at the end, -1 with err set. */
static int taglist_next(struct taglist *tl, struct tag *t, char *err, size_t errsz)
{
	const char *buf = tl->buf;
	size_t len = tl->len, p = tl->pos;
	if (p >= len)
		return 0;
	/* field-delim = *WSP ";" *WSP, and the last one is optional */
	while (p < len && is_wsp(buf[p]))
		p++;
	if (p == len) {
		snprintf(err, errsz, "trailing white space without ';'");
		return -1;
	}
	if (buf[p] != ';') {
		snprintf(err, errsz, "field %d: ';' expected at offset %zu", tl->field, p);
		return -1;
	}
	p++;
	while (p < len && is_wsp(buf[p]))
		p++;
	if (p == len) {
		tl->pos = p;
		return 0;
	}
	size_t start = p;
	while (p < len && buf[p] != ';')
		p++;
	size_t end = p;
	/* White space before the next ';' belongs to the delimiter; at the very end there is none. */
	while (end > start && is_wsp(buf[end - 1]))
		end--;
	if (p == len && end < len) {
		snprintf(err, errsz, "trailing white space without ';'");
		return -1;
	}
	tl->field++;
	const char *f = buf + start;
	size_t flen = end - start;
	const char *eq = memchr(f, '=', flen);
	if (!eq) {
		snprintf(err, errsz, "field %d \"%.*s\": name=value expected", tl->field, taglist_clip(flen), f);
		return -1;
	}
	t->name = f;
	t->nlen = (size_t)(eq - f);
	t->value = eq + 1;
	t->vlen = flen - t->nlen - 1;
	tl->pos = end;
	return 1;
}

static bool tag_is(const struct tag *t, const char *name)
{
	return t->nlen == strlen(name) && memcmp(t->name, name, t->nlen) == 0;
}

bool taglist_ext_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 32 || !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* ext-name, and ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
static bool tag_extension_ok(const struct tag *t)
{
	if (!taglist_ext_name_ok(t->name, t->nlen) || t->vlen == 0)
		return false;
	for (size_t i = 0; i < t->vlen; i++) {
		unsigned char c = (unsigned char)t->value[i];
		if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
			return false;
	}
	return true;
}

int taglist_next_named(struct taglist *tl, const char *name, struct tag *t, char *err, size_t errsz)
{
	int r;
	while ((r = taglist_next(tl, t, err, errsz)) > 0) {
		if (tag_is(t, name))
			return 1;
		if (!tag_extension_ok(t)) {
			snprintf(err, errsz, "field %d \"%.*s=%.*s\" is not a valid extension", tl->field,
			         taglist_clip(t->nlen), t->name, taglist_clip(t->vlen), t->value);
			return -1;
		}
	}
	return r;
}
