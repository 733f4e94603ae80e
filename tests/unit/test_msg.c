/* Unit tests for msg.c: messages stay format + arguments until a renderer formats them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "msg.h"

static char *format(const struct msg *m, bool translate)
{
	struct strbuf sb = STRBUF_INIT;
	msg_format(m, translate, &sb);
	return sb.data ? sb.data : strdup("");
}

static void test_format(void **state)
{
	(void)state;
	struct msg m;
	msg_set(&m, "connect to %s port %d: %s (100%%)", "sde", "mx.example.org", 25, ECONNREFUSED);
	char *s = format(&m, false);
	assert_string_equal(s, "connect to mx.example.org port 25: Connection refused (100%)");
	free(s);
	msg_set(&m, "limit %d of %d", "uu", (uint64_t)5000, (uint64_t)18446744073709551615ULL);
	s = format(&m, false);
	assert_string_equal(s, "limit 5000 of 18446744073709551615");
	free(s);
	/* More placeholders than arguments: shown as they are, never read past the arguments. */
	msg_set(&m, "%s and %s", "s", "one");
	s = format(&m, false);
	assert_string_equal(s, "one and %s");
	free(s);
	msg_clear(&m);
	assert_true(msg_empty(&m));
	s = format(&m, false);
	assert_string_equal(s, "");
	free(s);
}

static void test_equal(void **state)
{
	(void)state;
	struct msg a, b;
	msg_set(&a, "x %s", "s", "1");
	msg_set(&b, "x %s", "s", "1");
	assert_true(msg_equal(&a, &b));
	msg_set(&b, "x %s", "s", "2");
	assert_false(msg_equal(&a, &b));
}

/* In Russian for people, in English for JSON, from the same message. */
static void test_translate(void **state)
{
	(void)state;
	const char *dir = getenv("SMTPPROBE_LOCALEDIR");
	setenv("LANGUAGE", "ru", 1);
	if (!setlocale(LC_ALL, "C.UTF-8") || !dir)
		skip();
	bindtextdomain(I18N_DOMAIN, dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	struct msg m;
	msg_set(&m, N_("connection lost: %s"), "e", ECONNRESET);
	char *en = format(&m, false), *ru = format(&m, true);
	assert_string_equal(en, "connection lost: Connection reset by peer");
	assert_non_null(strstr(ru, "соединение потеряно"));
	free(en);
	free(ru);
	msg_set(&m, N_("no reply to %s within %d s"), "td", N_("greeting"), 30);
	en = format(&m, false);
	ru = format(&m, true);
	assert_string_equal(en, "no reply to greeting within 30 s");
	assert_null(strstr(ru, "greeting"));
	free(en);
	free(ru);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_translate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
