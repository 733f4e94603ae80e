/*
 * fakesmtp.c - a scripted fake SMTP server for smtpprobe's integration tests.
 *
 * It plays the server side of a dialogue written in a fixture file (format
 * in docs/fixtures.md): it sends the scripted replies, checks every client
 * line against the scripted pattern and logs every line the client sent, so
 * the runner can check the client's side too. One session of the script is
 * one accepted connection; sessions are served in order, then it exits.
 *
 * Beyond plain SMTP it can play the server side of TLS (STARTTLS or
 * implicit, OpenSSL, with the certificate given by --cert/--key; client
 * lines are logged decoded, as before) and of a SOCKS5 proxy handshake
 * (RFC 1928/1929) that "connects" to itself: after the proxy reply the same
 * connection carries the SMTP dialogue. Neither ever opens a connection.
 *
 * Single-threaded and poll()-driven with one timeout bounding every wait
 * (accept, read, write, handshake): a broken client makes a test fail fast
 * instead of hanging the suite. It only listens on loopback addresses.
 *
 * Exit status: 0 every session ran its script fully with no mismatch and no
 * forbidden command; 1 anything else (the log says what); 2 usage, script,
 * certificate or bind error (stderr says what).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/*
 * RFC 5321 allows 512 octets for a command line; a client line longer than
 * this is a client bug, so it is cut, reported, and the rest dropped.
 */
#define CLIENT_LINE_MAX 4096
/* Escaping turns one byte into at most four ("\xHH"). */
#define ESCAPED_MAX (CLIENT_LINE_MAX * 4 + 1)
/* !long is for overlong lines, not for flooding: keep it finite. */
#define LONG_MAX_OCTETS (1 << 20)

enum exit_code {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* ---- the script ---------------------------------------------------------- */

enum op {
	OP_SEND,           /* S: text      - data holds text + CRLF */
	OP_EXPECT,         /* C: pattern   - data holds the pattern */
	OP_RAW,            /* !raw HEX     - data holds the bytes */
	OP_LONG,           /* !long [CODE[-]] N - data holds the prefix, count the x's */
	OP_CLOSE,          /* !close */
	OP_SILENT,         /* !silent */
	OP_EXPECT_CLOSE,   /* !expect-close */
	OP_CORK,           /* !cork - the following sends go out in one write */
	OP_STARTTLS,       /* !starttls [tls1.2|tls1.3] - count holds the pinned version or 0 */
	OP_TLS_IMPLICIT,   /* !tls-implicit [tls1.2|tls1.3] - the same, first in its session */
	OP_EXPECT_TLS_FAIL,/* !expect-tls-fail [tls1.2|tls1.3] - a handshake the client is expected to abort */
	OP_TLS_GARBAGE,    /* !tls-garbage HEX - answer the ClientHello with these bytes */
	OP_EXPECT_SNI,     /* !expect-sni PATTERN - data holds the pattern ("-": no SNI) */
	OP_SOCKS5,         /* !socks5 [...] - socks holds the options */
	OP_DATA,           /* !data - take DATA and the message up to the lone "." (for MTAs, not smtpprobe) */
	OP_PAUSE,          /* !pause MS - wait before the next directive (a slow server, not synchronisation) */
};

/* What !socks5 plays: see parse_socks5. */
struct socks_opts {
	char *user, *pass;   /* both set: offer only user/password and require these */
	bool deny_auth;      /* answer the credentials with a failure status */
	bool no_method;      /* answer the greeting with "no acceptable methods" */
	int reply;           /* the REP code for the CONNECT request */
};

struct directive {
	enum op op;
	int lineno;      /* in the fixture file, for messages */
	bool ends;       /* nothing can follow it in its session */
	char *data;
	size_t len;
	size_t count;
	struct socks_opts *socks;
};

struct session {
	struct directive *dirs;
	size_t n, cap;
};

struct script {
	struct session *sessions;
	size_t n, cap;
	bool needs_cert;  /* some directive does a TLS handshake */
};

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);
	if (!q) {
		fprintf(stderr, "fakesmtp: out of memory\n");
		exit(EXIT_USAGE);
	}
	return q;
}

