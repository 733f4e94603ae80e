/*
 * secret.h - where the AUTH secret comes from: the environment variable
 * SMTPPROBE_PASSWORD, --password-file, or a no-echo prompt on the terminal.
 * Never from the command line, where every user of the machine can read it.
 */
#ifndef SMTPPROBE_SECRET_H
#define SMTPPROBE_SECRET_H

#include <stddef.h>

/*
 * Read the secret into a fresh buffer (*out, NUL-terminated; free it with
 * secret_free). file may be NULL. Returns 0, or -1 with one line in err
 * that never contains the secret.
 */
int secret_read(const char *file, const char *user, char **out, char *err, size_t errsz);

/* Wipe and free. Accepts NULL. */
void secret_free(char *secret);

/*
 * Take a variable out of the environment for good: its value is wiped in
 * place (unsetenv alone leaves it readable in /proc/PID/environ), then it
 * is unset, so children do not inherit it either.
 */
void secret_scrub_env(const char *name);

/*
 * Wipe the user:password@ of a URL in place (an argv string), leaving
 * the scheme and host as they were (/proc/PID/cmdline shows argv's memory).
 */
void secret_scrub_userinfo(char *url);

#endif
