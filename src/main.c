/* main.c - options in, one report per address out, the combined exit status. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dns.h"
#include "loop.h"
#include "report.h"
#include "secret.h"
#include "tls.h"

#define INPUT_LINE_MAX 4096

struct run {
	struct cli cli;
	struct loop *loop;
	struct dns *dns;
	bool color;
	int status;
};

static void trace_stderr(void *ctx, const char *line, size_t len)
{
	struct run *run = ctx;
	struct strbuf sb = STRBUF_INIT;
	if (run->color)
		strbuf_puts(&sb, line[0] == 'C' ? "\033[36m" : line[0] == 'S' ? "\033[0m" : "\033[2m");
	report_sanitize(&sb, line, len);
	if (run->color)
		strbuf_puts(&sb, "\033[0m");
	strbuf_putc(&sb, '\n');
	fwrite(sb.data, 1, sb.len, stderr);
	strbuf_free(&sb);
}

static void probe_one(struct run *run, const char *addr, size_t len)
{
	struct probe_result r;
	probe_run(run->loop, run->dns, &run->cli.probe, addr, len, &r);
	struct strbuf out = STRBUF_INIT;
	if (run->cli.json) {
		report_json(&r, run->cli.verbose > 0, &out);
	} else if (r.failure == FAIL_INVALID_ADDRESS) {
		/* One line, on stderr: the address names itself, made safe to print. */
		struct strbuf e = STRBUF_INIT;
		strbuf_puts(&e, "smtpprobe: invalid address \"");
		report_sanitize(&e, addr, len);
		strbuf_printf(&e, "\": %s\n", r.message + strlen("invalid address: "));
		fwrite(e.data, 1, e.len, stderr);
		strbuf_free(&e);
	} else {
		report_text(&r, run->color, &out);
	}
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	fflush(stdout);
	strbuf_free(&out);
	run->status = result_exit_combine(run->status, r.exit_status);
	probe_result_free(&r);
}

static int probe_file(struct run *run, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "smtpprobe: cannot open --input \"%s\": %m\n", path);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		/* LF and CRLF line endings are both fine; a CR anywhere else is not. */
		if (len && line[len - 1] == '\n')
			len--;
		if (len && line[len - 1] == '\r')
			len--;
		size_t start = 0;
		while (start < len && (line[start] == ' ' || line[start] == '\t'))
			start++;
		while (len > start && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (start == len || line[start] == '#')
			continue;
		if (len - start > INPUT_LINE_MAX) {
			fprintf(stderr, "smtpprobe: --input line longer than %d octets skipped\n", INPUT_LINE_MAX);
			run->status = result_exit_combine(run->status, EXIT_USAGE);
			continue;
		}
		probe_one(run, line + start, len - start);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

/* This host's FQDN when it has one; otherwise the probe uses its address literal. */
static void default_helo(struct cli *c)
{
	if (c->probe.helo)
		return;
	char name[256];
	if (gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = '\0';
		if (strchr(name, '.') && addr_valid_hostname(name)) {
			snprintf(c->helo, sizeof c->helo, "%s", name);
			c->probe.helo = c->helo;
		}
	}
}

int main(int argc, char **argv)
{
	struct run run = { 0 };
	char err[256];
	signal(SIGPIPE, SIG_IGN);

	switch (cli_parse(argc, argv, &run.cli, err, sizeof err)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_USAGE:
		fprintf(stderr, "smtpprobe: %s\n", err);
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	const char *nc = getenv("NO_COLOR");
	run.color = run.cli.color == CLI_COLOR_ALWAYS ||
		(run.cli.color == CLI_COLOR_AUTO && isatty(STDOUT_FILENO) && !(nc && nc[0]));
	if (run.cli.verbose > 0 && !run.cli.json) {
		run.cli.probe.trace = trace_stderr;
		run.cli.probe.trace_ctx = &run;
	}
	default_helo(&run.cli);

	char *secret = NULL;
	if (run.cli.probe.auth_user) {
		if (secret_read(run.cli.password_file, run.cli.probe.auth_user, &secret, err, sizeof err) < 0) {
			fprintf(stderr, "smtpprobe: %s\n", err);
			return EXIT_USAGE;
		}
		run.cli.probe.auth_secret = secret;
	}
	if (run.cli.probe.tls.mode != TLS_NONE) {
		run.cli.probe.tls_ctx = tls_ctx_new(&run.cli.probe.tls, err, sizeof err);
		if (!run.cli.probe.tls_ctx) {
			fprintf(stderr, "smtpprobe: %s\n", err);
			secret_free(secret);
			return run.cli.probe.tls.ca_file || run.cli.probe.tls.ca_path ? EXIT_USAGE : EXIT_SOFTWARE;
		}
	}

	run.loop = loop_new();
	if (!run.loop) {
		fprintf(stderr, "smtpprobe: cannot create the event loop: %m\n");
		SSL_CTX_free(run.cli.probe.tls_ctx);
		secret_free(secret);
		return EXIT_SOFTWARE;
	}
	/* Two tries per query fit inside the DNS step's timeout. */
	int try_ms = run.cli.probe.timeout_ms[STEP_DNS] / 3;
	run.dns = dns_new(run.loop, run.cli.resolver, try_ms < 200 ? 200 : try_ms, err, sizeof err);
	if (!run.dns) {
		fprintf(stderr, "smtpprobe: %s\n", err);
		loop_free(run.loop);
		SSL_CTX_free(run.cli.probe.tls_ctx);
		secret_free(secret);
		return run.cli.resolver ? EXIT_USAGE : EXIT_SOFTWARE;
	}

	run.status = 0;
	for (int i = 0; i < run.cli.naddresses; i++)
		probe_one(&run, run.cli.addresses[i], strlen(run.cli.addresses[i]));
	if (run.cli.input && probe_file(&run, run.cli.input) < 0)
		run.status = result_exit_combine(run.status, EXIT_USAGE);

	dns_free(run.dns);
	loop_free(run.loop);
	SSL_CTX_free(run.cli.probe.tls_ctx);
	secret_free(secret);
	return run.status;
}
