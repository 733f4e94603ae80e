/*
 * utf8.h - decoding one UTF-8 sequence, strictly (no overlongs, no
 * surrogates, nothing above U+10FFFF), and which code points must not reach
 * a terminal as they are. Shared by the JSON writer, the text report's
 * sanitiser and the address parser's checks.
 */
#ifndef SMTPPROBE_UTF8_H
#define SMTPPROBE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid sequence at s (1..4), or 0 if the bytes there are not valid UTF-8. */
size_t utf8_seq_len(const unsigned char *s, size_t avail, uint32_t *cp);

/* C0 controls (U+0000..U+001F), DEL (U+007F) and C1 controls (U+0080..U+009F). */
bool utf8_is_control(uint32_t cp);

/*
 * Invisible characters that change how the text around them is shown or
 * hide text: the bidi controls (U+061C, U+200E/F, U+202A..E, U+2066..9,
 * which can reorder what a terminal shows, "Trojan Source"), line and
 * paragraph separators (U+2028/9), zero-width and other default-ignorable
 * format characters (U+00AD, U+180E, U+200B, U+2060..F, U+FEFF,
 * U+FFF9..B, U+1D173..A, the tags U+E0000..7F). Not the joiners U+200C/D:
 * Persian, Indic scripts, emoji and IDNA (CONTEXTJ) need them.
 */
bool utf8_is_invisible(uint32_t cp);

/* Unsafe to show on a terminal as it is: a control or an invisible character. */
bool utf8_unsafe(uint32_t cp);

#endif
