/*
 * dns.h - mail-host lookups with c-ares, driven by the shared loop.
 *
 * One channel serves every probe. A caller that is done with a lookup it no
 * longer wants calls dns_forget(ctx): the answer, when it comes, is dropped
 * instead of reaching freed memory.
 */
#ifndef SMTPPROBE_DNS_H
#define SMTPPROBE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "txt.h"

enum dns_status {
	DNS_OK,
	DNS_NODATA,    /* the name exists, no record of that type */
	DNS_NXDOMAIN,  /* the name does not exist */
	DNS_SERVFAIL,  /* SERVFAIL or REFUSED from the resolver */
	DNS_TIMEOUT,   /* no answer */
	DNS_ERROR,     /* anything else: unreachable resolver, bad reply */
};

struct dns_mx {
	char host[256];  /* "" for the RFC 7505 null MX */
	int preference;
};

struct dns_addr {
	int family;                    /* AF_INET or AF_INET6 */
	struct sockaddr_storage sa;    /* port 0 */
	socklen_t salen;
	char ip[46];
};

#define DNS_MX_MAX 16
#define DNS_ADDR_MAX 16
#define DNS_TXT_MAX 16
#define DNS_TLSA_MAX 16
/* Longer TLSA data (a full certificate, mtype 0) is counted in skipped, not kept. */
#define DNS_TLSA_DATA_MAX 1024

/* One TLSA record (RFC 6698 2.1). */
struct dns_tlsa {
	uint8_t usage;     /* 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
	uint8_t selector;  /* 0 full certificate, 1 SubjectPublicKeyInfo */
	uint8_t mtype;     /* 0 full, 1 SHA-256, 2 SHA-512 */
	uint16_t len;
	unsigned char data[DNS_TLSA_DATA_MAX];
};

/*
 * What a TXT or TLSA lookup found besides the records: whether the
 * resolver said the answer is DNSSEC-validated (the AD bit, RFC 4035
 * 3.2.3; the query asks for it with AD set, RFC 6840 5.7; only as
 * trustworthy as the path to the resolver), and how many records of the
 * type did not fit or could not be read.
 */
struct dns_answer_info {
	bool ad;
	int skipped;
};

typedef void (*dns_mx_fn)(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why);
typedef void (*dns_addr_fn)(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why);

typedef void (*dns_txt_fn)(void *ctx, enum dns_status st, const struct txt_record *txt, int n,
                           const struct dns_answer_info *info, const char *why);
typedef void (*dns_tlsa_fn)(void *ctx, enum dns_status st, const struct dns_tlsa *t, int n,
                            const struct dns_answer_info *info, const char *why);

struct dns;

/*
 * servers: NULL for /etc/resolv.conf, or "IP[:PORT][,...]" ([v6]:port for
 * IPv6 with a port). try_ms is the per-try timeout (two tries).
 * Returns NULL with a message in err on failure.
 */
struct dns *dns_new(struct loop *l, const char *servers, int try_ms, char *err, size_t errsz);
void dns_free(struct dns *d);

/* MX records of domain (absolute; no search list), unsorted. */
void dns_query_mx(struct dns *d, const char *domain, dns_mx_fn fn, void *ctx);
/* A and/or AAAA of host (family AF_UNSPEC, AF_INET or AF_INET6). */
void dns_query_addr(struct dns *d, const char *host, int family, dns_addr_fn fn, void *ctx);
/*
 * Any other type (ns_t_cname, ns_t_ptr, ...): the answer packet as it came
 * (abuf NULL and alen 0 unless st is DNS_OK), for a parser of the caller's
 * (dns_answer.h). The packet is only valid during the call.
 */
typedef void (*dns_raw_fn)(void *ctx, enum dns_status st, const unsigned char *abuf, int alen, const char *why);
void dns_query_raw(struct dns *d, const char *name, int type, dns_raw_fn fn, void *ctx);
/*
 * TXT records of name (e.g. "_mta-sts.example.org", "_smtp._tls.example.org"):
 * each record's strings joined into one txt_record, at most DNS_TXT_MAX;
 * the data lives until fn returns.
 */
void dns_query_txt(struct dns *d, const char *name, dns_txt_fn fn, void *ctx);
/* TLSA records of name ("_25._tcp.mx.example.org"), at most DNS_TLSA_MAX. */
void dns_query_tlsa(struct dns *d, const char *name, dns_tlsa_fn fn, void *ctx);
/* Drop every pending answer addressed to ctx. */
void dns_forget(struct dns *d, void *ctx);

const char *dns_status_text(enum dns_status st);

/*
 * What the lookups make of c-ares' answers, apart so that the unit tests
 * and the fuzz targets can feed them: an MX answer packet as the ares_query
 * callback gets it (status, abuf, alen; parsed with ares_parse_mx_reply),
 * and an ares_getaddrinfo result (not freed). They fill at most
 * DNS_MX_MAX / DNS_ADDR_MAX entries (addresses without duplicates), set *n,
 * and *why to c-ares' words or NULL.
 */
struct ares_addrinfo;
enum dns_status dns_mx_from_answer(int ares_status, const unsigned char *abuf, int alen, struct dns_mx *mx, int *n,
                                   const char **why);
enum dns_status dns_addrs_from_addrinfo(int ares_status, const struct ares_addrinfo *res, struct dns_addr *a, int *n,
                                        const char **why);

/*
 * The TXT and TLSA readers, on a whole DNS response (header included) as
 * the resolver sent it: bounds-checked against alen, RCODE mapped
 * (NXDOMAIN, SERVFAIL/REFUSED; NOERROR without records of the type is
 * NODATA), records of other types (a CNAME on the way) skipped, class IN
 * only. info->ad is the header's AD bit. TXT data is copied into store
 * (reset first; the txt entries point into it until it is changed).
 * *why is NULL on OK, a short English reason otherwise.
 */
struct strbuf;
enum dns_status dns_txt_from_answer(const unsigned char *abuf, int alen, struct strbuf *store, struct txt_record *txt,
                                    int *n, struct dns_answer_info *info, const char **why);
enum dns_status dns_tlsa_from_answer(const unsigned char *abuf, int alen, struct dns_tlsa *t, int *n,
                                     struct dns_answer_info *info, const char **why);

#endif
