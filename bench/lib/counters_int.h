/* counters_int.h - what counters.c shares with its perf and PAPI halves; scenarios use counters.h. */
#ifndef MIGRACE_COUNTERS_INT_H
#define MIGRACE_COUNTERS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "counters.h"

#define CTR_MAX		64
#define CTR_NAME	96
#define CTR_WHY		384

enum ctr_src {
	CTR_PAPI,	/* hardware (or PAPI native) events through PAPI */
	CTR_SOFTWARE,	/* perf software events */
	CTR_TRACEPOINT,	/* perf tracepoint hit counts */
	CTR_DERIVED,	/* sums of a tracepoint's fields, from the migration sampler */
	CTR_KPROBE,	/* perf kprobe hit counts (kprobe:function) */
};

struct ctr {
	char name[CTR_NAME];
	enum ctr_src src;
	const char *unit;
	char why[CTR_WHY];	/* "" while it counts */
	const char *mode;	/* privilege levels counted: "user+kernel" or "user" */
	bool scaled;		/* multiplexed: value extrapolated by perf */
	int nr_fd;		/* perf: one fd, or one per CPU in system scope */
	int *fd;
	int field;		/* derived: index into the migration sampler's fields */
	uint64_t now;		/* value at the last read */
};

/* What the reasons for a counter that does not count depend on. */
struct ctr_env {
	int paranoid;		/* kernel.perf_event_paranoid */
	bool privileged;	/* root, CAP_PERFMON or CAP_SYS_ADMIN */
	bool system;		/* --count-scope system */
	bool pmu;		/* a CPU PMU is registered with perf */
	char pmu_why[160];	/* why not */
};

extern struct ctr_env ctr_env;

/* counters_perf.c: perf_event_open, tracefs and the tracepoint sampler. */
void ctr_perf_software(struct ctr *c, uint64_t config, bool user_ok);
void ctr_perf_tracepoint(struct ctr *c);
void ctr_perf_kprobe(struct ctr *c);
void ctr_perf_read(struct ctr *c);
void ctr_perf_close(struct ctr *c);
void ctr_tracefs_get(void);
void ctr_tracefs_put(void);
int ctr_tp_field_why(const char *tp, const char *field, char *why, size_t len);
int ctr_sample_wait(struct counters_sampler *s, int stop_fd, int timeout_ms);

/* counters_papi.c: one event set per PAPI component, started once, read at phase edges. */
json_object *ctr_papi_init(void);
const char *ctr_papi_default_native(void);
void ctr_papi_start(struct ctr *ctrs, int n);
void ctr_papi_read(struct ctr *ctrs, int n);
void ctr_papi_stop(void);

#endif
