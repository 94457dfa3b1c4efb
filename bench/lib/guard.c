/* guard.c - tunables back after any death of migrace: a guardian process and a journal under /run. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "guard.h"
#include "util.h"

/*
 * knob.c restores what it changed on every exit it sees: a normal exit,
 * the stop signals, a crash. It cannot see SIGKILL (the OOM killer,
 * `timeout -s KILL`, a lab's job timeout), so before each first change it
 * hands the old value to a guardian: a small process forked at start, in a
 * session of its own so that signals to migrace's process group and
 * terminal hangups miss it, which puts back every value it holds when
 * migrace dies without saying it is done. The guardian also keeps a journal
 * under /run for when both die (a cgroup killed whole): the next migrace, or
 * `migrace restore`, replays it. And it holds a lock there while anything
 * is changed, so that a second migrace never saves the first one's changes
 * as the machine's own values.
 */

#define GUARD_MAX	32		/* as many as knob.c saves */
#define GUARD_PATH	256
#define GUARD_VALUE	128
#define GUARD_REQ	(GUARD_PATH + GUARD_VALUE + 2)
#define GUARD_WAIT_MS	5000		/* for the last run's guardian to finish restoring */
#define GUARD_POLL_MS	50

struct guard_rec {
	char path[GUARD_PATH];
	char value[GUARD_VALUE];
};

struct guardian {
	int sock, pidfd;
	pid_t parent;
	int lock, journal;		/* -1 while nothing is saved */
	bool memory_only;		/* no lock or journal to be had: from memory alone */
	int nr;
	struct guard_rec rec[GUARD_MAX];
};

static char guard_path[GUARD_PATH / 2] = GUARD_DIR;
static int guard_sock = -1;		/* migrace's end of the guardian's socket */
static struct guard_watch guard_watch;	/* .fire NULL: no watchdog */

/*
 * The watchdog lives in the guardian because it already is what outlasts
 * migrace: a process of its own, deaf to migrace's signals, spared by the
 * OOM killer, watching it by pidfd. A thread in migrace could not look on
 * from outside: a fault or a /proc read of its own can block on the very
 * lock a stuck thread holds.
 */
void guard_watchdog(const struct guard_watch *w)
{
	guard_watch = *w;
}

/* Tests keep their lock and journal under a fake root. */
void guard_set_dir(const char *dir)
{
	snprintf(guard_path, sizeof(guard_path), "%s", dir);
}

const char *guard_dir(void)
{
	return guard_path;
}

static void guard_file(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", guard_path, name);
}

