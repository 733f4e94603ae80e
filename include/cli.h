/*
 * cli.h - the command line: one table holds every option with its help
 * text, so --help, the README's option list and the parser cannot disagree.
 */
#ifndef SMTPPROBE_CLI_H
#define SMTPPROBE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "address.h"
#include "output.h"
#include "probe.h"

enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

/* What the first argument asks for; without a command word, probing. */
enum cli_command {
	CLI_CMD_PROBE = 0,   /* smtpprobe ADDRESS... */
	CLI_CMD_EXPLAIN,     /* smtpprobe explain [FILE...]: read bounces */
	CLI_CMD_AUDIT,       /* smtpprobe audit DOMAIN...: check a domain's mail setup */
	CLI_CMD_COUNT
};

struct cli {
	enum cli_command command;
	struct probe_options probe;
	enum output_format format;  /* --format; --json is OUTPUT_JSON */
	bool summary;               /* --summary */
	int verbose;
	enum cli_color color;
	const char *resolver;
	const char *input;          /* --input FILE, "-" = stdin */
	char **addresses;           /* into argv: addresses, explain's files or audit's domains */
	int naddresses;
	struct address from;        /* parsed --from */
	char from_text[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	char server[300];           /* host part of --server */
	char helo[256];
	const char *password_file;
	int concurrency;            /* -j */
	int per_domain;
	bool completion_order;      /* --order completion */
	int shard_k, shard_n;       /* --shard K/N */
	const char *resume;         /* --resume FILE */
	const char *expect;         /* --expect FILE: expectations to check (expect.h) */
	const char *junit;          /* --junit FILE: with --expect, or audit's */
	const char *proxy;          /* --proxy, else SMTPPROBE_PROXY */
	bool reprobe;               /* explain --reprobe: probe each failed recipient now */
	bool reprobe_as_sender;     /* explain --reprobe-as-sender: ... with the bounce's sender as MAIL FROM */
	int cert_min_days;          /* audit --cert-min-days */
	bool strict;                /* audit --strict: warnings fail */
};

enum cli_result {
	CLI_RUN,      /* go on and probe */
	CLI_EXIT_OK,  /* --help or --version was printed */
	CLI_USAGE,    /* err holds one line; exit 64 */
};

enum cli_result cli_parse(int argc, char **argv, struct cli *c, char *err, size_t errsz);
/* The command's usage and options; the probe's lists every command's options. */
void cli_help(FILE *out, enum cli_command cmd);
const char *cli_command_name(enum cli_command cmd);  /* "probe", "explain", "audit" */

#endif
