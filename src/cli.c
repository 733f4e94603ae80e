/* cli.c - option table, parsing and validation (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "auth.h"
#include "config.h"
#include "i18n.h"
#include "tls.h"

enum {
	OPT_FROM = 256, OPT_HELO, OPT_SERVER, OPT_PORT, OPT_RESOLVER, OPT_ALL_MX,
	OPT_TIMEOUT, OPT_SIZE, OPT_INPUT, OPT_JSON, OPT_FORMAT, OPT_SUMMARY, OPT_COLOR,
	OPT_TLS, OPT_TLS_VERIFY, OPT_TLS_NAME, OPT_CA_FILE, OPT_CA_PATH, OPT_TLS_MIN,
	OPT_AUTH, OPT_AUTH_MECH, OPT_PASSWORD_FILE, OPT_ALLOW_PLAIN, OPT_ALLOW_UNVERIFIED, OPT_PROXY,
	OPT_CATCH_ALL, OPT_NO_CATCH_ALL, OPT_REQUIRE_MAILBOX, OPT_RETRY_GREYLIST, OPT_PER_DOMAIN,
	OPT_RCPT_PER_SESSION, OPT_MAX_TIME, OPT_ORDER, OPT_SHARD, OPT_RESUME, OPT_EXPECT, OPT_JUNIT,
	OPT_CERT_MIN_DAYS, OPT_STRICT, OPT_REPROBE, OPT_REPROBE_AS_SENDER,
};

/*
 * Option scopes (the cmds column): 0, the default, is every command. The
 * audit chooses its own servers, recipients and TLS policy: the options
 * that steer those are PROBE | EXPLAIN.
 */
#define ALL 0u
#define PROBE (1u << CLI_CMD_PROBE)
#define EXPLAIN (1u << CLI_CMD_EXPLAIN)
#define AUDIT (1u << CLI_CMD_AUDIT)

#define GREYLIST_WAIT_DEFAULT 300 /* postgrey's and rspamd's default delay */

