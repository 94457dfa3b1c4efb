/* knob.c - kernel tunables: saved before migrace changes them, restored on every exit path. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "knob.h"
#include "util.h"

#define KNOB_MAX 32

/* Fixed storage: the restore path runs in signal handlers and must not allocate. */
static struct knob {
	char path[256];
	char saved[128];
} knobs[KNOB_MAX];
static volatile sig_atomic_t nr_knobs;
/* The process that saved them: a forked child must not restore them under it. */
static pid_t knob_owner;

int knob_get(const char *path, char *buf, size_t len)
{
	char raw[256];
	int ret = read_text(path, raw, sizeof(raw));

	if (ret < 0)
		return ret;
	bracketed(raw, buf, len);
	return 0;
}

static int knob_saved(const char *path)
{
	for (int i = 0; i < nr_knobs; i++)
		if (!strcmp(knobs[i].path, path))
			return 1;
	return 0;
}

/*
 * The guardian holds the old value before the first change, so that even
 * SIGKILL cannot leave it changed. A second migrace would take the first
 * one's values for the machine's: it stops here, having changed nothing.
 */
static int knob_guard(const char *path, const char *saved)
{
	pid_t owner = 0;
	int ret = guard_save(path, saved, &owner);

	if (ret == -EBUSY)
		guard_refuse(owner);
	return ret;
}

/* Saves the first value seen, so nested sets still restore what the machine had. */
int knob_set(const char *path, const char *value)
{
	struct knob *k;
	int ret;

	if (!knob_saved(path)) {
		if (nr_knobs == KNOB_MAX || strlen(path) >= sizeof(k->path))
			return -ENOSPC;
		k = &knobs[nr_knobs];
		ret = knob_get(path, k->saved, sizeof(k->saved));
		if (!ret)
			ret = knob_guard(path, k->saved);
		if (ret)
			return ret;
		strcpy(k->path, path);
		nr_knobs++;
	}
	return write_text(path, value);
}

/* Async-signal-safe: open/write/close only, newest first; then the guardian may let go. */
void knob_restore_all(void)
{
	if (knob_owner && getpid() != knob_owner)
		return;
	if (!nr_knobs)
		return;
	while (nr_knobs > 0) {
		struct knob *k = &knobs[nr_knobs - 1];

		/* A failed write here has nowhere better to go. */
		write_text(k->path, k->saved);
		nr_knobs--;
	}
	guard_done();
}

static void knob_signal(int sig)
{
	/* First signal: ask the run to wind down cleanly; second: restore and go. */
	if (!migrace_stop) {
		migrace_stop = 1;
		return;
	}
	knob_restore_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A crash cannot wind down: restore now, then die of the same signal. */
static void knob_crash(int sig)
{
	knob_restore_all();
	raise(sig);	/* SA_RESETHAND: the default action this time */
}

/*
 * Call it early, while migrace is one small thread: it forks the guardian
 * that restores the knobs after a SIGKILL.
 */
void knob_install_handlers(void)
{
	static const int stop[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static const int crash[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa = { .sa_handler = knob_signal };
	struct sigaction ca = { .sa_handler = knob_crash, .sa_flags = SA_RESETHAND };
	int ret;

	knob_owner = getpid();
	ret = guard_start();
	if (ret)
		msg("no guardian process (%s): no watchdog, and tunables come back on every exit but SIGKILL",
		    strerror(-ret));
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ca.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
		sigaction(stop[i], &sa, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(crash); i++)
		sigaction(crash[i], &ca, NULL);
	atexit(knob_restore_all);
}
