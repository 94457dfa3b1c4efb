/* numa_fault.c - scenario numa-fault: AutoNUMA hinting-fault latency and convergence on THP regions. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "counters.h"
#include "faultlat.h"
#include "hist.h"
#include "region.h"
#include "scenario.h"
#include "settings.h"
#include "tsc.h"
#include "util.h"
#include "vmstat.h"

#define NF_MAX_WORKERS	256
#define NF_SCHED_TEXT	1024
#define NF_WARMUP_MS	100	/* plain sweeps before the calibration counts */
#define NF_CAL_CHUNKS	8192	/* chunk times kept per worker and calibration phase */
#define NF_STALL_MIN_NS	1000	/* the automatic stall threshold is at least this */
#define NF_STALL_FACTOR	2	/* ... and this many median accesses */
#define NF_CONVERGED	90	/* percent local the multi-node verdict asks for */

enum nf_layout { NF_REMOTE, NF_INTERLEAVED, NF_SHARED, NF_PRIVATE };
static const char *const nf_layouts[] = { "remote", "interleaved", "shared", "private", NULL };

/* What workers do: PLAIN (warm-up), CALIB (plain and timed chunks in turn), RUN. */
enum nf_phase { NF_IDLE, NF_PLAIN, NF_CALIB, NF_RUN, NF_STOP };

/* One worker, in memory shared with the second process of the shared layout. */
struct nf_worker {
	int id, proc, node, cpu;
	int tid;
	size_t off, len;		/* its part of the region */
	uint64_t acc;			/* accesses in the run */
	uint64_t cacc[2], cns[2];	/* calibration: accesses and ns, plain and timed */
	uint32_t ncal[2];		/* chunk times kept, plain and timed */
	uint32_t cal[2][NF_CAL_CHUNKS];	/* ns */
	uint64_t stalls, fault_stalls;	/* fault_stalls: with a page fault of this thread */
	long faults0, faults;		/* its page faults when the run began; in it */
	bool fault_ring;		/* stalls checked with a perf ring, else getrusage */
	uint64_t sink;			/* keeps the reads */
	struct hist stall, fault_stall;
	char sched[NF_SCHED_TEXT];	/* its numa lines of /proc/thread-self/sched, at the end */
};

struct nf_shared {
	int phase;
	int ready;
	int start;		/* the second process may start its workers */
	int nr;
	struct nf_worker w[];
};

struct nf_tunable {
	enum setting id;
	int *want;			/* -1: leave as it is */
	char path[SETTINGS_PATH];
	char before[64];
	int err;			/* why it cannot be read */
};

struct nf_row {
	uint64_t t_ns;
	double local_pct;		/* NAN without a home node per page (shared) */
	double node_pct[TOPO_MAX_NODES];
	long long hint_faults, hint_local, migrated, pte_updates, huge_pte_updates;
	int unseen;			/* pages whose node is the last one seen */
	uint64_t stalls, fault_stalls, kfaults, accesses;
};

struct nf_calib {
	uint64_t chunks[2];		/* chunks measured, plain and timed */
	double plain_rate, timed_rate;	/* accesses per second, all workers, from the sums */
	double overhead_pct;		/* from median chunk times, the mean over workers */
	double overhead_sum_pct;	/* from the sums */
	double median_access_ns;
	uint64_t threshold_ns;		/* the stall threshold of calibration and run */
	const char *threshold_from;
};

static const char *nf_timeline_path;
static int nf_layout_opt, nf_method_opt;
static uint64_t nf_size, nf_access_bytes, nf_stall_ns;
static double nf_size_frac, nf_duration;
static int nf_threads, nf_home = -1, nf_worker_node = -1, nf_interval_ms, nf_calib_ms;
static int nf_until_faults;
static int nf_scan_delay = -1, nf_scan_min = -1, nf_scan_max = -1, nf_scan_size = -1;
static bool nf_base_pages;

static const struct opt nf_opts[] = {
	{ "layout", OPT_ENUM, &nf_layout_opt, "remote",
	  "remote, interleaved, shared (numa01-like) or private (numa02-like)", .choices = nf_layouts },
	{ "size", OPT_SIZE, &nf_size, NULL, "region size, a multiple of the THP size [64M]",
	  1, 1ull << 44 },
	{ "size-frac", OPT_DOUBLE, &nf_size_frac, NULL,
	  "region size as a fraction of the home node's memory (instead of --size)", 0.0001, 0.9 },
	{ "threads", OPT_INT, &nf_threads, "0",
	  "workers (shared: per process); 0: one per CPU of the workers' node (private: one per node)",
	  0, NF_MAX_WORKERS },
	{ "home-node", OPT_INT, &nf_home, NULL, "node the region starts on [first node]", 0, 4095 },
	{ "worker-node", OPT_INT, &nf_worker_node, NULL,
	  "node the workers run on (remote, interleaved) [the farthest node with CPUs]", 0, 4095 },
	{ "duration", OPT_DOUBLE, &nf_duration, "10", "seconds with NUMA balancing on", 0.1, 86400 },
	{ "until-faults", OPT_INT, &nf_until_faults, "0",
	  "end before --duration once both methods saw N hinting faults and the region is home; 0: never",
	  0, 1 << 30 },
	{ "interval-ms", OPT_INT, &nf_interval_ms, "250", "placement sampling interval", 10, 60000 },
	{ "timeline", OPT_STR, &nf_timeline_path, NULL, "also write the timeline to FILE (gnuplot data)" },
	{ "scan-delay-ms", OPT_INT, &nf_scan_delay, NULL,
	  "NUMA balancing scan_delay_ms for the run [unchanged]", 0, 3600000 },
	{ "scan-period-min-ms", OPT_INT, &nf_scan_min, NULL,
	  "NUMA balancing scan_period_min_ms for the run [unchanged]", 1, 3600000 },
	{ "scan-period-max-ms", OPT_INT, &nf_scan_max, NULL,
	  "NUMA balancing scan_period_max_ms for the run [unchanged]", 1, 3600000 },
	{ "scan-size-mb", OPT_INT, &nf_scan_size, NULL,
	  "NUMA balancing scan_size_mb for the run [unchanged]", 1, 1 << 20 },
	{ "stall-threshold-ns", OPT_U64, &nf_stall_ns, "0",
	  "an access slower than this is a stall; 0: 2 median accesses, at least 1 us", 0, 1e12 },
	{ "access-bytes", OPT_SIZE, &nf_access_bytes, "16k",
	  "bytes one timed access reads (a power of two, 64 to the THP size)", 64, 1 << 30 },
	{ "calibrate-ms", OPT_INT, &nf_calib_ms, "1000",
	  "instrumented vs plain access throughput before the run; 0: skip", 0, 60000 },
	{ "kernel-method", OPT_ENUM, &nf_method_opt, "auto",
	  "kernel-side fault timing: auto, function_graph, kprobe or none",
	  .choices = faultlat_method_names },
	{ "base-pages", OPT_BOOL, &nf_base_pages, NULL,
	  "4 KiB pages instead of THPs (hinting faults through do_numa_page)" },
	{ NULL }
};

/* Settled before anything on the machine changes. */
struct nf_plan {
	enum nf_layout layout;
	enum faultlat_method method;
	int home, wnode[2];		/* wnode[1]: the second process (shared) */
	int nr_workers, per_proc, procs;
	size_t size;
	FILE *timeline;
};

static struct tsc nf_tsc;
static struct nf_shared *nf_sh;
static uint64_t nf_thr_ticks;
static size_t nf_unit, nf_chunk;
static char *nf_base;

