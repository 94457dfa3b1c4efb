/* ftrace.c - tracefs from C: finding (or privately mounting) it, instances, kprobe events, trace lines. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftrace.h"
#include "util.h"

#define FTRACE_MAX_KPROBES	16

/*
 * What this process created in tracefs, in fixed storage: the second
 * SIGINT/SIGTERM removes it from a signal handler, which must not allocate.
 */
static char ftrace_instance[FTRACE_PATH];
static char ftrace_kprobe_file[FTRACE_PATH];
static char ftrace_kprobe_del[FTRACE_MAX_KPROBES][128];
static volatile sig_atomic_t ftrace_nr_kprobes;
static bool ftrace_private_ns;

int ftrace_path(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int ftrace_find_mount(const char *type, char *dir, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], mnt[FTRACE_PATH], fstype[64];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, mnt, fstype) == 3) {
		if (!strcmp(fstype, type)) {
			snprintf(dir, len, "%s", mnt);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Where a filesystem of type is mounted; when it is not, it is mounted at
 * where in a mount namespace of this process alone, so nothing is left
 * behind on any exit path. Call it before starting threads: unshare needs
 * a single-threaded process.
 */
int ftrace_fs(const char *type, const char *where, char *dir, size_t len,
	      char *why, size_t wlen)
{
	if (!ftrace_find_mount(type, dir, len))
		return 0;
	if (!ftrace_private_ns) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
			int err = errno;

			snprintf(why, wlen, "%s is not mounted and a private mount namespace failed: %s",
				 type, strerror(err));
			return -err;
		}
		ftrace_private_ns = true;
	}
	if (mount("nodev", where, type, 0, NULL)) {
		int err = errno;

		snprintf(why, wlen, "%s is not mounted and mounting it at %s failed: %s",
			 type, where, strerror(err));
		return -err;
	}
	snprintf(dir, len, "%s", where);
	return 0;
}

/* Whether the file at path lists word: 1, 0, or -errno when it cannot be read. */
int ftrace_listed(const char *path, const char *word)
{
	FILE *f = fopen(path, "re");
	size_t n = strlen(word);
	char line[512];
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		for (char *p = line; *p && !found; ) {
			p += strspn(p, " \t\n");
			found = !strncmp(p, word, n) && (!p[n] || isspace((unsigned char)p[n]));
			p += strcspn(p, " \t\n");
		}
	}
	fclose(f);
	return found;
}

