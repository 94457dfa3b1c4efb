/* thp_migrate.c - scenario thp-migrate: explicit THP migration throughput and latency for every node pair. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "hist.h"
#include "membw.h"
#include "region.h"
#include "scenario.h"
#include "settings.h"
#include "stamp.h"
#include "tsc.h"
#include "util.h"
#include "vmstat.h"

#define TM_BLOCK		4096	/* stamp block: one per base page */
#define TM_MEMCPY_REPS		5	/* timed copies per pair, the median taken */

enum tm_driver { TM_MOVE_PAGES, TM_MBIND, TM_MIGRATE_PAGES, TM_DRIVERS };
enum tm_mode { TM_THP, TM_BASE, TM_MODES };
enum tm_cpu { TM_CPU_SRC, TM_CPU_DST, TM_CPU_ANY };

static const char *const tm_driver_name[TM_DRIVERS] = {
	"move_pages", "mbind", "migrate_pages",
};
static const char *const tm_mode_name[TM_MODES] = { "thp", "4k" };
static const char *const tm_cpu_name[] = { "src", "dst", "any", NULL };
/* The words of --page-size and --driver: index TM_MODES and TM_DRIVERS mean every one. */
static const char *const tm_page_sizes[] = { "thp", "4k", "both", NULL };
static const char *const tm_drivers[] = { "move_pages", "mbind", "migrate_pages", "all", NULL };

/* The kernel's account of one move, as /proc/vmstat deltas. */
enum tm_counter {
	K_THP_SUCCESS, K_THP_FAIL, K_THP_SPLIT, K_PG_SUCCESS, K_PG_FAIL,
	K_COMPACT, K_NUMA, K_COUNTERS,
};
static const char *const tm_counter_name[K_COUNTERS + 1] = {
	"thp_migration_success", "thp_migration_fail", "thp_migration_split",
	"pgmigrate_success", "pgmigrate_fail", "compact_isolated",
	"numa_pages_migrated", NULL,
};

/* Timestamps around every call: the TSC where it is steady, cheaper than a clock read. */
static struct tsc tm_tsc;

/*
 * A CPU the mover has left keeps migrace's mm loaded while it idles (lazy
 * TLB), so every TLB flush of a migration still walks it. A helper process,
 * forked before any region exists, visits every CPU on request: switching to
 * its mm takes migrace's off them, as for a tool that never ran elsewhere.
 */
static struct {
	pid_t pid;
	int req, ack;
} tm_sweeper = { .pid = -1, .req = -1, .ack = -1 };

static void tm_sweeper_stop(void);

static void tm_sweeper_main(int req, int ack, int ncpu)
{
	char c;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (read(req, &c, 1) == 1) {
		for (int cpu = 0; cpu < ncpu; cpu++) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (!sched_setaffinity(0, sizeof(set), &set))
				sched_yield();
		}
		if (write(ack, &c, 1) != 1)
			break;
	}
	_exit(0);
}

static void tm_sweeper_start(void)
{
	int req[2], ack[2], ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);

	if (pipe(req))
		return;
	if (pipe(ack)) {
		close(req[0]);
		close(req[1]);
		return;
	}
	fflush(NULL);
	tm_sweeper.pid = fork();
	if (!tm_sweeper.pid) {
		close(req[1]);
		close(ack[0]);
		tm_sweeper_main(req[0], ack[1], ncpu);
	}
	close(req[0]);
	close(ack[1]);
	tm_sweeper.req = req[1];
	tm_sweeper.ack = ack[0];
	if (tm_sweeper.pid < 0)
		tm_sweeper_stop();
}

static void tm_sweeper_stop(void)
{
	if (tm_sweeper.req >= 0)
		close(tm_sweeper.req);	/* the helper's read ends: it exits */
	if (tm_sweeper.ack >= 0)
		close(tm_sweeper.ack);
	if (tm_sweeper.pid > 0)
		waitpid(tm_sweeper.pid, NULL, 0);
	tm_sweeper.pid = tm_sweeper.req = tm_sweeper.ack = -1;
}

/* Best effort: without the helper a move measures what a longer-lived process sees. */
static void tm_sweep(void)
{
	char c = 's';

	if (tm_sweeper.pid > 0 &&
	    (write(tm_sweeper.req, &c, 1) != 1 || read(tm_sweeper.ack, &c, 1) != 1))
		tm_sweeper_stop();
}

static struct {
	uint64_t size, batch, verify_max, memcpy_size;
	int reps, warmup, page_size, driver, cpu;
	bool shared;
	const char *nodes;
} opt;

static const struct opt tm_opts[] = {
	{ "size", OPT_SIZE, &opt.size, "128M",
	  "region size, a multiple of the page size (the THP size unless --page-size 4k)",
	  1, 1ull << 50 },
	{ "shared", OPT_BOOL, &opt.shared, NULL,
	  "shared anonymous memory (shmem THP) instead of private" },
	{ "page-size", OPT_ENUM, &opt.page_size, "thp",
	  "thp, 4k (base pages: MADV_NOHUGEPAGE) or both (and their throughput ratio)",
	  .choices = tm_page_sizes },
	{ "driver", OPT_ENUM, &opt.driver, "all", "move_pages, mbind, migrate_pages or all",
	  .choices = tm_drivers },
	{ "batch", OPT_U64, &opt.batch, "0",
	  "pages per move_pages call; 0: the whole region in one call", 0, 1ull << 40 },
	{ "reps", OPT_INT, &opt.reps, "5", "measured moves per ordered node pair and driver",
	  1, 100000 },
	{ "warmup", OPT_INT, &opt.warmup, "1", "moves per pair and driver before measuring",
	  0, 1000 },
	{ "nodes", OPT_STR, &opt.nodes, NULL,
	  "nodes whose ordered pairs are measured, as numactl takes them (0,1 or 0-3) [all memory nodes]" },
	{ "cpu", OPT_ENUM, &opt.cpu, "src",
	  "where the migrating thread runs: src, dst (that node's CPUs) or any",
	  .choices = tm_cpu_name },
	{ "verify-max", OPT_SIZE, &opt.verify_max, "64M",
	  "bytes checked after each move; beyond it pages are sampled, in rotation",
	  4096, 1ull << 50 },
	{ "memcpy-size", OPT_SIZE, &opt.memcpy_size, "64M",
	  "bytes per copy of the cross-node memcpy reference (at most --size)", 4096, 1ull << 50 },
	{ NULL }
};

