/* mem.c - allocation that cannot fail for the caller (see mem.h). */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void mem_fail(void)
{
	static const char line[] = "smtpprobe: out of memory\n";
	/* write(2): stdio may need the memory that ran out. */
	ssize_t n = write(STDERR_FILENO, line, sizeof line - 1);
	(void)n;
	_exit(70);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		mem_fail();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		mem_fail();
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		mem_fail();
	size_t total = n * size;
	void *q = realloc(p, total ? total : 1);
	if (!q)
		mem_fail();
	return q;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		mem_fail();
	return d;
}
