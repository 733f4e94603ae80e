/* reply.c - incremental SMTP reply reader (see reply.h). */
#include "reply.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

static const struct {
	enum reply_note note;
	const char *text;
} note_texts[] = {
	{ REPLY_NOTE_BARE_LF, N_("reply line ended in a bare LF instead of CRLF") },
	{ REPLY_NOTE_LINE_CUT, N_("overlong reply line cut at 1000 octets") },
	{ REPLY_NOTE_NON_ASCII, N_("reply holds bytes that are not ASCII") },
	{ REPLY_NOTE_CONTROL, N_("reply holds control characters") },
	{ REPLY_NOTE_ENHANCED_MISMATCH, N_("enhanced status code class differs from the reply code") },
	{ REPLY_NOTE_NONSTANDARD_CODE, N_("the reply code is outside RFC 5321's grammar") },
};

const char *reply_note_text(enum reply_note note)
{
	for (size_t i = 0; i < sizeof note_texts / sizeof note_texts[0]; i++)
		if (note_texts[i].note == note)
			return note_texts[i].text;
	return N_("reply anomaly");
}

void reply_reader_init(struct reply_reader *rr)
{
	memset(rr, 0, sizeof *rr);
}

void reply_free(struct reply *r)
{
	strbuf_free(&r->text);
	memset(r, 0, sizeof *r);
}

void reply_reader_free(struct reply_reader *rr)
{
	reply_free(&rr->reply);
}

void reply_reader_next(struct reply_reader *rr)
{
	struct strbuf keep = rr->reply.text;
	strbuf_reset(&keep);
	memset(&rr->reply, 0, sizeof rr->reply);
	rr->reply.text = keep;
}

void reply_copy(struct reply *dst, const struct reply *src)
{
	struct strbuf t = STRBUF_INIT;
	strbuf_append(&t, strbuf_str(&src->text), src->text.len);
	reply_free(dst);
	*dst = *src;
	dst->text = t;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* digits "1*3DIGIT" for subject and detail, RFC 3463. */
static size_t digits(const char *s, size_t len, size_t max)
{
	size_t n = 0;
	while (n < len && n < max && is_digit(s[n]))
		n++;
	if (n < len && is_digit(s[n]))
		return 0; /* too many digits */
	return n;
}

size_t reply_enhanced_len(const char *s, size_t len)
{
	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	size_t i = 2;
	size_t n = digits(s + i, len - i, 3);
	if (n == 0)
		return 0;
	i += n;
	if (i >= len || s[i] != '.')
		return 0;
	i++;
	n = digits(s + i, len - i, 3);
	if (n == 0)
		return 0;
	i += n;
	if (i < len && s[i] != ' ' && s[i] != '\t')
		return 0;
	return i;
}

/* fmt ends with the excerpt's "%s"; a and b fill its %d's, if any. */
static enum reply_status fail(struct reply_reader *rr, const char *fmt, const char *line, size_t len, int a, int b)
{
	/* Keep a short, printable excerpt of the offending line as evidence. */
	char excerpt[64];
	size_t n = 0;
	for (size_t i = 0; i < len && n < sizeof excerpt - 1; i++) {
		unsigned char c = (unsigned char)line[i];
		excerpt[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	excerpt[n] = '\0';
	if (len > n)
		snprintf(excerpt + (n > sizeof excerpt - 4 ? sizeof excerpt - 4 : n), 4, "...");
	if (strstr(fmt, "%d"))
		msg_set(&rr->error, fmt, "dds", a, b, excerpt);
	else
		msg_set(&rr->error, fmt, "s", excerpt);
	return REPLY_BAD;
}

/* One complete line (without its line ending). Returns DONE after the last line of a reply. */
static enum reply_status take_line(struct reply_reader *rr, const char *line, size_t len)
{
	struct reply *r = &rr->reply;

	if (rr->on_line)
		rr->on_line(rr->ctx, line, len);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c >= 0x80)
			r->notes |= REPLY_NOTE_NON_ASCII;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			r->notes |= REPLY_NOTE_CONTROL;
	}

	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
	    line[0] < '2' || line[0] > '5')
		return fail(rr, N_("not an SMTP reply: \"%s\""), line, len, 0, 0);
	/*
	 * RFC 5321 allows only 0-5 as the second digit, but servers answer 571,
	 * 554x-style site codes and the like: the first digit still says what
	 * happened, so read the reply and say so.
	 */
	if (line[1] > '5')
		r->notes |= REPLY_NOTE_NONSTANDARD_CODE;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return fail(rr, N_("not an SMTP reply: \"%s\""), line, len, 0, 0);

	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return fail(rr, N_("reply code changed from %d to %d within one reply: \"%s\""), line, len, r->code, code);
	if (++r->nlines > REPLY_LINES_MAX)
		return fail(rr, N_("reply has too many lines: \"%s\""), line, len, 0, 0);
	r->code = code;

	const char *text = len > 4 ? line + 4 : line + len;
	size_t tlen = len > 4 ? len - 4 : 0;
	size_t elen = reply_enhanced_len(text, tlen);
	if (elen > 0 && elen < sizeof r->enhanced) {
		if (text[0] != line[0]) {
			r->notes |= REPLY_NOTE_ENHANCED_MISMATCH;
		} else {
			if (r->enhanced[0] == '\0') {
				memcpy(r->enhanced, text, elen);
				r->enhanced[elen] = '\0';
			}
			text += elen;
			tlen -= elen;
			while (tlen > 0 && (*text == ' ' || *text == '\t')) {
				text++;
				tlen--;
			}
		}
	}
	if (r->nlines > 1)
		strbuf_putc(&r->text, '\n');
	strbuf_append(&r->text, text, tlen);

	bool last = len == 3 || line[3] == ' ';
	return last ? REPLY_DONE : REPLY_MORE;
}

enum reply_status reply_reader_feed(struct reply_reader *rr, const char *buf, size_t len, size_t *used)
{
	size_t pos = 0;
	*used = 0;
	while (pos < len) {
		const char *start = buf + pos;
		size_t avail = len - pos;
		const char *lf = memchr(start, '\n', avail);

		if (rr->discarding) {
			if (!lf) {
				*used = len;
				return REPLY_MORE;
			}
			rr->discarding = false;
			pos += (size_t)(lf - start) + 1;
			continue;
		}

		size_t linelen;
		size_t advance;
		if (!lf) {
			if (avail <= REPLY_LINE_MAX) {
				*used = pos;
				return REPLY_MORE;
			}
			/* No end in sight: cut here and drop the rest of the line when it comes. */
			linelen = REPLY_LINE_MAX;
			advance = avail;
			rr->discarding = true;
			rr->reply.notes |= REPLY_NOTE_LINE_CUT;
		} else {
			linelen = (size_t)(lf - start);
			advance = linelen + 1;
			if (linelen > 0 && start[linelen - 1] == '\r')
				linelen--;
			else
				rr->reply.notes |= REPLY_NOTE_BARE_LF;
			if (linelen > REPLY_LINE_MAX) {
				linelen = REPLY_LINE_MAX;
				rr->reply.notes |= REPLY_NOTE_LINE_CUT;
			}
		}
		pos += advance;
		enum reply_status st = take_line(rr, start, linelen);
		if (st != REPLY_MORE) {
			*used = pos;
			return st;
		}
	}
	*used = pos;
	return REPLY_MORE;
}
