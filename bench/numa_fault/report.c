/* report.c - the result: timeline, convergence, correlation, user- and kernel-side latency. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numa_fault.h"

json_object *nf_double(double v, int decimals)
{
	char buf[32];

	if (isnan(v))
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static json_object *nf_row_json(const struct nf_row *row, const struct topo *t)
{
	json_object *o = json_object_new_object(), *np = json_object_new_array();

	for (int i = 0; i < t->nr_nodes; i++)
		json_object_array_add(np, nf_double(row->node_pct[i], 2));
	json_object_object_add(o, "t_ms", nf_double(row->t_ns / 1e6, 1));
	json_object_object_add(o, "local_pct", nf_double(row->local_pct, 2));
	json_object_object_add(o, "node_pct", np);
	nf_put(o, "hint_faults", row->hint_faults);
	nf_put(o, "hint_faults_local", row->hint_local);
	nf_put(o, "pages_migrated", row->migrated);
	nf_put(o, "pte_updates", row->pte_updates);
	nf_put(o, "huge_pte_updates", row->huge_pte_updates);
	nf_put(o, "pages_unseen", row->unseen);
	nf_put(o, "stalls", row->stalls);
	nf_put(o, "fault_stalls", row->fault_stalls);
	nf_put(o, "kernel_faults", row->kfaults);
	nf_put(o, "accesses", row->accesses);
	return o;
}

static void nf_timeline_dat(FILE *f, const struct nf_plan *p, const struct topo *t,
			    const struct nf_row *rows, int n)
{
	fprintf(f, "# migrace numa-fault timeline: layout %s, %zu bytes from node %d; per interval ending at t\n",
		nf_layouts[p->layout], p->size, p->home);
	fprintf(f, "# t_s local_pct");
	for (int i = 0; i < t->nr_nodes; i++)
		fprintf(f, " node%d_pct", t->nodes[i]);
	fprintf(f, " hint_faults hint_faults_local pages_migrated stalls fault_stalls kernel_faults accesses\n");
	for (int r = 0; r < n; r++) {
		fprintf(f, "%.3f %.2f", rows[r].t_ns / 1e9, rows[r].local_pct);
		for (int i = 0; i < t->nr_nodes; i++)
			fprintf(f, " %.2f", rows[r].node_pct[i]);
		fprintf(f, " %lld %lld %lld %llu %llu %llu %llu\n", rows[r].hint_faults,
			rows[r].hint_local, rows[r].migrated, (unsigned long long)rows[r].stalls,
			(unsigned long long)rows[r].fault_stalls, (unsigned long long)rows[r].kfaults,
			(unsigned long long)rows[r].accesses);
	}
}

/* Time of the first sample at least pct local, or -1. */
static double nf_time_to(const struct nf_row *rows, int n, double pct)
{
	for (int i = 0; i < n; i++)
		if (rows[i].local_pct >= pct - 1e-9)
			return rows[i].t_ns / 1e6;
	return -1;
}

enum nf_col { NF_COL_STALLS, NF_COL_FAULT_STALLS, NF_COL_HINT, NF_COL_KERNEL };

static double nf_col(const struct nf_row *row, enum nf_col c)
{
	switch (c) {
	case NF_COL_STALLS:
		return row->stalls;
	case NF_COL_FAULT_STALLS:
		return row->fault_stalls;
	case NF_COL_HINT:
		return row->hint_faults;
	default:
		return row->kfaults;
	}
}

/* Pearson's r of two columns over the intervals (the sample at t = 0 has none). */
static double nf_pearson(const struct nf_row *rows, int n, enum nf_col cx, enum nf_col cy)
{
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, d;

	for (int i = 1; i < n; i++) {
		double x = nf_col(&rows[i], cx), y = nf_col(&rows[i], cy);

		sx += x;
		sy += y;
		sxx += x * x;
		syy += y * y;
		sxy += x * y;
	}
	n--;
	d = sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
	return n > 2 && d > 0 ? (n * sxy - sx * sy) / d : NAN;
}

static void nf_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 10000000)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else if (ns >= 10000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
}

