/* dns.c - c-ares glue: MX and address lookups in the shared loop (see dns.h). */
#include "dns.h"

#include "mem.h"
#include "strbuf.h"

#include "i18n.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Queries sent at once, at most. A batch at -j 256 starts with 256 MX
 * queries and then twice as many A/AAAA; a local resolver answers them
 * all within a millisecond and the answers overflow this process's UDP
 * receive buffer (212,992 bytes by default; more needs root), to come
 * back as timeouts 3 s later or never (bench/batch.sh counted 300-450
 * drops a run, and up to 1,450 addresses lost as dns_timeout). The rest
 * wait here, in order; an MTA's resolver pacing does the same.
 */
#define DNS_INFLIGHT_MAX 64

struct dns_req {
	struct dns *d;
	dns_mx_fn mx_fn;
	dns_addr_fn addr_fn;
	dns_txt_fn txt_fn;
	dns_tlsa_fn tlsa_fn;
	int qtype;             /* TXT or TLSA: sent with ares_send, read here */
	dns_raw_fn raw_fn;
	int raw_type;          /* raw_fn: the query type, sent with ares_query */
	void *ctx;             /* NULL once forgotten */
	struct dns_req *prev, *next;
	/* while waiting for its turn */
	char *name;
	int family;
	struct dns_req *next_waiting;
};

struct dns {
	struct loop *loop;
	ares_channel channel;
	struct dns_req *reqs;
	int inflight;
	bool pumping;
	struct dns_req *wait_head, *wait_tail;
};

static const char *const status_texts[] = {
	[DNS_OK] = N_("ok"),
	[DNS_NODATA] = N_("no records of that type"),
	[DNS_NXDOMAIN] = N_("the domain does not exist (NXDOMAIN)"),
	[DNS_SERVFAIL] = N_("the resolver failed (SERVFAIL or REFUSED)"),
	[DNS_TIMEOUT] = N_("the resolver did not answer in time"),
	[DNS_ERROR] = N_("DNS lookup failed"),
};

const char *dns_status_text(enum dns_status st)
{
	return (unsigned)st < sizeof status_texts / sizeof status_texts[0] ? status_texts[st] : "DNS error";
}

/* c-ares status -> our vocabulary, as data. */
static const struct {
	int ares;
	enum dns_status st;
} status_map[] = {
	{ ARES_SUCCESS, DNS_OK },
	{ ARES_ENODATA, DNS_NODATA },
	{ ARES_ENOTFOUND, DNS_NXDOMAIN },
	{ ARES_ESERVFAIL, DNS_SERVFAIL },
	{ ARES_EREFUSED, DNS_SERVFAIL },
	{ ARES_ETIMEOUT, DNS_TIMEOUT },
};

