/* gup_race.c - scenario gup-race: pins, gup and direct I/O racing THP migration, every byte checked. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counters.h"
#include "hist.h"
#include "pin.h"
#include "race.h"
#include "region.h"
#include "scenario.h"
#include "settings.h"
#include "stamp.h"
#include "util.h"
#include "vmstat.h"
#include "walk.h"

#define GR_MAX_PINS	8
#define GR_MAX_RANGES	16
#define GR_OP_LAT	256
#define GR_INJECT_OP	2	/* the op of worker 0 the test hooks strike */
#define GR_ALIGN	4096	/* O_DIRECT: transfers start and end on this */
#define GR_PENDING	64	/* operations waiting for the trace to catch up */
#define GR_TRACE_BATCH	4096
#define GR_TRACE_STALE	1000000000ull	/* a migration entry open this long lost its end */

enum gr_driver { GR_MOVE = 1, GR_AUTONUMA = 2, GR_BOTH = 3 };
enum gr_phase { GR_SETUP, GR_BASELINE, GR_RACE, GR_STOP };
enum gr_inject { GR_INJECT_NONE, GR_INJECT_STALE, GR_INJECT_CORRUPT };
enum gr_scope { GR_SCOPE_REGION, GR_SCOPE_PROCESS };

/* The words of the enum options, in the order of the values they stand for. */
static const char *const gr_drivers[] = { "autonuma", "move", "both", NULL };
static const enum gr_driver gr_driver_of[] = { GR_AUTONUMA, GR_MOVE, GR_BOTH };
static const char *const gr_injects[] = { "none", "stale-after-pin", "corrupt", NULL };
static const char *const gr_scopes[] = { "region", "process", NULL };

static uint64_t opt_size, opt_block, opt_xfer;
static double opt_hang_s;
static int opt_scan_mb;
static int opt_threads, opt_sharers, opt_movers, opt_rounds, opt_hop_ms, opt_scan_ms, opt_gup_calls;
static int opt_walkers, opt_driver, opt_inject, opt_scan_scope, opt_walk;
static double opt_duration, opt_baseline;
static const char *opt_pin, *opt_file;

static const struct opt gr_opts[] = {
	{ "size", OPT_SIZE, &opt_size, "0", "THP region, a multiple of the THP size; 0: 4 THPs for each group of sharers (1 for --driver autonuma)" },
	{ "threads", OPT_INT, &opt_threads, "0", "pinner threads; 0: one per CPU",
	  0, 4096 },
	{ "sharers", OPT_INT, &opt_sharers, "0", "pinner threads sharing each THP, each in a slice of its own; 0: up to 4 (2 for --driver autonuma)", 0, 512 },
	{ "duration", OPT_DOUBLE, &opt_duration, "10", "seconds of racing", 0.1, 1e7 },
	{ "baseline", OPT_DOUBLE, &opt_baseline, "2", "seconds of pinning without migration first (latency baseline)",
	  0, 1e6 },
	{ "driver", OPT_ENUM, &opt_driver, "both", "what migrates the THPs: autonuma, move (move_pages) or both",
	  .choices = gr_drivers },
	{ "pin", OPT_STR, &opt_pin, "all", "pinning backends, comma-separated (see --pin list); all: every available one" },
	{ "file", OPT_STR, &opt_file, NULL, "file, directory (for a temporary file) or block device for I/O backends; overwritten [$MIGRACE_SCRATCH_DEV, else a temporary file in $TMPDIR or /var/tmp]" },
	{ "block", OPT_SIZE, &opt_block, "4096", "stamped block size: 64 to 4096, a power of two" },
	{ "xfer", OPT_SIZE, &opt_xfer, "64K", "bytes moved through a pin per leg, a multiple of 4096, at most a THP" },
	{ "rounds", OPT_INT, &opt_rounds, "2", "write/read rounds under one long-term pin", 1, 1000 },
	{ "movers", OPT_INT, &opt_movers, "1", "move_pages threads (driver move or both)", 1, 1024 },
	{ "walkers", OPT_INT, &opt_walkers, "0", "threads that walk the region's page tables through change_protection() while it migrates, as NUMA balancing's scanner does but thousands of times a second (an amplifier)", 0, 64 },
	{ "walk", OPT_ENUM, &opt_walk, "mprotect", "what the walkers call: mprotect (PROT_EXEC on, off; the mmap lock held for writing) or uffd-wp (userfaultfd write-protect on, off; held for reading, as the scanner holds it)",
	  .choices = walk_names },
	{ "hop-ms", OPT_INT, &opt_hop_ms, "1000", "autonuma: the longest a group of pinners and the thread touching its THPs wait on a node for NUMA balancing to bring the THPs over", 1, 3600000 },
	{ "scan-ms", OPT_INT, &opt_scan_ms, "5", "autonuma: NUMA balancing scan delay and period (minimum = maximum) for the run", 1, 100000 },
	{ "scan-mb", OPT_INT, &opt_scan_mb, "4", "autonuma: NUMA balancing scan size for the run; 0: leave it", 0, 1 << 20 },
	{ "scan-scope", OPT_ENUM, &opt_scan_scope, "region", "autonuma: what NUMA balancing scans: region (a policy on it, MPOL_LOCAL for the threads) or process (every VMA, default policies)",
	  .choices = gr_scopes },
	{ "gup-calls", OPT_INT, &opt_gup_calls, "16", "gupfast-pressure: gup calls per operation", 2, 100000 },
	{ "hang-timeout", OPT_DOUBLE, &opt_hang_s, "120", "at the end, a thread stuck this long in one step is reported hung (fail)", 1, 1e6 },
	{ "inject", OPT_ENUM, &opt_inject, NULL, "test hook: stale-after-pin (the pin sees a stale copy) or corrupt (bytes flipped behind the pin's back), once, in worker 0's third operation",
	  .choices = gr_injects },
	{ NULL }
};

struct gr_stats {
	uint64_t ops, ops_baseline, windows, win_overlap, win_node, win_moved;
	uint64_t win_trace, win_trace_only;
	uint64_t violations, bad_blocks, bytes_checked;
	struct hist lat_base, lat_race, lat_window;
};

/* A race-phase operation whose trace windows are decided once the trace is read up to its end. */
struct gr_pending {
	uint64_t t0[2], t1[2];
	size_t thp;
	int b, nint;
	bool counted;		/* a window already by the other two measures */
};

struct gr_worker {
	pthread_t tid;
	struct gr_pending pend[GR_PENDING];
	unsigned int pend_head, pend_tail;
	int idx;
	struct pin_inst inst[GR_MAX_PINS];
	struct gr_stats st[GR_MAX_PINS];
	uint32_t gen;		/* the last generation written: gens[] keeps 32 bits */
	bool ready;		/* backends open, THPs stamped */
	pid_t tid_os;
	const char *step;	/* what the worker is doing, for a hang report */
	uint64_t step_since;
	size_t slice_off, slice_len;	/* its bytes of each of its THPs */
	int group, nr_own, cur_b, bound;
	uint64_t hops;
	uint64_t rng, ops, check_ns, check_bytes;
	long cur_thp;		/* THP under a pin operation, -1: none (movers aim at it) */
	char *shadow;		/* test hook: the stale copy a broken pin would see */
	uint64_t lat[GR_OP_LAT];
	int nr_lat;
};

struct gr_mover {
	pthread_t tid;
	pid_t tid_os;
	uint64_t since;		/* start of the current attempt */
	int idx;
	uint64_t turn, next;
	uint64_t attempts, moved, refused, busy, armed, elsewhere, other_status, errors;
	int last_errno, last_status;
	struct hist lat_moved, lat_refused;
};

/* A thread that keeps walking the region's page tables (walk.h). */
struct gr_walker {
	pthread_t tid;
	pid_t tid_os;
	uint64_t since;		/* start of the current walk */
	uint64_t walks, errors;
	int last_errno;
};

/* The autonuma driver: a thread that keeps touching its share of the THPs from one node, then the next. */
struct gr_hopper {
	pthread_t tid;
	pid_t tid_os;
	int idx, node;
	int step;		/* the group is on its step-th node after its first; its pinners read it */
	uint64_t t_step;	/* when it got there */
	uint64_t hops, touches, arrived;	/* arrived: moves on because every THP was there */
};

struct gr_violation {
	uintptr_t addr;
	size_t thp;
	uint64_t region_off;
	int node_before, node_after, worker, bad_blocks, nr_ranges;
	const char *backend, *leg, *seen, *phase;
	double t_s;
	enum stamp_status status;
	uint64_t expected_gen, found_gen, found_offset, op;
	bool found_valid, overlap;
	struct stamp_range ranges[GR_MAX_RANGES];
};

/* One pin operation in flight, for the window and the report. */
struct gr_op {
	uint64_t t0[2], t1[2];	/* its intervals holding or taking pins */
	int nint;
	size_t thp;
	uint64_t region_off, op;
	int node_before, b;
	unsigned int flags;	/* RACE_* so far */
	bool node_changed;
	struct race_probe probe;
};

static struct {
	struct run_ctx *ctx;
	struct region r;
	enum gr_driver driver;
	enum gr_inject inject;
	const struct pin_ops *pins[GR_MAX_PINS];
	int nr_pins, nr_threads, nr_thp;
	int sharers, groups;	/* pinners per THP; sets of THPs shared that way */
	size_t slice;		/* bytes of a THP each sharer owns (the last one: the rest) */
	size_t bs, xfer;
	struct pin_conf conf;
	uint32_t *gens;		/* generation of every block, written only by its owner */
	struct race_thp *rt;
	int *last_node;		/* where the movers last put each THP */
	struct race_log *mig;	/* kernel migrations seen in the trace, per THP */
	uint64_t *entry_set;	/* when each THP's open migration entry was set */
	struct counters_sampler *tp_start, *tp_set, *tp_remove;
	struct gr_call { uint32_t tid; uint64_t t; } *calls;	/* each thread's last migrate_pages() start */
	size_t nr_calls, max_calls;
	pthread_t tracer;
	bool tracing, tracer_stop;
	uint64_t trace_upto;	/* the trace is read up to here */
	uint64_t trace_entries, trace_unpaired, trace_stale, trace_lost, trace_from_call;
	struct hist trace_entry_ns, trace_call_ns;
	char trace_why[256], trace_start_why[256];
	struct gr_worker *w;
	struct gr_mover *m;
	struct gr_walker *k;
	struct walk walk;
	struct gr_hopper *h;
	int nr_hoppers;
	int phase;
	uint64_t t_start, t_race, t_end;
	pthread_barrier_t ready;
	pthread_mutex_t vlock;
	uint64_t violations;
	bool have_first;
	struct gr_violation first;
	char error[256];
	int cpu_nodes[TOPO_MAX_NODES], nr_cpu_nodes;
} gr;

