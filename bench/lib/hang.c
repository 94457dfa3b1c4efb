/* hang.c - a run that does not end: what each of its tasks is doing, recorded, then SIGKILL (the watchdog's work). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hang.h"
#include "util.h"

#define HANG_POLL_MS	100

/* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so the last ')' ends it. */
static int hang_stat(const char *dir, char *comm, size_t clen, char *state, pid_t *ppid)
{
	char path[160], buf[1024], *l, *r;
	int pp;

	snprintf(path, sizeof(path), "%s/stat", dir);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l || sscanf(r + 1, " %c %d", state, &pp) != 2)
		return -1;
	if (comm)
		snprintf(comm, clen, "%.*s", (int)(r - l - 1), l + 1);
	if (ppid)
		*ppid = pp;
	return 0;
}

static bool hang_has(const pid_t *pids, int n, pid_t p)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

/* The run's process and every process it forked (pinners, sweepers, workers), but not this one. */
int hang_tree(pid_t root, pid_t *pids, int max)
{
	int n = 0;
	bool grew = true;

	pids[n++] = root;
	while (grew) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		grew = false;
		while (d && (e = readdir(d)) && n < max) {
			char dir[64], state;
			pid_t p = atoi(e->d_name), pp;

			if (p <= 0 || p == getpid() || hang_has(pids, n, p))
				continue;
			snprintf(dir, sizeof(dir), "/proc/%d", (int)p);
			if (!hang_stat(dir, NULL, 0, &state, &pp) && hang_has(pids, n, pp)) {
				pids[n++] = p;
				grew = true;
			}
		}
		if (d)
			closedir(d);
	}
	return n;
}

/* The kernel function it sleeps in; "-" when running (wchan reads "0"). */
static void hang_wchan(const char *dir, char *buf, size_t len)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/wchan", dir);
	if (read_text(path, buf, len) <= 0 || !strcmp(buf, "0"))
		snprintf(buf, len, "-");
}

/* "[<0>] folio_wait_bit_common+0x12f/0x310" as "folio_wait_bit_common+0x12f/0x310". */
static json_object *hang_stack(const char *dir, char *top, size_t len)
{
	char path[160], buf[4096];
	json_object *a;
	int ret;

	snprintf(path, sizeof(path), "%s/stack", dir);
	ret = read_text(path, buf, sizeof(buf));
	if (ret < 0) {
		snprintf(top, len, "kernel stack unreadable: %s", strerror(-ret));
		return json_object_new_string(top);
	}
	a = json_object_new_array();
	top[0] = '\0';
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char *f = strstr(l, "] ") ? strstr(l, "] ") + 2 : l;

		json_object_array_add(a, json_object_new_string(f));
		/* The three innermost frames name the wait well enough for a line. */
		if (json_object_array_length(a) <= 3)
			snprintf(top + strlen(top), len - strlen(top), "%s%.*s",
				 top[0] ? " < " : "", (int)strcspn(f, "+"), f);
	}
	return a;
}

/* Where a run is stuck, in order: a thread in D state, one running, a stopped one, a worker. */
static int hang_score(char state, bool main_thread)
{
	switch (state) {
	case 'D': return 4;
	case 'R': return 3;
	case 'T': case 't': return 2;
	default: return main_thread ? 0 : 1;
	}
}

/* A process's threads, read in turn: each one's /proc directory, id, name and state. */
struct hang_thread {
	DIR *d;
	char dir[64], tdir[96], comm[64], state;
	pid_t tid;
};

static void hang_threads_open(struct hang_thread *t, pid_t p)
{
	snprintf(t->dir, sizeof(t->dir), "/proc/%d/task", (int)p);
	t->d = opendir(t->dir);
}

/* The next thread still readable, or false at the end (the directory then closed). */
static bool hang_thread_next(struct hang_thread *t)
{
	struct dirent *e;

	while (t->d && (e = readdir(t->d))) {
		t->tid = atoi(e->d_name);
		snprintf(t->tdir, sizeof(t->tdir), "%s/%d", t->dir, (int)t->tid);
		if (t->tid > 0 && !hang_stat(t->tdir, t->comm, sizeof(t->comm), &t->state, NULL))
			return true;
	}
	if (t->d)
		closedir(t->d);
	t->d = NULL;
	return false;
}

/* A thread as the result records it: which, its name, its state and where it waits. */
static json_object *hang_thread_json(pid_t pid, const struct hang_thread *t, const char *wchan)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "tid", json_object_new_int(t->tid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	json_object_object_add(o, "state", json_object_new_string_len(&t->state, 1));
	json_object_object_add(o, "wchan", json_object_new_string(wchan));
	return o;
}