/* What the pages show after one move. */
struct tm_outcome {
	long long whole;	/* on dst, still huge (4k: pages on dst) */
	long long split;	/* no longer huge */
	long long failed;	/* huge, not on dst (4k: pages not on dst) */
	long long split_moved;	/* base pages of split THPs on dst */
};

/* One direction of one node pair, one page size, one driver. */
struct tm_dir {
	int src, dst, si, di;
	int cpu_node;		/* where the moves ran; -1 any CPU */
	int rounds;		/* measured */
	uint64_t interval_ns, syscall_ns, bytes, pages;
	long long calls, not_moved;
	struct hist lat;	/* per call, ns */
	double *round_gbps;
	struct tm_outcome out;
	long long k[K_COUNTERS];
	bool counters_absent;
	int agree, explained, unexplained;	/* rounds */
	char why[320];
	bool why_unexplained;
	long long other_pages;	/* migrate_pages: the process's other memory */
	long long status_on_dst, status_other;	/* move_pages status, measured rounds */
	char status_first[96];
	int moves;		/* checked, warm-up included */
	uint64_t checked, bad;
	char first_bad[160];
};

/*
 * Timing of one move. The measured interval runs from before the page and
 * node lists are filled to the return of the last call: all the user-space
 * work a move costs is inside it, and shows as its overhead.
 */
struct tm_call {
	uint64_t first, last;	/* tm_tsc ticks */
	uint64_t syscall_ns;
	long long calls, not_moved;
	struct hist lat;
};

struct tm_run {
	struct run_ctx *ctx;
	int nodes[TOPO_MAX_NODES], nr_nodes;
	bool mode[TM_MODES], driver[TM_DRIVERS];
	enum tm_cpu cpu;
	size_t batch;
	double memcpy_gbps[TOPO_MAX_NODES][TOPO_MAX_NODES];
	json_object *memcpy, *results;
	/* Measured rounds of each page size and driver: bytes and time. */
	uint64_t bytes[TM_MODES][TM_DRIVERS], ns[TM_MODES][TM_DRIVERS];
	uint64_t sys_ns[TM_MODES][TM_DRIVERS];
	double gbps[TM_MODES][TM_DRIVERS][TOPO_MAX_NODES][TOPO_MAX_NODES];
	uint64_t checked, checkable;
	uint64_t gen;
	bool stop;		/* a failure that leaves nothing worth measuring */
};

/* The buffers a move needs: page addresses once per pair, nodes and status per move. */
struct tm_io {
	void **pages;
	int *nodes, *status;
	struct bitmask *from, *to;
};

static size_t tm_page_bytes(enum tm_mode m)
{
	return m == TM_THP ? region_thp_size() : 4096;
}

static int tm_flags(enum tm_mode m)
{
	return (opt.shared ? REGION_SHARED : 0) | (m == TM_BASE ? REGION_BASE_PAGES : 0);
}

/* Bad input ends the run here, before any tunable is touched. */
static void tm_parse(struct tm_run *t)
{
	char err[256], sz[32];

	t->cpu = opt.cpu;
	t->mode[TM_THP] = opt.page_size != TM_BASE;
	t->mode[TM_BASE] = opt.page_size != TM_THP;
	for (int d = 0; d < TM_DRIVERS; d++)
		t->driver[d] = opt.driver == d || opt.driver == TM_DRIVERS;
	fmt_size(sz, sizeof(sz), opt.size);
	for (int m = 0; m < TM_MODES; m++)
		if (t->mode[m] && opt.size % tm_page_bytes(m))
			usage_error("--size %s is not a multiple of the %s page size (%zu bytes)",
				    sz, tm_mode_name[m], tm_page_bytes(m));
	if (!opt.nodes) {
		t->nr_nodes = t->ctx->topo.nr_nodes;
		memcpy(t->nodes, t->ctx->topo.nodes, sizeof(t->nodes));
	} else {
		t->nr_nodes = topo_parse_nodes(&t->ctx->topo, opt.nodes, t->nodes,
					       TOPO_MAX_NODES, err, sizeof(err));
		if (t->nr_nodes < 0)
			usage_error("--nodes %s", err);
		if (t->nr_nodes < 2)
			usage_error("--nodes %s: a pair needs two nodes", opt.nodes);
	}
	for (int i = 0; i < t->nr_nodes; i++) {
		long long free = topo_node_free(t->nodes[i]);

		if (free >= 0 && opt.size > (uint64_t)free)
			usage_error("--size %s is more than node %d's free memory (%lld MiB)",
				    sz, t->nodes[i], free >> 20);
	}
}

/* AutoNUMA would move pages under the measurement; the knob is restored at exit. */
static void tm_pause_numa_balancing(struct tm_run *t)
{
	json_object *nb = json_object_new_object();
	long long was = settings_get(SET_NUMA_BALANCING);
	int ret = 0;

	if (was > 0)
		ret = settings_set(SET_NUMA_BALANCING, 0);
	json_object_object_add(nb, "before", was < 0 ? NULL : json_object_new_int64(was));
	json_object_object_add(nb, "paused_for_run", json_object_new_boolean(was > 0 && !ret));
	if (ret) {
		json_object_object_add(nb, "error", json_object_new_string(strerror(-ret)));
		msg("cannot pause NUMA balancing (%s): it may move pages during the measurement",
		    strerror(-ret));
	}
	result_metric(t->ctx->res, "numa_balancing", nb);
	if (was > 0 && !ret)
		printf("NUMA balancing paused for the run (was %lld; restored at exit)\n", was);
	else if (was == 0)
		printf("NUMA balancing was already off\n");
}