static void nf_print_hist(const char *label, const struct hist *h)
{
	char a[16], b[16], c[16], d[16];

	if (!h->count) {
		printf("  %-26s none\n", label);
		return;
	}
	nf_fmt_ns(a, sizeof(a), hist_percentile(h, 50));
	nf_fmt_ns(b, sizeof(b), hist_percentile(h, 90));
	nf_fmt_ns(c, sizeof(c), hist_percentile(h, 99));
	nf_fmt_ns(d, sizeof(d), h->max);
	printf("  %-26s %7llu  p50 %-9s p90 %-9s p99 %-9s max %s\n", label,
	       (unsigned long long)h->count, a, b, c, d);
}

/* The numa lines of /proc/PID/sched as numbers: "key : value", "k=v, k=v", numa_faults rows. */
static json_object *nf_sched_json(const char *text)
{
	json_object *o = json_object_new_object(), *rows = json_object_new_array();
	char buf[NF_SCHED_TEXT], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), key[64], *tok, *s2 = NULL;
		json_object *row;

		if (colon && !strchr(line, '=')) {
			*colon = '\0';
			sscanf(line, "%63s", key);
			json_object_object_add(o, strncmp(key, "mm->", 4) ? key : key + 4,
					       json_object_new_int64(atoll(colon + 1)));
			continue;
		}
		row = strncmp(line, "numa_faults", 11) ? o : json_object_new_object();
		for (tok = strtok_r(line, " ,", &s2); tok; tok = strtok_r(NULL, " ,", &s2)) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq = '\0';
			json_object_object_add(row, tok, json_object_new_int64(atoll(eq + 1)));
		}
		if (row != o)
			json_object_array_add(rows, row);
	}
	json_object_object_add(o, "numa_faults", rows);
	return o;
}

static json_object *nf_workers_json(void)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		json_object *o = json_object_new_object();

		nf_put(o, "process", w->proc);
		nf_put(o, "tid", w->tid);
		nf_put(o, "node", w->node);
		nf_put(o, "cpu", w->cpu);
		nf_put(o, "offset", w->off);
		nf_put(o, "bytes", w->len);
		nf_put(o, "accesses", w->acc);
		nf_put(o, "stalls", w->stalls);
		json_object_object_add(o, "sched", nf_sched_json(w->sched));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *nf_convergence(struct run_ctx *ctx, const struct nf_plan *p,
				   const struct nf_row *rows, int n)
{
	static const int pcts[] = { 50, 90, 100 };
	json_object *o = json_object_new_object();
	char key[32], what[96];

	if (ctx->topo.nr_nodes < 2) {
		json_object_object_add(o, "skipped", json_object_new_string(
			"one memory node: nothing can become more local"));
		return o;
	}
	if (p->layout == NF_SHARED) {
		json_object_object_add(o, "skipped", json_object_new_string(
			"shared layout: the two processes want the region on different nodes; node_pct in the timeline shows where it went"));
		return o;
	}
	if (p->layout == NF_PRIVATE)
		snprintf(what, sizeof(what), "each slice on its worker's node");
	else
		snprintf(what, sizeof(what), "node %d", p->wnode[0]);
	json_object_object_add(o, "target", json_object_new_string(what));
	for (size_t i = 0; i < ARRAY_SIZE(pcts); i++) {
		double t = nf_time_to(rows, n, pcts[i]);

		snprintf(key, sizeof(key), "time_to_%d_pct_ms", pcts[i]);
		json_object_object_add(o, key, t < 0 ? NULL : nf_double(t, 1));
	}
	json_object_object_add(o, "initial_local_pct", nf_double(n ? rows[0].local_pct : NAN, 2));
	json_object_object_add(o, "final_local_pct", nf_double(n ? rows[n - 1].local_pct : NAN, 2));
	printf("convergence to %s: %.1f %% -> %.1f %% local;", what,
	       n ? rows[0].local_pct : NAN, n ? rows[n - 1].local_pct : NAN);
	for (size_t i = 0; i < ARRAY_SIZE(pcts); i++) {
		double t = nf_time_to(rows, n, pcts[i]);

		if (t < 0)
			printf(" %d %% never", pcts[i]);
		else
			printf(" %d %% at %.2f s", pcts[i], t / 1e3);
	}
	printf("\n");
	if (nf_time_to(rows, n, NF_CONVERGED) < 0)
		result_verdict(ctx->res, VERDICT_FAIL, "the region did not converge: %.1f %% on %s after %.1f s (%d %% wanted; a longer --duration or shorter --scan-period-* may help)",
			       n ? rows[n - 1].local_pct : 0.0, what, nf_opt.duration, NF_CONVERGED);
	return o;
}

