/*
 * json.h - a small JSON writer for JSON Lines output.
 *
 * Strings are written as valid UTF-8 whatever bytes they hold: invalid
 * sequences become U+FFFD (one per byte), control characters (C0, DEL, C1)
 * and the invisible characters of utf8_is_invisible() (bidi overrides,
 * zero-width and line separators) \uXXXX escapes, a surrogate pair above
 * U+FFFF. A server may send anything, so nothing a terminal would act on
 * ever reaches the output unescaped.
 */
#ifndef SMTPPROBE_JSON_H
#define SMTPPROBE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct json {
	struct strbuf *out;
	int depth;
	bool after_key;      /* a key was written: its value needs no comma */
	bool need_comma[32]; /* per depth: a value was already written there */
};

void json_init(struct json *j, struct strbuf *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
/* Inside an object: write "key": and then exactly one value. */
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Append `len` bytes as a JSON string literal (quotes included) to sb. */
void json_escape(struct strbuf *sb, const char *s, size_t len);

#endif