/* Runs the calling thread on src's or dst's CPUs, or anywhere; returns that node or -1. */
static int tm_run_on(const struct tm_run *t, int src, int dst)
{
	int node = t->cpu == TM_CPU_SRC ? src : t->cpu == TM_CPU_DST ? dst : -1;

	if (node >= 0 && !topo_node_has_cpus(node))
		node = -1;
	if (numa_run_on_node(node))
		node = -1;
	return node;
}

/* The copy ceiling for every ordered pair, from the CPU the moves will use. */
static int tm_memcpy_reference(struct tm_run *t)
{
	int flags = t->mode[TM_THP] ? 0 : REGION_BASE_PAGES;
	size_t page = flags & REGION_BASE_PAGES ? 4096 : region_thp_size();
	size_t len = MIN(opt.memcpy_size, opt.size) / page * page;
	struct membw m;

	if (!len) {
		flags = REGION_BASE_PAGES;
		len = MIN(opt.memcpy_size, opt.size) / 4096 * 4096;
	}
	for (int i = 0; i < t->nr_nodes; i++)
		for (int j = 0; j < t->nr_nodes; j++) {
			json_object *o;
			int cpu, ret;

			if (i == j)
				continue;
			cpu = tm_run_on(t, t->nodes[i], t->nodes[j]);
			ret = membw_copy(t->nodes[i], t->nodes[j], len, flags, TM_MEMCPY_REPS, &m);
			if (ret == -EINTR)
				return ret;
			if (ret) {
				result_verdict(t->ctx->res, VERDICT_FAIL,
					       "memcpy reference %d -> %d: %s", t->nodes[i],
					       t->nodes[j], strerror(-ret));
				return ret;
			}
			t->memcpy_gbps[i][j] = m.gbps;
			o = membw_to_json(&m);
			json_object_object_add(o, "cpu_node", json_object_new_int(cpu));
			json_object_array_add(t->memcpy, o);
		}
	return 0;
}

static int tm_io_alloc(struct tm_io *io, const struct region *r)
{
	memset(io, 0, sizeof(*io));
	io->pages = malloc(r->nr_pages * sizeof(*io->pages));
	io->nodes = malloc(r->nr_pages * sizeof(*io->nodes));
	io->status = malloc(r->nr_pages * sizeof(*io->status));
	io->from = numa_allocate_nodemask();
	io->to = numa_allocate_nodemask();
	if (!io->pages || !io->nodes || !io->status)
		return -ENOMEM;
	for (size_t i = 0; i < r->nr_pages; i++)
		io->pages[i] = region_page(r, i);
	return 0;
}

static void tm_io_free(struct tm_io *io)
{
	free(io->pages);
	free(io->nodes);
	free(io->status);
	numa_free_nodemask(io->from);
	numa_free_nodemask(io->to);
}

/* The lists for one move's direction: filled inside the measured interval (see tm_call). */
static void tm_io_aim(struct tm_io *io, size_t n, int src, int dst)
{
	for (size_t i = 0; i < n; i++)
		io->nodes[i] = dst;
	numa_bitmask_clearall(io->from);
	numa_bitmask_clearall(io->to);
	numa_bitmask_setbit(io->from, src);
	numa_bitmask_setbit(io->to, dst);
}

/* One migration call, timed: what it returned, or -errno. */
static long tm_call(enum tm_driver drv, const struct region *r, struct tm_io *io,
		    size_t first, size_t n, struct tm_call *c)
{
	uint64_t t0 = tsc_ticks(&tm_tsc), t1, ns;
	long ret;
	int err;

	if (drv == TM_MOVE_PAGES)
		ret = move_pages(0, n, io->pages + first, io->nodes + first, io->status + first,
				 MPOL_MF_MOVE);
	else if (drv == TM_MBIND)
		ret = mbind(r->addr, r->size, MPOL_BIND, io->to->maskp, io->to->size + 1,
			    MPOL_MF_MOVE);
	else
		ret = migrate_pages(0, io->from->size + 1, io->from->maskp, io->to->maskp);
	err = errno;
	t1 = tsc_ticks(&tm_tsc);
	ns = tsc_to_ns(&tm_tsc, t1 - t0);
	c->calls++;
	c->last = t1;
	c->syscall_ns += ns;
	hist_add(&c->lat, ns);
	return ret < 0 ? -err : ret;
}

/* The region moved by one of the three calls; move_pages in batches. 0 or -errno. */
static int tm_move(enum tm_driver drv, const struct region *r, struct tm_io *io,
		   size_t batch, struct tm_call *c)
{
	size_t step = drv == TM_MOVE_PAGES ? batch : r->nr_pages;

	for (size_t off = 0; off < r->nr_pages; off += step) {
		long ret = tm_call(drv, r, io, off, MIN(step, r->nr_pages - off), c);

		if (ret < 0)
			return ret;
		c->not_moved += ret;
	}
	return 0;
}

/* Base pages of THP i that are on node. */
static long long tm_subpages_on(const struct region *r, size_t i, int node)
{
	size_t n = r->thp_size / 4096;
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));
	long long on = -1;

	if (pages && status) {
		for (size_t j = 0; j < n; j++)
			pages[j] = region_page(r, i) + j * 4096;
		if (!move_pages(0, n, pages, NULL, status, 0)) {
			on = 0;
			for (size_t j = 0; j < n; j++)
				on += status[j] == node;
		}
	}
	free(pages);
	free(status);
	return on;
}

/*
 * Where each page is after a move (move_pages with nodes=NULL) and whether
 * each THP is still huge: page flags (root), else smaps's count of PMD
 * mappings, which says how many THPs were split but not which.
 */
static int tm_outcome(const struct region *r, int *status, int dst, bool thp,
		      struct tm_outcome *o)
{
	bool flags_known = true;

	memset(o, 0, sizeof(*o));
	if (region_nodes(r, status))
		return -1;
	for (size_t i = 0; i < r->nr_pages; i++) {
		int huge = thp ? region_thp_is_huge(r, i) : 1;

		if (huge < 0)
			flags_known = false;
		if (!huge) {
			o->split++;
			o->split_moved += tm_subpages_on(r, i, dst);
		} else if (status[i] != dst) {
			o->failed++;
		} else {
			o->whole++;
		}
	}
	if (thp && !flags_known) {
		o->split = r->nr_pages - MIN((size_t)MAX(region_count_pmd_mapped(r), 0), r->nr_pages);
		o->whole = MAX(0, o->whole - o->split);
		o->split_moved = o->split ? -1 : 0;
	}
	return 0;
}

