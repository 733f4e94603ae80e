/*
 * strbuf.h - a growable byte buffer. Allocation failure aborts: smtpprobe is
 * a short-lived tool and every caller would only exit 70 anyway.
 */
#ifndef SMTPPROBE_STRBUF_H
#define SMTPPROBE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *data;   /* always NUL-terminated when data != NULL */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_append(struct strbuf *sb, const char *s, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes. */
void strbuf_consume(struct strbuf *sb, size_t n);
/* The same, and zero the bytes freed at the end (for buffers that held secrets). */
void strbuf_consume_wipe(struct strbuf *sb, size_t n);
/* Make room for at least n more bytes without moving later. */
void strbuf_reserve(struct strbuf *sb, size_t n);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* Return the content (or "" when empty) - never NULL. */
const char *strbuf_str(const struct strbuf *sb);

#endif
