/* i18n.c - the locale, where the catalogues are, and why messages stay English (see i18n.h). */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char bound_dir[PATH_MAX];
static bool bound;
static char fallback[512];
static bool has_fallback;

/*
 * When this process is the binary meson built in its build tree, put the
 * build tree's catalogue directory in out and return true. Meson builds the binary as <build>/src/smtpprobe and
 * the catalogues as <build>/po/<lang>/LC_MESSAGES/smtpprobe.mo; config.h
 * has both paths relative to the binary's directory (BUILD_LOCALEDIR_REL)
 * and a directory only a meson build tree has (BUILD_TREE_MARKER_REL,
 * meson-private). Relative, so the binary carries no build path (the
 * package stays reproducible) and a copied build tree still works; the
 * marker, so that an installed binary never reads a directory that merely
 * happens to sit next to it (/usr/bin/../po). /proc/self/exe, not argv[0]:
 * it is the real file, whatever PATH or symlinks led to it.
 */
static bool build_tree_dir(char *out, size_t outsz)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || (size_t)n >= sizeof exe - 1)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	char marker[PATH_MAX];
	struct stat st;
	int m = snprintf(marker, sizeof marker, "%s/%s", exe, BUILD_TREE_MARKER_REL);
	if (m < 0 || (size_t)m >= sizeof marker || stat(marker, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	m = snprintf(out, outsz, "%s/%s", exe, BUILD_LOCALEDIR_REL);
	if (m <= 0 || (size_t)m >= outsz)
		return false;
	/* -v then names <build>/po rather than <build>/src/../po (when it exists: not without gettext). */
	char real[PATH_MAX];
	if (outsz >= sizeof real && realpath(out, real))
		memcpy(out, real, strlen(real) + 1);
	return true;
}

/* "C", "POSIX", "C.UTF-8", "en", "en_GB.UTF-8", "en@shaw": English, no catalogue needed. */
static bool wants_english(const char *name, size_t len)
{
	size_t lang = 0;
	while (lang < len && !strchr("_.@", name[lang]))
		lang++;
	return (lang == 1 && name[0] == 'C') ||
		(lang == 5 && strncmp(name, "POSIX", 5) == 0) ||
		(lang == 2 && strncmp(name, "en", 2) == 0);
}

static bool mo_exists(const char *dir, const char *name, size_t len)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "%s/%.*s/LC_MESSAGES/%s.mo", dir, (int)len, name, I18N_DOMAIN);
	return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

/*
 * Is there a catalogue for one entry of the language list? Tried as gettext
 * does, most specific first: ll_CC.codeset@mod as given, ll_CC@mod, ll_CC,
 * ll@mod, ll (it also tries normalised codesets, which nobody installs
 * catalogues under).
 */
static bool catalogue_for(const char *dir, const char *name, size_t len)
{
	/* name is ll[_CC][.codeset][@mod]: where each part ends. */
	size_t lang = 0;
	while (lang < len && !strchr("_.@", name[lang]))
		lang++;
	size_t terr = lang;
	if (terr < len && name[terr] == '_')
		while (terr < len && name[terr] != '.' && name[terr] != '@')
			terr++;
	const char *mod = memchr(name, '@', len);
	size_t modlen = mod ? len - (size_t)(mod - name) : 0;
	static const struct {
		bool territory;
		bool modifier;
	} tries[] = { { true, true }, { true, false }, { false, true }, { false, false } };

	if (mo_exists(dir, name, len))
		return true;
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		char buf[256];
		size_t base = tries[i].territory ? terr : lang;
		if (tries[i].modifier && !mod)
			continue;
		if (base + modlen >= sizeof buf)
			return false;
		memcpy(buf, name, base);
		if (tries[i].modifier)
			memcpy(buf + base, mod, modlen);
		if (mo_exists(dir, buf, base + (tries[i].modifier ? modlen : 0)))
			return true;
	}
	return false;
}

const char *i18n_fallback_reason(const char *msg_locale, const char *language, const char *asked,
                                 const char *dir, char *buf, size_t bufsz)
{
	if (language && !language[0])
		language = NULL;
	if (asked && !asked[0])
		asked = NULL;
	if (!msg_locale || strcmp(msg_locale, "C") == 0 || strcmp(msg_locale, "POSIX") == 0) {
		/* setlocale() refused the locale asked for: gettext then translates nothing. */
		if (asked && !wants_english(asked, strlen(asked))) {
			snprintf(buf, bufsz, "the locale \"%.64s\" is not installed here (see locale -a): messages stay in English", asked);
			return buf;
		}
		/* glibc ignores LANGUAGE in the C locale, on purpose (scripts set LC_ALL=C for English). */
		if (language && !wants_english(language, strcspn(language, ":"))) {
			snprintf(buf, bufsz, "LANGUAGE=%.64s is ignored in the C locale (set a locale such as LANG=C.UTF-8): messages stay in English", language);
			return buf;
		}
		return NULL;
	}
	/* As gettext: the LANGUAGE list when set, else the LC_MESSAGES locale; the first entry with a catalogue wins. */
	const char *list = language ? language : msg_locale;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ":");
		if (len > 0 && (wants_english(p, len) || catalogue_for(dir, p, len)))
			return NULL;
		p += len + (p[len] == ':');
	}
	snprintf(buf, bufsz, "no message catalogue for \"%.64s\" in %s: messages stay in English", list, dir);
	return buf;
}

/* The variable that decides LC_MESSAGES, as POSIX orders them. */
static const char *asked_locale(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && v[0])
			return v;
	}
	return NULL;
}

/*
 * Messages for people follow the locale (LANGUAGE=ru works with any locale
 * but C/POSIX, e.g. C.UTF-8); numbers and case folding do not, so that
 * --timeout 0.5 parses and "AUTH LOGIN" compares the same everywhere. The
 * catalogue is read as UTF-8, like everything else smtpprobe prints.
 *
 * Where the catalogues are, first found wins: $SMTPPROBE_LOCALEDIR (the
 * tests, a translator trying a catalogue); the build tree, when this is
 * the binary built there (build_tree_dir); LOCALEDIR, where `meson install`
 * and the Debian package put them.
 */
void i18n_setup(void)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "C");
	const char *env = getenv("SMTPPROBE_LOCALEDIR");
	if (env && env[0])
		snprintf(bound_dir, sizeof bound_dir, "%s", env);
	else if (!build_tree_dir(bound_dir, sizeof bound_dir))
		snprintf(bound_dir, sizeof bound_dir, "%s", LOCALEDIR);
	bindtextdomain(I18N_DOMAIN, bound_dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
	bound = true;
	/* Decided now, before main() switches LC_MESSAGES to C for JSON. */
	has_fallback = i18n_fallback_reason(setlocale(LC_MESSAGES, NULL), getenv("LANGUAGE"), asked_locale(),
	                                    bound_dir, fallback, sizeof fallback) != NULL;
}

const char *i18n_localedir(void)
{
	return bound ? bound_dir : NULL;
}

void i18n_explain_fallback(FILE *out)
{
	static bool done;
	if (done || !has_fallback)
		return;
	done = true;
	fprintf(out, "smtpprobe: %s\n", fallback);
}
