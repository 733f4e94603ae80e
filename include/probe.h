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
#include "auth.h"
#include "dns.h"
#include "ehlo.h"
#include "loop.h"
#include "reply.h"
#include "result.h"
#include "strbuf.h"
#include "socks.h"
#include "msg.h"
#include "tls_info.h"


struct facts;
struct ssl_st;

struct probe_options {
	const char *mail_from;       /* validated local@domain, or "" for <> */
	bool from_needs_smtputf8;
	const char *helo;            /* NULL: this host's FQDN, else our address literal */
	const char *server_host;     /* --server: skip MX lookup */
	int server_port;             /* 0: use port */
	int port;                    /* default 25 */
	int family;                  /* AF_UNSPEC, AF_INET, AF_INET6 */
	bool resolver_given;         /* --resolver: for the advice on DNS failures */
	bool all_mx;
	bool catch_all;              /* try a made-up recipient after an accepted one (default; --no-catch-all) */
	bool require_mailbox;        /* --require-mailbox: an unverifiable acceptance exits 79 */
	struct facts *facts;         /* what the run learnt per domain (catch-all), shared; may be NULL */
	int retry_greylist_s;        /* --retry-greylist: seconds to wait; 0 = no retry */
	int rcpt_per_session;        /* --rcpt-per-session; 0: PROBE_RCPT_PER_SESSION */
	int max_time_s;              /* --max-time: bound on one address; 0 = none */
	uint64_t size;
	int timeout_ms[STEP_COUNT];  /* per step */
	struct tls_config tls;
	struct ssl_ctx_st *tls_ctx;  /* SSL_CTX; NULL with --tls none */
	const char *tls_name;        /* --tls-name: SNI and the name verified */
	const char *auth_user;       /* --auth */
	const char *auth_secret;     /* never from argv; wiped by main */
	int auth_mech;               /* enum auth_mech forced, or AUTH_NONE */
	bool allow_plaintext_auth;
	bool allow_unverified_auth;  /* --allow-unverified-auth */
	const struct socks_proxy *proxy;     /* --proxy / SMTPPROBE_PROXY */
	const struct dns_addr *proxy_addr;   /* the proxy's address, resolved by the caller */
	int verbose;                 /* 1: C:/S: lines, 2: plus state changes */
	bool keep_transcript;
	/*
	 * live -v output: a transcript line (prefix "C: ", "S: ") or an event
	 * (msg, prefix "*** "); who names the probe (its domain and a number
	 * in the run), for a batch where several sessions interleave
	 */
	void (*trace)(void *ctx, const char *who, const char *prefix, const char *line, size_t len, const struct msg *m);
	void *trace_ctx;
	/*
	 * After each completed handshake, the session (SSL *), only to read:
	 * the audit keeps the chain the server presented for its DANE check.
	 * NULL: not called.
	 */
	void (*tls_peer)(void *ctx, struct ssl_st *ssl);
	void *tls_peer_ctx;
};

#define PROBE_NOTES_MAX 12   /* distinct notes kept per result; more are counted */
/*
 * Recipients carried by one session at most: half of the 100 that RFC 5321
 * 4.5.3.1.8 says a server must take in one transaction, as Postfix's
 * smtp_destination_recipient_limit (50).
 */
#define PROBE_RCPT_PER_SESSION 50
#define PROBE_MAX_TIME_DEFAULT 300  /* --max-time: five minutes per address */
#define PROBE_TRANSCRIPT_MAX 65536  /* octets of -v transcript a probe keeps for JSON */

/* One connection: where to, how it ended, and what the server showed. */
struct probe_attempt {
	char host[256];
	char ip[46];                 /* "" when a socks5h proxy resolved the name */
	int port;
	bool plain;                  /* opportunistic TLS failed: retried without STARTTLS */
	enum step step;
	enum failure failure;
	bool have_reply;
	struct reply reply;
	struct msg detail;           /* what happened, when the reply does not say it all */
	struct tls_info tls;         /* tls.used false: not encrypted */
	enum auth_mech auth_mech;    /* AUTH_NONE when none was used */
	bool have_caps;
	struct ehlo_caps caps;       /* the last successful EHLO/HELO */
	bool starttls_offered;       /* by the EHLO before TLS */
	enum catch_all catch_all;    /* from this session */
	struct reply catch_all_reply;
	int64_t at_ms;               /* when the attempt started, from the probe's start */
};

