/* report.c - the result: per-backend, mover, walker and autonuma figures, for JSON and people. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gup_race.h"

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
	for (int k = 0; k < PIN_MAX_KINDS - 1; k++)
		for (int set = 0; set < 3; set++)
			hist_merge(&d->lat_more[k][set], &s->lat_more[k][set]);
}


/* At rest: when and on which node the block was last known good, and the migrations since. */
static void gr_at_rest_json(json_object *o, const struct gr_violation *v)
{
	if (!v->at_rest)
		return;
	/* negative: at setup, before the pinning began */
	json_object_object_add(o, "checked_s", v->checked_ns ?
			       json_object_new_double((int64_t)(v->checked_ns - gr.t_start) / 1e9) : NULL);
	json_object_object_add(o, "node_checked", json_object_new_int(v->node_checked));
	json_object_object_add(o, "migrations_since_check", v->migrations >= 0 ?
			       json_object_new_int64(v->migrations) : NULL);
	json_object_object_add(o, "migrations_since_check_at_least",
			       json_object_new_boolean(v->migrations_more));
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
	gr_at_rest_json(o, v);
	return o;
}

/* latency_by_call: each kind of call the backend times, when it tells several apart. */
static void gr_calls_json(json_object *o, const char *const *names, struct gr_stats *s)
{
	static const char *const sets[] = { "baseline", "racing", "in_window" };
	json_object *calls = json_object_new_object();

	if (!names) {
		json_object_put(calls);
		return;
	}
	for (int k = 0; names[k] && k < PIN_MAX_KINDS; k++) {
		json_object *c = json_object_new_object();

		for (int set = 0; set < 3; set++)
			json_object_object_add(c, sets[set], hist_to_json(gr_lat_hist(s, k, set), "ns"));
		json_object_object_add(calls, names[k], c);
	}
	json_object_object_add(o, "latency_by_call", calls);
}

static json_object *gr_pin_json(int b, struct gr_stats *s, double race_s)
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
			       gr_tr.on ? json_object_new_int64(s->win_trace) : NULL);
	json_object_object_add(o, "windows_kernel_migration_only",
			       gr_tr.on ? json_object_new_int64(s->win_trace_only) : NULL);
	gr_add_u64(o, "violations", s->violations);
	gr_add_u64(o, "bad_blocks", s->bad_blocks);
	gr_add_u64(o, "bytes_checked", s->bytes_checked);
	json_object_object_add(lat, "baseline", hist_to_json(&s->lat_base, "ns"));
	json_object_object_add(lat, "racing", hist_to_json(&s->lat_race, "ns"));
	json_object_object_add(lat, "in_window", hist_to_json(&s->lat_window, "ns"));
	json_object_object_add(o, "latency", lat);
	gr_calls_json(o, gr.pins[b]->lat_names, s);
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

/* A backend that times several kinds of call: their latencies, a row each under its own. */
static void gr_print_kinds(const char *const *names, struct gr_stats *s)
{
	for (int k = 0; names && names[k] && k < PIN_MAX_KINDS; k++) {
		char c[3][2][16];

		for (int set = 0; set < 3; set++) {
			gr_us(c[set][0], sizeof(c[set][0]), gr_lat_hist(s, k, set), 50);
			gr_us(c[set][1], sizeof(c[set][1]), gr_lat_hist(s, k, set), 99);
		}
		printf("    %-15s%40s  %7s/%-7s %7s/%-7s %7s/%-7s\n", names[k], "", c[0][0], c[0][1],
		       c[1][0], c[1][1], c[2][0], c[2][1]);
	}
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
		gr_stats_init(&all[b]);
		for (int i = 0; i < gr.nr_threads; i++)
			gr_stats_merge(&all[b], &gr.w[i].st[b]);
		*windows += all[b].windows;
		*ops += all[b].ops;
		gr_print_row(gr.pins[b]->name, &all[b], race_s);
		gr_print_kinds(gr.pins[b]->lat_names, &all[b]);
		json_object_object_add(pins, gr.pins[b]->name, gr_pin_json(b, &all[b], race_s));
	}
	result_metric(ctx->res, "backends", pins);
	free(all);
}

static void gr_report_walkers(struct run_ctx *ctx, double race_s)
{
	uint64_t walks = 0, errors = 0;
	int last_errno = 0;
	json_object *o;

	if (!gr_opt.walkers)
		return;
	o = json_object_new_object();
	for (int i = 0; i < gr_opt.walkers; i++) {
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

void gr_report(struct run_ctx *ctx, const struct vmstat *v0, const struct vmstat *v1,
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
	result_metric(res, "violations_at_rest", json_object_new_int64(gr.at_rest));
	result_metric(res, "violations_lost_write", json_object_new_int64(gr.lost_writes));
	result_metric(res, "scrub", gr_scrub_json(gr.t_end > gr.t_start ? (gr.t_end - gr.t_start) / 1e9 : 0));
	result_metric(res, "lost_writes", gr_writers_json(gr.t_end > gr.t_start ? (gr.t_end - gr.t_start) / 1e9 : 0));
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