static enum dns_status map_status(int status)
{
	for (size_t i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
		if (status_map[i].ares == status)
			return status_map[i].st;
	return DNS_ERROR;
}

static void on_fd(void *ctx, int fd, unsigned events)
{
	struct dns *d = ctx;
	ares_process_fd(d->channel,
	                (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD,
	                (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = data;
	unsigned ev = (readable ? LOOP_READ : 0) | (writable ? LOOP_WRITE : 0);
	loop_watch(d->loop, fd, ev, on_fd, d);
}

static int hook_timeout(void *ctx)
{
	struct dns *d = ctx;
	struct timeval tv;
	if (!ares_timeout(d->channel, NULL, &tv))
		return -1;
	return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

static void hook_after(void *ctx)
{
	struct dns *d = ctx;
	/* Without this pass c-ares never notices its own timeouts. */
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

struct dns *dns_new(struct loop *l, const char *servers, int try_ms, char *err, size_t errsz)
{
	static int library_ready;
	if (!library_ready) {
		int st = ares_library_init(ARES_LIB_INIT_ALL);
		if (st != ARES_SUCCESS) {
			snprintf(err, errsz, "c-ares: %s", ares_strerror(st));
			return NULL;
		}
		library_ready = 1;
	}
	struct dns *d = xcalloc(1, sizeof *d);
	d->loop = l;
	struct ares_options opts = { 0 };
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = d;
	opts.timeout = try_ms > 0 ? try_ms : 2000;
	opts.tries = 2;
	/*
	 * Mail domains are absolute: never let a search list rewrite them.
	 * NOCHECKRESP hands SERVFAIL and REFUSED back as such: c-ares 1.18
	 * otherwise retries and then reports them as "could not contact".
	 */
	opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
	int st = ares_init_options(&d->channel, &opts, mask);
	if (st != ARES_SUCCESS) {
		snprintf(err, errsz, "cannot set up the resolver: %s", ares_strerror(st));
		free(d);
		return NULL;
	}
	if (servers) {
		st = ares_set_servers_ports_csv(d->channel, servers);
		if (st != ARES_SUCCESS) {
			snprintf(err, errsz, "invalid --resolver \"%s\": %s", servers, ares_strerror(st));
			ares_destroy(d->channel);
			free(d);
			return NULL;
		}
	}
	struct loop_hook h = { hook_timeout, hook_after, d };
	loop_set_hook(l, &h);
	return d;
}

static void req_free(struct dns_req *r);

void dns_free(struct dns *d)
{
	if (!d)
		return;
	for (struct dns_req *r = d->reqs; r; r = r->next)
		r->ctx = NULL;
	/* Never sent: nobody else frees them. */
	while (d->wait_head) {
		struct dns_req *r = d->wait_head;
		d->wait_head = r->next_waiting;
		req_free(r);
	}
	d->wait_tail = NULL;
	ares_destroy(d->channel); /* runs the callbacks, which free the requests */
	loop_set_hook(d->loop, NULL);
	free(d);
}

static struct dns_req *req_new(struct dns *d, void *ctx)
{
	struct dns_req *r = xcalloc(1, sizeof *r);
	r->d = d;
	r->ctx = ctx;
	r->next = d->reqs;
	if (d->reqs)
		d->reqs->prev = r;
	d->reqs = r;
	return r;
}

static void req_free(struct dns_req *r)
{
	free(r->name);
	if (r->prev)
		r->prev->next = r->next;
	else
		r->d->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

void dns_forget(struct dns *d, void *ctx)
{
	for (struct dns_req *r = d->reqs; r; r = r->next)
		if (r->ctx == ctx)
			r->ctx = NULL;
}

enum dns_status dns_mx_from_answer(int status, const unsigned char *abuf, int alen, struct dns_mx *mx, int *n,
                                   const char **why)
{
	enum dns_status st = map_status(status);
	*n = 0;
	*why = status == ARES_SUCCESS ? NULL : ares_strerror(status);
	if (st != DNS_OK)
		return st;
	struct ares_mx_reply *list = NULL;
	int pst = ares_parse_mx_reply(abuf, alen, &list);
	if (pst == ARES_ENODATA)
		return DNS_NODATA;
	if (pst != ARES_SUCCESS) {
		*why = ares_strerror(pst);
		return DNS_ERROR;
	}
	for (struct ares_mx_reply *m = list; m && *n < DNS_MX_MAX; m = m->next) {
		struct dns_mx *x = &mx[*n];
		snprintf(x->host, sizeof x->host, "%s", m->host ? m->host : "");
		/* c-ares may render the root as "." or "": both are the null MX. */
		if (strcmp(x->host, ".") == 0)
			x->host[0] = '\0';
		x->preference = m->priority;
		(*n)++;
	}
	ares_free_data(list);
	return *n == 0 ? DNS_NODATA : DNS_OK;
}

static void send_req(struct dns_req *r);

/*
 * Send waiting queries (not forgotten ones) while there is room. A query
 * c-ares fails at once calls back from inside send_req(): the flag keeps
 * that from recursing, the loop here carries on.
 */
static void pump(struct dns *d)
{
	if (d->pumping)
		return;
	d->pumping = true;
	while (d->wait_head && d->inflight < DNS_INFLIGHT_MAX) {
		struct dns_req *r = d->wait_head;
		d->wait_head = r->next_waiting;
		if (!d->wait_head)
			d->wait_tail = NULL;
		if (!r->ctx) {
			req_free(r);
			continue;
		}
		send_req(r);
	}
	d->pumping = false;
}

/* A query ended: the next waiting one takes its place. */
static void query_done(struct dns *d)
{
	d->inflight--;
	pump(d);
}

static void on_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)timeouts;
	struct dns_req *r = arg;
	struct dns *d = r->d;
	struct dns_mx mx[DNS_MX_MAX];
	int n;
	const char *why;
	enum dns_status st = dns_mx_from_answer(status, abuf, alen, mx, &n, &why);
	if (r->ctx)
		r->mx_fn(r->ctx, st, mx, n, why);
	req_free(r);
	/* Not while the channel is being destroyed: nothing more is sent then. */
	if (status != ARES_EDESTRUCTION)
		query_done(d);
}

/* Send now, or wait for a free place. */
static void submit(struct dns *d, struct dns_req *r)
{
	if (d->inflight < DNS_INFLIGHT_MAX) {
		send_req(r);
		return;
	}
	if (d->wait_tail)
		d->wait_tail->next_waiting = r;
	else
		d->wait_head = r;
	d->wait_tail = r;
}

void dns_query_mx(struct dns *d, const char *domain, dns_mx_fn fn, void *ctx)
{
	struct dns_req *r = req_new(d, ctx);
	r->mx_fn = fn;
	r->name = xstrdup(domain);
	submit(d, r);
}

enum dns_status dns_addrs_from_addrinfo(int status, const struct ares_addrinfo *res, struct dns_addr *a, int *n,
                                        const char **why)
{
	enum dns_status st = map_status(status);
	*n = 0;
	*why = status == ARES_SUCCESS ? NULL : ares_strerror(status);
	if (st == DNS_OK && res) {
		for (const struct ares_addrinfo_node *node = res->nodes; node && *n < DNS_ADDR_MAX; node = node->ai_next) {
			if (node->ai_family != AF_INET && node->ai_family != AF_INET6)
				continue;
			struct dns_addr *x = &a[*n];
			memset(x, 0, sizeof *x);
			x->family = node->ai_family;
			x->salen = node->ai_addrlen <= sizeof x->sa ? node->ai_addrlen : sizeof x->sa;
			memcpy(&x->sa, node->ai_addr, x->salen);
			const void *src = node->ai_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)node->ai_addr)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)node->ai_addr)->sin6_addr;
			inet_ntop(node->ai_family, src, x->ip, sizeof x->ip);
			bool dup = false;
			for (int k = 0; k < *n; k++)
				if (strcmp(a[k].ip, x->ip) == 0)
					dup = true;
			if (!dup)
				(*n)++;
		}
		if (*n == 0)
			st = DNS_NODATA;
	}
	/* getaddrinfo says "not found" for a name without addresses too. */
	if (st == DNS_NXDOMAIN)
		*why = "no address found";
	return st;
}

static void on_addr(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	(void)timeouts;
	struct dns_req *r = arg;
	struct dns_addr a[DNS_ADDR_MAX];
	int n;
	const char *why;
	enum dns_status st = dns_addrs_from_addrinfo(status, res, a, &n, &why);
	if (res)
		ares_freeaddrinfo(res);
	struct dns *d = r->d;
	if (r->ctx)
		r->addr_fn(r->ctx, st, a, n, why);
	req_free(r);
	if (status != ARES_EDESTRUCTION)
		query_done(d);
}

/* An IP address needs no lookup: c-ares 1.18 would still send it to the resolver. */
static bool literal_addr(const char *host, int family, struct dns_addr *a)
{
	memset(a, 0, sizeof *a);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
	if (family != AF_INET6 && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		a->family = AF_INET;
		a->salen = sizeof *s4;
	} else if (family != AF_INET && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		a->family = AF_INET6;
		a->salen = sizeof *s6;
	} else {
		return false;
	}
	snprintf(a->ip, sizeof a->ip, "%s", host);
	return true;
}

void dns_query_addr(struct dns *d, const char *host, int family, dns_addr_fn fn, void *ctx)
{
	struct dns_addr lit;
	if (literal_addr(host, family, &lit)) {
		fn(ctx, DNS_OK, &lit, 1, NULL);
		return;
	}
	struct dns_req *r = req_new(d, ctx);
	r->addr_fn = fn;
	r->name = xstrdup(host);
	r->family = family;
	submit(d, r);
}

/* ---- TXT and TLSA: a query of our own (AD set) and a reader of the raw answer ---- */

#define DNS_T_TXT 16
#define DNS_T_TLSA 52
#define DNS_C_IN 1
/* Header, byte 3: RA Z AD CD RCODE(4). */
#define DNS_FLAG_AD 0x20

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Step over a (possibly compressed) name; false when it runs past the end. */
static bool skip_name(const unsigned char *b, size_t len, size_t *pos)
{
	size_t p = *pos;
	/* At most 127 labels fit in 255 bytes: more is a malformed name. */
	for (int labels = 0; labels < 128; labels++) {
		if (p >= len)
			return false;
		unsigned l = b[p];
		if (l == 0) {
			*pos = p + 1;
			return true;
		}
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return false;
			*pos = p + 2;
			return true;
		}
		if (l & 0xc0)
			return false; /* the reserved label types */
		p += 1 + l;
	}
	return false;
}