/* The journal names files that root will write: the directory must be root's alone. */
static int guard_mkdir(void)
{
	struct stat st;

	if (mkdir(guard_path, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(guard_path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

static pid_t guard_owner(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

/*
 * The lock, as an fd. A guardian whose migrace died may still hold it while
 * it restores: waited for, up to wait_ms. A migrace still alive holds it
 * for its run: -EBUSY and its pid at once.
 */
static int guard_lock(int wait_ms, pid_t *owner)
{
	char path[GUARD_PATH];
	int fd, ret;
	pid_t holder;

	ret = guard_mkdir();
	if (ret)
		return ret;
	guard_file(path, sizeof(path), "lock");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += GUARD_POLL_MS) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		holder = guard_owner(fd);
		if (ret != -EBUSY || waited >= wait_ms || (holder > 0 && !kill(holder, 0))) {
			if (owner)
				*owner = holder;
			close(fd);
			return ret;
		}
		usleep(GUARD_POLL_MS * 1000);
	}
	return fd;
}

/*
 * Puts back what a journal lists, newest first. The caller holds the lock,
 * so whoever wrote it is gone. Text after the last newline is a record cut
 * short: its value was never changed, since migrace writes a tunable only
 * once the guardian has answered.
 */
static int guard_replay(int *restored)
{
	char path[GUARD_PATH], buf[GUARD_MAX * GUARD_REQ + 256], *lines[GUARD_MAX];
	int fd, nr = 0;
	ssize_t n;

	guard_file(path, sizeof(path), "journal");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (char *l = buf, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
		*nl = '\0';
		if (l[0] == '/' && strchr(l, '\t') && nr < GUARD_MAX)
			lines[nr++] = l;
	}
	while (nr--) {
		char *tab = strchr(lines[nr], '\t');

		*tab = '\0';
		if (!write_text(lines[nr], tab + 1))
			(*restored)++;
	}
	return unlink(path) ? -errno : 0;
}

void guard_refuse(pid_t owner)
{
	usage_error("another migrace (pid %d) is changing this machine's tunables (lock %s/lock): one such run at a time",
		    (int)owner, guard_path);
}

/*
 * Before a run prints anything: one that changes tunables while another
 * does would take its values for the machine's, and measure it racing.
 * Waits out the last run's guardian, still restoring.
 */
void guard_exclusive(void)
{
	char path[GUARD_PATH];
	pid_t owner = 0;
	int fd;

	guard_file(path, sizeof(path), "lock");
	if (access(path, F_OK))
		return;
	fd = guard_lock(GUARD_WAIT_MS, &owner);
	if (fd == -EBUSY)
		guard_refuse(owner);
	if (fd >= 0)
		close(fd);
}

/* What `migrace restore` does, and every guardian at its start: replay a dead run's journal. */
int guard_recover(int *restored, pid_t *owner)
{
	int fd, ret;

	*restored = 0;
	fd = guard_lock(GUARD_WAIT_MS, owner);
	if (fd < 0)
		return fd;
	ret = guard_replay(restored);
	close(fd);
	return ret;
}

/* Takes the lock, replays a journal left behind, starts this run's journal. */
static int guardian_begin(struct guardian *g, pid_t *owner)
{
	char path[GUARD_PATH];
	int ret, restored = 0;

	ret = guard_lock(GUARD_WAIT_MS, owner);
	if (ret == -EBUSY)
		return ret;
	if (ret < 0) {
		/* Not root, or no /run: no one else can change tunables either. */
		g->memory_only = true;
		return 0;
	}
	g->lock = ret;
	if (!ftruncate(g->lock, 0))
		dprintf(g->lock, "%d\n", (int)g->parent);
	if (guard_replay(&restored) == 0 && restored)
		fprintf(stderr, "migrace: restored %d tunables a dead migrace had left changed\n",
			restored);
	guard_file(path, sizeof(path), "journal");
	g->journal = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
			  0600);
	if (g->journal < 0) {
		ret = -errno;
		close(g->lock);
		g->lock = -1;
		return ret;
	}
	dprintf(g->journal, "# tunables of migrace pid %d, to restore when it and its guardian are gone\n",
		(int)g->parent);
	return 0;
}

/* One record "PATH\tVALUE": in the journal first, then in memory. */
static int guardian_save(struct guardian *g, char *rec, pid_t *owner)
{
	char *tab = strchr(rec, '\t');
	struct guard_rec *r;
	size_t len = strlen(rec);
	int ret;

	if (!tab || tab - rec >= GUARD_PATH || strlen(tab + 1) >= GUARD_VALUE)
		return -EINVAL;
	if (g->nr == GUARD_MAX)
		return -ENOSPC;
	if (g->lock < 0 && !g->memory_only) {
		ret = guardian_begin(g, owner);
		if (ret)
			return ret;
	}
	if (g->journal >= 0) {
		rec[len] = '\n';	/* one write: a death cannot split a record */
		if (write(g->journal, rec, len + 1) != (ssize_t)(len + 1) || fsync(g->journal))
			return errno ? -errno : -EIO;
		rec[len] = '\0';
	}
	r = &g->rec[g->nr++];
	*tab = '\0';
	snprintf(r->path, sizeof(r->path), "%s", rec);
	snprintf(r->value, sizeof(r->value), "%s", tab + 1);
	return 0;
}

/* Nothing left to restore: the journal goes, then the lock. */
static void guardian_end(struct guardian *g)
{
	char path[GUARD_PATH];

	g->nr = 0;
	if (g->journal >= 0) {
		close(g->journal);
		guard_file(path, sizeof(path), "journal");
		unlink(path);
	}
	if (g->lock >= 0)
		close(g->lock);
	g->lock = g->journal = -1;
	g->memory_only = false;
}

static void guardian_restore(struct guardian *g)
{
	int n = g->nr;

	for (int i = n - 1; i >= 0; i--)
		write_text(g->rec[i].path, g->rec[i].value);
	if (n)
		fprintf(stderr, "migrace: pid %d died with %d tunables changed: its guardian put them back\n",
			(int)g->parent, n);
	guardian_end(g);
}

static void guardian_handle(struct guardian *g, char *req)
{
	char reply[32] = "k";
	pid_t owner = 0;
	int ret = 0;

	if (req[0] == 's')
		ret = guardian_save(g, req + 1, &owner);
	else if (req[0] == 'd')
		guardian_end(g);
	else
		ret = -EINVAL;
	if (ret == -EBUSY)
		snprintf(reply, sizeof(reply), "b%d", (int)owner);
	else if (ret)
		snprintf(reply, sizeof(reply), "e%d", -ret);
	send(g->sock, reply, strlen(reply), MSG_NOSIGNAL);
}

/*
 * Until migrace is gone: its pidfd says so at once, even when children it
 * forked still hold the socket; without pidfds (before Linux 5.3), being
 * handed to another parent does, looked at ten times a second.
 */
static void guardian_serve(struct guardian *g, uint64_t deadline)
{
	char req[GUARD_REQ + 2];

	for (;;) {
		struct pollfd p[2] = { { .fd = g->sock, .events = POLLIN },
				       { .fd = g->pidfd, .events = POLLIN } };
		int wait = g->pidfd >= 0 ? -1 : 100, n;
		uint64_t now = now_ns();
		ssize_t len;

		if (deadline && now >= deadline) {
			guard_watch.fire(g->parent, guard_watch.arg);
			return;
		}
		if (deadline && (wait < 0 || (deadline - now) / 1000000 < (uint64_t)wait))
			wait = (deadline - now) / 1000000 + 1;
		n = poll(p, g->pidfd >= 0 ? 2 : 1, wait);

		if (n < 0 && errno != EINTR)
			return;
		if (p[1].revents || getppid() != g->parent)
			return;
		if (n <= 0 || !p[0].revents)
			continue;
		len = recv(g->sock, req, sizeof(req) - 2, 0);
		if (len <= 0)
			return;
		req[len] = '\0';
		guardian_handle(g, req);
	}
}

/* Out of migrace's process group and session, deaf to its signals, holding none of its files. */
static void guardian_detach(int sock)
{
	static const int deaf[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2 };
	int null = open("/dev/null", O_RDWR);

	setsid();
	for (size_t i = 0; i < ARRAY_SIZE(deaf); i++)
		signal(deaf[i], SIG_IGN);
	prctl(PR_SET_NAME, "migrace-guard");
	/* The OOM killer may take migrace; it must leave the one who cleans up. */
	write_text("/proc/self/oom_score_adj", "-1000");
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	/* stderr stays: the guardian says what it restored. */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != sock)
			close(fd);
}

static void __attribute__((noreturn)) guardian_main(int sock, pid_t parent)
{
	static struct guardian g;
	char path[GUARD_PATH];
	int restored = 0, fd;
	uint64_t deadline = 0;

	g.sock = sock;
	g.parent = parent;
	g.lock = g.journal = g.pidfd = -1;
	guardian_detach(sock);
#ifdef SYS_pidfd_open
	g.pidfd = syscall(SYS_pidfd_open, parent, 0);
#endif
	if (getppid() != parent)
		_exit(0);		/* gone before anything was saved */
	/* A journal with its lock free was left by a run and guardian both dead. */
	guard_file(path, sizeof(path), "journal");
	if (!access(path, F_OK) && (fd = guard_lock(0, NULL)) >= 0) {
		if (!guard_replay(&restored) && restored)
			fprintf(stderr, "migrace: restored %d tunables a dead migrace had left changed\n",
				restored);
		close(fd);
	}
	if (guard_watch.fire) {
		if (guard_watch.begin)
			guard_watch.begin(guard_watch.arg);
		deadline = now_ns() + (uint64_t)(guard_watch.seconds * 1e9);
	}
	send(sock, "k", 1, MSG_NOSIGNAL);
	guardian_serve(&g, deadline);
	guardian_restore(&g);
	_exit(0);
}

/* Sends a request, waits for the answer; send and recv only, for signal handlers. */
static int guard_call(const char *req, size_t len, char *reply, size_t rlen)
{
	ssize_t n;

	if (guard_sock < 0)
		return -ENOTCONN;
	do
		n = send(guard_sock, req, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		return -EPIPE;
	do
		n = recv(guard_sock, reply, rlen - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -EPIPE;
	reply[n] = '\0';
	return 0;
}

/*
 * Forks the guardian. Call it early, while migrace is one small thread: a
 * fork later would copy the scenario's memory and make its pages
 * copy-on-write under the races being measured.
 */
int guard_start(void)
{
	struct timeval tv = { .tv_sec = GUARD_WAIT_MS / 1000 + 5 };
	pid_t parent = getpid(), pid;
	char reply[32];
	int sv[2], ret;

	if (guard_sock >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (!pid) {
		close(sv[0]);
		guardian_main(sv[1], parent);
	}
	close(sv[1]);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	guard_sock = sv[0];
	/* Its first answer comes once it has replayed what a dead run left. */
	if (recv(guard_sock, reply, sizeof(reply), 0) != 1 || reply[0] != 'k') {
		close(guard_sock);
		guard_sock = -1;
		return -EPIPE;
	}
	return 0;
}

/*
 * Before a tunable's first change: its old value, held by the guardian.
 * -EBUSY and *owner when another migrace is changing tunables; 0 without a
 * guardian (programs that never started one restore in-process only).
 */
int guard_save(const char *path, const char *value, pid_t *owner)
{
	char req[GUARD_REQ], reply[32];
	int n, ret;

	if (guard_sock < 0)
		return 0;
	if (strpbrk(path, "\t\n") || strchr(value, '\n'))
		return -EINVAL;
	n = snprintf(req, sizeof(req), "s%s\t%s", path, value);
	if (n < 0 || (size_t)n >= sizeof(req))
		return -ENAMETOOLONG;
	ret = guard_call(req, n, reply, sizeof(reply));
	if (ret)
		return ret;
	if (reply[0] == 'b') {
		*owner = atoi(reply + 1);
		return -EBUSY;
	}
	return reply[0] == 'e' ? -atoi(reply + 1) : 0;
}

/* Everything is restored: the guardian lets go of journal and lock. Async-signal-safe. */
void guard_done(void)
{
	char reply[32];

	guard_call("d", 1, reply, sizeof(reply));
}
