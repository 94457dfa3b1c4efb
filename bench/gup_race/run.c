/* run.c - scenario gup-race: pins, gup and direct I/O racing THP migration, every byte checked. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gup_race.h"
#include "settings.h"

/* ---- tunables ---- */

static void gr_knob(json_object *set, enum setting s, long long v)
{
	char path[SETTINGS_PATH];

	if (settings_set(s, v)) {
		settings_path(s, path, sizeof(path));
		msg("cannot set %s to %lld (not root? not on this kernel?)",
		    path[0] ? path : settings_name(s), v);
	} else {
		json_object_object_add(set, settings_name(s), json_object_new_int64(v));
	}
}

/* NUMA balancing off for the baseline and the move driver alone; on, scanning fast, for autonuma. */
static bool gr_numa_balancing(json_object *set, bool on)
{
	long long cur = settings_get(SET_NUMA_BALANCING);

	if (cur < 0)
		return !on;
	if (!on) {
		if (cur)
			gr_knob(set, SET_NUMA_BALANCING, 0);
		return true;
	}
	gr_knob(set, SET_NUMA_BALANCING, 1);
	gr_knob(set, SET_NB_SCAN_DELAY_MS, gr_opt.scan_ms);
	gr_knob(set, SET_NB_SCAN_PERIOD_MIN_MS, gr_opt.scan_ms);
	gr_knob(set, SET_NB_SCAN_PERIOD_MAX_MS, gr_opt.scan_ms);
	/* Smaller sizes allow shorter periods (at most 2560 MB/s), but may not reach the region in one pass. */
	if (gr_opt.scan_mb)
		gr_knob(set, SET_NB_SCAN_SIZE_MB, gr_opt.scan_mb);
	return settings_get(SET_NUMA_BALANCING) > 0;
}

/* ---- phases ---- */

static void gr_set_phase(int phase)
{
	__atomic_store_n(&gr.phase, phase, __ATOMIC_RELEASE);
}

/* Sleeps while the threads race, reading the kernel log every 0.2 s. */
static bool gr_sleep(double seconds)
{
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);

	for (int i = 1; now_ns() < end && !migrace_stop && !gr.error[0]; i++) {
		usleep(MIN(20000, (end - now_ns()) / 1000 + 1));
		if (!(i % 10))
			klog_poll(&gr.ctx->klog);
	}
	return !migrace_stop && !gr.error[0];
}

static int gr_start_threads(void)
{
	sigset_t all, old;
	int ret = 0;

	/* Signals go to this thread, which tells the others to wind down. */
	sigemptyset(&all);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_barrier_init(&gr.ready, NULL, gr.nr_threads + gr_opt.writers + 1);
	for (int i = 0; i < gr.nr_threads && !ret; i++) {
		gr.w[i].idx = i;
		gr.w[i].cur_thp = -1;
		gr.w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		ret = pthread_create(&gr.w[i].tid, gr_thread_attr(), gr_worker_main, &gr.w[i]);
	}
	for (int i = 0; i < gr_opt.writers && !ret; i++) {
		gr.lw[i].idx = i;
		ret = pthread_create(&gr.lw[i].tid, gr_thread_attr(), gr_writer_main, &gr.lw[i]);
	}
	for (int i = 0; i < gr.nr_hoppers && !ret; i++) {
		gr.h[i].idx = i;
		ret = pthread_create(&gr.h[i].tid, gr_thread_attr(), gr_hopper_main, &gr.h[i]);
	}
	for (int i = 0; i < gr_nr_movers() && !ret; i++) {
		gr.m[i].idx = i;
		ret = pthread_create(&gr.m[i].tid, gr_thread_attr(), gr_mover_main, &gr.m[i]);
	}
	for (int i = 0; i < gr_opt.walkers && !ret; i++)
		ret = pthread_create(&gr.k[i].tid, gr_thread_attr(), gr_walker_main, &gr.k[i]);
	for (int i = 0; i < gr_opt.scrub && !ret; i++) {
		gr.s[i].idx = i;
		ret = pthread_create(&gr.s[i].tid, gr_thread_attr(), gr_scrubber_main, &gr.s[i]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		msg("pthread_create: %s", strerror(ret));
		abort();	/* threads already waiting on the barrier cannot be unwound */
	}
	pthread_barrier_wait(&gr.ready);
	return 0;
}

/*
 * A thread that makes no progress for --hang-timeout seconds is a finding:
 * named, with its kernel stack. It first gets a few seconds to end once the
 * others have: a niced thread (a scrubber) starved of CPU by the race, in
 * an oversubscribed emulated machine, is slow, not hung.
 */
#define GR_JOIN_GRACE_S	5

static bool gr_join_watch(pthread_t t, pid_t tid, const char *who, const char *step,
			  const uint64_t *since, json_object *hung)
{
	uint64_t joining = now_ns();

	for (;;) {
		struct timespec ts;
		json_object *o;
		char stack[2048], path[64];
		uint64_t t0, t1;
		double idle;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(t, NULL, &ts))
			return true;
		/* since first: a step that begins after now_ns() would wrap the difference */
		t0 = __atomic_load_n(since, __ATOMIC_RELAXED);
		t1 = now_ns();
		idle = t1 > t0 ? (t1 - t0) / 1e9 : 0;
		if (idle < gr_opt.hang_s || t1 - joining < GR_JOIN_GRACE_S * 1000000000ull)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)tid);
		if (read_text(path, stack, sizeof(stack)) < 0)
			snprintf(stack, sizeof(stack), "unreadable (not root?)");
		o = json_object_new_object();
		json_object_object_add(o, "thread", json_object_new_string(who));
		json_object_object_add(o, "step", step ? json_object_new_string(step) : NULL);
		json_object_object_add(o, "seconds", json_object_new_double(idle));
		json_object_object_add(o, "kernel_stack", json_object_new_string(stack));
		json_object_array_add(hung, o);
		gr_error("%s hung for %.0f s%s%s", who, idle, step ? " in " : "", step ?: "");
		printf("gup-race: %s hung for %.0f s in %s; kernel stack:\n%s\n", who, idle,
		       step ?: "?", stack);
		return false;
	}
}

