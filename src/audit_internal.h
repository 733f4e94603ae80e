/*
 * audit_internal.h - the audit engine's state, shared by audit.c (the
 * run, the probes of each address) and audit_dns.c (the lookups). One
 * direction: the lookups report what they found to audit.c through
 * audit_mx_found() and audit_addresses_found(); nothing calls back.
 */
#ifndef SMTPPROBE_AUDIT_INTERNAL_H
#define SMTPPROBE_AUDIT_INTERNAL_H

#include "audit.h"
#include "mta_sts.h"

struct audit_engine;
struct audit_domain;
struct audit_mx;

struct audit_addr {
	struct audit_mx *mx;
	struct dns_addr addr;
	unsigned order;
	char target[300];              /* "mx.example.org [192.0.2.1]" */
	char server[64];               /* "192.0.2.1" or "[2001:db8::1]" for the probe's server_host */
	struct probe_options po;       /* the engine's options pointed at this address */
	struct probe *probe;
	int phase;                     /* 0 postmaster, 1 relay, 2 done */
	struct probe_result pm, relay;
	bool relay_ran;
	char relay_from[80], relay_rcpt[80];
	char rcpt[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	char greeting[512];
	bool have_greeting;
	struct loop_timer next;        /* the next phase, outside the probe's done() */
	/* FCrDNS: the PTR names that are fully qualified, tried in turn until one leads back */
	char ptr[4][256];
	int nptr, iptr;
	/* the chain the server presented in the first handshake, for DANE (STACK_OF(X509) *) */
	struct stack_st_X509 *chain;
};

struct audit_mx {
	struct audit_domain *dom;
	char host[256];
	int preference;
	unsigned order;
	struct audit_addr *addrs;
	int naddrs;
	bool have_v4, have_v6;
	bool resolved;
	/* DANE: the TLSA records at _PORT._tcp.host */
	struct dns_tlsa *tlsa;
	int ntlsa;
	bool tlsa_ad;
};

struct audit_domain {
	struct audit_engine *e;
	int idx;
	const char *name;
	struct audit_mx *mx;
	int nmx;
	bool implicit;
	/* MTA-STS: the record's status, then the policy when it was fetched and parsed */
	enum mta_sts_record_status sts_record;
	bool sts_answered;
	bool sts_policy_ok;
	char sts_policy_why[300];
	struct mta_sts_policy sts_policy;
	struct https_fetch *sts_fetch;
};

struct audit_engine {
	struct loop *l;
	struct dns *d;
	const struct audit_options *o;
	struct audit_report *report;
	struct audit_domain *domains;
	int ndomains;
	int pending;                   /* lookups and probes under way */
	bool stop;
};

/* A lookup or probe starts / ends; the last one to end stops the run. */
void audit_begin(struct audit_engine *e);
void audit_end(struct audit_engine *e);

/* audit_dns.c: the MX of a domain, then each MX's addresses, CNAME and (per address) FCrDNS. */
void audit_dns_start(struct audit_domain *dom);
/* audit_dns.c -> audit.c: one MX's addresses are known (maybe none); probe each. */
void audit_probe_addresses(struct audit_mx *mx);
/* audit_dns.c: the FCrDNS of one address. */
void audit_dns_fcrdns(struct audit_addr *a);

/* audit_sts.c: the _mta-sts and _smtp._tls records, the policy; at the end, the checks needing every MX. */
void audit_sts_start(struct audit_domain *dom);
void audit_sts_finish(struct audit_domain *dom);
/* audit_dane.c: the TLSA records of one MX; at the end, the chain of each address against them. */
void audit_dane_start(struct audit_mx *mx);
void audit_dane_finish(struct audit_mx *mx);

#endif
