/* sampler.c - the sampler: where the pages are and what the workers saw, sample by sample. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "numa_fault.h"
#include "settings.h"

enum nf_sum { NF_SUM_STALLS, NF_SUM_FAULT_STALLS, NF_SUM_ACCESSES };

static uint64_t nf_total(enum nf_sum what)
{
	uint64_t sum = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		const struct nf_worker *w = &nf_sh->w[i];
		const uint64_t *v = what == NF_SUM_STALLS ? &w->stalls :
				    what == NF_SUM_FAULT_STALLS ? &w->fault_stalls : &w->acc;

		sum += __atomic_load_n(v, __ATOMIC_RELAXED);
	}
	return sum;
}

/* Where the region is now (move_pages with nodes=NULL: no reference taken), and the counters. */
static void nf_sample(struct nf_sampler *s)
{
	struct nf_row *row = &s->rows[s->nrows];
	int count[TOPO_MAX_NODES] = { 0 };
	size_t local = 0, homed = 0, n = s->r->nr_pages;
	static struct vmstat now;
	uint64_t v;

	if (s->nrows == s->maxrows)
		return;
	memset(row, 0, sizeof(*row));
	row->t_ns = now_ns() - s->t0;
	if (region_nodes(s->r, s->status))
		for (size_t i = 0; i < n; i++)
			s->status[i] = -EFAULT;
	s->unseen = 0;
	for (size_t i = 0; i < n; i++) {
		int idx;

		/*
		 * A PMD a scan just made PROT_NONE is invisible to move_pages
		 * (-EFAULT) until the hinting fault: the page has not moved.
		 */
		if (s->status[i] < 0) {
			s->status[i] = s->last[i];
			s->unseen++;
		}
		s->last[i] = s->status[i];
		idx = topo_index(s->t, s->status[i]);

		if (idx >= 0)
			count[idx]++;
		if (s->target[i] >= 0) {
			homed++;
			local += s->status[i] == s->target[i];
		}
	}
	row->local_pct = homed ? 100.0 * local / homed : NAN;
	for (int i = 0; i < s->t->nr_nodes; i++)
		row->node_pct[i] = 100.0 * count[i] / n;
	vmstat_read(&now);
	row->hint_faults = vmstat_delta(&s->prev, &now, "numa_hint_faults");
	row->hint_local = vmstat_delta(&s->prev, &now, "numa_hint_faults_local");
	row->migrated = vmstat_delta(&s->prev, &now, "numa_pages_migrated");
	row->pte_updates = vmstat_delta(&s->prev, &now, "numa_pte_updates");
	row->huge_pte_updates = vmstat_delta(&s->prev, &now, "numa_huge_pte_updates");
	s->prev = now;
	v = nf_total(NF_SUM_STALLS);
	row->stalls = v - s->stalls;
	s->stalls = v;
	v = nf_total(NF_SUM_FAULT_STALLS);
	row->fault_stalls = v - s->fault_stalls;
	s->fault_stalls = v;
	row->unseen = s->unseen;
	v = faultlat_count(s->fl);
	row->kfaults = v - s->kfaults;
	s->kfaults = v;
	v = nf_total(NF_SUM_ACCESSES);
	row->accesses = v - s->accesses;
	s->accesses = v;
	s->nrows++;
	if (s->verbose)
		printf("  %8.2f s  local %6.2f %%  hint faults %5lld  migrated %7lld  fault stalls %5llu  kernel faults %5llu\n",
		       row->t_ns / 1e9, row->local_pct, row->hint_faults, row->migrated,
		       (unsigned long long)row->fault_stalls, (unsigned long long)row->kfaults);
}

/* Workers with balancing on, sampled every interval until the duration is over. */
/* --until-faults: both methods saw enough faults and the region is home. */
static bool nf_enough(const struct nf_sampler *s)
{
	const struct nf_row *last = &s->rows[s->nrows - 1];

	if (!nf_opt.until_faults || (!isnan(last->local_pct) && last->local_pct < 100))
		return false;
	if (s->fl->method != FAULTLAT_OFF && s->kfaults < (uint64_t)nf_opt.until_faults)
		return false;
	return s->fault_stalls >= (uint64_t)nf_opt.until_faults;
}

int nf_measure(struct run_ctx *ctx, const struct nf_plan *p, struct nf_sampler *smp)
{
	static pthread_t th[NF_MAX_WORKERS];
	struct timespec next;
	uint64_t end, step = nf_opt.interval_ms * 1000000ull;
	int started, ret = 0;

	settings_set(SET_NUMA_BALANCING, 1);
	__atomic_store_n(&nf_sh->start, 1, __ATOMIC_RELEASE);
	started = nf_start(0, th);
	if (!nf_wait_ready(p->nr_workers)) {
		if (!migrace_stop)
			result_verdict(ctx->res, VERDICT_FAIL, "only %d of %d workers started",
				       __atomic_load_n(&nf_sh->ready, __ATOMIC_RELAXED),
				       p->nr_workers);
		ret = -EAGAIN;
		goto stop;
	}
	smp->t0 = now_ns();
	nf_set_phase(NF_RUN);
	nf_sample(smp);
	end = smp->t0 + (uint64_t)(nf_opt.duration * 1e9);
	for (uint64_t t = smp->t0 + step, now; !migrace_stop; ) {
		t = MIN(t, end);
		next.tv_sec = t / 1000000000ull;
		next.tv_nsec = t % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR &&
		       !migrace_stop)
			;
		nf_sample(smp);
		if (t >= end || nf_enough(smp))
			break;
		/* A sampler that fell behind (a starved machine) skips the ticks it missed. */
		for (now = now_ns(), t += step; t <= now; t += step)
			;
	}
stop:
	if (migrace_stop)
		result_verdict(ctx->res, VERDICT_FAIL, "interrupted by a signal%s",
			       ret ? " before the workers ran" : "");
	nf_set_phase(NF_STOP);
	nf_join(0, th, started);
	return ret;
}
