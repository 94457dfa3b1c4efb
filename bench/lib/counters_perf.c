/* counters_perf.c - perf_event_open for software events and tracepoints, and the tracepoint sampler. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "counters.h"
#include "counters_int.h"
#include "util.h"

#define TRACEFS		"/sys/kernel/tracing"
#define SAMPLE_PAGES	64	/* data pages per CPU buffer: 256 KiB, a power of two */

static const char *const tracefs_dirs[] = { TRACEFS, "/sys/kernel/debug/tracing" };

/* tracefs is needed only to look up tracepoint ids: mounted for that, then unmounted. */
static struct {
	int users;
	bool mounted;
	const char *dir;
	int err;
} tfs;

struct tp_field {
	int offset, size;
	bool is_signed;
};

void ctr_tracefs_get(void)
{
	char path[128];

	if (tfs.users++)
		return;
	tfs.dir = NULL;
	tfs.err = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tracefs_dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", tracefs_dirs[i]);
		if (!access(path, X_OK)) {
			tfs.dir = tracefs_dirs[i];
			return;
		}
		if (errno == EACCES) {
			tfs.err = -EACCES;
			return;
		}
	}
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		tfs.err = -errno;
		return;
	}
	tfs.mounted = true;
	tfs.dir = TRACEFS;
}

void ctr_tracefs_put(void)
{
	if (--tfs.users || !tfs.mounted)
		return;
	if (umount(TRACEFS))
		msg("cannot unmount the tracefs mounted at %s: %s", TRACEFS, strerror(errno));
	tfs.mounted = false;
}

static int tracefs_why(char *why, size_t len)
{
	switch (-tfs.err) {
	case 0:
		return 0;
	case EACCES:
		snprintf(why, len, "tracefs not readable (tracepoint ids): needs root");
		break;
	case EPERM:
		snprintf(why, len, "tracefs not mounted, and mounting it needs root");
		break;
	case ENODEV:
	case ENOENT:
		snprintf(why, len, "no tracefs on this kernel (CONFIG_TRACING off?)");
		break;
	default:
		snprintf(why, len, "cannot mount tracefs at %s: %s", TRACEFS, strerror(-tfs.err));
	}
	return tfs.err;
}

/* One integer field of a tracepoint's raw record, from its format file. */
static int tp_field_find(const char *format, const char *want, struct tp_field *f)
{
	FILE *fp = fopen(format, "re");
	char line[512], decl[256];
	int off, size, sign, ret = -ENOENT;

	if (!fp)
		return -errno;
	while (ret == -ENOENT && fgets(line, sizeof(line), fp)) {
		char *name;

		if (sscanf(line, " field:%255[^;]; offset:%d; size:%d; signed:%d;",
			   decl, &off, &size, &sign) != 4)
			continue;
		name = strrchr(decl, ' ');
		name = name ? name + 1 : decl;
		if (strcmp(name, want))
			continue;
		if (size != 1 && size != 2 && size != 4 && size != 8)
			ret = -EINVAL;	/* arrays, strings */
		else
			ret = 0;
		f->offset = off;
		f->size = size;
		f->is_signed = sign;
	}
	fclose(fp);
	return ret;
}

