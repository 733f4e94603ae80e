/* mta_sts.c - MTA-STS record, policy and pattern matching (see mta_sts.h). */
#include "mta_sts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "taglist.h"

#define STS_VERSION "v=STSv1"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool domain_format(const char *prefix, const char *domain, const char *suffix, char *buf, size_t size)
{
	size_t n = strlen(domain);
	if (n && domain[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	int w = snprintf(buf, size, "%s%.*s%s", prefix, (int)n, domain, suffix);
	return w > 0 && (size_t)w < size;
}

bool mta_sts_record_name(const char *domain, char *buf, size_t size)
{
	return domain_format("_mta-sts.", domain, "", buf, size);
}

bool mta_sts_policy_url(const char *domain, char *buf, size_t size)
{
	return domain_format("https://mta-sts.", domain, "/.well-known/mta-sts.txt", buf, size);
}

bool mta_sts_record_parse(const char *buf, size_t len, struct mta_sts_record *rec, char *err, size_t errsz)
{
	memset(rec, 0, sizeof *rec);
	struct taglist tl;
	struct tag t;
	bool have_id = false;
	if (!taglist_begin(&tl, buf, len, STS_VERSION, err, errsz))
		return false;
	int r;
	while ((r = taglist_next_named(&tl, "id", &t, err, errsz)) > 0) {
		/* sts-id = 1*32(ALPHA / DIGIT) */
		if (have_id) {
			snprintf(err, errsz, "id given twice");
			return false;
		}
		if (t.vlen < 1 || t.vlen > 32) {
			snprintf(err, errsz, "id must be 1 to 32 letters or digits, not %zu characters", t.vlen);
			return false;
		}
		for (size_t i = 0; i < t.vlen; i++) {
			if (!is_alnum(t.value[i])) {
				snprintf(err, errsz, "id \"%.*s\": only letters and digits allowed", (int)t.vlen, t.value);
				return false;
			}
		}
		memcpy(rec->id, t.value, t.vlen);
		rec->id[t.vlen] = '\0';
		have_id = true;
	}
	if (r < 0)
		return false;
	if (!have_id) {
		snprintf(err, errsz, "no id field");
		return false;
	}
	return true;
}

enum mta_sts_record_status mta_sts_record_from_txt(const struct txt_record *txt, int n, struct mta_sts_record *rec,
                                                   char *err, size_t errsz)
{
	memset(rec, 0, sizeof *rec);
	int pick;
	int candidates = taglist_pick(txt, n, STS_VERSION, &pick);
	rec->candidates = candidates;
	if (candidates == 0) {
		snprintf(err, errsz, "no TXT record starts with \"%s\"", STS_VERSION);
		return MTA_STS_RECORD_NONE;
	}
	if (candidates > 1) {
		snprintf(err, errsz, "%d TXT records start with \"%s\"; exactly one is allowed", candidates, STS_VERSION);
		return MTA_STS_RECORD_MULTIPLE;
	}
	bool ok = mta_sts_record_parse(txt[pick].data, txt[pick].len, rec, err, errsz);
	rec->candidates = candidates;
	return ok ? MTA_STS_RECORD_OK : MTA_STS_RECORD_INVALID;
}

/* ---- the policy file ---- */

static const char *const mode_names[] = {
	[MTA_STS_MODE_ENFORCE] = "enforce",
	[MTA_STS_MODE_TESTING] = "testing",
	[MTA_STS_MODE_NONE] = "none",
};

const char *mta_sts_mode_name(enum mta_sts_mode m)
{
	return (unsigned)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "?";
}

/* RFC 5321 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]. */
static bool domain_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (label == 0 && !is_alnum(s[i]))
			return false;
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
		label++;
	}
	return true;
}

enum policy_key { KEY_VERSION, KEY_MODE, KEY_MAX_AGE, KEY_MX, KEY_COUNT };

struct policy_state {
	struct mta_sts_policy *p;
	bool seen[KEY_COUNT];
	int line;
	char *err;
	size_t errsz;
};