/* An integer member: most of what the result holds. */
static void nf_put(json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* The CPUs migrace may use, as it started: the helpers' pinning changes ours later. */
static cpu_set_t nf_allowed;

static int nf_node_cpus(int node, int *cpus, int max)
{
	const cpu_set_t *allowed = &nf_allowed;
	struct bitmask *bm;
	int n = 0;

	if (numa_available() < 0) {
		for (int c = 0; c < CPU_SETSIZE && n < max; c++)
			if (CPU_ISSET(c, allowed))
				cpus[n++] = c;
		return n;
	}
	bm = numa_allocate_cpumask();
	if (!numa_node_to_cpus(node, bm))
		for (unsigned int c = 0; c < bm->size && c < CPU_SETSIZE && n < max; c++)
			if (numa_bitmask_isbitset(bm, c) && CPU_ISSET(c, allowed))
				cpus[n++] = c;
	numa_free_cpumask(bm);
	return n;
}

/* The node with CPUs farthest from node (itself only when there is no other). */
static int nf_farthest(const struct topo *t, int node)
{
	int best = -1, bestd = -1, cpu;

	for (int i = 0; i < t->nr_nodes; i++) {
		int n = t->nodes[i], d = n == node ? 0 : topo_distance(node, n);

		if (nf_node_cpus(n, &cpu, 1) && d > bestd) {
			best = n;
			bestd = d;
		}
	}
	return best;
}

static int nf_cpu_nodes(const struct topo *t, int *nodes)
{
	int n = 0, cpu;

	for (int i = 0; i < t->nr_nodes; i++)
		if (nf_node_cpus(t->nodes[i], &cpu, 1))
			nodes[n++] = t->nodes[i];
	return n;
}

/* Options into a plan; bad input ends here, before any tunable changes. */
static void nf_plan(const struct topo *t, struct nf_plan *p)
{
	size_t thp = region_thp_size();
	int cpus[CPU_SETSIZE], nodes[TOPO_MAX_NODES], ncn;

	memset(p, 0, sizeof(*p));
	if (sched_getaffinity(0, sizeof(nf_allowed), &nf_allowed))
		usage_error("sched_getaffinity: %s", strerror(errno));
	ncn = nf_cpu_nodes(t, nodes);
	p->layout = nf_layout_opt;
	p->method = nf_method_opt;
	if (!ncn)
		usage_error("no node with CPUs this process may run on");
	p->home = nf_home >= 0 ? nf_home : t->nodes[0];
	if (topo_index(t, p->home) < 0)
		usage_error("--home-node %d is not a node with memory", nf_home);
	p->wnode[0] = nf_worker_node >= 0 ? nf_worker_node : nf_farthest(t, p->home);
	if (!nf_node_cpus(p->wnode[0], cpus, 1))
		usage_error("--worker-node %d has no CPU this process may run on", p->wnode[0]);
	if (nf_access_bytes & (nf_access_bytes - 1) || nf_access_bytes > thp)
		usage_error("--access-bytes %llu is not a power of two of at most %zu",
			    (unsigned long long)nf_access_bytes, thp);
	if (nf_scan_min > 0 && nf_scan_max > 0 && nf_scan_min > nf_scan_max)
		usage_error("--scan-period-min-ms %d is above --scan-period-max-ms %d",
			    nf_scan_min, nf_scan_max);
	if (nf_size && nf_size_frac > 0)
		usage_error("--size and --size-frac: give one of them");
	p->size = nf_size ? nf_size : 64ull << 20;
	if (nf_size_frac > 0) {
		long long total = numa_available() < 0 ? -1 : numa_node_size64(p->home, NULL);

		if (total <= 0)
			usage_error("--size-frac: the size of node %d is unknown", p->home);
		p->size = (size_t)(total * nf_size_frac) / thp * thp;
	}
	if (!p->size || p->size % thp)
		usage_error("--size %zu is not a positive multiple of the THP size %zu", p->size, thp);

	switch (p->layout) {
	case NF_REMOTE:
	case NF_INTERLEAVED:
		p->nr_workers = nf_threads ? nf_threads : nf_node_cpus(p->wnode[0], cpus, CPU_SETSIZE);
		break;
	case NF_PRIVATE:
		p->nr_workers = nf_threads ? nf_threads : ncn;
		break;
	case NF_SHARED:
		/* numa01: two processes, as far apart as the machine allows. */
		p->wnode[0] = nf_worker_node >= 0 ? nf_worker_node : nodes[0];
		p->wnode[1] = nf_farthest(t, p->wnode[0]);
		p->per_proc = nf_threads ? nf_threads : 1;
		p->nr_workers = 2 * p->per_proc;
		break;
	}
	p->procs = p->layout == NF_SHARED ? 2 : 1;
	if (p->nr_workers > NF_MAX_WORKERS)
		usage_error("%d workers: at most %d", p->nr_workers, NF_MAX_WORKERS);
	if (p->layout != NF_SHARED && p->size / thp < (size_t)p->nr_workers)
		usage_error("--size %zu gives fewer THPs than the %d workers need (one each)",
			    p->size, p->nr_workers);
	if (!nf_calib_ms && !nf_stall_ns)
		usage_error("--calibrate-ms 0 needs --stall-threshold-ns (the automatic one comes from the calibration)");
	nf_unit = nf_access_bytes;
	nf_chunk = thp;
	if (nf_timeline_path) {
		p->timeline = fopen(nf_timeline_path, "we");
		if (!p->timeline)
			usage_error("--timeline %s: %s", nf_timeline_path, strerror(errno));
	}
}

/* Who runs where and reads what; also resets every worker's counters. */
static void nf_assign(const struct topo *t, const struct nf_plan *p, const struct region *r)
{
	int nodes[TOPO_MAX_NODES], ncn = nf_cpu_nodes(t, nodes), cpus[CPU_SETSIZE];
	size_t thps = r->size / r->thp_size, per = thps / p->nr_workers;

	for (int i = 0; i < p->nr_workers; i++) {
		struct nf_worker *w = &nf_sh->w[i];
		int k = i, n;

		memset(w, 0, sizeof(*w));
		w->id = i;
		w->node = p->wnode[0];
		if (p->layout == NF_PRIVATE) {
			w->node = nodes[i % ncn];
			k = i / ncn;
		} else if (p->layout == NF_SHARED) {
			w->proc = i / p->per_proc;
			w->node = p->wnode[w->proc];
			k = i % p->per_proc;
		}
		n = nf_node_cpus(w->node, cpus, CPU_SETSIZE);
		w->cpu = cpus[k % n];
		/* numa01's threads all share everything; the others own a slice each. */
		w->off = p->layout == NF_SHARED ? 0 : i * per * r->thp_size;
		w->len = p->layout == NF_SHARED ? r->size :
			 (i == p->nr_workers - 1 ? thps - i * per : per) * r->thp_size;
		hist_init(&w->stall);
		hist_init(&w->fault_stall);
	}
	nf_sh->nr = p->nr_workers;
}

/* The node each page of the region should end on, or -1 (shared: no single one). */
static void nf_targets(const struct nf_plan *p, const struct region *r, int *target)
{
	for (size_t i = 0; i < r->nr_pages; i++) {
		size_t off = i * r->page_size;

		target[i] = p->layout == NF_SHARED ? -1 : p->wnode[0];
		if (p->layout != NF_PRIVATE)
			continue;
		for (int k = 0; k < nf_sh->nr; k++)
			if (off >= nf_sh->w[k].off && off < nf_sh->w[k].off + nf_sh->w[k].len)
				target[i] = nf_sh->w[k].node;
	}
}

static inline uint64_t nf_read(const char *p)
{
	const uint64_t *q = (const uint64_t *)p;
	uint64_t s = 0;

	for (size_t i = 0; i < nf_unit / sizeof(*q); i++)
		s += q[i];
	return s;
}

static uint64_t nf_chunk_plain(const char *c)
{
	uint64_t s = 0;

	for (size_t o = 0; o < nf_chunk; o += nf_unit)
		s += nf_read(c + o);
	return s;
}

/* This thread's page faults: in a populated region, NUMA hinting faults. */
static long nf_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * Whether this thread took a page fault since the last look. A perf
 * software event writes every fault of the thread into a ring it maps, so
 * a look is one load of data_head; getrusage, the fallback without perf,
 * is a system call (about 1 us), too dear for every stall a busy machine
 * makes.
 */
static __thread struct {
	struct perf_event_mmap_page *pc;
	uint64_t seen;
	long count;		/* the fallback's last getrusage */
	size_t len;
	int fd;
} nf_fw = { .fd = -1 };

static bool nf_fw_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.sample_period = 1,
		.exclude_kernel = 1,	/* faults are counted with the user's registers */
		.exclude_hv = 1,
	};
	void *p;

	nf_fw.count = nf_faults();
	nf_fw.len = 2 * (size_t)sysconf(_SC_PAGESIZE);
	nf_fw.fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (nf_fw.fd < 0)
		return false;
	p = mmap(NULL, nf_fw.len, PROT_READ | PROT_WRITE, MAP_SHARED, nf_fw.fd, 0);
	if (p == MAP_FAILED) {
		close(nf_fw.fd);
		nf_fw.fd = -1;
		return false;
	}
	nf_fw.pc = p;
	nf_fw.seen = __atomic_load_n(&nf_fw.pc->data_head, __ATOMIC_ACQUIRE);
	return true;
}