/* Whether the kernel has a symbol of that name (a function the compiler kept). */
bool ftrace_ksym(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char sym[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%*s %*s %255s%*[^\n]", sym) == 1)
		found = !strcmp(sym, name);
	fclose(f);
	return found;
}

int ftrace_instance_new(const char *tracefs, const char *name, char *dir, size_t len)
{
	char path[FTRACE_PATH];

	if (ftrace_instance[0])
		return -EBUSY;
	if (snprintf(path, sizeof(path), "%s/instances/%s", tracefs, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700))
		return -errno;
	snprintf(ftrace_instance, sizeof(ftrace_instance), "%s", path);
	snprintf(dir, len, "%s", path);
	return 0;
}

/* kprobe_events is shared by everyone: append, never truncate. */
static int ftrace_append(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC), err = 0;
	size_t n = strlen(line);

	if (fd < 0)
		return -errno;
	if (write(fd, line, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

int ftrace_kprobe_add(const char *tracefs, const char *group, const char *event,
		      const char *def)
{
	char line[256];
	int ret;

	if (ftrace_nr_kprobes == FTRACE_MAX_KPROBES)
		return -ENOSPC;
	if (ftrace_path(ftrace_kprobe_file, sizeof(ftrace_kprobe_file), tracefs, "kprobe_events"))
		return -ENAMETOOLONG;
	snprintf(line, sizeof(line), "%s\n", def);
	ret = ftrace_append(ftrace_kprobe_file, line);
	if (ret)
		return ret;
	snprintf(ftrace_kprobe_del[ftrace_nr_kprobes], sizeof(ftrace_kprobe_del[0]),
		 "-:%s/%s\n", group, event);
	ftrace_nr_kprobes++;
	return 0;
}

/* Hits of group's probes that were missed (kretprobe instances exhausted), from kprobe_profile. */
long ftrace_kprobe_misses(const char *tracefs, const char *group)
{
	char path[FTRACE_PATH], name[192];
	unsigned long hits, missed;
	size_t n = strlen(group);
	long sum = 0;
	FILE *f;

	if (ftrace_path(path, sizeof(path), tracefs, "kprobe_profile"))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%191s %lu %lu", name, &hits, &missed) == 3)
		if (!strncmp(name, group, n) && name[n] == '/')
			sum += missed;
	fclose(f);
	return sum;
}

/* Async-signal-safe: the instance first, which disables its events, then the probes. */
void ftrace_cleanup(void)
{
	if (ftrace_instance[0]) {
		rmdir(ftrace_instance);
		ftrace_instance[0] = '\0';
	}
	while (ftrace_nr_kprobes > 0) {
		int fd = open(ftrace_kprobe_file, O_WRONLY | O_APPEND | O_CLOEXEC);
		const char *del = ftrace_kprobe_del[ftrace_nr_kprobes - 1];

		if (fd >= 0) {
			/* A probe still busy elsewhere stays; nothing better to do here. */
			ssize_t n __attribute__((unused)) = write(fd, del, strlen(del));

			close(fd);
		}
		ftrace_nr_kprobes--;
	}
}

/*
 * Instances named prefix-PID and kprobe groups prefix_PID of processes that
 * no longer exist (killed with SIGKILL, say): removed before a new run.
 */
void ftrace_remove_stale(const char *tracefs, const char *prefix)
{
	char path[FTRACE_PATH], line[512], group[128], event[128];
	size_t n = strlen(prefix);
	FILE *f;
	int pid;

	if (ftrace_path(path, sizeof(path), tracefs, "kprobe_events"))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*[pr]%*[0-9]:%127[^/]/%127s", group, event) != 2 &&
		    sscanf(line, "%*[pr]:%127[^/]/%127s", group, event) != 2)
			continue;
		if (strncmp(group, prefix, n) || group[n] != '_' ||
		    sscanf(group + n + 1, "%d", &pid) != 1 || pid <= 0 ||
		    !kill(pid, 0) || errno != ESRCH)
			continue;
		snprintf(line, sizeof(line), "%s/instances/%s-%d", tracefs, prefix, pid);
		rmdir(line);
		snprintf(line, sizeof(line), "-:%s/%s\n", group, event);
		ftrace_append(path, line);
	}
	fclose(f);
}

static struct sigaction ftrace_old[NSIG];

static void ftrace_signal(int sig)
{
	/* The first signal winds the run down and cleans up; a second one ends it here. */
	void (*old)(int) = ftrace_old[sig].sa_handler;

	if (migrace_stop || old == SIG_DFL)
		ftrace_cleanup();
	if (old == SIG_DFL) {
		signal(sig, SIG_DFL);
		raise(sig);
	} else if (old != SIG_IGN) {
		old(sig);
	}
}

/* Chains in front of the handlers already installed (knob.c's). */
void ftrace_install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = ftrace_signal };
	static bool done;

	if (done)
		return;
	done = true;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, &ftrace_old[sigs[i]]);
}

/* "comm-pid" ending at end: the pid after the last '-' (comms may hold '-'). */
static int ftrace_pid(const char *start, const char *end)
{
	const char *p = end;

	while (p > start && isdigit((unsigned char)p[-1]))
		p--;
	if (p == end || p == start || p[-1] != '-')
		return -1;
	return atoi(p);
}

/* The timestamp as printed: "12.345678" (seconds, us precision) or raw "123456789". */
static const char *ftrace_ts(const char *p, struct ftrace_event *ev)
{
	char *end;
	unsigned long long a = strtoull(p, &end, 10), b;

	if (end == p)
		return NULL;
	ev->ts = a;
	ev->ts_ns = false;
	if (*end == '.') {
		const char *frac = end + 1;

		b = strtoull(frac, &end, 10);
		if (end - frac != 6)
			return NULL;
		ev->ts = a * 1000000000ull + b * 1000ull;
		ev->ts_ns = true;
	}
	return *end == ':' ? end + 1 : NULL;
}

int ftrace_parse_event(const char *line, struct ftrace_event *ev)
{
	const char *br = strstr(line, " ["), *p, *colon;
	const char *start = line + strspn(line, " "), *e = br;

	memset(ev, 0, sizeof(*ev));
	if (!br || br <= start)
		return -EINVAL;
	while (e > start && e[-1] == ' ')
		e--;
	ev->pid = ftrace_pid(start, e);
	if (ev->pid < 0 || sscanf(br, " [%d]", &ev->cpu) != 1)
		return -EINVAL;
	p = strchr(br, ']') + 1;
	p += strspn(p, " ");
	/* Flags ("d..2." and the like) come before the timestamp since 2.6.x; optional here. */
	if (!isdigit((unsigned char)*p) || !ftrace_ts(p, ev)) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	p = ftrace_ts(p, ev);
	if (!p)
		return -EINVAL;
	p += strspn(p, " ");
	colon = strchr(p, ':');
	if (!colon || colon == p || (size_t)(colon - p) >= sizeof(ev->name))
		return -EINVAL;
	snprintf(ev->name, sizeof(ev->name), "%.*s", (int)(colon - p), p);
	ev->args = colon + 1 + strspn(colon + 1, " ");
	return 0;
}

