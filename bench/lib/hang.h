/* hang.h - a run that does not end: what each of its tasks is doing, recorded, then SIGKILL (the watchdog's work). */
#ifndef MIGRACE_HANG_H
#define MIGRACE_HANG_H

#include <json-c/json.h>
#include <stddef.h>
#include <sys/types.h>

/* How long a task may take to end after SIGKILL before it is reported unkillable. */
#define HANG_KILL_WAIT_MS	10000

#define HANG_MAX_PIDS	256

int hang_tree(pid_t root, pid_t *pids, int max);
json_object *hang_examine(const pid_t *pids, int n, char *where, size_t len);
json_object *hang_kill(const pid_t *pids, int n, char *where, size_t len);

#endif