static char *xmemdup(const char *s, size_t len)
{
	char *p = xrealloc(NULL, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

typedef bool parse_fn(struct directive *d, const char *arg, const char **why);

static bool parse_send(struct directive *d, const char *arg, const char **why)
{
	(void)why;
	size_t n = strlen(arg);
	d->data = xrealloc(NULL, n + 3);
	memcpy(d->data, arg, n);
	memcpy(d->data + n, "\r\n", 3);
	d->len = n + 2;
	return true;
}

static bool parse_expect(struct directive *d, const char *arg, const char **why)
{
	(void)why;
	d->data = xmemdup(arg, strlen(arg));
	d->len = strlen(arg);
	return true;
}

static bool parse_pattern(struct directive *d, const char *arg, const char **why)
{
	if (!*arg) {
		*why = "this directive wants a pattern";
		return false;
	}
	return parse_expect(d, arg, why);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digit pairs, with optional blanks between pairs: "48 54 0d0a". */
static bool parse_raw(struct directive *d, const char *arg, const char **why)
{
	d->data = xrealloc(NULL, strlen(arg) / 2 + 1);
	d->len = 0;
	for (const char *p = arg; *p;) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		int hi = hex_value(p[0]);
		int lo = hi < 0 ? -1 : hex_value(p[1]);
		if (lo < 0) {
			*why = "!raw and !tls-garbage want pairs of hex digits";
			return false;
		}
		d->data[d->len++] = (char)(hi << 4 | lo);
		p += 2;
	}
	if (d->len == 0) {
		*why = "!raw and !tls-garbage want bytes";
		return false;
	}
	return true;
}

/* "!long N" is "250 " + N x's; "!long 220 N" and "!long 220- N" pick the code. */
static bool parse_long(struct directive *d, const char *arg, const char **why)
{
	char code[3] = { '2', '5', '0' };
	char sep = ' ';
	const char *num = arg;
	const char *space = strpbrk(arg, " \t");

	if (space) {
		size_t clen = (size_t)(space - arg);
		bool digits = clen >= 3 && strspn(arg, "0123456789") == 3;
		if (!digits || clen > 4 || (clen == 4 && arg[3] != '-')) {
			*why = "!long wants [CODE[-]] N, CODE being three digits";
			return false;
		}
		memcpy(code, arg, 3);
		sep = clen == 4 ? '-' : ' ';
		num = space + strspn(space, " \t");
	}
	char *end;
	errno = 0;
	unsigned long n = strtoul(num, &end, 10);
	if (errno || end == num || *end != '\0' || n > LONG_MAX_OCTETS) {
		*why = "!long wants a count of at most 1048576";
		return false;
	}
	d->data = xrealloc(NULL, 5);
	memcpy(d->data, code, 3);
	d->data[3] = sep;
	d->data[4] = '\0';
	d->len = 4;
	d->count = n;
	return true;
}

/* "!pause MS": 1 to 30000 milliseconds. */
static bool parse_pause(struct directive *d, const char *arg, const char **why)
{
	char *end;
	errno = 0;
	unsigned long ms = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != '\0' || ms < 1 || ms > 30000) {
		*why = "!pause wants milliseconds, 1 to 30000";
		return false;
	}
	d->count = ms;
	return true;
}

static bool parse_none(struct directive *d, const char *arg, const char **why)
{
	(void)d;
	if (*arg) {
		*why = "this directive takes no argument";
		return false;
	}
	return true;
}

/* "" (any version the client and OpenSSL agree on), "tls1.2" or "tls1.3". */
static bool parse_tls(struct directive *d, const char *arg, const char **why)
{
	if (!*arg)
		d->count = 0;
	else if (strcmp(arg, "tls1.2") == 0)
		d->count = TLS1_2_VERSION;
	else if (strcmp(arg, "tls1.3") == 0)
		d->count = TLS1_3_VERSION;
	else {
		*why = "the TLS version is tls1.2 or tls1.3 (or nothing: either)";
		return false;
	}
	return true;
}

/*
 * "!socks5 [user=NAME pass=SECRET] [deny-auth] [no-method] [reply=N]":
 * without user=/pass= the client must offer "no authentication"; with them
 * it must offer user/password and send exactly these. deny-auth answers the
 * credentials with a failure, no-method the greeting with 0xFF, reply=N the
 * CONNECT with REP N (RFC 1928 6: 1 general failure, 2 not allowed, 3
 * network unreachable, 4 host unreachable, 5 connection refused, ...). All
 * three end the session: the client must then close.
 */
static bool parse_socks5(struct directive *d, const char *arg, const char **why)
{
	struct socks_opts *o = xrealloc(NULL, sizeof *o);
	memset(o, 0, sizeof *o);
	d->socks = o;
	char *copy = xmemdup(arg, strlen(arg)), *save = NULL;
	bool ok = true;
	for (char *w = strtok_r(copy, " \t", &save); w && ok; w = strtok_r(NULL, " \t", &save)) {
		if (strncmp(w, "user=", 5) == 0 && !o->user)
			o->user = xmemdup(w + 5, strlen(w + 5));
		else if (strncmp(w, "pass=", 5) == 0 && !o->pass)
			o->pass = xmemdup(w + 5, strlen(w + 5));
		else if (strcmp(w, "deny-auth") == 0)
			o->deny_auth = true;
		else if (strcmp(w, "no-method") == 0)
			o->no_method = true;
		else if (strncmp(w, "reply=", 6) == 0) {
			char *end;
			long v = strtol(w + 6, &end, 10);
			ok = end != w + 6 && *end == '\0' && v >= 0 && v <= 255;
			o->reply = (int)v;
		} else
			ok = false;
	}
	free(copy);
	if (!ok)
		*why = "!socks5 takes user=NAME pass=SECRET deny-auth no-method reply=N (once each)";
	else if (!o->user != !o->pass || (o->user && (strlen(o->user) > 255 || strlen(o->pass) > 255))) {
		*why = "!socks5 wants both user= and pass= (at most 255 octets each), or neither";
		ok = false;
	} else if (o->deny_auth && !o->user) {
		*why = "!socks5 deny-auth needs user= and pass=";
		ok = false;
	}
	d->ends = o->deny_auth || o->no_method || o->reply != 0;
	return ok;
}

/*
 * The directive vocabulary. S: and C: drop exactly one space after the
 * colon, so a reply can start with blanks if a test needs that; the !words
 * drop all leading blanks. Directives that end the connection must be last
 * in their session: nothing after them could run.
 */
static const struct {
	const char *word;
	enum op op;
	parse_fn *parse;
	bool verbatim;
	bool ends_session;
} directive_table[] = {
	{ "S:", OP_SEND, parse_send, true, false },
	{ "C:", OP_EXPECT, parse_expect, true, false },
	{ "!raw", OP_RAW, parse_raw, false, false },
	{ "!long", OP_LONG, parse_long, false, false },
	{ "!close", OP_CLOSE, parse_none, false, true },
	{ "!silent", OP_SILENT, parse_none, false, true },
	{ "!expect-close", OP_EXPECT_CLOSE, parse_none, false, true },
	{ "!cork", OP_CORK, parse_none, false, false },
	{ "!starttls", OP_STARTTLS, parse_tls, false, false },
	{ "!tls-implicit", OP_TLS_IMPLICIT, parse_tls, false, false },
	{ "!expect-tls-fail", OP_EXPECT_TLS_FAIL, parse_tls, false, true },
	{ "!tls-garbage", OP_TLS_GARBAGE, parse_raw, false, true },
	{ "!expect-sni", OP_EXPECT_SNI, parse_pattern, false, false },
	{ "!socks5", OP_SOCKS5, parse_socks5, false, false },
	{ "!data", OP_DATA, parse_none, false, false },
	{ "!pause", OP_PAUSE, parse_pause, false, false },
};

static bool is_handshake(enum op op)
{
	return op == OP_STARTTLS || op == OP_TLS_IMPLICIT || op == OP_EXPECT_TLS_FAIL || op == OP_TLS_GARBAGE;
}

/* Where a directive may stand in its session; NULL when it fits, else why not. */
static const char *misplaced(const struct session *s, const struct directive *d)
{
	bool handshake = false, only_socks = true;
	for (size_t i = 0; i + 1 < s->n; i++) {
		handshake |= is_handshake(s->dirs[i].op);
		only_socks &= s->dirs[i].op == OP_SOCKS5;
	}
	if (d->op == OP_SOCKS5 && s->n > 1)
		return "!socks5 must be the first directive of its session";
	if (d->op == OP_TLS_IMPLICIT && !only_socks)
		return "!tls-implicit must come first in its session (after !socks5 at most)";
	if (is_handshake(d->op) && handshake)
		return "one TLS handshake per session";
	if (d->op == OP_EXPECT_SNI && !handshake)
		return "!expect-sni needs a !starttls or !tls-implicit before it";
	return NULL;
}

static struct session *script_add_session(struct script *sc)
{
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 4;
		sc->sessions = xrealloc(sc->sessions, sc->cap * sizeof *sc->sessions);
	}
	struct session *s = &sc->sessions[sc->n++];
	memset(s, 0, sizeof *s);
	return s;
}

static struct directive *session_add(struct session *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->dirs = xrealloc(s->dirs, s->cap * sizeof *s->dirs);
	}
	struct directive *d = &s->dirs[s->n++];
	memset(d, 0, sizeof *d);
	return d;
}

