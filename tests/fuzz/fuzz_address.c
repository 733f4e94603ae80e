/*
 * Fuzz target: the address parser. Whatever comes in, an accepted address
 * formats into something with no control characters, spaces outside
 * quotes or CR/LF - it is about to be written into an SMTP command.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address a;
	enum addr_error e = addr_parse((const char *)data, size, size & 1, &a);
	if (e != ADDR_OK)
		return 0;
	char buf[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	if (!a.is_null && !addr_format(&a, buf, sizeof buf))
		abort();
	if (a.is_null)
		return 0;
	for (const char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
	if (strlen(a.local) > ADDR_LOCAL_MAX || strlen(a.domain) > ADDR_DOMAIN_MAX)
		abort();
	return 0;
}
