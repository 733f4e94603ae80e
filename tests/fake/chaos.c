/*
 * chaos.c - an SMTP server that misbehaves at random, for the churn test.
 *
 * Each accepted connection draws one behaviour from a seeded generator:
 * answer properly, reset (RST) or close at a random step, stall, inject
 * (replies ahead of commands, unasked replies, binary garbage, an endless
 * line, replies whose codes change mid-reply, a STARTTLS whose handshake
 * gets garbage), dribble its replies one octet at a time, or say 421. The
 * point is not a script but volume: thousands of sessions, each ending in
 * a different place, to show the client ends every one with exactly one
 * result, no leaked descriptor and no sanitizer report.
 *
 * It listens on one port on each --listen address (loopback only), prints
 * the port on stdout once listening, and runs until SIGTERM or stdin EOF;
 * then it writes its counts (behaviour=N ...) to --stats and exits 0.
 * Same --seed, same sequence of behaviours (not of timings).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTEN 64
#define MAX_CONN 2048
#define INBUF 8192
/* A dribbling connection sends one octet per tick. */
#define TICK_MS 5

enum behaviour {
	B_ANSWER, B_RESET, B_CLOSE, B_STALL, B_AHEAD, B_UNASKED, B_GARBAGE,
	B_ENDLESS, B_CODES, B_TLS_GARBAGE, B_DRIBBLE, B_421, B_COUNT
};

static const char *const names[B_COUNT] = {
	"answer", "reset", "close", "stall", "ahead", "unasked", "garbage",
	"endless", "codes", "tls_garbage", "dribble", "421",
};

/* Out of 100: most sessions answer, so the client's normal paths run too. */
static const int weight[B_COUNT] = { 34, 10, 8, 6, 5, 5, 6, 3, 5, 5, 5, 8 };

struct conn {
	int fd;
	enum behaviour b;
	int at;            /* the command (1 = first after the greeting) where it strikes; 0 = at once */
	int ncmd;          /* commands received */
	bool pipelining;
	bool stalled;      /* reads and drops, never answers */
	bool close_after;  /* close once the output is written */
	char in[INBUF];
	size_t inlen;
	char *out;
	size_t outlen, outcap;
};

