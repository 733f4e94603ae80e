/*
 * Unit tests for conn.c: which direction each call waits for. Plain TCP is
 * simple; over TLS a read can wait for writability: here a TLS 1.2 server
 * asks for a renegotiation (HelloRequest) while the client's way out is
 * full, so the client's read must wait until it can write its ClientHello
 * - and conn_events() must say LOOP_WRITE, even with no output of the
 * caller's pending, which is what the attempt watches for today (it adds
 * OpenSSL's wish only while output is pending). A TLS 1.3 KeyUpdate
 * request does not do it: OpenSSL 3.0 sends the answer with the next
 * write, not from SSL_read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "loop.h"

static void nonblocking_pair(int s[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s), 0);
	/* Small buffers, so "full" comes soon. */
	int size = 4096;
	for (int i = 0; i < 2; i++) {
		setsockopt(s[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		setsockopt(s[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	}
}

static void test_plain_directions(void **state)
{
	(void)state;
	int s[2];
	nonblocking_pair(s);
	struct conn c = { .fd = s[0] };
	char buf[512];
	assert_int_equal(conn_read(&c, buf, sizeof buf), CONN_IO_AGAIN);
	assert_int_equal(c.read_wants, LOOP_READ);
	assert_int_equal(conn_events(&c, false), LOOP_READ);
	memset(buf, 'x', sizeof buf);
	ssize_t n;
	while ((n = conn_write(&c, buf, sizeof buf)) > 0)
		;
	assert_int_equal(n, CONN_IO_AGAIN);
	assert_int_equal(c.write_wants, LOOP_WRITE);
	assert_int_equal(conn_events(&c, true), LOOP_READ | LOOP_WRITE);
	assert_int_equal(write(s[1], "y", 1), 1);
	assert_int_equal(conn_read(&c, buf, sizeof buf), 1);
	assert_int_equal(c.read_wants, 0);
	assert_int_equal(conn_events(&c, false), LOOP_READ);
	close(s[0]);
	close(s[1]);
}

/* A throw-away server identity: P-256 key, self-signed certificate. */
static SSL_CTX *server_ctx(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	assert_non_null(key);
	X509 *x = X509_new();
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"conn.test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

static void test_tls_read_waits_for_write(void **state)
{
	(void)state;
	int s[2];
	nonblocking_pair(s);
	SSL_CTX *sctx = server_ctx();
	SSL *srv = SSL_new(sctx);
	assert_non_null(srv);
	SSL_set_fd(srv, s[1]);
	SSL_set_accept_state(srv);

	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(cctx);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(cctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	struct conn c = { .fd = s[0] };
	assert_int_equal(conn_tls_begin(&c, cctx, "conn.test"), 0);

	/* The handshake, both ends stepped in turn; its waits count as the reader's. */
	char err[160];
	int cr = CONN_IO_AGAIN, sr = -1;
	for (int i = 0; i < 50 && (cr != 1 || sr != 1); i++) {
		if (cr != 1) {
			cr = conn_tls_handshake(&c, err, sizeof err);
			assert_true(cr == 1 || cr == CONN_IO_AGAIN);
			if (cr == CONN_IO_AGAIN)
				assert_int_equal(c.read_wants, c.wants);
		}
		if (sr != 1)
			sr = SSL_do_handshake(srv);
	}
	assert_int_equal(cr, 1);
	assert_int_equal(sr, 1);
	assert_int_equal(c.read_wants, 0);

	/*
	 * Fill the client's way out, below TLS: OpenSSL defers a renegotiation
	 * while a record of its own is half written, so the fd must be full
	 * with no record pending. The server's SSL never sees these octets:
	 * they are taken off its fd by hand below, as many as were put in.
	 */
	char buf[1024];
	memset(buf, 'x', sizeof buf);
	size_t stuffed = 0;
	ssize_t n;
	while ((n = send(s[0], buf, 1, MSG_NOSIGNAL)) == 1)
		stuffed++;
	assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));

	/* The server asks for a new handshake: its HelloRequest goes out. */
	assert_int_equal(SSL_renegotiate(srv), 1);
	SSL_do_handshake(srv);

	/* The client reads the HelloRequest and would answer with a ClientHello, but cannot write. */
	n = conn_read(&c, buf, sizeof buf);
	assert_int_equal(n, CONN_IO_AGAIN);
	assert_int_equal(c.read_wants, LOOP_WRITE);
	/* Nothing of the caller's to send, and still the fd must be watched for writing only. */
	assert_int_equal(conn_events(&c, false), LOOP_WRITE);
	assert_int_equal(conn_events(&c, true), LOOP_WRITE);

	/* Once there is room, the same read goes on: the ClientHello leaves, the ServerHello is awaited. */
	while (stuffed > 0) {
		ssize_t got = recv(s[1], buf, stuffed < sizeof buf ? stuffed : sizeof buf, 0);
		assert_true(got > 0);
		stuffed -= (size_t)got;
	}
	n = conn_read(&c, buf, sizeof buf);
	assert_int_equal(n, CONN_IO_AGAIN);
	assert_int_equal(c.read_wants, LOOP_READ);
	assert_int_equal(conn_events(&c, false), LOOP_READ);

	conn_close(&c);
	SSL_free(srv);
	close(s[1]);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_directions),
		cmocka_unit_test(test_tls_read_waits_for_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