static json_object *nf_correlation(const struct nf_row *rows, int n)
{
	json_object *c = json_object_new_object();
	long long hf = 0, kf = 0, fs = 0, st = 0;

	for (int i = 1; i < n; i++) {
		hf += rows[i].hint_faults;
		kf += rows[i].kfaults;
		fs += rows[i].fault_stalls;
		st += rows[i].stalls;
	}
	nf_put(c, "intervals", n > 0 ? n - 1 : 0);
	nf_put(c, "hint_faults", hf);
	nf_put(c, "kernel_faults", kf);
	nf_put(c, "stalls", st);
	nf_put(c, "fault_stalls", fs);
	json_object_object_add(c, "fault_stalls_per_hint_fault",
			       nf_double(hf > 0 ? (double)fs / hf : NAN, 3));
	json_object_object_add(c, "pearson_fault_stalls_hint_faults",
			       nf_double(nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_HINT), 3));
	json_object_object_add(c, "pearson_fault_stalls_kernel_faults",
			       nf_double(nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_KERNEL), 3));
	json_object_object_add(c, "pearson_stalls_hint_faults",
			       nf_double(nf_pearson(rows, n, NF_COL_STALLS, NF_COL_HINT), 3));
	return c;
}

static json_object *nf_user_side(const struct nf_row *rows, int n, uint64_t thr_ns,
				 const char *thr_how)
{
	json_object *o = json_object_new_object(), *h = json_object_new_object();
	static struct hist all, fault;
	uint64_t acc = 0, st = 0, fs = 0;
	long faults = 0;
	int ring = 0;

	hist_init(&all);
	hist_init(&fault);
	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];

		hist_merge(&all, &w->stall);
		hist_merge(&fault, &w->fault_stall);
		acc += w->acc;
		st += w->stalls;
		fs += w->fault_stalls;
		faults += w->faults;
		ring += w->fault_ring;
	}
	json_object_object_add(o, "clock", tsc_to_json(&nf_tsc));
	nf_put(o, "threshold_ns", thr_ns);
	json_object_object_add(o, "threshold_from", json_object_new_string(thr_how));
	nf_put(o, "access_bytes", nf_unit);
	nf_put(o, "accesses", acc);
	nf_put(o, "stalls", st);
	nf_put(o, "fault_stalls", fs);
	nf_put(o, "page_faults", faults);
	nf_put(o, "faults_under_threshold", MAX(0, faults - (long)fs));
	json_object_object_add(o, "fault_check", json_object_new_string(ring == nf_sh->nr ?
		"perf page-faults ring" : ring ? "perf ring, getrusage in some workers" : "getrusage"));
	json_object_object_add(h, "stalls", hist_to_json(&all, "ns"));
	json_object_object_add(h, "fault_stalls", hist_to_json(&fault, "ns"));
	json_object_object_add(o, "histograms", h);
	json_object_object_add(o, "correlation", nf_correlation(rows, n));

	nf_print_hist("user-side stalls", &all);
	nf_print_hist("  with a page fault", &fault);
	printf("  %llu accesses of %zu bytes timed, threshold %llu ns (%s); the workers' page faults: %ld (%llu quicker than the threshold)\n",
	       (unsigned long long)acc, nf_unit, (unsigned long long)thr_ns, thr_how, faults,
	       (unsigned long long)MAX(0, faults - (long)fs));
	printf("  per interval, fault stalls vs numa_hint_faults: r = %.2f; vs kernel-side faults: r = %.2f\n",
	       nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_HINT),
	       nf_pearson(rows, n, NF_COL_FAULT_STALLS, NF_COL_KERNEL));
	return o;
}

void nf_header(const struct run_ctx *ctx, const struct nf_plan *p, const struct region *r)
{
	char sz[32];

	fmt_size(sz, sizeof(sz), r->size);
	printf("numa-fault: %s layout, %s in %zu %s starting on node %d; %d worker(s)",
	       nf_layouts[p->layout], sz, r->nr_pages, nf_opt.base_pages ? "base pages" : "THPs",
	       p->home, p->nr_workers);
	if (p->layout == NF_SHARED)
		printf(" in 2 processes on nodes %d and %d\n", p->wnode[0], p->wnode[1]);
	else if (p->layout == NF_PRIVATE)
		printf(", one slice each, spread over the nodes with CPUs\n");
	else
		printf(" on node %d\n", p->wnode[0]);
	if (ctx->topo.nr_nodes < 2)
		printf("numa-fault: one memory node: hinting faults still happen (all local, nothing migrates); convergence is skipped\n");
	if (ctx->topo.emulated)
		printf("numa-fault: timings are emulated (QEMU TCG), not hardware figures\n");
}