static void directive_free(struct directive *d)
{
	free(d->data);
	if (d->socks) {
		free(d->socks->user);
		free(d->socks->pass);
		free(d->socks);
	}
}

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* One dialogue line into the current session; false (with *why) when it is not a directive. */
static bool parse_line(struct script *sc, struct session *s, const char *line, int lineno, const char **why)
{
	for (size_t i = 0; i < sizeof directive_table / sizeof directive_table[0]; i++) {
		const char *w = directive_table[i].word;
		size_t wl = strlen(w);
		if (strncmp(line, w, wl) != 0 || (line[wl] != '\0' && line[wl] != ' ' && line[wl] != '\t'))
			continue;
		const char *arg = line + wl;
		if (directive_table[i].verbatim)
			arg += *arg == ' ';
		else
			arg += strspn(arg, " \t");
		if (s->n > 0 && s->dirs[s->n - 1].ends) {
			*why = "nothing can follow a directive that ends the session (!close, !silent, "
			       "!expect-close, !expect-tls-fail, !tls-garbage, a failing !socks5)";
			return false;
		}
		struct directive *d = session_add(s);
		d->op = directive_table[i].op;
		d->lineno = lineno;
		d->ends = directive_table[i].ends_session;
		bool ok = directive_table[i].parse(d, arg, why);
		if (ok && (*why = misplaced(s, d)) != NULL)
			ok = false;
		if (!ok) {
			s->n--;
			directive_free(d);
			return false;
		}
		if (d->op == OP_STARTTLS || d->op == OP_TLS_IMPLICIT || d->op == OP_EXPECT_TLS_FAIL)
			sc->needs_cert = true;
		return true;
	}
	*why = "unknown directive (S:, C:, !raw, !long, !close, !silent, !expect-close, !cork, "
	       "!starttls, !tls-implicit, !expect-tls-fail, !tls-garbage, !expect-sni, !socks5, !data, !pause)";
	return false;
}

static void script_free(struct script *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		for (size_t j = 0; j < sc->sessions[i].n; j++)
			directive_free(&sc->sessions[i].dirs[j]);
		free(sc->sessions[i].dirs);
	}
	free(sc->sessions);
}

/*
 * Read a fixture: the dialogue is what follows the first "---" line (the
 * header above it is the runner's business); a file with no "---" is all
 * dialogue. "=== ..." starts a new session.
 */
static void script_load(struct script *sc, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fakesmtp: %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}

	/* Pass 1: where does the dialogue start? */
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, start = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (strcmp(line, "---") == 0) {
			start = lineno;
			break;
		}
	}
	rewind(f);

	/* Pass 2: the directives. */
	struct session *cur = NULL;
	lineno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (lineno <= start)
			continue;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#' || is_blank(line))
			continue;
		if (strncmp(line, "===", 3) == 0) {
			/* A leading "===" opens the first session: sessions start at a marker or a directive. */
			cur = script_add_session(sc);
			continue;
		}
		if (!cur)
			cur = script_add_session(sc);
		const char *why = NULL;
		if (!parse_line(sc, cur, line, lineno, &why)) {
			fprintf(stderr, "fakesmtp: %s:%d: %s: %s\n", path, lineno, why, line);
			exit(EXIT_USAGE);
		}
	}
	free(line);
	fclose(f);
	if (sc->n == 0) {
		fprintf(stderr, "fakesmtp: %s: no dialogue\n", path);
		exit(EXIT_USAGE);
	}
}

/* ---- the log ------------------------------------------------------------- */

static FILE *log_file;
static bool failed;

__attribute__((format(printf, 1, 2)))
static void log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
	fflush(log_file); /* the runner may read it while we wait */
}

/* A failure goes to the log and to stderr, and makes the exit status 1. */
__attribute__((format(printf, 1, 2)))
static void log_failure(const char *fmt, ...)
{
	char msg[ESCAPED_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_line("%s", msg);
	fprintf(stderr, "fakesmtp: %s\n", msg);
	failed = true;
}

/*
 * Control bytes become "\xHH" so the log stays one line per line and NULs
 * survive; everything else (UTF-8 included) is kept as sent. Patterns are
 * matched against this same form.
 */
static void escape(char *out, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* Up to 64 bytes as "16 03 01 ...", for the log. */
static void hex_dump(char *out, size_t outsz, const unsigned char *in, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && i < 64 && o < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%02x", i ? " " : "", in[i]);
	if (len > 64 && o < outsz)
		snprintf(out + o, outsz - o, " ...");
}

/* ---- the connection ------------------------------------------------------ */

/* Set once from --cert/--key; NULL when the run needs no TLS. */
static SSL_CTX *tls_ctx;

struct conn {
	int fd;
	int timeout_ms;
	SSL *ssl;         /* set after a successful handshake: all I/O goes through it */
	bool tls_dead;    /* a fatal TLS error happened: no close_notify, no more TLS reads */
	char buf[CLIENT_LINE_MAX + 2];
	size_t len;
	bool eof;
	bool discarding;  /* inside an overlong line: drop bytes up to the next LF */
	bool corked;      /* !cork: sends collect in out until the next wait */
	bool in_data;     /* !data: lines are message text, counted and not logged or flagged */
	char *out;
	size_t out_len, out_cap;
};

enum got {
	GOT_LINE,     /* a line (conn_read_line), or "ready / progress" (the helpers below) */
	GOT_EOF,
	GOT_RESET,    /* the client reset the connection (closed with our bytes unread) */
	GOT_TIMEOUT,  /* nothing within the timeout; not logged, the caller knows what it waited for */
	GOT_ERROR,    /* logged */
};

/* Wait until fd is ready for events: GOT_LINE (ready), GOT_TIMEOUT or GOT_ERROR (logged). */
static enum got wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r > 0)
			return GOT_LINE;
		if (r == 0)
			return GOT_TIMEOUT;
		if (errno != EINTR) {
			log_failure("ERROR: poll: %s", strerror(errno));
			return GOT_ERROR;
		}
	}
}

/* The reason for the last TLS failure, for the log. */
static const char *tls_reason(int ssl_error, int saved_errno)
{
	static char why[256];
	unsigned long e = ERR_peek_last_error();
	if (e) {
		ERR_error_string_n(e, why, sizeof why);
		/* "error:0A000418:SSL routines::tlsv1 alert unknown ca" -> the last part. */
		const char *colon = strrchr(why, ':');
		return colon ? colon + 1 : why;
	}
	if (ssl_error == SSL_ERROR_SYSCALL && saved_errno)
		return strerror(saved_errno);
	if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN)
		return "the client closed the connection";
	snprintf(why, sizeof why, "SSL error %d", ssl_error);
	return why;
}

/*
 * Wait for what an OpenSSL call that returned `ssl_error` wants: GOT_LINE
 * (try again), GOT_TIMEOUT, GOT_ERROR (logged), or GOT_EOF when the error
 * is not a "want" at all (the caller reports it).
 */
