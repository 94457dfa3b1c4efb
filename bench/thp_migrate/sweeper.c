/* sweeper.c - the sweeper: a helper process that takes migrace's mm off the CPUs the mover has left. */
#include "config.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "thp_migrate.h"

/*
 * A CPU the mover has left keeps migrace's mm loaded while it idles (lazy
 * TLB), so every TLB flush of a migration still walks it. A helper process,
 * forked before any region exists, visits every CPU on request: switching to
 * its mm takes migrace's off them, as for a tool that never ran elsewhere.
 */
static struct {
	pid_t pid;
	int req, ack;
} tm_sweeper = { .pid = -1, .req = -1, .ack = -1 };

static void tm_sweeper_main(int req, int ack, int ncpu)
{
	char c;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (read(req, &c, 1) == 1) {
		for (int cpu = 0; cpu < ncpu; cpu++) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (!sched_setaffinity(0, sizeof(set), &set))
				sched_yield();
		}
		if (write(ack, &c, 1) != 1)
			break;
	}
	_exit(0);
}

void tm_sweeper_start(void)
{
	int req[2], ack[2], ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);

	if (pipe(req))
		return;
	if (pipe(ack)) {
		close(req[0]);
		close(req[1]);
		return;
	}
	fflush(NULL);
	tm_sweeper.pid = fork();
	if (!tm_sweeper.pid) {
		close(req[1]);
		close(ack[0]);
		tm_sweeper_main(req[0], ack[1], ncpu);
	}
	close(req[0]);
	close(ack[1]);
	tm_sweeper.req = req[1];
	tm_sweeper.ack = ack[0];
	if (tm_sweeper.pid < 0)
		tm_sweeper_stop();
}

void tm_sweeper_stop(void)
{
	if (tm_sweeper.req >= 0)
		close(tm_sweeper.req);	/* the helper's read ends: it exits */
	if (tm_sweeper.ack >= 0)
		close(tm_sweeper.ack);
	if (tm_sweeper.pid > 0)
		waitpid(tm_sweeper.pid, NULL, 0);
	tm_sweeper.pid = tm_sweeper.req = tm_sweeper.ack = -1;
}

/* Best effort: without the helper a move measures what a longer-lived process sees. */
void tm_sweep(void)
{
	char c = 's';

	if (tm_sweeper.pid > 0 &&
	    (write(tm_sweeper.req, &c, 1) != 1 || read(tm_sweeper.ack, &c, 1) != 1))
		tm_sweeper_stop();
}