static volatile sig_atomic_t stop;
static uint64_t rng_state;
static unsigned long counts[B_COUNT];
static unsigned long accepted;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from --seed, good enough to pick behaviours */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static void put(struct conn *c, const void *p, size_t n)
{
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 256;
		while (cap < c->outlen + n)
			cap *= 2;
		char *o = realloc(c->out, cap);
		if (!o) {
			perror("chaos: realloc");
			exit(2);
		}
		c->out = o;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static void puts_(struct conn *c, const char *s)
{
	put(c, s, strlen(s));
}

static void drop(struct conn *c, bool rst)
{
	if (c->fd < 0)
		return;
	if (rst) {
		struct linger lg = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outcap = 0;
}

/* The misbehaviour, at its step. Returns false when the connection is gone. */
static bool strike(struct conn *c)
{
	switch (c->b) {
	case B_RESET:
		drop(c, true);
		return false;
	case B_CLOSE:
		drop(c, false);
		return false;
	case B_STALL:
		c->stalled = true;
		return true;
	case B_AHEAD:
		/* answers to commands not yet sent */
		puts_(c, "250 ok\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n");
		return true;
	case B_UNASKED:
		puts_(c, "250 2.1.5 nobody asked\r\n");
		return true;
	case B_GARBAGE: {
		char g[64];
		for (size_t i = 0; i < sizeof g; i++)
			g[i] = (char)rnd();
		g[sizeof g - 2] = '\r';
		g[sizeof g - 1] = '\n';
		put(c, g, sizeof g);
		return true;
	}
	case B_ENDLESS: {
		char line[1024];
		memset(line, 'x', sizeof line);
		memcpy(line, "250-", 4);
		for (int i = 0; i < 8; i++)
			put(c, line, sizeof line);
		c->stalled = true;
		return true;
	}
	case B_CODES:
		puts_(c, "250-first\r\n550-second\r\n451 third\r\n");
		return true;
	case B_421:
		puts_(c, "421 4.3.2 chaos: service shutting down\r\n");
		c->close_after = true;
		return true;
	case B_ANSWER:
	case B_TLS_GARBAGE:
	case B_DRIBBLE:
	case B_COUNT:
		break;
	}
	return true;
}

static void answer(struct conn *c, const char *line)
{
	if (strncasecmp(line, "EHLO", 4) == 0) {
		puts_(c, "250-chaos.test\r\n250-SIZE 10240000\r\n");
		if (c->pipelining)
			puts_(c, "250-PIPELINING\r\n");
		if (c->b == B_TLS_GARBAGE)
			puts_(c, "250-STARTTLS\r\n");
		puts_(c, "250 8BITMIME\r\n");
	} else if (strncasecmp(line, "HELO", 4) == 0) {
		puts_(c, "250 chaos.test\r\n");
	} else if (strncasecmp(line, "STARTTLS", 8) == 0) {
		if (c->b == B_TLS_GARBAGE) {
			puts_(c, "220 2.0.0 go ahead\r\n");
			char g[300];
			for (size_t i = 0; i < sizeof g; i++)
				g[i] = (char)rnd();
			put(c, g, sizeof g);
			c->close_after = true;
		} else {
			puts_(c, "454 4.7.0 TLS not available\r\n");
		}
	} else if (strncasecmp(line, "MAIL", 4) == 0) {
		puts_(c, "250 2.1.0 ok\r\n");
	} else if (strncasecmp(line, "RCPT", 4) == 0) {
		static const char *const rcpt[] = {
			"250 2.1.5 ok\r\n", "250 2.1.5 ok\r\n", "550 5.1.1 no such user\r\n",
			"450 4.2.1 mailbox busy\r\n", "553 5.1.3 bad address syntax\r\n",
			"554 5.7.1 relay access denied\r\n", "252 2.1.5 cannot verify, will try\r\n",
		};
		puts_(c, rcpt[rnd() % (sizeof rcpt / sizeof rcpt[0])]);
	} else if (strncasecmp(line, "RSET", 4) == 0 || strncasecmp(line, "NOOP", 4) == 0) {
		puts_(c, "250 2.0.0 ok\r\n");
	} else if (strncasecmp(line, "QUIT", 4) == 0) {
		puts_(c, "221 2.0.0 bye\r\n");
		c->close_after = true;
	} else if (strncasecmp(line, "DATA", 4) == 0 || strncasecmp(line, "BDAT", 4) == 0) {
		/* the one thing a probe must never send: make it loud */
		fprintf(stderr, "chaos: the client sent %.4s\n", line);
		puts_(c, "554 5.5.1 chaos: DATA from a probe\r\n");
	} else {
		puts_(c, "500 5.5.2 what\r\n");
	}
}

static void start(struct conn *c)
{
	int r = (int)(rnd() % 100), b = 0;
	while (b < B_COUNT - 1 && r >= weight[b]) {
		r -= weight[b];
		b++;
	}
	c->b = (enum behaviour)b;
	c->at = (int)(rnd() % 5);
	c->pipelining = rnd() % 2;
	counts[c->b]++;
	if (c->at == 0 && c->b != B_ANSWER && c->b != B_TLS_GARBAGE && c->b != B_DRIBBLE) {
		if (c->b == B_AHEAD)
			puts_(c, "220 chaos.test ESMTP\r\n");
		if (!strike(c))
			return;
		if (c->b != B_AHEAD && c->b != B_421 && !c->stalled)
			puts_(c, "220 chaos.test ESMTP\r\n");
		return;
	}
	puts_(c, "220 chaos.test ESMTP\r\n");
}

static void on_line(struct conn *c, const char *line)
{
	c->ncmd++;
	if (c->stalled)
		return;
	bool special = c->b != B_ANSWER && c->b != B_TLS_GARBAGE && c->b != B_DRIBBLE;
	if (special && c->ncmd == c->at) {
		if (c->b == B_UNASKED || c->b == B_CODES) {
			if (c->b == B_UNASKED)
				answer(c, line);
			strike(c);
			return;
		}
		if (!strike(c))
			return;
		if (c->stalled || c->close_after)
			return;
	}
	answer(c, line);
}

static void on_readable(struct conn *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen);
	if (n <= 0) {
		drop(c, false);
		return;
	}
	c->inlen += (size_t)n;
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		if (!nl) {
			if (c->inlen == sizeof c->in - 1)
				c->inlen = 0; /* an endless client line: forget it */
			return;
		}
		*nl = '\0';
		on_line(c, c->in);
		if (c->fd < 0)
			return;
		size_t used = (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
}

static void on_writable(struct conn *c)
{
	size_t n = c->b == B_DRIBBLE ? 1 : c->outlen;
	ssize_t w = write(c->fd, c->out, n);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop(c, false);
		return;
	}
	memmove(c->out, c->out + w, c->outlen - (size_t)w);
	c->outlen -= (size_t)w;
	if (!c->outlen && c->close_after)
		drop(c, false);
}

static int listen_on(const char *addr, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "chaos: %s: not an IPv4 loopback address\n", addr);
		exit(2);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0) {
		fprintf(stderr, "chaos: listen on %s:%d: %s\n", addr, *port, strerror(errno));
		exit(2);
	}
	socklen_t len = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	int lfd[MAX_LISTEN], nl = 0, port = 0;
	const char *stats = NULL;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc && nl < MAX_LISTEN)
			lfd[nl++] = listen_on(argv[++i], &port);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng_state ^= strtoull(argv[++i], NULL, 10) * 0xbf58476d1ce4e5b9ULL;
		else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
			stats = argv[++i];
		else {
			fprintf(stderr, "usage: chaos --listen 127.x.y.z [--listen ...] [--seed N] [--stats FILE]\n");
			return 2;
		}
	}
	if (!nl) {
		fprintf(stderr, "chaos: no --listen address\n");
		return 2;
	}
	if (!rng_state)
		rng_state = 1;
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("%d\n", port);
	fflush(stdout);

	static struct conn conns[MAX_CONN];
	static struct pollfd pfd[MAX_LISTEN + 1 + MAX_CONN];
	static int who[MAX_LISTEN + 1 + MAX_CONN];
	int nconn = 0;
	while (!stop) {
		int np = 0;
		for (int i = 0; i < nl; i++)
			pfd[np++] = (struct pollfd){ .fd = nconn < MAX_CONN ? lfd[i] : -1, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		bool dribbling = false;
		for (int i = 0; i < nconn; i++) {
			struct conn *c = &conns[i];
			short ev = POLLIN;
			if (c->outlen && c->b == B_DRIBBLE)
				dribbling = true;  /* written on the tick, below */
			else if (c->outlen)
				ev |= POLLOUT;
			who[np] = i;
			pfd[np++] = (struct pollfd){ .fd = c->fd, .events = ev };
		}
		int n = poll(pfd, (nfds_t)np, dribbling ? TICK_MS : 1000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("chaos: poll");
			return 2;
		}
		if (pfd[nl].revents & (POLLIN | POLLHUP)) {
			char b[64];
			if (read(STDIN_FILENO, b, sizeof b) <= 0)
				break;
		}
		for (int p = nl + 1; p < np; p++) {
			struct conn *c = &conns[who[p]];
			if (c->fd < 0)
				continue;
			if (pfd[p].revents & POLLOUT) {
				on_writable(c);
				if (c->fd < 0)
					continue;
			}
			if (pfd[p].revents & (POLLIN | POLLHUP | POLLERR))
				on_readable(c);
		}
		/* one octet per tick (or per wake-up: still one segment each) */
		for (int i = 0; i < nconn; i++)
			if (conns[i].fd >= 0 && conns[i].b == B_DRIBBLE && conns[i].outlen)
				on_writable(&conns[i]);
		/* closed connections leave; order does not matter */
		for (int i = 0; i < nconn;) {
			if (conns[i].fd < 0) {
				conns[i] = conns[--nconn];
				memset(&conns[nconn], 0, sizeof conns[nconn]);
				continue;
			}
			i++;
		}
		for (int i = 0; i < nl; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			while (nconn < MAX_CONN) {
				int fd = accept4(lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				struct conn *c = &conns[nconn++];
				memset(c, 0, sizeof *c);
				c->fd = fd;
				accepted++;
				start(c);
				if (c->fd < 0)
					nconn--;
			}
		}
	}
	for (int i = 0; i < nconn; i++)
		drop(&conns[i], false);
	FILE *f = stats ? fopen(stats, "w") : NULL;
	if (stats && !f) {
		perror(stats);
		return 2;
	}
	if (f) {
		fprintf(f, "accepted=%lu\n", accepted);
		for (int b = 0; b < B_COUNT; b++)
			fprintf(f, "%s=%lu\n", names[b], counts[b]);
		fclose(f);
	}
	return 0;
}
