/* msg.c - messages kept as format and arguments (see msg.h). */
#include "msg.h"

#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"

void msg_clear(struct msg *m)
{
	memset(m, 0, sizeof *m);
}

void msg_set(struct msg *m, const char *fmt, const char *kinds, ...)
{
	va_list ap;
	va_start(ap, kinds);
	msg_vset(m, fmt, kinds, ap);
	va_end(ap);
}

void msg_vset(struct msg *m, const char *fmt, const char *kinds, va_list ap)
{
	msg_clear(m);
	m->fmt = fmt;
	for (const char *k = kinds; *k && m->nargs < MSG_ARGS_MAX; k++) {
		struct msg_arg *a = &m->args[m->nargs++];
		a->kind = *k;
		switch (*k) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			snprintf(a->s, sizeof a->s, "%s", s ? s : "");
			break;
		}
		case 'd':
		case 'e':
			a->n = va_arg(ap, int);
			break;
		case 'u':
			a->u = va_arg(ap, uint64_t);
			break;
		case 't':
			a->lit = va_arg(ap, const char *);
			break;
		default:
			a->kind = 's';
			break;
		}
	}
}

/* strerror in English whatever LC_MESSAGES says: JSON is for programs. */
static const char *strerror_english(int err)
{
	static locale_t c_locale;
	if (!c_locale)
		c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return c_locale ? strerror_l(err, c_locale) : strerror(err);
}

static void put_arg(const struct msg_arg *a, bool translate, struct strbuf *out)
{
	switch (a->kind) {
	case 'd':
		strbuf_printf(out, "%" PRId64, a->n);
		break;
	case 'u':
		strbuf_printf(out, "%" PRIu64, a->u);
		break;
	case 'e':
		strbuf_puts(out, translate ? strerror((int)a->n) : strerror_english((int)a->n));
		break;
	case 't':
		/* gettext("") would be the catalogue's header */
		strbuf_puts(out, a->lit && a->lit[0] && translate ? _(a->lit) : a->lit ? a->lit : "");
		break;
	default:
		strbuf_puts(out, a->s);
		break;
	}
}

void msg_format(const struct msg *m, bool translate, struct strbuf *out)
{
	if (!m->fmt)
		return;
	const char *f = translate && m->fmt[0] ? _(m->fmt) : m->fmt;
	int next = 0;
	for (const char *p = f; *p; p++) {
		if (p[0] != '%') {
			strbuf_putc(out, *p);
			continue;
		}
		if (p[1] == '%') {
			strbuf_putc(out, '%');
			p++;
		} else if ((p[1] == 's' || p[1] == 'd') && next < m->nargs) {
			put_arg(&m->args[next++], translate, out);
			p++;
		} else {
			strbuf_putc(out, '%');
		}
	}
}

bool msg_equal(const struct msg *a, const struct msg *b)
{
	if (a->fmt != b->fmt && (!a->fmt || !b->fmt || strcmp(a->fmt, b->fmt) != 0))
		return false;
	if (a->nargs != b->nargs)
		return false;
	for (int i = 0; i < a->nargs; i++) {
		const struct msg_arg *x = &a->args[i], *y = &b->args[i];
		if (x->kind != y->kind || x->n != y->n || x->u != y->u || x->lit != y->lit || strcmp(x->s, y->s) != 0)
			return false;
	}
	return true;
}
