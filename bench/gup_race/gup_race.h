/* gup_race.h - gup-race's own header: its options, its state by owner, and the calls between its files. */
#ifndef MIGRACE_GUP_RACE_H
#define MIGRACE_GUP_RACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "counters.h"
#include "hist.h"
#include "pin.h"
#include "race.h"
#include "region.h"
#include "scenario.h"
#include "stamp.h"
#include "util.h"
#include "vmstat.h"
#include "walk.h"

#define GR_MAX_PINS	8
#define GR_MAX_RANGES	16
#define GR_MAX_BATCH	64
#define GR_OP_LAT	256
#define GR_INJECT_OP	2	/* the op of worker 0 the test hooks strike */
#define GR_ALIGN	4096	/* O_DIRECT: transfers start and end on this */
#define GR_PENDING	64	/* operations waiting for the trace to catch up */
#define GR_TRACE_BATCH	4096
#define GR_TRACE_STALE	1000000000ull	/* a migration entry open this long lost its end */
#define GR_GEN_BUSY	0x80000000u	/* in gens[]: the owner is writing the block */
#define GR_MAX_SCRUB	64
#define GR_SCRUB_LOOK	32768	/* a scrubber looks whether its THP is armed this often (bytes) */
#define GR_MAX_WRITERS	64
#define GR_WRITER_LOOK	16	/* a writer looks whether its THP migrated every this many writes */

enum gr_driver { GR_MOVE = 1, GR_AUTONUMA = 2, GR_BOTH = 3 };
enum gr_phase { GR_SETUP, GR_BASELINE, GR_RACE, GR_STOP };
enum gr_inject { GR_INJECT_NONE, GR_INJECT_STALE, GR_INJECT_CORRUPT, GR_INJECT_AT_REST,
		GR_INJECT_LOST_WRITE };
enum gr_scope { GR_SCOPE_REGION, GR_SCOPE_PROCESS };

/* The options as given (setup.c holds their table). */
struct gr_opt {
	uint64_t size, block, xfer;
	double hang_s, duration, baseline;
	int threads, sharers, movers, move_batch, rounds, hop_ms, scan_ms, scan_mb;
	int scrub, scrub_nice, scrub_duty, writers;
	int walkers, driver, inject, scan_scope, walk;	/* the enums: indexes into their words */
	const char *pin, *file, *hold;
};

