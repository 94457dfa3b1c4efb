/* pin.c - pinning backends: ways to make the kernel pin or reference user memory, one table row each. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#include "pin_int.h"
#include "util.h"

#define PIN_PAGE 4096

/* Records what failed; returns err (a negative errno) for the caller to pass on. */
int pin_error(struct pin_inst *p, int err, const char *what)
{
	snprintf(p->err, sizeof(p->err), "%s: %s", what, strerror(-err));
	return err;
}

void pin_lat_kind(struct pin_inst *p, int kind, uint64_t t0)
{
	if (p->nr_lat < PIN_MAX_LAT) {
		p->lat_kind[p->nr_lat] = kind;
		p->lat[p->nr_lat++] = now_ns() - t0;
	}
}

static void pin_lat(struct pin_inst *p, uint64_t t0)
{
	pin_lat_kind(p, 0, t0);
}

/* pread/pwrite until len bytes moved: a short transfer is retried, EOF is -EIO. */
static int pin_rw(int fd, void *buf, size_t len, off_t off, bool write)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The same on a stream (pipe, socket). */
static int pin_stream(int fd, void *buf, size_t len, bool out)
{
	while (len) {
		ssize_t n = out ? write(fd, buf, len) : read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE;
		buf = (char *)buf + n;
		len -= n;
	}
	return 0;
}

int pin_bounce_alloc(struct pin_inst *p, bool shared)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;

	p->bounce = mmap(NULL, p->len_max, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p->bounce == MAP_FAILED) {
		p->bounce = NULL;
		return pin_error(p, -errno, "bounce buffer");
	}
	return 0;
}

static const char *pin_need_file(const struct pin_conf *c)
{
	return c->fd < 0 ? "no file or block device for I/O (see --file)" : NULL;
}

/* ---- io_uring: registered buffers (uring-fixed), plain I/O (odirect) ---- */

#ifdef HAVE_LIBURING
struct pin_uring {
	struct io_uring ring;
	bool registered;
	unsigned long legs;	/* odirect: which interface the next leg uses */
};

