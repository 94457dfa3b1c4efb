/* report.c - the result: every direction, the node-pair matrices, THP against 4k, for JSON and people. */
#include "config.h"

#include <stdio.h>

#include "util.h"
#include "thp_migrate.h"

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

void tm_print_header(void)
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

void tm_report(struct tm_run *t, struct tm_dir *d, enum tm_mode m, enum tm_driver drv,
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

void tm_summary(struct tm_run *t)
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
