/*
 * probe.h - one address, end to end: MX lookup (null MX, implicit MX), the
 * hosts in order as an MTA would try them, and the SMTP walk on each until
 * a definitive answer. Runs inside the shared loop; the result says where
 * (step), why (failure) and with which evidence (reply) it ended.
 */
#ifndef SMTPPROBE_PROBE_H
#define SMTPPROBE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "address.h"
#include "dns.h"
#include "ehlo.h"
#include "loop.h"
#include "reply.h"
#include "result.h"
#include "strbuf.h"
#include "socks.h"
#include "tls.h"

#define PROBE_TARGETS_MAX 16  /* connections tried per address, at most */

struct facts;

struct probe_options {
	const char *mail_from;       /* validated local@domain, or "" for <> */
	bool from_needs_smtputf8;
	const char *helo;            /* NULL: this host's FQDN, else our address literal */
	const char *server_host;     /* --server: skip MX lookup */
	int server_port;             /* 0: use port */
	int port;                    /* default 25 */
	int family;                  /* AF_UNSPEC, AF_INET, AF_INET6 */
	bool all_mx;
	bool catch_all;              /* try a made-up recipient after an accepted one (default; --no-catch-all) */
	bool require_mailbox;        /* --require-mailbox: an unverifiable acceptance exits 79 */
	struct facts *facts;         /* what the run learnt per domain (catch-all), shared; may be NULL */
	int retry_greylist_s;        /* --retry-greylist: seconds to wait; 0 = no retry */
	uint64_t size;
	int timeout_ms[STEP_COUNT];  /* per step */
	struct tls_config tls;
	SSL_CTX *tls_ctx;            /* NULL with --tls none */
	const char *tls_name;        /* --tls-name: SNI and the name verified */
	const char *auth_user;       /* --auth */
	const char *auth_secret;     /* never from argv; wiped by main */
	int auth_mech;               /* enum auth_mech forced, or AUTH_NONE */
	bool allow_plaintext_auth;
	const struct socks_proxy *proxy;     /* --proxy / SMTPPROBE_PROXY */
	const struct dns_addr *proxy_addr;   /* the proxy's address, resolved by the caller */
	int verbose;                 /* 1: C:/S: lines, 2: plus state changes */
	bool keep_transcript;
	void (*trace)(void *ctx, const char *line, size_t len);  /* live -v output */
	void *trace_ctx;
};

struct probe_attempt {
	char host[256];
	char ip[46];
	int port;
	enum step step;
	enum failure failure;
	bool have_reply;
	struct reply reply;
	char detail[384];            /* room for a translated text */
	struct tls_info tls;
	int auth_mech;               /* enum auth_mech used, AUTH_NONE */
	int catch_all;               /* see struct smtp_outcome */
	struct reply catch_all_reply;
	int64_t at_ms;               /* when the attempt started, from the probe's start */
};

struct probe_mx {
	char host[256];
	int preference;
	bool implicit;
};

struct probe_result {
	char *input;                 /* the address as given (may hold NUL bytes) */
	size_t input_len;
	bool addr_ok;
	struct address addr;
	enum verdict verdict;
	enum step step;
	enum failure failure;
	enum blame blame;            /* from the diagnosis */
	enum mailbox mailbox;        /* from the diagnosis */
	const char *category;        /* the diagnosis category */
	char message[640];
	bool have_reply;
	struct reply reply;
	bool have_server;
	char server_host[256];
	char server_ip[46];
	int server_port;
	struct probe_mx mx[DNS_MX_MAX];
	int nmx;
	bool null_mx;
	struct probe_attempt attempts[PROBE_TARGETS_MAX];
	int nattempts;
	bool have_caps;
	struct ehlo_caps caps;
	struct tls_info tls;         /* tls.used false: the session was not encrypted */
	int auth_mech;
	int catch_all;               /* enum catch_all */
	bool catch_all_shared;       /* learnt by an earlier address of the domain in this run */
	char catch_all_address[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	bool have_catch_all_reply;
	struct reply catch_all_reply;
	int greylist_wait_s;         /* --retry-greylist: seconds waited before the retry; 0 = none */
	int decided;                 /* index of the attempt that gave the result, or -1 */
	struct strbuf notes;         /* one note per line */
	int64_t timings_ms[STEP_COUNT]; /* -1: the step did not run */
	int64_t total_ms;
	struct strbuf transcript;    /* "C: ...\n" lines, with keep_transcript */
	int exit_status;
};

/* Defaults for every step's timeout, in milliseconds. */
void probe_options_defaults(struct probe_options *o);

struct probe;

/*
 * Start probing the address in input[0..len) inside the loop; done(ctx) is
 * called once when out is complete (possibly before probe_start returns,
 * e.g. for an invalid address). Free the probe with probe_free, but not
 * from inside done(). Returns NULL only when out of memory (done was called).
 */
struct probe *probe_start(struct loop *l, struct dns *d, const struct probe_options *o,
                          const char *input, size_t len, struct probe_result *out,
                          void (*done)(void *ctx), void *ctx);
void probe_free(struct probe *p);

/*
 * Probe one address to the end, running the loop. out is always filled
 * (probe_result_free releases it), whatever happened.
 */
void probe_run(struct loop *l, struct dns *d, const struct probe_options *o,
               const char *input, size_t len, struct probe_result *out);

void probe_result_free(struct probe_result *r);

/*
 * Diagnose the outcome and set blame, mailbox, category and the exit
 * status from it. probe_start does it; call again after changing the
 * outcome's evidence (e.g. the catch-all state).
 */
void probe_result_judge(struct probe_result *r, bool require_mailbox);

#endif
