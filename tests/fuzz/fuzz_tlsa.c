/*
 * Fuzz target: a DNS response as the resolver sends it, through the
 * bounds-checked readers of dns.c for TLSA (dns_tlsa_from_answer) and TXT
 * (dns_txt_from_answer), the records c-ares 1.18 has no parser for. What
 * must hold: counts within DNS_TLSA_MAX / DNS_TXT_MAX and OK exactly when
 * there are records; every TLSA datum within its buffer; every TXT record
 * inside the store and no longer than the packet; a reason exactly when
 * not OK; AD the header's bit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	static struct dns_tlsa t[DNS_TLSA_MAX];
	struct dns_answer_info info;
	const char *why = (const char *)1;
	int n = -1;
	enum dns_status st = dns_tlsa_from_answer(data, (int)size, t, &n, &info, &why);
	if (n < 0 || n > DNS_TLSA_MAX || (st == DNS_OK) != (n > 0) || (st == DNS_OK) != (why == NULL))
		abort();
	if (size >= 4 && st != DNS_ERROR && info.ad != ((data[3] & 0x20) != 0))
		abort();
	for (int i = 0; i < n; i++)
		if (t[i].len > DNS_TLSA_DATA_MAX || t[i].len + 3u > size)
			abort();

	struct strbuf store = STRBUF_INIT;
	struct txt_record txt[DNS_TXT_MAX];
	n = -1;
	st = dns_txt_from_answer(data, (int)size, &store, txt, &n, &info, &why);
	if (n < 0 || n > DNS_TXT_MAX || (st == DNS_OK) != (n > 0) || (st == DNS_OK) != (why == NULL))
		abort();
	const char *base = strbuf_str(&store);
	for (int i = 0; i < n; i++) {
		if (txt[i].data < base || txt[i].data + txt[i].len > base + store.len || txt[i].len > size)
			abort();
		/* Touch every byte: ASan sees a pointer outside the store. */
		volatile char sum = 0;
		for (size_t k = 0; k < txt[i].len; k++)
			sum ^= txt[i].data[k];
		(void)sum;
	}
	strbuf_free(&store);
	return 0;
}
