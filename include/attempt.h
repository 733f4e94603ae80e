/*
 * attempt.h - one connection of a probe: TCP (directly or through the
 * SOCKS5 proxy), TLS (implicit or after STARTTLS), and the SMTP walk of
 * smtp.c over it. It fills one struct probe_attempt and reports back
 * through callbacks; it knows nothing of hosts, routes or results.
 *
 * Every way an attempt can fail gets its step and failure class in one
 * function (classify() in attempt.c): the same event is the same class
 * whether it happens on plain TCP, after STARTTLS or with implicit TLS,
 * and a resource of this machine running out (EMFILE, ENOMEM) is a local
 * failure, never blamed on the remote host.
 */
#ifndef SMTPPROBE_ATTEMPT_H
#define SMTPPROBE_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "loop.h"
#include "msg.h"
#include "probe.h"
#include "smtp.h"
#include "socks.h"

struct attempt_ops {
	/* A transcript line ("C: ", "S: ") or an event (m != NULL, prefix "*** "). */
	void (*trace)(void *ctx, const char *prefix, const char *line, size_t len, const struct msg *m);
	void (*note)(void *ctx, const struct msg *m);
	/* ms spent in a step (added up per step by the caller). */
	void (*timing)(void *ctx, enum step st, int64_t ms);
	/* The attempt is over; out is complete. May restart the attempt. */
	void (*done)(void *ctx);
};

struct attempt_params {
	const struct probe_options *o;
	const char *host;
	const struct dns_addr *addr;  /* ip "" with a socks5h proxy: the proxy resolves host */
	int port;
	bool plain;                   /* no STARTTLS (opportunistic fall-back) */
	const char *const *rcpts;     /* the recipients of this session */
	int nrcpts;
	const char *catch_all_rcpt;   /* NULL: no catch-all check */
	bool need_smtputf8;
};

struct attempt {
	struct loop *l;
	struct attempt_params ap;
	const struct attempt_ops *ops;
	void *ctx;
	struct probe_attempt *out;
	bool running;
	struct conn c;
	struct smtp_session *s;
	struct socks_session *socks;
	struct loop_timer timer;      /* connect, handshake and per-step deadlines */
	bool handshaking;
	bool resuming;                /* a kept TLS session was offered */
	struct msg proxy_why;         /* the SOCKS5 failure, for classify() */
	/* After the attempt: what became of each recipient (nrcpts entries). */
	struct smtp_rcpt *rcpt_results;
	struct msg lost_detail;       /* how the session ended under the lost ones */
	bool mail_accepted;           /* MAIL FROM was accepted: the answers are the recipients' */
	bool cut;                     /* recipients were left unanswered (421, error budget) */
	bool closing;                 /* ... because the server said 421 */
	int64_t t_step;
	char helo[300];
};

/*
 * Connect and walk; out is filled (and reset first). Calls ops->done once,
 * maybe before attempt_start returns (e.g. a connect that fails at once).
 */
void attempt_start(struct attempt *a, struct loop *l, const struct attempt_params *ap, struct probe_attempt *out,
                   const struct attempt_ops *ops, void *ctx);
/* Where a running attempt is now (STEP_NONE when it is not running). */
enum step attempt_step(const struct attempt *a);
/* Stop without reporting (the probe is being freed). Safe when not running. */
void attempt_stop(struct attempt *a);

#endif
