/*
 * udp_blackhole: a "resolver" that takes every query and never answers, to
 * test resolver timeouts. Binds 127.0.0.1:0, prints the port on stdout
 * (the readiness signal), drops what arrives, and exits after --timeout
 * seconds (default 30) so it can never outlive a test.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int limit = 30;
	if (argc == 3 && strcmp(argv[1], "--timeout") == 0)
		limit = atoi(argv[2]);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("udp_blackhole");
		return 2;
	}
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	time_t end = time(NULL) + limit;
	int queries = 0;
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) > 0) {
			char buf[1500];
			if (recv(fd, buf, sizeof buf, 0) > 0)
				queries++;
		}
	}
	fprintf(stderr, "udp_blackhole: %d queries swallowed\n", queries);
	return 0;
}
