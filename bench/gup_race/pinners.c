/* pinners.c - pinners: the threads that pin, move data through the pins and check every byte. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gup_race.h"

/*
 * buf (len bytes) should hold generation gen of the blocks at o's region
 * offset; a transfer with a block that does not is a violation.
 */
static bool gr_check(struct gr_worker *w, struct gr_op *o, const char *buf, size_t len,
		     uint64_t gen, const char *leg, const char *seen)
{
	uint64_t t0 = now_ns();
	struct gr_violation v = { .leg = leg, .seen = seen };
	long long bad = stamp_check_range(buf, len, gr.bs, o->region_off, gen, &v.status);

	w->check_ns += now_ns() - t0;
	w->check_bytes += len;
	if (o->b >= 0)
		w->st[o->b].bytes_checked += len;
	if (bad < 0)
		return true;
	gr_violation_add(w->idx, o, buf, bad, len, gen, &v);
	return false;
}

/*
 * The owner marks its blocks busy before it writes them and publishes the
 * new generation after (a sequence count per block): a scrubber that saw
 * the same generation before and after reading a block read it whole.
 */
static void gr_gens_busy(uint64_t roff, size_t len)
{
	for (size_t i = roff / gr.bs; i < (roff + len) / gr.bs; i++)
		__atomic_store_n(&gr.gens[i], gr.gens[i] | GR_GEN_BUSY, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* busy before the first byte written */
}

static void gr_gens_publish(uint64_t roff, size_t len, uint32_t gen)
{
	for (size_t i = roff / gr.bs; i < (roff + len) / gr.bs; i++)
		__atomic_store_n(&gr.gens[i], gen, __ATOMIC_RELEASE);
}

static void gr_stamp(char *addr, size_t len, uint64_t roff, uint32_t gen)
{
	gr_gens_busy(roff, len);
	stamp_write_range(addr, len, gr.bs, roff, gen);
	gr_gens_publish(roff, len, gen);
}

/* The owner's blocks at o, known good (just written or verified) now, on node. */
static void gr_seen(uint64_t roff, size_t len, int node)
{
	uint64_t t = now_ns();

	for (size_t i = roff / gr.bs; i < (roff + len) / gr.bs; i++) {
		__atomic_store_n(&gr.seen_ns[i], t, __ATOMIC_RELAXED);
		__atomic_store_n(&gr.seen_node[i], (int16_t)node, __ATOMIC_RELAXED);
	}
}

/*
 * Before an operation overwrites its range, every block must still hold
 * the generation its owner (this thread, the only writer) last wrote: it
 * sat still since, through whatever migrations happened, and this is
 * where their damage shows.
 */
static void gr_verify_at_rest(struct gr_worker *w, const char *addr, uint64_t roff, size_t len)
{
	uint64_t t0 = now_ns();

	for (size_t off = 0; off + gr.bs <= len; off += gr.bs) {
		size_t blk = (roff + off) / gr.bs;
		uint32_t gen = gr.gens[blk];
		enum stamp_status st = stamp_check(addr + off, gr.bs, roff + off, gen);

		if (st != STAMP_OK)
			gr_at_rest_bad(w->idx, blk, gen, st, "mapping, before overwrite", addr + off);
	}
	w->check_ns += now_ns() - t0;
	w->check_bytes += len;
}

/* ---- one pin operation ---- */

/* Published for the watchdog: a worker stuck in a call is named with its call. */
static void gr_step(struct gr_worker *w, const char *step)
{
	__atomic_store_n(&w->step_since, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&w->step, step, __ATOMIC_RELEASE);
}

static bool gr_inject_now(struct gr_worker *w, enum gr_inject kind)
{
	return gr.inject == kind && w->idx == 0 && w->ops == GR_INJECT_OP;
}

/* Start and end of an interval in which the backend holds or takes pins. */
static void gr_interval_begin(struct gr_op *o)
{
	/* An armed THP's node costs a hinting fault: taken here, outside the interval. */
	o->node_before = gr_node_resolve(gr.r.addr + o->region_off);
	o->t0[MIN(o->nint, 1)] = now_ns();
	race_probe_begin(&gr.rt[o->thp], &o->probe);
}

static void gr_interval_end(struct gr_op *o)
{
	int after;

	o->flags |= race_probe_end(&gr.rt[o->thp], &o->probe);
	o->t1[MIN(o->nint, 1)] = now_ns();
	o->nint = MIN(o->nint + 1, 2);
	after = gr_node_resolve(gr.r.addr + o->region_off);
	if (o->node_before >= 0 && after >= 0 && after != o->node_before)
		o->node_changed = true;
	o->node_after = after;
}

static void gr_keep_lat(struct gr_worker *w, const struct pin_inst *p)
{
	for (int i = 0; i < p->nr_lat && w->nr_lat < GR_OP_LAT; i++) {
		w->lat_kind[w->nr_lat] = p->lat_kind[i];
		w->lat[w->nr_lat++] = p->lat[i];
	}
}

static int gr_fail_call(struct gr_worker *w, struct pin_inst *p, int ret)
{
	gr_error("%s on worker %d: %s", p->ops->name, w->idx, p->err[0] ? p->err : strerror(-ret));
	return ret;
}

/* The process writes a new generation; it must reach the peer through the pin. */
static int gr_leg_out(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io, size_t len)
{
	char *addr = gr.r.addr + o->region_off;
	uint64_t gen = ++w->gen;
	int ret;

	gr_stamp(addr, len, o->region_off, gen);
	p->nr_lat = 0;
	gr_step(w, "out");
	ret = p->ops->out(p, io, len);
	gr_keep_lat(w, p);
	if (ret)
		return gr_fail_call(w, p, ret);
	gr_check(w, o, p->bounce, len, gen, "to-peer", "peer's copy");
	return 0;
}

/* The peer holds a new generation; what arrives through the pin must be what the mapping shows. */
static int gr_leg_in(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io, size_t len)
{
	char *addr = gr.r.addr + o->region_off;
	uint64_t gen = ++w->gen;
	int ret;

	stamp_write_range(p->bounce, len, gr.bs, o->region_off, gen);
	p->nr_lat = 0;
	gr_step(w, "in");
	/* Busy until checked: a bad arrival is this leg's finding, not the scrubbers'. */
	gr_gens_busy(o->region_off, len);
	ret = p->ops->in(p, io, len);
	gr_keep_lat(w, p);
	if (ret) {
		gr_stamp(addr, len, o->region_off, ++w->gen);
		return gr_fail_call(w, p, ret);
	}
	if (gr_inject_now(w, GR_INJECT_CORRUPT)) {
		/* Bytes [bs/4, bs/4 + min(64, bs/4)) of the range's second block. */
		char *victim = addr + (len > gr.bs ? gr.bs : 0) + gr.bs / 4;

		for (size_t i = 0; i < MIN(64, gr.bs / 4); i++)
			victim[i] ^= 0xff;
	}
	if (gr_check(w, o, addr, len, gen, "from-peer", "mapping"))
		gr_gens_publish(o->region_off, len, gen);
	else
		gr_stamp(addr, len, o->region_off, ++w->gen);	/* go on from a known state */
	return 0;
}

typedef int (*gr_leg_fn)(struct gr_worker *w, struct gr_op *o, struct pin_inst *p,
			 char *io, size_t len);

/* Out, then in; each leg its own pinning interval when the backend holds no pin across them. */
static int gr_legs(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io,
		   size_t len, bool bracket)
{
	static const gr_leg_fn legs[] = { gr_leg_out, gr_leg_in };
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(legs) && !ret; i++) {
		if (bracket)
			gr_interval_begin(o);
		ret = legs[i](w, o, p, io, len);
		if (bracket)
			gr_interval_end(o);
	}
	return ret;
}

