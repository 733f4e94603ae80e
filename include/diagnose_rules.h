/*
 * diagnose_rules.h - the shape of one diagnosis rule; the table itself is
 * data in diagnose_rules.c, applied by diagnose.c, documented by
 * docs/diagnoses.md (generated from the table by tests/tools/gen_diagnoses).
 *
 * A rule matches when every field it sets matches; unset fields (zero,
 * NULL) match anything. The first matching rule wins, so specific rules
 * (known wording, enhanced codes) come before general ones (codes), and
 * those before the fallbacks on the code class.
 */
#ifndef SMTPPROBE_DIAGNOSE_RULES_H
#define SMTPPROBE_DIAGNOSE_RULES_H

#include <stddef.h>

#include "result.h"

#define DIAG_STEP(s) (1u << (s))
#define DIAG_FAIL(f) (1u << (f))
_Static_assert(STEP_COUNT <= 32 && FAIL_COUNT <= 32, "steps and failure classes are bits of an unsigned");
#define DIAG_CODES_MAX 6

enum diag_flags {
	/* Only the code class (and step) decided: the reply said nothing specific. */
	DIAG_FALLBACK = 1 << 0,
	/* Look for the name of a blocklist in the reply (diag_lists). */
	DIAG_LISTS = 1 << 1,
	/* Only when the catch-all check found that the domain accepts any address. */
	DIAG_CATCH_ALL = 1 << 2,
	/* Only when the catch-all check could not tell (a temporary refusal, no answer). */
	DIAG_CATCH_ALL_UNKNOWN = 1 << 3,
};

struct diag_rule {
	unsigned failures;      /* DIAG_FAIL() bits; 0 = any failure class */
	unsigned steps;         /* DIAG_STEP() bits; 0 = any step */
	int code_class;         /* 2, 4 or 5; 0 = any */
	int codes[DIAG_CODES_MAX]; /* exact reply codes, 0-terminated; none = any */
	/*
	 * Enhanced status code (RFC 3463), without its class digit, which the
	 * code class already says: "1.1" is X.1.1; "7." is any X.7.*.
	 * Alternatives are separated by '|'. A code found as "(#5.1.1)" in the
	 * text (qmail) counts when the reply has none of its own.
	 */
	const char *enhanced;
	/*
	 * Lower-case substrings of the reply text, alternatives separated by
	 * '|'; "a&b" needs both. Case and line breaks do not matter: the text
	 * is compared lower-cased, every run of white space as one space.
	 */
	const char *text;
	const char *unless;     /* text alternatives that veto the rule */
	unsigned context;       /* enum diag_context bits that must all be set; 0 = any */
	unsigned flags;         /* enum diag_flags */
	const char *category;   /* stable snake_case id for scripts */
	/*
	 * Who has to act, and what it says of the mailbox. Every rule but the
	 * fallbacks on the code class names its blame (a test checks it).
	 */
	enum blame blame;
	enum mailbox mailbox;
	const char *summary;    /* English, N_(): translated when shown to people */
	const char *remedy;     /* English, N_() */
	const char *example;    /* a real reply (or situation) it matches, for the docs */
};

extern const struct diag_rule diag_rules[];
extern const size_t diag_rules_count;

/* A remedy that replaces its category's rule remedy in one context. */
struct diag_remedy {
	const char *category;
	const char *remedy;     /* English, N_() */
};

/* For refusals read from a bounce (DIAG_CTX_BOUNCE). */
extern const struct diag_remedy diag_bounce_remedies[];
extern const size_t diag_bounce_remedies_count;

/* Blocklists a reply may name: the first pattern found names the list. */
struct diag_list {
	const char *pattern;    /* lower case */
	const char *name;
};

extern const struct diag_list diag_lists[];
extern const size_t diag_lists_count;

#endif