static const struct {
	const char *name;
	int has_arg;
	int val;
	const char *arg;
	const char *help;
	unsigned cmds;  /* the commands that take it: CMD_* bits; 0 means every command */
} options[] = {
	{ "from", required_argument, OPT_FROM, "ADDR", N_("envelope sender for MAIL FROM (default: <>, the null sender)"), ALL },
	{ "helo", required_argument, OPT_HELO, "NAME", N_("name for EHLO/HELO (default: this host's FQDN, else its address literal)"), ALL },
	{ "server", required_argument, OPT_SERVER, "HOST[:PORT]", N_("probe this server instead of the domain's MX hosts"), PROBE | EXPLAIN },
	{ "port", required_argument, OPT_PORT, "N", N_("TCP port for every host (default 25)"), ALL },
	{ "resolver", required_argument, OPT_RESOLVER, "IP[:PORT][,...]", N_("DNS servers to use instead of /etc/resolv.conf"), ALL },
	{ "ipv4", no_argument, '4', NULL, N_("connect over IPv4 only"), ALL },
	{ "ipv6", no_argument, '6', NULL, N_("connect over IPv6 only"), ALL },
	{ "all-mx", no_argument, OPT_ALL_MX, NULL, N_("probe every MX host and report each one"), PROBE | EXPLAIN },
	{ "no-catch-all", no_argument, OPT_NO_CATCH_ALL, NULL, N_("do not try a made-up recipient after an accepted one (the catch-all check, once per domain)"), PROBE | EXPLAIN },
	{ "catch-all", no_argument, OPT_CATCH_ALL, NULL, N_("the catch-all check (the default; kept for old scripts)"), PROBE | EXPLAIN },
	{ "require-mailbox", no_argument, OPT_REQUIRE_MAILBOX, NULL, N_("exit 79 when a recipient is accepted but its mailbox is unverifiable (catch-all, 252)"), PROBE | EXPLAIN },
	{ "retry-greylist", optional_argument, OPT_RETRY_GREYLIST, "[=SECONDS]", N_("when greylisted, wait (default 300 s) and try once more"), PROBE | EXPLAIN },
	{ "timeout", required_argument, OPT_TIMEOUT, "SECONDS", N_("timeout for every step (default: DNS 10, connect 10, replies 30)"), ALL },
	{ "size", required_argument, OPT_SIZE, "N", N_("declare SIZE=N at MAIL FROM when the server supports SIZE"), ALL },
	{ "input", required_argument, OPT_INPUT, "FILE", N_("read addresses from FILE ('-' for stdin): one per line, or several separated by , or ;"), PROBE },
	{ "concurrency", required_argument, 'j', "N", N_("probe up to N addresses at once (default 8); results keep input order"), PROBE | EXPLAIN },
	{ "per-domain", required_argument, OPT_PER_DOMAIN, "N", N_("at most N sessions at once to one domain or --server (default 1)"), PROBE | EXPLAIN },
	{ "rcpt-per-session", required_argument, OPT_RCPT_PER_SESSION, "N", N_("recipients of one domain probed in one SMTP session, at most (default 50)"), PROBE | EXPLAIN },
	{ "max-time", required_argument, OPT_MAX_TIME, "SECONDS", N_("give up on an address after this long, all hosts and retries included (default 300)"), ALL },
	{ "order", required_argument, OPT_ORDER, "HOW", N_("input (default: results in input order) or completion (as they finish)"), PROBE },
	{ "shard", required_argument, OPT_SHARD, "K/N", N_("probe only the domains of shard K of N (a stable hash), to split a list over N machines"), PROBE },
	{ "resume", required_argument, OPT_RESUME, "FILE", N_("skip addresses that already have a result in FILE (JSON Lines of an earlier run)"), PROBE },
	{ "reprobe", no_argument, OPT_REPROBE, NULL, N_("probe each failed recipient now and say whether the problem is gone, the same or changed"), EXPLAIN },
	{ "reprobe-as-sender", no_argument, OPT_REPROBE_AS_SENDER, NULL, N_("the same as --reprobe, with the bounce's original sender as MAIL FROM"), EXPLAIN },
	{ "expect", required_argument, OPT_EXPECT, "FILE", N_("probe the addresses of FILE and compare each result with its line: ADDRESS VERDICT [STEP [CATEGORY [BLAME]]] [KEY=VALUE...]; exit 1 when any differs (docs/output.md)"), PROBE },
	{ "junit", required_argument, OPT_JUNIT, "FILE", N_("also write a JUnit XML report to FILE: one testcase per expectation (--expect) or per check (audit); docs/ci.md"), PROBE | AUDIT },
	{ "cert-min-days", required_argument, OPT_CERT_MIN_DAYS, "N", N_("warn when a certificate expires in fewer than N days (default 14); an expired one fails"), AUDIT },
	{ "strict", no_argument, OPT_STRICT, NULL, N_("warnings fail too (exit status 1)"), AUDIT },
	{ "tls", required_argument, OPT_TLS, "MODE", N_("auto (default: STARTTLS when offered), required, none, implicit (TLS on connect, port 465)"), ALL },
	{ "tls-verify", no_argument, OPT_TLS_VERIFY, NULL, N_("fail at step tls unless the certificate chain and host name verify"), PROBE | EXPLAIN },
	{ "tls-name", required_argument, OPT_TLS_NAME, "NAME", N_("name for SNI and certificate checks (default: the MX or --server host)"), ALL },
	{ "ca-file", required_argument, OPT_CA_FILE, "FILE", N_("extra trust anchors (PEM); the system store is always used"), ALL },
	{ "ca-path", required_argument, OPT_CA_PATH, "DIR", N_("extra trust anchors (hashed directory)"), ALL },
	{ "tls-min-version", required_argument, OPT_TLS_MIN, "VER", N_("lowest TLS version to accept: 1.0, 1.1, 1.2, 1.3"), ALL },
	{ "auth", required_argument, OPT_AUTH, "USER", N_("authenticate as USER; the secret comes from SMTPPROBE_PASSWORD, --password-file or a prompt"), PROBE | EXPLAIN },
	{ "auth-mech", required_argument, OPT_AUTH_MECH, "MECH", N_("PLAIN, LOGIN, CRAM-MD5 or XOAUTH2 (default: the strongest offered)"), PROBE | EXPLAIN },
	{ "password-file", required_argument, OPT_PASSWORD_FILE, "FILE", N_("read the AUTH secret from the first line of FILE"), PROBE | EXPLAIN },
	{ "allow-plaintext-auth", no_argument, OPT_ALLOW_PLAIN, NULL, N_("allow AUTH on an unencrypted connection"), PROBE | EXPLAIN },
	{ "allow-unverified-auth", no_argument, OPT_ALLOW_UNVERIFIED, NULL, N_("allow AUTH over TLS whose certificate did not verify for the server's name"), PROBE | EXPLAIN },
	{ "proxy", required_argument, OPT_PROXY, "URL", N_("connect through socks5://[user:pass@]host:port (socks5h:// resolves there); also SMTPPROBE_PROXY"), ALL },
	{ "format", required_argument, OPT_FORMAT, "FORMAT", N_("text (default: a report for people), line (one line per address, for grep), csv (for spreadsheets) or json"), ALL },
	{ "json", no_argument, OPT_JSON, NULL, N_("the same as --format json: JSON Lines, one object per address (docs/output.md)"), ALL },
	{ "summary", no_argument, OPT_SUMMARY, NULL, N_("at the end, counts by verdict, category and blame on stderr (the default on a terminal with several addresses)"), PROBE },
	{ "verbose", no_argument, 'v', NULL, N_("show the SMTP transcript (stderr; in JSON as \"transcript\"); twice: state changes"), ALL },
	{ "color", required_argument, OPT_COLOR, "WHEN", N_("colour the report: auto (default; honours NO_COLOR), always, never"), ALL },
	{ "help", no_argument, 'h', NULL, N_("show this help"), ALL },
	{ "version", no_argument, 'V', NULL, N_("show the version"), ALL },
};
#define NOPTIONS (sizeof options / sizeof options[0])

