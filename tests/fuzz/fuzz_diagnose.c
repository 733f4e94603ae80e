/*
 * Fuzz target: the diagnosis matcher. Four bytes pick the step, the failure
 * class, the catch-all answer and the option context; the rest, when the
 * fifth byte says there is a reply, is server bytes read by the reply
 * reader, as in a probe (seeds: the real-reply corpus). Whatever the reply,
 * a diagnosis has a category, a summary and a remedy, a blame and mailbox
 * in range, a 'matched' that says what decided, and the words it quotes
 * come from its own rule.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "diagnose_rules.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	static const enum catch_all catch_alls[] = { CATCH_ALL_UNTESTED, CATCH_ALL_NO, CATCH_ALL_YES, CATCH_ALL_UNKNOWN };
	struct diag_input in = {
		.step = (enum step)(data[0] % STEP_COUNT),
		.failure = (enum failure)(data[1] % FAIL_COUNT),
		.catch_all = catch_alls[data[2] % 4],
		.context = data[3] & (DIAG_CTX_FAMILY | DIAG_CTX_RESOLVER),
	};
	bool with_reply = data[4] & 1;
	data += 5;
	size -= 5;

	struct reply_reader rr;
	reply_reader_init(&rr);
	if (with_reply) {
		size_t used;
		if (reply_reader_feed(&rr, (const char *)data, size, &used) != REPLY_DONE) {
			reply_reader_free(&rr);
			return 0;
		}
		in.reply = &rr.reply;
	}
	struct diagnosis d;
	diagnose_input(&in, &d);
	if (!d.category || !d.category[0] || !d.summary || !d.remedy)
		abort();
	if ((unsigned)d.blame >= BLAME_COUNT || (unsigned)d.mailbox >= MAILBOX_COUNT)
		abort();
	if (strnlen(d.matched, sizeof d.matched) == sizeof d.matched || !d.matched[0])
		abort();
	if (d.code != (in.reply ? in.reply->code : 0) || d.failure != (int)in.failure)
		abort();
	if (d.by_reply && !in.reply && !d.rule)
		abort();
	if (d.text) {
		/* The quoted words are one of the rule's own alternatives. */
		if (!d.rule || !d.rule->text)
			abort();
		const char *t = d.rule->text;
		if (d.text < t || d.text + d.text_len > t + strlen(t))
			abort();
	}
	struct strbuf sb = STRBUF_INIT;
	diagnosis_summary(&d, false, &sb);
	if (d.list && !strstr(strbuf_str(&sb), d.list))
		abort();
	strbuf_reset(&sb);
	diagnosis_matched(&d, false, &sb);
	if (diagnosis_remedy(&d, false) != d.remedy)
		abort();
	strbuf_free(&sb);
	reply_reader_free(&rr);
	return 0;
}