static void nf_fw_close(void)
{
	if (nf_fw.pc)
		munmap(nf_fw.pc, nf_fw.len);
	if (nf_fw.fd >= 0)
		close(nf_fw.fd);
	nf_fw.pc = NULL;
	nf_fw.fd = -1;
}

static bool nf_fw_faulted(void)
{
	uint64_t head;
	long f;

	if (!nf_fw.pc) {
		f = nf_faults();
		if (f == nf_fw.count)
			return false;
		nf_fw.count = f;
		return true;
	}
	head = __atomic_load_n(&nf_fw.pc->data_head, __ATOMIC_ACQUIRE);
	if (head == nf_fw.seen)
		return false;
	/* Consumed: the ring never fills, so the next fault moves data_head again. */
	nf_fw.seen = head;
	__atomic_store_n(&nf_fw.pc->data_tail, head, __ATOMIC_RELEASE);
	return true;
}

/*
 * A slow access, and whether this thread took a page fault since the last
 * stall. A fault too quick to pass the threshold is credited to the next
 * stall: page_faults - fault_stalls in the result counts those.
 */
static __attribute__((noinline)) void nf_stall(struct nf_worker *w, uint64_t ticks)
{
	uint64_t ns = tsc_to_ns(&nf_tsc, ticks);

	hist_add(&w->stall, ns);
	__atomic_store_n(&w->stalls, w->stalls + 1, __ATOMIC_RELAXED);
	if (nf_fw_faulted()) {
		hist_add(&w->fault_stall, ns);
		__atomic_store_n(&w->fault_stalls, w->fault_stalls + 1, __ATOMIC_RELAXED);
	}
}

/*
 * The same reads as nf_chunk_plain with a timestamp after each: the gap
 * between two timestamps is one access, and prev carries it across chunks.
 */
static uint64_t nf_chunk_timed(struct nf_worker *w, const char *c, uint64_t *prev)
{
	uint64_t s = 0, t = *prev, thr = nf_thr_ticks;

	for (size_t o = 0; o < nf_chunk; o += nf_unit) {
		uint64_t now;

		s += nf_read(c + o);
		now = tsc_ticks(&nf_tsc);
		if (__builtin_expect(now - t > thr, 0)) {
			nf_stall(w, now - t);
			now = tsc_ticks(&nf_tsc);	/* the stall's bookkeeping is no access */
		}
		t = now;
	}
	*prev = t;
	return s;
}

static void nf_sched_read(struct nf_worker *w)
{
	FILE *f = fopen("/proc/thread-self/sched", "re");
	char line[256];
	size_t len = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "numa") && len + strlen(line) < sizeof(w->sched)) {
			strcpy(w->sched + len, line);
			len += strlen(line);
		}
	fclose(f);
}

static void nf_add(uint64_t *v, uint64_t d)
{
	__atomic_store_n(v, *v + d, __ATOMIC_RELAXED);
}

/* One chunk of the calibration, plain or timed, and its time. */
static uint64_t nf_calib_chunk(struct nf_worker *w, const char *c, int timed)
{
	uint64_t t0 = tsc_ticks(&nf_tsc), prev = t0, sink, ns;

	sink = timed ? nf_chunk_timed(w, c, &prev) : nf_chunk_plain(c);
	ns = tsc_to_ns(&nf_tsc, tsc_ticks(&nf_tsc) - t0);
	nf_add(&w->cns[timed], ns);
	nf_add(&w->cacc[timed], nf_chunk / nf_unit);
	if (w->ncal[timed] < NF_CAL_CHUNKS) {
		w->cal[timed][w->ncal[timed]] = MIN(ns, UINT32_MAX);
		__atomic_store_n(&w->ncal[timed], w->ncal[timed] + 1, __ATOMIC_RELEASE);
	}
	return sink;
}

static void *nf_worker_main(void *arg)
{
	struct nf_worker *w = arg;
	uint64_t prev = 0, sink = 0, per = nf_chunk / nf_unit;
	struct timespec nap = { 0, 100000 };
	int last = NF_IDLE, ph;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	prctl(PR_SET_NAME, "nf-worker");
	w->fault_ring = nf_fw_open();
	__atomic_store_n(&w->tid, gettid(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&nf_sh->ready, 1, __ATOMIC_SEQ_CST);
	while ((ph = __atomic_load_n(&nf_sh->phase, __ATOMIC_ACQUIRE)) == NF_IDLE)
		nanosleep(&nap, NULL);
	for (size_t o = 0, n = 0; ph != NF_STOP; o = (o + nf_chunk) % w->len, n++) {
		const char *c = nf_base + w->off + o;

		ph = __atomic_load_n(&nf_sh->phase, __ATOMIC_ACQUIRE);
		if (ph != last) {
			if (ph == NF_RUN)
				w->faults0 = nf_faults();
			nf_fw_faulted();
			prev = tsc_ticks(&nf_tsc);
			last = ph;
		}
		if (ph == NF_RUN) {
			sink += nf_chunk_timed(w, c, &prev);
			nf_add(&w->acc, per);
		} else if (ph == NF_PLAIN) {
			sink += nf_calib_chunk(w, c, 0);
		} else if (ph == NF_CALIB) {
			/* plain, timed, timed, plain: neighbours share the machine's mood */
			sink += nf_calib_chunk(w, c, (n & 3) == 1 || (n & 3) == 2);
		}
	}
	w->sink = sink;
	w->faults = nf_faults() - w->faults0;
	nf_fw_close();
	nf_sched_read(w);
	return NULL;
}

/* Starts the workers of process proc; returns how many started. */
static int nf_start(int proc, pthread_t *th)
{
	int n = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		if (nf_sh->w[i].proc != proc)
			continue;
		if (pthread_create(&th[i], NULL, nf_worker_main, &nf_sh->w[i]))
			break;
		n++;
	}
	return n;
}

static void nf_join(int proc, pthread_t *th, int started)
{
	for (int i = 0; i < nf_sh->nr && started > 0; i++)
		if (nf_sh->w[i].proc == proc) {
			pthread_join(th[i], NULL);
			started--;
		}
}

/* Waits until n workers are ready; false after 30 s (a machine that slow has other problems). */
static bool nf_wait_ready(int n)
{
	struct timespec nap = { 0, 1000000 };
	uint64_t end = now_ns() + 30000000000ull;

	while (__atomic_load_n(&nf_sh->ready, __ATOMIC_ACQUIRE) < n)
		if (now_ns() > end || nanosleep(&nap, NULL) < 0 || migrace_stop)
			return false;
	return true;
}

static void nf_set_phase(int ph)
{
	__atomic_store_n(&nf_sh->phase, ph, __ATOMIC_RELEASE);
}

static void nf_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !migrace_stop)
		;
}

static int nf_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The median of n values, sorted in a copy: workers may still be appending. */
static double nf_median(const uint32_t *v, uint32_t n)
{
	static uint32_t tmp[NF_CAL_CHUNKS];

	if (!n)
		return NAN;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), nf_cmp_u32);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + (double)tmp[n / 2]) / 2;
}

/* The mean over workers of their median plain access, from chunk skip[i] on (skip: NULL, all). */
static double nf_median_access(const uint32_t *skip)
{
	double sum = 0;
	int n = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		uint32_t k = __atomic_load_n(&w->ncal[0], __ATOMIC_ACQUIRE), s = skip ? skip[i] : 0;

		if (k > s) {
			sum += nf_median(w->cal[0] + s, k - s) * nf_unit / nf_chunk;
			n++;
		}
	}
	return n ? sum / n : 0;
}

/*
 * The overhead from median chunk times, worker by worker: a chunk that was
 * preempted or interrupted lands in the tail and moves no median, where
 * sums on a busy machine swing by more than the effect measured.
 */
