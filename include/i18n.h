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
 * links it (the binary, the unit tests). The catalogues come from
 * LOCALEDIR, or from $SMTPPROBE_LOCALEDIR when set (the tests point it at
 * the build tree); main.c binds them.
 */
#ifndef SMTPPROBE_I18N_H
#define SMTPPROBE_I18N_H

#include <libintl.h>

#define I18N_DOMAIN "smtpprobe"

#define _(s) dgettext(I18N_DOMAIN, s)
#define N_(s) (s)

#endif
