/* run.c - scenario numa-fault: AutoNUMA hinting-fault latency and convergence on THP regions. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "numa_fault.h"
#include "settings.h"
#include "stamp.h"

#define NF_BLOCK	4096	/* stamped block: one base page */

struct nf_tunable {
	enum setting id;
	int *want;			/* -1: leave as it is */
	char path[SETTINGS_PATH];
	char before[64];
	int err;			/* why it cannot be read */
};

static struct nf_tunable nf_tunables[] = {
	{ SET_NB_SCAN_DELAY_MS, &nf_opt.scan_delay },
	{ SET_NB_SCAN_PERIOD_MIN_MS, &nf_opt.scan_min },
	{ SET_NB_SCAN_PERIOD_MAX_MS, &nf_opt.scan_max },
	{ SET_NB_SCAN_SIZE_MB, &nf_opt.scan_size },
};

/* The scan tunables, on either layout (their file system mounted privately if need be). */
static int nf_tunables_find(char *why, size_t len)
{
	if (settings_find(why, len))
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(nf_tunables); i++) {
		struct nf_tunable *t = &nf_tunables[i];

		settings_path(t->id, t->path, sizeof(t->path));
		t->err = settings_text(t->id, t->before, sizeof(t->before));
		if (t->err)
			t->before[0] = '\0';
	}
	return 0;
}