/* Returns the number of threads that did not end. */
static int gr_join(json_object *hung)
{
	uint64_t stop = now_ns();
	char who[96];
	int lost = 0;

	gr_set_phase(GR_STOP);
	/* Walkers first: a write-protect walker's writers wait on it until walk_close(). */
	for (int i = 0; i < gr_opt.walkers; i++) {
		snprintf(who, sizeof(who), "walker %d (%s)", i, walk_name(gr.walk.kind));
		lost += !gr_join_watch(gr.k[i].tid, gr.k[i].tid_os, who, walk_name(gr.walk.kind),
				       &gr.k[i].since, hung);
	}
	if (gr_opt.walkers)
		walk_close(&gr.walk);
	for (int i = 0; i < gr.nr_threads; i++) {
		struct gr_worker *w = &gr.w[i];
		const char *step = __atomic_load_n(&w->step, __ATOMIC_ACQUIRE);

		snprintf(who, sizeof(who), "worker %d (%s)", i,
			 w->ready ? gr.pins[w->cur_b]->name : "setting up");
		lost += !gr_join_watch(w->tid, w->tid_os, who, step, &w->step_since, hung);
	}
	for (int i = 0; i < gr_opt.writers; i++) {
		snprintf(who, sizeof(who), "lost-write writer %d", i);
		lost += !gr_join_watch(gr.lw[i].tid, gr.lw[i].tid_os, who, "writing its THP",
				       &gr.lw[i].since, hung);
	}
	for (int i = 0; i < gr_nr_movers(); i++) {
		snprintf(who, sizeof(who), "mover %d (move_pages)", i);
		lost += !gr_join_watch(gr.m[i].tid, gr.m[i].tid_os, who, "move_pages",
				       &gr.m[i].since, hung);
	}
	for (int i = 0; i < gr.nr_hoppers; i++) {
		snprintf(who, sizeof(who), "hopper %d", i);
		lost += !gr_join_watch(gr.h[i].tid, gr.h[i].tid_os, who, "touching", &stop, hung);
	}
	for (int i = 0; i < gr_opt.scrub; i++) {
		snprintf(who, sizeof(who), "scrubber %d", i);
		lost += !gr_join_watch(gr.s[i].tid, gr.s[i].tid_os, who, "scrubbing a THP",
				       &gr.s[i].since, hung);
	}
	return lost;
}

/* ---- run ---- */