static const char *const gr_phase_name[] = { "setup", "baseline", "race", "stopping" };

static int gr_phase(void)
{
	return __atomic_load_n(&gr.phase, __ATOMIC_ACQUIRE);
}

static const char *gr_driver_name(void)
{
	return gr_drivers[opt_driver];
}

static uint64_t gr_rand(struct gr_worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/*
 * The node of the page at addr (move_pages without nodes takes no
 * reference), or -errno: -EFAULT for a THP armed for a NUMA hinting fault
 * (Linux 6.1's follow_page with FOLL_DUMP does not see those).
 */
static int gr_node_of(const void *addr)
{
	void *p = (void *)addr;
	int st = -ENOENT;

	if (move_pages(0, 1, &p, NULL, &st, 0))
		return -errno;
	return st;
}

/* The same for a report, armed THPs included: get_mempolicy takes the hinting fault. */
static int gr_node_resolve(const void *addr)
{
	int node = gr_node_of(addr);

	if (node == -EFAULT &&
	    get_mempolicy(&node, NULL, 0, (void *)addr, MPOL_F_NODE | MPOL_F_ADDR))
		node = -errno;
	return node;
}

static void gr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void gr_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&gr.vlock);
	if (!gr.error[0]) {
		va_start(ap, fmt);
		vsnprintf(gr.error, sizeof(gr.error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&gr.vlock);
}

static void gr_add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* ---- integrity ---- */

static void gr_print_violation(const struct gr_violation *v)
{
	printf("VIOLATION at %.3f s (%s): %s %s, seen through the %s: block at %#lx (THP %zu, region offset %llu) is %s",
	       v->t_s, v->phase, v->backend, v->leg, v->seen, (unsigned long)v->addr, v->thp,
	       (unsigned long long)v->region_off, stamp_status_name(v->status));
	if (v->found_valid)
		printf(" (generation %llu, expected %llu)", (unsigned long long)v->found_gen,
		       (unsigned long long)v->expected_gen);
	printf("; THP on node %d before, %d after; driver %s; %d bad block(s); differing bytes:",
	       v->node_before, v->node_after, gr_driver_name(), v->bad_blocks);
	for (int i = 0; i < MIN(v->nr_ranges, GR_MAX_RANGES); i++)
		printf(" %zu+%zu", v->ranges[i].start, v->ranges[i].len);
	if (v->nr_ranges > GR_MAX_RANGES)
		printf(" ... (%d ranges)", v->nr_ranges);
	printf("\n");
}

/* The first violation, exactly: where, which THP on which node, what differs. Under vlock. */
static void gr_first_violation(struct gr_worker *w, const struct gr_op *o, const char *blk,
			       long long bad, uint64_t gen, struct gr_violation *v)
{
	const struct stamp_hdr *h = (const void *)blk;

	v->region_off = o->region_off + bad;
	v->addr = (uintptr_t)gr.r.addr + v->region_off;
	v->thp = v->region_off / gr.r.thp_size;
	v->node_before = o->node_before;
	v->node_after = gr_node_resolve((void *)v->addr);
	v->worker = w->idx;
	v->backend = o->b >= 0 ? gr.pins[o->b]->name : "none";
	v->phase = gr_phase_name[gr_phase()];
	v->t_s = (now_ns() - gr.t_start) / 1e9;
	v->expected_gen = gen;
	v->found_valid = h->magic == STAMP_MAGIC;
	v->found_gen = h->gen;
	v->found_offset = h->offset;
	v->op = o->op;
	v->overlap = o->flags & RACE_OVERLAP;
	v->nr_ranges = stamp_diff(blk, gr.bs, v->region_off, gen, v->ranges, GR_MAX_RANGES);
	gr.first = *v;
	gr.have_first = true;
	gr_print_violation(v);
}

/*
 * buf (len bytes) should hold generation gen of the blocks at o's region
 * offset; a transfer with a block that does not is a violation.
 */
static bool gr_check(struct gr_worker *w, struct gr_op *o, const char *buf, size_t len,
		     uint64_t gen, const char *leg, const char *seen)
{
	uint64_t t0 = now_ns();
	struct gr_violation v = { .leg = leg, .seen = seen };
	long long bad = stamp_check_range(buf, len, gr.bs, o->region_off, gen, &v.status);

	w->check_ns += now_ns() - t0;
	w->check_bytes += len;
	if (o->b >= 0)
		w->st[o->b].bytes_checked += len;
	if (bad < 0)
		return true;
	for (size_t off = bad; off + gr.bs <= len; off += gr.bs)
		v.bad_blocks += stamp_check(buf + off, gr.bs, o->region_off + off, gen) != STAMP_OK;
	__atomic_add_fetch(&gr.violations, 1, __ATOMIC_RELAXED);
	if (o->b >= 0) {
		w->st[o->b].violations++;
		w->st[o->b].bad_blocks += v.bad_blocks;
	}
	pthread_mutex_lock(&gr.vlock);
	if (!gr.have_first)
		gr_first_violation(w, o, buf + bad, bad, gen, &v);
	pthread_mutex_unlock(&gr.vlock);
	return false;
}

static void gr_stamp(char *addr, size_t len, uint64_t roff, uint64_t gen)
{
	stamp_write_range(addr, len, gr.bs, roff, gen);
	for (size_t i = 0; i < len / gr.bs; i++)
		gr.gens[roff / gr.bs + i] = gen;
}

/* ---- one pin operation ---- */

/* Published for the watchdog: a worker stuck in a call is named with its call. */
static void gr_step(struct gr_worker *w, const char *step)
{
	__atomic_store_n(&w->step_since, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&w->step, step, __ATOMIC_RELEASE);
}

static bool gr_inject_now(struct gr_worker *w, enum gr_inject kind)
{
	return gr.inject == kind && w->idx == 0 && w->ops == GR_INJECT_OP;
}

/* Start and end of an interval in which the backend holds or takes pins. */
static void gr_interval_begin(struct gr_op *o)
{
	/* An armed THP's node costs a hinting fault: taken here, outside the interval. */
	o->node_before = gr_node_resolve(gr.r.addr + o->region_off);
	o->t0[MIN(o->nint, 1)] = now_ns();
	race_probe_begin(&gr.rt[o->thp], &o->probe);
}

static void gr_interval_end(struct gr_op *o)
{
	int after;

	o->flags |= race_probe_end(&gr.rt[o->thp], &o->probe);
	o->t1[MIN(o->nint, 1)] = now_ns();
	o->nint = MIN(o->nint + 1, 2);
	after = gr_node_resolve(gr.r.addr + o->region_off);
	if (o->node_before >= 0 && after >= 0 && after != o->node_before)
		o->node_changed = true;
}

static void gr_keep_lat(struct gr_worker *w, const struct pin_inst *p)
{
	for (int i = 0; i < p->nr_lat && w->nr_lat < GR_OP_LAT; i++)
		w->lat[w->nr_lat++] = p->lat[i];
}

static int gr_fail_call(struct gr_worker *w, struct pin_inst *p, int ret)
{
	gr_error("%s on worker %d: %s", p->ops->name, w->idx, p->err[0] ? p->err : strerror(-ret));
	return ret;
}

/* The process writes a new generation; it must reach the peer through the pin. */
static int gr_leg_out(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io, size_t len)
{
	char *addr = gr.r.addr + o->region_off;
	uint64_t gen = ++w->gen;
	int ret;

	gr_stamp(addr, len, o->region_off, gen);
	p->nr_lat = 0;
	gr_step(w, "out");
	ret = p->ops->out(p, io, len);
	gr_keep_lat(w, p);
	if (ret)
		return gr_fail_call(w, p, ret);
	gr_check(w, o, p->bounce, len, gen, "to-peer", "peer's copy");
	return 0;
}

/* The peer holds a new generation; what arrives through the pin must be what the mapping shows. */
static int gr_leg_in(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io, size_t len)
{
	char *addr = gr.r.addr + o->region_off;
	uint64_t gen = ++w->gen;
	int ret;

	stamp_write_range(p->bounce, len, gr.bs, o->region_off, gen);
	p->nr_lat = 0;
	gr_step(w, "in");
	ret = p->ops->in(p, io, len);
	gr_keep_lat(w, p);
	if (ret)
		return gr_fail_call(w, p, ret);
	if (gr_inject_now(w, GR_INJECT_CORRUPT)) {
		/* Bytes [bs/4, bs/4 + min(64, bs/4)) of the range's second block. */
		char *victim = addr + (len > gr.bs ? gr.bs : 0) + gr.bs / 4;

		for (size_t i = 0; i < MIN(64, gr.bs / 4); i++)
			victim[i] ^= 0xff;
	}
	for (size_t i = 0; i < len / gr.bs; i++)
		gr.gens[o->region_off / gr.bs + i] = gen;
	if (!gr_check(w, o, addr, len, gen, "from-peer", "mapping"))
		gr_stamp(addr, len, o->region_off, ++w->gen);	/* go on from a known state */
	return 0;
}

typedef int (*gr_leg_fn)(struct gr_worker *w, struct gr_op *o, struct pin_inst *p,
			 char *io, size_t len);

/* Out, then in; each leg its own pinning interval when the backend holds no pin across them. */
static int gr_legs(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io,
		   size_t len, bool bracket)
{
	static const gr_leg_fn legs[] = { gr_leg_out, gr_leg_in };
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(legs) && !ret; i++) {
		if (bracket)
			gr_interval_begin(o);
		ret = legs[i](w, o, p, io, len);
		if (bracket)
			gr_interval_end(o);
	}
	return ret;
}

static int gr_pinned(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io, size_t len)
{
	int rounds = p->ops->long_term ? opt_rounds : 1, ret, ret2;

	gr_interval_begin(o);
	p->nr_lat = 0;
	gr_step(w, "pin");
	ret = p->ops->pin(p, io, len);
	gr_keep_lat(w, p);
	if (ret) {
		gr_interval_end(o);
		return gr_fail_call(w, p, ret);
	}
	for (int i = 0; i < rounds && !ret; i++)
		ret = gr_legs(w, o, p, io, len, false);
	gr_step(w, "unpin");
	ret2 = p->ops->unpin(p);
	if (ret2 && !ret)
		ret = gr_fail_call(w, p, ret2);
	gr_interval_end(o);
	return ret;
}

/* ---- trace windows: operations against the kernel's migration entries ---- */

static void gr_trace_wait(uint64_t t)
{
	while (__atomic_load_n(&gr.trace_upto, __ATOMIC_ACQUIRE) < t)
		usleep(1000);
}

static void gr_resolve_one(struct gr_worker *w, const struct gr_pending *p)
{
	struct gr_stats *s = &w->st[p->b];
	bool hit = false;

	for (int i = 0; i < p->nint; i++)
		hit |= race_log_overlaps(&gr.mig[p->thp], p->t0[i], p->t1[i]);
	if (!hit)
		return;
	s->win_trace++;
	if (!p->counted) {
		s->windows++;
		s->win_trace_only++;
	}
}

