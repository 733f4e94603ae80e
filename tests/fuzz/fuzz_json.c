/*
 * Fuzz target: the JSON writer, round trip. The input is a little program
 * of writer calls (objects, arrays, keys, strings of arbitrary bytes,
 * integers, booleans, nulls); what the writer produces is parsed back by a
 * small strict RFC 8259 parser written here, independently of json.c, and
 * every value must come back as it went in, strings with each byte that is
 * not well-formed UTF-8 (RFC 3629 table 3, decoded here on its own) read as
 * one U+FFFD, as json.h documents. On the way, the text itself must be
 * valid UTF-8 with no raw control, bidi or other unsafe code point: those
 * may only appear as \u escapes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum ev_type { EV_OBJ_BEGIN, EV_OBJ_END, EV_ARR_BEGIN, EV_ARR_END, EV_KEY, EV_STR, EV_INT, EV_BOOL, EV_NULL };

struct ev {
	enum ev_type type;
	int64_t n;
	struct strbuf s;  /* EV_KEY, EV_STR: the text, UTF-8 */
};

#define EVS_MAX 512

struct evs {
	struct ev e[EVS_MAX];
	size_t n;
};

static struct ev *ev_add(struct evs *l, enum ev_type t)
{
	if (l->n == EVS_MAX)
		abort();
	struct ev *e = &l->e[l->n++];
	e->type = t;
	e->n = 0;
	e->s = (struct strbuf)STRBUF_INIT;
	return e;
}

static void evs_free(struct evs *l)
{
	for (size_t i = 0; i < l->n; i++)
		strbuf_free(&l->e[i].s);
	l->n = 0;
}

static void put_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	strbuf_append(sb, b, n);
}

/*
 * Length of the well-formed sequence at s (RFC 3629 table 3), 0 if none;
 * written from the table, not from utf8.c, to be a second opinion.
 */
static size_t well_formed(const unsigned char *s, size_t avail, uint32_t *cp)
{
	static const struct {
		unsigned char lo0, hi0, lo1, hi1;
		size_t len;
	} rows[] = {
		{ 0x00, 0x7f, 0, 0, 1 },
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};
	if (avail == 0)
		return 0;
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0)
			continue;
		size_t len = rows[r].len;
		if (len == 1) {
			*cp = s[0];
			return 1;
		}
		if (avail < len || s[1] < rows[r].lo1 || s[1] > rows[r].hi1)
			return 0;
		for (size_t k = 2; k < len; k++)
			if (s[k] < 0x80 || s[k] > 0xbf)
				return 0;
		static const unsigned char lead_mask[] = { 0, 0, 0x1f, 0x0f, 0x07 };
		uint32_t v = s[0] & lead_mask[len];
		for (size_t k = 1; k < len; k++)
			v = v << 6 | (s[k] & 0x3f);
		*cp = v;
		return len;
	}
	return 0;
}

/* What a string must read as after the round trip. */
static void expected_text(struct strbuf *out, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = well_formed(s + i, n - i, &cp);
		if (k == 0) {
			put_utf8(out, 0xfffd);
			i++;
		} else {
			strbuf_append(out, (const char *)s + i, k);
			i += k;
		}
	}
}

/* ---- the strict parser ------------------------------------------------ */

struct parser {
	const unsigned char *p, *end;
	struct evs *out;
	int depth;
};