static const char *pin_uring_probe(char *buf, size_t len)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret < 0) {
		snprintf(buf, len, "io_uring_setup: %s (kernel.io_uring_disabled, seccomp?)",
			 strerror(-ret));
		return buf;
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

static int pin_uring_setup(struct pin_inst *p)
{
	struct pin_uring *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return pin_error(p, -ENOMEM, "setup");
	p->priv = u;
	ret = io_uring_queue_init(4, &u->ring, 0);
	if (ret < 0) {
		free(u);
		p->priv = NULL;
		return pin_error(p, ret, "io_uring_queue_init");
	}
	return pin_bounce_alloc(p, false);
}

static void pin_uring_teardown(struct pin_inst *p)
{
	struct pin_uring *u = p->priv;

	if (!u)
		return;
	if (u->registered)
		io_uring_unregister_buffers(&u->ring);
	io_uring_queue_exit(&u->ring);
	free(u);
	p->priv = NULL;
}

/* One request through the ring, waited for; res must be the whole length. */
static int pin_uring_io(struct pin_inst *p, struct io_uring_sqe *sqe, size_t len,
			const char *what)
{
	struct pin_uring *u = p->priv;
	struct io_uring_cqe *cqe;
	int ret, res;

	ret = io_uring_submit_and_wait(&u->ring, 1);
	if (ret >= 0)
		ret = io_uring_wait_cqe(&u->ring, &cqe);
	if (ret < 0)
		return pin_error(p, ret, what);
	res = cqe->res;
	io_uring_cqe_seen(&u->ring, cqe);
	if (res < 0)
		return pin_error(p, res, what);
	return res == (int)len ? 0 : pin_error(p, -EIO, what);
}

static const char *uring_fixed_unavailable(const struct pin_conf *c, char *buf, size_t len)
{
	return pin_need_file(c) ?: pin_uring_probe(buf, len);
}

/* A long-term pin (pin_user_pages_fast with FOLL_LONGTERM), held until unpin. */
static int uring_fixed_pin(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_uring *u = p->priv;
	struct iovec iov = { addr, len };
	uint64_t t0 = now_ns();
	int ret = io_uring_register_buffers(&u->ring, &iov, 1);

	pin_lat(p, t0);
	if (ret < 0)
		return pin_error(p, ret, "io_uring_register_buffers");
	u->registered = true;
	return 0;
}

static int uring_fixed_unpin(struct pin_inst *p)
{
	struct pin_uring *u = p->priv;
	int ret = io_uring_unregister_buffers(&u->ring);

	u->registered = false;
	return ret < 0 ? pin_error(p, ret, "io_uring_unregister_buffers") : 0;
}

static int uring_fixed_out(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_uring *u = p->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int ret;

	io_uring_prep_write_fixed(sqe, p->conf.fd, addr, len, p->file_off, 0);
	ret = pin_uring_io(p, sqe, len, "WRITE_FIXED");
	if (ret)
		return ret;
	ret = pin_rw(p->conf.fd, p->bounce, len, p->file_off, false);
	return ret ? pin_error(p, ret, "read back") : 0;
}

static int uring_fixed_in(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_uring *u = p->priv;
	struct io_uring_sqe *sqe;
	int ret = pin_rw(p->conf.fd, p->bounce, len, p->file_off, true);

	if (ret)
		return pin_error(p, ret, "write peer");
	sqe = io_uring_get_sqe(&u->ring);
	io_uring_prep_read_fixed(sqe, p->conf.fd, addr, len, p->file_off, 0);
	return pin_uring_io(p, sqe, len, "READ_FIXED");
}

/* O_DIRECT through io_uring without registered buffers: a pin per request. */
static int odirect_uring(struct pin_inst *p, char *addr, size_t len, bool write)
{
	struct pin_uring *u = p->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (write)
		io_uring_prep_write(sqe, p->conf.fd, addr, len, p->file_off);
	else
		io_uring_prep_read(sqe, p->conf.fd, addr, len, p->file_off);
	return pin_uring_io(p, sqe, len, write ? "io_uring write" : "io_uring read");
}
#endif /* HAVE_LIBURING */

/* ---- odirect: short pins for the length of one I/O ---- */

static const char *odirect_unavailable(const struct pin_conf *c, char *buf, size_t len)
{
	if (pin_need_file(c))
		return pin_need_file(c);
	if (!c->direct)
		return "the file does not take O_DIRECT (tmpfs does not on Linux < 6.6): give --file on a disk filesystem or a block device";
	return NULL;
}

static int odirect_setup(struct pin_inst *p)
{
#ifdef HAVE_LIBURING
	return pin_uring_setup(p);
#else
	return pin_bounce_alloc(p, false);
#endif
}

static void odirect_teardown(struct pin_inst *p)
{
#ifdef HAVE_LIBURING
	pin_uring_teardown(p);
#endif
}

/* Operations alternate between pread/pwrite and io_uring (when built with liburing): two legs each. */
static int odirect_io(struct pin_inst *p, char *addr, size_t len, bool write)
{
	uint64_t t0 = now_ns();
	int ret;

#ifdef HAVE_LIBURING
	struct pin_uring *u = p->priv;

	if (u->legs++ & 2) {
		ret = odirect_uring(p, addr, len, write);
		pin_lat(p, t0);
		return ret;
	}
#endif
	ret = pin_rw(p->conf.fd, addr, len, p->file_off, write);
	pin_lat(p, t0);
	return ret ? pin_error(p, ret, write ? "O_DIRECT pwrite" : "O_DIRECT pread") : 0;
}

static int odirect_out(struct pin_inst *p, char *addr, size_t len)
{
	int ret = odirect_io(p, addr, len, true);

	if (ret)
		return ret;
	ret = pin_rw(p->conf.fd, p->bounce, len, p->file_off, false);
	return ret ? pin_error(p, ret, "read back") : 0;
}

static int odirect_in(struct pin_inst *p, char *addr, size_t len)
{
	int ret = pin_rw(p->conf.fd, p->bounce, len, p->file_off, true);

	if (ret)
		return pin_error(p, ret, "write peer");
	return odirect_io(p, addr, len, false);
}

/* ---- vmsplice: gup-fast references held by a pipe ---- */

struct pin_pipe {
	int fd[2];
};

static int vmsplice_setup(struct pin_inst *p)
{
	struct pin_pipe *pp = calloc(1, sizeof(*pp));
	long sz;

	if (!pp)
		return pin_error(p, -ENOMEM, "setup");
	p->priv = pp;
	if (pipe2(pp->fd, O_CLOEXEC)) {
		free(pp);
		p->priv = NULL;
		return pin_error(p, -errno, "pipe2");
	}
	/* The pipe must hold a whole transfer: vmsplice must not block. */
	sz = fcntl(pp->fd[1], F_SETPIPE_SZ, (int)p->conf.max_len);
	if (sz < 0)
		sz = fcntl(pp->fd[1], F_SETPIPE_SZ,
			   (int)read_ll("/proc/sys/fs/pipe-max-size", 1 << 20));
	if (sz < 0)
		sz = fcntl(pp->fd[1], F_GETPIPE_SZ);
	p->len_max = MIN(p->conf.max_len, (size_t)sz / PIN_PAGE * PIN_PAGE);
	return pin_bounce_alloc(p, false);
}

static void vmsplice_teardown(struct pin_inst *p)
{
	struct pin_pipe *pp = p->priv;

	if (!pp)
		return;
	close(pp->fd[0]);
	close(pp->fd[1]);
	free(pp);
	p->priv = NULL;
}

/* vmsplice until the whole iovec is queued (or, from the read end, filled). */
static int vmsplice_all(struct pin_inst *p, int fd, char *addr, size_t len, bool timed)
{
	while (len) {
		struct iovec iov = { addr, len };
		uint64_t t0 = now_ns();
		ssize_t n = vmsplice(fd, &iov, 1, 0);

		if (timed)
			pin_lat(p, t0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return pin_error(p, n ? -errno : -EIO, "vmsplice");
		addr += n;
		len -= n;
	}
	return 0;
}

/* The pipe now references the pages: what is written through the mapping after this shows in it. */
static int vmsplice_pin(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_pipe *pp = p->priv;

	return vmsplice_all(p, pp->fd[1], addr, len, true);
}

static int vmsplice_out(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_pipe *pp = p->priv;
	int ret = pin_stream(pp->fd[0], p->bounce, len, false);

	return ret ? pin_error(p, ret, "read pipe") : 0;
}

/* From the read end, vmsplice copies into the memory: no reference taken. */
static int vmsplice_in(struct pin_inst *p, char *addr, size_t len)
{
	struct pin_pipe *pp = p->priv;
	int ret = pin_stream(pp->fd[1], p->bounce, len, true);

	if (ret)
		return pin_error(p, ret, "write pipe");
	return vmsplice_all(p, pp->fd[0], addr, len, false);
}

static int vmsplice_unpin(struct pin_inst *p)
{
	return 0;
}

/* ---- pvm: process_vm_readv/writev from a helper process (remote gup) ---- */

struct pvm_req {
	uint64_t addr, len;
	uint32_t write;
};

struct pvm_rep {
	int64_t ret;	/* bytes, or -errno */
	uint64_t ns;	/* duration of the call */
};

struct pin_pvm {
	pid_t pid;
	int sock;
};

/* The helper: async-signal-safe calls only, it was forked from a threaded process. */
static void __attribute__((noreturn)) pvm_helper(int sock, pid_t parent, char *local)
{
	struct pvm_req q;
	struct pvm_rep r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	while (read(sock, &q, sizeof(q)) == sizeof(q)) {
		struct iovec l = { local, q.len }, rem = { (void *)(uintptr_t)q.addr, q.len };
		uint64_t t0 = now_ns();
		ssize_t n = q.write ? process_vm_writev(parent, &l, 1, &rem, 1, 0) :
				      process_vm_readv(parent, &l, 1, &rem, 1, 0);

		r.ns = now_ns() - t0;
		r.ret = n < 0 ? -errno : n;
		if (write(sock, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

static const char *pvm_unavailable(const struct pin_conf *c, char *buf, size_t len)
{
	char a = 1, b = 0;
	struct iovec l = { &b, 1 }, r = { &a, 1 };

	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) == 1)
		return NULL;
	snprintf(buf, len, "process_vm_readv: %s (kernel without CROSS_MEMORY_ATTACH?)",
		 strerror(errno));
	return buf;
}

/* The caller must keep its THP region out of the helper (MADV_DONTFORK): fork would share it copy-on-write. */
static int pvm_setup(struct pin_inst *p)
{
	struct pin_pvm *v = calloc(1, sizeof(*v));
	pid_t parent = getpid();
	int sv[2], ret;

	if (!v)
		return pin_error(p, -ENOMEM, "setup");
	p->priv = v;
	v->pid = -1;
	v->sock = -1;
	ret = pin_bounce_alloc(p, true);
	if (ret)
		return ret;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return pin_error(p, -errno, "socketpair");
	v->pid = fork();
	if (v->pid < 0) {
		ret = -errno;
		close(sv[0]);
		close(sv[1]);
		return pin_error(p, ret, "fork");
	}
	if (!v->pid) {
		close(sv[0]);
		pvm_helper(sv[1], parent, p->bounce);
	}
	close(sv[1]);
	v->sock = sv[0];
	/* Yama's ptrace_scope 1 lets only an ancestor read a process, unless it allows it. */
	prctl(PR_SET_PTRACER, v->pid, 0, 0, 0);
	return 0;
}

static void pvm_teardown(struct pin_inst *p)
{
	struct pin_pvm *v = p->priv;

	if (!v)
		return;
	if (v->sock >= 0)
		close(v->sock);
	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		while (waitpid(v->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(v);
	p->priv = NULL;
}

static int pvm_call(struct pin_inst *p, char *addr, size_t len, bool write)
{
	struct pin_pvm *v = p->priv;
	struct pvm_req q = { (uintptr_t)addr, len, write };
	struct pvm_rep r;
	const char *what = write ? "process_vm_writev" : "process_vm_readv";
	int ret;

	ret = pin_stream(v->sock, &q, sizeof(q), true);
	if (!ret)
		ret = pin_stream(v->sock, &r, sizeof(r), false);
	if (ret)
		return pin_error(p, ret, "helper process");
	if (p->nr_lat < PIN_MAX_LAT) {
		p->lat_kind[p->nr_lat] = 0;
		p->lat[p->nr_lat++] = r.ns;
	}
	if (r.ret < 0)
		return pin_error(p, r.ret, what);
	return r.ret == (int64_t)len ? 0 : pin_error(p, -EIO, what);
}

static int pvm_out(struct pin_inst *p, char *addr, size_t len)
{
	return pvm_call(p, addr, len, false);
}

static int pvm_in(struct pin_inst *p, char *addr, size_t len)
{
	return pvm_call(p, addr, len, true);
}

/* ---- gupfast-pressure: short references, no transfer ---- */

/* --gup-calls: set before any pinner starts, so the threads read it unlocked. */
static int pressure_gup_calls;

static const struct opt pressure_opts[] = {
	{ "gup-calls", OPT_INT, &pressure_gup_calls, "16",
	  "gupfast-pressure: gup calls per operation", 2, 100000 },
	{ NULL }
};

static const char *pin_always(const struct pin_conf *c, char *buf, size_t len)
{
	return NULL;
}

static int pressure_setup(struct pin_inst *p)
{
	return pin_bounce_alloc(p, false);
}

/* Spread over the range: get_mempolicy's node lookup and a shared futex key each take a page reference. */
static int pressure_calls(struct pin_inst *p, char *addr, size_t len)
{
	int n = MAX(pressure_gup_calls / 2, 1);

	for (int i = 0; i < n; i++) {
		size_t off = (size_t)i * len / n / 64 * 64;
		uint32_t *word = (uint32_t *)(addr + off + 32);
		uint64_t t0 = now_ns();
		int node = -1;

		if (get_mempolicy(&node, NULL, 0, word, MPOL_F_NODE | MPOL_F_ADDR))
			return pin_error(p, -errno, "get_mempolicy");
		pin_lat(p, t0);
		t0 = now_ns();
		if (syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0)
			return pin_error(p, -errno, "futex");
		pin_lat(p, t0);
	}
	return 0;
}

static int pressure_out(struct pin_inst *p, char *addr, size_t len)
{
	int ret = pressure_calls(p, addr, len);

	if (!ret)
		memcpy(p->bounce, addr, len);
	return ret;
}

static int pressure_in(struct pin_inst *p, char *addr, size_t len)
{
	memcpy(addr, p->bounce, len);
	return pressure_calls(p, addr, len);
}

/* ---- the table ---- */

static const struct pin_ops pin_uring_fixed = {
	.name = "uring-fixed",
	.desc = "io_uring registered buffer (long-term pin, FOLL_LONGTERM) with WRITE_FIXED/READ_FIXED through it",
	.holds_pin = true,
	.long_term = true,
#ifdef HAVE_LIBURING
	.unavailable = uring_fixed_unavailable,
	.setup = pin_uring_setup,
	.pin = uring_fixed_pin,
	.out = uring_fixed_out,
	.in = uring_fixed_in,
	.unpin = uring_fixed_unpin,
	.teardown = pin_uring_teardown,
#endif
};

static const struct pin_ops pin_odirect = {
	.name = "odirect",
	.desc = "O_DIRECT pread/pwrite and io_uring read/write without fixed buffers (a pin per I/O)",
	.unavailable = odirect_unavailable,
	.setup = odirect_setup,
	.out = odirect_out,
	.in = odirect_in,
	.teardown = odirect_teardown,
};

static const struct pin_ops pin_vmsplice = {
	.name = "vmsplice",
	.desc = "vmsplice into a pipe (gup-fast references held by the pipe until read), vmsplice back out",
	.holds_pin = true,
	.unavailable = pin_always,
	.setup = vmsplice_setup,
	.pin = vmsplice_pin,
	.out = vmsplice_out,
	.in = vmsplice_in,
	.unpin = vmsplice_unpin,
	.teardown = vmsplice_teardown,
};

static const struct pin_ops pin_pvm = {
	.name = "pvm",
	.desc = "process_vm_readv/writev from a helper process (remote slow-path gup, short pin)",
	.unavailable = pvm_unavailable,
	.setup = pvm_setup,
	.out = pvm_out,
	.in = pvm_in,
	.teardown = pvm_teardown,
};

static const struct pin_ops pin_pressure = {
	.name = "gupfast-pressure",
	.desc = "get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR) and shared FUTEX_WAKE on the memory (short gup references)",
	.options = pressure_opts,
	.unavailable = pin_always,
	.setup = pressure_setup,
	.out = pressure_out,
	.in = pressure_in,
};

const struct pin_ops *const pin_backends[] = {
	&pin_uring_fixed, &pin_odirect, &pin_vmsplice, &pin_pvm, &pin_pressure, &pin_rdma,
	&pin_rdma_odp, NULL
};

const struct pin_ops *pin_find(const char *name)
{
	for (int i = 0; pin_backends[i]; i++)
		if (!strcmp(pin_backends[i]->name, name))
			return pin_backends[i];
	return NULL;
}

/* The option tables of every backend that has some, NULL-terminated, in the backends' order. */
const struct opt *const *pin_options(void)
{
	static const struct opt *tabs[ARRAY_SIZE(pin_backends)];
	size_t n = 0;

	for (size_t i = 0; pin_backends[i]; i++)
		if (pin_backends[i]->options)
			tabs[n++] = pin_backends[i]->options;
	tabs[n] = NULL;
	return tabs;
}

/* Whether ops can run here: NULL, or the reason it cannot (a row compiled out says why). */
const char *pin_unavailable(const struct pin_ops *ops, const struct pin_conf *c,
			    char *buf, size_t len)
{
#ifndef HAVE_LIBURING
	if (ops == &pin_uring_fixed)
		return WHY_NO_LIBURING;
#endif
	return ops->unavailable(c, buf, len);
}

int pin_open(struct pin_inst *p, const struct pin_ops *ops, const struct pin_conf *c,
	     off_t file_off)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->conf = *c;
	p->file_off = file_off;
	p->len_max = c->max_len;
	return ops->setup(p);
}

void pin_close(struct pin_inst *p)
{
	if (p->ops && p->ops->teardown)
		p->ops->teardown(p);
	if (p->bounce)
		munmap(p->bounce, p->len_max);
	p->bounce = NULL;
}
