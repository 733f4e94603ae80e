/* tls.c - OpenSSL context and certificate audit (see tls.h). */
#include "tls.h"
#include "tls_session.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "i18n.h"

/*
 * Host-name matching as RFC 9525 wants it: a wildcard only as
 * the whole left-most label ("*.example.org", never "m*.example.org"), and
 * never the subject's CN as a fallback when the certificate has no DNS
 * SAN. OpenSSL's defaults (flags 0) allow both.
 */
#define TLS_HOST_FLAGS (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT)

void tls_last_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	if (e == 0) {
		snprintf(buf, len, "TLS failure");
	} else {
		char tmp[256];
		ERR_error_string_n(e, tmp, sizeof tmp);
		/* "error:0A000086:SSL routines::certificate verify failed" -> the reason. */
		const char *reason = ERR_reason_error_string(e);
		snprintf(buf, len, "%s", reason ? reason : tmp);
	}
	ERR_clear_error();
}

int tls_parse_version(const char *s)
{
	static const struct {
		const char *name;
		int version;
	} versions[] = {
		{ "1.0", TLS1_VERSION }, { "1.1", TLS1_1_VERSION },
		{ "1.2", TLS1_2_VERSION }, { "1.3", TLS1_3_VERSION },
	};
	if (strncasecmp(s, "TLSv", 4) == 0)
		s += 4;
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
		if (strcmp(s, versions[i].name) == 0)
			return versions[i].version;
	return 0;
}

SSL_CTX *tls_ctx_new(const struct tls_config *cfg, char *err, size_t errsz)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		tls_last_error(err, errsz);
		return NULL;
	}
	/* Verification runs in every mode and is judged afterwards; see tls.h. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* A file that is not there is the usual mistake: say so, not OpenSSL's error code. */
	const char *const opts[2][2] = { { "--ca-file", cfg->ca_file }, { "--ca-path", cfg->ca_path } };
	for (int i = 0; i < 2; i++) {
		if (opts[i][1] && access(opts[i][1], R_OK) != 0) {
			snprintf(err, errsz, _("cannot read %s %s: %s"), opts[i][0], opts[i][1], strerror(errno));
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	if ((cfg->ca_file || cfg->ca_path) &&
	    SSL_CTX_load_verify_locations(ctx, cfg->ca_file, cfg->ca_path) != 1) {
		char why[160];
		tls_last_error(why, sizeof why);
		snprintf(err, errsz, _("no certificates found in %s (PEM expected): %s"),
		         cfg->ca_file ? cfg->ca_file : cfg->ca_path, why);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (cfg->min_version && SSL_CTX_set_min_proto_version(ctx, cfg->min_version) != 1) {
		tls_last_error(err, errsz);
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Our output buffer moves as it grows and may be written in parts. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	tls_session_attach(ctx);
	return ctx;
}

/*
 * The system trust store, loaded at the first handshake and not before:
 * parsing the CA bundle costs ~60 ms, most of a probe's CPU time, and most
 * probes never see STARTTLS. Honours SSL_CERT_FILE and SSL_CERT_DIR.
 */
/* Whether dir holds c_rehash links ("5ad8a5d6.0"): OpenSSL then reads only the issuers it needs. */
static bool hashed_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d)) != NULL;) {
		const char *n = e->d_name;
		size_t i = 0;
		while (i < 8 && isxdigit((unsigned char)n[i]))
			i++;
		found = i == 8 && n[8] == '.' && isdigit((unsigned char)n[9]);
	}
	closedir(d);
	return found;
}

void tls_ctx_load_system_trust(SSL_CTX *ctx)
{
	static SSL_CTX *loaded;
	if (loaded == ctx)
		return;
	/*
	 * The whole bundle (~140 certificates) costs most of a STARTTLS
	 * probe's CPU: look issuers up in the hashed directory instead, one
	 * file per handshake (Debian's /etc/ssl/certs is hashed by
	 * update-ca-certificates). SSL_CERT_FILE, or a directory without
	 * hashes, falls back to reading the file.
	 */
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	if (!dir)
		dir = X509_get_default_cert_dir();
	if (file && file[0])
		SSL_CTX_load_verify_file(ctx, file);
	if (hashed_dir(dir))
		SSL_CTX_load_verify_dir(ctx, dir);
	else if (!file || !file[0])
		SSL_CTX_set_default_verify_paths(ctx);
	ERR_clear_error();
	loaded = ctx;
}