struct gr_stats {
	uint64_t ops, ops_baseline, windows, win_overlap, win_node, win_moved;
	uint64_t win_trace, win_trace_only;
	uint64_t violations, bad_blocks, bytes_checked;
	struct hist lat_base, lat_race, lat_window;
	/* the backend's other kinds of timed call (pin_ops.lat_names), in the same three sets */
	struct hist lat_more[PIN_MAX_KINDS - 1][3];
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
	uint8_t lat_kind[GR_OP_LAT];
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

/* A thread that keeps reading every block of its share of the THPs (scrub.c). */
struct gr_scrubber {
	pthread_t tid;
	pid_t tid_os;
	uint64_t since;		/* its last sign of life (a THP begun, a slice of rest), for the hang check */
	int idx, nice_errno;
	size_t next;		/* the next of its THPs in its sweep */
	uint64_t bytes, blocks, busy, raced, armed, thps, due, sweeps;
	uint64_t cpu_ns;	/* its own CPU time: it runs niced, wall time says little */
	char *copy;		/* a suspect block, copied while its owner stays away */
};

/* A thread that keeps stamping a THP of its own while it migrates, for lost writes (writers.c). */
struct gr_writer {
	pthread_t tid;
	pid_t tid_os;
	uint64_t since;		/* its last look at its THP's migrations, for the hang check */
	int idx, group, bound, node;	/* node: of its THP when it last looked */
	size_t thp;
	uint32_t gen, moves;	/* moves: gr.moves[thp] when it last checked the THP whole */
	uint64_t writes, checked, thp_checks, lost;
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
	/* at rest: when and where the block was last known good, and the migrations since */
	bool at_rest;
	int node_checked;
	uint64_t checked_ns, detect_ns;
	long long migrations;	/* -1: unknown (no trace) */
	bool migrations_more;	/* the trace's log of the THP holds only the last ones */
};

/* One pin operation in flight, for the window and the report. */
struct gr_op {
	uint64_t t0[2], t1[2];	/* its intervals holding or taking pins */
	int nint;
	size_t thp;
	uint64_t region_off, op;
	int node_before, node_after, b;
	unsigned int flags;	/* RACE_* so far */
	bool node_changed;
	struct race_probe probe;
};

/* The tracer's own state (trace.c): what it read of the kernel's migrations. */
struct gr_trace {
	struct race_log *mig;	/* kernel migrations seen in the trace, per THP */
	uint64_t *entry_set;	/* when each THP's open migration entry was set */
	struct counters_sampler *tp_start, *tp_set, *tp_remove;
	struct gr_call { uint32_t tid; uint64_t t; } *calls;	/* each thread's last migrate_pages() start */
	size_t nr_calls, max_calls;
	pthread_t thread;
	bool on, stop;
	uint64_t upto;		/* the trace is read up to here */
	uint64_t entries, unpaired, stale, lost, from_call;
	struct hist entry_ns, call_ns;
	char why[256], start_why[256];
};

/* The run: its threads, the region and its bookkeeping, and the verdict so far. */
struct gr_state {
	struct run_ctx *ctx;
	struct region r;
	enum gr_driver driver;
	enum gr_inject inject;
	const struct pin_ops *pins[GR_MAX_PINS];
	int nr_pins, nr_threads, nr_thp;
	int nr_pin_thp;		/* the pinners' THPs, the first of the region; the writers' follow */
	int nr_hold;		/* the first of them, each held by a pipe (--hold) */
	int sharers, groups;	/* pinners per THP; sets of THPs shared that way */
	size_t slice;		/* bytes of a THP each sharer owns (the last one: the rest) */
	size_t bs, xfer;
	struct pin_conf conf;
	uint32_t *gens;		/* generation of every block, written only by its owner; GR_GEN_BUSY while it writes */
	uint32_t *bad_gen;	/* the generation of a block last reported damaged at rest: reported once */
	uint64_t *seen_ns;	/* when its owner last wrote or verified each block */
	int16_t *seen_node;	/* and the THP's node then */
	uint8_t *scrub_due;	/* THPs migrated since their last scrub: the scrubbers go there first */
	uint32_t *moves;	/* migrations of each THP seen so far (trace or mover) */
	struct gr_scrubber *s;
	struct gr_writer *lw;
	uint64_t at_rest;	/* violations found at rest (included in violations) */
	uint64_t lost_writes;	/* writes that returned and were not there later (included in violations) */
	struct race_thp *rt;
	int *last_node;		/* where the movers last put each THP */
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
};

extern struct gr_opt gr_opt;
extern struct gr_trace gr_tr;
extern struct gr_state gr;
extern const struct opt gr_opts[];
extern const struct profile gr_profiles[];
extern const char *const gr_injects[];

static inline int gr_phase(void)
{
	return __atomic_load_n(&gr.phase, __ATOMIC_ACQUIRE);
}

static inline uint64_t gr_rand(struct gr_worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/*
 * The files from the bottom up: each calls only those above it in this
 * list, and run.c, at the bottom, starts them all.
 */

/* state.c: the run's state, and helpers for every thread */
void gr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gr_add_u64(json_object *o, const char *k, uint64_t v);
int gr_node_of(const void *addr);
int gr_node_resolve(const void *addr);
int gr_nr_movers(void);
json_object *gr_first_failure(void);
int gr_follow(int group, int *bound);
const pthread_attr_t *gr_thread_attr(void);
struct hist *gr_lat_hist(struct gr_stats *s, int kind, int set);
void gr_stats_init(struct gr_stats *s);

/* setup.c: options, the scratch file, the backends */
json_object *gr_select_pins(void);
const char *gr_open_file(char *why, size_t len);
void gr_validate(struct run_ctx *ctx);
void gr_list_pins(void);
const char *gr_driver_name(void);

/* trace.c: the tracer */
void gr_trace_open(void);
void gr_trace_close(void);
json_object *gr_trace_json(void);
void gr_defer(struct gr_worker *w, const struct gr_op *o, bool counted);
void gr_resolve(struct gr_worker *w, bool wait);
long long gr_trace_migrations(size_t thp, uint64_t t0, uint64_t t1, bool *more);

/* A block found not to hold its owner's last generation, though nothing wrote it since. */
struct gr_rest {
	const char *leg, *seen;
	int owner;		/* the pinner; -1: a writer */
	uint64_t op;		/* the owner's operation or write count */
	uint64_t *count;	/* the run's counter of such violations */
};

/* violation.c: violations in transit and at rest */
void gr_violation_add(int worker, const struct gr_op *o, const char *buf, long long bad,
		      size_t len, uint64_t gen, struct gr_violation *v);
void gr_rest_bad(const struct gr_rest *r, size_t blk, uint32_t gen, enum stamp_status st,
		 const char *data);
void gr_at_rest_bad(int owner, size_t blk, uint32_t gen, enum stamp_status st,
		    const char *seen, const char *data);

/* movers.c, pinners.c, scrub.c, writers.c: the threads */
void *gr_walker_main(void *arg);
void *gr_mover_main(void *arg);
int gr_hold_open(char *why, size_t len);
void gr_hold_close(void);
void *gr_hopper_main(void *arg);
void *gr_worker_main(void *arg);
void *gr_scrubber_main(void *arg);
json_object *gr_scrub_json(double race_s);
void *gr_writer_main(void *arg);
json_object *gr_writers_json(double run_s);

/* report.c: the result */
void gr_report(struct run_ctx *ctx, const struct vmstat *v0, const struct vmstat *v1,
	       const struct vmstat *v2, json_object *unav, json_object *knobs);

#endif
