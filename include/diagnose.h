/*
 * diagnose.h - from step + failure + reply to a category, a plain-words
 * summary and a remedy, by a rule table (src/diagnose_rules.c, listed in
 * docs/diagnoses.md). The first matching rule wins; the table ends with
 * fallbacks on the code class, labelled as such.
 *
 * The step is evidence, not the verdict: a reply at RCPT TO that names the
 * sender (Postfix's smtpd_delay_reject) is diagnosed as a sender problem.
 *
 * Everything here is English. Renderers for people translate with
 * diagnosis_summary(..., true) and the like; JSON uses the English forms.
 */
#ifndef SMTPPROBE_DIAGNOSE_H
#define SMTPPROBE_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"
#include "strbuf.h"

struct diag_rule;

/* Options that shaped an outcome, so the advice fits what was asked. */
enum diag_context {
	DIAG_CTX_FAMILY = 1 << 0,    /* -4 or -6: one address family only */
	DIAG_CTX_RESOLVER = 1 << 1,  /* --resolver: the user chose the DNS servers */
	/* The reply was read from a bounce (explain): a real MTA sent a message, not smtpprobe. */
	DIAG_CTX_BOUNCE = 1 << 2,
	/* ... and refused it at DATA or after its end: the content, never the address, was judged. */
	DIAG_CTX_AFTER_DATA = 1 << 3,
	/* ... and reports a final failure (Action: failed), not a delay: the sending server gave up. */
	DIAG_CTX_FINAL = 1 << 4,
};

/* What the rules look at: the outcome and its evidence. */
struct diag_input {
	enum step step;
	enum failure failure;
	const struct reply *reply;   /* NULL when the server did not answer */
	/*
	 * An enhanced status code known apart from the reply (a bounce's DSN
	 * Status:), used when the reply has none, or there is no reply; NULL
	 * or "" when none. X.0.0 says nothing and is not used.
	 */
	const char *status;
	enum catch_all catch_all;
	unsigned context;            /* enum diag_context bits */
};

struct diagnosis {
	const char *category;  /* stable id for scripts, e.g. "recipient_unknown"; "unknown" if no rule */
	enum blame blame;      /* from the rule; BLAME_UNKNOWN when none or a fallback */
	enum mailbox mailbox;
	const char *summary;   /* one line, English, without the list name */
	const char *remedy;    /* one line, English */
	const char *list;      /* the blocklist the reply names, or NULL */
	char matched[192];     /* what decided, English: "enhanced code 5.1.1", "text \"user unknown\"" */
	bool by_reply;         /* the reply's wording or codes decided (not a fallback on the class) */

	/* Evidence behind `matched`, for diagnosis_matched(). */
	const struct diag_rule *rule;  /* NULL when no rule matched */
	char enhanced[16];     /* the enhanced code compared, "" when the rule did not need one */
	bool enhanced_in_text; /* ... found as "(#5.1.1)" in the text */
	bool enhanced_from_status; /* ... or the DSN's Status: (diag_input.status) */
	const char *text;      /* the text alternative that matched (inside rule->text) */
	size_t text_len;
	int code;              /* the reply code, 0 without a reply */
	int failure;           /* enum failure of the result */
};

void diagnose_input(const struct diag_input *in, struct diagnosis *out);
/* The same for a probe's result. */
void diagnose(const struct probe_result *r, struct diagnosis *out);

/* The summary, with the blocklist's name appended when known; translated if asked. */
void diagnosis_summary(const struct diagnosis *d, bool translate, struct strbuf *out);
/* The remedy, translated if asked. */
const char *diagnosis_remedy(const struct diagnosis *d, bool translate);
/* What matched, as in d->matched, translated if asked. */
void diagnosis_matched(const struct diagnosis *d, bool translate, struct strbuf *out);

#endif
