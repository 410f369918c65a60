/* The demo's live process: counts, keeps a running checksum of 64 MiB of its own memory,
 * and appends a line to its log every 200 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	size_t len = 64 << 20;
	unsigned char *mem = malloc(len);
	unsigned long sum = 0, n = 0;
	FILE *log;

	/* Only stdio: an fd the shell leaked to us (a pipe to something outside) would be part of
	 * what amber must give back, and restore would rightly ask for it (--inherit-fd). */
	syscall(SYS_close_range, 3, ~0U, 0);

	if (argc < 2 || !mem || !(log = fopen(argv[1], "a")))
		return 1;
	setvbuf(log, NULL, _IOLBF, 0);
	for (size_t i = 0; i < len; i++)
		mem[i] = (unsigned char)(i * 31 + 7);
	for (;;) {
		for (size_t i = 0; i < len; i += 4096)
			sum += mem[(i + n) % len];
		fprintf(log, "pid %d count %lu checksum %lu\n", getpid(), ++n, sum);
		usleep(200000);
	}
}