static bool hex4(struct parser *ps, uint32_t *v)
{
	if (ps->end - ps->p < 4)
		return false;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = *ps->p++;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

static bool parse_string(struct parser *ps, struct strbuf *sb)
{
	if (ps->p >= ps->end || *ps->p != '"')
		return false;
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end)
			return false;
		unsigned char c = *ps->p;
		if (c == '"') {
			ps->p++;
			return true;
		}
		if (c == '\\') {
			ps->p++;
			if (ps->p >= ps->end)
				return false;
			unsigned char e = *ps->p++;
			const char *simple = strchr("\"\\/bfnrt", e);
			if (e && simple) {
				static const char to[] = "\"\\/\b\f\n\r\t";
				strbuf_putc(sb, to[simple - "\"\\/bfnrt"]);
				continue;
			}
			if (e != 'u')
				return false;
			uint32_t v;
			if (!hex4(ps, &v))
				return false;
			if (v >= 0xdc00 && v <= 0xdfff)
				return false;  /* a lone low surrogate */
			if (v >= 0xd800 && v <= 0xdbff) {
				uint32_t lo;
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
					return false;
				ps->p += 2;
				if (!hex4(ps, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return false;
				v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* An escape is only needed for what may not appear raw. */
			if (!(v < 0x20 || v == '"' || v == '\\' || utf8_unsafe(v)))
				abort();
			put_utf8(sb, v);
			continue;
		}
		uint32_t cp;
		size_t k = well_formed(ps->p, (size_t)(ps->end - ps->p), &cp);
		if (k == 0)
			abort();  /* the writer produced invalid UTF-8 */
		if (utf8_unsafe(cp))
			abort();  /* a control, bidi or invisible character, raw */
		strbuf_append(sb, (const char *)ps->p, k);
		ps->p += k;
	}
}

static bool parse_value(struct parser *ps);

static bool parse_number(struct parser *ps)
{
	const unsigned char *start = ps->p;
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return false;
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
		return false;  /* no leading zeros */
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	char buf[32];
	size_t n = (size_t)(ps->p - start);
	if (n >= sizeof buf)
		return false;
	memcpy(buf, start, n);
	buf[n] = '\0';
	ev_add(ps->out, EV_INT)->n = strtoll(buf, NULL, 10);
	return true;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static bool parse_container(struct parser *ps, bool object)
{
	ps->p++;
	if (++ps->depth > 64)
		return false;
	ev_add(ps->out, object ? EV_OBJ_BEGIN : EV_ARR_BEGIN);
	char close = object ? '}' : ']';
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
	} else {
		for (;;) {
			if (object) {
				struct ev *k = ev_add(ps->out, EV_KEY);
				if (!parse_string(ps, &k->s) || ps->p >= ps->end || *ps->p++ != ':')
					return false;
			}
			if (!parse_value(ps) || ps->p >= ps->end)
				return false;
			char c = (char)*ps->p++;
			if (c == close)
				break;
			if (c != ',')
				return false;
		}
	}
	ps->depth--;
	ev_add(ps->out, object ? EV_OBJ_END : EV_ARR_END);
	return true;
}

static bool parse_value(struct parser *ps)
{
	if (ps->p >= ps->end)
		return false;
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		return parse_string(ps, &ev_add(ps->out, EV_STR)->s);
	case 't':
		ev_add(ps->out, EV_BOOL)->n = 1;
		return literal(ps, "true");
	case 'f':
		ev_add(ps->out, EV_BOOL)->n = 0;
		return literal(ps, "false");
	case 'n':
		ev_add(ps->out, EV_NULL);
		return literal(ps, "null");
	default:
		return parse_number(ps);
	}
}

/* ---- the program ------------------------------------------------------ */

struct prog {
	const uint8_t *p, *end;
};

static bool take(struct prog *pr, uint8_t *b)
{
	if (pr->p >= pr->end)
		return false;
	*b = *pr->p++;
	return true;
}

/* A string operand: a length byte, then that many bytes (what is left, if fewer). */
static size_t take_bytes(struct prog *pr, const uint8_t **s)
{
	uint8_t n = 0;
	take(pr, &n);
	size_t left = (size_t)(pr->end - pr->p);
	size_t len = n < left ? n : left;
	*s = pr->p;
	pr->p += len;
	return len;
}

static void expect_string(struct evs *want, enum ev_type t, const uint8_t *s, size_t n)
{
	expected_text(&ev_add(want, t)->s, s, n);
}

/* One value at the current position (after a key, in an array, or at the top). */
static void write_value(struct prog *pr, struct json *j, struct evs *want, int depth);

static void write_container(struct prog *pr, struct json *j, struct evs *want, int depth, bool object)
{
	if (object)
		json_object_begin(j);
	else
		json_array_begin(j);
	ev_add(want, object ? EV_OBJ_BEGIN : EV_ARR_BEGIN);
	uint8_t count = 0;
	take(pr, &count);
	for (int i = 0; i < count % 8 && pr->p < pr->end && want->n < EVS_MAX - 40; i++) {
		if (object) {
			const uint8_t *k;
			size_t kn = take_bytes(pr, &k);
			/* json_key takes a C string: the key ends at a NUL. */
			const uint8_t *nul = memchr(k, 0, kn);
			if (nul)
				kn = (size_t)(nul - k);
			char key[256];
			memcpy(key, k, kn);
			key[kn] = '\0';
			json_key(j, key);
			expect_string(want, EV_KEY, k, kn);
		}
		write_value(pr, j, want, depth + 1);
	}
	if (object)
		json_object_end(j);
	else
		json_array_end(j);
	ev_add(want, object ? EV_OBJ_END : EV_ARR_END);
}

static void write_value(struct prog *pr, struct json *j, struct evs *want, int depth)
{
	uint8_t op = 0;
	take(pr, &op);
	if (depth >= 16 && (op % 8) >= 6)
		op = 0;  /* json.h keeps 32 levels: stay well inside */
	switch (op % 8) {
	case 0: {
		const uint8_t *s;
		size_t n = take_bytes(pr, &s);
		json_string_n(j, (const char *)s, n);
		expect_string(want, EV_STR, s, n);
		break;
	}
	case 1: {
		int64_t v = 0;
		for (int i = 0; i < 8; i++) {
			uint8_t b = 0;
			take(pr, &b);
			v = (int64_t)((uint64_t)v << 8 | b);
		}
		json_int(j, v);
		ev_add(want, EV_INT)->n = v;
		break;
	}
	case 2:
	case 3:
		json_bool(j, op % 8 == 3);
		ev_add(want, EV_BOOL)->n = op % 8 == 3;
		break;
	case 4:
		json_null(j);
		ev_add(want, EV_NULL);
		break;
	case 5:
		json_string(j, NULL);  /* documented as null */
		ev_add(want, EV_NULL);
		break;
	case 6:
		write_container(pr, j, want, depth, true);
		break;
	case 7:
		write_container(pr, j, want, depth, false);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct evs want, got;
	struct prog pr = { data, data + size };
	struct strbuf out = STRBUF_INIT;
	struct json j;
	json_init(&j, &out);
	/* The top level is an object, as every line smtpprobe prints is. */
	json_object_begin(&j);
	ev_add(&want, EV_OBJ_BEGIN);
	while (pr.p < pr.end && want.n < EVS_MAX - 40) {
		const uint8_t *k;
		size_t kn = take_bytes(&pr, &k);
		const uint8_t *nul = memchr(k, 0, kn);
		if (nul)
			kn = (size_t)(nul - k);
		char key[256];
		memcpy(key, k, kn);
		key[kn] = '\0';
		json_key(&j, key);
		expect_string(&want, EV_KEY, k, kn);
		write_value(&pr, &j, &want, 1);
	}
	json_object_end(&j);
	ev_add(&want, EV_OBJ_END);

	struct parser ps = { (const unsigned char *)out.data, (const unsigned char *)out.data + out.len, &got, 0 };
	if (!parse_value(&ps) || ps.p != ps.end)
		abort();  /* not one JSON value, exactly */
	if (got.n != want.n)
		abort();
	for (size_t i = 0; i < want.n; i++) {
		const struct ev *w = &want.e[i], *g = &got.e[i];
		if (w->type != g->type || w->n != g->n || w->s.len != g->s.len ||
		    (w->s.len && memcmp(w->s.data, g->s.data, w->s.len) != 0))
			abort();
	}
	evs_free(&want);
	evs_free(&got);
	strbuf_free(&out);
	return 0;
}
