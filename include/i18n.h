/*
 * i18n.h - message catalogues (GNU gettext, domain "smtpprobe").
 *
 * _() translates a message for people; N_() only marks a string for
 * xgettext where it cannot be translated yet (tables), to be passed
 * through _() when it is shown. What programs read - JSON, category ids,
 * exit statuses - never goes through _(), so it stays English and stable.
 *
 * dgettext with the domain spelled out, rather than gettext after
 * textdomain(), so that the library translates the same way whoever
 * links it (the binary, the unit tests). i18n_setup() (src/i18n.c) sets
 * the locale and binds the catalogues: from $SMTPPROBE_LOCALEDIR when set,
 * else from the build tree when the binary runs there, else LOCALEDIR.
 */
#ifndef SMTPPROBE_I18N_H
#define SMTPPROBE_I18N_H

#include <libintl.h>
#include <stddef.h>
#include <stdio.h>

#define I18N_DOMAIN "smtpprobe"

#define _(s) dgettext(I18N_DOMAIN, s)
#define N_(s) (s)

/*
 * Set the locale from the environment for messages (numbers and case
 * folding stay C, the character set UTF-8) and bind the catalogues. Call
 * once, first thing in main(). Cannot fail: without a catalogue messages
 * stay English, which i18n_explain_fallback() can tell.
 */
void i18n_setup(void);

/* The directory i18n_setup() bound (NULL before it ran). */
const char *i18n_localedir(void);

/*
 * When the environment asks for a language other than English and
 * messages stay English all the same, write one line saying why to out
 * (for -v; English, since there is no catalogue to say it in). Nothing
 * otherwise. Writes at most once per process.
 */
void i18n_explain_fallback(FILE *out);

/*
 * The decision behind i18n_explain_fallback, pure for tests: msg_locale is
 * what setlocale(LC_MESSAGES, NULL) says, language is $LANGUAGE, asked is
 * the first non-empty of $LC_ALL, $LC_MESSAGES, $LANG (any may be NULL),
 * dir where the catalogues are looked for. Returns NULL when messages come
 * out in the language asked for (or English was asked for), else buf
 * holding the reason, one line without a newline.
 */
const char *i18n_fallback_reason(const char *msg_locale, const char *language, const char *asked,
                                 const char *dir, char *buf, size_t bufsz);

#endif
