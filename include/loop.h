/*
 * loop.h - one epoll loop with deadlines, shared by DNS (c-ares) and every
 * SMTP connection, so many probes can run side by side in one thread.
 */
#ifndef SMTPPROBE_LOOP_H
#define SMTPPROBE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

enum {
	LOOP_READ = 1 << 0,
	LOOP_WRITE = 1 << 1,
	LOOP_ERROR = 1 << 2, /* reported, never requested */
};

typedef void (*loop_fd_fn)(void *ctx, int fd, unsigned events);
typedef void (*loop_timer_fn)(void *ctx);

/* A deadline; embed it in the owner and arm it as often as needed. Init only while disarmed. */
struct loop_timer {
	int64_t deadline_ms;  /* monotonic; meaningful when armed */
	bool armed;
	loop_timer_fn fn;
	void *ctx;
	struct loop_timer *next;
};

/* Extra work each pass: c-ares needs its own timeout and processing. */
struct loop_hook {
	int (*timeout_ms)(void *ctx);  /* -1 = no opinion */
	void (*after)(void *ctx);      /* called after every wait */
	void *ctx;
};

struct loop;

struct loop *loop_new(void);   /* NULL on failure (errno set) */
void loop_free(struct loop *l);

/*
 * Watch fd for events (LOOP_READ|LOOP_WRITE), replacing earlier ones; 0
 * events = unwatch. Returns 0, or -1 with errno from epoll_ctl. Each watch
 * is its own registration: once unwatched (or its fd closed and the number
 * watched anew), no event reported for it reaches a callback any more, not
 * even one already in the batch being dispatched; and a callback gets only
 * the events its watch still asks for (LOOP_ERROR always).
 */
int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *ctx);
void loop_unwatch(struct loop *l, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx);
void loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t ms_from_now);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

void loop_set_hook(struct loop *l, const struct loop_hook *h);

/*
 * Run passes until *stop becomes true. A pass sleeps until an fd event, the
 * next timer or the hook's timeout, whichever comes first: there is no
 * periodic wake-up, so whatever waits must say so (a watch, a timer).
 * Returns -1 on an epoll failure.
 */
int loop_run(struct loop *l, const bool *stop);

int64_t loop_now_ms(void);

#endif
