/* utf8.c - strict UTF-8 sequence decoding and the code points unsafe on a terminal (see utf8.h). */
#include "utf8.h"

size_t utf8_seq_len(const unsigned char *s, size_t avail, uint32_t *cp)
{
	if (avail == 0)
		return 0;
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2; v = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3; v = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

bool utf8_is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Inclusive ranges, ascending; see utf8.h for why each is here. */
static const struct {
	uint32_t first, last;
} invisible[] = {
	{ 0x00ad, 0x00ad },   /* SOFT HYPHEN */
	{ 0x061c, 0x061c },   /* ARABIC LETTER MARK */
	{ 0x180e, 0x180e },   /* MONGOLIAN VOWEL SEPARATOR */
	{ 0x200b, 0x200b },   /* ZERO WIDTH SPACE */
	{ 0x200e, 0x200f },   /* LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK */
	{ 0x2028, 0x202e },   /* LINE/PARAGRAPH SEPARATOR, LRE RLE PDF LRO RLO */
	{ 0x2060, 0x206f },   /* WORD JOINER, invisible operators, LRI RLI FSI PDI, deprecated format */
	{ 0xfeff, 0xfeff },   /* ZERO WIDTH NO-BREAK SPACE (BOM) */
	{ 0xfff9, 0xfffb },   /* interlinear annotation */
	{ 0x1d173, 0x1d17a }, /* musical symbol format characters */
	{ 0xe0000, 0xe007f }, /* tags */
};

bool utf8_is_invisible(uint32_t cp)
{
	for (size_t i = 0; i < sizeof invisible / sizeof invisible[0] && cp >= invisible[i].first; i++)
		if (cp <= invisible[i].last)
			return true;
	return false;
}

bool utf8_unsafe(uint32_t cp)
{
	return utf8_is_control(cp) || utf8_is_invisible(cp);
}