static enum got tls_wait(struct conn *c, int ssl_error)
{
	if (ssl_error == SSL_ERROR_WANT_READ)
		return wait_for(c->fd, POLLIN, c->timeout_ms);
	if (ssl_error == SSL_ERROR_WANT_WRITE)
		return wait_for(c->fd, POLLOUT, c->timeout_ms);
	return GOT_EOF;
}

/* Every line the client sends is logged here, and DATA/BDAT flagged. */
static void client_said(const char *escaped)
{
	log_line("C: %s", escaped);
	if (strncasecmp(escaped, "DATA", 4) == 0 || strncasecmp(escaped, "BDAT", 4) == 0)
		log_failure("FORBIDDEN: %s", escaped);
}

/* Drop the first n buffered bytes. */
static void conn_consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/*
 * Read more client bytes into buf (there must be room): GOT_LINE when some
 * arrived or end of stream was reached (eof set), else GOT_RESET,
 * GOT_TIMEOUT or GOT_ERROR (logged). Over TLS the read is tried before any
 * poll: OpenSSL may hold decrypted bytes that poll cannot see.
 */
static enum got conn_fill(struct conn *c)
{
	size_t room = sizeof c->buf - c->len;
	if (!c->ssl) {
		for (;;) {
			enum got w = wait_for(c->fd, POLLIN, c->timeout_ms);
			if (w != GOT_LINE)
				return w;
			ssize_t r = recv(c->fd, c->buf + c->len, room, 0);
			if (r > 0) {
				c->len += (size_t)r;
				return GOT_LINE;
			}
			if (r == 0) {
				c->eof = true;
				return GOT_LINE;
			}
			if (errno == ECONNRESET)
				return GOT_RESET;
			if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
				log_failure("ERROR: read from the client: %s", strerror(errno));
				return GOT_ERROR;
			}
		}
	}
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_read(c->ssl, c->buf + c->len, room > INT_MAX ? INT_MAX : (int)room);
		if (r > 0) {
			c->len += (size_t)r;
			return GOT_LINE;
		}
		int saved_errno = errno;
		int e = SSL_get_error(c->ssl, r);
		enum got w = tls_wait(c, e);
		if (w == GOT_LINE)
			continue;
		if (w != GOT_EOF)
			return w;
		/* Not a "want": the stream is over, one way or another. */
		if (e == SSL_ERROR_ZERO_RETURN) {
			c->eof = true;   /* close_notify, or (IGNORE_UNEXPECTED_EOF) a plain TCP end */
			return GOT_LINE;
		}
		c->tls_dead = true;
		if (e == SSL_ERROR_SYSCALL && saved_errno == ECONNRESET)
			return GOT_RESET;
		if (e == SSL_ERROR_SYSCALL && saved_errno == 0) {
			c->eof = true;
			return GOT_LINE;
		}
		log_failure("ERROR: TLS read from the client: %s", tls_reason(e, saved_errno));
		return GOT_ERROR;
	}
}

/*
 * Hand back one client line in out (escaped, without its CRLF), logged. A
 * line longer than CLIENT_LINE_MAX comes back cut, the rest is dropped.
 */
static enum got conn_read_line(struct conn *c, char *out)
{
	for (;;) {
		char *lf = memchr(c->buf, '\n', c->len);
		if (lf && c->discarding) {
			c->discarding = false;
			conn_consume(c, (size_t)(lf - c->buf) + 1);
			continue;
		}
		if (lf) {
			size_t n = (size_t)(lf - c->buf);
			if (n > 0 && c->buf[n - 1] == '\r')
				n--;
			else
				log_failure("ERROR: the next client line ended in a bare LF, not CRLF");
			escape(out, c->buf, n);
			conn_consume(c, (size_t)(lf - c->buf) + 1);
			if (!c->in_data)
				client_said(out);
			return GOT_LINE;
		}
		if (c->len >= CLIENT_LINE_MAX) {
			bool was_discarding = c->discarding;
			if (!was_discarding)
				escape(out, c->buf, CLIENT_LINE_MAX);
			c->discarding = true;
			c->len = 0;
			if (was_discarding)
				continue;
			log_failure("ERROR: the next client line is longer than %d octets; cut", CLIENT_LINE_MAX);
			if (!c->in_data)
				client_said(out);
			return GOT_LINE;
		}
		if (c->eof) {
			if (c->len > 0 && !c->discarding) {
				escape(out, c->buf, c->len);
				log_failure("ERROR: the client closed after an incomplete line: %s", out);
			}
			c->len = 0;
			return GOT_EOF;
		}
		enum got w = conn_fill(c);
		if (w != GOT_LINE)
			return w;
	}
}

/*
 * Exactly n (at most sizeof buf) binary bytes into out, for the SOCKS5
 * handshake. GOT_EOF when the client closed first.
 */
static enum got conn_read_exact(struct conn *c, unsigned char *out, size_t n)
{
	while (c->len < n) {
		if (c->eof)
			return GOT_EOF;
		enum got w = conn_fill(c);
		if (w != GOT_LINE)
			return w;
	}
	memcpy(out, c->buf, n);
	conn_consume(c, n);
	return GOT_LINE;
}