/* Keeps the first reason, unless an unexplained one comes after explained ones. */
static void tm_why(struct tm_dir *d, const char *what, long long kernel, long long pages,
		   const char *because)
{
	if (d->why[0] && (because || d->why_unexplained))
		return;
	d->why_unexplained = !because;
	snprintf(d->why, sizeof(d->why), "%s: the kernel counted %lld, the pages show %lld%s%s",
		 what, kernel, pages, because ? "; " : "", because ? because : "");
}

/*
 * The kernel's counts (/proc/vmstat deltas) against what the pages show.
 * More migrations than ours are explained when someone else visibly
 * migrated: migrate_pages(2) takes the whole process, compaction and NUMA
 * balancing have counters of their own. Fewer failures than ours are
 * pages that could not even be isolated, which the kernel does not count.
 * Returns 0 agree, 1 explained, 2 not.
 */
static int tm_reconcile(struct tm_dir *d, const struct tm_outcome *o, const long long *k,
			long long sub, enum tm_driver drv, bool thp)
{
	const struct { const char *what; long long pages, kernel; bool fail; } row[] = {
		{ "whole THPs migrated (thp_migration_success)", thp ? o->whole : 0,
		  k[K_THP_SUCCESS], false },
		{ "THPs split (thp_migration_split)", thp ? o->split : 0, k[K_THP_SPLIT], false },
		{ "THPs failed (thp_migration_fail - thp_migration_split)", thp ? o->failed : 0,
		  k[K_THP_FAIL] - k[K_THP_SPLIT], true },
		{ "base pages migrated (pgmigrate_success)",
		  !thp ? o->whole : o->split_moved < 0 ? -1 : o->whole * sub + o->split_moved,
		  k[K_PG_SUCCESS], false },
		{ "base pages failed (pgmigrate_fail)",
		  !thp ? o->failed : o->split_moved < 0 ? -1 :
		  (o->failed + o->split) * sub - o->split_moved, k[K_PG_FAIL], true },
	};
	char others[128];
	int worst = 0;

	for (int c = 0; c < K_COUNTERS; c++)
		if (k[c] < 0) {
			d->counters_absent = true;
			return 0;
		}
	snprintf(others, sizeof(others),
		 "others migrated meanwhile (compact_isolated +%lld, numa_pages_migrated +%lld)",
		 k[K_COMPACT], k[K_NUMA]);
	for (size_t i = 0; i < ARRAY_SIZE(row); i++) {
		long long diff = row[i].kernel - row[i].pages;
		const char *because = NULL;

		if (row[i].pages < 0 || !diff)
			continue;
		if (diff < 0 && row[i].fail)
			because = "pages that cannot be isolated fail without being counted";
		else if (diff > 0 && drv == TM_MIGRATE_PAGES)
			because = row[i].fail ?
				"migrate_pages(2) also tries all else the process has on the node, and some of that cannot move" :
				"migrate_pages(2) moves all the process has on the node (as root shared pages too: MPOL_MF_MOVE_ALL)";
		else if (diff > 0 && (k[K_COMPACT] > 0 || k[K_NUMA] > 0))
			because = others;
		worst = MAX(worst, because ? 1 : 2);
		tm_why(d, row[i].what, row[i].kernel, row[i].pages, because);
	}
	return worst;
}

/* Pages checked after each move: all up to --verify-max, else every stride-th, rotating. */
static size_t tm_stride(const struct region *r)
{
	size_t max = MAX(1, opt.verify_max / r->page_size);

	return (r->nr_pages + max - 1) / max;
}

static void tm_stamp(const struct region *r, size_t first, size_t stride, uint64_t gen)
{
	for (size_t i = first; i < r->nr_pages; i += stride)
		stamp_write_range(region_page(r, i), r->page_size, TM_BLOCK, i * r->page_size, gen);
}

static void tm_check(struct tm_dir *d, const struct region *r, size_t first, size_t stride,
		     uint64_t gen)
{
	for (size_t i = first; i < r->nr_pages; i += stride) {
		enum stamp_status why;
		long long bad = stamp_check_range(region_page(r, i), r->page_size, TM_BLOCK,
						  i * r->page_size, gen, &why);

		d->checked++;
		if (bad >= 0 && !d->bad++)
			snprintf(d->first_bad, sizeof(d->first_bad),
				 "page %zu, block at region offset %llu is %s", i,
				 (unsigned long long)(i * r->page_size + bad), stamp_status_name(why));
	}
}

/* What move_pages(2) said of each page: the node it is on, or why it did not move. */
static void tm_status(struct tm_dir *d, const int *status, size_t n, bool measured)
{
	for (size_t i = 0; measured && i < n; i++) {
		if (status[i] == d->dst) {
			d->status_on_dst++;
		} else if (!d->status_other++) {
			snprintf(d->status_first, sizeof(d->status_first), "page %zu: %s", i,
				 status[i] == -EINPROGRESS ? "no status (the batch had failures)" :
				 status[i] < 0 ? strerror(-status[i]) : "on another node");
		}
	}
}

