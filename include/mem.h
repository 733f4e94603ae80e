/*
 * mem.h - the one out-of-memory policy: allocation failure prints one line
 * and exits 70 (EX_SOFTWARE). smtpprobe is a short-lived tool; every caller
 * could only give up anyway, and strbuf does the same.
 */
#ifndef SMTPPROBE_MEM_H
#define SMTPPROBE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* What the policy does; strbuf.c calls it too. */
_Noreturn void mem_fail(void);

#endif
