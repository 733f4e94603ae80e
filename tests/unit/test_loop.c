/*
 * Unit tests for the epoll loop: a watch has an identity beyond its fd
 * number (an fd closed and reused within one epoll_wait batch never gets
 * the old fd's event), callbacks get only the events still asked for, a
 * closed-but-not-unwatched fd number can be watched again, and nothing
 * wakes the loop but fds, timers and the hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

struct owner {
	int fd;
	int calls;
	unsigned events;
};

struct batch_test {
	struct loop *l;
	struct owner a, b;      /* reported together in one batch */
	struct owner newcomer;  /* gets the fd number of whichever of a, b comes second */
	int newcomer_peer;
	int passes;
	bool stop;
};

static void one_pass(void *ctx)
{
	struct batch_test *t = ctx;
	t->passes++;
	t->stop = true;  /* one epoll_wait batch is what these tests are about */
}

static void on_newcomer(void *ctx, int fd, unsigned events)
{
	struct owner *o = ctx;
	(void)fd;
	o->calls++;
	o->events |= events;
}

/*
 * A new connection on fd number num, which must be free: a socket pair
 * whose end sits at num (the lowest free number, as open() would give it,
 * or moved there). Returns the other end.
 */
static int reuse_fd_number(int num)
{
	int s[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	if (s[1] == num)
		return s[0];
	if (s[0] != num) {
		assert_int_equal(dup2(s[0], num), num);
		close(s[0]);
	}
	return s[1];
}

static struct owner *self_of(struct batch_test *t, int fd)
{
	return fd == t->a.fd ? &t->a : &t->b;
}

static struct owner *other_of(struct batch_test *t, int fd)
{
	return fd == t->a.fd ? &t->b : &t->a;
}

/*
 * Whichever of a and b is called first ends the other's connection (unwatch,
 * close), and a new connection at once gets the same fd number and is
 * watched - while the batch still holds the closed fd's event.
 */
static void on_close_and_reuse(void *ctx, int fd, unsigned events)
{
	struct batch_test *t = ctx;
	struct owner *other = other_of(t, fd);
	(void)events;
	self_of(t, fd)->calls++;
	if (t->newcomer.fd >= 0)
		return;
	int num = other->fd;
	loop_unwatch(t->l, num);
	assert_int_equal(close(num), 0);
	t->newcomer_peer = reuse_fd_number(num);  /* nothing written: no event of its own yet */
	t->newcomer.fd = num;
	assert_int_equal(loop_watch(t->l, num, LOOP_READ, on_newcomer, &t->newcomer), 0);
	other->fd = -1;
}

static void setup_pair(struct batch_test *t, int peers[2])
{
	int sa[2], sb[2];
	*t = (struct batch_test){ 0 };
	t->l = loop_new();
	assert_non_null(t->l);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sa), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sb), 0);
	t->a = (struct owner){ .fd = sa[0] };
	t->b = (struct owner){ .fd = sb[0] };
	t->newcomer = (struct owner){ .fd = -1 };
	t->newcomer_peer = -1;
	peers[0] = sa[1];
	peers[1] = sb[1];
	struct loop_hook h = { NULL, one_pass, t };
	loop_set_hook(t->l, &h);
}