/* Every thread of pids: state, wait channel, kernel stack; to stderr and as JSON; the likeliest place in where. */
static json_object *hang_tasks(const pid_t *pids, int n, char *where, size_t len)
{
	json_object *tasks = json_object_new_array();
	int best = -1, counts[128] = { 0 };
	struct hang_thread t;

	for (int i = 0; i < n; i++) {
		hang_threads_open(&t, pids[i]);
		while (hang_thread_next(&t)) {
			char wchan[128], top[256];
			json_object *o;
			int score;

			hang_wchan(t.tdir, wchan, sizeof(wchan));
			o = hang_thread_json(pids[i], &t, wchan);
			json_object_object_add(o, "stack", hang_stack(t.tdir, top, sizeof(top)));
			json_object_array_add(tasks, o);
			counts[t.state & 127]++;
			msg("watchdog:   pid %d tid %d (%s) state %c, wchan %s: %s", (int)pids[i],
			    (int)t.tid, t.comm, t.state, wchan, top);
			score = hang_score(t.state, t.tid == pids[i]);
			if (score > best) {
				best = score;
				snprintf(where, len, "thread %d (%s) of pid %d, state %c, wchan %s, in %s",
					 (int)t.tid, t.comm, (int)pids[i], t.state, wchan, top);
			}
		}
	}
	if (best < 0)
		snprintf(where, len, "no task of pid %d readable in /proc", (int)pids[0]);
	snprintf(where + strlen(where), len - strlen(where), " (%zu threads:",
		 json_object_array_length(tasks));
	for (int c = 0; c < 128; c++)
		if (counts[c])
			snprintf(where + strlen(where), len - strlen(where), " %d %c", counts[c], c);
	snprintf(where + strlen(where), len - strlen(where), ")");
	return tasks;
}

/* runners/vm puts migrace.accel= on the guest's command line: the only place to dump the whole kernel's tasks. */
static bool hang_in_emulated_machine(void)
{
	char cmdline[4096];

	return read_text("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, "migrace.accel=");
}

/*
 * Every CPU's backtrace and every task's state and stack into the console
 * log, which runners/vm keeps. Writes to /proc/sysrq-trigger ignore
 * kernel.sysrq, so no tunable changes. Not on a shared host: 't' floods its log.
 */
static json_object *hang_sysrq(void)
{
	static const char keys[] = "wlt";
	char done[16] = "";

	if (!hang_in_emulated_machine())
		return NULL;
	for (const char *k = keys; *k; k++) {
		char key[2] = { *k, '\0' };

		if (!write_text("/proc/sysrq-trigger", key))
			snprintf(done + strlen(done), sizeof(done) - strlen(done), "%s%c",
				 done[0] ? " " : "", *k);
	}
	msg("watchdog: sysrq %s written to /proc/sysrq-trigger: blocked tasks, CPUs and every task's stack are in the console log",
	    done[0] ? done : "(none: not writable)");
	return json_object_new_string(done);
}

/*
 * A thread of p that has not exited (a D-state one first), in t, or false:
 * p has ended. Not the leader's state alone: killed while another thread
 * waits in D, the leader is a zombie and the process still there.
 */
static bool hang_live_thread(pid_t p, struct hang_thread *live)
{
	struct hang_thread t;
	bool found = false;

	hang_threads_open(&t, p);
	while (hang_thread_next(&t)) {
		if (t.state == 'Z' || t.state == 'X' || (found && t.state != 'D'))
			continue;
		*live = t;
		live->d = NULL;		/* t's, closed at its end */
		found = true;
	}
	return found;
}

/*
 * SIGKILL to all; those still there after HANG_KILL_WAIT_MS are named, in
 * the array returned and after where: a D-state wait SIGKILL cannot end.
 */
json_object *hang_kill(const pid_t *pids, int n, char *where, size_t len)
{
	json_object *left = json_object_new_array();
	struct hang_thread t;
	bool all;

	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (int waited = 0;; waited += HANG_POLL_MS) {
		all = true;
		for (int i = 0; i < n && all; i++)
			all = !hang_live_thread(pids[i], &t);
		if (all || waited >= HANG_KILL_WAIT_MS)
			break;
		usleep(HANG_POLL_MS * 1000);
	}
	for (int i = 0; i < n; i++) {
		char wchan[128];

		if (!hang_live_thread(pids[i], &t))
			continue;
		hang_wchan(t.tdir, wchan, sizeof(wchan));
		json_object_array_add(left, hang_thread_json(pids[i], &t, wchan));
		msg("watchdog: pid %d (%s) did not end %d s after SIGKILL: state %c, wchan %s%s",
		    (int)pids[i], t.comm, HANG_KILL_WAIT_MS / 1000, t.state, wchan,
		    t.state == 'D' ? " (an uninterruptible wait in the kernel)" : "");
		if (json_object_array_length(left) == 1)
			snprintf(where + strlen(where), len - strlen(where),
				 "; pid %d did not end after SIGKILL (state %c, wchan %s)",
				 (int)pids[i], t.state, wchan);
	}
	return left;
}

/*
 * The watchdog's deadline has passed and pids (hang_tree) still run:
 * records what each of their threads is doing and has the kernel dump
 * every task (emulated machine only). where gets one line for the verdict.
 */
json_object *hang_examine(const pid_t *pids, int n, char *where, size_t len)
{
	json_object *h = json_object_new_object();

	msg("watchdog: pid %d and %d process(es) it started are still running: each thread's state, wait channel and kernel stack follow",
	    (int)pids[0], n - 1);
	json_object_object_add(h, "tasks", hang_tasks(pids, n, where, len));
	json_object_object_add(h, "sysrq", hang_sysrq());
	return h;
}
