/* secret.c - reading the AUTH secret (see secret.h). */
#include "secret.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "i18n.h"

#define SECRET_MAX 4096

void secret_free(char *secret)
{
	if (!secret)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

/* The first line of fd, without its line ending; bounded. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= size)
			return -1;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int from_file(const char *file, char *buf, size_t size, char *err, size_t errsz)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, _("cannot open --password-file %s: %s"), file, strerror(errno));
		return -1;
	}
	int r = read_line(fd, buf, size);
	close(fd);
	if (r < 0)
		snprintf(err, errsz, _("--password-file %s: first line longer than %d octets"), file, SECRET_MAX - 1);
	return r;
}

static int from_tty(const char *user, char *buf, size_t size, char *err, size_t errsz)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s", _("--auth needs a secret: set SMTPPROBE_PASSWORD or use --password-file (no terminal to ask on)"));
		return -1;
	}
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(fd, TCSANOW, &quiet); /* keep what was typed ahead */
	}
	char prompt[320];
	int n = snprintf(prompt, sizeof prompt, _("Password for %s: "), user);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof prompt)
		n = (int)sizeof prompt - 1;
	if (write(fd, prompt, (size_t)n) < 0)
		n = 0;
	int r = read_line(fd, buf, size);
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	if (write(fd, "\n", 1) < 0)
		n = 0;
	close(fd);
	if (r < 0)
		snprintf(err, errsz, _("the password is longer than %d octets"), SECRET_MAX - 1);
	return r;
}

int secret_read(const char *file, const char *user, char **out, char *err, size_t errsz)
{
	*out = NULL;
	char *buf = xcalloc(1, SECRET_MAX);
	int r;
	const char *env = getenv("SMTPPROBE_PASSWORD");
	if (file) {
		r = from_file(file, buf, SECRET_MAX, err, errsz);
	} else if (env) {
		r = strlen(env) < SECRET_MAX ? 0 : -1;
		if (r == 0)
			memcpy(buf, env, strlen(env) + 1);
		else
			snprintf(err, errsz, _("SMTPPROBE_PASSWORD is longer than %d octets"), SECRET_MAX - 1);
	} else {
		r = from_tty(user, buf, SECRET_MAX, err, errsz);
	}
	/* Children need not inherit it, and /proc/PID/environ need not show it. */
	secret_scrub_env("SMTPPROBE_PASSWORD");
	if (r == 0) {
		for (const char *c = buf; *c; c++) {
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				snprintf(err, errsz, "%s", _("the secret contains a control character"));
				r = -1;
				break;
			}
		}
	}
	if (r < 0) {
		OPENSSL_cleanse(buf, SECRET_MAX);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

void secret_scrub_env(const char *name)
{
	char *v = getenv(name);
	if (v)
		OPENSSL_cleanse(v, strlen(v));
	unsetenv(name);
}

void secret_scrub_userinfo(char *url)
{
	char *s = url ? strstr(url, "://") : NULL;
	if (!s)
		return;
	s += 3;
	char *at = strchr(s, '@');
	size_t host = strcspn(s, "/?#");
	if (!at || (size_t)(at - s) > host)
		return;
	memset(s, '*', (size_t)(at - s));
}
