/*
 * delayproxy.c - a TCP relay on loopback that adds a fixed one-way delay,
 * for benchmarking smtpprobe against a "distant" mail server without
 * tc netem.
 *
 *   delayproxy --listen 127.0.0.1:0 --target 127.0.0.1:PORT --delay MS
 *              [--max-time SECONDS]
 *
 * Every connection accepted on --listen is relayed to --target. Each chunk
 * read from either side is held for MS milliseconds, counted from the
 * moment it was read, then written to the other side; chunks keep their
 * order and their spacing. An end of stream is delayed the same way (it
 * becomes a shutdown(SHUT_WR) MS later). That models a link with a fixed
 * latency of MS each way and unlimited bandwidth: one command/reply round
 * trip costs 2 * MS. The TCP handshake itself is not delayed (the client's
 * connect() completes at once, on loopback), so a real link of the same
 * latency costs one more round trip per connection than this one.
 *
 * Once it listens it prints the port and a newline on stdout, like
 * fakesmtp: that line is the synchronisation point. It runs until SIGTERM
 * or SIGINT (exit 0) or until --max-time seconds have passed (default 600;
 * exit 1), then prints one line of counters on stderr. Both addresses must
 * be loopback (127.0.0.0/8 or ::1): it never relays anywhere else.
 *
 * Single-threaded, poll()-driven; at most MAX_CONNS connections at a time
 * (more wait in the listen backlog) and at most QUEUE_MAX bytes held per
 * direction (reading pauses beyond that). Each connection takes two
 * descriptors: a caller that needs them all raises RLIMIT_NOFILE above
 * 2 * MAX_CONNS (bench/batch.sh does). Exit status 2: usage or socket
 * set-up error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024   /* bench/batch.sh runs 256 sessions at once */
#define BACKLOG 512
#define CHUNK_MAX 16384
#define QUEUE_MAX (1 << 20)
#define DELAY_MAX_MS 60000

enum exit_code {
	EXIT_OK = 0,
	EXIT_TIME_LIMIT = 1,
	EXIT_USAGE = 2,
};

/* One read, waiting for its time to be written. len 0 is the end of stream. */
struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t len, off;
	unsigned char data[];
};

/* One direction of a relayed connection: bytes read from src, written to dst. */
struct pipe {
	int src, dst;
	struct chunk *head, *tail;
	size_t queued;
	bool read_eof;   /* src said end of stream (its EOF chunk is queued) */
	bool done;       /* the EOF chunk went out as shutdown(dst, SHUT_WR) */
};

struct relay {
	bool used;
	bool connecting;   /* the upstream connect() has not completed yet */
	int client, upstream;
	struct pipe up;    /* client -> upstream */
	struct pipe down;  /* upstream -> client */
};

static struct relay relays[MAX_CONNS];
static volatile sig_atomic_t stop_signal;
static int64_t delay_ns;
static unsigned long long n_conns, n_bytes_up, n_bytes_down, n_failed;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: delayproxy --listen ADDR:PORT --target ADDR:PORT --delay MS [--max-time SECONDS]\n"
			"  ADDR must be loopback: 127.x.y.z or [::1]; port 0 for --listen picks a free port\n");
	exit(EXIT_USAGE);
}

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

/* "127.0.0.1:25" or "[::1]:25" -> a loopback socket address; exits on anything else. */
static void parse_addr(const char *spec, struct sockaddr_storage *out, socklen_t *outlen)
{
	char host[64];
	const char *port;
	size_t hl;
	if (spec[0] == '[') {
		const char *close_br = strchr(spec, ']');
		if (!close_br || close_br[1] != ':')
			goto bad;
		hl = (size_t)(close_br - spec - 1);
		if (hl >= sizeof host)
			goto bad;
		memcpy(host, spec + 1, hl);
		port = close_br + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - spec);
		if (hl >= sizeof host || memchr(spec, ':', hl))
			goto bad;
		memcpy(host, spec, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) > 65535)
		goto bad;

	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	int e = getaddrinfo(host, port, &hints, &ai);
	if (e) {
		fprintf(stderr, "delayproxy: %s: %s\n", spec, gai_strerror(e));
		exit(EXIT_USAGE);
	}
	/* Benchmarks must never send anything off this machine. */
	if (!is_loopback(ai->ai_addr)) {
		fprintf(stderr, "delayproxy: %s: not a loopback address\n", spec);
		exit(EXIT_USAGE);
	}
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	*outlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return;
bad:
	fprintf(stderr, "delayproxy: %s: expected ADDR:PORT or [ADDR]:PORT\n", spec);
	exit(EXIT_USAGE);
}