/* Decides the operations the trace has caught up with; all of them when wait. */
static void gr_resolve(struct gr_worker *w, bool wait)
{
	while (w->pend_tail != w->pend_head) {
		const struct gr_pending *p = &w->pend[w->pend_tail % GR_PENDING];
		uint64_t end = p->t1[p->nint - 1];

		if (wait)
			gr_trace_wait(end);
		else if (__atomic_load_n(&gr.trace_upto, __ATOMIC_ACQUIRE) < end)
			return;
		gr_resolve_one(w, p);
		w->pend_tail++;
	}
}

static void gr_defer(struct gr_worker *w, const struct gr_op *o, bool counted)
{
	struct gr_pending *p;

	if (!gr.tracing || !o->nint)
		return;
	if (w->pend_head - w->pend_tail == GR_PENDING)
		gr_trace_wait(w->pend[w->pend_tail % GR_PENDING].t1[0]);
	gr_resolve(w, false);
	if (w->pend_head - w->pend_tail == GR_PENDING)
		gr_resolve(w, true);
	p = &w->pend[w->pend_head++ % GR_PENDING];
	*p = (struct gr_pending){ .thp = o->thp, .b = o->b, .nint = o->nint, .counted = counted };
	memcpy(p->t0, o->t0, sizeof(p->t0));
	memcpy(p->t1, o->t1, sizeof(p->t1));
}

static void gr_account(struct gr_worker *w, struct gr_op *o, int phase0)
{
	struct gr_stats *s = &w->st[o->b];
	bool window = (o->flags & RACE_OVERLAP) || o->node_changed;
	int phase1 = gr_phase();
	struct hist *h = NULL;

	s->ops++;
	if (phase0 == GR_BASELINE && phase1 == GR_BASELINE) {
		s->ops_baseline++;
		h = &s->lat_base;
	} else if (phase0 == GR_RACE) {
		s->windows += window;
		s->win_overlap += !!(o->flags & RACE_OVERLAP);
		s->win_node += o->node_changed;
		s->win_moved += !!(o->flags & RACE_MOVED);
		gr_defer(w, o, window);
		h = &s->lat_race;
	}
	/* An instance's first operation warms it up: not measured. */
	if (h && s->ops > 1) {
		for (int i = 0; i < w->nr_lat; i++) {
			hist_add(h, w->lat[i]);
			if (window)
				hist_add(&s->lat_window, w->lat[i]);
		}
	}
}

static int gr_op(struct gr_worker *w, int b, size_t thp)
{
	struct pin_inst *p = &w->inst[b];
	size_t len = MIN(gr.xfer, p->len_max), slots, off;
	struct gr_op o = { .thp = thp, .op = w->ops, .b = b };
	int phase0 = gr_phase(), ret;
	char *addr, *io;

	slots = (w->slice_len - len) / GR_ALIGN + 1;
	off = w->slice_off + gr_rand(w) % slots * GR_ALIGN;
	o.region_off = thp * gr.r.thp_size + off;
	addr = io = gr.r.addr + o.region_off;
	if (gr_inject_now(w, GR_INJECT_STALE)) {
		/* What a pin left on the old page after a migration would see. */
		memcpy(w->shadow, addr, len);
		io = w->shadow;
	}
	w->nr_lat = 0;
	w->cur_b = b;
	__atomic_store_n(&w->cur_thp, (long)thp, __ATOMIC_RELEASE);
	if (p->ops->holds_pin)
		ret = gr_pinned(w, &o, p, io, len);
	else
		ret = gr_legs(w, &o, p, io, len, true);
	__atomic_store_n(&w->cur_thp, -1L, __ATOMIC_RELEASE);
	gr_account(w, &o, phase0);
	w->ops++;
	return ret;
}

/* ---- the autonuma driver ---- */

/*
 * The pinners sharing a set of THPs and a hopper touching them all live on
 * one node, and move to the next together: the THPs' NUMA hinting faults
 * then come from one node after another (passing the two-fault filter),
 * and NUMA balancing migrates them from one thread's fault while the
 * others pin them.
 */
static int gr_group_node(int group)
{
	int step = __atomic_load_n(&gr.h[group].step, __ATOMIC_RELAXED);

	return gr.cpu_nodes[(group + step) % gr.nr_cpu_nodes];
}

/* Moves the calling thread to its group's node when that changed; 1 if it moved. */
static int gr_follow(int group, int *bound)
{
	int node;

	if (!gr.nr_hoppers || gr_phase() != GR_RACE)
		return 0;
	node = gr_group_node(group);
	if (node == *bound)
		return 0;
	*bound = node;
	return !numa_run_on_node(node);
}

/* True when every THP of the hopper's group is mapped on the group's node. */
static bool gr_arrived(const struct gr_hopper *h)
{
	for (int k = h->idx; k < gr.nr_thp; k += gr.groups)
		if (gr_node_of(gr.r.addr + (size_t)k * gr.r.thp_size) != h->node)
			return false;
	return true;
}

static void gr_hop_check(struct gr_hopper *h)
{
	bool waited = now_ns() - h->t_step >= opt_hop_ms * 1000000ull;

	if (waited || gr_arrived(h)) {
		h->arrived += !waited;
		__atomic_store_n(&h->step, h->step + 1, __ATOMIC_RELAXED);
	}
}

/*
 * A hopper makes sure its THPs fault soon after NUMA balancing's scanner
 * armed them, and keeps the scanner going: it scans in the time of the
 * tasks that use the CPU. It moves its group on as soon as NUMA balancing
 * has brought every THP over, or after --hop-ms: a pass of the scanner
 * takes from milliseconds to a second depending on the machine, and each
 * hop is worth one migration of each THP.
 */
static void *gr_hopper_main(void *arg)
{
	struct gr_hopper *h = arg;
	int node;

	h->tid_os = gettid();
	h->node = -1;
	while (gr_phase() < GR_STOP) {
		if (gr_phase() != GR_RACE) {
			usleep(5000);
			continue;
		}
		node = h->node;
		h->hops += gr_follow(h->idx, &h->node);
		if (h->node != node)
			h->t_step = now_ns();
		for (int k = h->idx; k < gr.nr_thp; k += gr.groups)
			(void)*(volatile uint64_t *)(gr.r.addr + (size_t)k * gr.r.thp_size + 64);
		h->touches++;
		gr_hop_check(h);
		/* No sleep: NUMA balancing scans from the ticks of busy tasks. */
	}
	return NULL;
}

/* ---- pinner threads ---- */

static size_t gr_own_thp(const struct gr_worker *w, int j)
{
	return w->group + (size_t)j * gr.groups;
}

/* Every block of the worker's slices, as the last write left it. */
static void gr_sweep(struct gr_worker *w)
{
	for (int j = 0; j < w->nr_own; j++) {
		size_t k = gr_own_thp(w, j), roff = k * gr.r.thp_size + w->slice_off;
		struct gr_op o = { .thp = k, .b = -1, .op = w->ops };

		o.node_before = gr_node_resolve(gr.r.addr + roff);
		for (size_t off = 0; off < w->slice_len; off += gr.bs) {
			uint32_t gen = gr.gens[(roff + off) / gr.bs];

			o.region_off = roff + off;
			if (!gr_check(w, &o, gr.r.addr + roff + off, gr.bs, gen, "final sweep", "mapping"))
				break;
		}
	}
}

static int gr_worker_setup(struct gr_worker *w)
{
	w->tid_os = gettid();
	w->group = w->idx / gr.sharers;
	w->slice_off = (w->idx % gr.sharers) * gr.slice;
	w->slice_len = w->idx % gr.sharers == gr.sharers - 1 ?
		       gr.r.thp_size - w->slice_off : gr.slice;
	w->nr_own = (gr.nr_thp - w->group + gr.groups - 1) / gr.groups;
	for (int b = 0; b < gr.nr_pins; b++) {
		off_t slot = ((off_t)w->idx * gr.nr_pins + b) * gr.xfer;
		int ret = pin_open(&w->inst[b], gr.pins[b], &gr.conf, slot);

		if (ret) {
			gr_error("%s setup on worker %d: %s", gr.pins[b]->name, w->idx, w->inst[b].err);
			return ret;
		}
	}
	for (int j = 0; j < w->nr_own; j++) {
		size_t roff = gr_own_thp(w, j) * gr.r.thp_size + w->slice_off;

		gr_stamp(gr.r.addr + roff, w->slice_len, roff, 1);
	}
	w->gen = 1;
	w->ready = true;
	return 0;
}

static void *gr_worker_main(void *arg)
{
	struct gr_worker *w = arg;
	int ret = gr_worker_setup(w);

	pthread_barrier_wait(&gr.ready);
	w->bound = -1;
	while (!ret && gr_phase() < GR_STOP) {
		int b = w->ops % gr.nr_pins;

		w->hops += gr_follow(w->group, &w->bound);
		ret = gr_op(w, b, gr_own_thp(w, w->ops / gr.nr_pins % w->nr_own));
	}
	gr_step(w, "waiting for the trace");
	gr_resolve(w, true);
	gr_step(w, "final sweep");
	if (w->ready)
		gr_sweep(w);
	gr_step(w, "teardown");
	for (int b = 0; b < gr.nr_pins; b++)
		pin_close(&w->inst[b]);
	gr_step(w, NULL);
	return NULL;
}

/* ---- the move_pages driver ---- */

/*
 * Every other attempt aims at a THP a pinner is working on (pressure where
 * the pins are), the others take this mover's share of the THPs in turn.
 */
static size_t gr_mover_target(struct gr_mover *m)
{
	size_t share = (gr.nr_thp - m->idx + opt_movers - 1) / opt_movers;

	if (m->turn++ & 1) {
		for (int i = 0; i < gr.nr_threads; i++) {
			struct gr_worker *w = &gr.w[(m->turn / 2 + i) % gr.nr_threads];
			long k = __atomic_load_n(&w->cur_thp, __ATOMIC_ACQUIRE);

			if (k >= 0 && k % opt_movers == m->idx)
				return k;
		}
	}
	return m->idx + m->next++ % share * opt_movers;
}

static int gr_next_node(int node)
{
	const struct topo *t = &gr.ctx->topo;
	int i = topo_index(t, node);

	return t->nodes[i < 0 ? 0 : (i + 1) % t->nr_nodes];
}