static int gr_pinned(struct gr_worker *w, struct gr_op *o, struct pin_inst *p, char *io, size_t len)
{
	int rounds = p->ops->long_term ? gr_opt.rounds : 1, ret, ret2;

	gr_interval_begin(o);
	p->nr_lat = 0;
	gr_step(w, "pin");
	ret = p->ops->pin(p, io, len);
	gr_keep_lat(w, p);
	if (ret) {
		gr_interval_end(o);
		return gr_fail_call(w, p, ret);
	}
	for (int i = 0; i < rounds && !ret; i++)
		ret = gr_legs(w, o, p, io, len, false);
	gr_step(w, "unpin");
	p->nr_lat = 0;
	ret2 = p->ops->unpin(p);
	gr_keep_lat(w, p);
	if (ret2 && !ret)
		ret = gr_fail_call(w, p, ret2);
	gr_interval_end(o);
	return ret;
}


static void gr_account(struct gr_worker *w, struct gr_op *o, int phase0)
{
	struct gr_stats *s = &w->st[o->b];
	bool window = (o->flags & RACE_OVERLAP) || o->node_changed;
	int phase1 = gr_phase(), set = -1;

	s->ops++;
	if (phase0 == GR_BASELINE && phase1 == GR_BASELINE) {
		s->ops_baseline++;
		set = 0;
	} else if (phase0 == GR_RACE) {
		s->windows += window;
		s->win_overlap += !!(o->flags & RACE_OVERLAP);
		s->win_node += o->node_changed;
		s->win_moved += !!(o->flags & RACE_MOVED);
		gr_defer(w, o, window);
		set = 1;
	}
	/* An instance's first operation warms it up: not measured. */
	if (set >= 0 && s->ops > 1) {
		for (int i = 0; i < w->nr_lat; i++) {
			hist_add(gr_lat_hist(s, w->lat_kind[i], set), w->lat[i]);
			if (window)
				hist_add(gr_lat_hist(s, w->lat_kind[i], 2), w->lat[i]);
		}
	}
}