/* The threads' state, and the per-block and per-THP bookkeeping. */
static int gr_alloc(struct run_ctx *ctx)
{
	size_t nr_blocks = gr.r.size / gr.bs;

	gr.gens = calloc(nr_blocks, sizeof(*gr.gens));
	gr.bad_gen = calloc(nr_blocks, sizeof(*gr.bad_gen));
	gr.seen_ns = calloc(nr_blocks, sizeof(*gr.seen_ns));
	gr.seen_node = calloc(nr_blocks, sizeof(*gr.seen_node));
	gr.scrub_due = calloc(gr.nr_thp, sizeof(*gr.scrub_due));
	gr.moves = calloc(gr.nr_thp, sizeof(*gr.moves));
	gr.rt = calloc(gr.nr_thp, sizeof(*gr.rt));
	gr.last_node = calloc(gr.nr_thp, sizeof(*gr.last_node));
	gr.w = calloc(gr.nr_threads, sizeof(*gr.w));
	gr.m = calloc(gr_opt.movers, sizeof(*gr.m));
	gr.k = calloc(MAX(gr_opt.walkers, 1), sizeof(*gr.k));
	gr.s = calloc(MAX(gr_opt.scrub, 1), sizeof(*gr.s));
	gr.lw = calloc(MAX(gr_opt.writers, 1), sizeof(*gr.lw));
	if (!gr.gens || !gr.bad_gen || !gr.seen_ns || !gr.seen_node || !gr.scrub_due ||
	    !gr.moves || !gr.rt || !gr.last_node || !gr.w || !gr.m || !gr.k || !gr.s || !gr.lw)
		return -ENOMEM;
	for (int i = 0; i < gr_opt.scrub; i++)
		if (!(gr.s[i].copy = malloc(gr.bs)))
			return -ENOMEM;
	for (int k = 0; k < gr.nr_thp; k++)
		gr.last_node[k] = ctx->topo.nodes[0];	/* where region_alloc faults it in */
	for (int i = 0; i < gr.nr_threads; i++) {
		for (int b = 0; b < GR_MAX_PINS; b++)
			gr_stats_init(&gr.w[i].st[b]);
		if (gr.inject && !(gr.w[i].shadow = aligned_alloc(GR_ALIGN, gr.r.thp_size)))
			return -ENOMEM;
	}
	for (int i = 0; i < gr_opt.movers; i++) {
		hist_init(&gr.m[i].lat_moved);
		hist_init(&gr.m[i].lat_refused);
	}
	gr.nr_cpu_nodes = topo_cpu_nodes(&ctx->topo, NULL, gr.cpu_nodes);
	if ((gr.driver & GR_AUTONUMA) && gr.nr_cpu_nodes >= 2)
		gr.nr_hoppers = gr.groups;
	gr.h = calloc(MAX(gr.nr_hoppers, 1), sizeof(*gr.h));
	return gr.h ? 0 : -ENOMEM;
}

/*
 * NUMA balancing's scanner walks every VMA of the process with a budget
 * per pass; the hinting faults and migrations of migrace's own stacks,
 * buffers and heap cost time and slow the passes over the region. The
 * region gets a policy that keeps NUMA balancing on it (MPOL_BIND over
 * every memory node with MPOL_F_NUMA_BALANCING: a THP is still moved to
 * the node of the CPU that faults, after the same two-fault filter) and
 * the threads a local policy, without which the scanner skips a VMA.
 */
static void gr_autonuma_scope(struct run_ctx *ctx)
{
	struct bitmask *mems = numa_get_mems_allowed();
	const char *scope = "region";
	char why[160];

	if (gr_opt.scan_scope == GR_SCOPE_PROCESS) {
		scope = "process: --scan-scope process";
	} else if (mbind(gr.r.addr, gr.r.size, MPOL_BIND | MPOL_F_NUMA_BALANCING, mems->maskp,
		  mems->size + 1, 0)) {
		snprintf(why, sizeof(why), "process: mbind(MPOL_F_NUMA_BALANCING): %s", strerror(errno));
		scope = why;
	} else if (set_mempolicy(MPOL_LOCAL, NULL, 0)) {
		snprintf(why, sizeof(why), "process: set_mempolicy(MPOL_LOCAL): %s", strerror(errno));
		scope = why;
	}
	numa_bitmask_free(mems);
	result_metric(ctx->res, "autonuma_scan_scope", json_object_new_string(scope));
}

