/* numa_fault.h - numa-fault's own header: its options, plan, workers' shared memory, sampler and the calls between its files. */
#ifndef MIGRACE_NUMA_FAULT_H
#define MIGRACE_NUMA_FAULT_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "faultlat.h"
#include "hist.h"
#include "region.h"
#include "scenario.h"
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

/* Settled before anything on the machine changes. */
struct nf_plan {
	enum nf_layout layout;
	enum faultlat_method method;
	int home, wnode[2];		/* wnode[1]: the second process (shared) */
	int nr_workers, per_proc, procs;
	size_t size;
	FILE *timeline;
};

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

/* The options as given (plan.c holds their table); -1: not given. */
struct nf_opt {
	const char *timeline;
	int layout, method;		/* OPT_ENUM: indexes into their words */
	uint64_t size, access_bytes, stall_ns;
	double size_frac, duration;
	int threads, home, worker_node, interval_ms, calib_ms;
	int until_faults;
	int scan_delay, scan_min, scan_max, scan_size;
	bool base_pages;
};

extern struct nf_opt nf_opt;
extern const struct opt nf_opts[];
extern const char *const nf_layouts[];
extern struct nf_plan nf_p;
extern cpu_set_t nf_allowed;

/* workers.c: shared with the second process, and the clock of the workers */
extern struct tsc nf_tsc;
extern struct nf_shared *nf_sh;
extern uint64_t nf_thr_ticks;
extern size_t nf_unit, nf_chunk;
extern char *nf_base;

/* plan.c: options and the plan */
void nf_put(json_object *o, const char *key, long long v);
void nf_plan(const struct topo *t, struct nf_plan *p);
void nf_assign(const struct topo *t, const struct nf_plan *p, const struct region *r);
void nf_targets(const struct nf_plan *p, const struct region *r, int *target);

/* workers.c: the workers */
int nf_start(int proc, pthread_t *th);
void nf_join(int proc, pthread_t *th, int started);
bool nf_wait_ready(int n);
void nf_set_phase(int ph);
void nf_sleep_ms(int ms);

/* calibrate.c: calibration */
int nf_calibration(struct run_ctx *ctx, uint64_t *thr_ns, const char **thr_how);

/* sampler.c: the sampler */
int nf_measure(struct run_ctx *ctx, const struct nf_plan *p, struct nf_sampler *smp);

/* report.c: the result */
json_object *nf_double(double v, int decimals);
void nf_header(const struct run_ctx *ctx, const struct nf_plan *p, const struct region *r);
json_object *nf_region_json(const struct region *r, const struct nf_plan *p, int pmd0,
			    int pmd1);
void nf_report(struct run_ctx *ctx, const struct nf_plan *p, const struct nf_sampler *smp,
	       const struct faultlat *fl, uint64_t thr_ns, const char *thr_how);

#endif
