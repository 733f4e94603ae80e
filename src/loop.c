/* loop.c - epoll and deadlines (see loop.h). */
#include "loop.h"

#include "mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/*
 * A watch is found by its fd, but an fd number is not an identity: within
 * one epoll_wait batch a callback may unwatch and close fd 7, and open and
 * watch another fd 7 for someone else; an event of the batch for the old
 * fd 7 is not for the new owner. So every registration gets a generation,
 * carried in the epoll data next to the fd, and an event whose generation
 * is not the watch's current one is dropped.
 */
struct watch {
	loop_fd_fn fn;
	void *ctx;
	unsigned events;
	uint32_t gen;           /* the registration this watch is; 0 = none */
};

struct loop {
	int epfd;
	struct watch *watches;  /* indexed by fd */
	int nwatches;
	uint32_t last_gen;
	struct loop_timer *timers;
	struct loop_hook hook;
};

static uint64_t event_data(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

static uint32_t next_gen(struct loop *l)
{
	if (++l->last_gen == 0)  /* after 2^32 registrations; 0 means none */
		l->last_gen = 1;
	return l->last_gen;
}

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->watches);
	free(l);
}

int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *ctx)
{
	if (fd < 0)
		return -1;
	if (events == 0) {
		loop_unwatch(l, fd);
		return 0;
	}
	if (fd >= l->nwatches) {
		int n = l->nwatches ? l->nwatches : 64;
		while (n <= fd)
			n *= 2;
		struct watch *w = xreallocarray(l->watches, (size_t)n, sizeof *w);
		memset(w + l->nwatches, 0, (size_t)(n - l->nwatches) * sizeof *w);
		l->watches = w;
		l->nwatches = n;
	}
	struct epoll_event ev = { 0 };
	if (events & LOOP_READ)
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_WRITE)
		ev.events |= EPOLLOUT;
	struct watch *w = &l->watches[fd];
	/* Changing what an fd is watched for keeps its registration... */
	uint32_t gen = w->events ? w->gen : next_gen(l);
	ev.data.u64 = event_data(fd, gen);
	int r = epoll_ctl(l->epfd, w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	if (r < 0 && w->events && errno == ENOENT) {
		/* ... unless the fd was closed without loop_unwatch (epoll forgot it) and is a new one now. */
		gen = next_gen(l);
		ev.data.u64 = event_data(fd, gen);
		r = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	if (r < 0)
		return -1;
	*w = (struct watch){ fn, ctx, events, gen };
	return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nwatches || !l->watches[fd].events)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->watches[fd] = (struct watch){ 0 };
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx)
{
	memset(t, 0, sizeof *t);
	t->fn = fn;
	t->ctx = ctx;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t ms_from_now)
{
	loop_timer_cancel(l, t);
	t->deadline_ms = loop_now_ms() + ms_from_now;
	t->armed = true;
	t->next = l->timers;
	l->timers = t;
}

void loop_set_hook(struct loop *l, const struct loop_hook *h)
{
	if (h)
		l->hook = *h;
	else
		memset(&l->hook, 0, sizeof l->hook);
}

static int next_timeout(struct loop *l)
{
	int64_t now = loop_now_ms();
	int64_t best = -1;
	for (struct loop_timer *t = l->timers; t; t = t->next) {
		int64_t d = t->deadline_ms - now;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	if (l->hook.timeout_ms) {
		int h = l->hook.timeout_ms(l->hook.ctx);
		if (h >= 0 && (best < 0 || h < best))
			best = h;
	}
	/* Nothing due: wait for an fd (every deadline is a timer or the hook's). */
	if (best > INT32_MAX)
		best = INT32_MAX;
	return (int)best;
}

static void fire_timers(struct loop *l)
{
	int64_t now = loop_now_ms();
	/* A callback may arm or cancel timers, so restart the scan after each one. */
	for (;;) {
		struct loop_timer *due = NULL;
		for (struct loop_timer *t = l->timers; t; t = t->next) {
			if (t->deadline_ms <= now) {
				due = t;
				break;
			}
		}
		if (!due)
			return;
		loop_timer_cancel(l, due);
		due->fn(due->ctx);
	}
}

int loop_run(struct loop *l, const bool *stop)
{
	struct epoll_event evs[64];
	while (!*stop) {
		int n = epoll_wait(l->epfd, evs, 64, next_timeout(l));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !*stop; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
			/* Unwatched by an earlier callback of this batch, or the fd is someone else's now. */
			if (fd >= l->nwatches || !l->watches[fd].events || l->watches[fd].gen != gen)
				continue;
			struct watch w = l->watches[fd];
			unsigned e = 0;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
				e |= LOOP_READ;
			if (evs[i].events & EPOLLOUT)
				e |= LOOP_WRITE;
			/* Only what is still asked for: an earlier callback may have changed it. */
			e &= w.events;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				e |= LOOP_ERROR;
			if (e)
				w.fn(w.ctx, fd, e);
		}
		if (l->hook.after)
			l->hook.after(l->hook.ctx);
		fire_timers(l);
	}
	return 0;
}
