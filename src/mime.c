/* mime.c - a pure, bounded MIME reader (see mime.h). */
#include "mime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "text.h"
#include "utf8.h"

struct reader {
	struct mime_message *m;
	size_t budget;   /* decoded octets still allowed for all bodies together */
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The line at pos: its length without the line end, and where the next one starts. */
static size_t line_at(const char *buf, size_t len, size_t pos, size_t *next)
{
	const char *lf = memchr(buf + pos, '\n', len - pos);
	size_t end = lf ? (size_t)(lf - buf) : len;
	*next = lf ? end + 1 : len;
	if (end > pos && buf[end - 1] == '\r')
		end--;
	return end - pos;
}

/* Windows-1252's 0x80..0x9f; 0 where it has no character. Latin-1 and unknown 8-bit text are read with it. */
static const unsigned short cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static void put_cp(struct strbuf *out, uint32_t cp)
{
	char b[4];
	if (cp < 0x80) {
		strbuf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_append(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_append(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_append(out, b, 4);
	}
}

static void put_cp1252(struct strbuf *out, unsigned char c)
{
	uint32_t cp = c;
	if (c >= 0x80 && c < 0xa0)
		cp = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xfffd;
	put_cp(out, cp);
}

/* UTF-8 where it is valid, Windows-1252 for each byte where it is not: the usual mislabelled mail. */
static void utf8_or_cp1252(const char *s, size_t len, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq_len(p + i, len - i, &cp);
		if (n == 0) {
			put_cp1252(out, p[i]);
			i++;
		} else {
			strbuf_append(out, s + i, n);
			i += n;
		}
	}
}

/* Charsets read without iconv: the ones for which utf8_or_cp1252 is right or a safe guess. */
static const char *const builtin_charsets[] = {
	"", "us-ascii", "ascii", "utf-8", "utf8", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1",
	"l1", "windows-1252", "cp1252", "x-unknown", "unknown-8bit", "unknown", "x-user-defined", "default",
};

void mime_to_utf8(const char *charset, const char *s, size_t len, struct strbuf *out)
{
	char name[48];
	size_t n = 0;
	for (; charset && charset[n] && n < sizeof name - 1; n++)
		name[n] = lower(charset[n]);
	name[n] = '\0';
	/* iconv gets only plain names: no path characters, nothing odd. */
	bool plain = n < sizeof name - 1;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || strchr("-_.:", name[i])))
			plain = false;
	for (size_t i = 0; i < sizeof builtin_charsets / sizeof builtin_charsets[0]; i++)
		if (strcmp(name, builtin_charsets[i]) == 0)
			plain = false;
	iconv_t cd = plain ? iconv_open("UTF-8", name) : (iconv_t)-1;
	if (cd == (iconv_t)-1) {
		utf8_or_cp1252(s, len, out);
		return;
	}
	char *in = (char *)s;
	size_t inleft = len;
	char buf[1024];
	while (inleft > 0) {
		char *o = buf;
		size_t oleft = sizeof buf;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		strbuf_append(out, buf, sizeof buf - oleft);
		if (r == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or a sequence cut at the end: one replacement character, one octet on */
			put_cp(out, 0xfffd);
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	char *o = buf;
	size_t oleft = sizeof buf;
	iconv(cd, NULL, NULL, &o, &oleft);
	strbuf_append(out, buf, sizeof buf - oleft);
	iconv_close(cd);
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void mime_base64_decode(const char *s, size_t len, struct strbuf *out)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=')
			break;
		int v = b64val(s[i]);
		if (v < 0)
			continue;  /* line ends, spaces, garbage */
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

void mime_qp_decode(const char *s, size_t len, struct strbuf *out)
{
	size_t i = 0;
	while (i < len) {
		if (s[i] != '=') {
			strbuf_putc(out, s[i++]);
			continue;
		}
		/* soft line break: "=" then optional white space, then the line end */
		size_t j = i + 1;
		while (j < len && is_wsp(s[j]))
			j++;
		if (j < len && (s[j] == '\n' || (s[j] == '\r' && j + 1 < len && s[j + 1] == '\n'))) {
			i = j + (s[j] == '\r' ? 2 : 1);
			continue;
		}
		if (j == len) {
			i = len;
			continue;
		}
		int hi = i + 1 < len ? text_hexval(s[i + 1]) : -1;
		int lo = i + 2 < len ? text_hexval(s[i + 2]) : -1;
		if (hi >= 0 && lo >= 0) {
			strbuf_putc(out, (char)(hi * 16 + lo));
			i += 3;
		} else {
			strbuf_putc(out, '=');  /* not an escape: keep it as written */
			i++;
		}
	}
}

/* One encoded word at s ("=?cs?Q?...?="): its length and its text appended, or 0. */
static size_t encoded_word(const char *s, size_t len, struct strbuf *out)
{
	if (len < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	size_t i = 2;
	char cs[48];
	size_t n = 0;
	while (i < len && s[i] != '?' && n < sizeof cs - 1 && !is_wsp(s[i]))
		cs[n++] = s[i++];
	if (i >= len || s[i] != '?' || n == 0)
		return 0;
	cs[n] = '\0';
	char *star = strchr(cs, '*');  /* RFC 2231 language: =?utf-8*en?... */
	if (star)
		*star = '\0';
	i++;
	if (i + 2 >= len || s[i + 1] != '?')
		return 0;
	char enc = lower(s[i]);
	if (enc != 'q' && enc != 'b')
		return 0;
	i += 2;
	size_t start = i;
	while (i + 1 < len && !(s[i] == '?' && s[i + 1] == '=')) {
		if (is_wsp(s[i]) || s[i] == '\n' || s[i] == '\r')
			return 0;
		i++;
	}
	if (i + 1 >= len)
		return 0;
	struct strbuf raw = STRBUF_INIT;
	if (enc == 'b') {
		mime_base64_decode(s + start, i - start, &raw);
	} else {
		for (size_t k = start; k < i; k++) {
			int hi, lo;
			if (s[k] == '_') {
				strbuf_putc(&raw, ' ');
			} else if (s[k] == '=' && k + 2 < i && (hi = text_hexval(s[k + 1])) >= 0 &&
			           (lo = text_hexval(s[k + 2])) >= 0) {
				strbuf_putc(&raw, (char)(hi * 16 + lo));
				k += 2;
			} else {
				strbuf_putc(&raw, s[k]);
			}
		}
	}
	mime_to_utf8(cs, strbuf_str(&raw), raw.len, out);
	strbuf_free(&raw);
	return i + 2;
}

void mime_decode_words(const char *s, size_t len, struct strbuf *out)
{
	size_t i = 0;
	bool after_word = false;
	while (i < len) {
		/* white space between two encoded words is not part of the text (RFC 2047 6.2) */
		size_t ws = i;
		while (ws < len && (is_wsp(s[ws]) || s[ws] == '\r' || s[ws] == '\n'))
			ws++;
		if (after_word && ws > i && ws < len) {
			struct strbuf tmp = STRBUF_INIT;
			size_t n = encoded_word(s + ws, len - ws, &tmp);
			if (n) {
				strbuf_append(out, strbuf_str(&tmp), tmp.len);
				strbuf_free(&tmp);
				i = ws + n;
				continue;
			}
			strbuf_free(&tmp);
		}
		size_t n = encoded_word(s + i, len - i, out);
		if (n) {
			i += n;
			after_word = true;
			continue;
		}
		after_word = false;
		if (ws > i) {
			strbuf_append(out, s + i, ws - i);
			i = ws;
		} else {
			strbuf_putc(out, s[i++]);
		}
	}
}

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' }, { "nbsp", ' ' },
};

/* Elements whose end (or start) breaks a line in the text. */
static const char *const block_tags[] = {
	"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "pre", "blockquote", "hr",
};

void mime_html_to_text(const char *s, size_t len, struct strbuf *out)
{
	size_t i = 0;
	while (i < len) {
		char c = s[i];
		if (c == '<') {
			size_t j = i + 1;
			bool closing = j < len && s[j] == '/';
			if (closing)
				j++;
			char tag[16];
			size_t n = 0;
			while (j < len && n < sizeof tag - 1 && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
			                                         (s[j] >= '0' && s[j] <= '9')))
				tag[n++] = lower(s[j++]);
			tag[n] = '\0';
			const char *gt = memchr(s + i, '>', len - i);
			size_t end = gt ? (size_t)(gt - s) + 1 : len;
			if (!closing && (strcmp(tag, "script") == 0 || strcmp(tag, "style") == 0)) {
				/* their content is not text: skip to the closing tag */
				const char *close = NULL;
				for (size_t k = end; k + 2 + n <= len && !close; k++)
					if (s[k] == '<' && s[k + 1] == '/' && strncasecmp(s + k + 2, tag, n) == 0)
						close = s + k;
				const char *cgt = close ? memchr(close, '>', len - (size_t)(close - s)) : NULL;
				end = cgt ? (size_t)(cgt - s) + 1 : len;
			}
			for (size_t t = 0; t < sizeof block_tags / sizeof block_tags[0]; t++)
				if (strcmp(tag, block_tags[t]) == 0)
					strbuf_putc(out, '\n');
			i = end;
		} else if (c == '&') {
			size_t j = i + 1;
			while (j < len && j - i < 12 && s[j] != ';' && s[j] != '&' && s[j] != '<' && !is_wsp(s[j]))
				j++;
			bool done = false;
			if (j < len && s[j] == ';') {
				size_t n = j - i - 1;
				if (n > 1 && s[i + 1] == '#') {
					uint32_t cp = 0;
					bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
					bool ok = n > (hex ? 2u : 1u);
					for (size_t k = i + (hex ? 3 : 2); k < j && ok; k++) {
						int v = hex ? text_hexval(s[k]) : (s[k] >= '0' && s[k] <= '9' ? s[k] - '0' : -1);
						if (v < 0 || cp > 0x10ffff)
							ok = false;
						else
							cp = cp * (hex ? 16 : 10) + (uint32_t)v;
					}
					if (ok && cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
						put_cp(out, cp);
						done = true;
					}
				}
				for (size_t e = 0; !done && e < sizeof entities / sizeof entities[0]; e++)
					if (strlen(entities[e].name) == n && strncasecmp(s + i + 1, entities[e].name, n) == 0) {
						put_cp(out, entities[e].cp);
						done = true;
					}
			}
			if (done) {
				i = j + 1;
			} else {
				strbuf_putc(out, '&');
				i++;
			}
		} else {
			strbuf_putc(out, c);
			i++;
		}
	}
}

size_t mime_mbox_last(const char *buf, size_t len)
{
	if (len < 5 || memcmp(buf, "From ", 5) != 0)
		return 0;
	size_t last = 0;
	for (size_t pos = 0; pos < len;) {
		size_t next;
		size_t n = line_at(buf, len, pos, &next);
		if (n >= 5 && memcmp(buf + pos, "From ", 5) == 0)
			last = next;
		pos = next;
	}
	return last;
}

/* Header fields at buf (a "From " line first is skipped); returns where the body starts. */
static size_t read_headers(const char *buf, size_t len, struct mime_part *p)
{
	size_t pos = 0, cap = 0;
	struct strbuf val = STRBUF_INIT;
	bool first = true;
	bool blank = false;
	while (pos < len) {
		size_t next;
		size_t n = line_at(buf, len, pos, &next);
		const char *line = buf + pos;
		if (n == 0) {
			/* the end of the header block (at once: a part without header fields) */
			pos = next;
			blank = true;
			break;
		}
		if (is_wsp(line[0]) && p->nfields > 0) {
			struct mime_field *f = &p->fields[p->nfields - 1];
			size_t cur = strlen(f->value);
			size_t k = 0;
			while (k < n && is_wsp(line[k]))
				k++;
			if (cur + 2 < MIME_FIELD_MAX && k < n) {
				size_t add = n - k;
				if (cur + 1 + add > MIME_FIELD_MAX - 1)
					add = MIME_FIELD_MAX - 2 - cur;
				f->value = xreallocarray(f->value, cur + add + 2, 1);
				f->value[cur] = ' ';
				memcpy(f->value + cur + 1, line + k, add);
				f->value[cur + 1 + add] = '\0';
			}
			pos = next;
			first = false;
			continue;
		}
		if (first && n >= 5 && memcmp(line, "From ", 5) == 0) {
			pos = next;  /* an mbox separator */
			first = false;
			continue;
		}
		size_t colon = 0;
		while (colon < n && line[colon] != ':' && line[colon] > 0x20 && line[colon] < 0x7f)
			colon++;
		if (colon == 0 || colon >= n || line[colon] != ':')
			break;  /* not a header field: the body starts here */
		first = false;
		p->has_headers = true;
		if (p->nfields < MIME_FIELDS_MAX) {
			if (p->nfields == cap) {
				cap = cap ? cap * 2 : 16;
				p->fields = xreallocarray(p->fields, cap, sizeof *p->fields);
			}
			struct mime_field *f = &p->fields[p->nfields++];
			f->name = xmalloc(colon + 1);
			memcpy(f->name, line, colon);
			f->name[colon] = '\0';
			size_t k = colon + 1;
			while (k < n && is_wsp(line[k]))
				k++;
			size_t vl = n - k > MIME_FIELD_MAX - 1 ? MIME_FIELD_MAX - 1 : n - k;
			f->value = xmalloc(vl + 1);
			memcpy(f->value, line + k, vl);
			f->value[vl] = '\0';
		}
		pos = next;
	}
	strbuf_free(&val);
	/* trailing white space of each value, left by folding */
	for (size_t i = 0; i < p->nfields; i++) {
		size_t l = strlen(p->fields[i].value);
		while (l > 0 && is_wsp(p->fields[i].value[l - 1]))
			p->fields[i].value[--l] = '\0';
	}
	return p->has_headers || blank ? pos : 0;
}

const char *mime_field(const struct mime_part *p, const char *name)
{
	for (size_t i = 0; i < p->nfields; i++)
		if (strcasecmp(p->fields[i].name, name) == 0)
			return p->fields[i].value;
	return NULL;
}

bool mime_param(const char *value, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = value ? strchr(value, ';') : NULL;
	while (p) {
		p++;
		while (is_wsp(*p))
			p++;
		if (strncasecmp(p, name, nl) == 0) {
			const char *q = p + nl;
			while (is_wsp(*q))
				q++;
			if (*q == '=') {
				q++;
				while (is_wsp(*q))
					q++;
				size_t n = 0;
				if (*q == '"') {
					q++;
					while (*q && *q != '"' && n < outsz - 1) {
						if (*q == '\\' && q[1])
							q++;
						out[n++] = *q++;
					}
				} else {
					while (*q && *q != ';' && !is_wsp(*q) && n < outsz - 1)
						out[n++] = *q++;
				}
				out[n] = '\0';
				return true;
			}
		}
		/* next parameter: skip a quoted value that may hold ';' */
		bool quoted = false;
		while (*p && (quoted || *p != ';')) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '\\' && quoted && p[1])
				p++;
			p++;
		}
		p = *p ? p : NULL;
	}
	return false;
}

