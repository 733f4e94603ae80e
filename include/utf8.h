/*
 * utf8.h - decoding one UTF-8 sequence, strictly (no overlongs, no
 * surrogates, nothing above U+10FFFF). Shared by the JSON writer, the text
 * report's sanitiser and the address parser's checks.
 */
#ifndef SMTPPROBE_UTF8_H
#define SMTPPROBE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid sequence at s (1..4), or 0 if the bytes there are not valid UTF-8. */
size_t utf8_seq_len(const unsigned char *s, size_t avail, uint32_t *cp);

#endif
