/*
 * Fuzz target: a DNS answer packet read by dns_answer_names (dns_answer.c),
 * the audit's CNAME and PTR reader: never past the end, at most max names,
 * each a C string that fits, without a root dot (an escaped dot in
 * a label may end it); -1 or a count.
 */
#include <arpa/nameser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	/* a copy of exactly size bytes, so that ASan sees any read past the end */
	unsigned char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	static const int types[] = { ns_t_cname, ns_t_ptr, ns_t_ns };
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		char names[DNS_ANSWER_NAMES_MAX][256];
		memset(names, 0xa5, sizeof names);
		int max = (int)(t + 1) * 2;
		int n = dns_answer_names(p, (int)size, types[t], names, max);
		if (n < -1 || n > max)
			abort();
		for (int i = 0; i < n; i++) {
			size_t len = strnlen(names[i], sizeof names[i]);
			/* no root dot; a dot inside a label comes escaped ("m\\.") */
			if (len == sizeof names[i] || (len > 0 && names[i][len - 1] == '.' && (len < 2 || names[i][len - 2] != '\\')))
				abort();
		}
	}
	free(p);
	return 0;
}
