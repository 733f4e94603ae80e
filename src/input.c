/* input.c - addresses as people paste them (see input.h). */
#include "input.h"
#include "text.h"

#include <stdbool.h>
#include <string.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/*
 * A scanner over RFC 5322 structure: quoted strings (with \ escapes),
 * comments (nested, with \ escapes) and angle brackets. scan_step() moves
 * past s[i] and says whether that character was at the top level.
 */
struct scan {
	bool quoted;
	int comment;    /* nesting depth */
	bool angle;
	bool escaped;
};

static bool scan_step(struct scan *sc, char c)
{
	if (sc->escaped) {
		sc->escaped = false;
		return false;
	}
	if ((sc->quoted || sc->comment) && c == '\\') {
		sc->escaped = true;
		return false;
	}
	if (sc->quoted) {
		if (c == '"')
			sc->quoted = false;
		return false;
	}
	if (sc->comment) {
		if (c == '(')
			sc->comment++;
		else if (c == ')')
			sc->comment--;
		return false;
	}
	if (c == '"') {
		sc->quoted = true;
		return false;
	}
	if (c == '(') {
		sc->comment = 1;
		return false;
	}
	if (sc->angle) {
		if (c == '>')
			sc->angle = false;
		return false;
	}
	if (c == '<') {
		sc->angle = true;
		return false;
	}
	return true;
}

/* What a piece holds at its top level (quotes, comments and <...> aside). */
static void piece_shape(const char *s, size_t len, bool *at, bool *angle)
{
	struct scan sc = { 0 };
	*at = *angle = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '@')
			*at = true;  /* anywhere: a quoted or bracketed @ makes it address-like too */
		if (s[i] == '<' && !sc.quoted && !sc.comment && !sc.angle && !sc.escaped)
			*angle = true;
		scan_step(&sc, s[i]);
	}
}

struct span {
	const char *s;
	size_t len;
};

static struct span trim(const char *s, size_t len)
{
	while (len && blank(*s)) {
		s++;
		len--;
	}
	while (len && blank(s[len - 1]))
		len--;
	return (struct span){ s, len };
}

static bool prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return false;
	}
	return true;
}

size_t input_split(const char *line, size_t len,
                   void (*fn)(void *ctx, const char *addr, size_t alen), void *ctx)
{
	size_t n = 0;
	/*
	 * A piece with neither @ nor < before a comma waits: when the next
	 * piece is a name-addr, both are one ("Doe, John <john@example.org>").
	 */
	struct span pending = { NULL, 0 };
	struct scan sc = { 0 };
	size_t start = 0;
	bool query = false;
	for (size_t i = 0; i <= len; i++) {
		/*
		 * A mailto: URI's query (RFC 6068) may hold ',' ';' '(' and '"'
		 * as they are: it runs, unparsed, to the next blank, which ends
		 * the URI and so the piece.
		 */
		bool ends = i == len;
		if (query) {
			if (!ends && !blank(line[i]))
				continue;
			query = false;
			ends = true;
		}
		bool top = !ends && scan_step(&sc, line[i]);
		if (top && line[i] == '?') {
			struct span so_far = trim(line + start, i - start);
			query = prefix_ci(so_far.s, so_far.len, "mailto:");
		}
		if (!ends && !(top && (line[i] == ',' || line[i] == ';')))
			continue;
		struct span p = trim(line + start, i - start);
		char sep = i < len ? line[i] : '\0';
		start = i + 1;
		if (p.len == 0)
			continue;
		bool at, angle;
		piece_shape(p.s, p.len, &at, &angle);
		if (pending.s) {
			if (angle) {
				p.len = (size_t)(p.s + p.len - pending.s);
				p.s = pending.s;
				at = true;  /* a name-addr now: it waits no more */
			} else {
				fn(ctx, pending.s, pending.len);
				n++;
			}
			pending.s = NULL;
		}
		if (!at && !angle && sep == ',') {
			pending = p;
			continue;
		}
		fn(ctx, p.s, p.len);
		n++;
	}
	if (pending.s) {
		fn(ctx, pending.s, pending.len);
		n++;
	}
	return n;
}

/* mailto:addr?query: the address, %XX decoded. */
static size_t from_mailto(const char *s, size_t len, char *buf)
{
	s += 7;
	len -= 7;
	const char *q = memchr(s, '?', len);
	if (q)
		len = (size_t)(q - s);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len && (hi = text_hexval(s[i + 1])) >= 0 && (lo = text_hexval(s[i + 2])) >= 0) {
			buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			buf[o++] = s[i];
		}
	}
	return o;
}

/* Whether s[0..len) holds only blanks and comments. */
static bool only_cfws(const char *s, size_t len)
{
	struct scan sc = { 0 };
	for (size_t i = 0; i < len; i++)
		if (scan_step(&sc, s[i]) && !blank(s[i]))
			return false;
	return !sc.comment && !sc.quoted;
}

static size_t copy(const char *s, size_t len, char *buf)
{
	memmove(buf, s, len);
	return len;
}

/* The address in a piece, before the NUL is added. */
static size_t extract(const char *piece, size_t len, char *buf)
{
	struct span p = trim(piece, len);
	if (p.len == 0 || has_control(p.s, p.len))
		return copy(piece, len, buf);
	if (prefix_ci(p.s, p.len, "mailto:"))
		return from_mailto(p.s, p.len, buf);

	/* name-addr: display name, then one <addr-spec>, then only blanks and comments. */
	struct scan sc = { 0 };
	size_t lt = 0, gt = 0;
	int angles = 0;
	for (size_t i = 0; i < p.len; i++) {
		bool opens = p.s[i] == '<' && !sc.quoted && !sc.comment && !sc.angle && !sc.escaped;
		bool in_angle = sc.angle;
		scan_step(&sc, p.s[i]);
		if (opens) {
			lt = i;
			angles++;
		} else if (in_angle && !sc.angle) {
			gt = i;
		}
	}
	if (angles > 1 || sc.quoted || sc.comment)
		return copy(piece, len, buf);
	if (angles == 1) {
		if (sc.angle || !only_cfws(p.s + gt + 1, p.len - gt - 1))
			return copy(piece, len, buf);
		struct span a = trim(p.s + lt + 1, gt - lt - 1);
		if (prefix_ci(a.s, a.len, "mailto:"))
			return from_mailto(a.s, a.len, buf);
		return copy(a.s, a.len, buf);
	}

	/* A plain address, perhaps with comments: "alice@example.org (Alice)". */
	size_t o = 0;
	sc = (struct scan){ 0 };
	for (size_t i = 0; i < p.len; i++) {
		bool in_comment = sc.comment > 0;
		scan_step(&sc, p.s[i]);
		if (!in_comment && !sc.comment)
			buf[o++] = p.s[i];
	}
	struct span t = trim(buf, o);
	return copy(t.s, t.len, buf);
}

size_t input_address(const char *piece, size_t len, char *buf, size_t bufsz)
{
	if (bufsz == 0)
		return 0;
	if (bufsz < len + 1) {
		/* Cannot hold the worst case: pass the piece on, cut (the probe refuses it). */
		len = bufsz - 1;
		memmove(buf, piece, len);
		buf[len] = '\0';
		return len;
	}
	size_t n = extract(piece, len, buf);
	buf[n] = '\0';
	return n;
}

size_t input_bom(const char *s, size_t len)
{
	return len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}
