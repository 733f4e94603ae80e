/*
 * fakesmtp.c - a scripted fake SMTP server for smtpprobe's integration tests.
 *
 * It plays the server side of a dialogue written in a fixture file (format
 * in docs/fixtures.md): it sends the scripted replies, checks every client
 * line against the scripted pattern and logs every line the client sent, so
 * the runner can check the client's side too. One session of the script is
 * one accepted connection; sessions are served in order, then it exits.
 *
 * Single-threaded and poll()-driven with one timeout bounding every wait
 * (accept, read, write): a broken client makes a test fail fast instead of
 * hanging the suite. It only listens on loopback addresses.
 *
 * Exit status: 0 every session ran its script fully with no mismatch and no
 * forbidden command; 1 anything else (the log says what); 2 usage, script or
 * bind error (stderr says what).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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
#include <unistd.h>

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
	OP_SEND,         /* S: text      - data holds text + CRLF */
	OP_EXPECT,       /* C: pattern   - data holds the pattern */
	OP_RAW,          /* !raw HEX     - data holds the bytes */
	OP_LONG,         /* !long [CODE[-]] N - data holds the prefix, count the x's */
	OP_CLOSE,        /* !close */
	OP_SILENT,       /* !silent */
	OP_EXPECT_CLOSE, /* !expect-close */
};

struct directive {
	enum op op;
	int lineno;      /* in the fixture file, for messages */
	char *data;
	size_t len;
	size_t count;
};

struct session {
	struct directive *dirs;
	size_t n, cap;
};

struct script {
	struct session *sessions;
	size_t n, cap;
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
			*why = "!raw wants pairs of hex digits";
			return false;
		}
		d->data[d->len++] = (char)(hi << 4 | lo);
		p += 2;
	}
	if (d->len == 0) {
		*why = "!raw without bytes";
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

static bool parse_none(struct directive *d, const char *arg, const char **why)
{
	(void)d;
	if (*arg) {
		*why = "this directive takes no argument";
		return false;
	}
	return true;
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
};

static bool ends_session(enum op op)
{
	for (size_t i = 0; i < sizeof directive_table / sizeof directive_table[0]; i++)
		if (directive_table[i].op == op)
			return directive_table[i].ends_session;
	return false;
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

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* One dialogue line into the current session; false (with *why) when it is not a directive. */
static bool parse_line(struct session *s, const char *line, int lineno, const char **why)
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
		if (s->n > 0 && ends_session(s->dirs[s->n - 1].op)) {
			*why = "nothing can follow !close, !silent or !expect-close in a session";
			return false;
		}
		struct directive *d = session_add(s);
		d->op = directive_table[i].op;
		d->lineno = lineno;
		if (!directive_table[i].parse(d, arg, why)) {
			s->n--;
			free(d->data);
			return false;
		}
		return true;
	}
	*why = "unknown directive (S:, C:, !raw, !long, !close, !silent, !expect-close)";
	return false;
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
		if (!parse_line(cur, line, lineno, &why)) {
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

/* ---- the connection ------------------------------------------------------ */

struct conn {
	int fd;
	int timeout_ms;
	char buf[CLIENT_LINE_MAX + 2];
	size_t len;
	bool eof;
	bool discarding;  /* inside an overlong line: drop bytes up to the next LF */
};

enum got {
	GOT_LINE,
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
		enum got w = wait_for(c->fd, POLLIN, c->timeout_ms);
		if (w != GOT_LINE)
			return w;
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (r > 0)
			c->len += (size_t)r;
		else if (r == 0)
			c->eof = true;
		else if (errno == ECONNRESET)
			return GOT_RESET;
		else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			log_failure("ERROR: read from the client: %s", strerror(errno));
			return GOT_ERROR;
		}
	}
}

static bool conn_write(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
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
 * Closing our side first and then reading to EOF, rather than close() at
 * once, keeps the kernel from answering unread client bytes with a RST: the
 * client sees a plain end of stream, and its last words still get logged.
 */
static void conn_close(struct conn *c, bool drain)
{
	shutdown(c->fd, SHUT_WR);
	if (drain)
		conn_drain(c);
	close(c->fd);
	c->fd = -1;
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
	char shown[3 * 64 + 4];
	size_t o = 0;
	for (size_t i = 0; i < d->len && i < 64; i++)
		o += (size_t)snprintf(shown + o, sizeof shown - o, "%s%02x", i ? " " : "", (unsigned char)d->data[i]);
	snprintf(shown + o, sizeof shown - o, "%s", d->len > 64 ? " ..." : "");
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

/* Runs one session on an accepted connection; false when it did not run fully. */
static bool run_session(struct conn *c, const struct session *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct directive *d = &s->dirs[i];
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
	}
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
	return true;
}

/* ---- main ---------------------------------------------------------------- */

struct options {
	const char *listen;
	const char *script;
	const char *log;
	const char *timeout;
};

static void usage(void)
{
	fprintf(stderr, "usage: fakesmtp --listen ADDR:PORT --script FILE --log FILE [--timeout SECONDS]\n");
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
	};
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		while (k < sizeof table / sizeof table[0] && strcmp(argv[i], table[k].name) != 0)
			k++;
		if (k == sizeof table / sizeof table[0] || i + 1 >= argc)
			usage();
		*table[k].value = argv[++i];
	}
	if (!o->listen || !o->script || !o->log)
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

	for (size_t i = 0; i < sc.n; i++) {
		for (size_t j = 0; j < sc.sessions[i].n; j++)
			free(sc.sessions[i].dirs[j].data);
		free(sc.sessions[i].dirs);
	}
	free(sc.sessions);
	return failed ? EXIT_FAIL : EXIT_PASS;
}
