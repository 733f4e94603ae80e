/*
 * taglist.h - the "v=VERSION; name=value; ..." records that MTA-STS
 * (RFC 8461 3.1) and TLS-RPT (RFC 8460 3) publish in DNS TXT share one
 * grammar: a version tag first, fields split by *WSP ";" *WSP, an optional
 * final ";", extension fields name=value with the same character sets.
 * This reads that grammar; each record's parser judges its own fields.
 * Pure functions on buffers; messages are English evidence for reports.
 */
#ifndef SMTPPROBE_TAGLIST_H
#define SMTPPROBE_TAGLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "txt.h"

/*
 * Which of n TXT records is the candidate (it starts with the version tag,
 * and the tag ends there): returns how many are (0, 1 or
 * more) and sets *pick to the last one, -1 when none.
 */
int taglist_pick(const struct txt_record *txt, int n, const char *version, int *pick);

struct taglist {
	const char *buf;
	size_t len, pos;
	int field;          /* the field's number in the record, the version being 1 */
};

struct tag {
	const char *name, *value;
	size_t nlen, vlen;
};

/*
 * Start after the version tag (a candidate's); false with err set when
 * the record is no candidate or holds a NUL byte.
 */
bool taglist_begin(struct taglist *tl, const char *buf, size_t len, const char *version, char *err, size_t errsz);
/*
 * The next field named name (1, *t set; names compare exactly, as both
 * RFCs write %s"..."), passing over valid extension fields; 0 at the end;
 * -1 with err set on a bad delimiter, a field without '=' or an invalid
 * extension. A record has one field of its own (MTA-STS id, TLS-RPT rua).
 */
int taglist_next_named(struct taglist *tl, const char *name, struct tag *t, char *err, size_t errsz);
/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."): MTA-STS policy keys share it */
bool taglist_ext_name_ok(const char *s, size_t len);
/* How much of a field an error message quotes. */
int taglist_clip(size_t n);

#endif
