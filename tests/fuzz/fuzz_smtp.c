/*
 * Fuzz target: the whole SMTP state machine driven by arbitrary server
 * bytes (with STARTTLS and AUTH enabled), checking the one invariant that
 * matters most: whatever the server says, no DATA or BDAT ever goes out,
 * and no secret reaches the transcript - neither in what is sent nor in
 * what the server echoes back (raw or in its base64 forms), nor in the
 * reply kept as the outcome.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "smtp.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct strbuf forms[AUTH_FORMS_MAX];
static int nforms;
static bool with_auth;   /* the session knows the secret (else it cannot hide it, nor leak it) */

/* Any form of the secret in these bytes? */
static bool leaks(const char *p, size_t len)
{
	for (int i = 0; with_auth && i < nforms; i++)
		if (forms[i].len && memmem(p, len, forms[i].data, forms[i].len))
			return true;
	return false;
}

static void check_event(void *ctx, const struct smtp_event *ev)
{
	(void)ctx;
	if (ev->type == SMTP_EV_RECEIVED && leaks(ev->line, ev->len))
		abort();
	if (ev->type != SMTP_EV_SENT)
		return;
	if (ev->len >= 4 && (strncasecmp(ev->line, "DATA", 4) == 0 || strncasecmp(ev->line, "BDAT", 4) == 0))
		abort();
	if (leaks(ev->line, ev->len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!nforms)
		nforms = auth_secret_forms("user", "s3cr3t", forms);
	with_auth = data[0] & 16;
	struct smtp_params p = {
		.helo = "probe.test",
		.mail_from = "",
		.rcpt_to = "user@example.test",
		.need_smtputf8 = data[0] & 1,
		.size = (data[0] & 2) ? 1000 : 0,
		.tls_mode = (data[0] >> 2) & 3,
		.auth_user = (data[0] & 16) ? "user" : NULL,
		.auth_secret = "s3cr3t",
		.allow_plaintext_auth = data[0] & 32,
		.catch_all_rcpt = (data[0] & 64) ? "x@example.test" : NULL,
	};
	size_t chunk = (data[1] % 32) + 1;
	data += 2;
	size -= 2;
	struct smtp_session *s = smtp_new(&p, check_event, NULL);
	if (!s)
		return 0;
	size_t off = 0;
	while (off < size && smtp_state(s) != SMTP_DONE) {
		if (smtp_state(s) == SMTP_TLS) {
			struct msg why;
			msg_set(&why, "x", "");
			smtp_tls_done(s, (data[off] & 1) ? FAIL_NONE : FAIL_TLS, &why);
		}
		size_t n = size - off < chunk ? size - off : chunk;
		smtp_feed(s, (const char *)data + off, n);
		off += n;
		size_t len;
		const char *out = smtp_output(s, &len);
		if (len && (!memchr(out, '\n', len) || memmem(out, len, "s3cr3t", 6)))
			abort();
		smtp_output_done(s, len);
	}
	smtp_eof(s);
	if (smtp_state(s) != SMTP_DONE || !smtp_finished(s))
		abort();
	const struct smtp_outcome *oc = smtp_outcome(s);
	if (oc->have_reply && leaks(strbuf_str(&oc->reply.text), oc->reply.text.len))
		abort();
	smtp_free(s);
	return 0;
}
