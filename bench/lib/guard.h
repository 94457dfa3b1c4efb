/* guard.h - tunables back after any death of migrace: a guardian process and a journal under /run. */
#ifndef MIGRACE_GUARD_H
#define MIGRACE_GUARD_H

#include <stddef.h>
#include <sys/types.h>

#define GUARD_DIR	"/run/migrace"

void guard_exclusive(void);
void guard_refuse(pid_t owner) __attribute__((noreturn));
int guard_start(void);
int guard_save(const char *path, const char *value, pid_t *owner);
void guard_done(void);
int guard_recover(int *restored, pid_t *owner);
void guard_set_dir(const char *dir);
const char *guard_dir(void);

#endif
