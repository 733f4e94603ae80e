/*
 * diagnose.h - from step + failure + reply to a category, a plain-words
 * summary and a remedy, by a rule table (src/diagnose_rules.c). First
 * matching rule wins; the table ends with fallbacks on the failure class,
 * labelled as such.
 */
#ifndef SMTPPROBE_DIAGNOSE_H
#define SMTPPROBE_DIAGNOSE_H

#include "probe.h"

struct diagnosis {
	const char *category;  /* stable id for scripts, e.g. "recipient_unknown" */
	const char *summary;   /* one line */
	const char *remedy;    /* one line */
};

void diagnose(const struct probe_result *r, struct diagnosis *out);

#endif
