/*
 * dns_answer.h - pure readers of a DNS answer packet (as dns_query_raw
 * hands it), for the record types the MX and address lookups do not
 * cover: the CNAME behind a name, the PTR names of an address. And the
 * reverse-lookup name of an address. No I/O: the unit tests and the fuzz
 * targets feed them bytes.
 */
#ifndef SMTPPROBE_DNS_ANSWER_H
#define SMTPPROBE_DNS_ANSWER_H

#include <stddef.h>

#include "dns.h"

#define DNS_ANSWER_NAMES_MAX 8

/*
 * The names in the rdata of the answer section's records of `type` (a
 * name-valued type: ns_t_cname, ns_t_ptr, ns_t_ns), decompressed, without
 * the trailing dot, at most `max` of them. Returns how many, or -1 for a
 * packet that does not parse (truncated, a compression loop, a bad count).
 */
int dns_answer_names(const unsigned char *abuf, int alen, int type, char (*names)[256], int max);

/* "4.3.2.1.in-addr.arpa" or the ip6.arpa nibbles; false when a is neither family. */
bool dns_reverse_name(const struct dns_addr *a, char *out, size_t outsz);

#endif