static int gr_prepare(struct run_ctx *ctx)
{
	char mode[32], why[256];
	int ret, pmd;

	region_thp_mode(mode, sizeof(mode));
	ret = region_alloc(&gr.r, (size_t)gr.nr_thp * region_thp_size(), 0, ctx->topo.nodes[0]);
	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot allocate a THP region: %s", strerror(-ret));
		return -1;
	}
	/* The pvm helpers are forked: sharing the region copy-on-write would split its THPs. */
	madvise(gr.r.addr, gr.r.size, MADV_DONTFORK);
	pmd = region_count_pmd_mapped(&gr.r);
	result_metric(ctx->res, "thp_pmd_mapped_start", json_object_new_int(pmd));
	if (pmd != gr.nr_thp) {
		result_verdict(ctx->res, VERDICT_FAIL, "only %d of %d THPs PMD-mapped after fault-in (THP %s)",
			       pmd, gr.nr_thp, mode);
		return -1;
	}
	if (gr_alloc(ctx)) {
		result_verdict(ctx->res, VERDICT_FAIL, "out of memory for %d THPs", gr.nr_thp);
		return -1;
	}
	if (gr_opt.walkers && walk_open(&gr.walk, gr_opt.walk, gr.r.addr, gr.r.size, why, sizeof(why))) {
		result_verdict(ctx->res, VERDICT_SKIP, "--walk %s cannot walk here: %s", walk_name(gr_opt.walk), why);
		return -1;
	}
	if (gr_hold_open(why, sizeof(why))) {
		result_verdict(ctx->res, VERDICT_FAIL, "--hold %d: %s", gr.nr_hold, why);
		return -1;
	}
	if (gr.nr_hoppers)
		gr_autonuma_scope(ctx);
	return 0;
}

static void gr_params(struct run_ctx *ctx)
{
	struct result *res = ctx->res;

	result_metric(res, "driver", json_object_new_string(gr_driver_name()));
	result_metric(res, "threads", json_object_new_int(gr.nr_threads));
	result_metric(res, "movers", json_object_new_int(gr_nr_movers()));
	result_metric(res, "move_batch", json_object_new_int(gr_opt.move_batch));
	result_metric(res, "walkers", json_object_new_int(gr_opt.walkers));
	result_metric(res, "held_thps", json_object_new_int(gr.nr_hold));
	result_metric(res, "scrubbers", json_object_new_int(gr_opt.scrub));
	result_metric(res, "lost_write_writers", json_object_new_int(gr_opt.writers));
	result_metric(res, "size", json_object_new_int64(gr.r.size));
	result_metric(res, "thp_size", json_object_new_int64(gr.r.thp_size));
	result_metric(res, "thp_count", json_object_new_int(gr.nr_thp));
	result_metric(res, "block", json_object_new_int64(gr.bs));
	result_metric(res, "xfer", json_object_new_int64(gr.xfer));
	result_metric(res, "rounds", json_object_new_int(gr_opt.rounds));
	result_metric(res, "duration_s", json_object_new_double(gr_opt.duration));
	result_metric(res, "baseline_s", json_object_new_double(gr_opt.baseline));
	result_metric(res, "inject", gr_opt.inject ? json_object_new_string(gr_injects[gr_opt.inject]) : NULL);
	{
		char base[32];

		snprintf(base, sizeof(base), "%#lx", (unsigned long)gr.r.addr);
		result_metric(res, "region_base", json_object_new_string(base));
	}
	printf("gup-race: %d THPs of %zu KiB (all PMD-mapped), %d pinner thread(s), %d scrubber(s), %d lost-write writer(s), driver %s, %d memory node(s), %.1f s (+%.1f s baseline)\n",
	       gr.nr_thp, gr.r.thp_size >> 10, gr.nr_threads, gr_opt.scrub, gr_opt.writers, gr_driver_name(),
	       ctx->topo.nr_nodes, gr_opt.duration, gr_opt.baseline);
}

/* NUMA balancing that could not be turned on is a skip; the pins and checks still ran. */
static void gr_check_machine(struct run_ctx *ctx, bool autonuma_ok)
{
	if (ctx->topo.nr_nodes >= 2 && gr.nr_cpu_nodes >= 2 && (gr.driver & GR_AUTONUMA) && !autonuma_ok)
		result_verdict(ctx->res, VERDICT_SKIP, "NUMA balancing is off and cannot be turned on (not root?)");
}

static void gr_verdict(struct run_ctx *ctx)
{
	const struct gr_violation *v = &gr.first;

	if (gr.violations)
		result_verdict(ctx->res, VERDICT_FAIL, "%llu violation(s); first: %s %s at %#lx (THP %zu, node %d -> %d): %s",
			       (unsigned long long)gr.violations, v->backend, v->leg,
			       (unsigned long)v->addr, v->thp, v->node_before, v->node_after,
			       stamp_status_name(v->status));
	if (gr.error[0])
		result_verdict(ctx->res, VERDICT_FAIL, "%s", gr.error);
	if (migrace_stop)
		result_verdict(ctx->res, VERDICT_SKIP, "interrupted by a signal");
}

