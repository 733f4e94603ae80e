/*
 * Runs a fuzz target over the files in the directories (or files) named on
 * the command line, without libFuzzer: the saved corpus becomes a
 * regression test in every build, sanitized or not.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	size_t cap = 1 << 20;
	unsigned char *buf = malloc(cap);
	size_t len = buf ? fread(buf, 1, cap, f) : 0;
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char path[4096];
				snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
				if (replay_file(path) < 0)
					return 1;
				n++;
			}
			if (d)
				closedir(d);
		} else {
			if (replay_file(argv[i]) < 0)
				return 1;
			n++;
		}
	}
	if (n == 0) {
		printf("1..1\nnot ok 1 - no inputs\n");
		return 1;
	}
	printf("1..1\nok 1 - %d inputs replayed without a crash\n", n);
	return 0;
}
