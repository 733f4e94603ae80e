/*
 * Unit tests for the diagnosis: the corpus of real replies
 * (fixtures/diagnosis/corpus.tsv), every rule's own example, what matched,
 * blocklist names, the step as evidence, honest acceptance, and the Russian
 * catalogue as built (SMTPPROBE_LOCALEDIR) with JSON staying English.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "diagnose.h"
#include "diagnose_rules.h"
#include "i18n.h"
#include "report.h"

#define MIN_CORPUS_REPLIES 400
#define MIN_CORPUS_SOURCES 12

/*
 * The first word of the source column names the MTA or provider that wrote
 * the reply (fixtures/diagnosis/README.md); these name no server.
 */
static const char *const not_a_source[] = { "RFC", "IANA", "smtpprobe", "Sisimai" };

/* Which rules decided something, over the corpus and the examples. */
static bool rule_used[512];
/* Categories the corpus expects. */
static char corpus_categories[4096];
/* Enhanced codes the corpus holds, without their class: " 1.1 ". */
static char corpus_enhanced[4096];

static void mark_used(const struct diagnosis *d)
{
	if (d->rule)
		rule_used[d->rule - diag_rules] = true;
}

static enum step parse_step(const char *s)
{
	if (strcmp(s, "none") == 0)
		return STEP_NONE;
	for (int i = 1; i < STEP_COUNT; i++)
		if (strcmp(step_name((enum step)i), s) == 0)
			return (enum step)i;
	fail_msg("unknown step \"%s\"", s);
	return STEP_NONE;
}

static enum blame parse_blame(const char *s)
{
	for (int i = 0; i < BLAME_COUNT; i++)
		if (strcmp(blame_name((enum blame)i), s) == 0)
			return (enum blame)i;
	return BLAME_COUNT;
}

/* Distinct first words of the source column, for the count of MTAs and providers. */
struct sources {
	char names[64][32];
	int n;
};

static void count_source(struct sources *src, const char *source)
{
	size_t len = strcspn(source, " ,:;(");
	if (len == 0 || len >= sizeof src->names[0])
		return;
	for (size_t i = 0; i < sizeof not_a_source / sizeof not_a_source[0]; i++)
		if (strlen(not_a_source[i]) == len && strncmp(not_a_source[i], source, len) == 0)
			return;
	for (int i = 0; i < src->n; i++)
		if (strlen(src->names[i]) == len && strncasecmp(src->names[i], source, len) == 0)
			return;
	if (src->n < (int)(sizeof src->names / sizeof src->names[0])) {
		memcpy(src->names[src->n], source, len);
		src->names[src->n][len] = '\0';
		src->n++;
	}
}

static enum failure parse_failure(const char *s)
{
	for (int i = 0; i < FAIL_COUNT; i++)
		if (strcmp(failure_name((enum failure)i), s) == 0)
			return (enum failure)i;
	fail_msg("unknown failure class \"%s\"", s);
	return FAIL_INTERNAL;
}

/* A result as probe.c would leave it: one attempt that decided; text uses "\n" for the line joins. */
static void make_result(struct probe_result *r, enum step step, enum failure f,
                        int code, const char *enhanced, const char *text)
{
	memset(r, 0, sizeof *r);
	r->catch_all = CATCH_ALL_UNTESTED;
	r->decided = -1;
	r->step = step;
	r->failure = f;
	r->verdict = failure_verdict(f);
	if (!code)
		return;
	r->attempts = calloc(1, sizeof *r->attempts);
	assert_non_null(r->attempts);
	r->nattempts = 1;
	r->decided = 0;
	struct probe_attempt *a = &r->attempts[0];
	snprintf(a->host, sizeof a->host, "mx.example.org");
	snprintf(a->ip, sizeof a->ip, "192.0.2.1");
	a->port = 25;
	a->step = step;
	a->failure = f;
	a->have_reply = true;
	a->reply.code = code;
	if (enhanced)
		snprintf(a->reply.enhanced, sizeof a->reply.enhanced, "%s", enhanced);
	for (const char *p = text ? text : ""; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			strbuf_putc(&a->reply.text, '\n');
			p++;
		} else {
			strbuf_putc(&a->reply.text, *p);
		}
	}
	a->reply.nlines = 1;
}

static void free_result(struct probe_result *r)
{
	if (r->attempts)
		reply_free(&r->attempts[0].reply);
	free(r->attempts);
	r->attempts = NULL;
}

/* Parse "550 5.1.1 text" (a rule's example) into code, enhanced code and text. */
static void parse_reply(const char *s, int *code, char *enh, size_t enhsz, const char **text)
{
	*code = atoi(s);
	s += 3;
	if (*s == ' ' || *s == '-')
		s++;
	size_t n = reply_enhanced_len(s, strlen(s));
	enh[0] = '\0';
	if (n > 0 && n < enhsz && s[0] == (char)('0' + *code / 100)) {
		memcpy(enh, s, n);
		enh[n] = '\0';
		s += n;
		while (*s == ' ')
			s++;
	}
	*text = s;
}

static char *field_next(char **p)
{
	char *start = *p;
	char *tab = strchr(start, '\t');
	if (tab) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		*p = start + strlen(start);
	}
	return start;
}

