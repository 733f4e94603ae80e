/*
 * msg.h - a message for people, kept as its English format and its
 * arguments until a renderer shows it: the text report translates it, JSON
 * keeps it English. No locale is switched anywhere for this.
 *
 * Formats are printf-like but only "%s", "%d" and "%%" are understood;
 * every argument is typed when it is set:
 *   's'  a string (copied, cut to MSG_ARG_LEN)
 *   'd'  an int
 *   'u'  a uint64_t
 *   'e'  an errno value (strerror, in English or in the user's language)
 *   't'  a translatable literal (N_()), e.g. a step label
 * The format must be marked with N_() so xgettext sees it.
 */
#ifndef SMTPPROBE_MSG_H
#define SMTPPROBE_MSG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

#define MSG_ARGS_MAX 4
#define MSG_ARG_LEN 256

struct msg_arg {
	char kind;                    /* 's', 'd', 'u', 'e', 't' */
	int64_t n;
	uint64_t u;
	const char *lit;              /* 't' */
	char s[MSG_ARG_LEN];          /* 's' */
};

struct msg {
	const char *fmt;              /* NULL: no message */
	int nargs;
	struct msg_arg args[MSG_ARGS_MAX];
};

/* Set m; kinds holds one letter per argument ("sd" for a string and an int). */
void msg_set(struct msg *m, const char *fmt, const char *kinds, ...);
void msg_vset(struct msg *m, const char *fmt, const char *kinds, va_list ap);
void msg_clear(struct msg *m);
static inline bool msg_empty(const struct msg *m)
{
	return !m->fmt;
}
/* Append m to out, translated or in English. */
void msg_format(const struct msg *m, bool translate, struct strbuf *out);
/* The same messages with the same arguments (notes are kept once). */
bool msg_equal(const struct msg *a, const struct msg *b);

#endif
