/* text.h - small pure helpers on octet strings shared by the tables and readers. */
#ifndef SMTPPROBE_TEXT_H
#define SMTPPROBE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * FNV-1a over len octets: the hash of every open-addressing table here, and
 * of --shard (so it must not change: a shard is the same on every machine
 * and every version).
 */
uint64_t text_hash(const char *s, size_t len);
/* The same over a NUL-terminated name, ASCII letters folded to lower case (domains). */
uint64_t text_hash_folded(const char *s);
/* The value of one hexadecimal digit, or -1. */
int text_hexval(char c);

#endif