static void nf_calib_medians(struct nf_calib *c, const uint32_t *skip)
{
	double pct = 0;
	int n = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		struct nf_worker *w = &nf_sh->w[i];
		double plain, timed;

		if (w->ncal[0] <= skip[i] || !w->ncal[1])
			continue;
		c->chunks[0] += w->ncal[0] - skip[i];
		c->chunks[1] += w->ncal[1];
		plain = nf_median(w->cal[0] + skip[i], w->ncal[0] - skip[i]);
		timed = nf_median(w->cal[1], w->ncal[1]);
		pct += 100.0 * (timed / plain - 1);
		n++;
	}
	c->overhead_pct = n ? pct / n : NAN;
	c->median_access_ns = nf_median_access(skip);
}

/* The per-access stall threshold: the option's, or from the warm-up's median access. */
static uint64_t nf_threshold(double median_access_ns, const char **how)
{
	uint64_t ns = (uint64_t)(NF_STALL_FACTOR * median_access_ns);

	if (nf_stall_ns) {
		*how = "--stall-threshold-ns";
		return nf_stall_ns;
	}
	*how = "2 median accesses of the calibration's warm-up, at least 1 us";
	return MAX(ns, NF_STALL_MIN_NS);
}

/*
 * Plain and timed chunks alternate in every worker (neighbouring chunks see
 * the same load, so a busy machine moves both alike), with NUMA balancing
 * off: the overhead of timing each access, measured on the very loops,
 * threshold and stall bookkeeping the run uses. The plain warm-up
 * (numademo's 0th pass) sets the threshold. Process 0's workers only.
 */
static int nf_calibrate(struct nf_calib *c)
{
	static uint64_t base[NF_MAX_WORKERS][2];	/* the warm-up's plain accesses and ns */
	static uint32_t skip[NF_MAX_WORKERS];		/* ... and chunks */
	static pthread_t th[NF_MAX_WORKERS];
	double rate[2] = { 0, 0 };
	int nproc0 = 0, started;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < nf_sh->nr; i++)
		nproc0 += !nf_sh->w[i].proc;
	nf_set_phase(NF_IDLE);
	nf_sh->ready = 0;
	started = nf_start(0, th);
	if (started < nproc0 || !nf_wait_ready(nproc0)) {
		nf_set_phase(NF_STOP);
		nf_join(0, th, started);
		return -EAGAIN;
	}
	nf_set_phase(NF_PLAIN);
	nf_sleep_ms(NF_WARMUP_MS);
	c->threshold_ns = nf_threshold(nf_median_access(NULL), &c->threshold_from);
	nf_thr_ticks = tsc_from_ns(&nf_tsc, c->threshold_ns);
	/* A warm-up chunk that ends after this counts as a plain one: it is. */
	for (int i = 0; i < nf_sh->nr; i++) {
		struct nf_worker *w = &nf_sh->w[i];

		skip[i] = __atomic_load_n(&w->ncal[0], __ATOMIC_ACQUIRE);
		base[i][0] = __atomic_load_n(&w->cacc[0], __ATOMIC_RELAXED);
		base[i][1] = __atomic_load_n(&w->cns[0], __ATOMIC_RELAXED);
	}
	nf_set_phase(NF_CALIB);
	nf_sleep_ms(nf_calib_ms);
	nf_set_phase(NF_STOP);
	nf_join(0, th, started);
	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		uint64_t ns0 = w->cns[0] - base[i][1];

		if (ns0 && w->cns[1]) {
			rate[0] += (w->cacc[0] - base[i][0]) * 1e9 / ns0;
			rate[1] += w->cacc[1] * 1e9 / w->cns[1];
		}
	}
	c->plain_rate = rate[0];
	c->timed_rate = rate[1];
	c->overhead_sum_pct = rate[0] > 0 ? 100.0 * (1 - rate[1] / rate[0]) : NAN;
	nf_calib_medians(c, skip);
	return 0;
}

static struct nf_tunable nf_tunables[] = {
	{ SET_NB_SCAN_DELAY_MS, &nf_scan_delay },
	{ SET_NB_SCAN_PERIOD_MIN_MS, &nf_scan_min },
	{ SET_NB_SCAN_PERIOD_MAX_MS, &nf_scan_max },
	{ SET_NB_SCAN_SIZE_MB, &nf_scan_size },
};

/* The scan tunables, on either layout (their file system mounted privately if need be). */
static int nf_tunables_find(char *why, size_t len)
{
	if (settings_find(why, len))
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(nf_tunables); i++) {
		struct nf_tunable *t = &nf_tunables[i];

		settings_path(t->id, t->path, sizeof(t->path));
		t->err = settings_text(t->id, t->before, sizeof(t->before));
		if (t->err)
			t->before[0] = '\0';
	}
	return 0;
}

