/*
 * input.h - addresses as people paste them (pure, no I/O). One line may
 * hold several addresses separated by ',' or ';', each of them
 *
 *   alice@example.org                      plain
 *   Alice Example <alice@example.org>      RFC 5322 name-addr
 *   "Example, Alice" <alice@example.org>   a quoted display name (its comma does not split)
 *   Example, Alice <alice@example.org>     an unquoted "Last, First" name, as mail clients show it
 *   alice@example.org (Alice)              a comment
 *   mailto:alice@example.org?subject=hi    an RFC 6068 URI (the query is ignored, %XX decoded)
 *
 * input_split() finds the pieces, input_address() the address to probe in
 * one piece. The output shows the piece as given; what is probed is the
 * address. A piece in none of these forms is passed on as it is, so that
 * the probe reports it as an invalid address; so is any piece with a
 * control character, which no extraction may hide.
 */
#ifndef SMTPPROBE_INPUT_H
#define SMTPPROBE_INPUT_H

#include <stddef.h>

/* Longer lines are not split: each is one invalid address (see main.c). */
#define INPUT_LINE_MAX 4096

/*
 * Call fn(ctx, piece, plen) for each address of line[0..len), in order,
 * with the piece as given, blanks around it trimmed; empty pieces (",,")
 * are skipped. Returns how many pieces fn got.
 */
size_t input_split(const char *line, size_t len,
                   void (*fn)(void *ctx, const char *addr, size_t alen), void *ctx);

/*
 * The address to probe in piece[0..len), written to buf (NUL-terminated;
 * bufsz >= len + 1 always suffices: it never grows). Returns its length.
 */
size_t input_address(const char *piece, size_t len, char *buf, size_t bufsz);

/* 3 when s[0..len) starts with a UTF-8 byte order mark, else 0. */
size_t input_bom(const char *s, size_t len);

#endif