/* Write it all, in the clear or over TLS, within the timeout for every wait. */
static bool conn_write_now(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		if (c->ssl) {
			ERR_clear_error();
			errno = 0;
			int n = SSL_write(c->ssl, data, len > INT_MAX ? INT_MAX : (int)len);
			if (n > 0) {
				data += n;
				len -= (size_t)n;
				continue;
			}
			int saved_errno = errno;
			int e = SSL_get_error(c->ssl, n);
			enum got w = tls_wait(c, e);
			if (w == GOT_LINE)
				continue;
			if (w == GOT_TIMEOUT)
				log_failure("ERROR: the client did not read what was sent for %d ms", c->timeout_ms);
			if (w == GOT_EOF) {
				c->tls_dead = true;
				log_failure("ERROR: TLS write to the client: %s", tls_reason(e, saved_errno));
			}
			return false;
		}
		enum got w = wait_for(c->fd, POLLOUT, c->timeout_ms);
		if (w == GOT_TIMEOUT)
			log_failure("ERROR: the client did not read what was sent for %d ms", c->timeout_ms);
		if (w != GOT_LINE)
			return false;
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			log_failure("ERROR: write to the client: %s", strerror(errno));
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Corked (after !cork), bytes collect until conn_flush; else they go now. */
static bool conn_write(struct conn *c, const char *data, size_t len)
{
	if (!c->corked)
		return conn_write_now(c, data, len);
	if (c->out_len + len > c->out_cap) {
		c->out_cap = (c->out_len + len) * 2;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return true;
}

/* Send what !cork collected, in one write (one segment, or one TLS record). */
static bool conn_flush(struct conn *c)
{
	if (!c->corked)
		return true;
	c->corked = false;
	size_t n = c->out_len;
	c->out_len = 0;
	if (n == 0)
		return true;
	log_line("# sending the %zu corked bytes in one write", n);
	return conn_write_now(c, c->out, n);
}

/*
 * Log whatever the client still sends until it closes. A reset counts as a
 * close here: the script has run, and a client that hangs up without reading
 * a last reply has still finished.
 */
static bool conn_drain(struct conn *c)
{
	char line[ESCAPED_MAX];
	for (;;) {
		switch (conn_read_line(c, line)) {
		case GOT_LINE:
			continue;
		case GOT_EOF:
			return true;
		case GOT_RESET:
			log_line("# the client reset the connection");
			return true;
		case GOT_TIMEOUT:
			log_failure("ERROR: the client did not close the connection within %d ms", c->timeout_ms);
			return false;
		case GOT_ERROR:
			return false;
		}
	}
}

/*
 * Drop whatever arrives (binary: TLS records, say) until the client closes.
 * Reads in the clear: used once TLS is out of the picture.
 */
static bool conn_discard_until_close(struct conn *c)
{
	for (;;) {
		c->len = 0;
		switch (conn_fill(c)) {
		case GOT_LINE:
			if (c->eof)
				return true;
			continue;
		case GOT_EOF:
			return true;
		case GOT_RESET:
			log_line("# the client reset the connection");
			return true;
		case GOT_TIMEOUT:
			log_failure("ERROR: the client did not close the connection within %d ms", c->timeout_ms);
			return false;
		case GOT_ERROR:
			return false;
		}
	}
}

/*
 * Closing our side first and then reading to EOF, rather than close() at
 * once, keeps the kernel from answering unread client bytes with a RST: the
 * client sees a plain end of stream, and its last words still get logged.
 * Over TLS a close_notify goes first (never after a fatal TLS error).
 */
static void conn_close(struct conn *c, bool drain)
{
	if (c->ssl && !c->tls_dead) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);  /* one call: sends close_notify, does not wait for the client's */
	}
	shutdown(c->fd, SHUT_WR);
	if (drain)
		conn_drain(c);
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
}

/* ---- TLS ------------------------------------------------------------------ */

/* The server context from --cert/--key; exits 2 on any problem with them. */
static SSL_CTX *tls_setup(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char why[256];
		ERR_error_string_n(ERR_get_error(), why, sizeof why);
		fprintf(stderr, "fakesmtp: --cert %s --key %s: %s\n", cert, key, why);
		exit(EXIT_USAGE);
	}
	/*
	 * A client that just closes (no close_notify) ends the stream like a
	 * plain EOF; no renegotiation; no session tickets, so nothing is sent
	 * after the handshake that the script did not ask for.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
}

/*
 * Bytes the client sent before the handshake but after its last line
 * (pipelined after STARTTLS, or SMTP before an implicit handshake) would
 * be read as cleartext: RFC 3207 forbids it, so it fails the run.
 */
static bool no_early_bytes(struct conn *c, const struct directive *d)
{
	if (c->len == 0)
		return true;
	char shown[ESCAPED_MAX];
	escape(shown, c->buf, c->len < 256 ? c->len : 256);
	log_failure("ERROR: the client sent %zu byte(s) in the clear before the TLS handshake "
		    "(fixture line %d): %s", c->len, d->lineno, shown);
	return false;
}

/*
 * The server side of a handshake on the connection. true: c->ssl is set
 * and logged; false: *why says what failed (not logged: for !expect-tls-fail
 * a failure is the expected outcome).
 */
static bool tls_accept(struct conn *c, int version, const char **why)
{
	SSL *ssl = SSL_new(tls_ctx);
	if (!ssl || !SSL_set_fd(ssl, c->fd) ||
	    (version && (!SSL_set_min_proto_version(ssl, version) || !SSL_set_max_proto_version(ssl, version)))) {
		SSL_free(ssl);
		*why = "SSL_new failed";
		return false;
	}
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_accept(ssl);
		if (r == 1)
			break;
		int saved_errno = errno;
		int e = SSL_get_error(ssl, r);
		enum got w = tls_wait(c, e);
		if (w == GOT_LINE)
			continue;
		*why = w == GOT_TIMEOUT ? "the client did not complete the handshake in time"
		       : w == GOT_ERROR ? "poll failed"
					: tls_reason(e, saved_errno);
		SSL_free(ssl); /* no SSL_shutdown after a failed handshake */
		return false;
	}
	c->ssl = ssl;
	c->tls_dead = false;
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	log_line("# TLS handshake done: %s %s, SNI %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl),
		 sni ? sni : "(none)");
	return true;
}

static bool do_handshake(struct conn *c, const struct directive *d)
{
	if (!no_early_bytes(c, d))
		return false;
	log_line("# TLS handshake (%s)", d->op == OP_TLS_IMPLICIT ? "implicit" : "STARTTLS");
	const char *why = NULL;
	if (tls_accept(c, (int)d->count, &why))
		return true;
	c->tls_dead = true;
	log_failure("ERROR: TLS handshake failed: %s (fixture line %d)", why, d->lineno);
	return false;
}

/*
 * The client is expected to abort the TLS session, typically because it
 * refuses the certificate: either the handshake fails (it sends an alert or
 * hangs up), or it completes and the client closes with no SMTP but a QUIT
 * (any other line fails the run at once).
 */
static bool do_expect_tls_fail(struct conn *c, const struct directive *d)
{
	if (!no_early_bytes(c, d))
		return false;
	log_line("# TLS handshake, expected to fail");
	const char *why = NULL;
	if (!tls_accept(c, d->count, &why)) {
		log_line("# TLS handshake failed, as expected: %s", why);
		c->tls_dead = true;
		return conn_discard_until_close(c);
	}
	log_line("# the TLS handshake completed; the client must now close (QUIT at most)");
	char line[ESCAPED_MAX];
	for (;;) {
		switch (conn_read_line(c, line)) {
		case GOT_LINE:
			if (strcasecmp(line, "QUIT") == 0)
				continue;
			log_failure("ERROR: the client went on after the TLS handshake instead of aborting: '%s' "
				    "(fixture line %d)", line, d->lineno);
			conn_close(c, true);
			return false;
		case GOT_EOF:
			return true;
		case GOT_RESET:
			log_line("# the client reset the connection");
			return true;
		case GOT_TIMEOUT:
			log_failure("ERROR: the client did not close the connection within %d ms", c->timeout_ms);
			return false;
		case GOT_ERROR:
			return false;
		}
	}
}

/*
 * Not TLS at all: wait for the client's first bytes (its ClientHello, a TLS
 * handshake record: 0x16), answer them with the scripted bytes, then drop
 * everything until the client closes.
 */
