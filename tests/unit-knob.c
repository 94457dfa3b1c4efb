/* unit-knob.c - tunables come back to their saved value on every death: exits, signals, crashes, SIGKILL. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeroot.h"
#include "guard.h"
#include "knob.h"
#include "tap.h"
#include "util.h"

#define K1	"/k1"
#define K2	"/k2"
#define K3	"/k3"

enum death { D_EXIT, D_USAGE, D_TERM, D_SEGV, D_ABRT, D_INT, D_HUP, D_KILL, D_NR };

static const char *const death_name[D_NR] = {
	"normal exit", "usage error", "SIGTERM twice", "SIGSEGV", "abort", "SIGINT twice",
	"SIGHUP twice", "SIGKILL",
};

static char path1[128], path2[128], path3[128];

static void reset(void)
{
	fakeroot_put(K1, "always [madvise] never");
	fakeroot_put(K2, "1");
	fakeroot_put(K3, "256");
}

/* What the knobs hold now, for a message. */
static const char *now(void)
{
	static char buf[256];
	char a[64], b[64];

	snprintf(a, sizeof(a), "%s", fakeroot_get(K1));
	snprintf(b, sizeof(b), "%s", fakeroot_get(K2));
	snprintf(buf, sizeof(buf), "%s, %s, %s", a, b, fakeroot_get(K3));
	return buf;
}

static bool as_found(void)
{
	char k1[64];

	/* A choice file as the kernel shows it, or the word written back. */
	return !knob_get(path1, k1, sizeof(k1)) && !strcmp(k1, "madvise") && !strcmp(fakeroot_get(K2), "1") &&
	       !strcmp(fakeroot_get(K3), "256");
}

/* The guardian restores after its parent is gone: give it a moment. */
static bool as_found_soon(void)
{
	for (int i = 0; i < 100 && !as_found(); i++)
		usleep(20000);
	return as_found();
}

static void stop_twice(int sig)
{
	kill(getpid(), sig);	/* first signal: asks to stop */
	while (!migrace_stop)
		;
	kill(getpid(), sig);	/* second: restore and die */
	pause();
}

/* A real fault, hidden from UBSan: it would end the process itself, before the handlers. */
static void __attribute__((no_sanitize("undefined"))) crash(void)
{
	*(volatile int *)0 = 1;
}

/* Changes the knobs, says so on fd ready, then ends as `how` says. */
static void __attribute__((noreturn)) changer(enum death how, int ready)
{
	knob_install_handlers();
	knob_set(path1, "never");
	knob_set(path1, "always");	/* a second set keeps the first saved value */
	knob_set(path2, "0");
	knob_set(path3, "4");
	if (ready >= 0 && write(ready, "x", 1) != 1)
		_exit(1);
	switch (how) {
	case D_EXIT:
		exit(0);
	case D_USAGE:
		freopen("/dev/null", "w", stderr);	/* the line is expected */
		usage_error("bad input in test");
	case D_TERM:
		stop_twice(SIGTERM);
		break;
	case D_SEGV:
		crash();
		break;
	case D_ABRT:
		abort();
	case D_INT:
		stop_twice(SIGINT);
		break;
	case D_HUP:
		stop_twice(SIGHUP);
		break;
	default:
		pause();	/* for the parent's SIGKILL */
	}
	_exit(1);
}