typedef bool (*key_fn)(struct policy_state *st, const char *v, size_t vlen);

static bool key_version(struct policy_state *st, const char *v, size_t vlen)
{
	if (vlen != 5 || memcmp(v, "STSv1", 5) != 0) {
		snprintf(st->err, st->errsz, "line %d: version \"%.*s\" is not STSv1", st->line, (int)(vlen > 40 ? 40 : vlen), v);
		return false;
	}
	return true;
}

static bool key_mode(struct policy_state *st, const char *v, size_t vlen)
{
	for (size_t m = 0; m < sizeof mode_names / sizeof mode_names[0]; m++) {
		if (strlen(mode_names[m]) == vlen && memcmp(v, mode_names[m], vlen) == 0) {
			st->p->mode = (enum mta_sts_mode)m;
			return true;
		}
	}
	snprintf(st->err, st->errsz, "line %d: mode \"%.*s\" is not enforce, testing or none", st->line,
	         (int)(vlen > 40 ? 40 : vlen), v);
	return false;
}

static bool key_max_age(struct policy_state *st, const char *v, size_t vlen)
{
	/* sts-policy-max-age-value = 1*10(DIGIT) */
	bool digits = vlen >= 1 && vlen <= 10;
	long age = 0;
	for (size_t i = 0; digits && i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			digits = false;
		else
			age = age * 10 + (v[i] - '0');
	}
	if (!digits) {
		snprintf(st->err, st->errsz, "line %d: max_age \"%.*s\" is not 1 to 10 digits", st->line,
		         (int)(vlen > 40 ? 40 : vlen), v);
		return false;
	}
	if (age > MTA_STS_MAX_AGE_MAX) {
		snprintf(st->err, st->errsz, "line %d: max_age %ld is over the maximum of %ld", st->line, age,
		         MTA_STS_MAX_AGE_MAX);
		return false;
	}
	st->p->max_age = age;
	return true;
}

static bool key_mx(struct policy_state *st, const char *v, size_t vlen)
{
	/* sts-policy-mx-value = ["*."] Domain */
	size_t skip = vlen >= 2 && v[0] == '*' && v[1] == '.' ? 2 : 0;
	if (!domain_ok(v + skip, vlen - skip)) {
		snprintf(st->err, st->errsz, "line %d: mx \"%.*s\" is not a host name or \"*.\" and a host name", st->line,
		         (int)(vlen > 80 ? 80 : vlen), v);
		return false;
	}
	struct mta_sts_policy *p = st->p;
	if (p->nmx == MTA_STS_MX_MAX) {
		p->mx_extra++;
		return true;
	}
	for (size_t i = 0; i < vlen; i++)
		p->mx[p->nmx][i] = (char)tolower((unsigned char)v[i]);
	p->mx[p->nmx][vlen] = '\0';
	p->nmx++;
	return true;
}

/* The keys RFC 8461 3.2 defines (case-sensitive, as the ABNF's %s says); others are ignored. */
static const struct {
	const char *name;
	key_fn fn;
	bool repeats;   /* mx lists one pattern a line; the others are one value */
} policy_keys[KEY_COUNT] = {
	[KEY_VERSION] = { "version", key_version, false },
	[KEY_MODE] = { "mode", key_mode, false },
	[KEY_MAX_AGE] = { "max_age", key_max_age, false },
	[KEY_MX] = { "mx", key_mx, true },
};