static bool do_tls_garbage(struct conn *c, const struct directive *d)
{
	if (!no_early_bytes(c, d))
		return false;
	enum got w = conn_fill(c);
	if (w == GOT_TIMEOUT)
		log_failure("ERROR: expected a TLS ClientHello but the client sent nothing for %d ms (fixture line %d)",
			    c->timeout_ms, d->lineno);
	if (w != GOT_LINE)
		return false;
	if (c->len == 0) {
		log_failure("ERROR: expected a TLS ClientHello but the client closed the connection (fixture line %d)",
			    d->lineno);
		return false;
	}
	char shown[3 * 64 + 8];
	hex_dump(shown, sizeof shown, (const unsigned char *)c->buf, c->len);
	if ((unsigned char)c->buf[0] != 0x16) {
		log_failure("ERROR: expected a TLS ClientHello (16 03 ...), got %s (fixture line %d)", shown, d->lineno);
		return false;
	}
	log_line("# the client started a TLS handshake: %s", shown);
	c->len = 0;
	hex_dump(shown, sizeof shown, (const unsigned char *)d->data, d->len);
	log_line("S: !raw %s", shown);
	if (!conn_write_now(c, d->data, d->len))
		return false;
	return conn_discard_until_close(c);
}

static bool do_expect_sni(struct conn *c, const struct directive *d)
{
	const char *sni = c->ssl ? SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
	const char *shown = sni ? sni : "-";
	if (strcmp(d->data, shown) == 0 || fnmatch(d->data, shown, 0) == 0)
		return true;
	log_failure("MISMATCH: expected SNI '%s' got '%s' (fixture line %d)", d->data, shown, d->lineno);
	conn_close(c, true);
	return false;
}

/* ---- SOCKS5 (RFC 1928, RFC 1929) ----------------------------------------- */

/* Read n bytes of the SOCKS5 handshake; false (logged) if they do not come. */
static bool socks_read(struct conn *c, unsigned char *out, size_t n, const char *what)
{
	switch (conn_read_exact(c, out, n)) {
	case GOT_LINE:
		return true;
	case GOT_EOF:
	case GOT_RESET:
		log_failure("ERROR: SOCKS5: the client closed the connection before its %s", what);
		return false;
	case GOT_TIMEOUT:
		log_failure("ERROR: SOCKS5: no %s from the client within %d ms", what, c->timeout_ms);
		return false;
	case GOT_ERROR:
		break;
	}
	return false;
}

static bool socks_send(struct conn *c, const unsigned char *b, size_t n, const char *shown)
{
	log_line("S: SOCKS5 %s", shown);
	return conn_write_now(c, (const char *)b, n);
}

/*
 * A wrong byte from the client. A mismatch fails the run, like a C: line
 * that does not match; the connection is closed.
 */