/* Balancing off (placement and calibration first), the scan tunables asked for. */
static int nf_tunables_set(struct run_ctx *ctx, char *before)
{
	char path[SETTINGS_PATH];
	int ret;

	settings_text(SET_NUMA_BALANCING, before, 16);
	ret = settings_set(SET_NUMA_BALANCING, 0);
	if (ret) {
		settings_path(SET_NUMA_BALANCING, path, sizeof(path));
		result_verdict(ctx->res, VERDICT_SKIP, "cannot set %s: %s", path, strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < ARRAY_SIZE(nf_tunables); i++) {
		struct nf_tunable *t = &nf_tunables[i];

		if (*t->want < 0)
			continue;
		ret = t->before[0] ? settings_set(t->id, *t->want) : t->err ? t->err : -ENOENT;
		if (ret) {
			result_verdict(ctx->res, VERDICT_SKIP, "cannot set NUMA balancing %s to %d (%s): %s",
				       settings_name(t->id), *t->want,
				       t->path[0] ? t->path : "no such tunable", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static json_object *nf_tunables_json(const char *bal_before)
{
	json_object *o = json_object_new_object(), *b = json_object_new_object();
	char now[64], path[SETTINGS_PATH];

	settings_path(SET_NUMA_BALANCING, path, sizeof(path));
	json_object_object_add(b, "path", json_object_new_string(path));
	json_object_object_add(b, "before", json_object_new_string(bal_before));
	if (bal_before[0] && !settings_text(SET_NUMA_BALANCING, now, sizeof(now)))
		json_object_object_add(b, "run", json_object_new_string(now));
	json_object_object_add(o, "numa_balancing", b);
	for (size_t i = 0; i < ARRAY_SIZE(nf_tunables); i++) {
		struct nf_tunable *t = &nf_tunables[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "path", json_object_new_string(t->path));
		if (!t->before[0]) {
			json_object_object_add(x, "unavailable_because", json_object_new_string(
				t->err ? strerror(-t->err) : "not found"));
		} else {
			nf_put(x, "before", atoll(t->before));
			if (!settings_text(t->id, now, sizeof(now)))
				nf_put(x, "run", atoll(now));
			json_object_object_add(x, "set_by_migrace", json_object_new_boolean(*t->want >= 0));
		}
		json_object_object_add(o, settings_name(t->id), x);
	}
	return o;
}

/* The region where the layout wants it before balancing starts. */
static int nf_region(struct run_ctx *ctx, const struct nf_plan *p, struct region *r)
{
	/*
	 * shared is private anonymous memory the second process inherits by
	 * fork and only reads: one set of pages in two processes. A MAP_SHARED
	 * region would be shmem, which NUMA balancing skips unless a policy
	 * asks for it (vma_policy_mof() in 6.1).
	 */
	int flags = nf_base_pages ? REGION_BASE_PAGES : 0;
	const struct topo *t = &ctx->topo;
	int ret = region_alloc(r, p->size, flags, p->home), status;

	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot allocate a %zu-byte region on node %d: %s",
			       p->size, p->home, strerror(-ret));
		return ret;
	}
	if (p->layout != NF_INTERLEAVED || t->nr_nodes < 2)
		return 0;
	/* Page i on the i-th node, round robin: whole THPs, one address each. */
	for (size_t i = 0; i < r->nr_pages; i++) {
		int node = t->nodes[i % t->nr_nodes];

		if (node != p->home && region_move(r, i, 1, node, &status) < 0)
			return 0;	/* seen in the initial placement */
	}
	return 0;
}

static struct nf_plan nf_p;

static bool nf_ours(int tid, void *arg)
{
	(void)arg;
	for (int i = 0; i < nf_sh->nr; i++)
		if (__atomic_load_n(&nf_sh->w[i].tid, __ATOMIC_ACQUIRE) == tid)
			return true;
	return false;
}

/* The second process of the shared layout: its workers, then nothing else. */
static void nf_second(pid_t parent)
{
	static pthread_t th[NF_MAX_WORKERS];
	struct timespec nap = { 0, 1000000 };
	int started;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* The parent winds both processes down; signals go to it alone. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (!__atomic_load_n(&nf_sh->start, __ATOMIC_ACQUIRE))
		nanosleep(&nap, NULL);
	if (__atomic_load_n(&nf_sh->phase, __ATOMIC_ACQUIRE) == NF_STOP)
		_exit(0);
	started = nf_start(1, th);
	nf_join(1, th, started);
	_exit(0);
}

struct nf_sampler {
	const struct topo *t;
	const struct region *r;
	int *target;
	int *status;
	struct faultlat *fl;
	struct vmstat prev;
	uint64_t t0, stalls, fault_stalls, kfaults, accesses;	/* at the previous sample */
	int *last;			/* each page's node when last seen */
	bool verbose;			/* print every sample */
	int unseen;			/* pages move_pages could not see in the last sample */
	struct nf_row *rows;
	int nrows, maxrows;
};

enum nf_sum { NF_SUM_STALLS, NF_SUM_FAULT_STALLS, NF_SUM_ACCESSES };

static uint64_t nf_total(enum nf_sum what)
{
	uint64_t sum = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		const uint64_t *v = what == NF_SUM_STALLS ? &w->stalls :
				    what == NF_SUM_FAULT_STALLS ? &w->fault_stalls : &w->acc;

		sum += __atomic_load_n(v, __ATOMIC_RELAXED);
	}
	return sum;
}

/* Where the region is now (move_pages with nodes=NULL: no reference taken), and the counters. */
static void nf_sample(struct nf_sampler *s)
{
	struct nf_row *row = &s->rows[s->nrows];
	int count[TOPO_MAX_NODES] = { 0 };
	size_t local = 0, homed = 0, n = s->r->nr_pages;
	static struct vmstat now;
	uint64_t v;

	if (s->nrows == s->maxrows)
		return;
	memset(row, 0, sizeof(*row));
	row->t_ns = now_ns() - s->t0;
	if (region_nodes(s->r, s->status))
		for (size_t i = 0; i < n; i++)
			s->status[i] = -EFAULT;
	s->unseen = 0;
	for (size_t i = 0; i < n; i++) {
		int idx;

		/*
		 * A PMD a scan just made PROT_NONE is invisible to move_pages
		 * (-EFAULT) until the hinting fault: the page has not moved.
		 */
		if (s->status[i] < 0) {
			s->status[i] = s->last[i];
			s->unseen++;
		}
		s->last[i] = s->status[i];
		idx = topo_index(s->t, s->status[i]);

		if (idx >= 0)
			count[idx]++;
		if (s->target[i] >= 0) {
			homed++;
			local += s->status[i] == s->target[i];
		}
	}
	row->local_pct = homed ? 100.0 * local / homed : NAN;
	for (int i = 0; i < s->t->nr_nodes; i++)
		row->node_pct[i] = 100.0 * count[i] / n;
	vmstat_read(&now);
	row->hint_faults = vmstat_delta(&s->prev, &now, "numa_hint_faults");
	row->hint_local = vmstat_delta(&s->prev, &now, "numa_hint_faults_local");
	row->migrated = vmstat_delta(&s->prev, &now, "numa_pages_migrated");
	row->pte_updates = vmstat_delta(&s->prev, &now, "numa_pte_updates");
	row->huge_pte_updates = vmstat_delta(&s->prev, &now, "numa_huge_pte_updates");
	s->prev = now;
	v = nf_total(NF_SUM_STALLS);
	row->stalls = v - s->stalls;
	s->stalls = v;
	v = nf_total(NF_SUM_FAULT_STALLS);
	row->fault_stalls = v - s->fault_stalls;
	s->fault_stalls = v;
	row->unseen = s->unseen;
	v = faultlat_count(s->fl);
	row->kfaults = v - s->kfaults;
	s->kfaults = v;
	v = nf_total(NF_SUM_ACCESSES);
	row->accesses = v - s->accesses;
	s->accesses = v;
	s->nrows++;
	if (s->verbose)
		printf("  %8.2f s  local %6.2f %%  hint faults %5lld  migrated %7lld  fault stalls %5llu  kernel faults %5llu\n",
		       row->t_ns / 1e9, row->local_pct, row->hint_faults, row->migrated,
		       (unsigned long long)row->fault_stalls, (unsigned long long)row->kfaults);
}

static json_object *nf_double(double v, int decimals)
{
	char buf[32];

	if (isnan(v))
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static json_object *nf_row_json(const struct nf_row *row, const struct topo *t)
{
	json_object *o = json_object_new_object(), *np = json_object_new_array();

	for (int i = 0; i < t->nr_nodes; i++)
		json_object_array_add(np, nf_double(row->node_pct[i], 2));
	json_object_object_add(o, "t_ms", nf_double(row->t_ns / 1e6, 1));
	json_object_object_add(o, "local_pct", nf_double(row->local_pct, 2));
	json_object_object_add(o, "node_pct", np);
	nf_put(o, "hint_faults", row->hint_faults);
	nf_put(o, "hint_faults_local", row->hint_local);
	nf_put(o, "pages_migrated", row->migrated);
	nf_put(o, "pte_updates", row->pte_updates);
	nf_put(o, "huge_pte_updates", row->huge_pte_updates);
	nf_put(o, "pages_unseen", row->unseen);
	nf_put(o, "stalls", row->stalls);
	nf_put(o, "fault_stalls", row->fault_stalls);
	nf_put(o, "kernel_faults", row->kfaults);
	nf_put(o, "accesses", row->accesses);
	return o;
}

static void nf_timeline_dat(FILE *f, const struct nf_plan *p, const struct topo *t,
			    const struct nf_row *rows, int n)
{
	fprintf(f, "# migrace numa-fault timeline: layout %s, %zu bytes from node %d; per interval ending at t\n",
		nf_layouts[p->layout], p->size, p->home);
	fprintf(f, "# t_s local_pct");
	for (int i = 0; i < t->nr_nodes; i++)
		fprintf(f, " node%d_pct", t->nodes[i]);
	fprintf(f, " hint_faults hint_faults_local pages_migrated stalls fault_stalls kernel_faults accesses\n");
	for (int r = 0; r < n; r++) {
		fprintf(f, "%.3f %.2f", rows[r].t_ns / 1e9, rows[r].local_pct);
		for (int i = 0; i < t->nr_nodes; i++)
			fprintf(f, " %.2f", rows[r].node_pct[i]);
		fprintf(f, " %lld %lld %lld %llu %llu %llu %llu\n", rows[r].hint_faults,
			rows[r].hint_local, rows[r].migrated, (unsigned long long)rows[r].stalls,
			(unsigned long long)rows[r].fault_stalls, (unsigned long long)rows[r].kfaults,
			(unsigned long long)rows[r].accesses);
	}
}

/* Time of the first sample at least pct local, or -1. */
static double nf_time_to(const struct nf_row *rows, int n, double pct)
{
	for (int i = 0; i < n; i++)
		if (rows[i].local_pct >= pct - 1e-9)
			return rows[i].t_ns / 1e6;
	return -1;
}

enum nf_col { NF_COL_STALLS, NF_COL_FAULT_STALLS, NF_COL_HINT, NF_COL_KERNEL };

static double nf_col(const struct nf_row *row, enum nf_col c)
{
	switch (c) {
	case NF_COL_STALLS:
		return row->stalls;
	case NF_COL_FAULT_STALLS:
		return row->fault_stalls;
	case NF_COL_HINT:
		return row->hint_faults;
	default:
		return row->kfaults;
	}
}

/* Pearson's r of two columns over the intervals (the sample at t = 0 has none). */
static double nf_pearson(const struct nf_row *rows, int n, enum nf_col cx, enum nf_col cy)
{
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, d;

	for (int i = 1; i < n; i++) {
		double x = nf_col(&rows[i], cx), y = nf_col(&rows[i], cy);

		sx += x;
		sy += y;
		sxx += x * x;
		syy += y * y;
		sxy += x * y;
	}
	n--;
	d = sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
	return n > 2 && d > 0 ? (n * sxy - sx * sy) / d : NAN;
}

static void nf_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 10000000)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else if (ns >= 10000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
}

static void nf_print_hist(const char *label, const struct hist *h)
{
	char a[16], b[16], c[16], d[16];

	if (!h->count) {
		printf("  %-26s none\n", label);
		return;
	}
	nf_fmt_ns(a, sizeof(a), hist_percentile(h, 50));
	nf_fmt_ns(b, sizeof(b), hist_percentile(h, 90));
	nf_fmt_ns(c, sizeof(c), hist_percentile(h, 99));
	nf_fmt_ns(d, sizeof(d), h->max);
	printf("  %-26s %7llu  p50 %-9s p90 %-9s p99 %-9s max %s\n", label,
	       (unsigned long long)h->count, a, b, c, d);
}

/* The numa lines of /proc/PID/sched as numbers: "key : value", "k=v, k=v", numa_faults rows. */
static json_object *nf_sched_json(const char *text)
{
	json_object *o = json_object_new_object(), *rows = json_object_new_array();
	char buf[NF_SCHED_TEXT], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), key[64], *tok, *s2 = NULL;
		json_object *row;

		if (colon && !strchr(line, '=')) {
			*colon = '\0';
			sscanf(line, "%63s", key);
			json_object_object_add(o, strncmp(key, "mm->", 4) ? key : key + 4,
					       json_object_new_int64(atoll(colon + 1)));
			continue;
		}
		row = strncmp(line, "numa_faults", 11) ? o : json_object_new_object();
		for (tok = strtok_r(line, " ,", &s2); tok; tok = strtok_r(NULL, " ,", &s2)) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq = '\0';
			json_object_object_add(row, tok, json_object_new_int64(atoll(eq + 1)));
		}
		if (row != o)
			json_object_array_add(rows, row);
	}
	json_object_object_add(o, "numa_faults", rows);
	return o;
}

