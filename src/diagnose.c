/* diagnose.c - apply the rule table to a result (see diagnose.h). */
#include "diagnose.h"

#include <string.h>
#include <strings.h>

#include "diagnose_rules.h"

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static bool rule_matches(const struct diag_rule *rule, const struct probe_result *r)
{
	if (rule->failure != DIAG_ANY_FAILURE && (int)rule->failure != (int)r->failure)
		return false;
	if (rule->steps && !(rule->steps & (1u << r->step)))
		return false;
	if (rule->code_class && (!r->have_reply || r->reply.code / 100 != rule->code_class))
		return false;
	if (rule->code && (!r->have_reply || r->reply.code != rule->code))
		return false;
	if (rule->enhanced && (!r->have_reply || strncmp(r->reply.enhanced, rule->enhanced, strlen(rule->enhanced)) != 0))
		return false;
	if (rule->text && (!r->have_reply || !contains_nocase(strbuf_str(&r->reply.text), rule->text)))
		return false;
	return true;
}

void diagnose(const struct probe_result *r, struct diagnosis *out)
{
	for (size_t i = 0; i < diag_rules_count; i++) {
		if (rule_matches(&diag_rules[i], r)) {
			out->category = diag_rules[i].category;
			out->summary = diag_rules[i].summary;
			out->remedy = diag_rules[i].remedy;
			return;
		}
	}
	out->category = "unknown";
	out->summary = "no rule matched this result";
	out->remedy = "read the server's reply text";
}