static void value_token(const char *value, char *out, size_t outsz)
{
	size_t n = 0;
	const char *v = value ? value : "";
	while (is_wsp(*v))
		v++;
	while (*v && *v != ';' && !is_wsp(*v) && n < outsz - 1)
		out[n++] = lower(*v++);
	out[n] = '\0';
}

static void read_entity(struct reader *r, const char *buf, size_t len, int parent, int depth, int enclosed);

/* Transfer decoding of a body, bounded by what the reader may still hold. */
static void decode_body(struct reader *r, const char *cte, const char *s, size_t len, struct strbuf *out)
{
	if (strcmp(cte, "base64") == 0)
		mime_base64_decode(s, len, out);
	else if (strcmp(cte, "quoted-printable") == 0)
		mime_qp_decode(s, len, out);
	else
		strbuf_append(out, s, len);  /* 7bit, 8bit, binary, and unknown ones */
	(void)r;
}

static bool boundary_line(const char *line, size_t n, const char *b, size_t bl, bool *close)
{
	if (n < bl + 2 || line[0] != '-' || line[1] != '-' || memcmp(line + 2, b, bl) != 0)
		return false;
	size_t k = bl + 2;
	*close = n >= k + 2 && line[k] == '-' && line[k + 1] == '-';
	if (*close)
		k += 2;
	while (k < n && is_wsp(line[k]))
		k++;
	return k == n;
}

