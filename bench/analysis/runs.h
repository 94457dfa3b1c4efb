/* runs.h - run directories written by runners/run, read back: results per scenario, metrics flattened. */
#ifndef MIGRACE_RUNS_H
#define MIGRACE_RUNS_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>

#define RUNS_MAX	8	/* runs compared at once */
#define RUNS_MAX_SCN	16	/* scenarios in a run */
#define RUNS_MAX_REPS	64	/* measured repetitions of a scenario */

struct run_scn {
	char name[32];
	json_object *reps[RUNS_MAX_REPS];	/* measured, not skipped: index is rep - 1 order */
	int nreps;
	int skipped;				/* repetitions that were skipped */
	int failed;				/* repetitions whose verdict is fail */
};

struct run {
	char dir[PATH_MAX];
	char label[160];	/* <kernel-release>[-<label>], unique among the runs loaded */
	char status[32];	/* STATUS: complete, failed, incomplete, or "unknown" */
	json_object *prov;	/* provenance.json, else the first result's provenance */
	struct run_scn scn[RUNS_MAX_SCN];
	int nscn;
};

/* One number of a repetition's metrics: its flattened name, unit when known. */
struct run_value {
	char name[192];
	const char *unit;
	double v;
};

typedef void (*run_value_fn)(const struct run_value *val, void *arg);
typedef void (*run_node_fn)(const char *name, json_object *o, void *arg);

void runs_load(struct run *runs, int nruns, char **dirs);
void runs_check_same_scenarios(const struct run *runs, int nruns);
const struct run_scn *runs_scenario(const struct run *r, const char *name);
void runs_flatten(json_object *metrics, run_value_fn fn, void *arg);
void runs_walk_nodes(json_object *metrics, run_node_fn fn, void *arg);
bool runs_is_hist(json_object *o);
const char *runs_unit_of(const char *name);
const char *runs_time_key(json_object *o);
void runs_elem_name(json_object *e, size_t i, char *buf, size_t len);
const char *runs_prov_str(const struct run *r, const char *key);
void runs_free(struct run *runs, int nruns);

#endif
