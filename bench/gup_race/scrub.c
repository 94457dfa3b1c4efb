/* scrub.c - the scrubbers: threads that keep reading every block at rest, at a duty cycle. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gup_race.h"

/* ---- the scrubbers ---- */

/* The pinner that owns a block: its group's THPs, its slice of each. */
static int gr_block_owner(size_t blk)
{
	uint64_t roff = (uint64_t)blk * gr.bs;
	size_t thp = roff / gr.r.thp_size, in = roff % gr.r.thp_size;
	int slice = MIN((int)(in / gr.slice), gr.sharers - 1);

	return (int)(thp % gr.groups) * gr.sharers + slice;
}

static uint64_t gr_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * A bad block is read again into a copy, between two reads of its
 * generation: the same generation both times, and the copy is what the
 * owner left there, not a write in progress.
 */
static void gr_scrub_confirm(struct gr_scrubber *s, size_t blk, uint32_t g1)
{
	const char *src = gr.r.addr + blk * gr.bs;
	enum stamp_status st;

	memcpy(s->copy, src, gr.bs);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&gr.gens[blk], __ATOMIC_RELAXED) != g1) {
		s->raced++;
		return;
	}
	st = stamp_check(s->copy, gr.bs, (uint64_t)blk * gr.bs, g1);
	if (st != STAMP_OK)
		gr_at_rest_bad(gr_block_owner(blk), blk, g1, st, "scrubber", s->copy);
}

/* One block, read between two loads of its generation (a sequence count). */
static void gr_scrub_block(struct gr_scrubber *s, size_t blk)
{
	uint32_t g1 = __atomic_load_n(&gr.gens[blk], __ATOMIC_ACQUIRE), g2;
	enum stamp_status st;

	if (g1 & GR_GEN_BUSY) {
		s->busy++;
		return;
	}
	st = stamp_check(gr.r.addr + blk * gr.bs, gr.bs, (uint64_t)blk * gr.bs, g1);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	g2 = __atomic_load_n(&gr.gens[blk], __ATOMIC_RELAXED);
	s->blocks++;
	s->bytes += gr.bs;
	if (g2 != g1)
		s->raced++;
	else if (st != STAMP_OK)
		gr_scrub_confirm(s, blk, g1);
}

/*
 * A THP armed for a NUMA hinting fault is left alone until someone else
 * has taken the fault (the hopper touches its THPs all the time): a
 * scrubber's fault would be the one NUMA balancing judges, from whatever
 * node the scrubber runs on, and its two-fault filter would then hold the
 * THP back from the group's node. move_pages() without nodes tells an
 * armed THP (-EFAULT) without taking the fault; what arms it between the
 * look and the reads costs one such fault, rarely.
 */
static bool gr_scrub_wait_armed(struct gr_scrubber *s, size_t k)
{
	const char *thp = gr.r.addr + k * gr.r.thp_size;

	if (!gr.nr_hoppers)
		return gr_phase() < GR_STOP;
	while (gr_node_of(thp) == -EFAULT && gr_phase() < GR_STOP) {
		s->armed++;
		usleep(200);
	}
	return gr_phase() < GR_STOP;
}

/*
 * A CPU the race leaves idle is not free everywhere: in the emulated
 * machine every busy guest CPU is a busy host thread, taken from the
 * others. So a scrubber works --scrub-duty percent of the time: after a
 * THP that took c ns of its CPU it rests c * (100 - duty) / duty ns.
 */
static void gr_scrub_rest(struct gr_scrubber *s, uint64_t c)
{
	uint64_t rest = c * (100 - gr_opt.scrub_duty) / gr_opt.scrub_duty;
	uint64_t end = now_ns() + rest, t;

	/* Resting is not hanging: each slice is a sign of life. */
	while ((t = now_ns()) < end && gr_phase() < GR_STOP) {
		__atomic_store_n(&s->since, t, __ATOMIC_RELAXED);
		usleep(MIN((end - t) / 1000 + 1, 20000));
	}
}

static void gr_scrub_thp(struct gr_scrubber *s, size_t k)
{
	size_t first = k * gr.r.thp_size / gr.bs, n = gr.r.thp_size / gr.bs;
	size_t every = MAX(GR_SCRUB_LOOK / gr.bs, 1);
	uint64_t c0 = gr_cpu_ns();

	__atomic_store_n(&s->since, now_ns(), __ATOMIC_RELAXED);
	for (size_t i = 0; i < n; i++) {
		if (i % every == 0 && !gr_scrub_wait_armed(s, k))
			break;
		gr_scrub_block(s, first + i);
	}
	c0 = gr_cpu_ns() - c0;
	s->cpu_ns += c0;
	s->thps++;
	gr_scrub_rest(s, c0);
}