static void teardown_pair(struct batch_test *t, int peers[2])
{
	loop_free(t->l);
	for (int i = 0; i < 2; i++)
		close(peers[i]);
	int fds[] = { t->a.fd, t->b.fd, t->newcomer.fd, t->newcomer_peer };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void test_fd_reused_within_batch(void **state)
{
	(void)state;
	struct batch_test t;
	int peers[2];
	setup_pair(&t, peers);
	/* Both readable before the wait, so one epoll_wait reports both. */
	assert_int_equal(write(peers[0], "x", 1), 1);
	assert_int_equal(write(peers[1], "x", 1), 1);
	assert_int_equal(loop_watch(t.l, t.a.fd, LOOP_READ, on_close_and_reuse, &t), 0);
	assert_int_equal(loop_watch(t.l, t.b.fd, LOOP_READ, on_close_and_reuse, &t), 0);

	assert_int_equal(loop_run(t.l, &t.stop), 0);
	assert_int_equal(t.passes, 1);
	assert_true(t.newcomer.fd >= 0);
	/* The first was called; the closed one never again; its event did not go to the newcomer. */
	assert_int_equal(t.a.calls + t.b.calls, 1);
	assert_int_equal(t.newcomer.calls, 0);

	/* The newcomer's own events do reach it. */
	assert_int_equal(write(t.newcomer_peer, "y", 1), 1);
	loop_unwatch(t.l, t.a.fd >= 0 ? t.a.fd : t.b.fd);
	t.stop = false;
	assert_int_equal(loop_run(t.l, &t.stop), 0);
	assert_int_equal(t.newcomer.calls, 1);
	assert_true(t.newcomer.events & LOOP_READ);
	teardown_pair(&t, peers);
}

/* Whichever is called first watches the other for reading only. */
static void on_narrow_other(void *ctx, int fd, unsigned events)
{
	struct batch_test *t = ctx;
	struct owner *self = self_of(t, fd);
	self->calls++;
	self->events |= events;
	if (t->a.calls + t->b.calls == 1)
		assert_int_equal(loop_watch(t->l, other_of(t, fd)->fd, LOOP_READ, on_narrow_other, t), 0);
}

static void test_events_no_longer_asked_for(void **state)
{
	(void)state;
	struct batch_test t;
	int peers[2];
	setup_pair(&t, peers);
	/* Both writable (not readable): one batch reports both for writing. */
	assert_int_equal(loop_watch(t.l, t.a.fd, LOOP_WRITE, on_narrow_other, &t), 0);
	assert_int_equal(loop_watch(t.l, t.b.fd, LOOP_WRITE, on_narrow_other, &t), 0);
	assert_int_equal(loop_run(t.l, &t.stop), 0);
	assert_int_equal(t.passes, 1);
	/* The second's write event was reported, but it asks for reading now. */
	assert_int_equal(t.a.calls + t.b.calls, 1);
	teardown_pair(&t, peers);
}

static void on_any(void *ctx, int fd, unsigned events)
{
	struct batch_test *t = ctx;
	struct owner *o = self_of(t, fd);
	o->calls++;
	o->events |= events;
}

/* An fd closed without loop_unwatch (epoll forgot it): its number can be watched again. */
static void test_closed_without_unwatch(void **state)
{
	(void)state;
	struct batch_test t;
	int peers[2];
	setup_pair(&t, peers);
	int num = t.a.fd;
	assert_int_equal(loop_watch(t.l, num, LOOP_READ, on_any, &t), 0);
	close(num);
	int peer = reuse_fd_number(num);
	assert_int_equal(loop_watch(t.l, num, LOOP_READ, on_any, &t), 0);
	assert_int_equal(write(peer, "z", 1), 1);
	assert_int_equal(loop_run(t.l, &t.stop), 0);
	assert_int_equal(t.a.calls, 1);
	assert_true(t.a.events & LOOP_READ);
	close(peer);
	teardown_pair(&t, peers);
}

struct timer_test {
	int passes;
	int fired;
	bool stop;
};

static void count_passes(void *ctx)
{
	struct timer_test *t = ctx;
	t->passes++;
}

static void on_timer(void *ctx)
{
	struct timer_test *t = ctx;
	t->fired++;
	t->stop = true;
}

/* A deadline 1.2 s away is one wait: no forced wake-up on the way. */
static void test_no_periodic_wakeup(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	assert_non_null(l);
	struct timer_test t = { 0 };
	struct loop_hook h = { NULL, count_passes, &t };
	loop_set_hook(l, &h);
	struct loop_timer timer;
	loop_timer_init(&timer, on_timer, &t);
	int64_t start = loop_now_ms();
	loop_timer_arm(l, &timer, 1200);
	assert_int_equal(loop_run(l, &t.stop), 0);
	int64_t took = loop_now_ms() - start;
	assert_int_equal(t.fired, 1);
	assert_true(took >= 1200);
	/* One wait (epoll_wait never returns before its timeout); a 1 s wake-up would add one. */
	if (t.passes != 1)
		fail_msg("%d passes for one timer", t.passes);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_reused_within_batch),
		cmocka_unit_test(test_events_no_longer_asked_for),
		cmocka_unit_test(test_closed_without_unwatch),
		cmocka_unit_test(test_no_periodic_wakeup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