/* The perf id of tracepoint "sys:name", and the layout of the fields asked for. */
static int tp_lookup(const char *tp, const char *const *fields, struct tp_field *out,
		     char *why, size_t len)
{
	char sys[64], name[128], dir[320], path[384];
	long long id;

	if (sscanf(tp, "%63[^:]:%127s", sys, name) != 2) {
		snprintf(why, len, "not a tracepoint name (sys:name)");
		return -1;
	}
	if (tracefs_why(why, len))
		return -1;
	snprintf(dir, sizeof(dir), "%s/events/%s/%s", tfs.dir, sys, name);
	if (access(dir, F_OK)) {
		snprintf(why, len, "tracepoint absent on this kernel");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/id", dir);
	id = read_ll(path, -1);
	if (id < 0) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/format", dir);
	for (int i = 0; fields && fields[i]; i++) {
		int ret = i < COUNTERS_MAX_FIELDS ? tp_field_find(path, fields[i], &out[i]) : -E2BIG;

		if (ret) {
			snprintf(why, len, "field '%s' of %s: %s", fields[i], tp,
				 ret == -ENOENT ? "absent on this kernel" :
				 ret == -EINVAL ? "not an integer" : strerror(-ret));
			return -1;
		}
	}
	return (int)id;
}

/* 0 when tracepoint tp has integer field "field", else -1 and why not. */
int ctr_tp_field_why(const char *tp, const char *field, char *why, size_t len)
{
	const char *const fields[] = { field, NULL };
	struct tp_field f;
	int id;

	ctr_tracefs_get();
	id = tp_lookup(tp, fields, &f, why, len);
	ctr_tracefs_put();
	return id < 0 ? -1 : 0;
}

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	long fd = syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

static int nr_cpu_slots(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : 1;
}

static void perf_why(char *why, size_t len, int err, bool system)
{
	int p = ctr_env.paranoid;

	if (err == -EACCES || err == -EPERM) {
		if (system)
			snprintf(why, len, "perf_event_paranoid=%d: system-wide counting needs root (CAP_PERFMON) or perf_event_paranoid <= 0", p);
		else if (p >= 3)
			snprintf(why, len, "perf_event_paranoid=%d: needs root (CAP_PERFMON) or perf_event_paranoid <= 2", p);
		else
			snprintf(why, len, "perf_event_paranoid=%d: counting in kernel context needs root (CAP_PERFMON) or perf_event_paranoid <= 1", p);
	} else if (err == -ENOENT || err == -EOPNOTSUPP) {
		snprintf(why, len, "not supported by this kernel (%s)", strerror(-err));
	} else if (err == -EMFILE) {
		snprintf(why, len, "out of file descriptors: raise ulimit -n");
	} else {
		snprintf(why, len, "perf_event_open: %s", strerror(-err));
	}
}

/*
 * The process scope counts the calling thread and, through perf's inherit,
 * every thread and child it starts later; the system scope counts every CPU.
 */
static int ctr_open(struct ctr *c, struct perf_event_attr *a)
{
	int n = ctr_env.system ? nr_cpu_slots() : 1;

	c->fd = calloc(n, sizeof(*c->fd));
	c->nr_fd = 0;
	if (!c->fd)
		return -ENOMEM;
	a->inherit = !ctr_env.system;
	for (int cpu = 0; cpu < n; cpu++) {
		int fd = ctr_env.system ? perf_open(a, -1, cpu) : perf_open(a, 0, -1);

		if (fd == -ENODEV && ctr_env.system)
			continue;	/* an offline CPU */
		if (fd < 0) {
			ctr_perf_close(c);
			return fd;
		}
		c->fd[c->nr_fd++] = fd;
	}
	return c->nr_fd ? 0 : -ENODEV;
}

static void attr_init(struct perf_event_attr *a, uint32_t type, uint64_t config)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = type;
	a->config = config;
	a->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
}

/*
 * With perf_event_paranoid 2 an unprivileged process may count only user
 * mode. Faults and task time are still meaningful there (faults taken in
 * kernel mode are missed: mode says "user"); context switches and CPU
 * migrations happen in kernel context and would read as a silent zero.
 */
void ctr_perf_software(struct ctr *c, uint64_t config, bool user_ok)
{
	struct perf_event_attr a;
	int ret;

	attr_init(&a, PERF_TYPE_SOFTWARE, config);
	c->mode = "user+kernel";
	ret = ctr_open(c, &a);
	if ((ret == -EACCES || ret == -EPERM) && user_ok && !ctr_env.system) {
		a.exclude_kernel = 1;
		a.exclude_hv = 1;
		c->mode = "user";
		ret = ctr_open(c, &a);
	}
	if (ret)
		perf_why(c->why, sizeof(c->why), ret, ctr_env.system);
}

/* Tracepoints fire in kernel context: no user-only fallback, that would count nothing. */
void ctr_perf_tracepoint(struct ctr *c)
{
	struct perf_event_attr a;
	int id, ret;

	ctr_tracefs_get();
	id = tp_lookup(c->name, NULL, NULL, c->why, sizeof(c->why));
	ctr_tracefs_put();
	if (id < 0)
		return;
	attr_init(&a, PERF_TYPE_TRACEPOINT, id);
	c->mode = "kernel";
	ret = ctr_open(c, &a);
	if (ret)
		perf_why(c->why, sizeof(c->why), ret, ctr_env.system);
}

