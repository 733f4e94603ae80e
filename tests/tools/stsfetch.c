/*
 * stsfetch - test driver for https.c and mta_sts.c, linked with the core
 * library (no hidden entry in smtpprobe): fetches one URL in the shared
 * loop as the audit will, parses the body as an MTA-STS policy when the
 * fetch succeeded, and prints one JSON line:
 *
 *   {"status":"ok","http_code":200,"content_type":"text/plain","ip":"127.0.0.1",
 *    "len":83,"error":null,"policy":{"mode":"enforce","max_age":86400,"mx":["..."]}}
 *
 * ("policy_error":"line 2: ..." instead of "policy" when it does not
 * parse). Usage:
 *   stsfetch [--resolver IP:PORT] [--ca-file F] [--ca-path D] [--port N]
 *            [--timeout MS] [--max N] [--any-type] [--cancel] URL
 * --resolver looks the host up with smtpprobe's c-ares resolver (else
 * libcurl resolves); --port is https_request.connect_port; --cancel
 * starts the fetch and cancels it at once (nothing may be printed but
 * {"cancelled":true}). Exit 0 when the fetch and the parse succeed, 1
 * otherwise, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "https.h"
#include "json.h"
#include "loop.h"
#include "mta_sts.h"
#include "strbuf.h"

struct run {
	bool done;
	int rc;
};

static void on_result(void *ctx, const struct https_result *r)
{
	struct run *run = ctx;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_key(&j, "status");
	json_string(&j, https_status_name(r->status));
	json_key(&j, "http_code");
	json_int(&j, r->http_code);
	json_key(&j, "content_type");
	json_string(&j, r->content_type);
	json_key(&j, "location");
	json_string(&j, r->location);
	json_key(&j, "ip");
	json_string(&j, r->ip);
	json_key(&j, "len");
	json_int(&j, (int64_t)r->len);
	json_key(&j, "error");
	if (r->status == HTTPS_OK)
		json_null(&j);
	else
		json_string(&j, r->error);
	run->rc = 1;
	if (r->status == HTTPS_OK) {
		struct mta_sts_policy p;
		char err[256];
		if (mta_sts_policy_parse(r->body, r->len, &p, err, sizeof err)) {
			json_key(&j, "policy");
			json_object_begin(&j);
			json_key(&j, "mode");
			json_string(&j, mta_sts_mode_name(p.mode));
			json_key(&j, "max_age");
			json_int(&j, p.max_age);
			json_key(&j, "mx");
			json_array_begin(&j);
			for (int i = 0; i < p.nmx; i++)
				json_string(&j, p.mx[i]);
			json_array_end(&j);
			json_object_end(&j);
			run->rc = 0;
		} else {
			json_key(&j, "policy_error");
			json_string(&j, err);
		}
	}
	json_object_end(&j);
	printf("%s\n", strbuf_str(&sb));
	strbuf_free(&sb);
	run->done = true;
}

static int usage(void)
{
	fprintf(stderr, "usage: stsfetch [--resolver IP:PORT] [--ca-file F] [--ca-path D] [--port N] [--timeout MS] "
	                "[--max N] [--any-type] [--cancel] URL\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct https_request req = { .content_type = "text/plain", .max_body = MTA_STS_POLICY_MAX };
	const char *resolver = NULL;
	bool cancel = false;
	int i;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--any-type") == 0) {
			req.content_type = NULL;
			continue;
		}
		if (strcmp(o, "--cancel") == 0) {
			cancel = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(o, "--resolver") == 0)
			resolver = v;
		else if (strcmp(o, "--ca-file") == 0)
			req.ca_file = v;
		else if (strcmp(o, "--ca-path") == 0)
			req.ca_path = v;
		else if (strcmp(o, "--port") == 0)
			req.connect_port = atoi(v);
		else if (strcmp(o, "--timeout") == 0)
			req.timeout_ms = atoi(v);
		else if (strcmp(o, "--max") == 0)
			req.max_body = (size_t)atol(v);
		else
			return usage();
	}
	if (i != argc - 1)
		return usage();
	req.url = argv[i];

	struct loop *l = loop_new();
	if (!l)
		return 1;
	char err[256];
	struct dns *d = NULL;
	if (resolver) {
		d = dns_new(l, resolver, 1000, err, sizeof err);
		if (!d) {
			fprintf(stderr, "stsfetch: %s\n", err);
			return 1;
		}
		req.dns = d;
	}
	struct run run = { 0 };
	struct https_fetch *f = https_fetch_start(l, &req, on_result, &run, err, sizeof err);
	if (!f) {
		printf("{\"start_error\":\"%s\"}\n", err);
		run.rc = 1;
	} else if (cancel) {
		https_fetch_cancel(f);
		printf("{\"cancelled\":true}\n");
		run.rc = 0;
	} else {
		loop_run(l, &run.done);
	}
	dns_free(d);
	loop_free(l);
	return run.rc;
}
