/* Fuzz target: the SOCKS5 handshake on arbitrary proxy bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct socks_proxy px;
	memset(&px, 0, sizeof px);
	strcpy(px.host, "127.0.0.1");
	px.port = 1080;
	if (data[0] & 1) {
		strcpy(px.user, "u");
		strcpy(px.pass, "p");
	}
	px.remote_dns = data[0] & 2;
	struct socks_session *s = socks_new(&px, (data[0] & 2) ? "mx.example.test" : "192.0.2.1", 25);
	if (!s)
		return 0;
	size_t off = 1;
	while (off < size) {
		size_t len;
		socks_output(s, &len);
		socks_output_done(s, len);
		size_t used = 0;
		enum socks_status st = socks_feed(s, data + off, size - off, &used);
		if (used > size - off)
			abort();
		if (st != SOCKS_MORE)
			break;
		if (used == 0)
			break;
		off += used;
	}
	socks_free(s);
	return 0;
}
