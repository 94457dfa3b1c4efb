/* static-key-flip.c - flips the page-fault perf event's static key while other processes fault; a guest the emulator breaks dies. */
/*
 * The reproducer of docs/emulator.md. Opening the first perf software
 * event of a kind enables its static key, closing the last disables it:
 * each time, the kernel patches a jump into every place that counts the
 * event, among them the page-fault handler (text_poke_bp: an int3 first,
 * then the rest, then the first byte, with an IPI to every CPU between).
 * Meanwhile WORKERS processes exec /bin/true in a loop, so that other
 * CPUs run those places all the time. On hardware, or on a correct
 * emulator, nothing happens. Prints the flips it made; exit 0 when it
 * lived SECONDS, 2 on bad input or when perf_event_open fails.
 *
 *   cc -o static-key-flip static-key-flip.c
 *   runners/vm -- ./static-key-flip 180
 *   runners/vm --tcg-threads single -- ./static-key-flip 180
 */
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS	2

static void worker(void)
{
	char *const argv[] = { "true", NULL };

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* none outlives a killed parent */
	for (;;) {
		pid_t pid = fork();

		if (pid == 0) {
			execv("/bin/true", argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	struct perf_event_attr attr;
	pid_t workers[WORKERS];
	unsigned long flips = 0;
	char *end;
	long secs = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	time_t start, stop, now, said;

	if (argc != 2 || *end || secs <= 0) {
		fprintf(stderr, "usage: static-key-flip SECONDS\n");
		return 2;
	}
	for (int i = 0; i < WORKERS; i++)
		if ((workers[i] = fork()) == 0)
			worker();
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_PAGE_FAULTS;
	start = said = time(NULL);
	stop = start + secs;
	while ((now = time(NULL)) < stop) {
		int fd;

		/* Every 5 s: a guest that dies leaves how far it got. */
		if (now >= said + 5) {
			said = now;
			printf("static-key-flip: %lu flips after %ld s\n", flips, (long)(now - start));
			fflush(stdout);
		}
		fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
		if (fd < 0) {
			perror("static-key-flip: perf_event_open");
			flips = 0;
			break;
		}
		close(fd);
		flips++;
	}
	for (int i = 0; i < WORKERS; i++) {
		kill(workers[i], SIGKILL);
		waitpid(workers[i], NULL, 0);
	}
	if (!flips)
		return 2;
	printf("static-key-flip: %lu flips in %ld s, the kernel still running\n", flips, secs);
	return 0;
}
