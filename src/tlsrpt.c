/* tlsrpt.c - the _smtp._tls TXT record of RFC 8460 (see tlsrpt.h). */
#include "tlsrpt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TLSRPT_VERSION "v=TLSRPTv1"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_candidate(const char *s, size_t len)
{
	size_t v = strlen(TLSRPT_VERSION);
	return len >= v && memcmp(s, TLSRPT_VERSION, v) == 0 && (len == v || is_wsp(s[v]) || s[v] == ';');
}

bool tlsrpt_record_name(const char *domain, char *buf, size_t size)
{
	size_t n = strlen(domain);
	if (n && domain[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	int w = snprintf(buf, size, "_smtp._tls.%.*s", (int)n, domain);
	return w > 0 && (size_t)w < size;
}

static int clip(size_t n)
{
	return n > 60 ? 60 : (int)n;
}

/*
 * One URI of rua (3: tlsrpt-uri = URI, "mailto:" or "https:"). Commas and
 * semicolons have been split off already; what is left must be visible
 * ASCII, and a scheme-specific part that names somewhere.
 */
static bool uri_ok(struct tlsrpt_record *rec, const char *u, size_t len, char *err, size_t errsz)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)u[i];
		if (c < 0x21 || c > 0x7e) {
			snprintf(err, errsz, "rua: \"%.*s\" holds a space or a character outside printable ASCII", clip(len), u);
			return false;
		}
	}
	enum tlsrpt_scheme scheme;
	if (len > 7 && strncasecmp(u, "mailto:", 7) == 0) {
		/* An address: something@domain, before any "?header". */
		const char *q = memchr(u, '?', len);
		size_t alen = (q ? (size_t)(q - u) : len) - 7;
		const char *at = memchr(u + 7, '@', alen);
		if (!at || at == u + 7 || at == u + 7 + alen - 1) {
			snprintf(err, errsz, "rua: \"%.*s\" has no address (local@domain)", clip(len), u);
			return false;
		}
		scheme = TLSRPT_MAILTO;
	} else if (len > 8 && strncasecmp(u, "https://", 8) == 0) {
		if (u[8] == '/') {
			snprintf(err, errsz, "rua: \"%.*s\" has no host", clip(len), u);
			return false;
		}
		scheme = TLSRPT_HTTPS;
	} else {
		snprintf(err, errsz, "rua: \"%.*s\" is neither a mailto: nor an https:// URI", clip(len), u);
		return false;
	}
	if (rec->nrua == TLSRPT_RUA_MAX || len >= sizeof rec->rua[0].uri) {
		rec->rua_extra++;
		return true;
	}
	struct tlsrpt_rua *r = &rec->rua[rec->nrua++];
	r->scheme = scheme;
	memcpy(r->uri, u, len);
	r->uri[len] = '\0';
	return true;
}

/* tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri) */
static bool rua_parse(struct tlsrpt_record *rec, const char *v, size_t len, char *err, size_t errsz)
{
	size_t pos = 0;
	for (;;) {
		size_t end = pos;
		while (end < len && v[end] != ',')
			end++;
		size_t s = pos, e = end;
		while (s < e && is_wsp(v[s]))
			s++;
		while (e > s && is_wsp(v[e - 1]))
			e--;
		if (s == e) {
			snprintf(err, errsz, "rua: empty URI%s", pos == 0 && end == len ? "" : " between commas");
			return false;
		}
		if (!uri_ok(rec, v + s, e - s, err, errsz))
			return false;
		if (end == len)
			return true;
		pos = end + 1;
	}
}

/* tlsrpt-ext-name and tlsrpt-ext-value, as MTA-STS's. */
static bool extension_ok(const char *f, size_t nlen, const char *v, size_t vlen)
{
	if (nlen == 0 || nlen > 32 || !is_alnum(f[0]) || vlen == 0)
		return false;
	for (size_t i = 1; i < nlen; i++)
		if (!is_alnum(f[i]) && f[i] != '_' && f[i] != '-' && f[i] != '.')
			return false;
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
			return false;
	}
	return true;
}

bool tlsrpt_parse(const char *buf, size_t len, struct tlsrpt_record *rec, char *err, size_t errsz)
{
	memset(rec, 0, sizeof *rec);
	if (memchr(buf, '\0', len)) {
		snprintf(err, errsz, "the record holds a NUL byte");
		return false;
	}
	if (!is_candidate(buf, len)) {
		snprintf(err, errsz, "the record does not start with \"%s\"", TLSRPT_VERSION);
		return false;
	}
	size_t pos = strlen(TLSRPT_VERSION);
	bool have_rua = false;
	int field = 1;
	/* 1*(field-delim tlsrpt-field) [field-delim]; field-delim = *WSP ";" *WSP */
	while (pos < len) {
		size_t p = pos;
		while (p < len && is_wsp(buf[p]))
			p++;
		if (p == len) {
			snprintf(err, errsz, "trailing white space without ';'");
			return false;
		}
		if (buf[p] != ';') {
			snprintf(err, errsz, "field %d: ';' expected at offset %zu", field, p);
			return false;
		}
		p++;
		while (p < len && is_wsp(buf[p]))
			p++;
		if (p == len)
			break;
		size_t start = p;
		while (p < len && buf[p] != ';')
			p++;
		size_t end = p;
		while (end > start && is_wsp(buf[end - 1]))
			end--;
		/* White space belongs to a delimiter: at the very end it has no ';'. */
		if (p == len && end < len) {
			snprintf(err, errsz, "trailing white space without ';'");
			return false;
		}
		const char *f = buf + start;
		size_t flen = end - start;
		field++;
		const char *eq = memchr(f, '=', flen);
		if (!eq) {
			snprintf(err, errsz, "field %d \"%.*s\": name=value expected", field, clip(flen), f);
			return false;
		}
		size_t nlen = (size_t)(eq - f);
		if (nlen == 3 && memcmp(f, "rua", 3) == 0) {
			if (have_rua) {
				snprintf(err, errsz, "rua given twice");
				return false;
			}
			if (!rua_parse(rec, eq + 1, flen - 4, err, errsz))
				return false;
			have_rua = true;
		} else if (!extension_ok(f, nlen, eq + 1, flen - nlen - 1)) {
			snprintf(err, errsz, "field %d \"%.*s\" is not a valid extension", field, clip(flen), f);
			return false;
		}
		pos = p;
	}
	if (!have_rua) {
		snprintf(err, errsz, "no rua field");
		return false;
	}
	return true;
}

enum tlsrpt_status tlsrpt_from_txt(const struct txt_record *txt, int n, struct tlsrpt_record *rec, char *err,
                                   size_t errsz)
{
	memset(rec, 0, sizeof *rec);
	int pick = -1, candidates = 0;
	for (int i = 0; i < n; i++) {
		if (is_candidate(txt[i].data, txt[i].len)) {
			candidates++;
			pick = i;
		}
	}
	rec->candidates = candidates;
	if (candidates == 0) {
		snprintf(err, errsz, "no TXT record starts with \"%s\"", TLSRPT_VERSION);
		return TLSRPT_NONE;
	}
	if (candidates > 1) {
		snprintf(err, errsz, "%d TXT records start with \"%s\"; exactly one is allowed", candidates, TLSRPT_VERSION);
		return TLSRPT_MULTIPLE;
	}
	bool ok = tlsrpt_parse(txt[pick].data, txt[pick].len, rec, err, errsz);
	rec->candidates = candidates;
	return ok ? TLSRPT_OK : TLSRPT_INVALID;
}