/* A changer, killed by the parent once its knobs are changed when how is D_KILL. */
static int run_changer(enum death how)
{
	int ready[2], status;
	char c;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (!pid) {
		close(ready[0]);
		changer(how, ready[1]);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) == 1 && how == D_KILL)
		kill(pid, SIGKILL);
	close(ready[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void every_death(void)
{
	for (int how = 0; how < D_NR; how++) {
		reset();
		run_changer(how);
		tap_ok(as_found_soon(), "%s: knobs restored (%s)", death_name[how], now());
	}
}

/* A second migrace while the first one holds changes: refused, changing nothing. */
static void second_refused(void)
{
	int ready[2], status, err[2];
	char c, line[512] = "";
	pid_t first, second;
	ssize_t n;

	reset();
	if (pipe(ready) || pipe(err))
		return;
	first = fork();
	if (!first) {
		close(ready[0]);
		changer(D_KILL, ready[1]);
	}
	close(ready[1]);
	n = read(ready[0], &c, 1);
	second = fork();
	if (!second) {
		dup2(err[1], 2);
		knob_install_handlers();
		fakeroot_put(K2, "7");	/* the first run's change, as the second sees it */
		knob_set(path2, "9");
		_exit(0);
	}
	close(err[1]);
	waitpid(second, &status, 0);
	n = read(err[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 2 && strstr(line, "another migrace") &&
	       strchr(line, '\n') == line + strlen(line) - 1 && !strcmp(fakeroot_get(K2), "7"),
	       "a second run is refused with exit 2 and one line, changing nothing: %.*s",
	       (int)strcspn(line, "\n"), line);
	kill(first, SIGKILL);
	waitpid(first, NULL, 0);
	tap_ok(as_found_soon(), "the first run's values come back after it, not the second's");
	close(ready[0]);
	close(err[0]);
}

/* A child forked by a scenario that crashes must not restore the knobs under its parent. */
static void child_crash_leaves_them(void)
{
	int ready[2];
	pid_t pid;
	char c;

	reset();
	if (pipe(ready))
		return;
	pid = fork();
	if (!pid) {
		pid_t kid;

		close(ready[0]);
		knob_install_handlers();
		knob_set(path2, "0");
		kid = fork();
		if (!kid)
			abort();
		waitpid(kid, NULL, 0);
		c = fakeroot_get(K2)[0];
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		exit(0);
	}
	close(ready[1]);
	c = '?';
	if (read(ready[0], &c, 1) != 1)
		c = '?';
	waitpid(pid, NULL, 0);
	tap_ok(c == '0' && as_found_soon(),
	       "a forked child's crash leaves its parent's change (%c), its parent's exit restores it (%s)",
	       c, now());
	close(ready[0]);
}

/* A run and its guardian both gone: their journal is replayed, a record cut short is not. */
static void journal_replayed(void)
{
	char jpath[256];
	pid_t owner = 0;
	FILE *f;
	int restored = -1, ret;

	reset();
	fakeroot_put(K2, "0");
	fakeroot_put(K3, "4");
	snprintf(jpath, sizeof(jpath), "%s/run/migrace/journal", fakeroot);
	f = fopen(jpath, "w");
	if (!f)
		return;
	fprintf(f, "# tunables of migrace pid 1\n%s\t1\n%s\t256\n%s\tnev", path2, path3, path1);
	fclose(f);
	ret = guard_recover(&restored, &owner);
	tap_ok(!ret && restored == 2 && as_found() && access(jpath, F_OK),
	       "a dead run's journal: %d values put back (%s), the cut record left alone, the journal gone",
	       restored, now());
	ret = guard_recover(&restored, &owner);
	tap_ok(!ret && restored == 0, "no journal: nothing to do");
}

int main(void)
{
	char dir[128];

	if (fakeroot_make("knob")) {
		tap_skip("no fake root in /tmp");
		return tap_done();
	}
	fakeroot_mkdirs("/run/migrace");
	snprintf(dir, sizeof(dir), "%s/run/migrace", fakeroot);
	guard_set_dir(dir);
	snprintf(path1, sizeof(path1), "%s" K1, fakeroot);
	snprintf(path2, sizeof(path2), "%s" K2, fakeroot);
	snprintf(path3, sizeof(path3), "%s" K3, fakeroot);
	every_death();
	second_refused();
	child_crash_leaves_them();
	journal_replayed();
	tap_ok(knob_set("/nonexistent/knob", "1") < 0, "a missing knob is an error, not a silent no-op");
	fakeroot_remove();
	return tap_done();
}