/* Balancing off (placement and calibration first), the scan tunables asked for. */
static int nf_tunables_set(struct run_ctx *ctx, char *before)
{
	char path[SETTINGS_PATH];
	int ret;

	settings_text(SET_NUMA_BALANCING, before, 16);
	ret = settings_set(SET_NUMA_BALANCING, 0);
	if (ret) {
		settings_path(SET_NUMA_BALANCING, path, sizeof(path));
		result_verdict(ctx->res, VERDICT_SKIP, "cannot set %s: %s", path, strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < ARRAY_SIZE(nf_tunables); i++) {
		struct nf_tunable *t = &nf_tunables[i];

		if (*t->want < 0)
			continue;
		ret = t->before[0] ? settings_set(t->id, *t->want) : t->err ? t->err : -ENOENT;
		if (ret) {
			result_verdict(ctx->res, VERDICT_SKIP, "cannot set NUMA balancing %s to %d (%s): %s",
				       settings_name(t->id), *t->want,
				       t->path[0] ? t->path : "no such tunable", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static json_object *nf_tunables_json(const char *bal_before)
{
	json_object *o = json_object_new_object(), *b = json_object_new_object();
	char now[64], path[SETTINGS_PATH];

	settings_path(SET_NUMA_BALANCING, path, sizeof(path));
	json_object_object_add(b, "path", json_object_new_string(path));
	json_object_object_add(b, "before", json_object_new_string(bal_before));
	if (bal_before[0] && !settings_text(SET_NUMA_BALANCING, now, sizeof(now)))
		json_object_object_add(b, "run", json_object_new_string(now));
	json_object_object_add(o, "numa_balancing", b);
	for (size_t i = 0; i < ARRAY_SIZE(nf_tunables); i++) {
		struct nf_tunable *t = &nf_tunables[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "path", json_object_new_string(t->path));
		if (!t->before[0]) {
			json_object_object_add(x, "unavailable_because", json_object_new_string(
				t->err ? strerror(-t->err) : "not found"));
		} else {
			nf_put(x, "before", atoll(t->before));
			if (!settings_text(t->id, now, sizeof(now)))
				nf_put(x, "run", atoll(now));
			json_object_object_add(x, "set_by_migrace", json_object_new_boolean(*t->want >= 0));
		}
		json_object_object_add(o, settings_name(t->id), x);
	}
	return o;
}

/*
 * The workers only read the region: every block is stamped once before
 * anything moves it and must hold that stamp when balancing is over. A
 * migration that loses or tears data at rest fails the run.
 */
static void nf_contents_stamp(struct region *r)
{
	stamp_write_range(r->addr, r->size, NF_BLOCK, 0, 1);
}

/* Where nf_region() put page i before balancing. */
static int nf_start_node(const struct topo *t, size_t i)
{
	if (nf_p.layout != NF_INTERLEAVED || t->nr_nodes < 2)
		return nf_p.home;
	return t->nodes[i % t->nr_nodes];
}

static void nf_contents_check(struct run_ctx *ctx, const struct region *r)
{
	json_object *o = json_object_new_object(), *f = NULL;
	enum stamp_status st, first = STAMP_OK;
	size_t bad = 0, at = 0;

	for (size_t off = 0; off + NF_BLOCK <= r->size; off += NF_BLOCK) {
		st = stamp_check(r->addr + off, NF_BLOCK, off, 1);
		if (st != STAMP_OK && !bad++) {
			first = st;
			at = off;
		}
	}
	json_object_object_add(o, "checked_bytes", json_object_new_int64(r->size));
	json_object_object_add(o, "bad_blocks", json_object_new_int64(bad));
	if (bad) {
		void *a = r->addr + at;
		int node = -1;

		move_pages(0, 1, &a, NULL, &node, 0);
		f = json_object_new_object();
		json_object_object_add(f, "region_offset", json_object_new_int64(at));
		json_object_object_add(f, "page", json_object_new_int64(at / r->page_size));
		json_object_object_add(f, "status", json_object_new_string(stamp_status_name(first)));
		json_object_object_add(f, "node", json_object_new_int(node));
		result_violation(ctx->res, bad, &(struct result_violation){
			.leg = "at-rest", .seen = "mapping, after balancing",
			.status = stamp_status_name(first), .region_off = at,
			.node_before = nf_start_node(&ctx->topo, at / r->page_size),
			.node_after = node });
		result_verdict(ctx->res, VERDICT_FAIL, "contents lost at rest: %zu of %zu blocks bad after balancing, first at region offset %zu (page %zu, node %d): %s",
			       bad, r->size / NF_BLOCK, at, at / r->page_size, node,
			       stamp_status_name(first));
	}
	json_object_object_add(o, "first_bad", f);
	result_metric(ctx->res, "contents", o);
	printf("contents: %zu of %zu blocks as stamped before balancing\n",
	       r->size / NF_BLOCK - bad, r->size / NF_BLOCK);
}

/* The region where the layout wants it before balancing starts. */
static int nf_region(struct run_ctx *ctx, const struct nf_plan *p, struct region *r)
{
	/*
	 * shared is private anonymous memory the second process inherits by
	 * fork and only reads: one set of pages in two processes. A MAP_SHARED
	 * region would be shmem, which NUMA balancing skips unless a policy
	 * asks for it (vma_policy_mof() in 6.1).
	 */
	int flags = nf_opt.base_pages ? REGION_BASE_PAGES : 0;
	const struct topo *t = &ctx->topo;
	int ret = region_alloc(r, p->size, flags, p->home), status;

	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot allocate a %zu-byte region on node %d: %s",
			       p->size, p->home, strerror(-ret));
		return ret;
	}
	nf_contents_stamp(r);
	if (p->layout != NF_INTERLEAVED || t->nr_nodes < 2)
		return 0;
	/* Page i on the i-th node, round robin: whole THPs, one address each. */
	for (size_t i = 0; i < r->nr_pages; i++) {
		int node = t->nodes[i % t->nr_nodes];

		if (node != p->home && region_move(r, i, 1, node, &status) < 0)
			return 0;	/* seen in the initial placement */
	}
	return 0;
}

struct nf_plan nf_p;

static bool nf_ours(int tid, void *arg)
{
	(void)arg;
	for (int i = 0; i < nf_sh->nr; i++)
		if (__atomic_load_n(&nf_sh->w[i].tid, __ATOMIC_ACQUIRE) == tid)
			return true;
	return false;
}

/* The second process of the shared layout: its workers, then nothing else. */
static void nf_second(pid_t parent)
{
	static pthread_t th[NF_MAX_WORKERS];
	struct timespec nap = { 0, 1000000 };
	int started;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* The parent winds both processes down; signals go to it alone. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (!__atomic_load_n(&nf_sh->start, __ATOMIC_ACQUIRE))
		nanosleep(&nap, NULL);
	if (__atomic_load_n(&nf_sh->phase, __ATOMIC_ACQUIRE) == NF_STOP)
		_exit(0);
	started = nf_start(1, th);
	nf_join(1, th, started);
	_exit(0);
}

/* The sampler and the trace reader keep off the workers' CPUs when there are others. */
static void nf_pin_helpers(void)
{
	cpu_set_t set = nf_allowed;

	for (int i = 0; i < nf_sh->nr; i++)
		CPU_CLR(nf_sh->w[i].cpu, &set);
	if (CPU_COUNT(&set))
		sched_setaffinity(0, sizeof(set), &set);
}

static int nf_shared_alloc(const struct topo *t, int nr)
{
	size_t len = sizeof(*nf_sh) + nr * sizeof(struct nf_worker);
	struct bitmask *bm;

	nf_sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (nf_sh == MAP_FAILED) {
		nf_sh = NULL;
		return -errno;
	}
	/* A policy without MPOL_F_MOF keeps NUMA balancing from scanning our bookkeeping. */
	if (numa_available() >= 0) {
		bm = numa_allocate_nodemask();
		for (int i = 0; i < t->nr_nodes; i++)
			numa_bitmask_setbit(bm, t->nodes[i]);
		mbind(nf_sh, len, MPOL_BIND, bm->maskp, bm->size + 1, 0);
		numa_free_nodemask(bm);
	}
	return 0;
}

/* The region placed, the workers planned, the sampler's arrays: 0, or the verdict is set. */
static int nf_prepare(struct run_ctx *ctx, const struct nf_plan *p, struct region *r,
		      struct nf_sampler *smp, int *pmd)
{
	const struct topo *t = &ctx->topo;

	if (nf_region(ctx, p, r))
		return -ENOMEM;
	nf_base = r->addr;
	*pmd = nf_opt.base_pages ? -1 : region_count_pmd_mapped(r);
	if (!nf_opt.base_pages && *pmd != (int)r->nr_pages) {
		result_verdict(ctx->res, VERDICT_SKIP, "only %d of %zu THPs PMD-mapped after fault-in (fragmented memory?)",
			       *pmd, r->nr_pages);
		return -EAGAIN;
	}
	if (nf_shared_alloc(t, p->nr_workers)) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot map the workers' shared state: %s",
			       strerror(errno));
		return -ENOMEM;
	}
	nf_assign(t, p, r);
	smp->t = t;
	smp->r = r;
	smp->verbose = ctx->verbose;
	smp->target = calloc(r->nr_pages, sizeof(int));
	smp->status = calloc(r->nr_pages, sizeof(int));
	smp->last = calloc(r->nr_pages, sizeof(int));
	smp->maxrows = (int)(nf_opt.duration * 1000 / nf_opt.interval_ms) + 3;
	smp->rows = calloc(smp->maxrows, sizeof(*smp->rows));
	if (!smp->target || !smp->status || !smp->last || !smp->rows) {
		result_verdict(ctx->res, VERDICT_FAIL, "out of memory for %d timeline rows", smp->maxrows);
		return -ENOMEM;
	}
	nf_targets(p, r, smp->target);
	if (region_nodes(r, smp->last))
		memset(smp->last, 0xff, r->nr_pages * sizeof(int));
	for (size_t i = 0; i < r->nr_pages; i++)
		smp->last[i] = MAX(smp->last[i], -1);
	return 0;
}

/* The run with balancing on: the second process, the tracer, workers and sampler. */
static void nf_balance(struct run_ctx *ctx, const struct nf_plan *p, struct nf_sampler *smp,
		       struct faultlat *fl)
{
	static struct vmstat v0, v1;
	pid_t child = -1;

	nf_assign(&ctx->topo, p, smp->r);
	nf_sh->phase = NF_IDLE;
	nf_sh->ready = 0;
	if (p->layout == NF_SHARED) {
		pid_t parent = getpid();

		child = fork();
		if (child == 0)
			nf_second(parent);
		if (child < 0)
			result_verdict(ctx->res, VERDICT_FAIL, "fork: %s", strerror(errno));
	}
	faultlat_start(fl, p->method, nf_tsc.usable ? nf_tsc.ns_per_tick : 0, nf_ours, NULL);
	smp->fl = fl;
	vmstat_read(&v0);
	smp->prev = v0;
	counters_phase_begin("balancing");
	if (child != -1 || p->layout != NF_SHARED)
		nf_measure(ctx, p, smp);
	counters_phase_end("balancing");
	if (child > 0) {
		__atomic_store_n(&nf_sh->start, 1, __ATOMIC_RELEASE);
		waitpid(child, NULL, 0);
	}
	vmstat_read(&v1);
	faultlat_stop(fl);
	result_metric(ctx->res, "vmstat", vmstat_delta_json(&v0, &v1, vmstat_numa_names));
}

/* Base pages need no THP. */
static void nf_validate(struct run_ctx *ctx, struct needs *needs)
{
	nf_plan(&ctx->topo, &nf_p);
	if (nf_opt.base_pages)
		needs->what &= ~NEED_THP;
}

static int nf_run(struct run_ctx *ctx)
{
	static struct faultlat fl;
	static struct nf_sampler smp;
	struct nf_plan *p = &nf_p;
	struct region r = { 0 };
	char why[256] = "", bal_before[16] = "";
	const char *thr_how;
	uint64_t thr_ns;
	int pmd0 = -1, pmd1 = -1;

	result_metric(ctx->res, "layout", json_object_new_string(nf_layouts[p->layout]));
	/* Mounts (if any) happen now, while the process has one thread. */
	if (nf_tunables_find(why, sizeof(why)))
		msg("NUMA balancing scan tunables: %s", why);
	tsc_init(&nf_tsc);
	if (nf_tunables_set(ctx, bal_before))
		goto out;
	if (nf_prepare(ctx, p, &r, &smp, &pmd0))
		goto free;
	nf_header(ctx, p, &r);
	nf_pin_helpers();
	if (nf_calibration(ctx, &thr_ns, &thr_how))
		goto free;
	nf_thr_ticks = tsc_from_ns(&nf_tsc, thr_ns);
	nf_balance(ctx, p, &smp, &fl);
	pmd1 = nf_opt.base_pages ? -1 : region_count_pmd_mapped(&r);
	nf_contents_check(ctx, &r);
	nf_report(ctx, p, &smp, &fl, thr_ns, thr_how);
free:
	free(smp.target);
	free(smp.status);
	free(smp.last);
	free(smp.rows);
	if (nf_sh)
		munmap(nf_sh, sizeof(*nf_sh) + p->nr_workers * sizeof(struct nf_worker));
	nf_sh = NULL;
	result_metric(ctx->res, "region", nf_region_json(&r, p, pmd0, pmd1));
	region_free(&r);
out:
	result_metric(ctx->res, "tunables", nf_tunables_json(bal_before));
	if (p->timeline)
		fclose(p->timeline);
	return 0;
}

const struct scenario scenario_numa_fault = {
	.name = "numa-fault",
	.desc = "AutoNUMA on a THP region: hinting-fault latency (kernel- and user-side) and time to converge",
	.opts = nf_opts,
	.needs = {
		.what = NEED_THP | NEED_NUMA_BALANCING | NEED_ROOT | NEED_NODES,
		.partial = NEED_NODES,		/* one node: hinting faults still happen */
		.nodes = 2,
		.nodes_for = "convergence",
		.measured = "hinting-fault latency and counters are still measured",
		.thp_hint = "--base-pages measures 4 KiB pages",
	},
	.validate = nf_validate,
	.run = nf_run,
};

