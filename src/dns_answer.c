/* dns_answer.c - pure readers of DNS answer packets (see dns_answer.h). */
#include "dns_answer.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name at p (maybe compressed) into out; its length in the packet in *used. */
static bool read_name(const unsigned char *p, const unsigned char *abuf, int alen, char *out, size_t outsz, long *used)
{
	char *name = NULL;
	long len = 0;
	if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
		return false;
	size_t n = strlen(name);
	/* c-ares writes no root dot, but a dot inside a label comes back escaped ("m\\."): keep that one */
	if (n > 0 && name[n - 1] == '.' && !(n > 1 && name[n - 2] == '\\'))
		name[--n] = '\0';
	bool ok = n < outsz;
	if (ok)
		memcpy(out, name, n + 1);
	ares_free_string(name);
	*used = len;
	return ok;
}

int dns_answer_names(const unsigned char *abuf, int alen, int type, char (*names)[256], int max)
{
	if (!abuf || alen < NS_HFIXEDSZ)
		return -1;
	unsigned qd = (unsigned)abuf[4] << 8 | abuf[5];
	unsigned an = (unsigned)abuf[6] << 8 | abuf[7];
	const unsigned char *p = abuf + NS_HFIXEDSZ, *end = abuf + alen;
	char tmp[256];
	long used;
	for (unsigned i = 0; i < qd; i++) {
		if (!read_name(p, abuf, alen, tmp, sizeof tmp, &used) || end - p < used + NS_QFIXEDSZ)
			return -1;
		p += used + NS_QFIXEDSZ;
	}
	int n = 0;
	for (unsigned i = 0; i < an; i++) {
		if (!read_name(p, abuf, alen, tmp, sizeof tmp, &used) || end - p < used + NS_RRFIXEDSZ)
			return -1;
		p += used;
		int rtype = p[0] << 8 | p[1];
		int rdlen = p[8] << 8 | p[9];
		p += NS_RRFIXEDSZ;
		if (end - p < rdlen)
			return -1;
		if (rtype == type && n < max) {
			if (!read_name(p, abuf, alen, names[n], sizeof names[n], &used) || used > rdlen)
				return -1;
			n++;
		}
		p += rdlen;
	}
	return n;
}

bool dns_reverse_name(const struct dns_addr *a, char *out, size_t outsz)
{
	if (a->family == AF_INET) {
		const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)&a->sa)->sin_addr;
		return snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]) < (int)outsz;
	}
	if (a->family != AF_INET6 || outsz < 73)
		return false;
	const unsigned char *b = ((const struct sockaddr_in6 *)&a->sa)->sin6_addr.s6_addr;
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 15; i >= 0; i--) {
		*o++ = hex[b[i] & 15];
		*o++ = '.';
		*o++ = hex[b[i] >> 4];
		*o++ = '.';
	}
	memcpy(o, "ip6.arpa", 9);
	return true;
}
