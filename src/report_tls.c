/* report_tls.c - the TLS part of both reports (see report.h). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"

void report_tls_json(struct json *j, const struct tls_info *t)
{
	if (!t->used) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_key(j, "version");
	json_string(j, t->version);
	json_key(j, "cipher");
	json_string(j, t->cipher);
	json_key(j, "group");
	json_string(j, t->group[0] ? t->group : NULL);
	json_key(j, "subject");
	json_string(j, t->subject);
	json_key(j, "san");
	json_array_begin(j);
	for (int i = 0; i < t->nsan; i++)
		json_string(j, t->san[i]);
	json_array_end(j);
	json_key(j, "issuer");
	json_string(j, t->issuer);
	json_key(j, "not_before");
	json_string(j, t->not_before);
	json_key(j, "not_after");
	json_string(j, t->not_after);
	json_key(j, "days_left");
	json_int(j, t->days_left);
	json_key(j, "chain_length");
	json_int(j, t->chain_length);
	json_key(j, "verified");
	json_bool(j, t->verified);
	json_key(j, "verify_error");
	json_string(j, t->verify_error[0] ? t->verify_error : NULL);
	json_key(j, "name");
	json_string(j, t->name[0] ? t->name : NULL);
	json_key(j, "name_matched");
	json_bool(j, t->name_matched);
	json_object_end(j);
}

void report_tls_text(const struct tls_info *t, struct strbuf *out)
{
	if (!t->used)
		return;
	report_label(out, N_("tls"));
	strbuf_printf(out, "%s %s", t->version, t->cipher);
	if (t->group[0])
		strbuf_printf(out, " (%s)", t->group);
	strbuf_puts(out, "\n");
	report_label(out, N_("cert"));
	report_sanitize(out, t->subject, strlen(t->subject));
	strbuf_puts(out, _(", issuer "));
	report_sanitize(out, t->issuer, strlen(t->issuer));
	if (t->days_left < 0)
		strbuf_printf(out, dngettext(I18N_DOMAIN, ", expired %s (%d day ago)\n", ", expired %s (%d days ago)\n",
		                             (unsigned long)-(long)t->days_left),
		              t->not_after, -t->days_left);
	else if (t->days_left == 0)
		strbuf_printf(out, _(", expires %s (today)\n"), t->not_after);
	else
		strbuf_printf(out, dngettext(I18N_DOMAIN, ", expires %s (in %d day)\n", ", expires %s (in %d days)\n",
		                             (unsigned long)t->days_left),
		              t->not_after, t->days_left);
	report_label(out, N_("verify"));
	strbuf_puts(out, t->verified ? _("chain trusted") : t->verify_error);
	strbuf_puts(out, "; ");
	const char *name = t->name[0] ? t->name : _("(none)");
	if (t->name_matched)
		strbuf_printf(out, _("name %s matches\n"), name);
	else
		strbuf_printf(out, _("name %s does NOT match\n"), name);
}

void report_tls_same(const char *server, struct strbuf *out)
{
	struct strbuf s = STRBUF_INIT;
	strbuf_printf(&s, _("as above for %s"), server);
	report_label(out, N_("tls"));
	report_sanitize(out, strbuf_str(&s), s.len);
	strbuf_putc(out, '\n');
	strbuf_free(&s);
}
