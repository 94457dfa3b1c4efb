/* thp_migrate.h - thp-migrate's own header: its options, a run's state, one direction's figures, and the calls between its files. */
#ifndef MIGRACE_THP_MIGRATE_H
#define MIGRACE_THP_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "region.h"
#include "scenario.h"
#include "stamp.h"
#include "tsc.h"

#define TM_BLOCK		4096	/* stamp block: one per base page */
#define TM_MEMCPY_REPS		5	/* timed copies per pair, the median taken */

enum tm_driver { TM_MOVE_PAGES, TM_MBIND, TM_MIGRATE_PAGES, TM_DRIVERS };
enum tm_mode { TM_THP, TM_BASE, TM_MODES };
enum tm_cpu { TM_CPU_SRC, TM_CPU_DST, TM_CPU_ANY };

/* The kernel's account of one move, as /proc/vmstat deltas. */
enum tm_counter {
	K_THP_SUCCESS, K_THP_FAIL, K_THP_SPLIT, K_PG_SUCCESS, K_PG_FAIL,
	K_COMPACT, K_NUMA, K_COUNTERS,
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
	uint64_t first_bad_off;		/* region offset of the first bad block */
	enum stamp_status first_bad_status;
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

/* The options as given (setup.c holds their table). */
struct tm_opt {
	uint64_t size, batch, verify_max, memcpy_size;
	int reps, warmup, page_size, driver, cpu;
	bool shared;
	const char *nodes;
};

extern struct tm_opt tm_opt;
extern const struct opt tm_opts[];
extern const char *const tm_driver_name[TM_DRIVERS];
extern const char *const tm_mode_name[TM_MODES];
extern const char *const tm_cpu_name[];
extern const char *const tm_counter_name[K_COUNTERS + 1];
extern struct tsc tm_tsc;

/* setup.c: options, their validation, and the run's configuration as reported */
void tm_parse(struct tm_run *t);
json_object *tm_config_json(const struct tm_run *t);
void tm_print_intro(const struct tm_run *t);

/* sweeper.c: the helper process that takes migrace's mm off idle CPUs */
void tm_sweeper_start(void);
void tm_sweeper_stop(void);
void tm_sweep(void);

/* move.c: the three migration calls, timed, and the lists they take */
int tm_run_on(const struct tm_run *t, int src, int dst);
int tm_io_alloc(struct tm_io *io, const struct region *r);
void tm_io_free(struct tm_io *io);
void tm_io_aim(struct tm_io *io, size_t n, int src, int dst);
int tm_move(enum tm_driver drv, const struct region *r, struct tm_io *io,
	    size_t batch, struct tm_call *c);

/* verify.c: before and after a move: where the pages are, the kernel's account, the data */
int tm_outcome(const struct region *r, int *status, int dst, bool thp,
	       struct tm_outcome *o);
int tm_reconcile(struct tm_dir *d, const struct tm_outcome *o, const long long *k,
		 long long sub, enum tm_driver drv, bool thp);
size_t tm_stride(const struct region *r);
void tm_stamp(const struct region *r, size_t first, size_t stride, uint64_t gen);
void tm_check(struct tm_dir *d, const struct region *r, size_t first, size_t stride,
	      uint64_t gen);
void tm_status(struct tm_dir *d, const int *status, size_t n, bool measured);
int tm_precheck(struct tm_run *t, const struct tm_dir *d, enum tm_mode m,
		const struct region *r, int *status);
int tm_lost(struct tm_run *t, const struct tm_dir *d, enum tm_driver drv,
	    const struct tm_outcome *o, const struct region *r);

/* report.c: the result, per direction and in summary, for JSON and people */
void tm_print_header(void);
void tm_report(struct tm_run *t, struct tm_dir *d, enum tm_mode m, enum tm_driver drv,
	       const struct region *r);
void tm_summary(struct tm_run *t);

#endif