static json_object *nf_workers_json(void)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		json_object *o = json_object_new_object();

		nf_put(o, "process", w->proc);
		nf_put(o, "tid", w->tid);
		nf_put(o, "node", w->node);
		nf_put(o, "cpu", w->cpu);
		nf_put(o, "offset", w->off);
		nf_put(o, "bytes", w->len);
		nf_put(o, "accesses", w->acc);
		nf_put(o, "stalls", w->stalls);
		json_object_object_add(o, "sched", nf_sched_json(w->sched));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *nf_convergence(struct run_ctx *ctx, const struct nf_plan *p,
				   const struct nf_row *rows, int n)
{
	static const int pcts[] = { 50, 90, 100 };
	json_object *o = json_object_new_object();
	char key[32], what[96];

	if (ctx->topo.nr_nodes < 2) {
		json_object_object_add(o, "skipped", json_object_new_string(
			"one memory node: nothing can become more local"));
		return o;
	}
	if (p->layout == NF_SHARED) {
		json_object_object_add(o, "skipped", json_object_new_string(
			"shared layout: the two processes want the region on different nodes; node_pct in the timeline shows where it went"));
		return o;
	}
	if (p->layout == NF_PRIVATE)
		snprintf(what, sizeof(what), "each slice on its worker's node");
	else
		snprintf(what, sizeof(what), "node %d", p->wnode[0]);
	json_object_object_add(o, "target", json_object_new_string(what));
	for (size_t i = 0; i < ARRAY_SIZE(pcts); i++) {
		double t = nf_time_to(rows, n, pcts[i]);

		snprintf(key, sizeof(key), "time_to_%d_pct_ms", pcts[i]);
		json_object_object_add(o, key, t < 0 ? NULL : nf_double(t, 1));
	}
	json_object_object_add(o, "initial_local_pct", nf_double(n ? rows[0].local_pct : NAN, 2));
	json_object_object_add(o, "final_local_pct", nf_double(n ? rows[n - 1].local_pct : NAN, 2));
	printf("convergence to %s: %.1f %% -> %.1f %% local;", what,
	       n ? rows[0].local_pct : NAN, n ? rows[n - 1].local_pct : NAN);
	for (size_t i = 0; i < ARRAY_SIZE(pcts); i++) {
		double t = nf_time_to(rows, n, pcts[i]);

		if (t < 0)
			printf(" %d %% never", pcts[i]);
		else
			printf(" %d %% at %.2f s", pcts[i], t / 1e3);
	}
	printf("\n");
	if (nf_time_to(rows, n, NF_CONVERGED) < 0)
		result_verdict(ctx->res, VERDICT_FAIL, "the region did not converge: %.1f %% on %s after %.1f s (%d %% wanted; a longer --duration or shorter --scan-period-* may help)",
			       n ? rows[n - 1].local_pct : 0.0, what, nf_duration, NF_CONVERGED);
	return o;
}

static json_object *nf_correlation(const struct nf_row *rows, int n)
{
	json_object *c = json_object_new_object();
	long long hf = 0, kf = 0, fs = 0, st = 0;

	for (int i = 1; i < n; i++) {
		hf += rows[i].hint_faults;
		kf += rows[i].kfaults;
		fs += rows[i].fault_stalls;
		st += rows[i].stalls;
	}
	nf_put(c, "intervals", n > 0 ? n - 1 : 0);
	nf_put(c, "hint_faults", hf);
	nf_put(c, "kernel_faults", kf);
	nf_put(c, "stalls", st);
	nf_put(c, "fault_stalls", fs);
	json_object_object_add(c, "fault_stalls_per_hint_fault",
			       nf_double(hf > 0 ? (double)fs / hf : NAN, 3));
	json_object_object_add(c, "pearson_fault_stalls_hint_faults",
			       nf_double(nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_HINT), 3));
	json_object_object_add(c, "pearson_fault_stalls_kernel_faults",
			       nf_double(nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_KERNEL), 3));
	json_object_object_add(c, "pearson_stalls_hint_faults",
			       nf_double(nf_pearson(rows, n, NF_COL_STALLS, NF_COL_HINT), 3));
	return c;
}

static json_object *nf_user_side(const struct nf_row *rows, int n, uint64_t thr_ns,
				 const char *thr_how)
{
	json_object *o = json_object_new_object(), *h = json_object_new_object();
	static struct hist all, fault;
	uint64_t acc = 0, st = 0, fs = 0;
	long faults = 0;
	int ring = 0;

	hist_init(&all);
	hist_init(&fault);
	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];

		hist_merge(&all, &w->stall);
		hist_merge(&fault, &w->fault_stall);
		acc += w->acc;
		st += w->stalls;
		fs += w->fault_stalls;
		faults += w->faults;
		ring += w->fault_ring;
	}
	json_object_object_add(o, "clock", tsc_to_json(&nf_tsc));
	nf_put(o, "threshold_ns", thr_ns);
	json_object_object_add(o, "threshold_from", json_object_new_string(thr_how));
	nf_put(o, "access_bytes", nf_unit);
	nf_put(o, "accesses", acc);
	nf_put(o, "stalls", st);
	nf_put(o, "fault_stalls", fs);
	nf_put(o, "page_faults", faults);
	nf_put(o, "faults_under_threshold", MAX(0, faults - (long)fs));
	json_object_object_add(o, "fault_check", json_object_new_string(ring == nf_sh->nr ?
		"perf page-faults ring" : ring ? "perf ring, getrusage in some workers" : "getrusage"));
	json_object_object_add(h, "stalls", hist_to_json(&all, "ns"));
	json_object_object_add(h, "fault_stalls", hist_to_json(&fault, "ns"));
	json_object_object_add(o, "histograms", h);
	json_object_object_add(o, "correlation", nf_correlation(rows, n));

	nf_print_hist("user-side stalls", &all);
	nf_print_hist("  with a page fault", &fault);
	printf("  %llu accesses of %zu bytes timed, threshold %llu ns (%s); the workers' page faults: %ld (%llu quicker than the threshold)\n",
	       (unsigned long long)acc, nf_unit, (unsigned long long)thr_ns, thr_how, faults,
	       (unsigned long long)MAX(0, faults - (long)fs));
	printf("  per interval, fault stalls vs numa_hint_faults: r = %.2f; vs kernel-side faults: r = %.2f\n",
	       nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_HINT),
	       nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_KERNEL));
	return o;
}

