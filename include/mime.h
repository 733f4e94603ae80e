/*
 * mime.h - a pure, bounded MIME reader on a buffer (RFC 5322, 2045-2047):
 * header fields unfolded, multipart bodies split at their boundaries
 * (nested, a missing closing boundary tolerated), quoted-printable and
 * base64 decoded, text converted to UTF-8 from its charset, message/rfc822
 * parts read as messages of their own. Bounces are written by every kind
 * of software, so the reader is lenient and never trusts a length or a
 * count from the input: depth, parts, header fields and output size are
 * bounded (MIME_*_MAX), and what is beyond a bound is dropped, not an error.
 */
#ifndef SMTPPROBE_MIME_H
#define SMTPPROBE_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define MIME_DEPTH_MAX 8          /* multipart and message/rfc822 nesting */
#define MIME_PARTS_MAX 64         /* parts of one message, containers included */
#define MIME_FIELDS_MAX 256       /* header fields kept per part */
#define MIME_FIELD_MAX 16384      /* octets of one unfolded field value kept */

struct mime_field {
	char *name;     /* as written, NUL-terminated */
	char *value;    /* unfolded: line breaks and the white space around them as one space */
};

struct mime_part {
	int parent;               /* index of the enclosing part, -1 for the message */
	int depth;
	int enclosed;             /* how many message/rfc822 parts enclose it (0: the bounce itself) */
	char type[80];            /* "text/plain", lower case; text/plain when absent */
	char charset[48];         /* lower case, "" when absent */
	struct mime_field *fields;
	size_t nfields;
	bool has_headers;         /* a header block was found (a multipart's part may have none) */
	/*
	 * The body, transfer-decoded; text parts (and DSN parts) converted to
	 * UTF-8; a message/rfc822 part's is the enclosed message. Empty for multiparts.
	 */
	struct strbuf body;
};

struct mime_message {
	struct mime_part *parts;  /* parts[0] is the message itself, then depth first */
	size_t nparts;
	bool truncated;           /* a bound was reached: some parts were dropped */
};

/* Read len octets (CRLF or LF line ends). Cannot fail: unreadable structure becomes text. */
void mime_parse(const char *buf, size_t len, struct mime_message *out);
void mime_free(struct mime_message *m);

/* The first field of that name (case-insensitive), unfolded, or NULL. */
const char *mime_field(const struct mime_part *p, const char *name);

/* A parameter of a structured field ("boundary" in a Content-Type) into out; false when absent. */
bool mime_param(const char *value, const char *name, char *out, size_t outsz);

/* Decode RFC 2047 encoded words in s into UTF-8 (other bytes copied as they are). */
void mime_decode_words(const char *s, size_t len, struct strbuf *out);

/*
 * Convert len octets in charset to UTF-8, appended to out. An unknown
 * charset, or bytes invalid in it, are read as Windows-1252 when they are
 * not valid UTF-8; never fails.
 */
void mime_to_utf8(const char *charset, const char *s, size_t len, struct strbuf *out);

/* Transfer decodings, appended to out. Lenient: bad characters are skipped. */
void mime_base64_decode(const char *s, size_t len, struct strbuf *out);
void mime_qp_decode(const char *s, size_t len, struct strbuf *out);

/* HTML to plain text, crudely: tags dropped, block ends as line breaks, common entities. */
void mime_html_to_text(const char *s, size_t len, struct strbuf *out);

/*
 * An mbox ("From " lines between messages): the offset of the last
 * message's first header line. A buffer that does not start with "From "
 * is one message: 0.
 */
size_t mime_mbox_last(const char *buf, size_t len);

#endif