/*
 * The commands: a first argument that names one selects it. Probing is
 * the default, so `smtpprobe ADDRESS` stays what it always was.
 */
static const struct {
	const char *name;
	const char *usage;     /* the usage line and what the command does */
	const char *exits[2];  /* its exit statuses, the end of its --help */
} commands[CLI_CMD_COUNT] = {
	[CLI_CMD_PROBE] = { "probe", N_("usage: smtpprobe [options] ADDRESS...\n"
	                                "Check whether ADDRESS accepts mail, without sending any: walks the SMTP\n"
	                                "dialogue up to RCPT TO and reports where and why a server refuses.\n"),
	                    { N_("\nExit status: 0 all accepted, 67 the mailbox refused, 77 refused because of\n"
	                         "this client, its sender or a policy (not the mailbox), 68 no mail host,\n"
	                         "69 refused otherwise, 75 temporary failure, 76 protocol error, 79 mailbox\n"
	                         "unverifiable (--require-mailbox), 65 an address that does not parse, 64 bad\n"
	                         "option, 70 internal error (docs/output.md).\n"),
	                      N_("With --expect: 0 every expectation holds, 1 one does not.\n") } },
	[CLI_CMD_EXPLAIN] = { "explain", N_("usage: smtpprobe explain [options] [FILE...]\n"
	                                    "Read a bounce (FILE, or standard input) and say, for each failed recipient,\n"
	                                    "at which SMTP step which server refused, why, and what to do.\n"),
	                      { N_("\nExit status: 0 every FILE explained (whatever it reports), 65 a FILE is not a\n"
	                           "bounce, 66 a FILE cannot be read, 64 bad option (docs/output.md).\n") } },
	[CLI_CMD_AUDIT] = { "audit", N_("usage: smtpprobe audit [options] DOMAIN...\n"
	                                "Check a domain's inbound mail setup: DNS, every MX host and address, SMTP,\n"
	                                "TLS, MTA-STS, TLS-RPT and DANE; one line per check.\n"),
	                    { N_("\nExit status: 0 no check failed, 1 a check failed (or warned, with --strict),\n"
	                         "75 none failed but one could not run from here, 64 bad option, 74 the\n"
	                         "report or the JUnit file could not be written (docs/ci.md).\n") } },
};

