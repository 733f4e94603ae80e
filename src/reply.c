/* reply.c - incremental SMTP reply reader (see reply.h). */
#include "reply.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "utf8.h"

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
	{ REPLY_NOTE_INVISIBLE, N_("reply holds invisible characters (bidi controls, zero-width or format characters)") },
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
	strbuf_free(&rr->cut);
}

void reply_reader_next(struct reply_reader *rr)
{
	struct strbuf keep = rr->reply.text;
	strbuf_reset(&keep);
	memset(&rr->reply, 0, sizeof rr->reply);
	rr->reply.text = keep;
	/* A reply ends with a line, so no line is half read here. */
	rr->octets = 0;
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

/* fmt ends with the excerpt's "%s", after nints "%d"s filled by a and b. */
static enum reply_status fail(struct reply_reader *rr, const char *fmt, int nints, const char *line, size_t len,
			      int a, int b)
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
	if (nints == 2)
		msg_set(&rr->error, fmt, "dds", a, b, excerpt);
	else if (nints == 1)
		msg_set(&rr->error, fmt, "ds", a, excerpt);
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

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				r->notes |= REPLY_NOTE_CONTROL;
			i++;
			continue;
		}
		r->notes |= REPLY_NOTE_NON_ASCII;
		/* What a terminal would act on, hidden in UTF-8: C1 controls, bidi overrides. */
		uint32_t cp;
		size_t n = utf8_seq_len((const unsigned char *)line + i, len - i, &cp);
		if (n == 0) {
			i++;
			continue;
		}
		if (utf8_is_control(cp))
			r->notes |= REPLY_NOTE_CONTROL;
		else if (utf8_is_invisible(cp))
			r->notes |= REPLY_NOTE_INVISIBLE;
		i += n;
	}

	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
	    line[0] < '2' || line[0] > '5')
		return fail(rr, N_("not an SMTP reply: \"%s\""), 0, line, len, 0, 0);
	/*
	 * RFC 5321 allows only 0-5 as the second digit, but servers answer 571,
	 * 554x-style site codes and the like: the first digit still says what
	 * happened, so read the reply and say so.
	 */
	if (line[1] > '5')
		r->notes |= REPLY_NOTE_NONSTANDARD_CODE;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return fail(rr, N_("not an SMTP reply: \"%s\""), 0, line, len, 0, 0);

	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return fail(rr, N_("reply code changed from %d to %d within one reply: \"%s\""), 2, line, len, r->code, code);
	if (++r->nlines > REPLY_LINES_MAX)
		return fail(rr, N_("reply has too many lines: \"%s\""), 0, line, len, 0, 0);
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

/* Count n more octets of this reply; false once it passes REPLY_OCTETS_MAX. */
static bool count_octets(struct reply_reader *rr, size_t n)
{
	rr->octets += n;
	return rr->octets <= REPLY_OCTETS_MAX;
}

static enum reply_status too_long(struct reply_reader *rr, const char *line, size_t len)
{
	return fail(rr, N_("reply longer than %d octets: \"%s\""), 1, line, len, REPLY_OCTETS_MAX, 0);
}

/*
 * A line is taken only once its LF has come: a line longer than
 * REPLY_LINE_MAX keeps its first REPLY_LINE_MAX octets in rr->cut, the rest
 * is dropped as it arrives, and the line - maybe the last of its reply -
 * counts when it ends. So a reply is never complete in the middle of a
 * line, and what the server sends after it is never taken for the next
 * reply. An end that never comes is the caller's step timeout, or, sooner,
 * REPLY_OCTETS_MAX.
 */
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
				rr->cut_cr = start[avail - 1] == '\r';
				*used = len;
				if (!count_octets(rr, avail))
					return too_long(rr, rr->cut.data, rr->cut.len);
				return REPLY_MORE;
			}
			size_t advance = (size_t)(lf - start) + 1;
			bool cr = lf > start ? lf[-1] == '\r' : rr->cut_cr;
			pos += advance;
			if (!count_octets(rr, advance)) {
				*used = pos;
				return too_long(rr, rr->cut.data, rr->cut.len);
			}
			if (!cr)
				rr->reply.notes |= REPLY_NOTE_BARE_LF;
			rr->discarding = false;
			enum reply_status st = take_line(rr, rr->cut.data, rr->cut.len);
			strbuf_reset(&rr->cut);
			if (st != REPLY_MORE) {
				*used = pos;
				return st;
			}
			continue;
		}

		if (!lf) {
			if (avail <= REPLY_LINE_MAX) {
				*used = pos;
				return REPLY_MORE;
			}
			/* No end in sight: keep the start, drop the rest until the LF comes. */
			strbuf_reset(&rr->cut);
			strbuf_append(&rr->cut, start, REPLY_LINE_MAX);
			rr->discarding = true;
			rr->cut_cr = start[avail - 1] == '\r';
			rr->reply.notes |= REPLY_NOTE_LINE_CUT;
			*used = len;
			if (!count_octets(rr, avail))
				return too_long(rr, start, REPLY_LINE_MAX);
			return REPLY_MORE;
		}

		size_t linelen = (size_t)(lf - start);
		size_t advance = linelen + 1;
		if (linelen > 0 && start[linelen - 1] == '\r')
			linelen--;
		else
			rr->reply.notes |= REPLY_NOTE_BARE_LF;
		if (linelen > REPLY_LINE_MAX) {
			linelen = REPLY_LINE_MAX;
			rr->reply.notes |= REPLY_NOTE_LINE_CUT;
		}
		pos += advance;
		if (!count_octets(rr, advance)) {
			*used = pos;
			return too_long(rr, start, linelen);
		}
		enum reply_status st = take_line(rr, start, linelen);
		if (st != REPLY_MORE) {
			*used = pos;
			return st;
		}
	}
	*used = pos;
	return REPLY_MORE;
}