/* The relay must not add latency of its own: no Nagle on either side. */
static void no_delay(int fd)
{
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void pipe_init(struct pipe *p, int src, int dst)
{
	*p = (struct pipe){ .src = src, .dst = dst };
}

static void pipe_clear(struct pipe *p)
{
	struct chunk *c = p->head;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	p->head = p->tail = NULL;
	p->queued = 0;
}

static bool pipe_push(struct pipe *p, const unsigned char *data, size_t len, int64_t due)
{
	struct chunk *c = malloc(sizeof *c + len);
	if (!c)
		return false;
	*c = (struct chunk){ .due_ns = due, .len = len };
	memcpy(c->data, data, len);
	if (p->tail)
		p->tail->next = c;
	else
		p->head = c;
	p->tail = c;
	p->queued += len;
	return true;
}

static void relay_close(struct relay *r)
{
	pipe_clear(&r->up);
	pipe_clear(&r->down);
	close(r->client);
	close(r->upstream);
	r->used = false;
}

/* Read what src has and queue it for later; false when the relay must end. */
static bool pipe_read(struct pipe *p, unsigned long long *counter)
{
	unsigned char buf[CHUNK_MAX];
	ssize_t n = recv(p->src, buf, sizeof buf, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	int64_t due = now_ns() + delay_ns;
	if (n == 0) {
		p->read_eof = true;
		return pipe_push(p, buf, 0, due);
	}
	*counter += (unsigned long long)n;
	return pipe_push(p, buf, (size_t)n, due);
}

/* Write every chunk that is due; false when the relay must end. */
static bool pipe_write(struct pipe *p, int64_t now)
{
	while (p->head && p->head->due_ns <= now) {
		struct chunk *c = p->head;
		if (c->len == 0) {
			shutdown(p->dst, SHUT_WR);
			p->done = true;
		} else {
			ssize_t n = send(p->dst, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
			c->off += (size_t)n;
			p->queued -= (size_t)n;
			if (c->off < c->len)
				return true; /* the rest when dst can take it */
		}
		p->head = c->next;
		if (!p->head)
			p->tail = NULL;
		free(c);
	}
	return true;
}

static bool pipe_due(const struct pipe *p, int64_t now)
{
	return p->head && p->head->due_ns <= now;
}

/*
 * Milliseconds until this pipe's next chunk is due (for poll), -1 if none
 * or if it is due already (then poll waits for dst to take it: POLLOUT).
 */
static int pipe_wait_ms(const struct pipe *p, int64_t now)
{
	if (!p->head || p->head->due_ns <= now)
		return -1;
	return (int)((p->head->due_ns - now + 999999) / 1000000);
}

static int min_wait(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void relay_open(int listener, const struct sockaddr_storage *target, socklen_t tlen)
{
	struct relay *r = NULL;
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (!relays[i].used) {
			r = &relays[i];
			break;
		}
	}
	if (!r)
		return;
	int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (client < 0)
		return;
	n_conns++;
	int up = socket(target->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0) {
		close(client);
		n_failed++;
		return;
	}
	no_delay(client);
	no_delay(up);
	bool connecting = false;
	if (connect(up, (const struct sockaddr *)target, tlen) < 0) {
		if (errno != EINPROGRESS) {
			close(client);
			close(up);
			n_failed++;
			return;
		}
		connecting = true;
	}
	*r = (struct relay){ .used = true, .connecting = connecting, .client = client, .upstream = up };
	pipe_init(&r->up, client, up);
	pipe_init(&r->down, up, client);
}

int main(int argc, char **argv)
{
	const char *listen_spec = NULL, *target_spec = NULL;
	long delay_ms = -1, max_time_s = 600;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		char *end;
		if (!strcmp(a, "--listen")) {
			listen_spec = v;
		} else if (!strcmp(a, "--target")) {
			target_spec = v;
		} else if (!strcmp(a, "--delay")) {
			delay_ms = strtol(v, &end, 10);
			if (*end || end == v || delay_ms < 0 || delay_ms > DELAY_MAX_MS)
				usage();
		} else if (!strcmp(a, "--max-time")) {
			max_time_s = strtol(v, &end, 10);
			if (*end || end == v || max_time_s < 1 || max_time_s > 86400)
				usage();
		} else {
			usage();
		}
	}
	if (!listen_spec || !target_spec || delay_ms < 0)
		usage();
	delay_ns = (int64_t)delay_ms * 1000000;

	struct sockaddr_storage lss, tss;
	socklen_t llen, tlen;
	parse_addr(listen_spec, &lss, &llen);
	parse_addr(target_spec, &tss, &tlen);

	int one = 1;
	int lfd = socket(lss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(lfd, (struct sockaddr *)&lss, llen) < 0 || listen(lfd, BACKLOG) < 0) {
		fprintf(stderr, "delayproxy: %s: %s\n", listen_spec, strerror(errno));
		return EXIT_USAGE;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	if (getsockname(lfd, (struct sockaddr *)&bound, &blen) < 0) {
		fprintf(stderr, "delayproxy: getsockname: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	unsigned port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)(void *)&bound)->sin6_port)
						    : ntohs(((struct sockaddr_in *)(void *)&bound)->sin_port);

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The caller's synchronisation point: once this line is out, connecting works. */
	printf("%u\n", port);
	fflush(stdout);

	const int64_t deadline = now_ns() + (int64_t)max_time_s * 1000000000;
	int status = EXIT_OK;
	/* Slot 0: the listener; then two per relay (client, upstream). */
	struct pollfd pfd[1 + 2 * MAX_CONNS];
	struct relay *owner[1 + 2 * MAX_CONNS];

	while (!stop_signal) {
		int64_t now = now_ns();
		if (now >= deadline) {
			fprintf(stderr, "delayproxy: run time limit (%ld s) reached\n", max_time_s);
			status = EXIT_TIME_LIMIT;
			break;
		}
		int timeout = (int)((deadline - now) / 1000000) + 1;
		nfds_t n = 0;
		bool room = false;
		for (size_t i = 0; i < MAX_CONNS; i++)
			room |= !relays[i].used;
		pfd[n] = (struct pollfd){ .fd = room ? lfd : -1, .events = POLLIN };
		owner[n++] = NULL;

		for (size_t i = 0; i < MAX_CONNS; i++) {
			struct relay *r = &relays[i];
			if (!r->used)
				continue;
			short ce = 0, ue = 0;
			if (r->connecting) {
				ue = POLLOUT;
			} else {
				if (!r->up.read_eof && r->up.queued < QUEUE_MAX)
					ce |= POLLIN;
				if (!r->down.read_eof && r->down.queued < QUEUE_MAX)
					ue |= POLLIN;
				/* A chunk already due is one the last write could not finish. */
				if (pipe_due(&r->up, now))
					ue |= POLLOUT;
				if (pipe_due(&r->down, now))
					ce |= POLLOUT;
				timeout = min_wait(timeout, pipe_wait_ms(&r->up, now));
				timeout = min_wait(timeout, pipe_wait_ms(&r->down, now));
			}
			/* No events wanted: leave the fd out, or a hung-up socket would wake poll at once. */
			pfd[n] = (struct pollfd){ .fd = ce ? r->client : -1, .events = ce };
			owner[n++] = r;
			pfd[n] = (struct pollfd){ .fd = ue ? r->upstream : -1, .events = ue };
			owner[n++] = r;
		}

		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "delayproxy: poll: %s\n", strerror(errno));
			status = EXIT_USAGE;
			break;
		}

		for (nfds_t k = 1; k < n; k += 2) {
			struct relay *r = owner[k];
			short cre = pfd[k].revents, ure = pfd[k + 1].revents;
			bool ok = true;
			if (r->connecting) {
				if (!ure)
					continue;
				int err = 0;
				socklen_t el = sizeof err;
				if (getsockopt(r->upstream, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
					n_failed++;
					relay_close(r);
					continue;
				}
				r->connecting = false;
				continue;
			}
			if (!r->up.read_eof && (cre & (POLLIN | POLLHUP | POLLERR)))
				ok = ok && pipe_read(&r->up, &n_bytes_up);
			if (!r->down.read_eof && (ure & (POLLIN | POLLHUP | POLLERR)))
				ok = ok && pipe_read(&r->down, &n_bytes_down);
			int64_t t = now_ns();
			ok = ok && pipe_write(&r->up, t) && pipe_write(&r->down, t);
			if (!ok || (r->up.done && r->down.done))
				relay_close(r);
		}
		if (pfd[0].revents & POLLIN)
			relay_open(lfd, &tss, tlen);
	}

	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (relays[i].used)
			relay_close(&relays[i]);
	}
	close(lfd);
	fprintf(stderr, "delayproxy: %llu connections accepted, %llu could not reach the target; "
			"%llu bytes up, %llu bytes down; delay %ld ms each way\n",
		n_conns, n_failed, n_bytes_up, n_bytes_down, delay_ms);
	return status;
}