static bool policy_line(struct policy_state *st, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	if (!colon) {
		snprintf(st->err, st->errsz, "line %d: \"key: value\" expected", st->line);
		return false;
	}
	size_t klen = (size_t)(colon - s);
	/* sts-policy-field-delim = ":" *WSP; the field is followed by *WSP. */
	const char *v = colon + 1;
	size_t vlen = len - klen - 1;
	while (vlen && is_wsp(*v))
		v++, vlen--;
	while (vlen && is_wsp(v[vlen - 1]))
		vlen--;
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f) {
			snprintf(st->err, st->errsz, "line %d: control character in the value", st->line);
			return false;
		}
	}
	for (int k = 0; k < KEY_COUNT; k++) {
		if (strlen(policy_keys[k].name) != klen || memcmp(s, policy_keys[k].name, klen) != 0)
			continue;
		if (st->seen[k] && !policy_keys[k].repeats) {
			snprintf(st->err, st->errsz, "line %d: %s given twice", st->line, policy_keys[k].name);
			return false;
		}
		st->seen[k] = true;
		return policy_keys[k].fn(st, v, vlen);
	}
	if (!taglist_ext_name_ok(s, klen)) {
		snprintf(st->err, st->errsz, "line %d: \"%.*s\" is not a valid key", st->line, (int)(klen > 40 ? 40 : klen), s);
		return false;
	}
	st->p->unknown_keys++;
	return true;
}

bool mta_sts_policy_parse(const char *buf, size_t len, struct mta_sts_policy *p, char *err, size_t errsz)
{
	memset(p, 0, sizeof *p);
	struct policy_state st = { .p = p, .err = err, .errsz = errsz };
	if (len > MTA_STS_POLICY_MAX) {
		snprintf(err, errsz, "the policy is %zu bytes, over the limit of %d", len, MTA_STS_POLICY_MAX);
		return false;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errsz, "the policy holds a NUL byte");
		return false;
	}
	size_t pos = 0;
	while (pos < len) {
		st.line++;
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t l = end - pos;
		/* sts-policy-term = LF / CRLF */
		if (l && buf[pos + l - 1] == '\r')
			l--;
		if (memchr(buf + pos, '\r', l)) {
			snprintf(err, errsz, "line %d: a CR not followed by LF", st.line);
			return false;
		}
		/* Blank lines are outside the ABNF but harmless; every reader skips them. */
		if (l && !policy_line(&st, buf + pos, l))
			return false;
		pos = end + 1;
	}
	for (int k = KEY_VERSION; k <= KEY_MAX_AGE; k++) {
		if (!st.seen[k]) {
			snprintf(err, errsz, "no %s line", policy_keys[k].name);
			return false;
		}
	}
	if (p->nmx == 0 && p->mode != MTA_STS_MODE_NONE) {
		snprintf(err, errsz, "mode %s without any mx line", mta_sts_mode_name(p->mode));
		return false;
	}
	return true;
}

/* ---- matching ---- */

/* Length without one trailing dot: "mx.example.org." names the same host. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);
	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool mta_sts_pattern_matches(const char *pattern, const char *host)
{
	size_t pl = name_len(pattern), hl = name_len(host);
	if (pl == 0 || hl == 0)
		return false;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* Exactly one label before the suffix: drop the host's first label. */
		const char *dot = memchr(host, '.', hl);
		if (!dot || dot == host)
			return false;
		size_t rest = hl - (size_t)(dot - host);
		return rest == pl - 1 && strncasecmp(dot, pattern + 1, rest) == 0;
	}
	return pl == hl && strncasecmp(pattern, host, hl) == 0;
}

int mta_sts_mx_matches(const struct mta_sts_policy *p, const char *host)
{
	for (int i = 0; i < p->nmx; i++)
		if (mta_sts_pattern_matches(p->mx[i], host))
			return i;
	return -1;
}

int mta_sts_cert_matches(const char *const *names, int n, const char *host)
{
	for (int i = 0; i < n; i++) {
		const char *name = names[i];
		if (strncmp(name, "DNS:", 4) == 0)
			name += 4;
		else if (strchr(name, ':'))
			continue; /* "IP:..." and the like */
		/* A certificate wildcard is the whole leftmost label, nothing else (RFC 6125 6.4.3 as 9525 narrows it). */
		if (strchr(name, '*') && !(name[0] == '*' && name[1] == '.' && !strchr(name + 1, '*')))
			continue;
		if (mta_sts_pattern_matches(name, host))
			return i;
	}
	return -1;
}