/* Hits of a kernel function, through perf's kprobe PMU: no tracefs, no probe left behind. */
void ctr_perf_kprobe(struct ctr *c)
{
	long long type = read_ll("/sys/bus/event_source/devices/kprobe/type", -1);
	const char *func = strchr(c->name, ':') + 1;
	struct perf_event_attr a;
	int ret;

	c->mode = "kernel";
	if (type < 0) {
		snprintf(c->why, sizeof(c->why), "no kprobe PMU in this kernel (CONFIG_KPROBE_EVENTS off)");
		return;
	}
	attr_init(&a, (uint32_t)type, 0);
	a.kprobe_func = (uintptr_t)func;
	ret = ctr_open(c, &a);
	if (ret == -EACCES || ret == -EPERM)
		snprintf(c->why, sizeof(c->why), "kprobes need root (CAP_PERFMON)");
	else if (ret == -ENOENT || ret == -EINVAL)
		snprintf(c->why, sizeof(c->why), "kernel function %s cannot be probed here (absent, inlined or not allowed)",
			 func);
	else if (ret)
		perf_why(c->why, sizeof(c->why), ret, ctr_env.system);
}

void ctr_perf_read(struct ctr *c)
{
	uint64_t sum = 0;

	for (int i = 0; i < c->nr_fd; i++) {
		struct { uint64_t val, enabled, running; } r;

		if (read(c->fd[i], &r, sizeof(r)) != sizeof(r))
			continue;
		/* Software events and tracepoints are never multiplexed; just in case. */
		if (r.running && r.running < r.enabled) {
			r.val = (uint64_t)((double)r.val * r.enabled / r.running);
			c->scaled = true;
		}
		sum += r.val;
	}
	c->now = sum;
}

void ctr_perf_close(struct ctr *c)
{
	for (int i = 0; i < c->nr_fd; i++)
		close(c->fd[i]);
	free(c->fd);
	c->fd = NULL;
	c->nr_fd = 0;
}

struct counters_sampler {
	int nr;				/* buffers: one per CPU */
	int *fd;
	struct pollfd *pfd;		/* the buffers and a stop fd, for ctr_sample_wait */
	void **buf;
	size_t map_len, data_size, page;
	uint64_t sample_type, lost;
	int nr_fields;
	struct tp_field fields[COUNTERS_MAX_FIELDS];
	unsigned char rec[1 << 16];	/* one record, unwrapped */
};

void counters_sample_close(struct counters_sampler *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nr; i++) {
		if (s->buf[i])
			munmap(s->buf[i], s->map_len);
		close(s->fd[i]);
	}
	free(s->pfd);
	free(s->buf);
	free(s->fd);
	free(s);
}

static int sampler_open_cpu(struct counters_sampler *s, struct perf_event_attr *a, int cpu,
			    bool system)
{
	int fd = perf_open(a, system ? -1 : 0, cpu);
	void *p;

	if (fd < 0)
		return fd == -ENODEV ? 0 : fd;	/* ENODEV: an offline CPU */
	/* Writable: the reader moves data_tail, so the kernel never overwrites unread records. */
	p = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->fd[s->nr] = fd;
	s->buf[s->nr++] = p;
	return 0;
}

static void sampler_why(char *why, size_t len, int err, bool raw, bool system)
{
	if ((err == -EACCES || err == -EPERM) && raw && !system)
		snprintf(why, len, "perf_event_paranoid=%d: raw tracepoint fields need root (CAP_PERFMON) or perf_event_paranoid -1",
			 ctr_env.paranoid);
	else if (err == -EPERM && !raw)
		snprintf(why, len, "perf_event_paranoid=%d: sampling in kernel context needs root (CAP_PERFMON) or perf_event_paranoid <= 1 (or ulimit -l)",
			 ctr_env.paranoid);
	else
		perf_why(why, len, err, system);
}

struct counters_sampler *counters_sample_open(const char *tracepoint, const char *const *fields,
					      int flags, char *why, size_t len)
{
	struct counters_sampler *s = calloc(1, sizeof(*s));
	bool system = flags & COUNTERS_SAMPLE_SYSTEM;
	struct perf_event_attr a;
	int id, n = nr_cpu_slots(), ret = 0;

	if (!s) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	ctr_tracefs_get();
	id = tp_lookup(tracepoint, fields, s->fields, why, len);
	ctr_tracefs_put();
	if (id < 0)
		goto free;
	while (fields && fields[s->nr_fields])
		s->nr_fields++;
	s->page = sysconf(_SC_PAGESIZE);
	s->data_size = SAMPLE_PAGES * s->page;
	s->map_len = s->data_size + s->page;
	s->fd = calloc(n, sizeof(*s->fd));
	s->buf = calloc(n, sizeof(*s->buf));
	s->pfd = calloc(n + 1, sizeof(*s->pfd));
	if (!s->fd || !s->buf || !s->pfd) {
		snprintf(why, len, "out of memory");
		goto free;
	}
	attr_init(&a, PERF_TYPE_TRACEPOINT, id);
	a.read_format = 0;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
	if (s->nr_fields)
		a.sample_type |= PERF_SAMPLE_RAW;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;	/* the clock of now_ns() */
	a.inherit = !system;
	/* Poll wakes a reader when a buffer is half full. */
	a.watermark = 1;
	a.wakeup_watermark = s->data_size / 2;
	s->sample_type = a.sample_type;
	for (int cpu = 0; cpu < n && !ret; cpu++)
		ret = sampler_open_cpu(s, &a, cpu, system);
	if (!ret && s->nr)
		return s;
	sampler_why(why, len, ret ? ret : -ENODEV, s->nr_fields, system);
free:
	counters_sample_close(s);
	return NULL;
}

