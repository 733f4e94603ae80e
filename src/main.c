/* main.c - options in, one report per address out, the combined exit status. */
#include <dirent.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>


#include "audit.h"
#include "batch.h"
#include "cli.h"
#include "config.h"
#include "dns.h"
#include "explain.h"
#include "expect_run.h"
#include "i18n.h"
#include "input.h"
#include "junit.h"
#include "loop.h"
#include "mem.h"
#include "output.h"
#include "report.h"
#include "resume.h"
#include "runtime.h"

struct run {
	struct cli cli;
	struct batch *batch;
	struct resume *resume;
	bool output_failed;
	size_t queued;              /* addresses handed to the batch */
	struct loop *loop;
	struct dns *dns;
	struct output *out;
	struct expect_run *expect;  /* --expect: results compared and shown as a test runner */
	bool color;
	bool progress;
	bool progress_shown;
	int status;
};

/* -v in text mode: the transcript live on stderr, events in the user's language. */
static void trace_stderr(void *ctx, const char *who, const char *prefix, const char *line, size_t len,
                         const struct msg *m)
{
	struct run *run = ctx;
	struct strbuf sb = STRBUF_INIT, text = STRBUF_INIT;
	if (run->color)
		strbuf_puts(&sb, prefix[0] == 'C' ? "\033[36m" : prefix[0] == 'S' ? "\033[0m" : "\033[2m");
	/* In a batch or an audit the sessions interleave: each line says whose it is. */
	if (run->cli.input || run->cli.naddresses > 1 || run->cli.command == CLI_CMD_AUDIT)
		strbuf_printf(&text, "[%s] ", who);
	strbuf_puts(&text, prefix);
	if (m)
		msg_format(m, true, &text);
	else
		strbuf_append(&text, line, len);
	report_sanitize(&sb, strbuf_str(&text), text.len);
	strbuf_free(&text);
	if (run->color)
		strbuf_puts(&sb, "\033[0m");
	strbuf_putc(&sb, '\n');
	fwrite(sb.data, 1, sb.len, stderr);
	strbuf_free(&sb);
}

static void clear_progress(struct run *run)
{
	if (run->progress_shown) {
		fputs("\r\033[K", stderr);
		run->progress_shown = false;
	}
}

/* A status line on the terminal for batches; never in a pipe or log. */
static void show_progress(void *ctx, const struct batch_progress *p)
{
	struct run *run = ctx;
	if (!run->progress || p->total < 2)
		return;
	clear_progress(run);
	if (p->done == p->total)
		return;
	fprintf(stderr, _("[%zu/%zu] running %zu | accepted %zu, rejected %zu, tempfail %zu, error %zu"),
	        p->done, p->total, p->running, p->accepted, p->rejected, p->tempfail, p->error);
	run->progress_shown = true;
}

/* A finished result into its record (any order: output.h). */
static void render_result(void *ctx, const struct probe_result *r, struct strbuf *out)
{
	struct run *run = ctx;
	if (run->expect)
		expect_run_render(run->expect, r, out);
	else
		output_render(run->out, r, out);
}

/*
 * Records in input order: results to stdout, notices to stderr. A failed
 * write (EPIPE after `| head`, ENOSPC) stops the run: nothing more can
 * reach the reader.
 */
static int write_stdout(void *ctx, const char *data, size_t len)
{
	struct run *run = ctx;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	if (run->expect)
		expect_run_write(run->expect, data, len, &out);
	else
		output_write(run->out, data, len, &out, &err);
	clear_progress(run);
	if (err.len) {
		fflush(stdout);
		fwrite(err.data, 1, err.len, stderr);
	}
	int ret = 0;
	if (out.len && (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)) {
		if (!run->output_failed && errno != EPIPE)
			fprintf(stderr, "smtpprobe: %s: %s\n", _("cannot write the results"), strerror(errno));
		run->output_failed = true;
		ret = -1;
	}
	strbuf_free(&out);
	strbuf_free(&err);
	return ret;
}

/* Where the pieces of one line (or argument) go: the batch, through emit. */
struct pieces {
	struct run *run;
	void (*emit)(void *ectx, const char *a, size_t n);
	void *ectx;
};

/*
 * One address as given: the output shows it, the probe gets the address
 * in it (input.h). Addresses of another shard, or with a result in the
 * --resume file (which holds them as given), are not queued at all.
 */
static void queue_piece(void *ctx, const char *given, size_t glen)
{
	struct pieces *q = ctx;
	struct run *run = q->run;
	char *addr = xmalloc(glen + 1);
	size_t alen = input_address(given, glen, addr, glen + 1);
	if (batch_in_shard(run->batch, addr, alen) && !resume_has(run->resume, given, glen)) {
		output_given(run->out, addr, alen, given, glen, NULL);
		q->emit(q->ectx, addr, alen);
		run->queued++;
	}
	free(addr);
}