static json_object *nf_calib_json(const struct nf_calib *c)
{
	json_object *o = json_object_new_object();

	nf_put(o, "calibrate_ms", nf_calib_ms);
	nf_put(o, "chunk_bytes", nf_chunk);
	nf_put(o, "plain_chunks", c->chunks[0]);
	nf_put(o, "timed_chunks", c->chunks[1]);
	json_object_object_add(o, "plain_accesses_per_s", nf_double(c->plain_rate, 0));
	json_object_object_add(o, "timed_accesses_per_s", nf_double(c->timed_rate, 0));
	json_object_object_add(o, "overhead_pct_median_chunks", nf_double(c->overhead_pct, 3));
	json_object_object_add(o, "overhead_pct_of_sums", nf_double(c->overhead_sum_pct, 3));
	json_object_object_add(o, "median_access_ns", nf_double(c->median_access_ns, 1));
	return o;
}

/* The sampler and the trace reader keep off the workers' CPUs when there are others. */
static void nf_pin_helpers(void)
{
	cpu_set_t set = nf_allowed;

	for (int i = 0; i < nf_sh->nr; i++)
		CPU_CLR(nf_sh->w[i].cpu, &set);
	if (CPU_COUNT(&set))
		sched_setaffinity(0, sizeof(set), &set);
}

static int nf_shared_alloc(const struct topo *t, int nr)
{
	size_t len = sizeof(*nf_sh) + nr * sizeof(struct nf_worker);
	struct bitmask *bm;

	nf_sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (nf_sh == MAP_FAILED) {
		nf_sh = NULL;
		return -errno;
	}
	/* A policy without MPOL_F_MOF keeps NUMA balancing from scanning our bookkeeping. */
	if (numa_available() >= 0) {
		bm = numa_allocate_nodemask();
		for (int i = 0; i < t->nr_nodes; i++)
			numa_bitmask_setbit(bm, t->nodes[i]);
		mbind(nf_sh, len, MPOL_BIND, bm->maskp, bm->size + 1, 0);
		numa_free_nodemask(bm);
	}
	return 0;
}

static void nf_header(const struct run_ctx *ctx, const struct nf_plan *p, const struct region *r)
{
	char sz[32];

	fmt_size(sz, sizeof(sz), r->size);
	printf("numa-fault: %s layout, %s in %zu %s starting on node %d; %d worker(s)",
	       nf_layouts[p->layout], sz, r->nr_pages, nf_base_pages ? "base pages" : "THPs",
	       p->home, p->nr_workers);
	if (p->layout == NF_SHARED)
		printf(" in 2 processes on nodes %d and %d\n", p->wnode[0], p->wnode[1]);
	else if (p->layout == NF_PRIVATE)
		printf(", one slice each, spread over the nodes with CPUs\n");
	else
		printf(" on node %d\n", p->wnode[0]);
	if (ctx->topo.nr_nodes < 2)
		printf("numa-fault: one memory node: hinting faults still happen (all local, nothing migrates); convergence is skipped\n");
	if (ctx->topo.emulated)
		printf("numa-fault: timings are emulated (QEMU TCG), not hardware figures\n");
}

static json_object *nf_region_json(const struct region *r, const struct nf_plan *p, int pmd0,
				   int pmd1)
{
	json_object *o = json_object_new_object();
	char mode[32];

	nf_put(o, "bytes", r->size);
	nf_put(o, "page_size", r->page_size);
	nf_put(o, "pages", r->nr_pages);
	nf_put(o, "home_node", p->home);
	nf_put(o, "processes", p->procs);
	json_object_object_add(o, "thp_mode", json_object_new_string(region_thp_mode(mode, sizeof(mode))));
	if (!nf_base_pages) {
		nf_put(o, "thp_pmd_mapped_start", pmd0);
		nf_put(o, "thp_pmd_mapped_end", pmd1);
	}
	return o;
}

static void nf_calib_print(const struct nf_calib *c)
{
	printf("calibration (NUMA balancing off): timing every access costs %.2f %% (median chunk times; %.3g vs %.3g accesses/s from the sums: %.2f %%)\n",
	       c->overhead_pct, c->plain_rate, c->timed_rate, c->overhead_sum_pct);
}

static void nf_kernel_print(const struct faultlat *fl)
{
	if (fl->method == FAULTLAT_OFF) {
		printf("kernel-side fault latency: unavailable: %s\n", fl->why);
		return;
	}
	printf("kernel-side fault latency (%s, clock %s):\n", fl->method == FAULTLAT_GRAPH ?
	       "function_graph" : "kprobe", fl->clock);
	nf_print_hist("hinting faults", &fl->all);
	nf_print_hist("  migrated", &fl->mig);
	nf_print_hist("  not migrated", &fl->not_mig);
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++)
		if (fl->func_why[i][0])
			printf("  %s: %s\n", faultlat_func_names[i], fl->func_why[i]);
}

/* Workers with balancing on, sampled every interval until the duration is over. */
/* --until-faults: both methods saw enough faults and the region is home. */
static bool nf_enough(const struct nf_sampler *s)
{
	const struct nf_row *last = &s->rows[s->nrows - 1];

	if (!nf_until_faults || (!isnan(last->local_pct) && last->local_pct < 100))
		return false;
	if (s->fl->method != FAULTLAT_OFF && s->kfaults < (uint64_t)nf_until_faults)
		return false;
	return s->fault_stalls >= (uint64_t)nf_until_faults;
}

static int nf_measure(struct run_ctx *ctx, const struct nf_plan *p, struct nf_sampler *smp)
{
	static pthread_t th[NF_MAX_WORKERS];
	struct timespec next;
	uint64_t end, step = nf_interval_ms * 1000000ull;
	int started, ret = 0;

	settings_set(SET_NUMA_BALANCING, 1);
	__atomic_store_n(&nf_sh->start, 1, __ATOMIC_RELEASE);
	started = nf_start(0, th);
	if (!nf_wait_ready(p->nr_workers)) {
		if (!migrace_stop)
			result_verdict(ctx->res, VERDICT_FAIL, "only %d of %d workers started",
				       __atomic_load_n(&nf_sh->ready, __ATOMIC_RELAXED),
				       p->nr_workers);
		ret = -EAGAIN;
		goto stop;
	}
	smp->t0 = now_ns();
	nf_set_phase(NF_RUN);
	nf_sample(smp);
	end = smp->t0 + (uint64_t)(nf_duration * 1e9);
	for (uint64_t t = smp->t0 + step, now; !migrace_stop; ) {
		t = MIN(t, end);
		next.tv_sec = t / 1000000000ull;
		next.tv_nsec = t % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR &&
		       !migrace_stop)
			;
		nf_sample(smp);
		if (t >= end || nf_enough(smp))
			break;
		/* A sampler that fell behind (a starved machine) skips the ticks it missed. */
		for (now = now_ns(), t += step; t <= now; t += step)
			;
	}
stop:
	if (migrace_stop)
		result_verdict(ctx->res, VERDICT_FAIL, "interrupted by a signal%s",
			       ret ? " before the workers ran" : "");
	nf_set_phase(NF_STOP);
	nf_join(0, th, started);
	return ret;
}

/*
 * The verdict. Fail: a homed region that did not converge, or no hinting
 * fault in the workers (their page faults or the kernel's count) on a NUMA
 * machine. Skip: one node, where convergence has nothing to do (everything
 * else is measured and in the result), or no fault there: the kernel did
 * not scan in time, nothing was measured. The kernel log comes on top.
 */
static void nf_verdict(struct run_ctx *ctx, const struct faultlat *fl)
{
	bool one = ctx->topo.nr_nodes < 2;	/* nothing to converge: a skip, said by migrace run */
	long faults = 0;

	for (int i = 0; i < nf_sh->nr; i++)
		faults += nf_sh->w[i].faults;
	if (!faults && !faultlat_count(fl) && !migrace_stop)
		result_verdict(ctx->res, one ? VERDICT_SKIP : VERDICT_FAIL,
			       "the workers took no NUMA hinting fault in %.1f s with NUMA balancing on%s",
			       nf_duration, one ? ": nothing measured (a longer --duration or shorter --scan-delay-ms helps)" : "");
}

/* The region placed, the workers planned, the sampler's arrays: 0, or the verdict is set. */
static int nf_prepare(struct run_ctx *ctx, const struct nf_plan *p, struct region *r,
		      struct nf_sampler *smp, int *pmd)
{
	const struct topo *t = &ctx->topo;

