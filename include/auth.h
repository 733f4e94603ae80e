/*
 * auth.h - SMTP AUTH (RFC 4954) client side, pure: choose a mechanism and
 * compute each line to send. Base64 and HMAC come from OpenSSL.
 *
 * Every buffer that held a secret is wiped (OPENSSL_cleanse) before it is
 * freed; callers wipe their own copies the same way.
 */
#ifndef SMTPPROBE_AUTH_H
#define SMTPPROBE_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum auth_mech {
	AUTH_NONE = 0,
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,
	AUTH_XOAUTH2,
};

const char *auth_mech_name(enum auth_mech m);        /* "PLAIN" */
enum auth_mech auth_mech_parse(const char *name);    /* case-insensitive; AUTH_NONE if unknown */

/*
 * Pick the mechanism: `forced` (from --auth-mech) when the server advertises
 * it, else the strongest advertised one we support, in the order
 * CRAM-MD5, PLAIN, LOGIN (XOAUTH2 only when forced: its
 * "password" is a bearer token, not a password). `advertised` is the
 * space-separated list from EHLO. AUTH_NONE when nothing fits.
 */
enum auth_mech auth_pick(const char *advertised, enum auth_mech forced);

/*
 * The AUTH command line (without CRLF) into out, e.g.
 * "AUTH PLAIN AHVzZXIAc2VjcmV0" or "AUTH LOGIN"; `redacted` gets the form
 * safe for transcripts ("AUTH PLAIN <redacted>"). Returns false if user or
 * secret cannot be encoded (NUL inside, too long).
 */
bool auth_initial(enum auth_mech m, const char *user, const char *secret,
                  struct strbuf *out, struct strbuf *redacted);

/*
 * The answer to a 334 challenge. `step` counts the 334s seen (0 = first).
 * challenge is the base64 text after "334 ". For LOGIN: step 0 answers the
 * user name, step 1 the password; CRAM-MD5: user + " " + hex HMAC-MD5;
 * XOAUTH2: a 334 carries the server's JSON error and the answer is an empty
 * line. `redacted` gets the transcript form ("<redacted>" for secrets; the
 * LOGIN user name is redacted too, since it is a credential). Returns false
 * when the challenge is malformed or there is no further step.
 */
bool auth_respond(enum auth_mech m, int step, const char *challenge, size_t len,
                  const char *user, const char *secret,
                  struct strbuf *out, struct strbuf *redacted);

/* Base64 helpers (OpenSSL EVP), exposed for tests. decode returns -1 on bad input. */
void auth_b64_encode(const unsigned char *in, size_t len, struct strbuf *out);
int auth_b64_decode(const char *in, size_t len, struct strbuf *out);

/*
 * Every form in which the secret could come back from a server that
 * echoes what it received: the secret itself, its base64 (LOGIN), and the
 * base64 of the PLAIN and XOAUTH2 responses. Up to AUTH_FORMS_MAX
 * strbufs are filled (the caller wipes them with auth_wipe); returns how
 * many.
 */
#define AUTH_FORMS_MAX 4
int auth_secret_forms(const char *user, const char *secret, struct strbuf forms[AUTH_FORMS_MAX]);

/* Wipe and free a strbuf that held a secret. */
void auth_wipe(struct strbuf *sb);

#endif