static void gr_move_one(struct gr_mover *m, size_t k)
{
	void *addr = gr.r.addr + k * gr.r.thp_size;
	int cur = gr_node_of(addr), target, status = INT_MIN;
	uint64_t t0;
	long ret;
	bool moved;

	if (cur < 0)	/* armed for NUMA hinting: where the last move left it */
		cur = __atomic_load_n(&gr.last_node[k], __ATOMIC_RELAXED);
	target = gr_next_node(cur);
	race_attempt_begin(&gr.rt[k]);
	t0 = now_ns();
	__atomic_store_n(&m->since, t0, __ATOMIC_RELAXED);
	ret = move_pages(0, 1, &addr, &target, &status, MPOL_MF_MOVE);
	if (ret < 0)
		ret = -errno;
	t0 = now_ns() - t0;
	moved = !ret && status == target && cur != target;
	race_attempt_end(&gr.rt[k], moved);
	if (!ret && status >= 0)
		__atomic_store_n(&gr.last_node[k], status, __ATOMIC_RELAXED);

	m->attempts++;
	if (moved) {
		m->moved++;
		hist_add(&m->lat_moved, t0);
	} else if (ret > 0) {
		/* migrate_pages() gave up: pinned (-EBUSY) or referenced (-EAGAIN after retries). */
		m->refused++;
		hist_add(&m->lat_refused, t0);
	} else if (ret < 0) {
		m->errors++;
		m->last_errno = -ret;
	} else if (status == -EBUSY) {
		m->busy++;	/* not isolated: off the LRU, being migrated already */
	} else if (status == -EFAULT) {
		m->armed++;	/* armed for a NUMA hinting fault: move_pages does not see it */
	} else if (status >= 0) {
		m->elsewhere++;
	} else {
		m->other_status++;
		m->last_status = status;
	}
}

static void *gr_mover_main(void *arg)
{
	struct gr_mover *m = arg;

	m->tid_os = gettid();
	while (gr_phase() < GR_STOP) {
		if (gr_phase() != GR_RACE) {
			usleep(5000);
			continue;
		}
		gr_move_one(m, gr_mover_target(m));
	}
	return NULL;
}

/* ---- the page-table walker (an amplifier) ---- */

/*
 * The walk NUMA balancing's scanner does through change_prot_numa(), down to
 * each THP's PMD: the scanner gets there a few times a second, a walker as
 * fast as its call returns. Only PROT_EXEC or write-protection changes, and
 * both are undone by the next walk, so the pinners and the sweeps read and
 * write the region throughout.
 */
static void *gr_walker_main(void *arg)
{
	struct gr_walker *k = arg;
	int ret;

	k->tid_os = gettid();
	while (gr_phase() < GR_STOP) {
		if (gr_phase() != GR_RACE) {
			usleep(5000);
			continue;
		}
		__atomic_store_n(&k->since, now_ns(), __ATOMIC_RELAXED);
		ret = walk_once(&gr.walk, k->walks);
		if (ret) {
			k->errors++;
			k->last_errno = -ret;
			usleep(1000);
			continue;
		}
		k->walks++;
	}
	walk_once(&gr.walk, 1);
	return NULL;
}

/*
 * Small stacks: NUMA balancing's scanner charges a VMA's whole length to its
 * scan budget when it arms any page in it, and 8 MiB stacks would use the
 * budget up before the scan reaches the region.
 */
static const pthread_attr_t *gr_thread_attr(void)
{
	static pthread_attr_t attr;
	static bool done;

	if (!done) {
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 << 10);
		done = true;
	}
	return &attr;
}

/* ---- the trace reader ---- */

enum gr_trace_kind { GR_TR_START, GR_TR_SET, GR_TR_REMOVE, GR_TR_KINDS };

/* The slot of a thread's last migrate_pages() start; NULL when the table is full. */
static struct gr_call *gr_call_of(uint32_t tid)
{
	for (size_t i = 0; i < gr.nr_calls; i++)
		if (gr.calls[i].tid == tid)
			return &gr.calls[i];
	if (gr.nr_calls == gr.max_calls)
		return NULL;
	gr.calls[gr.nr_calls] = (struct gr_call){ .tid = tid };
	return &gr.calls[gr.nr_calls++];
}

/*
 * A THP's kernel migration runs from the start of the migrate_pages() call
 * that sets its entry (same thread; the THP is isolated by then, its PMD
 * still mapped or armed for a NUMA hinting fault) to the entry's removal.
 * Without the start, from the entry's setting.
 */
static void gr_trace_event(const struct counters_rec *r, enum gr_trace_kind kind)
{
	uintptr_t a = r->field[0], base = (uintptr_t)gr.r.addr;
	struct gr_call *c;
	uint64_t start;
	size_t k;

	if (kind == GR_TR_START) {
		c = gr_call_of(r->tid);
		if (c)
			c->t = r->time_ns;
		return;
	}
	if (a < base || a >= base + gr.r.size || (a - base) % gr.r.thp_size)
		return;
	k = (a - base) / gr.r.thp_size;
	if (kind == GR_TR_SET) {
		c = gr.tp_start ? gr_call_of(r->tid) : NULL;
		start = r->time_ns;
		if (c && c->t) {
			start = c->t;
			c->t = 0;	/* one entry per call: NUMA balancing and the movers move one THP */
			gr.trace_from_call++;
		}
		gr.entry_set[k] = r->time_ns;
		race_log_open(&gr.mig[k], start);
		return;
	}
	if (race_log_close(&gr.mig[k], r->time_ns, &start)) {
		gr.trace_unpaired++;
		return;
	}
	gr.trace_entries++;
	hist_add(&gr.trace_entry_ns, r->time_ns - gr.entry_set[k]);
	hist_add(&gr.trace_call_ns, r->time_ns - start);
}

/* Records read but not applied yet: later than the time the reading began. */
struct gr_trace_buf {
	struct counters_rec *rec;
	size_t n, cap;
};

/* Everything the sampler holds; false when out of memory. */
static bool gr_trace_fill(struct counters_sampler *s, struct gr_trace_buf *b)
{
	int got;

	do {
		if (b->cap - b->n < GR_TRACE_BATCH) {
			void *p = realloc(b->rec, (b->cap + GR_TRACE_BATCH) * sizeof(*b->rec));

			if (!p)
				return false;
			b->rec = p;
			b->cap += GR_TRACE_BATCH;
		}
		got = counters_sample_read(s, b->rec + b->n, GR_TRACE_BATCH);
		b->n += got;
	} while (got == GR_TRACE_BATCH);
	return true;
}

static int gr_rec_cmp(const void *a, const void *b)
{
	const struct counters_rec *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

static void gr_trace_keep(struct gr_trace_buf *b, size_t used)
{
	memmove(b->rec, b->rec + used, (b->n - used) * sizeof(*b->rec));
	b->n -= used;
}

/*
 * Every record up to upto is in the buffers once reading began after upto:
 * those are applied in time order (an entry's end never before its start),
 * later ones wait for the next round.
 */
static void gr_trace_apply(struct gr_trace_buf *b, uint64_t upto)
{
	size_t i[GR_TR_KINDS] = { 0 };

	for (int k = 0; k < GR_TR_KINDS; k++)
		qsort(b[k].rec, b[k].n, sizeof(*b[k].rec), gr_rec_cmp);
	for (;;) {
		int next = -1;

		/* Ties go to the earlier kind: a call starts before its entry is set, set before removed. */
		for (int k = 0; k < GR_TR_KINDS; k++)
			if (i[k] < b[k].n && b[k].rec[i[k]].time_ns <= upto &&
			    (next < 0 || b[k].rec[i[k]].time_ns < b[next].rec[i[next]].time_ns))
				next = k;
		if (next < 0)
			break;
		gr_trace_event(&b[next].rec[i[next]++], next);
	}
	for (int k = 0; k < GR_TR_KINDS; k++)
		gr_trace_keep(&b[k], i[k]);
}

/* Once records were lost, an entry whose end may be among them must not pass as a migration for ever. */
static void gr_trace_expire(uint64_t now)
{
	for (int k = 0; k < gr.nr_thp; k++) {
		uint64_t open = __atomic_load_n(&gr.mig[k].open, __ATOMIC_RELAXED), start;

		if (open && now - open > GR_TRACE_STALE &&
		    counters_sample_lost(gr.tp_set) + counters_sample_lost(gr.tp_remove)) {
			race_log_close(&gr.mig[k], open, &start);
			gr.trace_stale++;
		}
	}
}

static void *gr_tracer_main(void *arg)
{
	struct counters_sampler *tp[GR_TR_KINDS] = { gr.tp_start, gr.tp_set, gr.tp_remove };
	struct gr_trace_buf b[GR_TR_KINDS] = { 0 };

	for (;;) {
		bool last = __atomic_load_n(&gr.tracer_stop, __ATOMIC_ACQUIRE);
		uint64_t upto = now_ns();

		for (int k = 0; k < GR_TR_KINDS; k++) {
			if (tp[k] && !gr_trace_fill(tp[k], &b[k])) {
				gr_error("out of memory reading the trace");
				last = true;
			}
		}
		gr_trace_apply(b, upto);
		gr_trace_expire(upto);
		__atomic_store_n(&gr.trace_upto, upto, __ATOMIC_RELEASE);
		if (last)
			break;
		usleep(2000);
	}
	/* Nobody waits for a trace that is no longer read. */
	__atomic_store_n(&gr.trace_upto, UINT64_MAX, __ATOMIC_RELEASE);
	for (int k = 0; k < GR_TR_KINDS; k++)
		free(b[k].rec);
	return NULL;
}

/* Before any thread starts: the samplers follow the threads started later. */
static void gr_trace_open(void)
{
	static const char *const addr[] = { "addr", NULL };
	char why[200];

	hist_init(&gr.trace_entry_ns);
	hist_init(&gr.trace_call_ns);
	gr.tp_set = counters_sample_open("thp:set_migration_pmd", addr, 0, why, sizeof(why));
	if (gr.tp_set)
		gr.tp_remove = counters_sample_open("thp:remove_migration_pmd", addr, 0,
						    why, sizeof(why));
	gr.mig = calloc(gr.nr_thp, sizeof(*gr.mig));
	gr.entry_set = calloc(gr.nr_thp, sizeof(*gr.entry_set));
	/* Every thread of ours, and room for the helpers' (pvm). */
	gr.max_calls = gr.nr_threads + gr.nr_hoppers + opt_movers + 64;
	gr.calls = calloc(gr.max_calls, sizeof(*gr.calls));
	if (!gr.tp_set || !gr.tp_remove || !gr.mig || !gr.entry_set || !gr.calls) {
		snprintf(gr.trace_why, sizeof(gr.trace_why), "%s",
			 gr.tp_set && gr.tp_remove ? "out of memory" : why);
		counters_sample_close(gr.tp_set);
		gr.tp_set = NULL;
		return;
	}
	/* Optional: without it a migration is the life of its entry alone. */
	gr.tp_start = counters_sample_open("migrate:mm_migrate_pages_start", NULL, 0,
					   gr.trace_start_why, sizeof(gr.trace_start_why));
	gr.tracing = !pthread_create(&gr.tracer, gr_thread_attr(), gr_tracer_main, NULL);
}

static void gr_trace_close(void)
{
	if (!gr.tracing)
		return;
	__atomic_store_n(&gr.tracer_stop, true, __ATOMIC_RELEASE);
	pthread_join(gr.tracer, NULL);
	gr.trace_lost = counters_sample_lost(gr.tp_set) + counters_sample_lost(gr.tp_remove) +
			(gr.tp_start ? counters_sample_lost(gr.tp_start) : 0);
	counters_sample_close(gr.tp_start);
	counters_sample_close(gr.tp_set);
	counters_sample_close(gr.tp_remove);
}

static json_object *gr_trace_json(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "available", json_object_new_boolean(gr.tracing));
	if (!gr.tracing) {
		json_object_object_add(o, "why", json_object_new_string(gr.trace_why));
		return o;
	}
	gr_add_u64(o, "migration_entries", gr.trace_entries);
	gr_add_u64(o, "entries_from_call_start", gr.trace_from_call);
	json_object_object_add(o, "call_start", gr.tp_start ? json_object_new_boolean(true) :
			       json_object_new_string(gr.trace_start_why));
	gr_add_u64(o, "unpaired_ends", gr.trace_unpaired);
	gr_add_u64(o, "lost_ends", gr.trace_stale);
	gr_add_u64(o, "lost_records", gr.trace_lost);
	json_object_object_add(o, "entry_duration", hist_to_json(&gr.trace_entry_ns, "ns"));
	json_object_object_add(o, "migration_duration", hist_to_json(&gr.trace_call_ns, "ns"));
	return o;
}