	if (nf_region(ctx, p, r))
		return -ENOMEM;
	nf_base = r->addr;
	*pmd = nf_base_pages ? -1 : region_count_pmd_mapped(r);
	if (!nf_base_pages && *pmd != (int)r->nr_pages) {
		result_verdict(ctx->res, VERDICT_SKIP, "only %d of %zu THPs PMD-mapped after fault-in (fragmented memory?)",
			       *pmd, r->nr_pages);
		return -EAGAIN;
	}
	if (nf_shared_alloc(t, p->nr_workers)) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot map the workers' shared state: %s",
			       strerror(errno));
		return -ENOMEM;
	}
	nf_assign(t, p, r);
	smp->t = t;
	smp->r = r;
	smp->verbose = ctx->verbose;
	smp->target = calloc(r->nr_pages, sizeof(int));
	smp->status = calloc(r->nr_pages, sizeof(int));
	smp->last = calloc(r->nr_pages, sizeof(int));
	smp->maxrows = (int)(nf_duration * 1000 / nf_interval_ms) + 3;
	smp->rows = calloc(smp->maxrows, sizeof(*smp->rows));
	if (!smp->target || !smp->status || !smp->last || !smp->rows) {
		result_verdict(ctx->res, VERDICT_FAIL, "out of memory for %d timeline rows", smp->maxrows);
		return -ENOMEM;
	}
	nf_targets(p, r, smp->target);
	if (region_nodes(r, smp->last))
		memset(smp->last, 0xff, r->nr_pages * sizeof(int));
	for (size_t i = 0; i < r->nr_pages; i++)
		smp->last[i] = MAX(smp->last[i], -1);
	return 0;
}

/* The calibration, if asked for; then the stall threshold of the run. */
static int nf_calibration(struct run_ctx *ctx, uint64_t *thr_ns, const char **thr_how)
{
	struct nf_calib cal;
	int ret;

	*thr_ns = nf_stall_ns;
	*thr_how = "--stall-threshold-ns";
	if (!nf_calib_ms)
		return 0;
	nf_thr_ticks = tsc_from_ns(&nf_tsc, nf_stall_ns ? nf_stall_ns : 1000000);
	counters_phase_begin("calibration");
	ret = nf_calibrate(&cal);
	counters_phase_end("calibration");
	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, migrace_stop ?
			       "interrupted by a signal during the calibration" :
			       "calibration workers did not start");
		return ret;
	}
	nf_calib_print(&cal);
	result_metric(ctx->res, "calibration", nf_calib_json(&cal));
	result_metric(ctx->res, "instrumentation_overhead_pct", nf_double(cal.overhead_pct, 3));
	*thr_ns = cal.threshold_ns;
	*thr_how = cal.threshold_from;
	return 0;
}

static void nf_report(struct run_ctx *ctx, const struct nf_plan *p, const struct nf_sampler *smp,
		      const struct faultlat *fl, uint64_t thr_ns, const char *thr_how)
{
	json_object *tl = json_object_new_array();

	nf_kernel_print(fl);
	result_metric(ctx->res, "kernel_side", faultlat_to_json(fl));
	result_metric(ctx->res, "user_side", nf_user_side(smp->rows, smp->nrows, thr_ns, thr_how));
	result_metric(ctx->res, "convergence", nf_convergence(ctx, p, smp->rows, smp->nrows));
	for (int i = 0; i < smp->nrows; i++)
		json_object_array_add(tl, nf_row_json(&smp->rows[i], smp->t));
	result_metric(ctx->res, "timeline", tl);
	if (p->timeline) {
		nf_timeline_dat(p->timeline, p, smp->t, smp->rows, smp->nrows);
		fflush(p->timeline);
	}
	result_metric(ctx->res, "workers", nf_workers_json());
	if (ctx->topo.nr_nodes < 2)
		result_metric(ctx->res, "hint_faults_note", json_object_new_string(
			"one memory node: hinting faults still happen, all local; nothing migrates"));
	nf_verdict(ctx, fl);
	if (ctx->topo.emulated)
		printf("numa-fault: timings are emulated (QEMU TCG), not hardware figures\n");
}

/* The run with balancing on: the second process, the tracer, workers and sampler. */
static void nf_balance(struct run_ctx *ctx, const struct nf_plan *p, struct nf_sampler *smp,
		       struct faultlat *fl)
{
	static struct vmstat v0, v1;
	pid_t child = -1;

	nf_assign(&ctx->topo, p, smp->r);
	nf_sh->phase = NF_IDLE;
	nf_sh->ready = 0;
	if (p->layout == NF_SHARED) {
		pid_t parent = getpid();

		child = fork();
		if (child == 0)
			nf_second(parent);
		if (child < 0)
			result_verdict(ctx->res, VERDICT_FAIL, "fork: %s", strerror(errno));
	}
	faultlat_start(fl, p->method, nf_tsc.usable ? nf_tsc.ns_per_tick : 0, nf_ours, NULL);
	smp->fl = fl;
	vmstat_read(&v0);
	smp->prev = v0;
	counters_phase_begin("balancing");
	if (child != -1 || p->layout != NF_SHARED)
		nf_measure(ctx, p, smp);
	counters_phase_end("balancing");
	if (child > 0) {
		__atomic_store_n(&nf_sh->start, 1, __ATOMIC_RELEASE);
		waitpid(child, NULL, 0);
	}
	vmstat_read(&v1);
	faultlat_stop(fl);
	result_metric(ctx->res, "vmstat", vmstat_delta_json(&v0, &v1, vmstat_numa_names));
}

/* Base pages need no THP. */
static void nf_validate(struct run_ctx *ctx, struct needs *needs)
{
	nf_plan(&ctx->topo, &nf_p);
	if (nf_base_pages)
		needs->what &= ~NEED_THP;
}

static int nf_run(struct run_ctx *ctx)
{
	static struct faultlat fl;
	static struct nf_sampler smp;
	struct nf_plan *p = &nf_p;
	struct region r = { 0 };
	char why[256] = "", bal_before[16] = "";
	const char *thr_how;
	uint64_t thr_ns;
	int pmd0 = -1, pmd1 = -1;

	result_metric(ctx->res, "layout", json_object_new_string(nf_layouts[p->layout]));
	/* Mounts (if any) happen now, while the process has one thread. */
	if (nf_tunables_find(why, sizeof(why)))
		msg("NUMA balancing scan tunables: %s", why);
	tsc_init(&nf_tsc);
	if (nf_tunables_set(ctx, bal_before))
		goto out;
	if (nf_prepare(ctx, p, &r, &smp, &pmd0))
		goto free;
	nf_header(ctx, p, &r);
	nf_pin_helpers();
	if (nf_calibration(ctx, &thr_ns, &thr_how))
		goto free;
	nf_thr_ticks = tsc_from_ns(&nf_tsc, thr_ns);
	nf_balance(ctx, p, &smp, &fl);
	pmd1 = nf_base_pages ? -1 : region_count_pmd_mapped(&r);
	nf_report(ctx, p, &smp, &fl, thr_ns, thr_how);
free:
	free(smp.target);
	free(smp.status);
	free(smp.last);
	free(smp.rows);
	if (nf_sh)
		munmap(nf_sh, sizeof(*nf_sh) + p->nr_workers * sizeof(struct nf_worker));
	nf_sh = NULL;
	result_metric(ctx->res, "region", nf_region_json(&r, p, pmd0, pmd1));
	region_free(&r);
out:
	result_metric(ctx->res, "tunables", nf_tunables_json(bal_before));
	if (p->timeline)
		fclose(p->timeline);
	return 0;
}

const struct scenario scenario_numa_fault = {
	.name = "numa-fault",
	.desc = "AutoNUMA on a THP region: hinting-fault latency (kernel- and user-side) and time to converge",
	.opts = nf_opts,
	.needs = {
		.what = NEED_THP | NEED_NUMA_BALANCING | NEED_ROOT | NEED_NODES,
		.partial = NEED_NODES,		/* one node: hinting faults still happen */
		.nodes = 2,
		.nodes_for = "convergence",
		.measured = "hinting-fault latency and counters are still measured",
		.thp_hint = "--base-pages measures 4 KiB pages",
	},
	.validate = nf_validate,
	.run = nf_run,
};
