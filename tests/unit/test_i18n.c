/*
 * Unit tests for i18n_fallback_reason: when the environment asks for a
 * language and messages stay English, and why. The catalogues are empty
 * files in a temporary directory: only their presence matters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"

static char dir[64];
static const char *const installed[] = { "ru", "pt_BR", "sr@latin" };

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/smtpprobe-i18n.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	for (size_t i = 0; i < sizeof installed / sizeof installed[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", dir, installed[i]);
		mkdir(path, 0755);
		snprintf(path, sizeof path, "%s/%s/LC_MESSAGES", dir, installed[i]);
		mkdir(path, 0755);
		snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/" I18N_DOMAIN ".mo", dir, installed[i]);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		fclose(f);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_reasons(void **state)
{
	(void)state;
	static const struct {
		const char *msg_locale;  /* what setlocale(LC_MESSAGES, NULL) says */
		const char *language;    /* $LANGUAGE */
		const char *asked;       /* $LC_ALL, $LC_MESSAGES or $LANG */
		const char *reason;      /* expected: a fragment of the reason, NULL for none */
	} rows[] = {
		/* Nothing asked for, or English, or C: nothing to say. */
		{ "C", NULL, NULL, NULL },
		{ "C", "", "", NULL },
		{ "C", NULL, "C", NULL },
		{ "C", NULL, "POSIX", NULL },
		{ "C.UTF-8", NULL, "C.UTF-8", NULL },
		{ "C.UTF-8", "en", "C.UTF-8", NULL },
		{ "en_GB.UTF-8", NULL, "en_GB.UTF-8", NULL },
		{ "C", NULL, "en_US.UTF-8", NULL },          /* not installed, but English is what was asked */
		{ "C", "en_GB:en", NULL, NULL },
		/* A catalogue found, in the forms gettext tries. */
		{ "C.UTF-8", "ru", NULL, NULL },
		{ "ru_RU.UTF-8", NULL, "ru_RU.UTF-8", NULL },
		{ "C.UTF-8", "ru_RU", NULL, NULL },
		{ "C.UTF-8", "pt_BR.UTF-8", NULL, NULL },
		{ "C.UTF-8", "sr_RS@latin", NULL, NULL },
		{ "C.UTF-8", "de:ru", NULL, NULL },          /* the second entry has one */
		{ "C.UTF-8", "de:en", NULL, NULL },          /* English as the fallback asked for */
		/* Messages stay English although another language was asked for. */
		{ "C.UTF-8", "de", NULL, "no message catalogue for \"de\" in " },
		{ "de_DE.UTF-8", NULL, "de_DE.UTF-8", "no message catalogue for \"de_DE.UTF-8\"" },
		{ "C.UTF-8", "de:fr", NULL, "no message catalogue for \"de:fr\"" },
		{ "C.UTF-8", "pt", NULL, "no message catalogue for \"pt\"" },   /* pt_BR is not pt */
		{ "C.UTF-8", "sr", NULL, "no message catalogue for \"sr\"" },   /* sr@latin is not sr */
		{ "C", NULL, "ru_RU.UTF-8", "the locale \"ru_RU.UTF-8\" is not installed" },
		{ "C", "ru", "xx_XX.UTF-8", "the locale \"xx_XX.UTF-8\" is not installed" },
		{ "C", "ru", NULL, "LANGUAGE=ru is ignored in the C locale" },
		{ "C", "ru", "C", "LANGUAGE=ru is ignored in the C locale" },
		{ NULL, "ru", NULL, "LANGUAGE=ru is ignored in the C locale" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char buf[512];
		const char *got = i18n_fallback_reason(rows[i].msg_locale, rows[i].language, rows[i].asked,
		                                       dir, buf, sizeof buf);
		print_message("# %s / LANGUAGE=%s / asked %s: %s\n", rows[i].msg_locale ? rows[i].msg_locale : "(null)",
		              rows[i].language ? rows[i].language : "", rows[i].asked ? rows[i].asked : "",
		              got ? got : "(none)");
		if (!rows[i].reason) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		assert_non_null(strstr(got, rows[i].reason));
		assert_non_null(strstr(got, "messages stay in English"));
		assert_null(strchr(got, '\n'));
	}
}

/* A hostile or silly value is cut, not overflowed. */
static void test_long_values(void **state)
{
	(void)state;
	char lang[2048];
	memset(lang, 'x', sizeof lang - 1);
	lang[sizeof lang - 1] = '\0';
	char buf[128];
	const char *got = i18n_fallback_reason("C.UTF-8", lang, NULL, dir, buf, sizeof buf);
	assert_non_null(got);
	assert_true(strlen(got) < sizeof buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_long_values),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