/*
 * A line too long to be addresses is one invalid address, shown by its
 * beginning; the probe gets the line cut to INPUT_LINE_MAX octets, which
 * no address parser accepts (an address has at most 320).
 */
_Static_assert(INPUT_LINE_MAX == 4096, "the message below says 4096");

static void queue_overlong(struct pieces *q, const char *line, size_t len)
{
	size_t show = 64;
	while (show > 0 && ((unsigned char)line[show] & 0xc0) == 0x80)
		show--;  /* not inside a UTF-8 sequence */
	char given[64 + 4];
	memcpy(given, line, show);
	memcpy(given + show, "...", 3);
	size_t cut = len < INPUT_LINE_MAX ? len : INPUT_LINE_MAX;
	output_given(q->run->out, line, cut, given, show + 3, N_("the line is longer than 4096 octets"));
	q->emit(q->ectx, line, cut);
	q->run->queued++;
}

/* batch.h's split hook: one --input line (trimmed, not blank, no comment) into its addresses. */
static void split_line(void *ctx, const char *line, size_t len, void (*emit)(void *ectx, const char *a, size_t n),
                       void *ectx)
{
	struct pieces q = { ctx, emit, ectx };
	if (len > INPUT_LINE_MAX)
		queue_overlong(&q, line, len);
	else
		input_split(line, len, queue_piece, &q);
}

static void emit_to_batch(void *ectx, const char *a, size_t n)
{
	batch_add(ectx, a, n);
}

/* The command line's addresses; an argument may hold several too, an empty one is reported. */
static void queue_arguments(struct run *run)
{
	struct pieces q = { run, emit_to_batch, run->batch };
	for (int i = 0; i < run->cli.naddresses; i++) {
		const char *arg = run->cli.addresses[i];
		if (input_split(arg, strlen(arg), queue_piece, &q) == 0)
			queue_piece(&q, arg, strlen(arg));
	}
}

/*
 * --expect: the file's addresses, one per expectation, in file order
 * (exit 74 when it cannot be read, 64 when a line is wrong).
 */
static int load_expectations(struct run *run, char *err, size_t errsz)
{
	struct expect_list list = { 0 };
	bool io;
	if (expect_load(run->cli.expect, &list, &io, err, errsz) < 0) {
		expect_list_free(&list);
		return io ? EXIT_IOERR : EXIT_USAGE;
	}
	struct expect_run_config ec = {
		.file = run->cli.expect,
		.json = run->cli.format == OUTPUT_JSON,
		.color = run->color,
		.transcript = run->cli.verbose > 0,
		.started = time(NULL),
	};
	run->expect = expect_run_new(&list, &ec);
	return 0;
}

static void queue_expectations(struct run *run)
{
	for (size_t i = 0; i < expect_run_count(run->expect); i++) {
		const char *a = expect_run_address(run->expect, i);
		batch_add(run->batch, a, strlen(a));
		run->queued++;
	}
}

/* The runner's summary (stdout, after the ok/FAIL lines; stderr beside JSON), the JUnit report, the status. */
static int finish_expectations(struct run *run, int batch_status)
{
	char err[512];
	struct strbuf sum = STRBUF_INIT;
	int st = expect_run_finish(run->expect, run->cli.junit, &sum, err, sizeof err);
	fflush(stdout);
	fwrite(sum.data, 1, sum.len, run->cli.format == OUTPUT_JSON ? stderr : stdout);
	strbuf_free(&sum);
	if (st == EXIT_IOERR)
		fprintf(stderr, "smtpprobe: %s\n", err);
	/* An interruption or an unreadable input or unwritable output says more than the comparison. */
	if (batch_status >= 128 || batch_status == EXIT_IOERR)
		return batch_status;
	return st;
}

/* What comes before the results (the CSV header). */
static void start_output(struct run *run)
{
	struct output_config oc = {
		.format = run->cli.format,
		.color = run->color,
		.transcript = run->cli.verbose > 0,
		/* A redirect to a file keeps the invalid lines; the terminal is told too. */
		.notice_invalid = !isatty(STDOUT_FILENO),
	};
	run->out = output_new(&oc);
	struct strbuf begin = STRBUF_INIT;
	output_begin(run->out, &begin);
	fwrite(strbuf_str(&begin), 1, begin.len, stdout);
	strbuf_free(&begin);
}

/* What comes after: the summary, asked for or for a batch watched on a terminal. */
static void finish_output(struct run *run, int status)
{
	if (!run->cli.summary && !(isatty(STDERR_FILENO) && output_count(run->out) >= 2))
		return;
	struct strbuf sum = STRBUF_INIT;
	output_summary(run->out, status, &sum);
	fflush(stdout);
	fwrite(strbuf_str(&sum), 1, sum.len, stderr);
	strbuf_free(&sum);
}

