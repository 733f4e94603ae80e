/*
 * Fuzz target: address answers as c-ares hands them over. ares_getaddrinfo
 * runs for real - queries built and sent, answers read, checked against the
 * query, parsed into an ares_addrinfo - but over socket functions of our
 * own (ares_set_socket_functions): every query the channel sends is
 * answered with bytes from the input, and what comes back goes through
 * smtpprobe's reading of it (dns_addrs_from_addrinfo in dns.c).
 *
 * Input: byte 0 picks the family (A, AAAA or both: two queries) and the
 * mode; byte 1 splits the rest into one answer body per query. In the
 * structured mode (the fuzzer's easy road) a body is FLAGS1 FLAGS2 ANCOUNT
 * NSCOUNT ARCOUNT and the records, the header's ID and the question being
 * copied from the query, so that c-ares takes the answer as the one it
 * waits for; in the raw mode the body is the whole packet, only the ID is
 * patched in.
 *
 * Differences from dns.c's channel, so that each run is quick and needs no
 * network: lookups "b" (no /etc/hosts), ARES_FLAG_IGNTC (no TCP retry),
 * one try; the hints are dns.c's (ARES_AI_NOSORT, SOCK_STREAM).
 */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QUERIES_MAX 4

struct fake {
	int fd;                               /* the one socket c-ares is given */
	unsigned char q[QUERIES_MAX][512];    /* queries sent, not yet answered */
	size_t qlen[QUERIES_MAX];
	int nsent, nanswered;
	const uint8_t *body[2];
	size_t blen[2];
	bool raw;
};

static struct fake fake;

static ares_socket_t f_socket(int domain, int type, int protocol, void *user)
{
	(void)domain;
	(void)protocol;
	(void)user;
	if (type != SOCK_DGRAM) {
		errno = EAFNOSUPPORT;
		return ARES_SOCKET_BAD;
	}
	return fake.fd;
}

static int f_close(ares_socket_t s, void *user)
{
	(void)s;
	(void)user;
	return 0;
}

static int f_connect(ares_socket_t s, const struct sockaddr *sa, ares_socklen_t len, void *user)
{
	(void)s;
	(void)sa;
	(void)len;
	(void)user;
	return 0;
}

