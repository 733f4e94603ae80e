/*
 * Fuzz target: an MX answer as the ares_query callback gets it, through
 * c-ares' own parser (ares_parse_mx_reply) and smtpprobe's reading of it
 * (dns_mx_from_answer in dns.c): at most DNS_MX_MAX hosts, each a C string
 * that fits, the null MX as "", OK only with hosts.
 */
#include <ares.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	struct dns_mx mx[DNS_MX_MAX];
	memset(mx, 0xa5, sizeof mx);
	int n = -1;
	const char *why = (const char *)1;
	enum dns_status st = dns_mx_from_answer(ARES_SUCCESS, data, (int)size, mx, &n, &why);
	if (n < 0 || n > DNS_MX_MAX || (st == DNS_OK) != (n > 0))
		abort();
	if (st != DNS_OK && st != DNS_NODATA && st != DNS_ERROR)
		abort();
	if (st == DNS_ERROR ? !why : why != NULL)
		abort();
	for (int i = 0; i < n; i++) {
		if (strnlen(mx[i].host, sizeof mx[i].host) == sizeof mx[i].host || strcmp(mx[i].host, ".") == 0)
			abort();
		if (mx[i].preference < 0 || mx[i].preference > 65535)
			abort();
	}
	/* A failed query never reaches the parser. */
	dns_mx_from_answer(ARES_ESERVFAIL, data, (int)size, mx, &n, &why);
	if (n != 0)
		abort();
	return 0;
}
