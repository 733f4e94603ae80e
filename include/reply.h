/*
 * reply.h - incremental reader for SMTP replies (RFC 5321 4.2), pure.
 *
 * Feed it bytes as they arrive; it hands back one complete reply at a time:
 * the code, the RFC 3463 enhanced status code when the server gives one, and
 * the text of every line. Real servers misbehave, so the reader is strict
 * about what breaks the protocol (a line that is not a reply, a code that
 * changes within one reply, too many lines or octets, a first digit other
 * than 2-5) and lenient, with a note, about what a mail client can live
 * with (bare LF, an overlong line - cut, but complete only at its end -,
 * bytes that are not ASCII, a code such as 571 whose second digit RFC 5321
 * does not allow).
 */
#ifndef SMTPPROBE_REPLY_H
#define SMTPPROBE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"
#include "strbuf.h"

#define REPLY_LINE_MAX 1000  /* RFC 5321 allows 512; longer lines are cut */
#define REPLY_LINES_MAX 200  /* more lines in one reply is a protocol error */
/*
 * More octets in one reply, line endings and the dropped part of cut lines
 * included, is a protocol error: an endless line ends here, not at the step
 * timeout. Real replies stay far below (a long EHLO is about 1 KiB).
 */
#define REPLY_OCTETS_MAX 65536

/* Anomalies seen while reading, as bit flags. */
enum reply_note {
	REPLY_NOTE_BARE_LF = 1 << 0,
	REPLY_NOTE_LINE_CUT = 1 << 1,
	REPLY_NOTE_NON_ASCII = 1 << 2,
	REPLY_NOTE_CONTROL = 1 << 3,           /* C0, DEL, or C1 as UTF-8 */
	REPLY_NOTE_ENHANCED_MISMATCH = 1 << 4, /* enhanced class differs from the code's */
	REPLY_NOTE_NONSTANDARD_CODE = 1 << 5,  /* second digit 6-9: outside RFC 5321 4.2's grammar */
	REPLY_NOTE_INVISIBLE = 1 << 6,         /* bidi controls, zero-width characters (utf8_is_invisible) */
};

struct reply {
	int code;             /* 200..599 (first digit 2-5; a second digit 6-9 is noted) */
	char enhanced[16];    /* "5.1.1", or "" when absent */
	struct strbuf text;   /* line texts joined by '\n', without code and enhanced code */
	int nlines;
	unsigned notes;       /* enum reply_note bits seen in this reply */
};

enum reply_status {
	REPLY_MORE,  /* need more bytes */
	REPLY_DONE,  /* rr->reply holds a complete reply */
	REPLY_BAD,   /* protocol error; rr->error says what */
};

struct reply_reader {
	struct reply reply;
	bool discarding;      /* inside an overlong line: drop bytes up to LF */
	bool cut_cr;          /* ... and the last octet dropped was a CR */
	struct strbuf cut;    /* ... whose first REPLY_LINE_MAX octets wait here for its end */
	size_t octets;        /* octets of the current reply so far */
	struct msg error;     /* after REPLY_BAD: what was wrong, with an excerpt */
	/* Called for every line as received (CRLF stripped, cut to REPLY_LINE_MAX). */
	void (*on_line)(void *ctx, const char *line, size_t len);
	void *ctx;
};

void reply_reader_init(struct reply_reader *rr);
void reply_reader_free(struct reply_reader *rr);
/* Forget the reply handed back by REPLY_DONE and start on the next one. */
void reply_reader_next(struct reply_reader *rr);

/*
 * Consume bytes from buf; *used says how many (the caller drops them).
 * Returns at the first complete reply, so call again while bytes remain.
 */
enum reply_status reply_reader_feed(struct reply_reader *rr, const char *buf, size_t len, size_t *used);

/* Human words for each note bit, e.g. "line ended in a bare LF": English, marked for translation. */
const char *reply_note_text(enum reply_note note);

/* Parse an RFC 3463 code ("5.1.1") at s; returns its length, or 0. */
size_t reply_enhanced_len(const char *s, size_t len);

void reply_copy(struct reply *dst, const struct reply *src);
void reply_free(struct reply *r);

#endif
