/* guard.h - tunables back after any death of migrace: a guardian process and a journal under /run. */
#ifndef MIGRACE_GUARD_H
#define MIGRACE_GUARD_H

#include <stddef.h>
#include <sys/types.h>

#define GUARD_DIR	"/run/migrace"

/*
 * The watchdog the guardian keeps over migrace, set before guard_start():
 * a run still going seconds after the guardian started is hung. begin runs
 * in the guardian before migrace goes on, fire at the deadline; then the
 * guardian restores the tunables and exits.
 */
struct guard_watch {
	double seconds;
	void (*begin)(void *arg);
	void (*fire)(pid_t pid, void *arg);
	void *arg;
};

void guard_watchdog(const struct guard_watch *w);
void guard_exclusive(void);
void guard_refuse(pid_t owner) __attribute__((noreturn));
int guard_start(void);
int guard_save(const char *path, const char *value, pid_t *owner);
void guard_done(void);
int guard_recover(int *restored, pid_t *owner);
void guard_set_dir(const char *dir);
const char *guard_dir(void);

#endif