/* ---- setup and options ---- */

static void gr_list_pins(void)
{
	char why[256];

	for (int i = 0; pin_backends[i]; i++) {
		const char *r = pin_unavailable(pin_backends[i], &gr.conf, why, sizeof(why));

		printf("%-18s %s\n", pin_backends[i]->name, pin_backends[i]->desc);
		if (r)
			printf("%-18s   (not available: %s)\n", "", r);
	}
	exit(EXIT_PASS);
}

/* Names checked now (bad input); availability later, once the file is known. */
static void gr_parse_pins(void)
{
	char buf[256], *save = NULL;

	gr.nr_pins = 0;
	if (!strcmp(opt_pin, "list"))
		return;
	if (!strcmp(opt_pin, "all")) {
		for (int i = 0; pin_backends[i]; i++)
			gr.pins[gr.nr_pins++] = pin_backends[i];
		return;
	}
	snprintf(buf, sizeof(buf), "%s", opt_pin);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct pin_ops *ops = pin_find(tok);

		if (!ops)
			usage_error("--pin: no backend '%s' (see --pin list)", tok);
		for (int i = 0; i < gr.nr_pins; i++)
			if (gr.pins[i] == ops)
				usage_error("--pin: '%s' given twice", tok);
		gr.pins[gr.nr_pins++] = ops;
	}
	if (!gr.nr_pins)
		usage_error("--pin: no backend named");
}

/* Threads, sharers and THPs. */
static void gr_validate_layout(struct run_ctx *ctx, size_t thp)
{
	gr.nr_threads = opt_threads ? opt_threads : MAX(ctx->topo.nr_cpus, 1);
	gr.sharers = opt_sharers;
	/*
	 * NUMA balancing alone: a hopper per two pinners keeps the machine's
	 * CPUs busy without crowding them (each group has one), and one THP a
	 * group makes the scanner's passes short and the pinners' operations
	 * land on the THP that is migrating.
	 */
	if (!gr.sharers && gr.driver == GR_AUTONUMA)
		gr.sharers = gr.nr_threads % 2 ? 1 : 2;
	for (int s = MIN(gr.nr_threads, 4); !gr.sharers; s--)
		if (gr.nr_threads % s == 0)
			gr.sharers = s;
	if (gr.nr_threads % gr.sharers)
		usage_error("--sharers %d does not divide the %d pinner threads", gr.sharers,
			    gr.nr_threads);
	if ((size_t)gr.sharers > thp / GR_ALIGN)
		usage_error("--sharers %d: a THP has only %zu pages to share", gr.sharers,
			    thp / GR_ALIGN);
	gr.groups = gr.nr_threads / gr.sharers;
	gr.slice = thp / gr.sharers / GR_ALIGN * GR_ALIGN;
	if (!opt_size)
		opt_size = (uint64_t)gr.groups * (gr.driver == GR_AUTONUMA ? 1 : 4) * thp;
	if (opt_size % thp)
		usage_error("--size %llu is not a multiple of the THP size %zu",
			    (unsigned long long)opt_size, thp);
	gr.nr_thp = opt_size / thp;
	if (gr.nr_thp < gr.groups)
		usage_error("--size %llu holds %d THPs: fewer than the %d groups of %d sharers",
			    (unsigned long long)opt_size, gr.nr_thp, gr.groups, gr.sharers);
	if (opt_movers > gr.nr_thp)
		usage_error("--movers %d: more than the %d THPs", opt_movers, gr.nr_thp);
}

static void gr_validate(struct run_ctx *ctx)
{
	size_t thp = region_thp_size();

	gr.driver = gr_driver_of[opt_driver];
	gr_parse_pins();
	gr_validate_layout(ctx, thp);
	if (opt_block < STAMP_MIN_BLOCK || opt_block > GR_ALIGN || (opt_block & (opt_block - 1)))
		usage_error("--block %llu: must be a power of two from %d to %d",
			    (unsigned long long)opt_block, STAMP_MIN_BLOCK, GR_ALIGN);
	if (!opt_xfer || opt_xfer % GR_ALIGN || opt_xfer > thp)
		usage_error("--xfer %llu: must be a multiple of %d and at most the THP size %zu",
			    (unsigned long long)opt_xfer, GR_ALIGN, thp);
	gr.bs = opt_block;
	gr.xfer = MIN(opt_xfer, gr.slice);	/* a transfer stays in its slice */
	gr.inject = opt_inject;
	if (opt_file) {
		struct stat st;

		if (stat(opt_file, &st))
			usage_error("--file %s: %s", opt_file, strerror(errno));
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
			usage_error("--file %s: neither a file, a directory nor a block device", opt_file);
	}
}

/* Bytes the file holds: a block device's size, a file's length (grown if short, never cut). */
static off_t gr_file_size(int fd, off_t need)
{
	struct stat st;
	uint64_t sz = 0;

	if (fstat(fd, &st))
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &sz) ? -1 : (off_t)sz;
	if (st.st_size < need && ftruncate(fd, need))
		return st.st_size;
	return MAX(st.st_size, need);
}

/* The file the I/O backends write: opened O_DIRECT when it takes it. Returns why not, or NULL. */
static const char *gr_open_file(char *why, size_t len)
{
	const char *path = opt_file ?: getenv("MIGRACE_SCRATCH_DEV");
	off_t need = (off_t)gr.nr_threads * gr.nr_pins * gr.xfer, have;
	int flags = O_RDWR | O_CLOEXEC, fd;
	struct stat st;

	if (!path || !*path)
		path = getenv("TMPDIR") ?: "/var/tmp";
	if (stat(path, &st)) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return why;
	}
	if (S_ISDIR(st.st_mode))
		flags |= O_TMPFILE;	/* gone when closed, whatever happens */
	if (S_ISBLK(st.st_mode))
		flags |= O_EXCL;	/* fails on a mounted device */
	fd = open(path, flags | O_DIRECT, 0600);
	gr.conf.direct = fd >= 0;
	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags, 0600);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return why;
	}
	have = gr_file_size(fd, need);
	if (have < need) {
		close(fd);
		snprintf(why, len, "%s holds %lld bytes, %lld needed (threads x backends x --xfer)",
			 path, (long long)have, (long long)need);
		return why;
	}
	gr.conf.fd = fd;
	json_object_object_add(gr.ctx->res->metrics, "file", json_object_new_string(
		S_ISDIR(st.st_mode) ? "temporary file" : path));
	json_object_object_add(gr.ctx->res->metrics, "file_o_direct",
			       json_object_new_boolean(gr.conf.direct));
	return NULL;
}

/* Drops the backends that cannot run here, saying why. */
static json_object *gr_select_pins(void)
{
	json_object *unav = json_object_new_object();
	char why[256];
	int n = 0;

	for (int i = 0; i < gr.nr_pins; i++) {
		const char *r = pin_unavailable(gr.pins[i], &gr.conf, why, sizeof(why));

		if (!r) {
			gr.pins[n++] = gr.pins[i];
			continue;
		}
		json_object_object_add(unav, gr.pins[i]->name, json_object_new_string(r));
		printf("gup-race: backend %s not available: %s\n", gr.pins[i]->name, r);
		if (strcmp(opt_pin, "all"))
			result_verdict(gr.ctx->res, VERDICT_SKIP, "backend %s not available: %s",
				       gr.pins[i]->name, r);
	}
	gr.nr_pins = n;
	return unav;
}

/* ---- tunables ---- */

static void gr_knob(json_object *set, enum setting s, long long v)
{
	char path[SETTINGS_PATH];

	if (settings_set(s, v)) {
		settings_path(s, path, sizeof(path));
		msg("cannot set %s to %lld (not root? not on this kernel?)",
		    path[0] ? path : settings_name(s), v);
	} else {
		json_object_object_add(set, settings_name(s), json_object_new_int64(v));
	}
}

/* NUMA balancing off for the baseline and the move driver alone; on, scanning fast, for autonuma. */
static bool gr_numa_balancing(json_object *set, bool on)
{
	long long cur = settings_get(SET_NUMA_BALANCING);

	if (cur < 0)
		return !on;
	if (!on) {
		if (cur)
			gr_knob(set, SET_NUMA_BALANCING, 0);
		return true;
	}
	gr_knob(set, SET_NUMA_BALANCING, 1);
	gr_knob(set, SET_NB_SCAN_DELAY_MS, opt_scan_ms);
	gr_knob(set, SET_NB_SCAN_PERIOD_MIN_MS, opt_scan_ms);
	gr_knob(set, SET_NB_SCAN_PERIOD_MAX_MS, opt_scan_ms);
	/* Smaller sizes allow shorter periods (at most 2560 MB/s), but may not reach the region in one pass. */
	if (opt_scan_mb)
		gr_knob(set, SET_NB_SCAN_SIZE_MB, opt_scan_mb);
	return settings_get(SET_NUMA_BALANCING) > 0;
}

/* ---- phases ---- */

static void gr_set_phase(int phase)
{
	__atomic_store_n(&gr.phase, phase, __ATOMIC_RELEASE);
}