/* The parts of a multipart body; false when no delimiter is there (then it is read as text). */
static bool split_multipart(struct reader *r, const char *body, size_t len, const char *b, int parent, int depth,
                            int enclosed)
{
	size_t bl = strlen(b);
	if (bl == 0)
		return false;
	bool found = false;
	bool have_start = false;
	size_t start = 0;
	for (size_t pos = 0; pos < len;) {
		size_t next;
		size_t n = line_at(body, len, pos, &next);
		bool close;
		if (boundary_line(body + pos, n, b, bl, &close)) {
			found = true;
			if (have_start) {
				/* the line end before the delimiter belongs to it */
				size_t end = pos;
				if (end > start && body[end - 1] == '\n')
					end--;
				if (end > start && body[end - 1] == '\r')
					end--;
				read_entity(r, body + start, end - start, parent, depth, enclosed);
			}
			if (close) {
				have_start = false;
				break;
			}
			have_start = true;
			start = next;
		}
		pos = next;
	}
	if (have_start && start < len)  /* no closing delimiter: the last part runs to the end */
		read_entity(r, body + start, len - start, parent, depth, enclosed);
	return found;
}

static bool is_text_like(const char *type)
{
	return strncmp(type, "text/", 5) == 0 || strcmp(type, "message/delivery-status") == 0 ||
	       strcmp(type, "message/global-delivery-status") == 0 || strcmp(type, "message/feedback-report") == 0 ||
	       strcmp(type, "message/global-headers") == 0;
}