static void test_corpus(void **state)
{
	(void)state;
	const char *fixtures = getenv("FIXTURES");
	assert_non_null(fixtures);
	char path[1024];
	snprintf(path, sizeof path, "%s/diagnosis/corpus.tsv", fixtures);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);

	char line[4096];
	int lineno = 0, replies = 0, rows = 0, wrong = 0;
	struct sources sources = { .n = 0 };
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *p = line;
		char *step = field_next(&p), *failure = field_next(&p), *code = field_next(&p);
		char *enh = field_next(&p), *text = field_next(&p), *want = field_next(&p);
		char *source = field_next(&p), *want_blame = field_next(&p);
		if (!want_blame[0] || *p)
			fail_msg("corpus.tsv:%d: want 8 tab-separated columns", lineno);
		enum blame wb = parse_blame(want_blame);
		if (wb == BLAME_COUNT)
			fail_msg("corpus.tsv:%d: unknown blame \"%s\"", lineno, want_blame);

		int c = strcmp(code, "-") == 0 ? 0 : atoi(code);
		/*
		 * "no_address+family": the outcome under -4/-6; "+resolver": under
		 * --resolver; "+bounce": read from a failure bounce (explain);
		 * "+delayed": from a delay notice; "+data": a failure bounce's
		 * refusal at DATA or after the end of data.
		 */
		unsigned context = 0;
		for (char *plus; (plus = strrchr(failure, '+')) != NULL; *plus = '\0') {
			if (strcmp(plus + 1, "family") == 0)
				context |= DIAG_CTX_FAMILY;
			else if (strcmp(plus + 1, "resolver") == 0)
				context |= DIAG_CTX_RESOLVER;
			else if (strcmp(plus + 1, "bounce") == 0)
				context |= DIAG_CTX_BOUNCE | DIAG_CTX_FINAL;
			else if (strcmp(plus + 1, "delayed") == 0)
				context |= DIAG_CTX_BOUNCE;
			else if (strcmp(plus + 1, "data") == 0)
				context |= DIAG_CTX_BOUNCE | DIAG_CTX_AFTER_DATA | DIAG_CTX_FINAL;
			else
				fail_msg("corpus.tsv:%d: unknown context \"%s\"", lineno, plus + 1);
		}
		enum failure fc;
		int catch_all = strcmp(failure, "catch_all") == 0 ? CATCH_ALL_YES :
			strcmp(failure, "catch_all_unknown") == 0 ? CATCH_ALL_UNKNOWN : CATCH_ALL_UNTESTED;
		if (catch_all != CATCH_ALL_UNTESTED)
			fc = FAIL_NONE;
		else if (strcmp(failure, "-") == 0)
			fc = failure_from_code(c);
		else
			fc = parse_failure(failure);
		struct probe_result r;
		make_result(&r, parse_step(step), fc, c, strcmp(enh, "-") ? enh : NULL, strcmp(text, "-") ? text : NULL);
		r.catch_all = catch_all;
		r.context = context;

		struct diagnosis d;
		diagnose(&r, &d);
		mark_used(&d);
		if (strcmp(d.category, want) != 0 || d.blame != wb) {
			print_message("corpus.tsv:%d (%s): want %s blaming %s, got %s blaming %s by %s\n", lineno, source,
			              want, want_blame, d.category, blame_name(d.blame), d.matched);
			wrong++;
		}
		free_result(&r);
		rows++;
		if (c) {
			replies++;
			count_source(&sources, source);
		}
		if (strcmp(enh, "-") != 0 && enh[0] && enh[1] == '.') {
			char ekey[32];
			snprintf(ekey, sizeof ekey, " %s ", enh + 2);
			if (!strstr(corpus_enhanced, ekey) && strlen(corpus_enhanced) + strlen(ekey) < sizeof corpus_enhanced)
				strcat(corpus_enhanced, ekey);
		}
		/* Remember the category for test_every_category_in_corpus. */
		char key[96];
		snprintf(key, sizeof key, " %s ", want);
		if (!strstr(corpus_categories, key) && strlen(corpus_categories) + strlen(key) < sizeof corpus_categories)
			strcat(corpus_categories, key);
	}
	fclose(f);
	print_message("# corpus: %d rows, %d server replies from %d sources, %d wrong\n", rows, replies, sources.n, wrong);
	for (int i = 0; i < sources.n; i++)
		print_message("# source: %s\n", sources.names[i]);
	assert_int_equal(wrong, 0);
	assert_true(replies >= MIN_CORPUS_REPLIES);
	assert_true(sources.n >= MIN_CORPUS_SOURCES);
}

/* Every rule's example gets the rule's category (docs/diagnoses.md shows them). */
static void test_examples(void **state)
{
	(void)state;
	int wrong = 0;
	for (size_t i = 0; i < diag_rules_count; i++) {
		const struct diag_rule *rule = &diag_rules[i];
		assert_non_null(rule->example);
		assert_non_null(rule->summary);
		assert_non_null(rule->remedy);
		enum step step = STEP_RCPT;
		for (int s = 0; s < STEP_COUNT; s++)
			if (rule->steps & DIAG_STEP(s)) {
				step = (enum step)s;
				break;
			}
		struct probe_result r;
		if (rule->example[0] >= '2' && rule->example[0] <= '5') {
			int code;
			char enh[16];
			const char *text;
			parse_reply(rule->example, &code, enh, sizeof enh, &text);
			make_result(&r, step, failure_from_code(code), code, enh, text);
		} else {
			enum failure f = FAIL_TIMEOUT;  /* a step rule without a failure class */
			for (int k = 0; k < FAIL_COUNT; k++)
				if (rule->failures & DIAG_FAIL(k)) {
					f = (enum failure)k;
					break;
				}
			if (!rule->steps)
				step = f == FAIL_NONE ? STEP_RCPT : STEP_NONE;
			make_result(&r, step, f, f == FAIL_NONE ? 250 : 0, NULL, "Ok");
		}
		if (rule->flags & DIAG_CATCH_ALL)
			r.catch_all = CATCH_ALL_YES;
		if (rule->flags & DIAG_CATCH_ALL_UNKNOWN)
			r.catch_all = CATCH_ALL_UNKNOWN;
		r.context = rule->context;
		struct diagnosis d;
		diagnose(&r, &d);
		mark_used(&d);
		if (strcmp(d.category, rule->category) != 0) {
			print_message("rule %zu (%s): its example \"%s\" gives %s by %s\n",
			              i + 1, rule->category, rule->example, d.category, d.matched);
			wrong++;
		}
		free_result(&r);
	}
	assert_int_equal(wrong, 0);
}

