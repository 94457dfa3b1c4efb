/* faultlat.h - kernel-side NUMA hinting-fault latency: durations of do_huge_pmd_numa_page and do_numa_page. */
#ifndef MIGRACE_FAULTLAT_H
#define MIGRACE_FAULTLAT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "ftrace.h"
#include "hist.h"

enum faultlat_method {
	FAULTLAT_AUTO,		/* function_graph if free, else kprobes */
	FAULTLAT_GRAPH,		/* tracefs function_graph: durations measured by the kernel */
	FAULTLAT_KPROBE,	/* kprobe + kretprobe events, timestamps paired per task */
	FAULTLAT_OFF,
	FAULTLAT_NR_METHODS
};

/* By method, NULL-terminated: the words of an OPT_ENUM option. */
extern const char *const faultlat_method_names[FAULTLAT_NR_METHODS + 1];

enum faultlat_func { FAULTLAT_PMD, FAULTLAT_PTE, FAULTLAT_NR_FUNCS };

#define FAULTLAT_OPEN	64	/* faults in flight at once */

/* Whether a task id is one whose faults count (the scenario's workers). */
typedef bool (*faultlat_match_fn)(int tid, void *arg);

struct faultlat_open {
	int pid;		/* 0: free */
	int func;
	uint64_t t0;
	bool migrated, mig_failed;
};

struct faultlat {
	enum faultlat_method method;	/* the one in use, or OFF */
	char why[512];			/* why there is no kernel-side measurement */
	char func_why[FAULTLAT_NR_FUNCS][160];	/* "" when the function is traced */
	char tracefs[FTRACE_PATH], dir[FTRACE_PATH];	/* dir: the instance, or tracefs */
	char clock[16];
	char group[64];			/* kprobe event group */
	long kprobe_misses;
	double ns_per_tick;		/* trace timestamps to ns */
	uint64_t resolution_ns;
	faultlat_match_fn ours;
	void *arg;
	pthread_t reader;
	bool reader_started;
	volatile int stop;
	struct ftrace_pipe pipe;
	struct faultlat_open open[FAULTLAT_OPEN];

	uint64_t faults;		/* ours, paired; read while running */
	uint64_t migrated, mig_failed, foreign, unpaired, lost, outside;
	struct hist all, mig, not_mig, func[FAULTLAT_NR_FUNCS];
};

extern const char *const faultlat_func_names[FAULTLAT_NR_FUNCS];

int faultlat_start(struct faultlat *f, enum faultlat_method m, double tsc_ns_per_tick,
		   faultlat_match_fn ours, void *arg);
void faultlat_stop(struct faultlat *f);
uint64_t faultlat_count(const struct faultlat *f);
json_object *faultlat_to_json(const struct faultlat *f);
void faultlat_line(const char *line, void *arg);

#endif