const char *cli_command_name(enum cli_command cmd)
{
	return commands[cmd].name;
}

static bool option_applies(size_t i, enum cli_command cmd)
{
	return options[i].cmds == 0 || (options[i].cmds & (1u << cmd));
}

static void help_option(FILE *out, size_t i)
{
	char left[64];
	const char *sep = options[i].arg && options[i].has_arg != optional_argument ? " " : "";
	const char *arg = options[i].arg ? options[i].arg : "";
	if (options[i].val < 256)
		snprintf(left, sizeof left, "-%c, --%s%s%s", options[i].val, options[i].name, sep, arg);
	else
		snprintf(left, sizeof left, "    --%s%s%s", options[i].name, sep, arg);
	fprintf(out, "  %-30s %s\n", left, _(options[i].help));
}

/*
 * The probe's help lists every option, those of the other commands under
 * their own heading, so that one --help documents the whole tool.
 */
void cli_help(FILE *out, enum cli_command cmd)
{
	fputs(_(commands[cmd].usage), out);
	if (cmd == CLI_CMD_PROBE)
		fputs(_("       smtpprobe explain [options] [FILE...]   (read a bounce)\n"
		        "       smtpprobe audit [options] DOMAIN...     (check a domain's mail setup)\n"), out);
	fputc('\n', out);
	for (size_t i = 0; i < NOPTIONS; i++)
		if (option_applies(i, cmd))
			help_option(out, i);
	if (cmd == CLI_CMD_PROBE) {
		for (int c = CLI_CMD_PROBE + 1; c < CLI_CMD_COUNT; c++) {
			bool heading = false;
			for (size_t i = 0; i < NOPTIONS; i++) {
				if (!options[i].cmds || (options[i].cmds & PROBE) || !(options[i].cmds & (1u << c)))
					continue;
				/* an option of several commands is listed under the first one */
				if (options[i].cmds & ((1u << c) - 1))
					continue;
				if (!heading)
					fprintf(out, _("\nOptions of smtpprobe %s:\n"), commands[c].name);
				heading = true;
				help_option(out, i);
			}
		}
	}
	for (size_t k = 0; k < 2 && commands[cmd].exits[k]; k++)
		fputs(_(commands[cmd].exits[k]), out);
}

static enum cli_result usage(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum cli_result usage(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* The index of arg among the n words (a value that names a choice), or -1. */
static int keyword(const char *arg, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (words[i] && strcmp(arg, words[i]) == 0)
			return i;
	return -1;
}

#define KEYWORD(arg, words) keyword((arg), (words), (int)(sizeof(words) / sizeof((words)[0])))

/* "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 address. */
static bool parse_server(struct cli *c, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	size_t hostlen = strlen(arg);
	long port = 0;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close)
			return false;
		hostlen = (size_t)(close - arg) + 1;
		if (close[1] == ':') {
			if (!parse_long(close + 2, 1, 65535, &port))
				return false;
		} else if (close[1] != '\0') {
			return false;
		}
	} else if (colon && strchr(arg, ':') == colon) {
		hostlen = (size_t)(colon - arg);
		if (!parse_long(colon + 1, 1, 65535, &port))
			return false;
	}
	if (hostlen == 0 || hostlen >= sizeof c->server)
		return false;
	memcpy(c->server, arg, hostlen);
	c->server[hostlen] = '\0';
	c->probe.server_host = c->server;
	c->probe.server_port = (int)port;
	return true;
}

/*
 * --resolver: IP addresses only, "IP", "IP:PORT", "[IPv6]:PORT" or a bare
 * IPv6 address, comma-separated (what c-ares takes). A host name such as
 * dns.google would need a resolver to find the resolver.
 */
