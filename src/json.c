/* json.c - JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>
#include <string.h>

#include "utf8.h"

/* \uXXXX, or a surrogate pair above U+FFFF (RFC 8259 7). */
static void escape_cp(struct strbuf *sb, uint32_t cp)
{
	if (cp < 0x10000) {
		strbuf_printf(sb, "\\u%04x", (unsigned)cp);
		return;
	}
	cp -= 0x10000;
	strbuf_printf(sb, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)), (unsigned)(0xdc00 + (cp & 0x3ff)));
}

void json_escape(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	strbuf_putc(sb, '"');
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			strbuf_putc(sb, '\\');
			strbuf_putc(sb, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': strbuf_puts(sb, "\\n"); break;
			case '\r': strbuf_puts(sb, "\\r"); break;
			case '\t': strbuf_puts(sb, "\\t"); break;
			default: strbuf_printf(sb, "\\u%04x", c); break;
			}
			i++;
		} else if (c < 0x80) {
			strbuf_putc(sb, (char)c);
			i++;
		} else {
			uint32_t cp;
			size_t n = utf8_seq_len(p + i, len - i, &cp);
			if (n == 0) {
				/* A server may send Latin-1 or binary; the output stays valid JSON. */
				strbuf_puts(sb, "\xef\xbf\xbd");
				i++;
			} else if (utf8_unsafe(cp)) {
				/* C1 controls, bidi overrides and the like: valid JSON, but not for a terminal. */
				escape_cp(sb, cp);
				i += n;
			} else {
				strbuf_append(sb, (const char *)p + i, n);
				i += n;
			}
		}
	}
	strbuf_putc(sb, '"');
}

static void json_value_prefix(struct json *j)
{
	if (j->depth > 0 && j->need_comma[j->depth] && !j->after_key)
		strbuf_putc(j->out, ',');
	j->after_key = false;
	j->need_comma[j->depth] = true;
}

void json_init(struct json *j, struct strbuf *out)
{
	j->out = out;
	j->depth = 0;
	j->after_key = false;
	for (size_t i = 0; i < sizeof j->need_comma / sizeof j->need_comma[0]; i++)
		j->need_comma[i] = 0;
}

static void json_open(struct json *j, char c)
{
	json_value_prefix(j);
	strbuf_putc(j->out, c);
	if (j->depth < (int)(sizeof j->need_comma / sizeof j->need_comma[0]) - 1)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

static void json_close(struct json *j, char c)
{
	strbuf_putc(j->out, c);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j) { json_open(j, '{'); }
void json_object_end(struct json *j) { json_close(j, '}'); }
void json_array_begin(struct json *j) { json_open(j, '['); }
void json_array_end(struct json *j) { json_close(j, ']'); }

void json_key(struct json *j, const char *key)
{
	json_value_prefix(j);
	json_escape(j->out, key, strlen(key));
	strbuf_putc(j->out, ':');
	j->after_key = true;
}

void json_string_n(struct json *j, const char *s, size_t len)
{
	json_value_prefix(j);
	json_escape(j->out, s, len);
}

void json_string(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_string_n(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	json_value_prefix(j);
	strbuf_printf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	json_value_prefix(j);
	strbuf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_value_prefix(j);
	strbuf_puts(j->out, "null");
}
