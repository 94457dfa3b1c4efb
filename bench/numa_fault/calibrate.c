/* calibrate.c - calibration: what the timing costs, and the stall threshold. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "numa_fault.h"

static int nf_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The median of n values, sorted in a copy: workers may still be appending. */
static double nf_median(const uint32_t *v, uint32_t n)
{
	static uint32_t tmp[NF_CAL_CHUNKS];

	if (!n)
		return NAN;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), nf_cmp_u32);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + (double)tmp[n / 2]) / 2;
}

/* The mean over workers of their median plain access, from chunk skip[i] on (skip: NULL, all). */
static double nf_median_access(const uint32_t *skip)
{
	double sum = 0;
	int n = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		uint32_t k = __atomic_load_n(&w->ncal[0], __ATOMIC_ACQUIRE), s = skip ? skip[i] : 0;

		if (k > s) {
			sum += nf_median(w->cal[0] + s, k - s) * nf_unit / nf_chunk;
			n++;
		}
	}
	return n ? sum / n : 0;
}

/*
 * The overhead from median chunk times, worker by worker: a chunk that was
 * preempted or interrupted lands in the tail and moves no median, where
 * sums on a busy machine swing by more than the effect measured.
 */
static void nf_calib_medians(struct nf_calib *c, const uint32_t *skip)
{
	double pct = 0;
	int n = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		struct nf_worker *w = &nf_sh->w[i];
		double plain, timed;

		if (w->ncal[0] <= skip[i] || !w->ncal[1])
			continue;
		c->chunks[0] += w->ncal[0] - skip[i];
		c->chunks[1] += w->ncal[1];
		plain = nf_median(w->cal[0] + skip[i], w->ncal[0] - skip[i]);
		timed = nf_median(w->cal[1], w->ncal[1]);
		pct += 100.0 * (timed / plain - 1);
		n++;
	}
	c->overhead_pct = n ? pct / n : NAN;
	c->median_access_ns = nf_median_access(skip);
}

/* The per-access stall threshold: the option's, or from the warm-up's median access. */
static uint64_t nf_threshold(double median_access_ns, const char **how)
{
	uint64_t ns = (uint64_t)(NF_STALL_FACTOR * median_access_ns);

	if (nf_opt.stall_ns) {
		*how = "--stall-threshold-ns";
		return nf_opt.stall_ns;
	}
	*how = "2 median accesses of the calibration's warm-up, at least 1 us";
	return MAX(ns, NF_STALL_MIN_NS);
}

/*
 * Plain and timed chunks alternate in every worker (neighbouring chunks see
 * the same load, so a busy machine moves both alike), with NUMA balancing
 * off: the overhead of timing each access, measured on the very loops,
 * threshold and stall bookkeeping the run uses. The plain warm-up
 * (numademo's 0th pass) sets the threshold. Process 0's workers only.
 */
static int nf_calibrate(struct nf_calib *c)
{
	static uint64_t base[NF_MAX_WORKERS][2];	/* the warm-up's plain accesses and ns */
	static uint32_t skip[NF_MAX_WORKERS];		/* ... and chunks */
	static pthread_t th[NF_MAX_WORKERS];
	double rate[2] = { 0, 0 };
	int nproc0 = 0, started;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < nf_sh->nr; i++)
		nproc0 += !nf_sh->w[i].proc;
	nf_set_phase(NF_IDLE);
	nf_sh->ready = 0;
	started = nf_start(0, th);
	if (started < nproc0 || !nf_wait_ready(nproc0)) {
		nf_set_phase(NF_STOP);
		nf_join(0, th, started);
		return -EAGAIN;
	}
	nf_set_phase(NF_PLAIN);
	nf_sleep_ms(NF_WARMUP_MS);
	c->threshold_ns = nf_threshold(nf_median_access(NULL), &c->threshold_from);
	nf_thr_ticks = tsc_from_ns(&nf_tsc, c->threshold_ns);
	/* A warm-up chunk that ends after this counts as a plain one: it is. */
	for (int i = 0; i < nf_sh->nr; i++) {
		struct nf_worker *w = &nf_sh->w[i];

		skip[i] = __atomic_load_n(&w->ncal[0], __ATOMIC_ACQUIRE);
		base[i][0] = __atomic_load_n(&w->cacc[0], __ATOMIC_RELAXED);
		base[i][1] = __atomic_load_n(&w->cns[0], __ATOMIC_RELAXED);
	}
	nf_set_phase(NF_CALIB);
	nf_sleep_ms(nf_opt.calib_ms);
	nf_set_phase(NF_STOP);
	nf_join(0, th, started);
	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		uint64_t ns0 = w->cns[0] - base[i][1];

		if (ns0 && w->cns[1]) {
			rate[0] += (w->cacc[0] - base[i][0]) * 1e9 / ns0;
			rate[1] += w->cacc[1] * 1e9 / w->cns[1];
		}
	}
	c->plain_rate = rate[0];
	c->timed_rate = rate[1];
	c->overhead_sum_pct = rate[0] > 0 ? 100.0 * (1 - rate[1] / rate[0]) : NAN;
	nf_calib_medians(c, skip);
	return 0;
}

static json_object *nf_calib_json(const struct nf_calib *c)
{
	json_object *o = json_object_new_object();

	nf_put(o, "calibrate_ms", nf_opt.calib_ms);
	nf_put(o, "chunk_bytes", nf_chunk);
	nf_put(o, "plain_chunks", c->chunks[0]);
	nf_put(o, "timed_chunks", c->chunks[1]);
	json_object_object_add(o, "plain_accesses_per_s", nf_double(c->plain_rate, 0));
	json_object_object_add(o, "timed_accesses_per_s", nf_double(c->timed_rate, 0));
	json_object_object_add(o, "overhead_pct_median_chunks", nf_double(c->overhead_pct, 3));
	json_object_object_add(o, "overhead_pct_of_sums", nf_double(c->overhead_sum_pct, 3));
	json_object_object_add(o, "median_access_ns", nf_double(c->median_access_ns, 1));
	return o;
}

static void nf_calib_print(const struct nf_calib *c)
{
	printf("calibration (NUMA balancing off): timing every access costs %.2f %% (median chunk times; %.3g vs %.3g accesses/s from the sums: %.2f %%)\n",
	       c->overhead_pct, c->plain_rate, c->timed_rate, c->overhead_sum_pct);
}

/* The calibration, if asked for; then the stall threshold of the run. */
int nf_calibration(struct run_ctx *ctx, uint64_t *thr_ns, const char **thr_how)
{
	struct nf_calib cal;
	int ret;

	*thr_ns = nf_opt.stall_ns;
	*thr_how = "--stall-threshold-ns";
	if (!nf_opt.calib_ms)
		return 0;
	nf_thr_ticks = tsc_from_ns(&nf_tsc, nf_opt.stall_ns ? nf_opt.stall_ns : 1000000);
	counters_phase_begin("calibration");
	ret = nf_calibrate(&cal);
	counters_phase_end("calibration");
	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, migrace_stop ?
			       "interrupted by a signal during the calibration" :
			       "calibration workers did not start");
		return ret;
	}
	nf_calib_print(&cal);
	result_metric(ctx->res, "calibration", nf_calib_json(&cal));
	result_metric(ctx->res, "instrumentation_overhead_pct", nf_double(cal.overhead_pct, 3));
	*thr_ns = cal.threshold_ns;
	*thr_how = cal.threshold_from;
	return 0;
}