static void ring_copy(const struct counters_sampler *s, const unsigned char *data, uint64_t pos,
		      void *dst, size_t n)
{
	size_t off = pos & (s->data_size - 1), first = MIN(n, s->data_size - off);

	memcpy(dst, data + off, first);
	memcpy((unsigned char *)dst + first, data, n - first);
}

static int64_t raw_field(const unsigned char *raw, uint32_t size, const struct tp_field *f)
{
	uint64_t u = 0;

	if ((uint32_t)(f->offset + f->size) > size)
		return 0;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	switch (f->size) {
	case 1:
		memcpy(&u8, raw + f->offset, 1);
		return f->is_signed ? (int64_t)(int8_t)u8 : (int64_t)u8;
	case 2:
		memcpy(&u16, raw + f->offset, 2);
		return f->is_signed ? (int64_t)(int16_t)u16 : (int64_t)u16;
	case 4:
		memcpy(&u32, raw + f->offset, 4);
		return f->is_signed ? (int64_t)(int32_t)u32 : (int64_t)u32;
	}
	memcpy(&u, raw + f->offset, 8);
	return (int64_t)u;
}

/* PERF_RECORD_SAMPLE in sample_type bit order: TID, TIME, CPU, RAW. */
static void sample_parse(const struct counters_sampler *s, const unsigned char *p,
			 struct counters_rec *r)
{
	uint32_t u32[2], raw_size;

	p += sizeof(struct perf_event_header);
	memcpy(u32, p, 8);
	r->pid = u32[0];
	r->tid = u32[1];
	memcpy(&r->time_ns, p + 8, 8);
	memcpy(u32, p + 16, 8);
	r->cpu = u32[0];
	memset(r->field, 0, sizeof(r->field));
	if (!(s->sample_type & PERF_SAMPLE_RAW))
		return;
	memcpy(&raw_size, p + 24, 4);
	for (int i = 0; i < s->nr_fields; i++)
		r->field[i] = raw_field(p + 28, raw_size, &s->fields[i]);
}

static int sampler_drain(struct counters_sampler *s, int i, struct counters_rec *out, int max)
{
	struct perf_event_mmap_page *mp = s->buf[i];
	const unsigned char *data = (const unsigned char *)mp + s->page;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	struct perf_event_header h;
	int n = 0;

	while (tail < head && n < max) {
		ring_copy(s, data, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		ring_copy(s, data, tail, s->rec, h.size);
		if (h.type == PERF_RECORD_SAMPLE)
			sample_parse(s, s->rec, &out[n++]);
		else if (h.type == PERF_RECORD_LOST)
			s->lost += ((const uint64_t *)(s->rec + sizeof(h)))[1];
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}

static int rec_by_time(const void *a, const void *b)
{
	const struct counters_rec *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

int counters_sample_read(struct counters_sampler *s, struct counters_rec *recs, int max)
{
	int n = 0;

	for (int i = 0; i < s->nr && n < max; i++)
		n += sampler_drain(s, i, recs + n, max - n);
	qsort(recs, n, sizeof(*recs), rec_by_time);
	return n;
}

uint64_t counters_sample_lost(const struct counters_sampler *s)
{
	return s->lost;
}

/* Sleeps until a buffer is half full, stop_fd is readable, or timeout_ms passed (-1: no timeout). */
int ctr_sample_wait(struct counters_sampler *s, int stop_fd, int timeout_ms)
{
	for (int i = 0; i < s->nr; i++)
		s->pfd[i] = (struct pollfd){ .fd = s->fd[i], .events = POLLIN };
	s->pfd[s->nr] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
	if (poll(s->pfd, s->nr + 1, timeout_ms) < 0)
		return -errno;
	return s->pfd[s->nr].revents ? 1 : 0;
}