static void name_oneline(X509_NAME *n, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!n)
		return;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	int got = BIO_read(b, buf, (int)len - 1);
	buf[got > 0 ? got : 0] = '\0';
	BIO_free(b);
}

static void iso_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;
	buf[0] = '\0';
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void collect_sans(X509 *cert, struct tls_info *info)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (!names)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(names) && info->nsan < TLS_SAN_MAX; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char *dst = info->san[info->nsan];
		if (gn->type == GEN_DNS) {
			const unsigned char *d = ASN1_STRING_get0_data(gn->d.dNSName);
			int n = ASN1_STRING_length(gn->d.dNSName);
			snprintf(dst, sizeof info->san[0], "DNS:%.*s", n, (const char *)d);
			info->nsan++;
		} else if (gn->type == GEN_IPADD) {
			const unsigned char *d = ASN1_STRING_get0_data(gn->d.iPAddress);
			int n = ASN1_STRING_length(gn->d.iPAddress);
			char ip[64] = "";
			if (n == 4)
				snprintf(ip, sizeof ip, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
			else if (n == 16)
				snprintf(ip, sizeof ip, "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
				         d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
			snprintf(dst, sizeof info->san[0], "IP:%s", ip);
			info->nsan++;
		}
	}
	GENERAL_NAMES_free(names);
}

void tls_info_collect(SSL *ssl, const char *name, struct tls_info *info)
{
	memset(info, 0, sizeof *info);
	info->used = true;
	snprintf(info->version, sizeof info->version, "%s", SSL_get_version(ssl));
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	snprintf(info->cipher, sizeof info->cipher, "%s", c ? SSL_CIPHER_get_name(c) : "");
	int group = SSL_get_negotiated_group(ssl);
	if (group > 0) {
		const char *g = SSL_group_to_name(ssl, group);
		snprintf(info->group, sizeof info->group, "%s", g ? g : OBJ_nid2sn(group & ~TLSEXT_nid_unknown));
	}
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	info->chain_length = chain ? sk_X509_num(chain) : 0;
	snprintf(info->name, sizeof info->name, "%s", name ? name : "");

	X509 *cert = SSL_get1_peer_certificate(ssl);
	if (!cert) {
		snprintf(info->verify_error, sizeof info->verify_error, "the server sent no certificate");
		return;
	}
	name_oneline(X509_get_subject_name(cert), info->subject, sizeof info->subject);
	name_oneline(X509_get_issuer_name(cert), info->issuer, sizeof info->issuer);
	collect_sans(cert, info);
	iso_time(X509_get0_notBefore(cert), info->not_before, sizeof info->not_before);
	iso_time(X509_get0_notAfter(cert), info->not_after, sizeof info->not_after);
	/*
	 * Days left as of the run's start: one server's results seconds apart
	 * must not differ by a day (the text report shows its TLS lines once).
	 */
	static time_t run_start;
	if (!run_start)
		run_start = time(NULL);
	ASN1_TIME *from = ASN1_TIME_set(NULL, run_start);
	int days = 0, secs = 0;
	if (from && ASN1_TIME_diff(&days, &secs, from, X509_get0_notAfter(cert)) == 1)
		info->days_left = days;
	ASN1_TIME_free(from);

	long vr = SSL_get_verify_result(ssl);
	info->verified = vr == X509_V_OK;
	if (!info->verified)
		snprintf(info->verify_error, sizeof info->verify_error, "%s", X509_verify_cert_error_string(vr));

	if (name && name[0]) {
		/* An IP address is matched against IP SANs, a name against DNS SANs only. */
		int m = X509_check_ip_asc(cert, name, 0);
		if (m < 0)
			m = X509_check_host(cert, name, 0, TLS_HOST_FLAGS, NULL);
		info->name_matched = m == 1;
	}
	X509_free(cert);
}
