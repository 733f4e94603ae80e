/* report_json.c - JSON Lines rendering (see report.h, docs/output.md). */
#include "report.h"

#include <string.h>

#include "auth.h"
#include "diagnose.h"
#include "json.h"

static void reply_object(struct json *j, bool have, const struct reply *rep)
{
	if (!have) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_key(j, "code");
	json_int(j, rep->code);
	json_key(j, "enhanced");
	if (rep->enhanced[0])
		json_string(j, rep->enhanced);
	else
		json_null(j);
	json_key(j, "text");
	json_string_n(j, strbuf_str(&rep->text), rep->text.len);
	json_object_end(j);
}

/* Each line of a '\n'-separated buffer as one array element. */
static void lines_array(struct json *j, const struct strbuf *sb)
{
	json_array_begin(j);
	const char *p = strbuf_str(sb);
	const char *end = p + sb->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_string_n(j, p, len);
		p += len + 1;
	}
	json_array_end(j);
}

/* Messages (notes) in English, one element each; what did not fit is counted in a last one. */
static void notes_array(struct json *j, const struct probe_result *r)
{
	json_array_begin(j);
	for (int i = 0; i < r->nnotes; i++) {
		struct strbuf sb = STRBUF_INIT;
		msg_format(&r->notes[i], false, &sb);
		json_string_n(j, sb.data ? sb.data : "", sb.len);
		strbuf_free(&sb);
	}
	if (r->notes_dropped) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_printf(&sb, "%d more notes not kept", r->notes_dropped);
		json_string_n(j, sb.data, sb.len);
		strbuf_free(&sb);
	}
	json_array_end(j);
}

static void msg_or_null(struct json *j, const struct msg *m)
{
	if (msg_empty(m)) {
		json_null(j);
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	msg_format(m, false, &sb);
	json_string_n(j, sb.data ? sb.data : "", sb.len);
	strbuf_free(&sb);
}

/* starttls: whether the EHLO before TLS offered it (the one after TLS must not). */
static void ehlo_object(struct json *j, const struct ehlo_caps *c, bool starttls)
{
	static const struct {
		const char *key;
		enum ehlo_ext ext;
	} flags[] = {
		{ "pipelining", EHLO_PIPELINING }, { "starttls", EHLO_STARTTLS },
		{ "8bitmime", EHLO_8BITMIME }, { "smtputf8", EHLO_SMTPUTF8 },
		{ "enhancedstatuscodes", EHLO_ENHANCEDSTATUSCODES }, { "dsn", EHLO_DSN },
		{ "chunking", EHLO_CHUNKING },
	};
	json_object_begin(j);
	json_key(j, "domain");
	json_string(j, c->domain);
	json_key(j, "helo_only");
	json_bool(j, c->helo_only);
	json_key(j, "keywords");
	json_array_begin(j);
	for (int i = 0; i < c->nkeywords; i++)
		json_string(j, c->keywords[i]);
	json_array_end(j);
	json_key(j, "size");
	if (c->ext & EHLO_SIZE)
		json_int(j, (int64_t)c->size);
	else
		json_null(j);
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		json_key(j, flags[i].key);
		json_bool(j, (c->ext & flags[i].ext) != 0 || (flags[i].ext == EHLO_STARTTLS && starttls));
	}
	json_key(j, "auth");
	json_array_begin(j);
	const char *p = c->auth;
	while (*p) {
		size_t w = strcspn(p, " ");
		json_string_n(j, p, w);
		p += w;
		while (*p == ' ')
			p++;
	}
	json_array_end(j);
	json_object_end(j);
}