/* Before every move: every THP PMD-mapped (no THP at all in 4k mode), every page on src. */
static int tm_precheck(struct tm_run *t, const struct tm_dir *d, enum tm_mode m,
		       const struct region *r, int *status)
{
	int pmd = region_count_pmd_mapped(r);
	size_t want = m == TM_THP ? r->nr_pages : 0, away = 0;

	if (pmd < 0 || (size_t)pmd != want) {
		result_verdict(t->ctx->res, VERDICT_FAIL,
			       "before a move %d -> %d: %d of %zu %s pages PMD-mapped, %zu wanted",
			       d->src, d->dst, pmd, r->nr_pages, tm_mode_name[m], want);
		return -1;
	}
	if (region_nodes(r, status)) {
		result_verdict(t->ctx->res, VERDICT_FAIL, "cannot locate the region's pages: %s",
			       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < r->nr_pages; i++)
		away += status[i] != d->src;
	if (away) {
		result_verdict(t->ctx->res, VERDICT_FAIL,
			       "before a move %d -> %d: %zu of %zu pages not on node %d",
			       d->src, d->dst, away, r->nr_pages, d->src);
		return -1;
	}
	return 0;
}

static void tm_account(struct tm_dir *d, const struct tm_call *c, const struct tm_outcome *o,
		       const long long *k, const struct region *r, enum tm_driver drv, bool thp)
{
	uint64_t interval = tsc_to_ns(&tm_tsc, c->last - c->first);
	uint64_t bytes = thp ? o->whole * r->page_size + MAX(o->split_moved, 0) * 4096 :
			       o->whole * r->page_size;

	d->round_gbps[d->rounds++] = interval ? (double)bytes / interval : 0;
	d->interval_ns += interval;
	d->syscall_ns += c->syscall_ns;
	d->calls += c->calls;
	d->not_moved += c->not_moved;
	d->bytes += bytes;
	d->pages += o->whole;
	if (drv == TM_MIGRATE_PAGES && k[K_PG_SUCCESS] >= 0)
		d->other_pages += MAX(0, k[K_PG_SUCCESS] - (long long)(bytes / 4096));
	hist_merge(&d->lat, &c->lat);
	d->out.whole += o->whole;
	d->out.split += o->split;
	d->out.failed += o->failed;
	d->out.split_moved += o->split_moved;
	for (int i = 0; i < K_COUNTERS; i++)
		d->k[i] += MAX(k[i], 0);
}

/* A THP split or left behind: the figures would not be THP migration any more. */
static int tm_lost(struct tm_run *t, const struct tm_dir *d, enum tm_driver drv,
		   const struct tm_outcome *o, const struct region *r)
{
	if (!o->split && !o->failed)
		return 0;
	result_verdict(t->ctx->res, VERDICT_FAIL,
		       "%s from node %d to %d: %lld of %zu pages split, %lld not moved",
		       tm_driver_name[drv], d->src, d->dst, o->split, r->nr_pages, o->failed);
	return -1;
}

/* One move of the region from src to dst: checked before, timed, checked after. */
static int tm_round(struct tm_run *t, struct tm_dir *d, enum tm_mode m, enum tm_driver drv,
		    const struct region *r, struct tm_io *io, int round)
{
	static struct vmstat before, after;
	size_t stride = tm_stride(r), first = round % stride;
	bool thp = m == TM_THP;
	struct tm_call c = { 0 };
	struct tm_outcome o;
	long long k[K_COUNTERS];
	int ret;

	d->cpu_node = tm_run_on(t, d->src, d->dst);
	tm_sweep();
	tm_stamp(r, first, stride, ++t->gen);
	/* Proven in place last, right before the move: nothing of ours runs in between. */
	if (tm_precheck(t, d, m, r, io->status))
		return -1;
	hist_init(&c.lat);
	/* Pages the kernel gave no status keep this (6.1 stores none for a batch with failures). */
	for (size_t i = 0; i < r->nr_pages; i++)
		io->status[i] = -EINPROGRESS;
	vmstat_read(&before);
	c.first = tsc_ticks(&tm_tsc);
	tm_io_aim(io, r->nr_pages, d->src, d->dst);
	ret = tm_move(drv, r, io, t->batch, &c);
	vmstat_read(&after);
	if (ret) {
		result_verdict(t->ctx->res, VERDICT_FAIL, "%s from node %d to %d: %s",
			       tm_driver_name[drv], d->src, d->dst, strerror(-ret));
		return -1;
	}
	if (drv == TM_MOVE_PAGES)
		tm_status(d, io->status, r->nr_pages, round >= opt.warmup);
	tm_check(d, r, first, stride, t->gen);
	d->moves++;
	if (tm_outcome(r, io->status, d->dst, thp, &o)) {
		result_verdict(t->ctx->res, VERDICT_FAIL, "cannot locate the region's pages: %s",
			       strerror(errno));
		return -1;
	}
	for (int i = 0; i < K_COUNTERS; i++)
		k[i] = vmstat_delta(&before, &after, tm_counter_name[i]);
	ret = tm_reconcile(d, &o, k, r->thp_size / 4096, drv, thp);
	d->agree += !ret;
	d->explained += ret == 1;
	d->unexplained += ret == 2;
	if (round >= opt.warmup)
		tm_account(d, &c, &o, k, r, drv, thp);
	if (d->bad)
		result_verdict(t->ctx->res, VERDICT_FAIL, "data changed by %s from node %d to %d: %s",
			       tm_driver_name[drv], d->src, d->dst, d->first_bad);
	if (ret == 2)
		result_verdict(t->ctx->res, VERDICT_FAIL, "%s from node %d to %d: %s",
			       tm_driver_name[drv], d->src, d->dst, d->why);
	return tm_lost(t, d, drv, &o, r);
}

static struct tm_dir *tm_dir_new(const struct tm_run *t, int si, int di)
{
	struct tm_dir *d = calloc(1, sizeof(*d));

	if (!d || !(d->round_gbps = calloc(opt.reps, sizeof(*d->round_gbps))))
		abort();
	d->si = si;
	d->di = di;
	d->src = t->nodes[si];
	d->dst = t->nodes[di];
	d->cpu_node = -1;
	hist_init(&d->lat);
	return d;
}

static void tm_dir_free(struct tm_dir *d)
{
	free(d->round_gbps);
	free(d);
}

static double tm_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

static json_object *tm_outcome_json(const struct tm_dir *d, bool thp)
{
	json_object *o = json_object_new_object(), *k = json_object_new_object();

	json_object_object_add(o, "whole", json_object_new_int64(d->out.whole));
	json_object_object_add(o, "split", json_object_new_int64(d->out.split));
	json_object_object_add(o, "failed", json_object_new_int64(d->out.failed));
	if (thp)
		json_object_object_add(o, "split_base_pages_moved",
				       json_object_new_int64(d->out.split_moved));
	for (int i = 0; !d->counters_absent && i < K_COUNTERS; i++)
		json_object_object_add(k, tm_counter_name[i], json_object_new_int64(d->k[i]));
	json_object_object_add(o, "vmstat", k);
	json_object_object_add(o, "agree_rounds", json_object_new_int(d->agree));
	json_object_object_add(o, "explained_rounds", json_object_new_int(d->explained));
	json_object_object_add(o, "unexplained_rounds", json_object_new_int(d->unexplained));
	json_object_object_add(o, "why", d->counters_absent ?
		json_object_new_string("the kernel has no thp_migration_* or pgmigrate_* counters") :
		d->why[0] ? json_object_new_string(d->why) : NULL);
	return o;
}

static json_object *tm_status_json(const struct tm_dir *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "on_dst", json_object_new_int64(d->status_on_dst));
	json_object_object_add(o, "other", json_object_new_int64(d->status_other));
	json_object_object_add(o, "first_other", d->status_other ?
			       json_object_new_string(d->status_first) : NULL);
	return o;
}