/* SIGINT and SIGTERM through a signalfd, so that the loop ends the run in order. */
static void on_signal(void *ctx, int fd, unsigned events)
{
	(void)events;
	struct run *run = ctx;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof si) == (ssize_t)sizeof si && run->batch)
		batch_interrupt(run->batch, (int)si.ssi_signo);
}

static int watch_signals(struct run *run)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0 || loop_watch(run->loop, fd, LOOP_READ, on_signal, run) < 0) {
		if (fd >= 0)
			close(fd);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		return -1;
	}
	return fd;
}

/* -j is capped so that every probe can have its socket: RLIMIT_NOFILE less what the run itself keeps open. */
static int cap_concurrency(int wanted)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return wanted;
	/* stdio, epoll, c-ares' sockets, a timer: 32 is plenty */
	long room = (long)rl.rlim_cur - 32;
	if (room < 1)
		room = 1;
	return wanted > room ? (int)room : wanted;
}

/* Open descriptors, for SMTPPROBE_FD_CHECK; -1 when /proc is not there. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * SMTPPROBE_FD_CHECK=1 (the churn test): compare the open descriptors at
 * the start and at the end, after every session, watch and library is gone;
 * a difference is a leak, reported as an internal error.
 */
static int fd_check(int fds_at_start, int status)
{
	if (fds_at_start < 0)
		return status;
	int now = count_fds();
	fprintf(stderr, "smtpprobe: open descriptors: %d at the start, %d at the end\n", fds_at_start, now);
	return now == fds_at_start ? status : EXIT_SOFTWARE;
}

/* The probe command: addresses in, one result each out, in the batch. */
static int run_probe(struct run *run, struct runtime *rt)
{
	int sigfd = -1;
	int status = EXIT_SOFTWARE;
	char err[512];
	run->loop = rt->loop;
	run->dns = rt->dns;
	if (run->cli.resume) {
		run->resume = resume_load(run->cli.resume, err, sizeof err);
		if (!run->resume) {
			fprintf(stderr, "smtpprobe: %s\n", err);
			return EXIT_IOERR;
		}
	}
	sigfd = watch_signals(run);

	run->status = 0;
	/* Progress only for a person watching a terminal, and not over a transcript. */
	run->progress = isatty(STDERR_FILENO) && run->cli.verbose == 0;
	struct batch_config bc = {
		.concurrency = run->cli.concurrency,
		.per_domain = run->cli.per_domain,
		.completion_order = run->cli.completion_order,
		.shard_k = run->cli.shard_k,
		.shard_n = run->cli.shard_n,
		.input = run->cli.input,
		.split = split_line,
		.render = render_result,
		.write = write_stdout,
		.progress = show_progress,
		.ctx = run,
	};
	start_output(run);
	run->batch = batch_new(run->loop, run->dns, &run->cli.probe, &bc);
	if (run->expect)
		queue_expectations(run);
	else
		queue_arguments(run);
	int bs = batch_run(run->batch);
	if (run->expect) {
		clear_progress(run);
		status = finish_expectations(run, bs);
	} else {
		/* Interrupted: 130 (SIGINT) or 143 (SIGTERM), as a shell reports it. */
		run->status = bs >= 128 ? bs : result_exit_combine(run->status, bs);
		if (run->cli.input && run->queued == 0 && !bs)
			/* an empty list is no error, but silence would puzzle */
			fprintf(stderr, "smtpprobe: %s \"%s\"\n", _("no address to probe in --input"), run->cli.input);
		clear_progress(run);
		status = run->status;
		finish_output(run, status);
	}

	batch_free(run->batch);
	run->batch = NULL;
	if (sigfd >= 0) {
		loop_unwatch(run->loop, sigfd);
		close(sigfd);
	}
	resume_free(run->resume);
	output_free(run->out);
	return status;
}

/*
 * The audit command: the domains checked (audit.h), the report on stdout,
 * the JUnit file when asked for. 0 when nothing failed, 1 when a check
 * failed (or warned, with --strict), 64 for a domain that is not one,
 * 74 when the report cannot be written.
 */
