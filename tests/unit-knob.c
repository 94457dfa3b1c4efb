/* unit-knob.c - tunables come back to their saved value on exit, on SIGTERM and on error exits. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "knob.h"
#include "tap.h"
#include "util.h"

static char path[64], path2[64];

static const char *value(const char *p, char *buf)
{
	return read_text(p, buf, 128) < 0 ? "?" : buf;
}

static void reset(void)
{
	FILE *f = fopen(path, "w");

	fputs("always [madvise] never\n", f);
	fclose(f);
	f = fopen(path2, "w");
	fputs("1\n", f);
	fclose(f);
}

/* A child that changes both knobs and then ends as `how` says. */
static void child(int how)
{
	pid_t pid = fork();

	if (!pid) {
		knob_install_handlers();
		knob_set(path, "never");
		knob_set(path, "always");	/* a second set keeps the first saved value */
		knob_set(path2, "0");
		if (how == 1)
			exit(0);
		if (how == 4)
			*(volatile int *)0 = 1;	/* a crash */
		if (how == 2) {
			freopen("/dev/null", "w", stderr);	/* the line is expected */
			usage_error("bad input in test");
		}
		kill(getpid(), SIGTERM);	/* first signal: asks to stop */
		while (!migrace_stop)
			;
		kill(getpid(), SIGTERM);	/* second: restore and die */
		pause();
	}
	waitpid(pid, NULL, 0);
}

int main(void)
{
	static const char *const how[] = { NULL, "normal exit", "usage error", "SIGTERM", "SIGSEGV" };

	snprintf(path, sizeof(path), "/tmp/migrace-knob.%d", getpid());
	snprintf(path2, sizeof(path2), "/tmp/migrace-knob2.%d", getpid());
	for (int i = 1; i <= 4; i++) {
		char a[128], b[128];

		reset();
		child(i);
		tap_ok(!strcmp(value(path, a), "madvise") && !strcmp(value(path2, b), "1"),
		       "%s: knobs restored (%s, %s)", how[i], a, b);
	}
	tap_ok(knob_set("/nonexistent/knob", "1") < 0, "a missing knob is an error, not a silent no-op");
	unlink(path);
	unlink(path2);
	return tap_done();
}
