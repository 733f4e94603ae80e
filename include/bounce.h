/*
 * bounce.h - what a bounce says, read from the message: for each failed or
 * delayed recipient, the remote server, the SMTP step at which it refused
 * and its reply, the DSN status and action. Pure: a buffer in, records out.
 *
 * Sources, in order of trust: the RFC 3464 delivery-status part, then the
 * human-readable text in the wordings of the MTAs that write bounces
 * (tables in src/bounce.c), merged per recipient. Auto-replies, ARF
 * feedback reports and success notices are recognised as not bounces.
 */
#ifndef SMTPPROBE_BOUNCE_H
#define SMTPPROBE_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"
#include "result.h"

/* The SMTP step, as a bounce can tell it: a probe's steps and the two it never reaches. */
enum bounce_step {
	BSTEP_NONE = 0,
	BSTEP_CONNECT,
	BSTEP_BANNER,
	BSTEP_EHLO,
	BSTEP_HELO,
	BSTEP_STARTTLS,
	BSTEP_MAIL,
	BSTEP_RCPT,
	BSTEP_DATA,          /* the DATA command itself */
	BSTEP_END_OF_DATA,   /* after the message was sent: content, spam, virus, size */
	BSTEP_COUNT
};

/* What found the step and reply (JSON "source"). */
enum bounce_source {
	BSRC_DSN = 0, BSRC_POSTFIX, BSRC_EXIM, BSRC_SENDMAIL, BSRC_QMAIL, BSRC_COURIER, BSRC_OPENSMTPD,
	BSRC_EXCHANGE, BSRC_GMAIL, BSRC_YAHOO, BSRC_SES, BSRC_GENERIC, BSRC_COUNT
};

enum bounce_kind {
	BOUNCE_FAILURE = 0,     /* a bounce or delay notice with at least one recipient */
	BOUNCE_AUTOREPLY,       /* vacation, out of office */
	BOUNCE_FEEDBACK,        /* an ARF feedback report */
	BOUNCE_SUCCESS,         /* a DSN whose recipients were all delivered, relayed or expanded */
	BOUNCE_NONE,            /* no failed recipient found */
	BOUNCE_EMPTY,           /* nothing but white space */
};

#define BOUNCE_RCPTS_MAX 256
#define BOUNCE_ADDR_MAX 330

struct bounce_rcpt {
	char recipient[BOUNCE_ADDR_MAX];          /* "" when unknown */
	char original_recipient[BOUNCE_ADDR_MAX];
	char sender[BOUNCE_ADDR_MAX];
	char remote_host[256];
	char remote_ip[46];
	char reporting_mta[256];
	enum bounce_step step;
	bool have_reply;
	struct reply reply;
	enum failure failure;     /* for a refusal without reply (connection refused, timeout); else from the code */
	char status[16];          /* "5.1.1", "" when unknown */
	char action[24];          /* "failed", "delayed", "" when unknown */
	bool permanent;
	enum bounce_source source;
	char last_attempt[80];
};

struct bounce {
	enum bounce_kind kind;
	char detail[64];          /* BOUNCE_SUCCESS: the action ("delivered"); BOUNCE_AUTOREPLY: why */
	struct bounce_rcpt *rcpts;
	size_t nrcpts;
};

/* Parse len octets; cannot fail (out->kind says what it found). Free with bounce_free. */
void bounce_parse(const char *buf, size_t len, struct bounce *out);
void bounce_free(struct bounce *b);

const char *bounce_step_name(enum bounce_step s);   /* "rcpt", "end_of_data"; "" for none */
const char *bounce_step_label(enum bounce_step s);  /* "RCPT TO", "end of data": English, N_() */
const char *bounce_source_name(enum bounce_source s);
/* The probe's step for the diagnosis table; STEP_NONE for DATA and end of data. */
enum step bounce_probe_step(enum bounce_step s);
/* Whether a probe, which stops at RCPT TO, can meet this refusal again. */
bool bounce_probe_can_reproduce(enum bounce_step s);

#endif
