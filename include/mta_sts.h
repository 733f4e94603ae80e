/*
 * mta_sts.h - MTA-STS (RFC 8461) pure parsers and matchers, no I/O:
 * the _mta-sts TXT record (3.1), the policy file (3.2) and the MX and
 * certificate-name patterns (4.1). The fetch is https.h's; the audit
 * engine combines them.
 *
 * Error texts are evidence for a report ("line 3: mode \"enforcing\" is
 * not enforce, testing or none"), in English like a server's reply.
 */
#ifndef SMTPPROBE_MTA_STS_H
#define SMTPPROBE_MTA_STS_H

#include <stdbool.h>
#include <stddef.h>

#include "txt.h"

/* RFC 8461 3.3: senders limit the policy body; we refuse anything larger. */
#define MTA_STS_POLICY_MAX 65536
/* RFC 8461 3.2: max_age is at most 31557600 seconds (about a year). */
#define MTA_STS_MAX_AGE_MAX 31557600L
/* mx patterns kept; more are counted in mx_extra, not an error. */
#define MTA_STS_MX_MAX 32

/*
 * The names for a policy domain (a trailing dot dropped): the TXT record
 * "_mta-sts.DOMAIN" (3.1) and the policy URL
 * "https://mta-sts.DOMAIN/.well-known/mta-sts.txt" (3.3). False when the
 * domain is empty or the result does not fit.
 */
bool mta_sts_record_name(const char *domain, char *buf, size_t size);
bool mta_sts_policy_url(const char *domain, char *buf, size_t size);

enum mta_sts_record_status {
	MTA_STS_RECORD_OK,
	MTA_STS_RECORD_NONE,      /* no TXT record starts with "v=STSv1" */
	MTA_STS_RECORD_MULTIPLE,  /* more than one does: no policy (3.1) */
	MTA_STS_RECORD_INVALID,   /* exactly one, and its syntax is wrong */
};

struct mta_sts_record {
	char id[33];   /* 1..32 letters and digits */
	int candidates; /* how many TXT records started with "v=STSv1" */
};

/*
 * Pick the MTA-STS record among a name's TXT records (3.1: records not
 * starting with "v=STSv1" are ignored; not exactly one means no policy)
 * and parse it. err gets a one-line reason for every status but OK.
 */
enum mta_sts_record_status mta_sts_record_from_txt(const struct txt_record *txt, int n, struct mta_sts_record *rec,
                                                   char *err, size_t errsz);

/* One record's syntax (3.1 ABNF): true and rec filled, or false and err. */
bool mta_sts_record_parse(const char *buf, size_t len, struct mta_sts_record *rec, char *err, size_t errsz);

enum mta_sts_mode {
	MTA_STS_MODE_ENFORCE,
	MTA_STS_MODE_TESTING,
	MTA_STS_MODE_NONE,
};

struct mta_sts_policy {
	enum mta_sts_mode mode;
	long max_age;                     /* seconds, 0..MTA_STS_MAX_AGE_MAX */
	int nmx;
	char mx[MTA_STS_MX_MAX][256];     /* lower case, "*.example.org" allowed */
	int mx_extra;                     /* patterns beyond MTA_STS_MX_MAX */
	int unknown_keys;                 /* extension keys, ignored (3.2) */
};

/*
 * The policy body (3.2): "key: value" lines ended by LF or CRLF; version
 * STSv1, mode, max_age and (unless mode is none) at least one mx are
 * required; unknown keys are ignored; a key other than mx given twice, a
 * NUL, a bare CR, a line without ':' or a body over MTA_STS_POLICY_MAX
 * bytes is an error ("line N: ..." in err).
 */
bool mta_sts_policy_parse(const char *buf, size_t len, struct mta_sts_policy *p, char *err, size_t errsz);

const char *mta_sts_mode_name(enum mta_sts_mode m);  /* "enforce", ... */

/*
 * One pattern against one host name (4.1): case-insensitive, a trailing
 * dot on either ignored, "*." matching exactly one leftmost label
 * ("*.example.org" covers "mx.example.org", not "example.org" nor
 * "a.b.example.org"). Also right for a certificate's DNS name, whose
 * wildcard rule is the same (RFC 6125 6.4.3 as RFC 8461 4.1 requires).
 */
bool mta_sts_pattern_matches(const char *pattern, const char *host);

/* The index of the policy's first mx pattern matching host, or -1. */
int mta_sts_mx_matches(const struct mta_sts_policy *p, const char *host);

/*
 * Whether a certificate's DNS names cover host (4.1: the MX certificate
 * must be valid for the MX host name). names are the dNSName SANs, bare
 * or as tls_info prints them ("DNS:mx.example.org"); other kinds skipped.
 * The index of the first name that matches, or -1.
 */
int mta_sts_cert_matches(const char *const *names, int n, const char *host);

#endif