static bool valid_resolvers(const char *list)
{
	char entry[128];
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof entry)
			return false;
		memcpy(entry, p, n);
		entry[n] = '\0';
		unsigned char addr[16];
		long port;
		char *host = entry, *portstr = NULL;
		int family = AF_INET;
		if (entry[0] == '[') {
			char *close = strchr(entry, ']');
			if (!close || (close[1] && close[1] != ':'))
				return false;
			*close = '\0';
			host = entry + 1;
			portstr = close[1] ? close + 2 : NULL;
			family = AF_INET6;
		} else if (strchr(entry, ':') != strrchr(entry, ':')) {
			family = AF_INET6;      /* a bare IPv6 address: no port */
		} else if ((portstr = strchr(entry, ':'))) {
			*portstr++ = '\0';
		}
		if (inet_pton(family, host, addr) != 1)
			return false;
		if (portstr && !parse_long(portstr, 1, 65535, &port))
			return false;
		p += n;
		if (!*p)
			return true;
	}
}

/* --expect takes its addresses from its file, all of them, and shows them as a test runner or in JSON. */
static enum cli_result check_expect(const struct cli *c, char *err, size_t errsz)
{
	if (!c->expect)
		return usage(err, errsz, _("--junit goes with --expect FILE"));
	if (c->naddresses > 0 || c->input)
		return usage(err, errsz, _("--expect takes the addresses from its file: drop the ADDRESS arguments and --input"));
	if (c->resume || c->shard_n)
		return usage(err, errsz, _("--expect probes every address of its file: drop --resume and --shard"));
	if (c->format == OUTPUT_LINE || c->format == OUTPUT_CSV)
		return usage(err, errsz, _("--expect writes text or JSON: drop --format line or csv"));
	if (c->completion_order)
		return usage(err, errsz, _("--expect shows the results in the order of its file: drop --order completion"));
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct cli *c, char *err, size_t errsz)
{
	struct option longopts[NOPTIONS + 1];
	for (size_t i = 0; i < NOPTIONS; i++)
		longopts[i] = (struct option){ options[i].name, options[i].has_arg, NULL, options[i].val };
	longopts[NOPTIONS] = (struct option){ 0 };

	memset(c, 0, sizeof *c);
	probe_options_defaults(&c->probe);
	c->from.is_null = true;
	c->concurrency = 8;
	c->per_domain = 1;
	c->cert_min_days = 14;  /* AUDIT_CERT_MIN_DAYS */
	c->probe.max_time_s = PROBE_MAX_TIME_DEFAULT;
	opterr = 0;
	optind = 1;
	for (int i = CLI_CMD_PROBE + 1; argc > 1 && i < CLI_CMD_COUNT; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			c->command = (enum cli_command)i;
			optind = 2;
		}
	int ch;
	long v;
	bool port_given = false, no_catch_all = false;
	int li = -1;
	while ((ch = getopt_long(argc, argv, ":46vhVj:", longopts, &li)) != -1) {
		/* Name the option: "-j" for a short one, "--helo" for a long one. */
		char name[40];
		if (li >= 0)
			snprintf(name, sizeof name, "--%s", longopts[li].name);
		else
			snprintf(name, sizeof name, "-%c", ch);
		int opt_index = li;
		li = -1;
		if (ch != '?' && ch != ':') {
			/* a short option has its entry too: find it for the scope check */
			for (size_t i = 0; opt_index < 0 && i < NOPTIONS; i++)
				if (options[i].val == ch)
					opt_index = (int)i;
			if (opt_index >= 0 && !option_applies((size_t)opt_index, c->command))
				return usage(err, errsz, _("%s does not apply to smtpprobe %s (see smtpprobe %s --help)"), name,
				             commands[c->command].name, commands[c->command].name);
		}
		if (optarg && has_control(optarg))
			return usage(err, errsz, _("the argument of %s contains a control character (CR, LF, ...)"), name);
		switch (ch) {
		case OPT_FROM: {
			enum addr_error ae = addr_parse(optarg, strlen(optarg), true, &c->from);
			if (ae != ADDR_OK)
				return usage(err, errsz, _("invalid --from address: %s"), _(addr_strerror(ae)));
			if (!c->from.is_null && !addr_format(&c->from, c->from_text, sizeof c->from_text))
				return usage(err, errsz, _("invalid --from address: too long"));
			c->probe.mail_from = c->from.is_null ? "" : c->from_text;
			c->probe.from_needs_smtputf8 = c->from.needs_smtputf8;
			break;
		}
		case OPT_HELO:
			if (!addr_valid_hostname(optarg))
				return usage(err, errsz, _("invalid --helo name \"%s\": use a host name or an address literal"), optarg);
			snprintf(c->helo, sizeof c->helo, "%s", optarg);
			c->probe.helo = c->helo;
			break;
		case OPT_SERVER:
			if (!parse_server(c, optarg))
				return usage(err, errsz, _("invalid --server \"%s\": use HOST, HOST:PORT or [IPv6]:PORT"), optarg);
			break;
		case OPT_PORT:
			if (!parse_long(optarg, 1, 65535, &v))
				return usage(err, errsz, _("invalid --port \"%s\": use 1 to 65535"), optarg);
			c->probe.port = (int)v;
			port_given = true;
			break;
		case OPT_RESOLVER:
			if (!valid_resolvers(optarg))
				return usage(err, errsz, _("invalid --resolver \"%s\": give IP addresses (IP, IP:PORT or [IPv6]:PORT, separated by commas), not host names"), optarg);
			c->resolver = optarg;
			c->probe.resolver_given = true;
			break;
		case '4':
			c->probe.family = AF_INET;
			break;
		case '6':
			c->probe.family = AF_INET6;
			break;
		case OPT_ALL_MX:
			c->probe.all_mx = true;
			break;
		case OPT_CATCH_ALL:
			c->probe.catch_all = true;
			break;
		case OPT_NO_CATCH_ALL:
			c->probe.catch_all = false;
			no_catch_all = true;
			break;
		case OPT_REQUIRE_MAILBOX:
			c->probe.require_mailbox = true;
			break;
		case OPT_RETRY_GREYLIST:
			c->probe.retry_greylist_s = GREYLIST_WAIT_DEFAULT;
			if (optarg && !parse_long(optarg, 1, 3600, &v))
				return usage(err, errsz, _("invalid --retry-greylist \"%s\": use seconds from 1 to 3600"), optarg);
			if (optarg)
				c->probe.retry_greylist_s = (int)v;
			break;
		case OPT_TIMEOUT: {
			char *end;
			double secs = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !isfinite(secs) || secs <= 0 || secs > 3600)
				return usage(err, errsz, _("invalid --timeout \"%s\": use seconds, more than 0 and at most 3600"), optarg);
			for (int s = 0; s < STEP_COUNT; s++)
				c->probe.timeout_ms[s] = (int)(secs * 1000);
			break;
		}
		case OPT_SIZE: {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end != '\0' || optarg[0] == '-' || n == 0)
				return usage(err, errsz, _("invalid --size \"%s\": use a positive number of octets"), optarg);
			c->probe.size = n;
			break;
		}
		case OPT_INPUT:
			c->input = optarg;
			break;
		case OPT_REPROBE:
			c->reprobe = true;
			break;
		case OPT_REPROBE_AS_SENDER:
			c->reprobe = c->reprobe_as_sender = true;
			break;
		case OPT_TLS: {
			static const char *const modes[] = {
				[TLS_AUTO] = "auto", [TLS_REQUIRED] = "required",
				[TLS_NONE] = "none", [TLS_IMPLICIT] = "implicit",
			};
			int i = KEYWORD(optarg, modes);
			if (i < 0)
				return usage(err, errsz, _("invalid --tls \"%s\": use auto, required, none or implicit"), optarg);
			c->probe.tls.mode = (enum tls_mode)i;
			break;
		}
		case OPT_TLS_VERIFY:
			c->probe.tls.verify = true;
			break;
		case OPT_TLS_NAME:
			if (!addr_valid_hostname(optarg))
				return usage(err, errsz, _("invalid --tls-name \"%s\": use a host name"), optarg);
			c->probe.tls_name = optarg;
			break;
		case OPT_CA_FILE:
			c->probe.tls.ca_file = optarg;
			break;
		case OPT_CA_PATH:
			c->probe.tls.ca_path = optarg;
			break;
		case OPT_TLS_MIN:
			c->probe.tls.min_version = tls_parse_version(optarg);
			if (!c->probe.tls.min_version)
				return usage(err, errsz, _("invalid --tls-min-version \"%s\": use 1.0, 1.1, 1.2 or 1.3"), optarg);
			break;
		case OPT_AUTH:
			if (!optarg[0] || strlen(optarg) > 255)
				return usage(err, errsz, _("invalid --auth: give a user name of 1 to 255 octets"));
			c->probe.auth_user = optarg;
			break;
		case OPT_AUTH_MECH:
			c->probe.auth_mech = auth_mech_parse(optarg);
			if (c->probe.auth_mech == AUTH_NONE)
				return usage(err, errsz, _("invalid --auth-mech \"%s\": use PLAIN, LOGIN, CRAM-MD5 or XOAUTH2"), optarg);
			break;
		case OPT_PASSWORD_FILE:
			c->password_file = optarg;
			break;
		case OPT_ALLOW_PLAIN:
			c->probe.allow_plaintext_auth = true;
			break;
		case OPT_ALLOW_UNVERIFIED:
			c->probe.allow_unverified_auth = true;
			break;
		case OPT_PROXY:
			c->proxy = optarg;
			break;
		case OPT_JSON:
			c->format = OUTPUT_JSON;
			break;
		case OPT_SUMMARY:
			c->summary = true;
			break;
		case OPT_FORMAT: {
			static const char *const formats[] = {
				[OUTPUT_TEXT] = "text", [OUTPUT_LINE] = "line",
				[OUTPUT_CSV] = "csv", [OUTPUT_JSON] = "json",
			};
			int i = KEYWORD(optarg, formats);
			if (i < 0)
				return usage(err, errsz, _("invalid --format \"%s\": use text, line, csv or json"), optarg);
			c->format = (enum output_format)i;
			break;
		}
		case 'j':
			if (!parse_long(optarg, 1, 256, &v))
				return usage(err, errsz, _("invalid --concurrency \"%s\": use 1 to 256"), optarg);
			c->concurrency = (int)v;
			break;
		case OPT_PER_DOMAIN:
			if (!parse_long(optarg, 1, 64, &v))
				return usage(err, errsz, _("invalid --per-domain \"%s\": use 1 to 64"), optarg);
			c->per_domain = (int)v;
			break;
		case OPT_RCPT_PER_SESSION:
			if (!parse_long(optarg, 1, 1000, &v))
				return usage(err, errsz, _("invalid --rcpt-per-session \"%s\": use 1 to 1000"), optarg);
			c->probe.rcpt_per_session = (int)v;
			break;
		case OPT_MAX_TIME:
			if (!parse_long(optarg, 1, 86400, &v))
				return usage(err, errsz, _("invalid --max-time \"%s\": use seconds from 1 to 86400"), optarg);
			c->probe.max_time_s = (int)v;
			break;
		case OPT_ORDER: {
			static const char *const orders[] = { "input", "completion" };
			int i = KEYWORD(optarg, orders);
			if (i < 0)
				return usage(err, errsz, _("invalid --order \"%s\": use input or completion"), optarg);
			c->completion_order = i == 1;
			break;
		}
		case OPT_SHARD: {
			long k, n;
			char *slash = strchr(optarg, '/');
			char kbuf[16];
			if (!slash || (size_t)(slash - optarg) >= sizeof kbuf)
				return usage(err, errsz, _("invalid --shard \"%s\": use K/N, e.g. 2/8"), optarg);
			snprintf(kbuf, sizeof kbuf, "%.*s", (int)(slash - optarg), optarg);
			if (!parse_long(kbuf, 1, 100000, &k) || !parse_long(slash + 1, 1, 100000, &n) || k > n)
				return usage(err, errsz, _("invalid --shard \"%s\": use K/N with 1 <= K <= N, e.g. 2/8"), optarg);
			c->shard_k = (int)k;
			c->shard_n = (int)n;
			break;
		}
		case OPT_RESUME:
			c->resume = optarg;
			break;
		case OPT_CERT_MIN_DAYS:
			if (!parse_long(optarg, 0, 3650, &v))
				return usage(err, errsz, _("invalid --cert-min-days \"%s\": use 0 to 3650"), optarg);
			c->cert_min_days = (int)v;
			break;
		case OPT_STRICT:
			c->strict = true;
			break;
		case OPT_EXPECT:
			c->expect = optarg;
			break;
		case OPT_JUNIT:
			c->junit = optarg;
			break;
		case 'v':
			c->verbose++;
			break;
		case OPT_COLOR: {
			static const char *const colors[] = {
				[CLI_COLOR_AUTO] = "auto", [CLI_COLOR_ALWAYS] = "always", [CLI_COLOR_NEVER] = "never",
			};
			int i = KEYWORD(optarg, colors);
			if (i < 0)
				return usage(err, errsz, _("invalid --color \"%s\": use auto, always or never"), optarg);
			c->color = (enum cli_color)i;
			break;
		}
		case 'h':
			cli_help(stdout, c->command);
			return CLI_EXIT_OK;
		case 'V':
			printf("smtpprobe %s\n", SMTPPROBE_VERSION);
			return CLI_EXIT_OK;
		case ':':
			return usage(err, errsz, _("option %s needs an argument"), argv[optind - 1]);
		default:
			return usage(err, errsz, _("unknown option %s (see --help)"), argv[optind - 1]);
		}
	}
	if (c->probe.require_mailbox && no_catch_all)
		return usage(err, errsz, _("--require-mailbox needs the catch-all check: drop --no-catch-all"));
	if (c->probe.tls.mode == TLS_IMPLICIT && !port_given)
		c->probe.port = 465;
	if ((c->password_file || c->probe.auth_mech) && !c->probe.auth_user)
		return usage(err, errsz, _("--password-file and --auth-mech go with --auth USER"));
	if (c->probe.auth_user && c->probe.tls.mode == TLS_NONE && !c->probe.allow_plaintext_auth)
		return usage(err, errsz, _("--auth with --tls none would send credentials in clear text (add --allow-plaintext-auth to do it anyway)"));
	if (c->probe.tls.verify && c->probe.tls.mode == TLS_NONE)
		return usage(err, errsz, _("--tls-verify needs TLS: drop --tls none"));
	c->probe.verbose = c->verbose;
	c->probe.keep_transcript = c->verbose > 0 && c->format == OUTPUT_JSON;
	c->addresses = argv + optind;
	c->naddresses = argc - optind;
	if (c->command == CLI_CMD_PROBE && (c->expect || c->junit))
		return check_expect(c, err, errsz);
	if (c->command == CLI_CMD_PROBE && c->naddresses == 0 && !c->input)
		return usage(err, errsz, _("no address given (see --help)"));
	if (c->command == CLI_CMD_EXPLAIN && (c->format == OUTPUT_LINE || c->format == OUTPUT_CSV))
		return usage(err, errsz, _("smtpprobe explain writes text or json (--format text or --format json)"));
	if (c->command == CLI_CMD_AUDIT && c->naddresses == 0)
		return usage(err, errsz, _("no domain given (see smtpprobe audit --help)"));
	if (c->command == CLI_CMD_AUDIT && c->format != OUTPUT_TEXT && c->format != OUTPUT_JSON)
		return usage(err, errsz, _("smtpprobe audit writes text or JSON: use --format text or json"));
	return CLI_RUN;
}
