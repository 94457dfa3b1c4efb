/* writers.c - lost writes: threads that keep stamping a THP of their own while it migrates, every returned write checked. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "gup_race.h"

/*
 * A writer owns one THP after the pinners' (gr.nr_pin_thp + its index)
 * and stamps its blocks one after the other, each with a new generation,
 * recorded in gens[] once the store has returned. A kernel that copies a
 * THP while a stale TLB entry still lets the old page be written loses
 * the writes that land there after the copy: the block then holds an
 * older generation than the one recorded. The writer finds that before
 * it overwrites the block, in a check of the whole THP after each of its
 * migrations, and at the end.
 */

static size_t gr_writer_first(const struct gr_writer *lw)
{
	return lw->thp * gr.r.thp_size / gr.bs;
}

/* The store of this write dropped, its generation recorded all the same: a lost write. */
static bool gr_writer_inject_now(const struct gr_writer *lw)
{
	return gr.inject == GR_INJECT_LOST_WRITE && lw->idx == 0 && lw->writes == GR_INJECT_OP;
}

static void gr_writer_bad(struct gr_writer *lw, size_t blk, enum stamp_status st,
			  const char *seen)
{
	struct gr_rest r = {
		.leg = "lost-write",
		.seen = seen,
		.owner = -1,
		.op = lw->writes,
		.count = &gr.lost_writes,
	};

	lw->lost++;
	gr_rest_bad(&r, blk, gr.gens[blk], st, gr.r.addr + blk * gr.bs);
}

/* A block must hold the generation last recorded for it. */
static void gr_writer_check(struct gr_writer *lw, size_t blk, const char *seen)
{
	uint32_t gen = gr.gens[blk];
	enum stamp_status st;

	if (__atomic_load_n(&gr.bad_gen[blk], __ATOMIC_RELAXED) == gen)
		return;	/* reported, not overwritten since */
	st = stamp_check(gr.r.addr + blk * gr.bs, gr.bs, (uint64_t)blk * gr.bs, gen);
	lw->checked++;
	if (st != STAMP_OK)
		gr_writer_bad(lw, blk, st, seen);
}

static void gr_writer_check_thp(struct gr_writer *lw, const char *seen)
{
	size_t first = gr_writer_first(lw), n = gr.r.thp_size / gr.bs;

	for (size_t i = 0; i < n; i++)
		gr_writer_check(lw, first + i, seen);
}

/*
 * After a migration of its THP (the tracer's remove_migration_pmd or a
 * mover's move), every write that returned before it must have crossed.
 */
static void gr_writer_after_move(struct gr_writer *lw)
{
	uint32_t moves = __atomic_load_n(&gr.moves[lw->thp], __ATOMIC_ACQUIRE);

	if (moves == lw->moves)
		return;
	lw->moves = moves;
	lw->node = gr_node_resolve(gr.r.addr + lw->thp * gr.r.thp_size);
	gr_writer_check_thp(lw, "writer, after a migration");
	lw->thp_checks++;
}

static void gr_writer_write(struct gr_writer *lw, size_t blk)
{
	uint64_t roff = (uint64_t)blk * gr.bs;
	uint32_t gen = ++lw->gen & ~GR_GEN_BUSY;

	gr_writer_check(lw, blk, "writer, before overwrite");
	if (!gr_writer_inject_now(lw))
		stamp_write(gr.r.addr + roff, gr.bs, roff, gen);
	/* The store returned: this write must be there from now on. */
	__atomic_store_n(&gr.gens[blk], gen, __ATOMIC_RELEASE);
	__atomic_store_n(&gr.seen_ns[blk], now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&gr.seen_node[blk], (int16_t)lw->node, __ATOMIC_RELAXED);
	lw->writes++;
}

/* Its THP stamped whole with generation 1, as a pinner's slices are. */
static void gr_writer_setup(struct gr_writer *lw)
{
	size_t first, n = gr.r.thp_size / gr.bs;
	uint64_t roff, t = now_ns();

	lw->tid_os = gettid();
	lw->thp = gr.nr_pin_thp + lw->idx;
	lw->group = lw->idx % gr.groups;
	lw->node = gr.ctx->topo.nodes[0];
	lw->gen = 1;
	first = gr_writer_first(lw);
	roff = first * gr.bs;
	stamp_write_range(gr.r.addr + roff, gr.r.thp_size, gr.bs, roff, lw->gen);
	for (size_t i = first; i < first + n; i++) {
		gr.gens[i] = lw->gen;
		gr.seen_ns[i] = t;
		gr.seen_node[i] = (int16_t)lw->node;
	}
}

void *gr_writer_main(void *arg)
{
	struct gr_writer *lw = arg;
	size_t first, n = gr.r.thp_size / gr.bs, i = 0;

	gr_writer_setup(lw);
	first = gr_writer_first(lw);
	pthread_barrier_wait(&gr.ready);
	lw->bound = -1;
	while (gr_phase() < GR_STOP) {
		/* autonuma: its THP faults from its group's node, and follows the group */
		gr_follow(lw->group, &lw->bound);
		gr_writer_write(lw, first + i);
		i = (i + 1) % n;
		if (i % GR_WRITER_LOOK == 0) {
			__atomic_store_n(&lw->since, now_ns(), __ATOMIC_RELAXED);
			gr_writer_after_move(lw);
		}
	}
	gr_writer_check_thp(lw, "writer, final check");
	return NULL;
}

json_object *gr_writers_json(double race_s)
{
	json_object *o;
	uint64_t writes = 0, checked = 0, thp_checks = 0, lost = 0;

	if (!gr_opt.writers)
		return NULL;
	for (int i = 0; i < gr_opt.writers; i++) {
		writes += gr.lw[i].writes;
		checked += gr.lw[i].checked;
		thp_checks += gr.lw[i].thp_checks;
		lost += gr.lw[i].lost;
	}
	o = json_object_new_object();
	json_object_object_add(o, "writers", json_object_new_int(gr_opt.writers));
	gr_add_u64(o, "writes", writes);
	json_object_object_add(o, "writes_per_s", json_object_new_double(race_s > 0 ? writes / race_s : 0));
	gr_add_u64(o, "blocks_checked", checked);
	gr_add_u64(o, "checks_after_migration", thp_checks);
	gr_add_u64(o, "lost", lost);
	printf("lost-write writers: %d, %llu writes (%.0f/s), %llu whole-THP checks after a migration, %llu lost\n",
	       gr_opt.writers, (unsigned long long)writes, race_s > 0 ? writes / race_s : 0,
	       (unsigned long long)thp_checks, (unsigned long long)lost);
	return o;
}