static json_object *tm_verify_json(const struct tm_dir *d, const struct region *r)
{
	json_object *o = json_object_new_object();
	uint64_t possible = (uint64_t)r->nr_pages * d->moves;

	json_object_object_add(o, "moves", json_object_new_int(d->moves));
	json_object_object_add(o, "pages_checked", json_object_new_int64(d->checked));
	json_object_object_add(o, "pages_moved", json_object_new_int64(possible));
	json_object_object_add(o, "rate", json_object_new_double(possible ?
				(double)d->checked / possible : 0));
	json_object_object_add(o, "bad_pages", json_object_new_int64(d->bad));
	json_object_object_add(o, "first_bad", d->bad ? json_object_new_string(d->first_bad) : NULL);
	return o;
}

static json_object *tm_dir_json(const struct tm_run *t, const struct tm_dir *d, enum tm_mode m,
				enum tm_driver drv, const struct region *r)
{
	json_object *o = json_object_new_object(), *g = json_object_new_array();
	double secs = d->interval_ns / 1e9, gbps = secs ? d->bytes / 1e9 / secs : 0;
	double ref = t->memcpy_gbps[d->si][d->di];

	for (int i = 0; i < d->rounds; i++)
		json_object_array_add(g, json_object_new_double(d->round_gbps[i]));
	json_object_object_add(o, "page_size", json_object_new_string(tm_mode_name[m]));
	json_object_object_add(o, "page_bytes", json_object_new_int64(r->page_size));
	json_object_object_add(o, "driver", json_object_new_string(tm_driver_name[drv]));
	json_object_object_add(o, "src", json_object_new_int(d->src));
	json_object_object_add(o, "dst", json_object_new_int(d->dst));
	json_object_object_add(o, "distance", json_object_new_int(topo_distance(d->src, d->dst)));
	json_object_object_add(o, "cpu_node", json_object_new_int(d->cpu_node));
	json_object_object_add(o, "rounds", json_object_new_int(d->rounds));
	json_object_object_add(o, "bytes_per_round", json_object_new_int64(r->size));
	json_object_object_add(o, "bytes_moved", json_object_new_int64(d->bytes));
	json_object_object_add(o, "gbps", json_object_new_double(gbps));
	json_object_object_add(o, "gbps_rounds", g);
	json_object_object_add(o, "pages_per_s", json_object_new_double(secs ? d->pages / secs : 0));
	if (m == TM_THP)
		json_object_object_add(o, "thp_per_s", json_object_new_double(secs ? d->pages / secs : 0));
	json_object_object_add(o, "memcpy_gbps", json_object_new_double(ref));
	json_object_object_add(o, "efficiency", ref > 0 ? json_object_new_double(gbps / ref) : NULL);
	json_object_object_add(o, "calls", json_object_new_int64(d->calls));
	if (drv == TM_MOVE_PAGES)
		json_object_object_add(o, "status", tm_status_json(d));
	json_object_object_add(o, "not_moved_returned", json_object_new_int64(d->not_moved));
	json_object_object_add(o, "latency", hist_to_json(&d->lat, "ns"));
	json_object_object_add(o, "interval_ns", json_object_new_int64(d->interval_ns));
	json_object_object_add(o, "syscall_ns", json_object_new_int64(d->syscall_ns));
	json_object_object_add(o, "overhead_pct",
			       json_object_new_double(tm_pct(d->interval_ns - d->syscall_ns, d->interval_ns)));
	if (drv == TM_MIGRATE_PAGES)
		json_object_object_add(o, "other_pages_moved", json_object_new_int64(d->other_pages));
	json_object_object_add(o, "kernel_gbps", d->counters_absent || !secs ? NULL :
			       json_object_new_double(d->k[K_PG_SUCCESS] * 4096 / 1e9 / secs));
	json_object_object_add(o, "outcome", tm_outcome_json(d, m == TM_THP));
	json_object_object_add(o, "verify", tm_verify_json(d, r));
	return o;
}

static void tm_print_header(void)
{
	printf("%-4s %-13s %3s %3s %4s %8s %9s %8s %8s %8s %8s %7s %5s %6s %5s %5s %-7s %s\n",
	       "page", "driver", "src", "dst", "dist", "GB/s", "pages/s", "p50 ms", "p90 ms",
	       "p99 ms", "max ms", "memcpy", "eff%", "whole", "split", "fail", "vmstat", "data");
}

static void tm_print_dir(const struct tm_run *t, const struct tm_dir *d, enum tm_mode m,
			 enum tm_driver drv)
{
	double secs = d->interval_ns / 1e9, gbps = secs ? d->bytes / 1e9 / secs : 0;
	double ref = t->memcpy_gbps[d->si][d->di];
	const char *vm = d->counters_absent ? "absent" : d->unexplained ? "DIFFER" :
			 d->explained ? "explain" : "agree";