typedef void (*rdata_fn)(void *ctx, const unsigned char *rd, size_t rdlen);

/*
 * Walk a response: header, questions, answers; call fn for each answer of
 * qtype in class IN. Status from the RCODE and from whether any was found.
 */
static enum dns_status walk_answer(const unsigned char *b, int alen, int qtype, rdata_fn fn, void *ctx,
                                   struct dns_answer_info *info, const char **why)
{
	size_t len = alen > 0 ? (size_t)alen : 0;
	memset(info, 0, sizeof *info);
	if (len < 12 || !(b[2] & 0x80)) {
		*why = "malformed DNS answer";
		return DNS_ERROR;
	}
	info->ad = (b[3] & DNS_FLAG_AD) != 0;
	static const struct {
		int rcode;
		enum dns_status st;
		const char *why;
	} rcodes[] = {
		{ 0, DNS_OK, NULL },
		{ 2, DNS_SERVFAIL, "SERVFAIL" },
		{ 3, DNS_NXDOMAIN, "NXDOMAIN" },
		{ 5, DNS_SERVFAIL, "REFUSED" },
	};
	int rcode = b[3] & 0x0f;
	enum dns_status st = DNS_ERROR;
	*why = "unexpected DNS response code";
	for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++)
		if (rcodes[i].rcode == rcode) {
			st = rcodes[i].st;
			*why = rcodes[i].why;
		}
	if (st != DNS_OK)
		return st;
	unsigned qd = get16(b + 4), an = get16(b + 6);
	size_t pos = 12;
	for (unsigned i = 0; i < qd; i++) {
		if (!skip_name(b, len, &pos) || pos + 4 > len) {
			*why = "malformed DNS answer";
			return DNS_ERROR;
		}
		pos += 4;
	}
	int found = 0;
	for (unsigned i = 0; i < an; i++) {
		if (!skip_name(b, len, &pos) || pos + 10 > len) {
			*why = "malformed DNS answer";
			return DNS_ERROR;
		}
		int type = get16(b + pos), klass = get16(b + pos + 2);
		size_t rdlen = get16(b + pos + 8);
		pos += 10;
		if (pos + rdlen > len) {
			*why = "malformed DNS answer";
			return DNS_ERROR;
		}
		if (type == qtype && klass == DNS_C_IN) {
			fn(ctx, b + pos, rdlen);
			found++;
		}
		pos += rdlen;
	}
	*why = found ? NULL : "no records of that type";
	return found ? DNS_OK : DNS_NODATA;
}