void report_json(const struct probe_result *r, bool with_transcript, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_object_begin(&j);

	json_key(&j, "address");
	json_string_n(&j, r->input ? r->input : "", r->input_len);
	json_key(&j, "domain");
	json_string(&j, r->addr_ok ? r->addr.domain : NULL);
	json_key(&j, "domain_unicode");
	json_string(&j, r->addr_ok && strcmp(r->addr.domain, r->addr.domain_unicode) != 0 ? r->addr.domain_unicode : NULL);
	json_key(&j, "verdict");
	json_string(&j, verdict_name(r->verdict));
	json_key(&j, "step");
	json_string(&j, r->step == STEP_NONE ? NULL : step_name(r->step));
	json_key(&j, "failure");
	json_string(&j, failure_name(r->failure));
	json_key(&j, "blame");
	json_string(&j, blame_name(r->blame));
	json_key(&j, "mailbox");
	json_string(&j, mailbox_name(r->mailbox));
	json_key(&j, "exit_status");
	json_int(&j, r->exit_status);
	const struct probe_attempt *dec = probe_decided(r);
	struct strbuf message = STRBUF_INIT;
	probe_message(r, false, &message);
	json_key(&j, "message");
	json_string_n(&j, strbuf_str(&message), message.len);
	strbuf_free(&message);
	json_key(&j, "reply");
	reply_object(&j, probe_reply(r) != NULL, probe_reply(r));

	json_key(&j, "server");
	if (probe_have_server(r)) {
		json_object_begin(&j);
		json_key(&j, "host");
		json_string(&j, dec->host);
		json_key(&j, "ip");
		json_string(&j, dec->ip[0] ? dec->ip : NULL); /* unknown: socks5h resolved it */
		json_key(&j, "port");
		json_int(&j, dec->port);
		json_object_end(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "mx");
	json_array_begin(&j);
	for (int i = 0; i < r->nmx; i++) {
		json_object_begin(&j);
		json_key(&j, "host");
		json_string(&j, r->mx[i].host);
		json_key(&j, "preference");
		json_int(&j, r->mx[i].preference);
		if (r->mx[i].implicit) {
			json_key(&j, "implicit");
			json_bool(&j, true);
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "null_mx");
	json_bool(&j, r->null_mx);

	json_key(&j, "attempts");
	json_array_begin(&j);
	for (int i = 0; i < r->nattempts; i++) {
		const struct probe_attempt *a = &r->attempts[i];
		json_object_begin(&j);
		json_key(&j, "host");
		json_string(&j, a->host);
		json_key(&j, "ip");
		json_string(&j, a->ip[0] ? a->ip : NULL);
		json_key(&j, "port");
		json_int(&j, a->port);
		json_key(&j, "step");
		json_string(&j, step_name(a->step));
		json_key(&j, "failure");
		json_string(&j, failure_name(a->failure));
		json_key(&j, "reply");
		reply_object(&j, a->have_reply, &a->reply);
		json_key(&j, "detail");
		msg_or_null(&j, &a->detail);
		json_key(&j, "plain_retry");
		json_bool(&j, a->plain);
		json_key(&j, "at_ms");
		json_int(&j, a->at_ms);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "ehlo");
	if (dec && dec->have_caps)
		ehlo_object(&j, &dec->caps, dec->starttls_offered);
	else
		json_null(&j);
	json_key(&j, "tls");
	static const struct tls_info no_tls;
	report_tls_json(&j, dec ? &dec->tls : &no_tls);
	json_key(&j, "auth");
	json_string(&j, dec && dec->auth_mech ? auth_mech_name(dec->auth_mech) : NULL);

	json_key(&j, "catch_all");
	if (r->catch_all == CATCH_ALL_YES || r->catch_all == CATCH_ALL_NO)
		json_bool(&j, r->catch_all == CATCH_ALL_YES);
	else
		json_null(&j);  /* not tried, or a temporary refusal that cannot tell */
	json_key(&j, "catch_all_probe");
	if (r->catch_all != CATCH_ALL_UNTESTED) {
		json_object_begin(&j);
		json_key(&j, "address");
		json_string(&j, r->catch_all_address);
		json_key(&j, "reply");
		reply_object(&j, r->have_catch_all_reply, &r->catch_all_reply);
		json_key(&j, "shared");
		json_bool(&j, r->catch_all_shared);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "greylist_retry_after_s");
	if (r->greylist_wait_s)
		json_int(&j, r->greylist_wait_s);
	else
		json_null(&j);

	struct diagnosis dg;
	diagnose(r, &dg);
	/* English whatever the locale: JSON is for programs (docs/output.md). */
	struct strbuf summary = STRBUF_INIT;
	diagnosis_summary(&dg, false, &summary);
	json_key(&j, "diagnosis");
	json_object_begin(&j);
	json_key(&j, "category");
	json_string(&j, dg.category);
	json_key(&j, "summary");
	json_string_n(&j, summary.data, summary.len);
	json_key(&j, "remedy");
	json_string(&j, diagnosis_remedy(&dg, false));
	json_key(&j, "matched");
	json_string(&j, dg.matched);
	json_key(&j, "list");
	json_string(&j, dg.list);
	json_object_end(&j);
	strbuf_free(&summary);

	json_key(&j, "notes");
	notes_array(&j, r);

	json_key(&j, "timings_ms");
	json_object_begin(&j);
	for (int s = 0; s < STEP_COUNT; s++) {
		if (r->timings_ms[s] < 0)
			continue;
		json_key(&j, step_name((enum step)s));
		json_int(&j, r->timings_ms[s]);
	}
	json_key(&j, "total");
	json_int(&j, r->total_ms);
	json_object_end(&j);

	if (with_transcript) {
		json_key(&j, "transcript");
		lines_array(&j, &r->transcript);
	}
	json_object_end(&j);
	strbuf_putc(out, '\n');
}
