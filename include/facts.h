/*
 * facts.h - what one run learns about a domain and shares between the
 * probes of its addresses, so that the remote server and the resolver are
 * asked once: the catch-all check (does the domain accept a made-up
 * address?) and the domain's DNS answers (its mail hosts and their
 * addresses, or a definitive failure).
 *
 * Keys are domains as the probe writes them (A-labels), compared without
 * regard to ASCII case.
 */
#ifndef SMTPPROBE_FACTS_H
#define SMTPPROBE_FACTS_H

#include <stdbool.h>

#include "reply.h"
#include "result.h"

struct facts_catch_all {
	enum catch_all state;        /* never CATCH_ALL_UNTESTED */
	char address[320];           /* the made-up recipient that was tried */
	bool have_reply;
	struct reply reply;          /* its reply, 4xx included */
};

struct facts;

struct facts *facts_new(void);
void facts_free(struct facts *f);

/* The domain's catch-all check, or NULL when none finished yet. */
const struct facts_catch_all *facts_catch_all(const struct facts *f, const char *domain);
/* Keep a finished check (the first one stays; at most FACTS_ROUTES_MAX domains, then afresh). */
void facts_set_catch_all(struct facts *f, const char *domain, const struct facts_catch_all *c);

/*
 * The domain's DNS answers as the probe keeps them (an opaque copy of
 * len octets), or NULL. The cache holds FACTS_ROUTES_MAX domains at most
 * and starts afresh when full, so a list of millions of domains keeps a
 * bounded memory.
 */
#define FACTS_ROUTES_MAX 4096
const void *facts_route(const struct facts *f, const char *domain, size_t *len);
void facts_set_route(struct facts *f, const char *domain, const void *data, size_t len);

#endif