struct probe_mx {
	char host[256];
	int preference;
	bool implicit;
};

/*
 * One address's result. Each fact is stored once: the connection that
 * decided is attempts[decided] (server, reply, TLS, EHLO are read from
 * it, see probe_decided()); what ended the probe before any connection
 * (input, DNS) is in detail.
 */
struct probe_result {
	char *input;                 /* the address as given (may hold NUL bytes) */
	size_t input_len;
	bool addr_ok;
	struct address addr;
	enum addr_error addr_error;  /* when the address did not parse */
	enum verdict verdict;
	enum step step;
	enum failure failure;
	enum blame blame;            /* from the diagnosis */
	enum mailbox mailbox;        /* from the diagnosis */
	const char *category;        /* the diagnosis category */
	struct msg detail;           /* without a deciding attempt: what happened */
	struct probe_mx mx[DNS_MX_MAX];
	int nmx;
	bool null_mx;
	struct probe_attempt *attempts;
	int nattempts;
	int decided;                 /* index of the attempt that gave the result, or -1 */
	unsigned context;            /* enum diag_context: options that shaped the outcome */
	enum catch_all catch_all;
	bool catch_all_shared;       /* learnt by an earlier address of the domain in this run */
	char catch_all_address[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	bool have_catch_all_reply;
	struct reply catch_all_reply;
	int greylist_wait_s;         /* --retry-greylist: seconds waited before the retry; 0 = none */
	struct msg *notes;           /* allocated as they come: most results have none or one */
	int nnotes;
	int notes_dropped;           /* distinct notes beyond PROBE_NOTES_MAX */
	int64_t timings_ms[STEP_COUNT]; /* -1: the step did not run */
	int64_t total_ms;
	struct strbuf transcript;    /* "C: ...\n" lines, with keep_transcript (English) */
	int exit_status;
};

/* The attempt that decided the result, or NULL (input, DNS). */
const struct probe_attempt *probe_decided(const struct probe_result *r);
/* The deciding server answered the connection (not refused or silent at connect). */
bool probe_have_server(const struct probe_result *r);
/* The reply that decided, or NULL. */
const struct reply *probe_reply(const struct probe_result *r);
/* One line saying what happened, for people (translated) or JSON (English). */
void probe_message(const struct probe_result *r, bool translate, struct strbuf *out);
/* Add a note once; what does not fit is counted. */
void probe_note(struct probe_result *r, const struct msg *m);

/* Defaults for every step's timeout, in milliseconds. */
void probe_options_defaults(struct probe_options *o);

struct probe;

/*
 * Probe n addresses of one domain (or one --server) together: one DNS
 * lookup, sessions that each carry several recipients (at most
 * --rcpt-per-session), each address's result from its own RCPT reply;
 * duplicates are probed once. results[i] is filled for inputs[i];
 * done(ctx, i) is called as each one is complete (maybe before this
 * returns, for an invalid address). Free with probe_free once every
 * result is complete, and never from inside done().
 */
struct probe *probe_start_many(struct loop *l, struct dns *d, const struct probe_options *o,
                               const char *const *inputs, const size_t *lens, int n,
                               struct probe_result *const *results,
                               void (*done)(void *ctx, int i), void *ctx);

/*
 * A result for an address that was not probed (an interrupted run, a
 * domain whose servers stopped answering): what happened, and why.
 */
void probe_result_unprobed(struct probe_result *r, const char *input, size_t len, enum step step,
                           enum failure f, const struct msg *why, bool require_mailbox);

void probe_free(struct probe *p);

void probe_result_free(struct probe_result *r);

/*
 * Diagnose the outcome and set blame, mailbox, category and the exit
 * status from it. A probe does it; call again after changing the
 * outcome's evidence (e.g. the catch-all state).
 */
void probe_result_judge(struct probe_result *r, bool require_mailbox);

#endif