json_object *nf_region_json(const struct region *r, const struct nf_plan *p, int pmd0,
			    int pmd1)
{
	json_object *o = json_object_new_object();
	char mode[32];

	nf_put(o, "bytes", r->size);
	nf_put(o, "page_size", r->page_size);
	nf_put(o, "pages", r->nr_pages);
	nf_put(o, "home_node", p->home);
	nf_put(o, "processes", p->procs);
	json_object_object_add(o, "thp_mode", json_object_new_string(region_thp_mode(mode, sizeof(mode))));
	if (!nf_opt.base_pages) {
		nf_put(o, "thp_pmd_mapped_start", pmd0);
		nf_put(o, "thp_pmd_mapped_end", pmd1);
	}
	return o;
}

static void nf_kernel_print(const struct faultlat *fl)
{
	if (fl->method == FAULTLAT_OFF) {
		printf("kernel-side fault latency: unavailable: %s\n", fl->why);
		return;
	}
	printf("kernel-side fault latency (%s, clock %s):\n", fl->method == FAULTLAT_GRAPH ?
	       "function_graph" : "kprobe", fl->clock);
	nf_print_hist("hinting faults", &fl->all);
	nf_print_hist("  migrated", &fl->mig);
	nf_print_hist("  not migrated", &fl->not_mig);
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++)
		if (fl->func_why[i][0])
			printf("  %s: %s\n", faultlat_func_names[i], fl->func_why[i]);
}

/*
 * The verdict. Fail: a homed region that did not converge, or no hinting
 * fault in the workers (their page faults or the kernel's count) on a NUMA
 * machine. Skip: one node, where convergence has nothing to do (everything
 * else is measured and in the result), or no fault there: the kernel did
 * not scan in time, nothing was measured. The kernel log comes on top.
 */
static void nf_verdict(struct run_ctx *ctx, const struct faultlat *fl)
{
	bool one = ctx->topo.nr_nodes < 2;	/* nothing to converge: a skip, said by migrace run */
	long faults = 0;

	for (int i = 0; i < nf_sh->nr; i++)
		faults += nf_sh->w[i].faults;
	if (!faults && !faultlat_count(fl) && !migrace_stop)
		result_verdict(ctx->res, one ? VERDICT_SKIP : VERDICT_FAIL,
			       "the workers took no NUMA hinting fault in %.1f s with NUMA balancing on%s",
			       nf_opt.duration, one ? ": nothing measured (a longer --duration or shorter --scan-delay-ms helps)" : "");
}

void nf_report(struct run_ctx *ctx, const struct nf_plan *p, const struct nf_sampler *smp,
	       const struct faultlat *fl, uint64_t thr_ns, const char *thr_how)
{
	json_object *tl = json_object_new_array();

	nf_kernel_print(fl);
	result_metric(ctx->res, "kernel_side", faultlat_to_json(fl));
	result_metric(ctx->res, "user_side", nf_user_side(smp->rows, smp->nrows, thr_ns, thr_how));
	result_metric(ctx->res, "convergence", nf_convergence(ctx, p, smp->rows, smp->nrows));
	for (int i = 0; i < smp->nrows; i++)
		json_object_array_add(tl, nf_row_json(&smp->rows[i], smp->t));
	result_metric(ctx->res, "timeline", tl);
	if (p->timeline) {
		nf_timeline_dat(p->timeline, p, smp->t, smp->rows, smp->nrows);
		fflush(p->timeline);
	}
	result_metric(ctx->res, "workers", nf_workers_json());
	if (ctx->topo.nr_nodes < 2)
		result_metric(ctx->res, "hint_faults_note", json_object_new_string(
			"one memory node: hinting faults still happen, all local; nothing migrates"));
	nf_verdict(ctx, fl);
	if (ctx->topo.emulated)
		printf("numa-fault: timings are emulated (QEMU TCG), not hardware figures\n");
}
