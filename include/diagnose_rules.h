/* diagnose_rules.h - the shape of one diagnosis rule; the table is data in diagnose_rules.c. */
#ifndef SMTPPROBE_DIAGNOSE_RULES_H
#define SMTPPROBE_DIAGNOSE_RULES_H

#include <stddef.h>

#include "result.h"

#define DIAG_ANY_FAILURE (-1)
#define DIAG_STEP(s) (1u << (s))

struct diag_rule {
	int failure;            /* enum failure, or DIAG_ANY_FAILURE */
	unsigned steps;         /* DIAG_STEP() bits; 0 = any step */
	int code_class;         /* 4 or 5; 0 = any */
	int code;               /* exact code; 0 = any */
	const char *enhanced;   /* prefix such as "5.1.1" or "5.7."; NULL = any */
	const char *text;       /* case-insensitive substring of the reply; NULL = any */
	const char *category;
	const char *summary;
	const char *remedy;
};

extern const struct diag_rule diag_rules[];
extern const size_t diag_rules_count;

#endif