/* Sleeps while the threads race, reading the kernel log every 0.2 s. */
static bool gr_sleep(double seconds)
{
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);

	for (int i = 1; now_ns() < end && !migrace_stop && !gr.error[0]; i++) {
		usleep(MIN(20000, (end - now_ns()) / 1000 + 1));
		if (!(i % 10))
			klog_poll(&gr.ctx->klog);
	}
	return !migrace_stop && !gr.error[0];
}

/*
 * Seconds from the start of pinning to the first sign of failure: a
 * violation, or a bad kernel-log line (seen up to 0.2 s late). How soon a
 * kernel fails is what a race detector is judged by.
 */
static json_object *gr_first_failure(void)
{
	double t = -1, k;

	if (gr.have_first)
		t = gr.first.t_s;
	if (gr.ctx->klog.first_bad_ns) {
		k = (gr.ctx->klog.first_bad_ns - gr.t_start) / 1e9;
		t = t < 0 ? k : MIN(t, k);
	}
	return t < 0 ? NULL : json_object_new_double(t);
}

/* No mover where nothing can move: one node. */
static int gr_nr_movers(void)
{
	return (gr.driver & GR_MOVE) && gr.ctx->topo.nr_nodes >= 2 ? opt_movers : 0;
}

static int gr_start_threads(void)
{
	sigset_t all, old;
	int ret = 0;

	/* Signals go to this thread, which tells the others to wind down. */
	sigemptyset(&all);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_barrier_init(&gr.ready, NULL, gr.nr_threads + 1);
	for (int i = 0; i < gr.nr_threads && !ret; i++) {
		gr.w[i].idx = i;
		gr.w[i].cur_thp = -1;
		gr.w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		ret = pthread_create(&gr.w[i].tid, gr_thread_attr(), gr_worker_main, &gr.w[i]);
	}
	for (int i = 0; i < gr.nr_hoppers && !ret; i++) {
		gr.h[i].idx = i;
		ret = pthread_create(&gr.h[i].tid, gr_thread_attr(), gr_hopper_main, &gr.h[i]);
	}
	for (int i = 0; i < gr_nr_movers() && !ret; i++) {
		gr.m[i].idx = i;
		ret = pthread_create(&gr.m[i].tid, gr_thread_attr(), gr_mover_main, &gr.m[i]);
	}
	for (int i = 0; i < opt_walkers && !ret; i++)
		ret = pthread_create(&gr.k[i].tid, gr_thread_attr(), gr_walker_main, &gr.k[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		msg("pthread_create: %s", strerror(ret));
		abort();	/* threads already waiting on the barrier cannot be unwound */
	}
	pthread_barrier_wait(&gr.ready);
	return 0;
}

/* A thread that makes no progress for --hang-timeout seconds is a finding: named, with its kernel stack. */
static bool gr_join_watch(pthread_t t, pid_t tid, const char *who, const char *step,
			  const uint64_t *since, json_object *hung)
{
	for (;;) {
		struct timespec ts;
		json_object *o;
		char stack[2048], path[64];
		double idle;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(t, NULL, &ts))
			return true;
		idle = (now_ns() - __atomic_load_n(since, __ATOMIC_RELAXED)) / 1e9;
		if (idle < opt_hang_s)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)tid);
		if (read_text(path, stack, sizeof(stack)) < 0)
			snprintf(stack, sizeof(stack), "unreadable (not root?)");
		o = json_object_new_object();
		json_object_object_add(o, "thread", json_object_new_string(who));
		json_object_object_add(o, "step", step ? json_object_new_string(step) : NULL);
		json_object_object_add(o, "seconds", json_object_new_double(idle));
		json_object_object_add(o, "kernel_stack", json_object_new_string(stack));
		json_object_array_add(hung, o);
		gr_error("%s hung for %.0f s%s%s", who, idle, step ? " in " : "", step ?: "");
		printf("gup-race: %s hung for %.0f s in %s; kernel stack:\n%s\n", who, idle,
		       step ?: "?", stack);
		return false;
	}
}

/* Returns the number of threads that did not end. */
static int gr_join(json_object *hung)
{
	uint64_t stop = now_ns();
	char who[96];
	int lost = 0;

	gr_set_phase(GR_STOP);
	/* Walkers first: a write-protect walker's writers wait on it until walk_close(). */
	for (int i = 0; i < opt_walkers; i++) {
		snprintf(who, sizeof(who), "walker %d (%s)", i, walk_name(gr.walk.kind));
		lost += !gr_join_watch(gr.k[i].tid, gr.k[i].tid_os, who, walk_name(gr.walk.kind),
				       &gr.k[i].since, hung);
	}
	if (opt_walkers)
		walk_close(&gr.walk);
	for (int i = 0; i < gr.nr_threads; i++) {
		struct gr_worker *w = &gr.w[i];
		const char *step = __atomic_load_n(&w->step, __ATOMIC_ACQUIRE);

		snprintf(who, sizeof(who), "worker %d (%s)", i,
			 w->ready ? gr.pins[w->cur_b]->name : "setting up");
		lost += !gr_join_watch(w->tid, w->tid_os, who, step, &w->step_since, hung);
	}
	for (int i = 0; i < gr_nr_movers(); i++) {
		snprintf(who, sizeof(who), "mover %d (move_pages)", i);
		lost += !gr_join_watch(gr.m[i].tid, gr.m[i].tid_os, who, "move_pages",
				       &gr.m[i].since, hung);
	}
	for (int i = 0; i < gr.nr_hoppers; i++) {
		snprintf(who, sizeof(who), "hopper %d", i);
		lost += !gr_join_watch(gr.h[i].tid, gr.h[i].tid_os, who, "touching", &stop, hung);
	}
	return lost;
}

/* ---- results ---- */

static void gr_stats_merge(struct gr_stats *d, const struct gr_stats *s)
{
	d->ops += s->ops;
	d->ops_baseline += s->ops_baseline;
	d->windows += s->windows;
	d->win_overlap += s->win_overlap;
	d->win_node += s->win_node;
	d->win_moved += s->win_moved;
	d->win_trace += s->win_trace;
	d->win_trace_only += s->win_trace_only;
	d->violations += s->violations;
	d->bad_blocks += s->bad_blocks;
	d->bytes_checked += s->bytes_checked;
	hist_merge(&d->lat_base, &s->lat_base);
	hist_merge(&d->lat_race, &s->lat_race);
	hist_merge(&d->lat_window, &s->lat_window);
}


static json_object *gr_violation_json(const struct gr_violation *v)
{
	json_object *o = json_object_new_object(), *r = json_object_new_array();
	char addr[32];

	snprintf(addr, sizeof(addr), "%#lx", (unsigned long)v->addr);
	json_object_object_add(o, "address", json_object_new_string(addr));
	gr_add_u64(o, "thp", v->thp);
	gr_add_u64(o, "region_offset", v->region_off);
	json_object_object_add(o, "node_before", json_object_new_int(v->node_before));
	json_object_object_add(o, "node_after", json_object_new_int(v->node_after));
	json_object_object_add(o, "backend", json_object_new_string(v->backend));
	json_object_object_add(o, "driver", json_object_new_string(gr_driver_name()));
	json_object_object_add(o, "leg", json_object_new_string(v->leg));
	json_object_object_add(o, "seen_through", json_object_new_string(v->seen));
	json_object_object_add(o, "status", json_object_new_string(stamp_status_name(v->status)));
	gr_add_u64(o, "expected_generation", v->expected_gen);
	json_object_object_add(o, "found_generation",
			       v->found_valid ? json_object_new_int64(v->found_gen) : NULL);
	json_object_object_add(o, "found_offset",
			       v->found_valid ? json_object_new_int64(v->found_offset) : NULL);
	json_object_object_add(o, "time_s", json_object_new_double(v->t_s));
	json_object_object_add(o, "phase", json_object_new_string(v->phase));
	json_object_object_add(o, "worker", json_object_new_int(v->worker));
	gr_add_u64(o, "operation", v->op);
	json_object_object_add(o, "migration_overlap", json_object_new_boolean(v->overlap));
	json_object_object_add(o, "bad_blocks", json_object_new_int(v->bad_blocks));
	for (int i = 0; i < MIN(v->nr_ranges, GR_MAX_RANGES); i++) {
		json_object *x = json_object_new_object();

		gr_add_u64(x, "start", v->ranges[i].start);
		gr_add_u64(x, "len", v->ranges[i].len);
		json_object_array_add(r, x);
	}
	json_object_object_add(o, "ranges", r);
	json_object_object_add(o, "nr_ranges", json_object_new_int(v->nr_ranges));
	return o;
}

static json_object *gr_pin_json(int b, const struct gr_stats *s, double race_s)
{
	json_object *o = json_object_new_object(), *lat = json_object_new_object();

	json_object_object_add(o, "desc", json_object_new_string(gr.pins[b]->desc));
	gr_add_u64(o, "ops", s->ops);
	gr_add_u64(o, "ops_baseline", s->ops_baseline);
	gr_add_u64(o, "race_windows", s->windows);
	json_object_object_add(o, "race_windows_per_s",
			       json_object_new_double(race_s > 0 ? s->windows / race_s : 0));
	gr_add_u64(o, "windows_migration_overlap", s->win_overlap);
	gr_add_u64(o, "windows_node_changed", s->win_node);
	gr_add_u64(o, "windows_moved", s->win_moved);
	json_object_object_add(o, "windows_kernel_migration",
			       gr.tracing ? json_object_new_int64(s->win_trace) : NULL);
	json_object_object_add(o, "windows_kernel_migration_only",
			       gr.tracing ? json_object_new_int64(s->win_trace_only) : NULL);
	gr_add_u64(o, "violations", s->violations);
	gr_add_u64(o, "bad_blocks", s->bad_blocks);
	gr_add_u64(o, "bytes_checked", s->bytes_checked);
	json_object_object_add(lat, "baseline", hist_to_json(&s->lat_base, "ns"));
	json_object_object_add(lat, "racing", hist_to_json(&s->lat_race, "ns"));
	json_object_object_add(lat, "in_window", hist_to_json(&s->lat_window, "ns"));
	json_object_object_add(o, "latency", lat);
	return o;
}

