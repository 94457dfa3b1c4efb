/* run.c - scenario thp-migrate: explicit THP migration throughput and latency for every node pair. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membw.h"
#include "settings.h"
#include "util.h"
#include "vmstat.h"
#include "thp_migrate.h"

static int tm_flags(enum tm_mode m)
{
	return (tm_opt.shared ? REGION_SHARED : 0) | (m == TM_BASE ? REGION_BASE_PAGES : 0);
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

/* The copy ceiling for every ordered pair, from the CPU the moves will use. */
static int tm_memcpy_reference(struct tm_run *t)
{
	int flags = t->mode[TM_THP] ? 0 : REGION_BASE_PAGES;
	size_t page = flags & REGION_BASE_PAGES ? 4096 : region_thp_size();
	size_t len = MIN(tm_opt.memcpy_size, tm_opt.size) / page * page;
	struct membw m;

	if (!len) {
		flags = REGION_BASE_PAGES;
		len = MIN(tm_opt.memcpy_size, tm_opt.size) / 4096 * 4096;
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

/* Pages a move changed: for the known-issue catalogue, the first in gup-race's shape. */
static void tm_violation(struct tm_run *t, const struct tm_dir *d, enum tm_driver drv, uint64_t bad)
{
	char seen[64];

	snprintf(seen, sizeof(seen), "mapping, after %s", tm_driver_name[drv]);
	result_violation(t->ctx->res, bad, &(struct result_violation){
		.leg = "at-rest", .seen = seen,
		.status = stamp_status_name(d->first_bad_status), .region_off = d->first_bad_off,
		.node_before = d->src, .node_after = d->dst });
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
	uint64_t bad0;
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
		tm_status(d, io->status, r->nr_pages, round >= tm_opt.warmup);
	bad0 = d->bad;
	tm_check(d, r, first, stride, t->gen);
	if (d->bad > bad0)
		tm_violation(t, d, drv, d->bad - bad0);
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
	if (round >= tm_opt.warmup)
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

	if (!d || !(d->round_gbps = calloc(tm_opt.reps, sizeof(*d->round_gbps))))
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

	ret = region_alloc(&r, tm_opt.size, tm_flags(m), t->nodes[i]);
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
	for (int round = 0; round < tm_opt.warmup + tm_opt.reps && !migrace_stop; round++) {
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

static void tm_pairs(struct tm_run *t, enum tm_mode m, enum tm_driver drv)
{
	for (int i = 0; i < t->nr_nodes; i++)
		for (int j = i + 1; j < t->nr_nodes; j++)
			if (t->mode[m] && t->driver[drv] && !t->stop && !migrace_stop)
				tm_pair(t, m, drv, i, j);
}

/* One run: its options, set by tm_validate(), and what it measured. */
static struct tm_run tm_state;

/* Base pages alone need no THP; shared THPs need shmem THP. */
static void tm_validate(struct run_ctx *ctx, struct needs *needs)
{
	struct tm_run *t = &tm_state;

	t->ctx = ctx;
	tm_parse(t);
	t->batch = tm_opt.batch ? tm_opt.batch : SIZE_MAX;
	if (!t->mode[TM_THP])
		needs->what &= ~NEED_THP;
	else if (tm_opt.shared)
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