/* "! 123.456 us" and the like: a marker, a number and its unit. */
static int ftrace_duration(const char *p, const char *end, uint64_t *ns)
{
	char *e;
	double v;

	while (p < end && !isdigit((unsigned char)*p))
		p++;
	if (p == end)
		return -EINVAL;
	v = strtod(p, &e);
	e += strspn(e, " ");
	if (!strncmp(e, "us", 2))
		v *= 1e3;
	else if (!strncmp(e, "ms", 2))
		v *= 1e6;
	else if (!strncmp(e, "s ", 2))
		v *= 1e9;
	else if (strncmp(e, "ns", 2))
		return -EINVAL;
	*ns = (uint64_t)(v + 0.5);
	return 0;
}

static void ftrace_name(char *dst, size_t len, const char *p, const char *end)
{
	while (end > p && (isspace((unsigned char)end[-1])))
		end--;
	snprintf(dst, len, "%.*s", (int)(end - p), p);
}

int ftrace_parse_graph(const char *line, struct ftrace_graph *g)
{
	const char *p = line, *bar1, *bar2, *w, *e;

	memset(g, 0, sizeof(*g));
	if (sscanf(p, " %d)", &g->cpu) != 1)
		return -EINVAL;
	p = strchr(p, ')') + 1;
	bar1 = strchr(p, '|');
	if (!bar1)
		return -EINVAL;
	e = bar1;
	while (e > p && e[-1] == ' ')
		e--;
	g->pid = ftrace_pid(p + strspn(p, " "), e);
	bar2 = strchr(bar1 + 1, '|');
	if (g->pid < 0 || !bar2)
		return -EINVAL;
	w = bar2 + 1 + strspn(bar2 + 1, " ");
	if (!strncmp(w, "/*", 2)) {
		g->kind = FTRACE_GRAPH_COMMENT;
		g->comment = w + 2 + strspn(w + 2, " ");
		return 0;
	}
	if (*w == '}') {
		const char *c = strstr(w, "/*"), *ce;

		g->kind = FTRACE_GRAPH_EXIT;
		if (c && (ce = strstr(c, "*/")))
			ftrace_name(g->func, sizeof(g->func), c + 2 + strspn(c + 2, " "), ce);
		return ftrace_duration(bar1 + 1, bar2, &g->dur_ns);
	}
	e = strstr(w, "() {");
	if (e) {
		g->kind = FTRACE_GRAPH_ENTRY;
		ftrace_name(g->func, sizeof(g->func), w, e);
		return 0;
	}
	e = strstr(w, "();");
	if (!e)
		return -EINVAL;
	g->kind = FTRACE_GRAPH_LEAF;
	ftrace_name(g->func, sizeof(g->func), w, e);
	return ftrace_duration(bar1 + 1, bar2, &g->dur_ns);
}

/* "CPU:1 [LOST 42 EVENTS]": events the ring buffer dropped before we read them. */
unsigned long ftrace_lost(const char *line)
{
	const char *p = strstr(line, "[LOST ");
	unsigned long n;

	return p && sscanf(p, "[LOST %lu EVENTS]", &n) == 1 ? n : 0;
}

int ftrace_pipe_open(struct ftrace_pipe *p, const char *dir)
{
	char path[FTRACE_PATH];

	p->len = 0;
	if (ftrace_path(path, sizeof(path), dir, "trace_pipe"))
		return -ENAMETOOLONG;
	p->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return p->fd < 0 ? -errno : 0;
}

/* Reads what the pipe holds now; returns the lines handed to fn, or -errno. */
int ftrace_pipe_drain(struct ftrace_pipe *p, ftrace_line_fn fn, void *arg)
{
	int lines = 0;

	for (;;) {
		ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		char *s, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? lines : -errno;
		if (n == 0)
			return lines;
		p->len += n;
		p->buf[p->len] = '\0';
		for (s = p->buf; (nl = strchr(s, '\n')); s = nl + 1) {
			*nl = '\0';
			fn(s, arg);
			lines++;
		}
		p->len -= s - p->buf;
		memmove(p->buf, s, p->len);
		/* A line longer than the buffer: drop it rather than stall. */
		if (p->len == sizeof(p->buf) - 1)
			p->len = 0;
	}
}

void ftrace_pipe_close(struct ftrace_pipe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
