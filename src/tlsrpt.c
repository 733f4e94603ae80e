/* tlsrpt.c - the _smtp._tls TXT record of RFC 8460 (see tlsrpt.h). */
#include "tlsrpt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "taglist.h"

#define TLSRPT_VERSION "v=TLSRPTv1"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
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
			snprintf(err, errsz, "rua: \"%.*s\" holds a space or a character outside printable ASCII", taglist_clip(len), u);
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
			snprintf(err, errsz, "rua: \"%.*s\" has no address (local@domain)", taglist_clip(len), u);
			return false;
		}
		scheme = TLSRPT_MAILTO;
	} else if (len > 8 && strncasecmp(u, "https://", 8) == 0) {
		if (u[8] == '/') {
			snprintf(err, errsz, "rua: \"%.*s\" has no host", taglist_clip(len), u);
			return false;
		}
		scheme = TLSRPT_HTTPS;
	} else {
		snprintf(err, errsz, "rua: \"%.*s\" is neither a mailto: nor an https:// URI", taglist_clip(len), u);
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

bool tlsrpt_parse(const char *buf, size_t len, struct tlsrpt_record *rec, char *err, size_t errsz)
{
	memset(rec, 0, sizeof *rec);
	struct taglist tl;
	struct tag t;
	bool have_rua = false;
	if (!taglist_begin(&tl, buf, len, TLSRPT_VERSION, err, errsz))
		return false;
	int r;
	/* tlsrpt-ext-name and tlsrpt-ext-value are MTA-STS's: taglist passes over them */
	while ((r = taglist_next_named(&tl, "rua", &t, err, errsz)) > 0) {
		if (have_rua) {
			snprintf(err, errsz, "rua given twice");
			return false;
		}
		if (!rua_parse(rec, t.value, t.vlen, err, errsz))
			return false;
		have_rua = true;
	}
	if (r < 0)
		return false;
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
	int pick;
	int candidates = taglist_pick(txt, n, TLSRPT_VERSION, &pick);
	if (candidates == 0) {
		snprintf(err, errsz, "no TXT record starts with \"%s\"", TLSRPT_VERSION);
		rec->candidates = candidates;
		return TLSRPT_NONE;
	}
	if (candidates > 1) {
		snprintf(err, errsz, "%d TXT records start with \"%s\"; exactly one is allowed", candidates, TLSRPT_VERSION);
		rec->candidates = candidates;
		return TLSRPT_MULTIPLE;
	}
	bool ok = tlsrpt_parse(txt[pick].data, txt[pick].len, rec, err, errsz);
	rec->candidates = candidates;
	return ok ? TLSRPT_OK : TLSRPT_INVALID;
}