/* Its share of the pinners' THPs (a writer checks its own): every nr-th from idx. */
static size_t gr_scrub_share(const struct gr_scrubber *s)
{
	return (gr.nr_pin_thp - s->idx + gr_opt.scrub - 1) / gr_opt.scrub;
}

/* A THP of its share that migrated since it was last scrubbed, else the next in its sweep. */
static size_t gr_scrub_pick(struct gr_scrubber *s)
{
	size_t share = gr_scrub_share(s), k;

	for (size_t i = 0; i < share; i++) {
		k = s->idx + (s->next + i) % share * gr_opt.scrub;
		if (__atomic_exchange_n(&gr.scrub_due[k], 0, __ATOMIC_RELAXED)) {
			s->due++;
			return k;
		}
	}
	k = s->idx + s->next % share * gr_opt.scrub;
	if (++s->next % share == 0)
		s->sweeps++;
	return k;
}

/*
 * A scrubber runs niced (--scrub-nice): it takes the CPU the race leaves
 * over rather than the pinners' and the hopper's, on any node (its reads
 * stay off armed THPs, so where it runs does not vote).
 */
void *gr_scrubber_main(void *arg)
{
	struct gr_scrubber *s = arg;

	s->tid_os = gettid();
	if (setpriority(PRIO_PROCESS, s->tid_os, gr_opt.scrub_nice))
		s->nice_errno = errno;
	while (gr_phase() < GR_STOP) {
		size_t k;

		if (gr_phase() == GR_SETUP || !gr_scrub_share(s)) {
			__atomic_store_n(&s->since, now_ns(), __ATOMIC_RELAXED);
			usleep(5000);
			continue;
		}
		k = gr_scrub_pick(s);
		gr_scrub_thp(s, k);
	}
	return NULL;
}

/* ---- the result ---- */

json_object *gr_scrub_json(double run_s)
{
	json_object *o;
	struct gr_scrubber t = { 0 };
	double gbps;

	if (!gr_opt.scrub)
		return NULL;
	o = json_object_new_object();
	for (int i = 0; i < gr_opt.scrub; i++) {
		const struct gr_scrubber *s = &gr.s[i];

		t.bytes += s->bytes;
		t.blocks += s->blocks;
		t.busy += s->busy;
		t.raced += s->raced;
		t.armed += s->armed;
		t.thps += s->thps;
		t.due += s->due;
		t.sweeps += s->sweeps;
		t.cpu_ns += s->cpu_ns;
		t.nice_errno = s->nice_errno ?: t.nice_errno;
	}
	gbps = t.cpu_ns ? t.bytes / (double)t.cpu_ns : 0;
	json_object_object_add(o, "threads", json_object_new_int(gr_opt.scrub));
	json_object_object_add(o, "nice", json_object_new_int(gr_opt.scrub_nice));
	json_object_object_add(o, "duty_percent", json_object_new_int(gr_opt.scrub_duty));
	if (t.nice_errno)
		json_object_object_add(o, "nice_error", json_object_new_string(strerror(t.nice_errno)));
	gr_add_u64(o, "bytes", t.bytes);
	gr_add_u64(o, "blocks", t.blocks);
	gr_add_u64(o, "blocks_busy", t.busy);
	gr_add_u64(o, "blocks_raced", t.raced);
	gr_add_u64(o, "waits_armed", t.armed);
	gr_add_u64(o, "thp_scrubs", t.thps);
	gr_add_u64(o, "thp_scrubs_after_migration", t.due);
	gr_add_u64(o, "sweeps", t.sweeps);
	json_object_object_add(o, "cpu_s", json_object_new_double(t.cpu_ns / 1e9));
	json_object_object_add(o, "gbps_per_thread", json_object_new_double(gbps));
	json_object_object_add(o, "gbps_achieved",
			       json_object_new_double(run_s > 0 ? t.bytes / run_s / 1e9 : 0));
	printf("scrubbers: %d, %.1f MB read (%llu sweeps, %llu THPs after a migration) at %.2f GB/s a thread of CPU, %.3f GB/s achieved%s\n",
	       gr_opt.scrub, t.bytes / 1e6, (unsigned long long)t.sweeps,
	       (unsigned long long)t.due, gbps, run_s > 0 ? t.bytes / run_s / 1e9 : 0,
	       gr.ctx->topo.emulated ? " (emulated)" : "");
	return o;
}