static bool socks_mismatch(struct conn *c, const struct directive *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool socks_mismatch(struct conn *c, const struct directive *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_failure("MISMATCH: SOCKS5: %s (fixture line %d)", msg, d->lineno);
	conn_close(c, true);
	return false;
}

/*
 * The proxy side of a SOCKS5 handshake. The client's messages are logged
 * as C: lines the runner can match (expect-client):
 *   C: SOCKS5 methods 00 02
 *   C: SOCKS5 auth user=NAME pass=SECRET
 *   C: SOCKS5 CONNECT mx.example.test:25     (or 192.0.2.1:25, [2001:db8::1]:25)
 * The CONNECT is never carried out: on success the session goes on with the
 * SMTP dialogue on this same connection.
 */
static bool do_socks5(struct conn *c, const struct directive *d)
{
	const struct socks_opts *o = d->socks;
	unsigned char b[512];
	char shown[3 * 256 + 64];

	/* Greeting: VER NMETHODS METHODS... */
	if (!socks_read(c, b, 2, "greeting"))
		return false;
	if (b[0] != 5)
		return socks_mismatch(c, d, "expected version 5 in the greeting, got %u", b[0]);
	size_t nmethods = b[1];
	if (nmethods == 0)
		return socks_mismatch(c, d, "the greeting offers no method");
	if (!socks_read(c, b + 2, nmethods, "greeting"))
		return false;
	hex_dump(shown, sizeof shown, b + 2, nmethods);
	log_line("C: SOCKS5 methods %s", shown);
	unsigned char want = o->user ? 0x02 : 0x00;
	bool offered = memchr(b + 2, want, nmethods) != NULL;
	if (o->no_method || !offered) {
		unsigned char none[2] = { 5, 0xff };
		if (!socks_send(c, none, 2, "method ff (no acceptable method)"))
			return false;
		if (!o->no_method)
			return socks_mismatch(c, d, "the client did not offer method %02x", want);
		return conn_discard_until_close(c);
	}
	unsigned char pick[2] = { 5, want };
	if (!socks_send(c, pick, 2, want ? "method 02 (user/password)" : "method 00 (no authentication)"))
		return false;

	/* RFC 1929: VER(1) ULEN UNAME PLEN PASSWD. */
	if (o->user) {
		if (!socks_read(c, b, 2, "user/password request"))
			return false;
		if (b[0] != 1)
			return socks_mismatch(c, d, "expected version 1 in the user/password request, got %u", b[0]);
		char user[256], pass[256];
		size_t ulen = b[1];
		if (!socks_read(c, (unsigned char *)user, ulen, "user name") ||
		    !socks_read(c, b, 1, "password length"))
			return false;
		size_t plen = b[0];
		if (!socks_read(c, (unsigned char *)pass, plen, "password"))
			return false;
		char u[ESCAPED_MAX], p[ESCAPED_MAX];
		escape(u, user, ulen);
		escape(p, pass, plen);
		log_line("C: SOCKS5 auth user=%s pass=%s", u, p);
		bool right = ulen == strlen(o->user) && memcmp(user, o->user, ulen) == 0 &&
			     plen == strlen(o->pass) && memcmp(pass, o->pass, plen) == 0;
		unsigned char status[2] = { 1, (o->deny_auth || !right) ? 1 : 0 };
		if (!socks_send(c, status, 2, status[1] ? "auth status 01 (refused)" : "auth status 00 (ok)"))
			return false;
		if (!right)
			return socks_mismatch(c, d, "expected user=%s pass=%s", o->user, o->pass);
		if (o->deny_auth)
			return conn_discard_until_close(c);
	}

	/* Request: VER CMD RSV ATYP DST.ADDR DST.PORT. */
	if (!socks_read(c, b, 4, "request"))
		return false;
	if (b[0] != 5 || b[1] != 1 || b[2] != 0)
		return socks_mismatch(c, d, "expected a CONNECT request (05 01 00), got %02x %02x %02x", b[0], b[1], b[2]);
	char target[INET6_ADDRSTRLEN + ESCAPED_MAX];
	unsigned char atyp = b[3];
	if (atyp == 1 || atyp == 4) {
		size_t alen = atyp == 1 ? 4 : 16;
		if (!socks_read(c, b, alen, "address"))
			return false;
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(atyp == 1 ? AF_INET : AF_INET6, b, ip, sizeof ip);
		snprintf(target, sizeof target, atyp == 1 ? "%s" : "[%s]", ip);
	} else if (atyp == 3) {
		if (!socks_read(c, b, 1, "name length"))
			return false;
		size_t nlen = b[0];
		if (!socks_read(c, b, nlen, "name"))
			return false;
		escape(target, (const char *)b, nlen);
	} else {
		return socks_mismatch(c, d, "unknown address type %u", atyp);
	}
	if (!socks_read(c, b, 2, "port"))
		return false;
	log_line("C: SOCKS5 CONNECT %s:%u", target, (unsigned)(b[0] << 8 | b[1]));

	/* Reply: VER REP RSV ATYP BND.ADDR BND.PORT (127.0.0.1:0: nothing is bound). */
	unsigned char reply[10] = { 5, (unsigned char)o->reply, 0, 1, 127, 0, 0, 1, 0, 0 };
	snprintf(shown, sizeof shown, "reply %02x%s", o->reply, o->reply ? "" : " (connected)");
	if (!socks_send(c, reply, sizeof reply, shown))
		return false;
	if (o->reply)
		return conn_discard_until_close(c);
	return true;
}

/* ---- running a session --------------------------------------------------- */

static bool matches(const char *pattern, const char *line)
{
	/* Exact first, so literal brackets such as "EHLO [127.0.0.1]" need no escaping. */
	return strcmp(pattern, line) == 0 || fnmatch(pattern, line, 0) == 0;
}

static bool do_send(struct conn *c, const struct directive *d)
{
	char shown[ESCAPED_MAX];
	size_t n = d->len - 2 < CLIENT_LINE_MAX ? d->len - 2 : CLIENT_LINE_MAX;
	escape(shown, d->data, n);
	log_line("S: %s", shown);
	return conn_write(c, d->data, d->len);
}

static bool do_raw(struct conn *c, const struct directive *d)
{
	/* As hex, like the fixture: raw bytes are often not text. */
	char shown[3 * 64 + 8];
	hex_dump(shown, sizeof shown, (const unsigned char *)d->data, d->len);
	log_line("S: !raw %s", shown);
	return conn_write(c, d->data, d->len);
}

static bool do_long(struct conn *c, const struct directive *d)
{
	char xs[4096];
	memset(xs, 'x', sizeof xs);
	log_line("S: %s<%zu x>", d->data, d->count);
	if (!conn_write(c, d->data, d->len))
		return false;
	for (size_t left = d->count; left > 0;) {
		size_t n = left < sizeof xs ? left : sizeof xs;
		if (!conn_write(c, xs, n))
			return false;
		left -= n;
	}
	return conn_write(c, "\r\n", 2);
}

static bool do_expect(struct conn *c, const struct directive *d)
{
	char line[ESCAPED_MAX];
	switch (conn_read_line(c, line)) {
	case GOT_LINE:
		if (matches(d->data, line))
			return true;
		log_failure("MISMATCH: expected '%s' got '%s' (fixture line %d)", d->data, line, d->lineno);
		conn_close(c, true);
		return false;
	case GOT_EOF:
	case GOT_RESET:
		log_failure("ERROR: expected '%s' but the client closed the connection (fixture line %d)",
			    d->data, d->lineno);
		return false;
	case GOT_TIMEOUT:
		log_failure("ERROR: expected '%s' but the client sent nothing for %d ms (fixture line %d)",
			    d->data, c->timeout_ms, d->lineno);
		return false;
	case GOT_ERROR:
		break;
	}
	return false;
}

/*
 * !data: the one place DATA is allowed. smtpprobe never sends it, but the
 * bounce tests have a real MTA (Postfix, Exim) relay a message here so that
 * the server can refuse after the final "." (end of data) and the MTA
 * writes a real bounce. Reads the DATA command (anything else is a
 * mismatch), answers 354, reads the message up to the lone "." and logs its
 * size only; the next directive is the end-of-data reply.
 */
static bool do_data(struct conn *c, const struct directive *d)
{
	char line[ESCAPED_MAX];
	enum got g;
	c->in_data = true;  /* the DATA line itself is checked here, not flagged */
	g = conn_read_line(c, line);
	c->in_data = false;
	if (g == GOT_LINE) {
		log_line("C: %s", line);
		if (strcasecmp(line, "DATA") != 0) {
			log_failure("MISMATCH: expected 'DATA' got '%s' (fixture line %d)", line, d->lineno);
			conn_close(c, true);
			return false;
		}
		static const char go_ahead[] = "354 End data with <CR><LF>.<CR><LF>\r\n";
		log_line("S: %.*s", (int)sizeof go_ahead - 3, go_ahead);
		if (!conn_write(c, go_ahead, sizeof go_ahead - 1) || !conn_flush(c))
			return false;
		size_t lines = 0, octets = 0;
		c->in_data = true;
		while ((g = conn_read_line(c, line)) == GOT_LINE && strcmp(line, ".") != 0) {
			lines++;
			octets += strlen(line) + 2;
		}
		c->in_data = false;
		if (g == GOT_LINE) {
			log_line("# message received: %zu lines, %zu octets (escaped)", lines, octets);
			return true;
		}
	}
	if (g == GOT_EOF || g == GOT_RESET)
		log_failure("ERROR: the client closed the connection during DATA (fixture line %d)", d->lineno);
	else if (g == GOT_TIMEOUT)
		log_failure("ERROR: the client sent nothing for %d ms during DATA (fixture line %d)",
			    c->timeout_ms, d->lineno);
	return false;
}

static bool is_send(enum op op)
{
	return op == OP_SEND || op == OP_RAW || op == OP_LONG || op == OP_CORK;
}

/* Runs one session on an accepted connection; false when it did not run fully. */
static bool run_session(struct conn *c, const struct session *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct directive *d = &s->dirs[i];
		/* Corked bytes go out before anything that waits for the client. */
		if (!is_send(d->op) && !conn_flush(c))
			return false;
		bool ok = true;
		switch (d->op) {
		case OP_SEND:
			ok = do_send(c, d);
			break;
		case OP_RAW:
			ok = do_raw(c, d);
			break;
		case OP_LONG:
			ok = do_long(c, d);
			break;
		case OP_EXPECT:
			ok = do_expect(c, d);
			break;
		case OP_CORK:
			c->corked = true;
			break;
		case OP_STARTTLS:
		case OP_TLS_IMPLICIT:
			ok = do_handshake(c, d);
			break;
		case OP_EXPECT_SNI:
			ok = do_expect_sni(c, d);
			break;
		case OP_SOCKS5:
			ok = do_socks5(c, d);
			break;
		case OP_DATA:
			ok = do_data(c, d);
			break;
		case OP_PAUSE: {
			log_line("# pausing %zu ms", d->count);
			struct timespec ts = { (time_t)(d->count / 1000), (long)(d->count % 1000) * 1000000L };
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
			break;
		}
		case OP_EXPECT_TLS_FAIL:
			return do_expect_tls_fail(c, d);
		case OP_TLS_GARBAGE:
			return do_tls_garbage(c, d);
		case OP_CLOSE:
			log_line("# closing the connection");
			conn_close(c, true);
			return true;
		case OP_SILENT:
		case OP_EXPECT_CLOSE:
			log_line("# waiting for the client to close");
			return conn_drain(c);
		}
		if (!ok)
			return false;
		if (d->ends) {
			/* A !socks5 that refused: the client must hang up now. */
			return true;
		}
	}
	if (!conn_flush(c))
		return false;
	log_line("# end of script, reading until the client closes");
	return conn_drain(c);
}

