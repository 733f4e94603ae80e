/* ehlo.c - EHLO keyword parser (see ehlo.h). */
#include "ehlo.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum ehlo_ext ext;
} known[] = {
	{ "SIZE", EHLO_SIZE },
	{ "PIPELINING", EHLO_PIPELINING },
	{ "STARTTLS", EHLO_STARTTLS },
	{ "AUTH", EHLO_AUTH },
	{ "8BITMIME", EHLO_8BITMIME },
	{ "SMTPUTF8", EHLO_SMTPUTF8 },
	{ "ENHANCEDSTATUSCODES", EHLO_ENHANCEDSTATUSCODES },
	{ "DSN", EHLO_DSN },
	{ "CHUNKING", EHLO_CHUNKING },
};

const char *ehlo_ext_name(enum ehlo_ext ext)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i].ext == ext)
			return known[i].name;
	return "?";
}

/* RFC 4422 3.1: a mechanism name is letters, digits, '-' and '_' (some servers send lower case). */
static bool is_mech_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Append the mechanisms in params to caps->auth, once each, upper case.
 * A word that is no mechanism name (a NUL, a control or non-ASCII byte in
 * it) is skipped: it would hide in the list, or repeat one that is there.
 */
static void add_auth(struct ehlo_caps *caps, const char *params, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (params[i] == ' ' || params[i] == '\t'))
			i++;
		size_t start = i;
		while (i < len && params[i] != ' ' && params[i] != '\t')
			i++;
		size_t n = i - start;
		bool name = n > 0 && n <= 40;
		for (size_t k = 0; name && k < n; k++)
			name = is_mech_char((unsigned char)params[start + k]);
		if (!name)
			continue;
		char mech[41];
		for (size_t k = 0; k < n; k++)
			mech[k] = (char)toupper((unsigned char)params[start + k]);
		mech[n] = '\0';
		/* Already listed? Servers often send both "AUTH" and "AUTH=". */
		size_t have = strlen(caps->auth);
		const char *p = caps->auth;
		bool dup = false;
		while (*p) {
			size_t w = strcspn(p, " ");
			if (w == n && memcmp(p, mech, n) == 0)
				dup = true;
			p += w;
			while (*p == ' ')
				p++;
		}
		if (dup || have + n + 2 > sizeof caps->auth)
			continue;
		if (have)
			caps->auth[have++] = ' ';
		memcpy(caps->auth + have, mech, n + 1);
	}
}

static void parse_keyword_line(struct ehlo_caps *caps, const char *line, size_t len)
{
	if (caps->nkeywords < EHLO_KEYWORDS_MAX) {
		size_t n = len < EHLO_KEYWORD_LEN - 1 ? len : EHLO_KEYWORD_LEN - 1;
		memcpy(caps->keywords[caps->nkeywords], line, n);
		caps->keywords[caps->nkeywords][n] = '\0';
		caps->nkeywords++;
	}
	/* The keyword ends at a space, or at '=' for the pre-RFC "AUTH=LOGIN" form. */
	size_t kw = 0;
	while (kw < len && line[kw] != ' ' && line[kw] != '=' && line[kw] != '\t')
		kw++;
	const char *params = line + kw;
	size_t plen = len - kw;
	if (plen > 0) {
		params++;
		plen--;
	}
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strlen(known[i].name) != kw || strncasecmp(line, known[i].name, kw) != 0)
			continue;
		caps->ext |= known[i].ext;
		if (known[i].ext == EHLO_SIZE && plen > 0) {
			char num[24];
			size_t n = plen < sizeof num - 1 ? plen : sizeof num - 1;
			memcpy(num, params, n);
			num[n] = '\0';
			char *end;
			unsigned long long v = strtoull(num, &end, 10);
			if (end != num)
				caps->size = v;
		} else if (known[i].ext == EHLO_AUTH) {
			add_auth(caps, params, plen);
		}
	}
}

void ehlo_parse(const struct reply *r, bool helo_only, struct ehlo_caps *caps)
{
	memset(caps, 0, sizeof *caps);
	caps->helo_only = helo_only;
	const char *p = strbuf_str(&r->text);
	const char *end = p + r->text.len;
	bool first = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (first) {
			size_t w = 0;
			while (w < len && p[w] != ' ' && w < sizeof caps->domain - 1)
				w++;
			memcpy(caps->domain, p, w);
			caps->domain[w] = '\0';
			first = false;
		} else if (!helo_only && len > 0) {
			parse_keyword_line(caps, p, len);
		}
		p += len + (nl ? 1 : 0);
	}
}