struct txt_collect {
	struct strbuf *store;
	size_t off[DNS_TXT_MAX], len[DNS_TXT_MAX];
	int n;
	struct dns_answer_info *info;
};

static void txt_rdata(void *ctx, const unsigned char *rd, size_t rdlen)
{
	struct txt_collect *c = ctx;
	/* RFC 1035 3.3.14: one or more <character-string>s, each a length byte and that many bytes. */
	size_t p = 0;
	bool ok = rdlen > 0;
	while (ok && p < rdlen) {
		size_t l = rd[p];
		ok = p + 1 + l <= rdlen;
		p += 1 + l;
	}
	if (!ok || c->n == DNS_TXT_MAX) {
		c->info->skipped++;
		return;
	}
	c->off[c->n] = c->store->len;
	for (p = 0; p < rdlen; p += 1 + rd[p])
		strbuf_append(c->store, (const char *)rd + p + 1, rd[p]);
	c->len[c->n] = c->store->len - c->off[c->n];
	c->n++;
}

enum dns_status dns_txt_from_answer(const unsigned char *abuf, int alen, struct strbuf *store, struct txt_record *txt,
                                    int *n, struct dns_answer_info *info, const char **why)
{
	struct txt_collect c = { .store = store, .info = info };
	strbuf_reset(store);
	enum dns_status st = walk_answer(abuf, alen, DNS_T_TXT, txt_rdata, &c, info, why);
	/* Pointers only now: the store may have moved while it grew. */
	for (int i = 0; i < c.n; i++) {
		txt[i].data = strbuf_str(store) + c.off[i];
		txt[i].len = c.len[i];
	}
	*n = st == DNS_OK ? c.n : 0;
	if (st == DNS_OK && c.n == 0) {
		*why = "no readable TXT record";
		return DNS_ERROR;
	}
	return st;
}