static ares_ssize_t f_sendv(ares_socket_t s, const struct iovec *iov, int n, void *user)
{
	(void)s;
	(void)user;
	size_t total = 0;
	int k = fake.nsent < QUERIES_MAX ? fake.nsent : -1;
	for (int i = 0; i < n; i++) {
		if (k >= 0 && total + iov[i].iov_len <= sizeof fake.q[0])
			memcpy(fake.q[k] + total, iov[i].iov_base, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	if (k >= 0) {
		fake.qlen[k] = total <= sizeof fake.q[0] ? total : 0;
		fake.nsent++;
	}
	return (ares_ssize_t)total;
}

/* Where the question of query q ends (12-octet header, QNAME, QTYPE, QCLASS); 0 if malformed. */
static size_t question_end(const unsigned char *q, size_t len)
{
	size_t i = 12;
	while (i < len && q[i] != 0)
		i += (size_t)q[i] + 1;
	i += 1 + 4;
	return i <= len ? i : 0;
}

/* The answer to the next query: the body for it, made into a packet. */
static ares_ssize_t f_recvfrom(ares_socket_t s, void *buf, size_t len, int flags, struct sockaddr *from,
			       ares_socklen_t *fromlen, void *user)
{
	(void)s;
	(void)flags;
	(void)user;
	if (fake.nanswered >= fake.nsent || fake.nanswered >= 2) {
		errno = EAGAIN;
		return -1;
	}
	int k = fake.nanswered++;
	const unsigned char *q = fake.q[k];
	size_t qend = question_end(q, fake.qlen[k]);
	const uint8_t *b = fake.body[k];
	size_t blen = fake.blen[k];
	unsigned char pkt[4096];
	size_t n = 0;
	if (fake.raw || qend == 0) {
		n = blen < sizeof pkt ? blen : sizeof pkt;
		memcpy(pkt, b, n);
		if (n >= 2 && fake.qlen[k] >= 2)
			memcpy(pkt, q, 2);
	} else {
		uint8_t h[5] = { 0 };
		size_t hn = blen < 5 ? blen : 5;
		memcpy(h, b, hn);
		b += hn;
		blen -= hn;
		pkt[0] = q[0];
		pkt[1] = q[1];
		pkt[2] = (unsigned char)(0x80 | (h[0] & 0x7f));   /* QR: an answer */
		pkt[3] = h[1];
		pkt[4] = 0;
		pkt[5] = 1;
		pkt[6] = 0;
		pkt[7] = h[2] % 16;
		pkt[8] = 0;
		pkt[9] = h[3] % 8;
		pkt[10] = 0;
		pkt[11] = h[4] % 8;
		memcpy(pkt + 12, q + 12, qend - 12);
		n = qend;
		size_t rest = blen < sizeof pkt - n ? blen : sizeof pkt - n;
		memcpy(pkt + n, b, rest);
		n += rest;
	}
	if (n > len)
		n = len;
	memcpy(buf, pkt, n);
	if (from && fromlen && *fromlen >= (ares_socklen_t)sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(53) };
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		memcpy(from, &sin, sizeof sin);
		*fromlen = sizeof sin;
	}
	return (ares_ssize_t)n;
}

static const struct ares_socket_functions fake_functions = {
	f_socket, f_close, f_connect, f_recvfrom, f_sendv,
};

struct outcome {
	bool done;
};

static void check(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	(void)timeouts;
	struct outcome *o = arg;
	o->done = true;
	struct dns_addr a[DNS_ADDR_MAX];
	memset(a, 0xa5, sizeof a);
	int n = -1;
	const char *why = (const char *)1;
	enum dns_status st = dns_addrs_from_addrinfo(status, res, a, &n, &why);
	if (res)
		ares_freeaddrinfo(res);
	if (n < 0 || n > DNS_ADDR_MAX || (st == DNS_OK) != (n > 0))
		abort();
	if (st == DNS_OK ? why != NULL : why == NULL)
		abort();
	for (int i = 0; i < n; i++) {
		unsigned char bin[16];
		if (a[i].family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&a[i].sa;
			if (a[i].salen != sizeof *sin || sin->sin_family != AF_INET ||
			    inet_pton(AF_INET, a[i].ip, bin) != 1 || memcmp(bin, &sin->sin_addr, 4) != 0)
				abort();
		} else if (a[i].family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a[i].sa;
			if (a[i].salen != sizeof *sin6 || sin6->sin6_family != AF_INET6 ||
			    inet_pton(AF_INET6, a[i].ip, bin) != 1 || memcmp(bin, &sin6->sin6_addr, 16) != 0)
				abort();
		} else {
			abort();
		}
		for (int k = 0; k < i; k++)
			if (strcmp(a[k].ip, a[i].ip) == 0)
				abort();
	}
}

static ares_channel channel;

static void init(void)
{
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		abort();
	fake.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fake.fd < 0)
		abort();
	struct ares_options opts = { 0 };
	opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP | ARES_FLAG_IGNTC;
	opts.timeout = 1000;
	opts.tries = 1;
	opts.lookups = (char *)"b";
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
	if (ares_init_options(&channel, &opts, mask) != ARES_SUCCESS)
		abort();
	if (ares_set_servers_ports_csv(channel, "127.0.0.1:53") != ARES_SUCCESS)
		abort();
	ares_set_socket_functions(channel, &fake_functions, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!channel)
		init();
	if (size < 2)
		return 0;
	static const int families[] = { AF_INET, AF_INET6, AF_UNSPEC };
	int family = families[(data[0] >> 1) % 3];
	fake.raw = data[0] & 1;
	size_t rest = size - 2;
	size_t split = rest * data[1] / 255;
	fake.body[0] = data + 2;
	fake.blen[0] = split;
	fake.body[1] = data + 2 + split;
	fake.blen[1] = rest - split;
	fake.nsent = fake.nanswered = 0;

	struct outcome o = { false };
	struct ares_addrinfo_hints hints = { 0 };
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(channel, "mx.example.test", NULL, &hints, check, &o);
	for (int i = 0; i < 8 && !o.done; i++)
		ares_process_fd(channel, fake.fd, ARES_SOCKET_BAD);
	if (!o.done)
		ares_cancel(channel);  /* an answer c-ares did not take: it waits no longer */
	if (!o.done)
		abort();
	return 0;
}
