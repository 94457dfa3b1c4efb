/* setup.c - options, their validation, and the run's configuration as the result and the intro show it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "region.h"
#include "util.h"
#include "thp_migrate.h"

/* The names of the page sizes, drivers, CPU choices and vmstat counters, for the result and people. */
const char *const tm_driver_name[TM_DRIVERS] = {
	"move_pages", "mbind", "migrate_pages",
};
const char *const tm_mode_name[TM_MODES] = { "thp", "4k" };
const char *const tm_cpu_name[] = { "src", "dst", "any", NULL };
const char *const tm_counter_name[K_COUNTERS + 1] = {
	"thp_migration_success", "thp_migration_fail", "thp_migration_split",
	"pgmigrate_success", "pgmigrate_fail", "compact_isolated",
	"numa_pages_migrated", NULL,
};
/* The words of --page-size and --driver: index TM_MODES and TM_DRIVERS mean every one. */
static const char *const tm_page_sizes[] = { "thp", "4k", "both", NULL };
static const char *const tm_drivers[] = { "move_pages", "mbind", "migrate_pages", "all", NULL };

struct tm_opt tm_opt;

const struct opt tm_opts[] = {
	{ "size", OPT_SIZE, &tm_opt.size, "128M",
	  "region size, a multiple of the page size (the THP size unless --page-size 4k)",
	  1, 1ull << 50 },
	{ "shared", OPT_BOOL, &tm_opt.shared, NULL,
	  "shared anonymous memory (shmem THP) instead of private" },
	{ "page-size", OPT_ENUM, &tm_opt.page_size, "thp",
	  "thp, 4k (base pages: MADV_NOHUGEPAGE) or both (and their throughput ratio)",
	  .choices = tm_page_sizes },
	{ "driver", OPT_ENUM, &tm_opt.driver, "all", "move_pages, mbind, migrate_pages or all",
	  .choices = tm_drivers },
	{ "batch", OPT_U64, &tm_opt.batch, "0",
	  "pages per move_pages call; 0: the whole region in one call", 0, 1ull << 40 },
	{ "reps", OPT_INT, &tm_opt.reps, "5", "measured moves per ordered node pair and driver",
	  1, 100000 },
	{ "warmup", OPT_INT, &tm_opt.warmup, "1", "moves per pair and driver before measuring",
	  0, 1000 },
	{ "nodes", OPT_STR, &tm_opt.nodes, NULL,
	  "nodes whose ordered pairs are measured, as numactl takes them (0,1 or 0-3) [all memory nodes]" },
	{ "cpu", OPT_ENUM, &tm_opt.cpu, "src",
	  "where the migrating thread runs: src, dst (that node's CPUs) or any",
	  .choices = tm_cpu_name },
	{ "verify-max", OPT_SIZE, &tm_opt.verify_max, "64M",
	  "bytes checked after each move; beyond it pages are sampled, in rotation",
	  4096, 1ull << 50 },
	{ "memcpy-size", OPT_SIZE, &tm_opt.memcpy_size, "64M",
	  "bytes per copy of the cross-node memcpy reference (at most --size)", 4096, 1ull << 50 },
	{ NULL }
};

static size_t tm_page_bytes(enum tm_mode m)
{
	return m == TM_THP ? region_thp_size() : 4096;
}

/* Bad input ends the run here, before any tunable is touched. */
void tm_parse(struct tm_run *t)
{
	char err[256], sz[32];

	t->cpu = tm_opt.cpu;
	t->mode[TM_THP] = tm_opt.page_size != TM_BASE;
	t->mode[TM_BASE] = tm_opt.page_size != TM_THP;
	for (int d = 0; d < TM_DRIVERS; d++)
		t->driver[d] = tm_opt.driver == d || tm_opt.driver == TM_DRIVERS;
	fmt_size(sz, sizeof(sz), tm_opt.size);
	for (int m = 0; m < TM_MODES; m++)
		if (t->mode[m] && tm_opt.size % tm_page_bytes(m))
			usage_error("--size %s is not a multiple of the %s page size (%zu bytes)",
				    sz, tm_mode_name[m], tm_page_bytes(m));
	if (!tm_opt.nodes) {
		t->nr_nodes = t->ctx->topo.nr_nodes;
		memcpy(t->nodes, t->ctx->topo.nodes, sizeof(t->nodes));
	} else {
		t->nr_nodes = topo_parse_nodes(&t->ctx->topo, tm_opt.nodes, t->nodes,
					       TOPO_MAX_NODES, err, sizeof(err));
		if (t->nr_nodes < 0)
			usage_error("--nodes %s", err);
		if (t->nr_nodes < 2)
			usage_error("--nodes %s: a pair needs two nodes", tm_opt.nodes);
	}
	for (int i = 0; i < t->nr_nodes; i++) {
		long long free = topo_node_free(t->nodes[i]);

		if (free >= 0 && tm_opt.size > (uint64_t)free)
			usage_error("--size %s is more than node %d's free memory (%lld MiB)",
				    sz, t->nodes[i], free >> 20);
	}
}

json_object *tm_config_json(const struct tm_run *t)
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
	json_object_object_add(o, "size", json_object_new_int64(tm_opt.size));
	json_object_object_add(o, "shared", json_object_new_boolean(tm_opt.shared));
	json_object_object_add(o, "page_sizes", modes);
	json_object_object_add(o, "drivers", drivers);
	json_object_object_add(o, "batch", json_object_new_int64(tm_opt.batch));
	json_object_object_add(o, "reps", json_object_new_int(tm_opt.reps));
	json_object_object_add(o, "warmup", json_object_new_int(tm_opt.warmup));
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "distance", dist);
	json_object_object_add(o, "cpu", json_object_new_string(tm_cpu_name[t->cpu]));
	json_object_object_add(o, "verify_max", json_object_new_int64(tm_opt.verify_max));
	json_object_object_add(o, "memcpy_size", json_object_new_int64(tm_opt.memcpy_size));
	json_object_object_add(o, "thp_size", json_object_new_int64(region_thp_size()));
	json_object_object_add(o, "thp_enabled",
			       json_object_new_string(region_thp_mode(buf, sizeof(buf))));
	return o;
}

void tm_print_intro(const struct tm_run *t)
{
	char sz[32], mode[32];

	fmt_size(sz, sizeof(sz), tm_opt.size);
	printf("thp-migrate: %s %s region, THP %zu KiB (%s); %d rep(s) after %d warm-up; batch %s; CPU: %s node\n",
	       sz, tm_opt.shared ? "shared" : "private", region_thp_size() >> 10,
	       region_thp_mode(mode, sizeof(mode)), tm_opt.reps, tm_opt.warmup,
	       tm_opt.batch ? "set" : "whole region", tm_cpu_name[t->cpu]);
	if (t->ctx->topo.emulated)
		printf("thp-migrate: timings are emulated (QEMU TCG), not hardware figures\n");
}
