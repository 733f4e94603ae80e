/*
 * Fuzz target: bytes as an MTA-STS policy body (mta_sts_policy_parse), as
 * an _mta-sts and an _smtp._tls TXT record (mta_sts_record_parse,
 * tlsrpt_parse), and the first line as an MX host against the policy's
 * patterns. What must hold: an error text exactly when parsing fails;
 * the id 1..32 letters and digits; mode, max_age and the pattern counts in
 * range; every mx pattern a C string in lower case that matches a host
 * made from it (its "*." replaced by one label); every rua a mailto: or
 * https:// URI without space or comma.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mta_sts.h"
#include "tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(bool ok, const char *err, size_t errsz)
{
	if (ok != (err[0] == '\0') || strnlen(err, errsz) == errsz)
		abort();
}

static void policy(const char *buf, size_t size)
{
	struct mta_sts_policy p;
	char err[200] = "";
	bool ok = mta_sts_policy_parse(buf, size, &p, err, sizeof err);
	check_err(ok, err, sizeof err);
	if (!ok)
		return;
	if (size > MTA_STS_POLICY_MAX || p.max_age < 0 || p.max_age > MTA_STS_MAX_AGE_MAX)
		abort();
	if ((unsigned)p.mode > MTA_STS_MODE_NONE || p.nmx < 0 || p.nmx > MTA_STS_MX_MAX || p.mx_extra < 0)
		abort();
	if (p.mode != MTA_STS_MODE_NONE && p.nmx == 0)
		abort();
	for (int i = 0; i < p.nmx; i++) {
		const char *m = p.mx[i];
		size_t n = strnlen(m, sizeof p.mx[i]);
		if (n == 0 || n == sizeof p.mx[i])
			abort();
		for (size_t k = 0; k < n; k++)
			if (isupper((unsigned char)m[k]) || isspace((unsigned char)m[k]))
				abort();
		char host[300];
		snprintf(host, sizeof host, "%s%s", m[0] == '*' ? "x" : "", m[0] == '*' ? m + 1 : m);
		if (mta_sts_mx_matches(&p, host) < 0 || !mta_sts_pattern_matches(m, host))
			abort();
		/* A wildcard never covers its own parent. */
		if (m[0] == '*' && mta_sts_pattern_matches(m, m + 2))
			abort();
	}
}

static bool ok_sts(const char *buf, size_t size)
{
	struct mta_sts_record r;
	char err[8];
	return mta_sts_record_parse(buf, size, &r, err, sizeof err);
}

static void records(const char *buf, size_t size)
{
	struct mta_sts_record r;
	char err[200] = "";
	bool ok = mta_sts_record_parse(buf, size, &r, err, sizeof err);
	check_err(ok, err, sizeof err);
	if (ok) {
		size_t n = strnlen(r.id, sizeof r.id);
		if (n == 0 || n > 32)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)r.id[i]))
				abort();
	}
	struct tlsrpt_record t;
	err[0] = '\0';
	ok = tlsrpt_parse(buf, size, &t, err, sizeof err);
	check_err(ok, err, sizeof err);
	if (ok) {
		if (t.nrua + t.rua_extra < 1 || t.nrua > TLSRPT_RUA_MAX)
			abort();
		for (int i = 0; i < t.nrua; i++) {
			const char *u = t.rua[i].uri;
			if (strpbrk(u, " \t,;"))
				abort();
			if (t.rua[i].scheme == TLSRPT_MAILTO ? strncasecmp(u, "mailto:", 7) != 0
			                                     : strncasecmp(u, "https://", 8) != 0)
				abort();
		}
	}
	/* The same bytes as the only TXT record: the selection agrees with the parser. */
	struct txt_record txt = { buf, size };
	enum mta_sts_record_status st = mta_sts_record_from_txt(&txt, 1, &r, err, sizeof err);
	if (st == MTA_STS_RECORD_MULTIPLE || (st == MTA_STS_RECORD_OK) != ok_sts(buf, size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MTA_STS_POLICY_MAX + 16)
		return 0;
	const char *buf = (const char *)data;
	policy(buf, size);
	records(buf, size);
	/* The first line as a host name against a fixed policy and as a pattern. */
	char host[256];
	size_t n = 0;
	while (n < size && n < sizeof host - 1 && buf[n] != '\n' && buf[n] != '\0')
		n++;
	memcpy(host, buf, n);
	host[n] = '\0';
	struct mta_sts_policy p;
	char err[64];
	static const char fixed[] = "version: STSv1\nmode: enforce\nmx: mx.example.org\nmx: *.example.net\nmax_age: 1\n";
	if (!mta_sts_policy_parse(fixed, sizeof fixed - 1, &p, err, sizeof err))
		abort();
	int m = mta_sts_mx_matches(&p, host);
	if (m >= 0 && !strcasestr(host, m == 0 ? "mx.example.org" : ".example.net"))
		abort();
	const char *names[] = { host };
	mta_sts_cert_matches(names, 1, "mx.example.org");
	return 0;
}