/* No dead rules: each one decides at least one corpus reply or its own example. */
static void test_every_rule_used(void **state)
{
	(void)state;
	assert_true(diag_rules_count <= sizeof rule_used / sizeof rule_used[0]);
	int unused = 0;
	for (size_t i = 0; i < diag_rules_count; i++)
		if (!rule_used[i]) {
			print_message("rule %zu (%s, example \"%s\") never decides anything\n",
			              i + 1, diag_rules[i].category, diag_rules[i].example);
			unused++;
		}
	assert_int_equal(unused, 0);
}

/*
 * Every rule says whom it blames; only the fallbacks on the code class may
 * not know. A mailbox state needs a rule about the recipient (or an
 * acceptance), so a blocklist can never mark a mailbox not_found.
 */
static void test_blame_is_data(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < diag_rules_count; i++) {
		const struct diag_rule *rule = &diag_rules[i];
		if (rule->blame == BLAME_UNKNOWN && !(rule->flags & DIAG_FALLBACK)) {
			print_message("rule %zu (%s) has no blame\n", i + 1, rule->category);
			bad++;
		}
		if (rule->mailbox != MAILBOX_UNKNOWN && rule->blame != BLAME_RECIPIENT && rule->blame != BLAME_NONE) {
			print_message("rule %zu (%s) knows the mailbox but blames %s\n", i + 1, rule->category,
			              blame_name(rule->blame));
			bad++;
		}
		if (rule->failures == DIAG_FAIL(FAIL_NONE) && rule->blame != BLAME_NONE) {
			print_message("rule %zu (%s): an acceptance blames %s\n", i + 1, rule->category, blame_name(rule->blame));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_every_category_in_corpus(void **state)
{
	(void)state;
	int missing = 0;
	for (size_t i = 0; i < diag_rules_count; i++) {
		char key[96];
		snprintf(key, sizeof key, " %s ", diag_rules[i].category);
		if (!strstr(corpus_categories, key)) {
			print_message("category %s has no reply in the corpus\n", diag_rules[i].category);
			missing++;
		}
		/* Ids are stable snake_case. */
		for (const char *c = diag_rules[i].category; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
	}
	assert_int_equal(missing, 0);
}

/*
 * The IANA registry "Simple Mail Transfer Protocol (SMTP) Enhanced Status
 * Codes" (RFC 3463 and its updates, to X.7.30 for REQUIRETLS): each code,
 * with the registry's title as the reply text, at the step where it comes,
 * as a 5xx (2xx for the codes that report success, 4xx where only a
 * temporary use makes sense), and what it must be diagnosed as.
 */
static const struct {
	const char *code;
	enum step step;
	int reply;
	const char *title;
	const char *category;
	enum blame blame;
} iana_codes[] = {
	{ "5.0.0", STEP_RCPT, 550, "Other undefined Status", "recipient_rejected", BLAME_UNKNOWN },
	{ "5.1.0", STEP_RCPT, 550, "Other address status", "recipient_unknown", BLAME_RECIPIENT },
	{ "5.1.1", STEP_RCPT, 550, "Bad destination mailbox address", "recipient_unknown", BLAME_RECIPIENT },
	{ "5.1.2", STEP_RCPT, 550, "Bad destination system address", "dns_nxdomain", BLAME_DNS },
	{ "5.1.3", STEP_RCPT, 553, "Bad destination mailbox address syntax", "address_syntax", BLAME_RECIPIENT },
	{ "5.1.4", STEP_RCPT, 550, "Destination mailbox address ambiguous", "recipient_ambiguous", BLAME_RECIPIENT },
	{ "2.1.5", STEP_RCPT, 250, "Destination mailbox address valid", "accepted", BLAME_NONE },
	{ "5.1.6", STEP_RCPT, 550, "Mailbox has moved", "mailbox_disabled", BLAME_RECIPIENT },
	{ "5.1.7", STEP_MAIL, 501, "Bad sender's mailbox address syntax", "sender_rejected", BLAME_SENDER },
	{ "5.1.8", STEP_MAIL, 550, "Bad sender's system address", "sender_domain_unknown", BLAME_SENDER },
	{ "2.1.9", STEP_RCPT, 250, "Message relayed to non-compliant mailer", "accepted", BLAME_NONE },
	{ "5.1.10", STEP_RCPT, 556, "Recipient address has null MX", "dns_null_mx", BLAME_DNS },
	{ "5.2.0", STEP_RCPT, 550, "Other or undefined mailbox status", "mailbox_unavailable", BLAME_RECIPIENT },
	{ "5.2.1", STEP_RCPT, 550, "Mailbox disabled, not accepting messages", "mailbox_disabled", BLAME_RECIPIENT },
	{ "5.2.2", STEP_RCPT, 552, "Mailbox full", "mailbox_full", BLAME_RECIPIENT },
	{ "5.2.3", STEP_MAIL, 552, "Message length exceeds administrative limit", "message_too_large", BLAME_POLICY },
	{ "5.2.4", STEP_RCPT, 550, "Mailing list expansion problem", "server_fault", BLAME_SERVER },
	{ "5.3.0", STEP_RCPT, 550, "Other or undefined mail system status", "server_fault", BLAME_SERVER },
	{ "5.3.1", STEP_RCPT, 552, "Mail system full", "server_fault", BLAME_SERVER },
	{ "5.3.2", STEP_RCPT, 550, "System not accepting network messages", "service_unavailable", BLAME_SERVER },
	{ "5.3.3", STEP_RCPT, 554, "System not capable of selected features", "feature_unsupported", BLAME_SERVER },
	{ "5.3.4", STEP_MAIL, 552, "Message too big for system", "message_too_large", BLAME_POLICY },
	{ "5.3.5", STEP_RCPT, 550, "System incorrectly configured", "server_fault", BLAME_SERVER },
	{ "2.3.6", STEP_RCPT, 250, "Requested priority was changed", "accepted", BLAME_NONE },
	{ "5.4.0", STEP_RCPT, 550, "Other or undefined network or routing status", "routing_failure", BLAME_SERVER },
	{ "5.4.1", STEP_RCPT, 550, "No answer from host", "routing_failure", BLAME_SERVER },
	{ "5.4.2", STEP_RCPT, 550, "Bad connection", "routing_failure", BLAME_SERVER },
	{ "5.4.3", STEP_RCPT, 550, "Directory server failure", "routing_failure", BLAME_SERVER },
	{ "5.4.4", STEP_RCPT, 550, "Unable to route", "dns_nxdomain", BLAME_DNS },
	{ "5.4.5", STEP_RCPT, 550, "Mail system congestion", "routing_failure", BLAME_SERVER },
	{ "5.4.6", STEP_RCPT, 554, "Routing loop detected", "mail_loop", BLAME_SERVER },
	{ "5.4.7", STEP_RCPT, 550, "Delivery time expired", "routing_failure", BLAME_SERVER },
	{ "5.5.0", STEP_RCPT, 500, "Other or undefined protocol status", "protocol_error", BLAME_SERVER },
	{ "5.5.1", STEP_RCPT, 500, "Invalid command", "protocol_error", BLAME_SERVER },
	{ "5.5.2", STEP_RCPT, 501, "Syntax error", "protocol_error", BLAME_SERVER },
	{ "5.5.3", STEP_RCPT, 552, "Too many recipients", "too_many_recipients", BLAME_SERVER },
	{ "5.5.4", STEP_RCPT, 501, "Invalid command arguments", "protocol_error", BLAME_SERVER },
	{ "5.5.5", STEP_RCPT, 500, "Wrong protocol version", "protocol_error", BLAME_SERVER },
	{ "5.5.6", STEP_AUTH, 500, "Authentication Exchange line is too long", "protocol_error", BLAME_SERVER },
	{ "5.6.0", STEP_RCPT, 554, "Other or undefined media error", "content_rejected", BLAME_POLICY },
	{ "5.6.1", STEP_RCPT, 554, "Media not supported", "content_rejected", BLAME_POLICY },
	{ "5.6.2", STEP_RCPT, 554, "Conversion required and prohibited", "content_rejected", BLAME_POLICY },
	{ "5.6.3", STEP_RCPT, 554, "Conversion required but not supported", "content_rejected", BLAME_POLICY },
	{ "2.6.4", STEP_RCPT, 250, "Conversion with loss performed", "accepted", BLAME_NONE },
	{ "5.6.5", STEP_RCPT, 554, "Conversion Failed", "content_rejected", BLAME_POLICY },
	{ "5.6.6", STEP_RCPT, 554, "Message content not available", "content_rejected", BLAME_POLICY },
	{ "5.6.7", STEP_RCPT, 553, "Non-ASCII addresses not permitted for that sender/recipient", "smtputf8_unsupported", BLAME_SERVER },
	{ "5.6.8", STEP_RCPT, 550, "UTF-8 string reply is required, but not permitted by the SMTP client", "smtputf8_unsupported", BLAME_SERVER },
	{ "5.6.9", STEP_RCPT, 550, "UTF-8 header message cannot be transferred to one or more recipients so the message must be rejected", "smtputf8_unsupported", BLAME_SERVER },
	{ "5.6.10", STEP_RCPT, 550, "UTF-8 string reply is required, but not permitted by the SMTP client", "smtputf8_unsupported", BLAME_SERVER },
	{ "5.7.0", STEP_RCPT, 550, "Other or undefined security status", "policy_rejected", BLAME_POLICY },
	{ "5.7.1", STEP_RCPT, 550, "Delivery not authorized, message refused", "policy_rejected", BLAME_POLICY },
	{ "5.7.2", STEP_RCPT, 550, "Mailing list expansion prohibited", "policy_rejected", BLAME_POLICY },
	{ "5.7.3", STEP_RCPT, 554, "Security conversion required but not possible", "policy_rejected", BLAME_POLICY },
	{ "5.7.4", STEP_RCPT, 554, "Security features not supported", "policy_rejected", BLAME_POLICY },
	{ "5.7.5", STEP_RCPT, 554, "Cryptographic failure", "policy_rejected", BLAME_POLICY },
	{ "5.7.6", STEP_RCPT, 554, "Cryptographic algorithm not supported", "policy_rejected", BLAME_POLICY },
	{ "5.7.7", STEP_RCPT, 554, "Message integrity failure", "policy_rejected", BLAME_POLICY },
	{ "5.7.8", STEP_AUTH, 535, "Authentication credentials invalid", "auth_failed", BLAME_LOCAL },
	{ "5.7.9", STEP_AUTH, 534, "Authentication mechanism is too weak", "auth_failed", BLAME_LOCAL },
	{ "5.7.10", STEP_MAIL, 523, "Encryption Needed", "tls_required", BLAME_POLICY },
	{ "5.7.11", STEP_AUTH, 538, "Encryption required for requested authentication mechanism", "tls_required", BLAME_POLICY },
	{ "4.7.12", STEP_AUTH, 432, "A password transition is needed", "auth_failed", BLAME_LOCAL },
	{ "5.7.13", STEP_AUTH, 535, "User Account Disabled", "auth_failed", BLAME_LOCAL },
	{ "5.7.14", STEP_RCPT, 554, "Trust relationship required", "policy_rejected", BLAME_POLICY },
	{ "5.7.15", STEP_RCPT, 550, "Priority Level is too low", "policy_rejected", BLAME_POLICY },
	{ "5.7.16", STEP_MAIL, 552, "Message is too big for the specified priority", "message_too_large", BLAME_POLICY },
	{ "5.7.17", STEP_RCPT, 550, "Mailbox owner has changed", "mailbox_disabled", BLAME_RECIPIENT },
	{ "5.7.18", STEP_RCPT, 550, "Domain owner has changed", "mailbox_disabled", BLAME_RECIPIENT },
	{ "5.7.19", STEP_RCPT, 550, "RRVS test cannot be completed", "policy_rejected", BLAME_POLICY },
	{ "5.7.20", STEP_RCPT, 550, "No passing DKIM signature found", "spf_dkim_dmarc", BLAME_POLICY },
	{ "5.7.21", STEP_RCPT, 550, "No acceptable DKIM signature found", "spf_dkim_dmarc", BLAME_POLICY },
	{ "5.7.22", STEP_RCPT, 550, "No valid author-matched DKIM signature found", "spf_dkim_dmarc", BLAME_POLICY },
	{ "5.7.23", STEP_RCPT, 550, "SPF validation failed", "spf_dkim_dmarc", BLAME_POLICY },
	{ "4.7.24", STEP_RCPT, 451, "SPF validation error", "spf_dkim_dmarc", BLAME_POLICY },
	{ "5.7.25", STEP_RCPT, 550, "Reverse DNS validation failed", "reverse_dns", BLAME_CLIENT },
	{ "5.7.26", STEP_RCPT, 550, "Multiple authentication checks failed", "spf_dkim_dmarc", BLAME_POLICY },
	{ "5.7.27", STEP_MAIL, 550, "Sender address has null MX", "sender_domain_unknown", BLAME_SENDER },
	{ "5.7.28", STEP_RCPT, 550, "Mail flood detected", "rate_limited", BLAME_CLIENT },
	{ "5.7.29", STEP_RCPT, 550, "ARC validation failure", "spf_dkim_dmarc", BLAME_POLICY },
	{ "5.7.30", STEP_RCPT, 550, "REQUIRETLS support required", "tls_required", BLAME_POLICY },
};

/*
 * Every registry code has a corpus line and a rule of its own: only X.0.0,
 * which says nothing, is left to the fallback on the code class.
 */
static void test_iana_registry(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof iana_codes / sizeof iana_codes[0]; i++) {
		const char *code = iana_codes[i].code;
		char key[32];
		snprintf(key, sizeof key, " %s ", code + 2);
		if (!strstr(corpus_enhanced, key)) {
			print_message("IANA X.%s has no line in the corpus\n", code + 2);
			bad++;
		}
		struct probe_result r;
		int c = iana_codes[i].reply;
		make_result(&r, iana_codes[i].step, failure_from_code(c), c, code, iana_codes[i].title);
		struct diagnosis d;
		diagnose(&r, &d);
		bool fallback = d.rule && (d.rule->flags & DIAG_FALLBACK);
		/* A permanent refusal for the server's own trouble is not worth a retry as is. */
		bool system = strncmp(code + 2, "2.4", 3) == 0 || code[2] == '3' || code[2] == '4';
		if (c / 100 == 5 && system && (strstr(d.remedy, "retry later") || strstr(d.summary, "retry later"))) {
			print_message("IANA %d %s: a permanent refusal that says \"retry later\": %s\n", c, code, d.remedy);
			bad++;
		}
		if (strcmp(d.category, iana_codes[i].category) != 0 || d.blame != iana_codes[i].blame ||
		    (fallback && strcmp(code + 2, "0.0") != 0)) {
			print_message("IANA %d %s %s: want %s blaming %s, got %s blaming %s by %s\n", c, code,
			              iana_codes[i].title, iana_codes[i].category, blame_name(iana_codes[i].blame),
			              d.category, blame_name(d.blame), d.matched);
			bad++;
		}
		free_result(&r);
	}
	assert_int_equal(bad, 0);
}

static const char *category_of(enum step step, int code, const char *enh, const char *text)
{
	struct probe_result r;
	make_result(&r, step, failure_from_code(code), code, enh, text);
	struct diagnosis d;
	diagnose(&r, &d);
	free_result(&r);
	return d.category;
}

/* Postfix with smtpd_delay_reject reports MAIL FROM trouble at RCPT TO: the diagnosis names the sender. */
static void test_step_is_evidence(void **state)
{
	(void)state;
	const char *blocked = "<blocked@sender.test>: Sender address rejected: Sender blocked by policy";
	assert_string_equal(category_of(STEP_RCPT, 554, "5.7.1", blocked), "sender_rejected");
	assert_string_equal(category_of(STEP_MAIL, 554, "5.7.1", blocked), "sender_rejected");
	const char *nodomain = "<bob@nonexistent.example>: Sender address rejected: Domain not found";
	assert_string_equal(category_of(STEP_RCPT, 450, "4.1.8", nodomain), "sender_domain_unknown");
	/* The same words about a mailbox: the recipient at RCPT TO, the sender at MAIL FROM. */
	assert_string_equal(category_of(STEP_RCPT, 550, "5.1.1", "User unknown"), "recipient_unknown");
	assert_string_equal(category_of(STEP_MAIL, 550, "5.1.1", "User unknown"), "sender_rejected");
	/* After MAIL FROM: the client's IP, missing authentication, as the reply shows. */
	assert_string_equal(category_of(STEP_MAIL, 554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"), "ip_blocklisted");
	assert_string_equal(category_of(STEP_MAIL, 530, "5.7.0", "Authentication required"), "auth_required");
	assert_string_equal(category_of(STEP_MAIL, 550, NULL, "Requested action not taken"), "sender_rejected");
	/* A HELO name refused at RCPT TO is still about the HELO name. */
	assert_string_equal(category_of(STEP_RCPT, 504, "5.5.2", "<localhost>: Helo command rejected: need fully-qualified hostname"), "helo_rejected");
}

/* Accepted is never "the mailbox exists"; 252 and accept-all are unverifiable. */
static void test_honest_acceptance(void **state)
{
	(void)state;
	struct probe_result r;
	struct diagnosis d;
	make_result(&r, STEP_RCPT, FAIL_NONE, 252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery");
	diagnose(&r, &d);
	assert_string_equal(d.category, "accepted_unverified");
	assert_string_equal(d.matched, "reply code 252");
	free_result(&r);

	make_result(&r, STEP_RCPT, FAIL_NONE, 250, "2.1.5", "Ok");
	diagnose(&r, &d);
	assert_string_equal(d.category, "accepted");
	assert_null(strstr(d.summary, "exists"));
	r.catch_all = 1;
	diagnose(&r, &d);
	assert_string_equal(d.category, "accepted_catch_all");
	r.catch_all = 0;
	diagnose(&r, &d);
	assert_string_equal(d.category, "accepted");
	free_result(&r);
}

static void check_matched(enum step step, enum failure f, int code, const char *enh, const char *text,
                          const char *category, const char *matched, bool by_reply)
{
	struct probe_result r;
	make_result(&r, step, f, code, enh, text);
	struct diagnosis d;
	diagnose(&r, &d);
	assert_string_equal(d.category, category);
	assert_string_equal(d.matched, matched);
	assert_int_equal(d.by_reply, by_reply);
	free_result(&r);
}

static void test_matched(void **state)
{
	(void)state;
	check_matched(STEP_RCPT, FAIL_REJECTED, 550, "5.1.1", "Recipient rejected",
	              "recipient_unknown", "enhanced code 5.1.1", true);
	check_matched(STEP_RCPT, FAIL_REJECTED, 550, "5.1.1", "<a@example.org>: Recipient address rejected: User unknown in local recipient table",
	              "recipient_unknown", "text \"user unknown\"", true);
	/* qmail writes the enhanced code into the text. */
	check_matched(STEP_RCPT, FAIL_REJECTED, 552, NULL, "sorry, that is too much (#5.2.2)",
	              "mailbox_full", "enhanced code 5.2.2 (in the text)", true);
	check_matched(STEP_RCPT, FAIL_REJECTED, 550, "5.4.1", "Recipient address rejected: Access denied. AS(201806281)",
	              "recipient_unknown", "enhanced code 5.4.1, text \"recipient address rejected: access denied\"", true);
	check_matched(STEP_RCPT, FAIL_REJECTED, 554, "5.7.1", "Service unavailable; Sender address [bob@example.net] blocked using dbl.spamhaus.org",
	              "sender_rejected", "text \"sender address [\" + \"blocked using\"", true);
	check_matched(STEP_BANNER, FAIL_TEMPFAIL, 421, NULL, "mx.example.org Service not available, closing transmission channel",
	              "service_unavailable", "reply code 421", true);
	check_matched(STEP_RCPT, FAIL_REJECTED, 550, NULL, "Requested action not taken",
	              "recipient_rejected", "code class 5xx (no specific rule)", false);
	check_matched(STEP_RCPT, FAIL_TEMPFAIL, 450, NULL, "Requested mail action not taken",
	              "temporary_failure", "code class 4xx (no specific rule)", false);
	check_matched(STEP_DNS, FAIL_NXDOMAIN, 0, NULL, NULL, "dns_nxdomain", "failure class nxdomain", false);
	check_matched(STEP_RCPT, FAIL_NONE, 250, "2.1.5", "Ok", "accepted", "reply code 250", false);
	/* Case and line breaks do not matter. */
	check_matched(STEP_RCPT, FAIL_REJECTED, 550, NULL, "RECIPIENT ADDRESS REJECTED: USER\n  UNKNOWN",
	              "recipient_unknown", "text \"user unknown\"", true);
	/* Enhanced codes compare whole: 5.7.10 is not 5.7.1, 5.1.10 is not 5.1.1. */
	check_matched(STEP_MAIL, FAIL_REJECTED, 530, "5.7.10", "Encryption needed",
	              "tls_required", "enhanced code 5.7.10", true);
	check_matched(STEP_RCPT, FAIL_REJECTED, 550, "5.1.10", "Not here",
	              "recipient_unknown", "enhanced code 5.1.10", true);
	struct probe_result r;
	make_result(&r, STEP_RCPT, FAIL_REJECTED, 550, "5.1.10", "Not here");
	struct diagnosis d;
	diagnose(&r, &d);
	assert_ptr_not_equal(d.rule->enhanced, NULL);
	assert_string_equal(d.rule->enhanced, "1.10");
	free_result(&r);
}

static void check_list(const char *text, const char *list)
{
	struct probe_result r;
	make_result(&r, STEP_RCPT, FAIL_REJECTED, 554, "5.7.1", text);
	struct diagnosis d;
	diagnose(&r, &d);
	assert_string_equal(d.category, "ip_blocklisted");
	if (list)
		assert_string_equal(d.list, list);
	else
		assert_null(d.list);
	struct strbuf s = STRBUF_INIT;
	diagnosis_summary(&d, false, &s);
	if (list)
		assert_non_null(strstr(strbuf_str(&s), list));
	strbuf_free(&s);
	free_result(&r);
}

static void test_blocklist_names(void **state)
{
	(void)state;
	check_list("Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
	           "Spamhaus ZEN (zen.spamhaus.org)");
	check_list("Service unavailable, Client host [192.0.2.1] blocked using Spamhaus.", "Spamhaus");
	check_list("Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net", "SpamCop (bl.spamcop.net)");
	check_list("Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation", "Barracuda Reputation");
	check_list("Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org", "Barracuda (b.barracudacentral.org)");
	check_list("Service unavailable; Client host [192.0.2.1] blocked using dnsbl.sorbs.net", "SORBS (dnsbl.sorbs.net)");
	check_list("Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
	           "Outlook.com block list (S3150)");
	check_list("Client host [192.0.2.1] blocked using a local list", NULL);
	/* "not listed" is a directory miss, not a blocklist. */
	struct probe_result r;
	make_result(&r, STEP_RCPT, FAIL_REJECTED, 550, "5.1.1", "User not listed in public Name & Address Book");
	struct diagnosis d;
	diagnose(&r, &d);
	assert_string_equal(d.category, "recipient_unknown");
	free_result(&r);
}

/* The catalogue as built: every rule in Russian, the text report in Russian, JSON in English. */
/*
 * What explain shows for a refusal in a bounce is advice for the message's
 * sender: no rule that a bounce can reach keeps a remedy that names one of
 * smtpprobe's options or a probe, and the bounce table names only real
 * categories.
 */
static void test_bounce_remedies(void **state)
{
	(void)state;
	for (size_t i = 0; i < diag_bounce_remedies_count; i++) {
		bool found = false;
		for (size_t k = 0; k < diag_rules_count && !found; k++)
			found = strcmp(diag_rules[k].category, diag_bounce_remedies[i].category) == 0;
		if (!found)
			fail_msg("bounce remedy for unknown category %s", diag_bounce_remedies[i].category);
	}
	/* the failure classes a bounce's text or reply can carry (bounce.c) */
	const unsigned bounce_failures = DIAG_FAIL(FAIL_REJECTED) | DIAG_FAIL(FAIL_TEMPFAIL) | DIAG_FAIL(FAIL_PROTOCOL) |
		DIAG_FAIL(FAIL_TIMEOUT) | DIAG_FAIL(FAIL_REFUSED) | DIAG_FAIL(FAIL_UNREACHABLE) | DIAG_FAIL(FAIL_CLOSED) |
		DIAG_FAIL(FAIL_NXDOMAIN) | DIAG_FAIL(FAIL_NO_ADDRESS) | DIAG_FAIL(FAIL_SERVFAIL);
	const unsigned probe_only = DIAG_CTX_FAMILY | DIAG_CTX_RESOLVER;
	static const char *const probe_words[] = { "--", " -v", "probe", "smtpprobe", "this client", "this host" };
	int wrong = 0;
	for (size_t k = 0; k < diag_rules_count; k++) {
		const struct diag_rule *rule = &diag_rules[k];
		/* rules of their own for bounces (DIAG_CTX_BOUNCE, _AFTER_DATA) keep their remedy and may say what a probe can do */
		if ((rule->failures && !(rule->failures & bounce_failures)) || (rule->context & probe_only) ||
		    (rule->context & (DIAG_CTX_BOUNCE | DIAG_CTX_AFTER_DATA)) || rule->failures == DIAG_FAIL(FAIL_NONE))
			continue;
		const char *remedy = rule->remedy;
		for (size_t i = 0; i < diag_bounce_remedies_count; i++)
			if (strcmp(diag_bounce_remedies[i].category, rule->category) == 0)
				remedy = diag_bounce_remedies[i].remedy;
		for (size_t w = 0; w < sizeof probe_words / sizeof probe_words[0]; w++)
			if (strstr(remedy, probe_words[w])) {
				print_message("%s (rule %zu) in a bounce: \"%s\" names \"%s\"\n", rule->category, k, remedy, probe_words[w]);
				wrong++;
				break;
			}
	}
	assert_int_equal(wrong, 0);

	/* and diagnose() uses it: the same reply, probed and read from a bounce */
	struct probe_result r;
	make_result(&r, STEP_MAIL, FAIL_REJECTED, 553, "5.7.1", "Sender address rejected: Access denied");
	struct diag_input in = { .step = STEP_MAIL, .failure = FAIL_REJECTED, .reply = probe_reply(&r),
	                         .catch_all = CATCH_ALL_UNTESTED };
	struct diagnosis probed, bounced;
	diagnose_input(&in, &probed);
	in.context = DIAG_CTX_BOUNCE;
	diagnose_input(&in, &bounced);
	assert_string_equal(probed.category, bounced.category);
	assert_non_null(strstr(probed.remedy, "--from"));
	assert_null(strstr(bounced.remedy, "--"));
	probe_result_free(&r);
}

static void test_russian(void **state)
{
	(void)state;
	const char *dir = getenv("SMTPPROBE_LOCALEDIR");
	char mo[1024];
	snprintf(mo, sizeof mo, "%s/ru/LC_MESSAGES/" I18N_DOMAIN ".mo", dir ? dir : "");
	if (!dir || access(mo, R_OK) != 0) {
		print_message("no catalogue at %s (is gettext installed?)\n", mo);
		skip();
	}
	/* glibc ignores LANGUAGE in the C locale; C.UTF-8 is built in since 2.35. */
	setenv("LANGUAGE", "ru", 1);
	assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
	bindtextdomain(I18N_DOMAIN, dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");

	int untranslated = 0;
	for (size_t i = 0; i < diag_rules_count; i++) {
		const char *texts[] = { diag_rules[i].summary, diag_rules[i].remedy };
		for (size_t k = 0; k < 2; k++)
			if (strcmp(_(texts[k]), texts[k]) == 0) {
				print_message("not translated: \"%s\"\n", texts[k]);
				untranslated++;
			}
	}
	for (size_t i = 0; i < diag_bounce_remedies_count; i++)
		if (strcmp(_(diag_bounce_remedies[i].remedy), diag_bounce_remedies[i].remedy) == 0) {
			print_message("not translated: \"%s\"\n", diag_bounce_remedies[i].remedy);
			untranslated++;
		}
	assert_int_equal(untranslated, 0);

	struct probe_result r;
	make_result(&r, STEP_RCPT, FAIL_REJECTED, 550, "5.1.1", "<nobody@example.org>: Recipient address rejected: User unknown in local recipient table");
	char input[] = "nobody@example.org";
	r.input = input;
	r.input_len = strlen(r.input);
	for (int s = 0; s < STEP_COUNT; s++)
		r.timings_ms[s] = -1;

	struct strbuf out = STRBUF_INIT;
	report_text(&r, false, &out);
	const char *text = strbuf_str(&out);
	/* Shown as TAP comments, one per line, for whoever reads the log. */
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		print_message("# %.*s\n", (int)n, line);
		line += n + (line[n] == '\n');
	}
	assert_non_null(strstr(text, "ОТКЛОНЁН"));
	assert_non_null(strstr(text, "на шаге RCPT TO"));
	assert_non_null(strstr(text, "причина"));
	assert_non_null(strstr(text, _("the mailbox does not exist on this server")));
	assert_non_null(strstr(text, "[текст \"user unknown\"]"));
	assert_null(strstr(text, "the mailbox does not exist"));
	strbuf_reset(&out);

	report_json(&r, false, &out);
	const char *json = strbuf_str(&out);
	assert_non_null(strstr(json, "\"category\":\"recipient_unknown\""));
	assert_non_null(strstr(json, "\"summary\":\"the mailbox does not exist on this server\""));
	assert_non_null(strstr(json, "\"matched\":\"text \\\"user unknown\\\"\""));
	assert_non_null(strstr(json, "\"list\":null"));
	for (const unsigned char *p = (const unsigned char *)json; *p; p++)
		assert_true(*p < 0x80);  /* no Cyrillic: JSON stays English */
	strbuf_free(&out);
	free_result(&r);

	setlocale(LC_ALL, "C");
	unsetenv("LANGUAGE");
}

/*
 * A bounce's DSN Status: stands in for an enhanced code the reply lacks,
 * and decides alone when there is no reply; X.0.0 says nothing; the
 * reply's own code wins over it.
 */
static void test_dsn_status(void **state)
{
	(void)state;
	struct probe_result r;
	make_result(&r, STEP_RCPT, FAIL_REJECTED, 550, NULL, "Requested action not taken");
	struct diag_input in = { .step = STEP_RCPT, .failure = FAIL_REJECTED, .reply = probe_reply(&r),
	                         .catch_all = CATCH_ALL_UNTESTED, .context = DIAG_CTX_BOUNCE };
	struct diagnosis d;
	diagnose_input(&in, &d);
	assert_string_not_equal(d.category, "recipient_unknown");
	in.status = "5.1.1";
	diagnose_input(&in, &d);
	assert_string_equal(d.category, "recipient_unknown");
	assert_true(d.enhanced_from_status);
	struct strbuf m = STRBUF_INIT;
	diagnosis_matched(&d, false, &m);
	assert_non_null(strstr(strbuf_str(&m), "status 5.1.1"));
	strbuf_free(&m);
	in.status = "5.0.0";
	diagnose_input(&in, &d);
	assert_string_not_equal(d.category, "recipient_unknown");
	assert_false(d.enhanced_from_status);
	/* no reply at all: the status alone */
	in.reply = NULL;
	in.status = "5.2.2";
	diagnose_input(&in, &d);
	assert_string_equal(d.category, "mailbox_full");
	probe_result_free(&r);
	/* the reply's own enhanced code wins */
	make_result(&r, STEP_RCPT, FAIL_REJECTED, 552, "5.2.2", "Mailbox full");
	in.reply = probe_reply(&r);
	in.status = "5.1.1";
	diagnose_input(&in, &d);
	assert_string_equal(d.category, "mailbox_full");
	probe_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_every_rule_used),
		cmocka_unit_test(test_every_category_in_corpus),
		cmocka_unit_test(test_iana_registry),
		cmocka_unit_test(test_blame_is_data),
		cmocka_unit_test(test_step_is_evidence),
		cmocka_unit_test(test_honest_acceptance),
		cmocka_unit_test(test_matched),
		cmocka_unit_test(test_blocklist_names),
		cmocka_unit_test(test_dsn_status),
		cmocka_unit_test(test_bounce_remedies),
		cmocka_unit_test(test_russian),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