static int run_audit(struct run *run, struct runtime *rt)
{
	char **domains = xcalloc((size_t)run->cli.naddresses, sizeof *domains);
	int status = 0;
	for (int i = 0; i < run->cli.naddresses; i++) {
		/* A domain is what follows the @ of an address: the same checks, IDN included. */
		const char *arg = run->cli.addresses[i];
		struct strbuf a = STRBUF_INIT;
		strbuf_printf(&a, "postmaster@%s", arg);
		struct address addr;
		enum addr_error ae = addr_parse(a.data, a.len, false, &addr);
		strbuf_free(&a);
		if (ae == ADDR_OK && addr.domain_is_literal)
			ae = ADDR_ERR_DOMAIN_SYNTAX;
		if (ae != ADDR_OK) {
			struct strbuf shown = STRBUF_INIT;
			report_sanitize(&shown, arg, strlen(arg));
			fprintf(stderr, "smtpprobe: %s \"%s\": %s\n", _("invalid domain"), strbuf_str(&shown),
			        _(addr_strerror(ae)));
			strbuf_free(&shown);
			status = EXIT_USAGE;
			break;
		}
		domains[i] = xstrdup(addr.domain);
	}
	if (status == 0) {
		struct audit_options ao = { .probe = &run->cli.probe, .cert_min_days = run->cli.cert_min_days };
		struct audit_report rep;
		if (audit_run(rt->loop, rt->dns, &ao, domains, run->cli.naddresses, &rep) < 0) {
			fprintf(stderr, "smtpprobe: %s\n", _("the event loop failed"));
			status = EXIT_SOFTWARE;
		} else {
			status = audit_exit_status(&rep, run->cli.strict);
			struct strbuf out = STRBUF_INIT;
			if (run->cli.format == OUTPUT_JSON)
				audit_render_json(&rep, run->cli.strict, &out);
			else
				audit_render_text(&rep, run->color, run->cli.strict, &out);
			if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
				fprintf(stderr, "smtpprobe: %s: %s\n", _("cannot write the results"), strerror(errno));
				status = EXIT_IOERR;
			}
			strbuf_free(&out);
			if (run->cli.junit) {
				struct junit *j = junit_new("smtpprobe audit");
				audit_render_junit(&rep, run->cli.strict, j);
				if (junit_save(j, run->cli.junit) < 0) {
					fprintf(stderr, "smtpprobe: %s %s: %s\n", _("cannot write the JUnit report"), run->cli.junit,
					        strerror(errno));
					status = EXIT_IOERR;
				}
				junit_free(j);
			}
		}
		audit_report_free(&rep);
	}
	for (int i = 0; i < run->cli.naddresses; i++)
		free(domains[i]);
	free(domains);
	return status;
}

int main(int argc, char **argv)
{
	struct run run = { 0 };
	struct runtime rt = { 0 };
	char err[512]; /* room for translated messages */
	int status;
	signal(SIGPIPE, SIG_IGN);
	const char *fdc = getenv("SMTPPROBE_FD_CHECK");
	int fds_at_start = fdc && fdc[0] == '1' ? count_fds() : -1;
	/* The locale and the message catalogues (src/i18n.c). */
	i18n_setup();

	switch (cli_parse(argc, argv, &run.cli, err, sizeof err)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_USAGE:
		fprintf(stderr, "smtpprobe: %s\n", err);
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	/* -v: say so when the language asked for has no catalogue (messages stay English). */
	if (run.cli.verbose > 0)
		i18n_explain_fallback(stderr);
	const char *nc = getenv("NO_COLOR");
	run.color = run.cli.color == CLI_COLOR_ALWAYS ||
		(run.cli.color == CLI_COLOR_AUTO && isatty(STDOUT_FILENO) && !(nc && nc[0]));
	if (run.cli.verbose > 0 && run.cli.format != OUTPUT_JSON) {
		run.cli.probe.trace = trace_stderr;
		run.cli.probe.trace_ctx = &run;
	}
	int j = cap_concurrency(run.cli.concurrency);
	if (j < run.cli.concurrency && run.cli.verbose > 0)
		fprintf(stderr, _("smtpprobe: -j %d lowered to %d: the limit on open files (ulimit -n) leaves no room for more\n"),
		        run.cli.concurrency, j);
	run.cli.concurrency = j;

	/* A wrong expectation file stops the run before anything is asked or connected. */
	status = run.cli.expect ? load_expectations(&run, err, sizeof err) : 0;
	/* Reading a bounce needs no network: the loop, resolver and TLS only for --reprobe. */
	bool offline = run.cli.command == CLI_CMD_EXPLAIN && !run.cli.reprobe && !run.cli.reprobe_as_sender;
	if (status == 0 && !offline)
		status = runtime_open(&rt, &run.cli, err, sizeof err);
	if (status != 0) {
		fprintf(stderr, "smtpprobe: %s\n", err);
	} else {
		switch (run.cli.command) {
		case CLI_CMD_PROBE:
			status = run_probe(&run, &rt);
			break;
		case CLI_CMD_EXPLAIN:
			status = explain_run(&run.cli, &rt);
			break;
		case CLI_CMD_AUDIT:
		default:
			status = run_audit(&run, &rt);
			break;
		}
	}
	expect_run_free(run.expect);
	runtime_close(&rt);
	return fd_check(fds_at_start, status);
}