	printf("%-4s %-13s %3d %3d %4d %8.3f %9.1f %8.3f %8.3f %8.3f %8.3f %7.3f %5.1f %6lld %5lld %5lld %-7s %s\n",
	       tm_mode_name[m], tm_driver_name[drv], d->src, d->dst,
	       topo_distance(d->src, d->dst), gbps, secs ? d->pages / secs : 0,
	       hist_percentile(&d->lat, 50) / 1e6, hist_percentile(&d->lat, 90) / 1e6,
	       hist_percentile(&d->lat, 99) / 1e6, d->lat.count ? d->lat.max / 1e6 : 0,
	       ref, ref > 0 ? 100 * gbps / ref : 0, d->out.whole, d->out.split, d->out.failed,
	       vm, d->bad ? "CORRUPT" : d->checked ? "intact" : "-");
}

static void tm_report(struct tm_run *t, struct tm_dir *d, enum tm_mode m, enum tm_driver drv,
		      const struct region *r)
{
	json_object_array_add(t->results, tm_dir_json(t, d, m, drv, r));
	tm_print_dir(t, d, m, drv);
	t->bytes[m][drv] += d->bytes;
	t->ns[m][drv] += d->interval_ns;
	t->sys_ns[m][drv] += d->syscall_ns;
	t->gbps[m][drv][d->si][d->di] = d->interval_ns ? (double)d->bytes / d->interval_ns : 0;
	t->checked += d->checked;
	t->checkable += (uint64_t)r->nr_pages * d->moves;
}

/*
 * Nodes i and j in turn: the region starts on i, each round moves it to j
 * and back, so every move is a measurement of one of the two directions.
 */
static void tm_pair(struct tm_run *t, enum tm_mode m, enum tm_driver drv, int i, int j)
{
	struct tm_dir *d[2] = { tm_dir_new(t, i, j), tm_dir_new(t, j, i) };
	int ret;
	struct region r;
	struct tm_io io;

	ret = region_alloc(&r, opt.size, tm_flags(m), t->nodes[i]);
	if (ret) {
		result_verdict(t->ctx->res, VERDICT_FAIL, "cannot allocate %s pages on node %d: %s",
			       tm_mode_name[m], t->nodes[i], strerror(-ret));
		t->stop = true;
		goto dirs_free;
	}
	if (tm_io_alloc(&io, &r)) {
		result_verdict(t->ctx->res, VERDICT_FAIL, "out of memory for the page lists");
		t->stop = true;
		goto io_free;
	}
	for (int round = 0; round < opt.warmup + opt.reps && !migrace_stop; round++) {
		if (tm_round(t, d[0], m, drv, &r, &io, round) ||
		    tm_round(t, d[1], m, drv, &r, &io, round))
			break;
	}
	tm_report(t, d[0], m, drv, &r);
	tm_report(t, d[1], m, drv, &r);
io_free:
	tm_io_free(&io);
	region_free(&r);
dirs_free:
	tm_dir_free(d[0]);
	tm_dir_free(d[1]);
}

/* Throughput next to distance: does the cost of a move follow distance? */
static void tm_print_matrix(const struct tm_run *t, enum tm_mode m, enum tm_driver drv)
{
	printf("%s, %s pages: GB/s (distance), from row to column\n      ", tm_driver_name[drv],
	       tm_mode_name[m]);
	for (int j = 0; j < t->nr_nodes; j++)
		printf(" %14d", t->nodes[j]);
	printf("\n");
	for (int i = 0; i < t->nr_nodes; i++) {
		printf("  %4d", t->nodes[i]);
		for (int j = 0; j < t->nr_nodes; j++)
			if (i == j)
				printf(" %14s", "-");
			else
				printf(" %8.3f (%3d)", t->gbps[m][drv][i][j],
				       topo_distance(t->nodes[i], t->nodes[j]));
		printf("\n");
	}
}

static json_object *tm_ratio(const struct tm_run *t, enum tm_driver drv)
{
	json_object *o = json_object_new_object(), *pairs = json_object_new_array();
	double thp = t->ns[TM_THP][drv] ? (double)t->bytes[TM_THP][drv] / t->ns[TM_THP][drv] : 0;
	double base = t->ns[TM_BASE][drv] ? (double)t->bytes[TM_BASE][drv] / t->ns[TM_BASE][drv] : 0;

	for (int i = 0; i < t->nr_nodes; i++)
		for (int j = 0; j < t->nr_nodes; j++) {
			json_object *p;
			double b = t->gbps[TM_BASE][drv][i][j];

			if (i == j)
				continue;
			p = json_object_new_object();
			json_object_object_add(p, "src", json_object_new_int(t->nodes[i]));
			json_object_object_add(p, "dst", json_object_new_int(t->nodes[j]));
			json_object_object_add(p, "ratio", b > 0 ?
				json_object_new_double(t->gbps[TM_THP][drv][i][j] / b) : NULL);
			json_object_array_add(pairs, p);
		}
	json_object_object_add(o, "ratio", base > 0 ? json_object_new_double(thp / base) : NULL);
	json_object_object_add(o, "pairs", pairs);
	printf("THP / 4k throughput, %s: %.2fx (%.3f / %.3f GB/s)\n", tm_driver_name[drv],
	       base > 0 ? thp / base : 0, thp, base);
	return o;
}

static void tm_pairs(struct tm_run *t, enum tm_mode m, enum tm_driver drv)
{
	for (int i = 0; i < t->nr_nodes; i++)
		for (int j = i + 1; j < t->nr_nodes; j++)
			if (t->mode[m] && t->driver[drv] && !t->stop && !migrace_stop)
				tm_pair(t, m, drv, i, j);
}