struct tlsa_collect {
	struct dns_tlsa *t;
	int n;
	struct dns_answer_info *info;
};

static void tlsa_rdata(void *ctx, const unsigned char *rd, size_t rdlen)
{
	struct tlsa_collect *c = ctx;
	/* RFC 6698 2.1: usage, selector, matching type, then the association data. */
	if (rdlen < 4 || rdlen - 3 > DNS_TLSA_DATA_MAX || c->n == DNS_TLSA_MAX) {
		c->info->skipped++;
		return;
	}
	struct dns_tlsa *t = &c->t[c->n++];
	t->usage = rd[0];
	t->selector = rd[1];
	t->mtype = rd[2];
	t->len = (uint16_t)(rdlen - 3);
	memcpy(t->data, rd + 3, rdlen - 3);
}

enum dns_status dns_tlsa_from_answer(const unsigned char *abuf, int alen, struct dns_tlsa *t, int *n,
                                     struct dns_answer_info *info, const char **why)
{
	struct tlsa_collect c = { .t = t, .info = info };
	enum dns_status st = walk_answer(abuf, alen, DNS_T_TLSA, tlsa_rdata, &c, info, why);
	*n = st == DNS_OK ? c.n : 0;
	if (st == DNS_OK && c.n == 0) {
		*why = "no readable TLSA record";
		return DNS_ERROR;
	}
	return st;
}

