/*
 * runtime.h - what every command sets up from the options before it runs:
 * the AUTH secret, the TLS context, the event loop, the resolver and the
 * proxy's address, and their release in reverse order. The probe, explain
 * --reprobe and audit share it, so an option means the same to each.
 */
#ifndef SMTPPROBE_RUNTIME_H
#define SMTPPROBE_RUNTIME_H

#include "cli.h"
#include "dns.h"
#include "loop.h"
#include "socks.h"

struct runtime {
	struct loop *loop;
	struct dns *dns;
	struct ssl_ctx_st *tls_ctx;
	char *secret;
	struct socks_proxy proxy;
	struct dns_addr proxy_addr;
};

/*
 * Set up from c (c->probe gets the TLS context, the secret, the proxy and
 * the default HELO name). Returns 0, or the exit status with one line in
 * err: 64 for a bad option value (CA file, --resolver), 75 when the proxy
 * cannot be resolved, 70 otherwise. runtime_close releases what was made,
 * on every path.
 */
int runtime_open(struct runtime *rt, struct cli *c, char *err, size_t errsz);
void runtime_close(struct runtime *rt);

#endif