/* Baseline, then the race; returns how many threads did not end (hung). */
static int gr_phases(struct run_ctx *ctx, struct vmstat v[3], json_object *knobs,
		     json_object *hung, bool *autonuma_ok)
{
	int lost;

	gr_numa_balancing(knobs, false);
	vmstat_read(&v[0]);
	gr_trace_open();
	gr_start_threads();
	gr.t_start = now_ns();
	gr_set_phase(GR_BASELINE);
	if (gr_sleep(gr_opt.baseline)) {
		vmstat_read(&v[1]);
		if (ctx->topo.nr_nodes >= 2 && (gr.driver & GR_AUTONUMA))
			*autonuma_ok = gr_numa_balancing(knobs, true);
		gr.t_race = now_ns();
		gr_set_phase(GR_RACE);
		gr_sleep(gr_opt.duration);
	} else {
		vmstat_read(&v[1]);
	}
	gr.t_end = now_ns();
	vmstat_read(&v[2]);
	lost = gr_join(hung);
	gr_hold_close();
	gr_trace_close();
	settings_restore();	/* before the report: the machine is back as it was */
	return lost;
}

/* Mounts (if any) happen now, while the process has one thread: backends may start more. */
static void gr_find_tunables(struct run_ctx *ctx)
{
	char why[256];

	if (ctx->topo.nr_nodes >= 2 && (gr.driver & GR_AUTONUMA) && settings_find(why, sizeof(why)))
		msg("NUMA balancing scan tunables: %s", why);
}

/*
 * Options and the file (--pin list needs it to say what runs here); what
 * migrates nothing needs no nodes to migrate between, and NUMA balancing
 * only for the autonuma driver.
 */
static void gr_options(struct run_ctx *ctx, struct needs *needs)
{
	char why[256];
	const char *nofile;

	gr.ctx = ctx;
	gr.conf.fd = -1;
	pthread_mutex_init(&gr.vlock, NULL);
	gr_validate(ctx);
	nofile = gr_open_file(why, sizeof(why));
	if (!strcmp(gr_opt.pin, "list"))
		gr_list_pins();
	if (nofile)
		result_metric(ctx->res, "file_unavailable", json_object_new_string(nofile));
	gr.conf.max_len = gr.xfer;
	if (!(gr.driver & GR_AUTONUMA))
		needs->what &= ~(NEED_CPU_NODES | NEED_NUMA_BALANCING);
}

static int gr_run(struct run_ctx *ctx)
{
	struct vmstat v[3];
	json_object *unav, *knobs, *hung;
	bool autonuma_ok = true;
	int lost;

	gr_find_tunables(ctx);
	unav = gr_select_pins();
	if (!gr.nr_pins || gr_prepare(ctx)) {
		if (!gr.nr_pins)
			result_verdict(ctx->res, VERDICT_SKIP, "no pinning backend available here");
		result_metric(ctx->res, "backends_unavailable", unav);
		goto out;
	}
	gr_params(ctx);
	knobs = json_object_new_object();
	hung = json_object_new_array();
	lost = gr_phases(ctx, v, knobs, hung, &autonuma_ok);
	result_metric(ctx->res, "hung_threads", hung);
	gr_check_machine(ctx, autonuma_ok);
	gr_report(ctx, &v[0], &v[1], &v[2], unav, knobs);
	gr_verdict(ctx);
	if (lost)
		return 0;	/* hung threads may still use the region: the exit takes it */
out:
	gr_hold_close();
	set_mempolicy(MPOL_DEFAULT, NULL, 0);
	region_free(&gr.r);
	if (gr.conf.fd >= 0)
		close(gr.conf.fd);
	return 0;
}

const struct scenario scenario_gup_race = {
	.name = "gup-race",
	.desc = "pins, gup and direct I/O racing THP migration, every byte checked both ways",
	.opts = gr_opts,
	.more_opts = pin_options,
	.profiles = gr_profiles,
	.needs = {
		.what = NEED_THP | NEED_NODES | NEED_CPU_NODES | NEED_NUMA_BALANCING,
		/* The pins and their checks run anywhere; what is missing migrates nothing. */
		.partial = NEED_NODES | NEED_CPU_NODES | NEED_NUMA_BALANCING,
		.nodes = 2,
		.cpu_nodes = 2,
		.cpu_nodes_for = "autonuma (hopping between them)",
		.measured = "pins and checks still run",
	},
	.validate = gr_options,
	.run = gr_run,
};