static void on_raw(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)timeouts;
	struct dns_req *r = arg;
	struct dns *d = r->d;
	struct dns_answer_info info = { 0 };
	const char *why = status == ARES_SUCCESS ? NULL : ares_strerror(status);
	enum dns_status st = map_status(status);
	int n = 0;
	if (r->qtype == DNS_T_TXT) {
		struct strbuf store = STRBUF_INIT;
		struct txt_record txt[DNS_TXT_MAX];
		if (status == ARES_SUCCESS)
			st = dns_txt_from_answer(abuf, alen, &store, txt, &n, &info, &why);
		if (r->ctx)
			r->txt_fn(r->ctx, st, txt, n, &info, why);
		strbuf_free(&store);
	} else {
		/* Heap, not stack: 16 records of up to 1 KiB each. */
		struct dns_tlsa *t = xcalloc(DNS_TLSA_MAX, sizeof *t);
		if (status == ARES_SUCCESS)
			st = dns_tlsa_from_answer(abuf, alen, t, &n, &info, &why);
		if (r->ctx)
			r->tlsa_fn(r->ctx, st, t, n, &info, why);
		free(t);
	}
	req_free(r);
	if (status != ARES_EDESTRUCTION)
		query_done(d);
}

/*
 * ares_query cannot set AD, and a validating resolver sets AD in its
 * answer only when the query asks (with AD or DO): build the query
 * ourselves, with EDNS0 for answers over 512 bytes, and set the bit.
 */
static void send_raw(struct dns_req *r)
{
	unsigned char *q = NULL;
	int qlen = 0;
	int st = ares_create_query(r->name, DNS_C_IN, r->qtype, 0, 1, &q, &qlen, 1232);
	if (st != ARES_SUCCESS) {
		on_raw(r, st, 0, NULL, 0);
		return;
	}
	q[3] |= DNS_FLAG_AD;
	ares_send(r->d->channel, q, qlen, on_raw, r);
	ares_free_string(q);
}

static void query_raw(struct dns *d, const char *name, int qtype, dns_txt_fn txt_fn, dns_tlsa_fn tlsa_fn, void *ctx)
{
	struct dns_req *r = req_new(d, ctx);
	r->qtype = qtype;
	r->txt_fn = txt_fn;
	r->tlsa_fn = tlsa_fn;
	r->name = xstrdup(name);
	submit(d, r);
}

void dns_query_txt(struct dns *d, const char *name, dns_txt_fn fn, void *ctx)
{
	query_raw(d, name, DNS_T_TXT, fn, NULL, ctx);
}

void dns_query_tlsa(struct dns *d, const char *name, dns_tlsa_fn fn, void *ctx)
{
	query_raw(d, name, DNS_T_TLSA, NULL, fn, ctx);
}

static void on_raw_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)timeouts;
	struct dns_req *r = arg;
	struct dns *d = r->d;
	if (r->ctx)
		r->raw_fn(r->ctx, map_status(status), status == ARES_SUCCESS ? abuf : NULL,
		          status == ARES_SUCCESS ? alen : 0, status == ARES_SUCCESS ? NULL : ares_strerror(status));
	req_free(r);
	if (status != ARES_EDESTRUCTION)
		query_done(d);
}

void dns_query_raw(struct dns *d, const char *name, int type, dns_raw_fn fn, void *ctx)
{
	struct dns_req *r = req_new(d, ctx);
	r->raw_fn = fn;
	r->raw_type = type;
	r->name = xstrdup(name);
	submit(d, r);
}

static void send_req(struct dns_req *r)
{
	struct dns *d = r->d;
	d->inflight++;
	if (r->raw_fn) {
		ares_query(d->channel, r->name, ns_c_in, r->raw_type, on_raw_answer, r);
		return;
	}
	if (r->qtype) {
		send_raw(r);
		return;
	}
	if (r->mx_fn) {
		ares_query(d->channel, r->name, ns_c_in, ns_t_mx, on_mx, r);
		return;
	}
	struct ares_addrinfo_hints hints = { 0 };
	hints.ai_family = r->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(d->channel, r->name, NULL, &hints, on_addr, r);
}