static json_object *gr_mover_json(double race_s)
{
	struct gr_mover t = { 0 };
	json_object *o = json_object_new_object(), *lat = json_object_new_object();

	hist_init(&t.lat_moved);
	hist_init(&t.lat_refused);
	for (int i = 0; i < gr_nr_movers(); i++) {
		const struct gr_mover *m = &gr.m[i];

		t.attempts += m->attempts;
		t.moved += m->moved;
		t.refused += m->refused;
		t.busy += m->busy;
		t.armed += m->armed;
		t.elsewhere += m->elsewhere;
		t.other_status += m->other_status;
		t.errors += m->errors;
		t.last_errno = m->last_errno ?: t.last_errno;
		t.last_status = m->last_status ?: t.last_status;
		hist_merge(&t.lat_moved, &m->lat_moved);
		hist_merge(&t.lat_refused, &m->lat_refused);
	}
	gr_add_u64(o, "attempts", t.attempts);
	gr_add_u64(o, "moved", t.moved);
	gr_add_u64(o, "refused", t.refused);
	gr_add_u64(o, "not_isolated", t.busy);
	gr_add_u64(o, "armed_for_numa_fault", t.armed);
	gr_add_u64(o, "already_elsewhere", t.elsewhere);
	gr_add_u64(o, "other_status", t.other_status);
	gr_add_u64(o, "errors", t.errors);
	if (t.last_errno)
		json_object_object_add(o, "last_error", json_object_new_string(strerror(t.last_errno)));
	if (t.other_status)
		json_object_object_add(o, "last_other_status", json_object_new_int(t.last_status));
	json_object_object_add(o, "attempts_per_s",
			       json_object_new_double(race_s > 0 ? t.attempts / race_s : 0));
	json_object_object_add(lat, "moved", hist_to_json(&t.lat_moved, "ns"));
	json_object_object_add(lat, "refused", hist_to_json(&t.lat_refused, "ns"));
	json_object_object_add(o, "latency", lat);
	if (gr.driver & GR_MOVE)
		printf("move_pages: %llu attempts (%.0f/s): %llu moved, %llu refused (pinned or referenced), %llu not isolated, %llu errors\n",
		       (unsigned long long)t.attempts, race_s > 0 ? t.attempts / race_s : 0,
		       (unsigned long long)t.moved, (unsigned long long)t.refused,
		       (unsigned long long)t.busy, (unsigned long long)t.errors);
	return o;
}

static void gr_us(char *buf, size_t len, const struct hist *h, double pct)
{
	if (!h->count)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", hist_percentile(h, pct) / 1e3);
}

static void gr_print_row(const char *name, const struct gr_stats *s, double race_s)
{
	char b50[16], b99[16], r50[16], r99[16], w50[16], w99[16];

	gr_us(b50, sizeof(b50), &s->lat_base, 50);
	gr_us(b99, sizeof(b99), &s->lat_base, 99);
	gr_us(r50, sizeof(r50), &s->lat_race, 50);
	gr_us(r99, sizeof(r99), &s->lat_race, 99);
	gr_us(w50, sizeof(w50), &s->lat_window, 50);
	gr_us(w99, sizeof(w99), &s->lat_window, 99);
	printf("  %-17s %8llu %8llu %8.1f %6llu %5llu  %7s/%-7s %7s/%-7s %7s/%-7s\n", name,
	       (unsigned long long)s->ops, (unsigned long long)s->windows,
	       race_s > 0 ? s->windows / race_s : 0, (unsigned long long)s->win_moved,
	       (unsigned long long)s->violations, b50, b99, r50, r99, w50, w99);
}

/*
 * smaps does not count a THP armed for a NUMA hinting fault as
 * AnonHugePages: one read of each resolves the fault first.
 */
static int gr_pmd_mapped_end(void)
{
	for (int k = 0; k < gr.nr_thp; k++)
		(void)*(volatile uint64_t *)(gr.r.addr + (size_t)k * gr.r.thp_size);
	return region_count_pmd_mapped(&gr.r);
}

/* The per-backend table, on stdout and in metrics.backends; returns windows and ops in total. */
static void gr_report_pins(struct run_ctx *ctx, double race_s, uint64_t *windows, uint64_t *ops)
{
	json_object *pins = json_object_new_object();
	struct gr_stats *all = calloc(gr.nr_pins, sizeof(*all));

	printf("  %-17s %8s %8s %8s %6s %5s  %15s %15s %15s\n", "backend", "ops", "windows",
	       "win/s", "moved", "viol", "baseline us", "racing us", "in window us");
	printf("  %-17s %8s %8s %8s %6s %5s  %15s %15s %15s\n", "", "", "", "", "", "",
	       "p50/p99", "p50/p99", "p50/p99");
	for (int b = 0; all && b < gr.nr_pins; b++) {
		hist_init(&all[b].lat_base);
		hist_init(&all[b].lat_race);
		hist_init(&all[b].lat_window);
		for (int i = 0; i < gr.nr_threads; i++)
			gr_stats_merge(&all[b], &gr.w[i].st[b]);
		*windows += all[b].windows;
		*ops += all[b].ops;
		gr_print_row(gr.pins[b]->name, &all[b], race_s);
		json_object_object_add(pins, gr.pins[b]->name, gr_pin_json(b, &all[b], race_s));
	}
	result_metric(ctx->res, "backends", pins);
	free(all);
}

static void gr_report_walkers(struct run_ctx *ctx, double race_s)
{
	json_object *o = json_object_new_object();
	uint64_t walks = 0, errors = 0;
	int last_errno = 0;

	if (!opt_walkers)
		return;
	for (int i = 0; i < opt_walkers; i++) {
		walks += gr.k[i].walks;
		errors += gr.k[i].errors;
		last_errno = gr.k[i].last_errno ?: last_errno;
	}
	gr_add_u64(o, "walks", walks);
	json_object_object_add(o, "walks_per_s", json_object_new_double(race_s > 0 ? walks / race_s : 0));
	gr_add_u64(o, "errors", errors);
	if (last_errno)
		json_object_object_add(o, "last_error", json_object_new_string(strerror(last_errno)));
	json_object_object_add(o, "call", json_object_new_string(walk_name(gr.walk.kind)));
	result_metric(ctx->res, "walks", o);
	printf("%s walker(s): %llu walks of the region (%.0f/s), %llu errors\n",
	       walk_name(gr.walk.kind), (unsigned long long)walks, race_s > 0 ? walks / race_s : 0, (unsigned long long)errors);
}

static void gr_report_autonuma(struct run_ctx *ctx)
{
	uint64_t hops = 0, touches = 0, steps = 0, arrived = 0;

	for (int i = 0; i < gr.nr_threads; i++)
		hops += gr.w[i].hops;
	for (int i = 0; i < gr.nr_hoppers; i++) {
		hops += gr.h[i].hops;
		touches += gr.h[i].touches;
		steps += gr.h[i].step;
		arrived += gr.h[i].arrived;
	}
	result_metric(ctx->res, "autonuma_hoppers", json_object_new_int(gr.nr_hoppers));
	result_metric(ctx->res, "autonuma_hops", json_object_new_int64(hops));
	result_metric(ctx->res, "autonuma_touch_rounds", json_object_new_int64(touches));
	result_metric(ctx->res, "autonuma_group_moves", json_object_new_int64(steps));
	result_metric(ctx->res, "autonuma_group_moves_arrived", json_object_new_int64(arrived));
}

static void gr_report(struct run_ctx *ctx, const struct vmstat *v0, const struct vmstat *v1,
		      const struct vmstat *v2, json_object *unav, json_object *knobs)
{
	double race_s = gr.t_race ? (gr.t_end - gr.t_race) / 1e9 : 0, gbps;
	uint64_t windows = 0, ops = 0, cbytes = 0, cns = 0;
	struct result *res = ctx->res;

	gr_report_pins(ctx, race_s, &windows, &ops);
	for (int i = 0; i < gr.nr_threads; i++) {
		cbytes += gr.w[i].check_bytes;
		cns += gr.w[i].check_ns;
	}
	gbps = cns ? cbytes / (double)cns : 0;
	result_metric(res, "violations", json_object_new_int64(gr.violations));
	result_metric(res, "race_windows", json_object_new_int64(windows));
	result_metric(res, "race_windows_per_s", json_object_new_double(race_s > 0 ? windows / race_s : 0));
	result_metric(res, "ops", json_object_new_int64(ops));
	result_metric(res, "race_s", json_object_new_double(race_s));
	result_metric(res, "first_violation", gr.have_first ? gr_violation_json(&gr.first) : NULL);
	result_metric(res, "first_failure_s", gr_first_failure());
	result_metric(res, "backends_unavailable", unav);
	result_metric(res, "move_pages", gr_mover_json(race_s));
	gr_report_walkers(ctx, race_s);
	gr_report_autonuma(ctx);
	result_metric(res, "tunables", knobs);
	result_metric(res, "trace", gr_trace_json());
	result_metric(res, "vmstat_baseline", vmstat_delta_json(v0, v1, vmstat_numa_names));
	result_metric(res, "vmstat", vmstat_delta_json(v1, v2, vmstat_numa_names));
	result_metric(res, "stamp_check_gbps_per_thread", json_object_new_double(gbps));
	result_metric(res, "thp_pmd_mapped_end", json_object_new_int(gr_pmd_mapped_end()));
	printf("vmstat over the race: thp_migration_success +%lld fail +%lld split +%lld, numa_pages_migrated +%lld, numa_hint_faults +%lld\n",
	       vmstat_delta(v1, v2, "thp_migration_success"), vmstat_delta(v1, v2, "thp_migration_fail"),
	       vmstat_delta(v1, v2, "thp_migration_split"), vmstat_delta(v1, v2, "numa_pages_migrated"),
	       vmstat_delta(v1, v2, "numa_hint_faults"));
	printf("stamps: %.1f MB checked at %.2f GB/s a thread%s\n", cbytes / 1e6, gbps,
	       ctx->topo.emulated ? " (emulated)" : "");
	printf("gup-race: %llu violations in %llu race windows (%llu pin operations, %.1f s racing, driver %s)\n",
	       (unsigned long long)gr.violations, (unsigned long long)windows,
	       (unsigned long long)ops, race_s, gr_driver_name());
	if (ctx->topo.emulated)
		printf("gup-race: timings are emulated (QEMU TCG), not hardware figures\n");
}

/* ---- run ---- */

/* The threads' state, and the per-block and per-THP bookkeeping. */
static int gr_alloc(struct run_ctx *ctx)
{
	gr.gens = calloc(gr.r.size / gr.bs, sizeof(*gr.gens));
	gr.rt = calloc(gr.nr_thp, sizeof(*gr.rt));
	gr.last_node = calloc(gr.nr_thp, sizeof(*gr.last_node));
	gr.w = calloc(gr.nr_threads, sizeof(*gr.w));
	gr.m = calloc(opt_movers, sizeof(*gr.m));
	gr.k = calloc(MAX(opt_walkers, 1), sizeof(*gr.k));
	if (!gr.gens || !gr.rt || !gr.last_node || !gr.w || !gr.m || !gr.k)
		return -ENOMEM;
	for (int k = 0; k < gr.nr_thp; k++)
		gr.last_node[k] = ctx->topo.nodes[0];	/* where region_alloc faults it in */
	for (int i = 0; i < gr.nr_threads; i++) {
		for (int b = 0; b < GR_MAX_PINS; b++) {
			hist_init(&gr.w[i].st[b].lat_base);
			hist_init(&gr.w[i].st[b].lat_race);
			hist_init(&gr.w[i].st[b].lat_window);
		}
		if (gr.inject && !(gr.w[i].shadow = aligned_alloc(GR_ALIGN, gr.r.thp_size)))
			return -ENOMEM;
	}
	for (int i = 0; i < opt_movers; i++) {
		hist_init(&gr.m[i].lat_moved);
		hist_init(&gr.m[i].lat_refused);
	}
	gr.nr_cpu_nodes = topo_cpu_nodes(&ctx->topo, gr.cpu_nodes);
	if ((gr.driver & GR_AUTONUMA) && gr.nr_cpu_nodes >= 2)
		gr.nr_hoppers = gr.groups;
	gr.h = calloc(MAX(gr.nr_hoppers, 1), sizeof(*gr.h));
	return gr.h ? 0 : -ENOMEM;
}