static void tm_summary(struct tm_run *t)
{
	json_object *sum = json_object_new_array(), *ratio = json_object_new_object();
	uint64_t ns = 0, sys = 0;

	for (int m = 0; m < TM_MODES; m++)
		for (int drv = 0; drv < TM_DRIVERS; drv++) {
			json_object *o;

			if (!t->mode[m] || !t->driver[drv])
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "page_size", json_object_new_string(tm_mode_name[m]));
			json_object_object_add(o, "driver", json_object_new_string(tm_driver_name[drv]));
			json_object_object_add(o, "gbps", json_object_new_double(t->ns[m][drv] ?
				(double)t->bytes[m][drv] / t->ns[m][drv] : 0));
			json_object_object_add(o, "overhead_pct", json_object_new_double(
				tm_pct(t->ns[m][drv] - t->sys_ns[m][drv], t->ns[m][drv])));
			json_object_array_add(sum, o);
			ns += t->ns[m][drv];
			sys += t->sys_ns[m][drv];
			tm_print_matrix(t, m, drv);
		}
	for (int drv = 0; drv < TM_DRIVERS; drv++)
		if (t->mode[TM_THP] && t->mode[TM_BASE] && t->driver[drv])
			json_object_object_add(ratio, tm_driver_name[drv], tm_ratio(t, drv));
	result_metric(t->ctx->res, "summary", sum);
	result_metric(t->ctx->res, "thp_to_base_ratio", ratio);
	result_metric(t->ctx->res, "overhead_pct", json_object_new_double(tm_pct(ns - sys, ns)));
	result_metric(t->ctx->res, "verify_rate", json_object_new_double(t->checkable ?
		      (double)t->checked / t->checkable : 0));
	printf("time outside the migration calls: %.3f %% of the measured intervals; pages checked after each move: %.1f %%\n",
	       tm_pct(ns - sys, ns), tm_pct(t->checked, t->checkable));
}

static json_object *tm_config_json(const struct tm_run *t)
{
	json_object *o = json_object_new_object(), *modes = json_object_new_array();
	json_object *drivers = json_object_new_array(), *nodes = json_object_new_array();
	json_object *dist = json_object_new_array();
	char buf[64];

	for (int m = 0; m < TM_MODES; m++)
		if (t->mode[m])
			json_object_array_add(modes, json_object_new_string(tm_mode_name[m]));
	for (int d = 0; d < TM_DRIVERS; d++)
		if (t->driver[d])
			json_object_array_add(drivers, json_object_new_string(tm_driver_name[d]));
	for (int i = 0; i < t->nr_nodes; i++) {
		json_object *row = json_object_new_array();

		json_object_array_add(nodes, json_object_new_int(t->nodes[i]));
		for (int j = 0; j < t->nr_nodes; j++)
			json_object_array_add(row, json_object_new_int(topo_distance(t->nodes[i], t->nodes[j])));
		json_object_array_add(dist, row);
	}
	json_object_object_add(o, "size", json_object_new_int64(opt.size));
	json_object_object_add(o, "shared", json_object_new_boolean(opt.shared));
	json_object_object_add(o, "page_sizes", modes);
	json_object_object_add(o, "drivers", drivers);
	json_object_object_add(o, "batch", json_object_new_int64(opt.batch));
	json_object_object_add(o, "reps", json_object_new_int(opt.reps));
	json_object_object_add(o, "warmup", json_object_new_int(opt.warmup));
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "distance", dist);
	json_object_object_add(o, "cpu", json_object_new_string(tm_cpu_name[t->cpu]));
	json_object_object_add(o, "verify_max", json_object_new_int64(opt.verify_max));
	json_object_object_add(o, "memcpy_size", json_object_new_int64(opt.memcpy_size));
	json_object_object_add(o, "thp_size", json_object_new_int64(region_thp_size()));
	json_object_object_add(o, "thp_enabled",
			       json_object_new_string(region_thp_mode(buf, sizeof(buf))));
	return o;
}

static void tm_print_intro(const struct tm_run *t)
{
	char sz[32], mode[32];

	fmt_size(sz, sizeof(sz), opt.size);
	printf("thp-migrate: %s %s region, THP %zu KiB (%s); %d rep(s) after %d warm-up; batch %s; CPU: %s node\n",
	       sz, opt.shared ? "shared" : "private", region_thp_size() >> 10,
	       region_thp_mode(mode, sizeof(mode)), opt.reps, opt.warmup,
	       opt.batch ? "set" : "whole region", tm_cpu_name[t->cpu]);
	if (t->ctx->topo.emulated)
		printf("thp-migrate: timings are emulated (QEMU TCG), not hardware figures\n");
}

/* One run: its options, set by tm_validate(), and what it measured. */
static struct tm_run tm_state;

/* Base pages alone need no THP; shared THPs need shmem THP. */
static void tm_validate(struct run_ctx *ctx, struct needs *needs)
{
	struct tm_run *t = &tm_state;

	t->ctx = ctx;
	tm_parse(t);
	t->batch = opt.batch ? opt.batch : SIZE_MAX;
	if (!t->mode[TM_THP])
		needs->what &= ~NEED_THP;
	else if (opt.shared)
		needs->what |= NEED_SHMEM_THP;
}

static int tm_main(struct run_ctx *ctx)
{
	struct tm_run *t = &tm_state;

	result_metric(ctx->res, "config", tm_config_json(t));
	tsc_init(&tm_tsc);
	result_metric(ctx->res, "clock", tsc_to_json(&tm_tsc));
	tm_sweeper_start();
	tm_pause_numa_balancing(t);
	tm_print_intro(t);
	t->memcpy = json_object_new_array();
	t->results = json_object_new_array();
	result_metric(ctx->res, "memcpy", t->memcpy);
	result_metric(ctx->res, "results", t->results);
	if (!tm_memcpy_reference(t)) {
		tm_print_header();
		for (int m = 0; m < TM_MODES; m++)
			for (int drv = 0; drv < TM_DRIVERS; drv++)
				tm_pairs(t, m, drv);
	}
	if (migrace_stop)
		result_verdict(ctx->res, VERDICT_FAIL, "interrupted before every pair was measured");
	tm_summary(t);
	if (ctx->topo.emulated)
		printf("thp-migrate: timings are emulated (QEMU TCG), not hardware figures\n");
	tm_sweeper_stop();
	numa_run_on_node(-1);
	return 0;
}

const struct scenario scenario_thp_migrate = {
	.name = "thp-migrate",
	.desc = "THP migration throughput and latency for every node pair and driver, vs memcpy",
	.opts = tm_opts,
	.needs = {
		.what = NEED_THP | NEED_NODES,
		.nodes = 2,
		.thp_hint = "--page-size 4k measures base pages",
	},
	.validate = tm_validate,
	.run = tm_main,
};