static int gr_pin_op(struct gr_worker *w, int b, size_t thp)
{
	struct pin_inst *p = &w->inst[b];
	size_t len = MIN(gr.xfer, p->len_max), slots, off;
	struct gr_op o = { .thp = thp, .op = w->ops, .b = b, .node_after = -1 };
	int phase0 = gr_phase(), ret;
	char *addr, *io;

	slots = (w->slice_len - len) / GR_ALIGN + 1;
	off = w->slice_off + gr_rand(w) % slots * GR_ALIGN;
	o.region_off = thp * gr.r.thp_size + off;
	addr = io = gr.r.addr + o.region_off;
	if (gr_inject_now(w, GR_INJECT_STALE)) {
		/* What a pin left on the old page after a migration would see. */
		memcpy(w->shadow, addr, len);
		io = w->shadow;
	}
	w->nr_lat = 0;
	w->cur_b = b;
	__atomic_store_n(&w->cur_thp, (long)thp, __ATOMIC_RELEASE);
	if (gr_inject_now(w, GR_INJECT_AT_REST)) {
		/* Bytes [bs/4, bs/4 + min(64, bs/4)) of the range's second block, as a lossy move would. */
		char *victim = addr + (len > gr.bs ? gr.bs : 0) + gr.bs / 4;

		for (size_t i = 0; i < MIN(64, gr.bs / 4); i++)
			victim[i] ^= 0xff;
	}
	gr_verify_at_rest(w, addr, o.region_off, len);
	if (p->ops->holds_pin)
		ret = gr_pinned(w, &o, p, io, len);
	else
		ret = gr_legs(w, &o, p, io, len, true);
	gr_seen(o.region_off, len, o.node_after);
	__atomic_store_n(&w->cur_thp, -1L, __ATOMIC_RELEASE);
	gr_account(w, &o, phase0);
	w->ops++;
	return ret;
}


/* ---- pinner threads ---- */

static size_t gr_own_thp(const struct gr_worker *w, int j)
{
	return w->group + (size_t)j * gr.groups;
}

/* Every block of the worker's slices, as the last write left it. */
static void gr_sweep(struct gr_worker *w)
{
	for (int j = 0; j < w->nr_own; j++) {
		size_t k = gr_own_thp(w, j), roff = k * gr.r.thp_size + w->slice_off;
		struct gr_op o = { .thp = k, .b = -1, .op = w->ops };

		o.node_before = gr_node_resolve(gr.r.addr + roff);
		for (size_t off = 0; off < w->slice_len; off += gr.bs) {
			uint32_t gen = gr.gens[(roff + off) / gr.bs];

			/* damage at rest already reported, and never overwritten since */
			if (__atomic_load_n(&gr.bad_gen[(roff + off) / gr.bs], __ATOMIC_RELAXED) == gen)
				continue;
			o.region_off = roff + off;
			if (!gr_check(w, &o, gr.r.addr + roff + off, gr.bs, gen, "final sweep", "mapping"))
				break;
		}
	}
}

static int gr_worker_setup(struct gr_worker *w)
{
	w->tid_os = gettid();
	w->group = w->idx / gr.sharers;
	w->slice_off = (w->idx % gr.sharers) * gr.slice;
	w->slice_len = w->idx % gr.sharers == gr.sharers - 1 ?
		       gr.r.thp_size - w->slice_off : gr.slice;
	w->nr_own = (gr.nr_pin_thp - w->group + gr.groups - 1) / gr.groups;
	for (int b = 0; b < gr.nr_pins; b++) {
		off_t slot = ((off_t)w->idx * gr.nr_pins + b) * gr.xfer;
		int ret = pin_open(&w->inst[b], gr.pins[b], &gr.conf, slot);

		if (ret) {
			gr_error("%s setup on worker %d: %s", gr.pins[b]->name, w->idx, w->inst[b].err);
			return ret;
		}
	}
	for (int j = 0; j < w->nr_own; j++) {
		size_t roff = gr_own_thp(w, j) * gr.r.thp_size + w->slice_off;

		gr_stamp(gr.r.addr + roff, w->slice_len, roff, 1);
		gr_seen(roff, w->slice_len, gr.ctx->topo.nodes[0]);
	}
	w->gen = 1;
	w->ready = true;
	return 0;
}

void *gr_worker_main(void *arg)
{
	struct gr_worker *w = arg;
	int ret = gr_worker_setup(w);

	pthread_barrier_wait(&gr.ready);
	w->bound = -1;
	while (!ret && gr_phase() < GR_STOP) {
		int b = w->ops % gr.nr_pins;

		w->hops += gr_follow(w->group, &w->bound);
		ret = gr_pin_op(w, b, gr_own_thp(w, w->ops / gr.nr_pins % w->nr_own));
	}
	gr_step(w, "waiting for the trace");
	gr_resolve(w, true);
	gr_step(w, "final sweep");
	if (w->ready)
		gr_sweep(w);
	gr_step(w, "teardown");
	for (int b = 0; b < gr.nr_pins; b++)
		pin_close(&w->inst[b]);
	gr_step(w, NULL);
	return NULL;
}