/*
 * NUMA balancing's scanner walks every VMA of the process with a budget
 * per pass; the hinting faults and migrations of migrace's own stacks,
 * buffers and heap cost time and slow the passes over the region. The
 * region gets a policy that keeps NUMA balancing on it (MPOL_BIND over
 * every memory node with MPOL_F_NUMA_BALANCING: a THP is still moved to
 * the node of the CPU that faults, after the same two-fault filter) and
 * the threads a local policy, without which the scanner skips a VMA.
 */
static void gr_autonuma_scope(struct run_ctx *ctx)
{
	struct bitmask *mems = numa_get_mems_allowed();
	const char *scope = "region";
	char why[160];

	if (opt_scan_scope == GR_SCOPE_PROCESS) {
		scope = "process: --scan-scope process";
	} else if (mbind(gr.r.addr, gr.r.size, MPOL_BIND | MPOL_F_NUMA_BALANCING, mems->maskp,
		  mems->size + 1, 0)) {
		snprintf(why, sizeof(why), "process: mbind(MPOL_F_NUMA_BALANCING): %s", strerror(errno));
		scope = why;
	} else if (set_mempolicy(MPOL_LOCAL, NULL, 0)) {
		snprintf(why, sizeof(why), "process: set_mempolicy(MPOL_LOCAL): %s", strerror(errno));
		scope = why;
	}
	numa_bitmask_free(mems);
	result_metric(ctx->res, "autonuma_scan_scope", json_object_new_string(scope));
}

static int gr_prepare(struct run_ctx *ctx)
{
	char mode[32], why[256];
	int ret, pmd;

	region_thp_mode(mode, sizeof(mode));
	ret = region_alloc(&gr.r, opt_size, 0, ctx->topo.nodes[0]);
	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot allocate a THP region: %s", strerror(-ret));
		return -1;
	}
	/* The pvm helpers are forked: sharing the region copy-on-write would split its THPs. */
	madvise(gr.r.addr, gr.r.size, MADV_DONTFORK);
	pmd = region_count_pmd_mapped(&gr.r);
	result_metric(ctx->res, "thp_pmd_mapped_start", json_object_new_int(pmd));
	if (pmd != gr.nr_thp) {
		result_verdict(ctx->res, VERDICT_FAIL, "only %d of %d THPs PMD-mapped after fault-in (THP %s)",
			       pmd, gr.nr_thp, mode);
		return -1;
	}
	if (gr_alloc(ctx)) {
		result_verdict(ctx->res, VERDICT_FAIL, "out of memory for %d THPs", gr.nr_thp);
		return -1;
	}
	if (opt_walkers && walk_open(&gr.walk, opt_walk, gr.r.addr, gr.r.size, why, sizeof(why))) {
		result_verdict(ctx->res, VERDICT_SKIP, "--walk %s cannot walk here: %s", walk_name(opt_walk), why);
		return -1;
	}
	if (gr.nr_hoppers)
		gr_autonuma_scope(ctx);
	return 0;
}

static void gr_params(struct run_ctx *ctx)
{
	struct result *res = ctx->res;

	result_metric(res, "driver", json_object_new_string(gr_driver_name()));
	result_metric(res, "threads", json_object_new_int(gr.nr_threads));
	result_metric(res, "movers", json_object_new_int(gr_nr_movers()));
	result_metric(res, "walkers", json_object_new_int(opt_walkers));
	result_metric(res, "size", json_object_new_int64(gr.r.size));
	result_metric(res, "thp_size", json_object_new_int64(gr.r.thp_size));
	result_metric(res, "thp_count", json_object_new_int(gr.nr_thp));
	result_metric(res, "block", json_object_new_int64(gr.bs));
	result_metric(res, "xfer", json_object_new_int64(gr.xfer));
	result_metric(res, "rounds", json_object_new_int(opt_rounds));
	result_metric(res, "duration_s", json_object_new_double(opt_duration));
	result_metric(res, "baseline_s", json_object_new_double(opt_baseline));
	result_metric(res, "inject", opt_inject ? json_object_new_string(gr_injects[opt_inject]) : NULL);
	{
		char base[32];

		snprintf(base, sizeof(base), "%#lx", (unsigned long)gr.r.addr);
		result_metric(res, "region_base", json_object_new_string(base));
	}
	printf("gup-race: %d THPs of %zu KiB (all PMD-mapped), %d pinner thread(s), driver %s, %d memory node(s), %.1f s (+%.1f s baseline)\n",
	       gr.nr_thp, gr.r.thp_size >> 10, gr.nr_threads, gr_driver_name(),
	       ctx->topo.nr_nodes, opt_duration, opt_baseline);
}

/* NUMA balancing that could not be turned on is a skip; the pins and checks still ran. */
static void gr_check_machine(struct run_ctx *ctx, bool autonuma_ok)
{
	if (ctx->topo.nr_nodes >= 2 && gr.nr_cpu_nodes >= 2 && (gr.driver & GR_AUTONUMA) && !autonuma_ok)
		result_verdict(ctx->res, VERDICT_SKIP, "NUMA balancing is off and cannot be turned on (not root?)");
}

static void gr_verdict(struct run_ctx *ctx)
{
	const struct gr_violation *v = &gr.first;

	if (gr.violations)
		result_verdict(ctx->res, VERDICT_FAIL, "%llu violation(s); first: %s %s at %#lx (THP %zu, node %d -> %d): %s",
			       (unsigned long long)gr.violations, v->backend, v->leg,
			       (unsigned long)v->addr, v->thp, v->node_before, v->node_after,
			       stamp_status_name(v->status));
	if (gr.error[0])
		result_verdict(ctx->res, VERDICT_FAIL, "%s", gr.error);
	if (migrace_stop)
		result_verdict(ctx->res, VERDICT_SKIP, "interrupted by a signal");
}

/* Baseline, then the race; returns how many threads did not end (hung). */
static int gr_phases(struct run_ctx *ctx, struct vmstat v[3], json_object *knobs,
		     json_object *hung, bool *autonuma_ok)
{
	int lost;

	gr_numa_balancing(knobs, false);
	vmstat_read(&v[0]);
	gr_trace_open();
	gr_start_threads();
	gr.t_start = now_ns();
	gr_set_phase(GR_BASELINE);
	if (gr_sleep(opt_baseline)) {
		vmstat_read(&v[1]);
		if (ctx->topo.nr_nodes >= 2 && (gr.driver & GR_AUTONUMA))
			*autonuma_ok = gr_numa_balancing(knobs, true);
		gr.t_race = now_ns();
		gr_set_phase(GR_RACE);
		gr_sleep(opt_duration);
	} else {
		vmstat_read(&v[1]);
	}
	gr.t_end = now_ns();
	vmstat_read(&v[2]);
	lost = gr_join(hung);
	gr_trace_close();
	settings_restore();	/* before the report: the machine is back as it was */
	return lost;
}

/* Mounts (if any) happen now, while the process has one thread: backends may start more. */
static void gr_find_tunables(struct run_ctx *ctx)
{
	char why[256];

	if (ctx->topo.nr_nodes >= 2 && (gr.driver & GR_AUTONUMA) && settings_find(why, sizeof(why)))
		msg("NUMA balancing scan tunables: %s", why);
}

/*
 * Options and the file (--pin list needs it to say what runs here); what
 * migrates nothing needs no nodes to migrate between, and NUMA balancing
 * only for the autonuma driver.
 */
static void gr_options(struct run_ctx *ctx, struct needs *needs)
{
	char why[256];
	const char *nofile;

	gr.ctx = ctx;
	gr.conf.fd = -1;
	pthread_mutex_init(&gr.vlock, NULL);
	gr_validate(ctx);
	nofile = gr_open_file(why, sizeof(why));
	if (!strcmp(opt_pin, "list"))
		gr_list_pins();
	if (nofile)
		result_metric(ctx->res, "file_unavailable", json_object_new_string(nofile));
	gr.conf.max_len = gr.xfer;
	gr.conf.gup_calls = opt_gup_calls;
	if (!(gr.driver & GR_AUTONUMA))
		needs->what &= ~(NEED_CPU_NODES | NEED_NUMA_BALANCING);
}

static int gr_run(struct run_ctx *ctx)
{
	struct vmstat v[3];
	json_object *unav, *knobs, *hung;
	bool autonuma_ok = true;
	int lost;

	gr_find_tunables(ctx);
	unav = gr_select_pins();
	if (!gr.nr_pins || gr_prepare(ctx)) {
		if (!gr.nr_pins)
			result_verdict(ctx->res, VERDICT_SKIP, "no pinning backend available here");
		result_metric(ctx->res, "backends_unavailable", unav);
		goto out;
	}
	gr_params(ctx);
	knobs = json_object_new_object();
	hung = json_object_new_array();
	lost = gr_phases(ctx, v, knobs, hung, &autonuma_ok);
	result_metric(ctx->res, "hung_threads", hung);
	gr_check_machine(ctx, autonuma_ok);
	gr_report(ctx, &v[0], &v[1], &v[2], unav, knobs);
	gr_verdict(ctx);
	if (lost)
		return 0;	/* hung threads may still use the region: the exit takes it */
out:
	set_mempolicy(MPOL_DEFAULT, NULL, 0);
	region_free(&gr.r);
	if (gr.conf.fd >= 0)
		close(gr.conf.fd);
	return 0;
}

const struct scenario scenario_gup_race = {
	.name = "gup-race",
	.desc = "pins, gup and direct I/O racing THP migration, every byte checked both ways",
	.opts = gr_opts,
	.needs = {
		.what = NEED_THP | NEED_NODES | NEED_CPU_NODES | NEED_NUMA_BALANCING,
		/* The pins and their checks run anywhere; what is missing migrates nothing. */
		.partial = NEED_NODES | NEED_CPU_NODES | NEED_NUMA_BALANCING,
		.nodes = 2,
		.cpu_nodes = 2,
		.cpu_nodes_for = "autonuma (hopping between them)",
		.measured = "pins and checks still run",
	},
	.validate = gr_options,
	.run = gr_run,
};
