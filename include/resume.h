/*
 * resume.h - --resume FILE: the addresses that already have a result in
 * the JSON Lines of an earlier (interrupted) run, so that a new run skips
 * them. A result that says "not_probed" does not count.
 */
#ifndef SMTPPROBE_RESUME_H
#define SMTPPROBE_RESUME_H

#include <stdbool.h>
#include <stddef.h>

struct resume;

/* NULL with a one-line reason in err when FILE cannot be read. */
struct resume *resume_load(const char *path, char *err, size_t errsz);
bool resume_has(const struct resume *r, const char *input, size_t len);
void resume_free(struct resume *r);

/* The value of the "address" key of one JSON object line, decoded; false when there is none. Pure. */
bool resume_address(const char *line, size_t len, char *out, size_t outsz, size_t *outlen);

#endif
