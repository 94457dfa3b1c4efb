/* violation.c - a violation recorded: counted, and the run's first reported in full, in transit or at rest. */
#include "config.h"

#include <stdio.h>

#include "gup_race.h"

static const char *const gr_phase_name[] = { "setup", "baseline", "race", "stopping" };

/* ---- every violation counted, the first reported in full ---- */

static void gr_print_violation(const struct gr_violation *v)
{
	printf("VIOLATION at %.3f s (%s): %s %s, seen through the %s: block at %#lx (THP %zu, region offset %llu) is %s",
	       v->t_s, v->phase, v->backend, v->leg, v->seen, (unsigned long)v->addr, v->thp,
	       (unsigned long long)v->region_off, stamp_status_name(v->status));
	if (v->found_valid)
		printf(" (generation %llu, expected %llu)", (unsigned long long)v->found_gen,
		       (unsigned long long)v->expected_gen);
	if (v->at_rest) {
		printf("; THP on node %d when last written or checked (%.3f s), %d now", v->node_checked,
		       (int64_t)(v->checked_ns - gr.t_start) / 1e9,
		       v->node_after);
		if (v->migrations >= 0)
			printf(", %s%lld migration(s) since", v->migrations_more ? "at least " : "",
			       v->migrations);
	} else {
		printf("; THP on node %d before, %d after", v->node_before, v->node_after);
	}
	printf("; driver %s; %d bad block(s); differing bytes:", gr_driver_name(), v->bad_blocks);
	for (int i = 0; i < MIN(v->nr_ranges, GR_MAX_RANGES); i++)
		printf(" %zu+%zu", v->ranges[i].start, v->ranges[i].len);
	if (v->nr_ranges > GR_MAX_RANGES)
		printf(" ... (%d ranges)", v->nr_ranges);
	printf("\n");
}

/* The first violation, exactly: where, which THP on which node, what differs. Under vlock. */
static void gr_first_violation(int worker, const struct gr_op *o, const char *blk,
			       long long bad, uint64_t gen, struct gr_violation *v)
{
	const struct stamp_hdr *h = (const void *)blk;

	v->region_off = o->region_off + bad;
	v->addr = (uintptr_t)gr.r.addr + v->region_off;
	v->thp = v->region_off / gr.r.thp_size;
	v->node_before = o->node_before;
	v->node_after = gr_node_resolve((void *)v->addr);
	v->worker = worker;
	v->backend = o->b >= 0 ? gr.pins[o->b]->name : "none";
	v->phase = gr_phase_name[gr_phase()];
	v->t_s = (now_ns() - gr.t_start) / 1e9;
	v->expected_gen = gen;
	v->found_valid = h->magic == STAMP_MAGIC;
	v->found_gen = h->gen;
	v->found_offset = h->offset;
	v->op = o->op;
	v->overlap = o->flags & RACE_OVERLAP;
	v->nr_ranges = stamp_diff(blk, gr.bs, v->region_off, gen, v->ranges, GR_MAX_RANGES);
	gr.first = *v;
	gr.have_first = true;
	gr_print_violation(v);
}

/*
 * A violation in buf (len bytes at o's region offset), its first bad block
 * at bad: counted, and reported in full when it is the run's first.
 */
void gr_violation_add(int worker, const struct gr_op *o, const char *buf, long long bad,
		      size_t len, uint64_t gen, struct gr_violation *v)
{
	struct gr_worker *w = worker >= 0 ? &gr.w[worker] : NULL;

	for (size_t off = bad; off + gr.bs <= len; off += gr.bs)
		v->bad_blocks += stamp_check(buf + off, gr.bs, o->region_off + off, gen) != STAMP_OK;
	__atomic_add_fetch(&gr.violations, 1, __ATOMIC_RELAXED);
	/* A violation at rest is nobody's pin: the backends count theirs only. */
	if (w && o->b >= 0 && !v->at_rest) {
		w->st[o->b].violations++;
		w->st[o->b].bad_blocks += v->bad_blocks;
	}
	pthread_mutex_lock(&gr.vlock);
	if (!gr.have_first)
		gr_first_violation(worker, o, buf + bad, bad, gen, v);
	pthread_mutex_unlock(&gr.vlock);
}

/* ---- violations at rest ---- */

/*
 * The migrations since the block was last known good, from the kernel's
 * own trace; a wait of a few milliseconds for the trace to catch up, so
 * only for the run's first violation (the only one reported in full).
 */
static void gr_at_rest_history(struct gr_violation *v, size_t thp)
{
	v->migrations = -1;
	if (__atomic_load_n(&gr.have_first, __ATOMIC_RELAXED))
		return;
	v->migrations = gr_trace_migrations(thp, v->checked_ns, v->detect_ns,
					    &v->migrations_more);
}

/*
 * A block that does not hold the generation its owner last wrote, though
 * nothing wrote it since: damage at rest, or a write that returned and
 * was lost. data is what was read (a copy, for a scrubber). Each damaged
 * generation of a block is reported once, by whoever finds it first.
 */
void gr_rest_bad(const struct gr_rest *r, size_t blk, uint32_t gen, enum stamp_status st,
		 const char *data)
{
	uint64_t roff = (uint64_t)blk * gr.bs;
	struct gr_op o = {
		.thp = roff / gr.r.thp_size,
		.region_off = roff,
		.b = -1,
		.op = r->op,
		.node_before = __atomic_load_n(&gr.seen_node[blk], __ATOMIC_RELAXED),
	};
	struct gr_violation v = {
		.leg = r->leg,
		.seen = r->seen,
		.status = st,
		.at_rest = true,
		.node_checked = o.node_before,
		.checked_ns = __atomic_load_n(&gr.seen_ns[blk], __ATOMIC_RELAXED),
		.detect_ns = now_ns(),
	};

	if (__atomic_exchange_n(&gr.bad_gen[blk], gen, __ATOMIC_RELAXED) == gen)
		return;
	__atomic_add_fetch(r->count, 1, __ATOMIC_RELAXED);
	gr_at_rest_history(&v, o.thp);
	gr_violation_add(r->owner, &o, data, 0, gr.bs, gen, &v);
}

void gr_at_rest_bad(int owner, size_t blk, uint32_t gen, enum stamp_status st,
		    const char *seen, const char *data)
{
	struct gr_rest r = {
		.leg = "at-rest",
		.seen = seen,
		.owner = owner,
		.op = __atomic_load_n(&gr.w[owner].ops, __ATOMIC_RELAXED),
		.count = &gr.at_rest,
	};

	gr_rest_bad(&r, blk, gen, st, data);
}