static void read_entity(struct reader *r, const char *buf, size_t len, int parent, int depth, int enclosed)
{
	struct mime_message *m = r->m;
	if (m->nparts >= MIME_PARTS_MAX || depth > MIME_DEPTH_MAX) {
		m->truncated = true;
		return;
	}
	m->parts = xreallocarray(m->parts, m->nparts + 1, sizeof *m->parts);
	int idx = (int)m->nparts++;
	struct mime_part *p = &m->parts[idx];
	memset(p, 0, sizeof *p);
	p->parent = parent;
	p->depth = depth;
	p->enclosed = enclosed;
	size_t body = read_headers(buf, len, p);
	const char *ct = mime_field(p, "Content-Type");
	value_token(ct, p->type, sizeof p->type);
	if (!strchr(p->type, '/'))
		snprintf(p->type, sizeof p->type, "text/plain");
	char cs[48] = "";
	if (mime_param(ct, "charset", cs, sizeof cs))
		value_token(cs, p->charset, sizeof p->charset);
	char cte[32];
	value_token(mime_field(p, "Content-Transfer-Encoding"), cte, sizeof cte);
	const char *raw = buf + body;
	size_t rawlen = len - body;

	if (strncmp(p->type, "multipart/", 10) == 0) {
		char b[256];
		if (depth < MIME_DEPTH_MAX && mime_param(ct, "boundary", b, sizeof b) &&
		    split_multipart(r, raw, rawlen, b, idx, depth + 1, enclosed))
			return;
		/* no boundary, or none found: what is there is the text */
		p = &r->m->parts[idx];
		snprintf(p->type, sizeof p->type, "text/plain");
	}
	if (strcmp(p->type, "message/rfc822") == 0 || strcmp(p->type, "message/global") == 0) {
		if (depth < MIME_DEPTH_MAX) {
			struct strbuf inner = STRBUF_INIT;
			decode_body(r, cte, raw, rawlen, &inner);
			read_entity(r, strbuf_str(&inner), inner.len, idx, depth + 1, enclosed + 1);
			/* the message as it is, for a reader that wants it whole (a bounce forwarded as an attachment) */
			p = &r->m->parts[idx];
			size_t keep = inner.len < r->budget ? inner.len : r->budget;
			strbuf_append(&p->body, strbuf_str(&inner), keep);
			r->budget -= keep;
			strbuf_free(&inner);
		}
		return;
	}
	struct strbuf dec = STRBUF_INIT;
	decode_body(r, cte, raw, rawlen, &dec);
	p = &r->m->parts[idx];
	size_t keep = dec.len;
	if (keep > r->budget) {
		keep = r->budget;
		m->truncated = true;
	}
	if (is_text_like(p->type)) {
		const char *cset = strcmp(p->type, "message/global-delivery-status") == 0 ? "utf-8" : p->charset;
		mime_to_utf8(cset, strbuf_str(&dec), keep, &p->body);
	} else {
		strbuf_append(&p->body, strbuf_str(&dec), keep);
	}
	r->budget -= keep;
	strbuf_free(&dec);
}

void mime_parse(const char *buf, size_t len, struct mime_message *out)
{
	memset(out, 0, sizeof *out);
	struct reader r = { out, len * 2 + 65536 };
	size_t start = mime_mbox_last(buf, len);
	read_entity(&r, buf + start, len - start, -1, 0, 0);
}

void mime_free(struct mime_message *m)
{
	for (size_t i = 0; i < m->nparts; i++) {
		struct mime_part *p = &m->parts[i];
		for (size_t k = 0; k < p->nfields; k++) {
			free(p->fields[k].name);
			free(p->fields[k].value);
		}
		free(p->fields);
		strbuf_free(&p->body);
	}
	free(m->parts);
	memset(m, 0, sizeof *m);
}