/* ---- listening ----------------------------------------------------------- */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/* "127.0.0.1:25", "[::1]:0". Returns the listening socket; prints the bound port. */
static int listen_on(const char *spec)
{
	char host[128];
	const char *port;
	if (spec[0] == '[') {
		const char *close_br = strchr(spec, ']');
		if (!close_br || close_br[1] != ':' || (size_t)(close_br - spec - 1) >= sizeof host)
			goto bad_spec;
		memcpy(host, spec + 1, (size_t)(close_br - spec - 1));
		host[close_br - spec - 1] = '\0';
		port = close_br + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon || memchr(spec, ':', (size_t)(colon - spec)) || (size_t)(colon - spec) >= sizeof host)
			goto bad_spec;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) > 65535)
		goto bad_spec;

	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	int e = getaddrinfo(host, port, &hints, &ai);
	if (e) {
		fprintf(stderr, "fakesmtp: %s: %s\n", spec, gai_strerror(e));
		exit(EXIT_USAGE);
	}
	/* The tests must never talk to anything but this machine. */
	if (!is_loopback(ai->ai_addr)) {
		fprintf(stderr, "fakesmtp: %s: refusing to listen on a non-loopback address\n", spec);
		exit(EXIT_USAGE);
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 8) < 0) {
		fprintf(stderr, "fakesmtp: %s: %s\n", spec, strerror(errno));
		exit(EXIT_USAGE);
	}
	freeaddrinfo(ai);

	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		fprintf(stderr, "fakesmtp: getsockname: %s\n", strerror(errno));
		exit(EXIT_USAGE);
	}
	unsigned bound = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port)
						  : ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
	/* The runner's synchronisation point: once this line is out, connecting works. */
	printf("%u\n", bound);
	fflush(stdout);
	return fd;

bad_spec:
	fprintf(stderr, "fakesmtp: bad --listen %s: want ADDR:PORT or [ADDR]:PORT\n", spec);
	exit(EXIT_USAGE);
}

static bool accept_session(int lfd, struct conn *c, size_t number)
{
	enum got w = wait_for(lfd, POLLIN, c->timeout_ms);
	if (w == GOT_TIMEOUT)
		log_failure("ERROR: no connection for session %zu within %d ms", number, c->timeout_ms);
	if (w != GOT_LINE)
		return false;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
	if (fd < 0) {
		log_failure("ERROR: accept: %s", strerror(errno));
		return false;
	}
	/* Non-blocking, so a client that stops reading cannot stall a write past the timeout. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);

	char host[INET6_ADDRSTRLEN + 1] = "?", serv[8] = "?";
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
	log_line("# session %zu: connection from %s port %s", number, host, serv);
	c->fd = fd;
	c->len = 0;
	c->eof = false;
	c->discarding = false;
	c->ssl = NULL;
	c->tls_dead = false;
	c->corked = false;
	c->in_data = false;
	c->out_len = 0;
	return true;
}

/* ---- main ---------------------------------------------------------------- */

struct options {
	const char *listen;
	const char *script;
	const char *log;
	const char *timeout;
	const char *cert;
	const char *key;
};

static void usage(void)
{
	fprintf(stderr, "usage: fakesmtp --listen ADDR:PORT --script FILE --log FILE [--timeout SECONDS]\n"
		"                [--cert FILE --key FILE]\n");
	exit(EXIT_USAGE);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	const struct {
		const char *name;
		const char **value;
	} table[] = {
		{ "--listen", &o->listen },
		{ "--script", &o->script },
		{ "--log", &o->log },
		{ "--timeout", &o->timeout },
		{ "--cert", &o->cert },
		{ "--key", &o->key },
	};
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		while (k < sizeof table / sizeof table[0] && strcmp(argv[i], table[k].name) != 0)
			k++;
		if (k == sizeof table / sizeof table[0] || i + 1 >= argc)
			usage();
		*table[k].value = argv[++i];
	}
	if (!o->listen || !o->script || !o->log || !o->cert != !o->key)
		usage();
}

int main(int argc, char **argv)
{
	struct options opt = { .timeout = "30" };
	parse_options(argc, argv, &opt);

	char *end;
	double secs = strtod(opt.timeout, &end);
	if (end == opt.timeout || *end != '\0' || !(secs > 0 && secs <= 3600)) {
		fprintf(stderr, "fakesmtp: --timeout wants seconds, more than 0 and at most 3600\n");
		return EXIT_USAGE;
	}

	/* A client hanging up mid-write is a test outcome, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);

	struct script sc = { 0 };
	script_load(&sc, opt.script);
	if (sc.needs_cert && !opt.cert) {
		fprintf(stderr, "fakesmtp: %s: the script does TLS handshakes: give --cert and --key\n", opt.script);
		script_free(&sc);
		return EXIT_USAGE;
	}
	if (opt.cert)
		tls_ctx = tls_setup(opt.cert, opt.key);

	log_file = fopen(opt.log, "w");
	if (!log_file) {
		fprintf(stderr, "fakesmtp: %s: %s\n", opt.log, strerror(errno));
		return EXIT_USAGE;
	}
	int lfd = listen_on(opt.listen);

	struct conn c = { .fd = -1, .timeout_ms = (int)(secs * 1000) };
	for (size_t i = 0; i < sc.n; i++) {
		if (!accept_session(lfd, &c, i + 1))
			break;
		bool ok = run_session(&c, &sc.sessions[i]);
		if (c.fd >= 0)
			conn_close(&c, false);
		if (!ok) {
			if (i + 1 < sc.n)
				log_line("# skipping the remaining %zu session(s)", sc.n - i - 1);
			break;
		}
	}
	close(lfd);
	log_line("# %s", failed ? "FAILED" : "passed");
	fclose(log_file);

	script_free(&sc);
	free(c.out);
	SSL_CTX_free(tls_ctx);
	return failed ? EXIT_FAIL : EXIT_PASS;
}
