/*
 * dns.h - mail-host lookups with c-ares, driven by the shared loop.
 *
 * One channel serves every probe. A caller that is done with a lookup it no
 * longer wants calls dns_forget(ctx): the answer, when it comes, is dropped
 * instead of reaching freed memory.
 */
#ifndef SMTPPROBE_DNS_H
#define SMTPPROBE_DNS_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "loop.h"

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
	/* port 0; IPv4 or IPv6 only, so not a sockaddr_storage (128 octets, 16 per host, 16 hosts per probe) */
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	socklen_t salen;
	char ip[46];
};

#define DNS_MX_MAX 16
#define DNS_ADDR_MAX 16

typedef void (*dns_mx_fn)(void *ctx, enum dns_status st, const struct dns_mx *mx, int n, const char *why);
typedef void (*dns_addr_fn)(void *ctx, enum dns_status st, const struct dns_addr *a, int n, const char *why);

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

#endif
