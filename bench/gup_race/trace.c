/* trace.c - the tracer: the kernel's migration entries read from tracepoints, and the race windows they close. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gup_race.h"

struct gr_trace gr_tr;

/* ---- trace windows: operations against the kernel's migration entries ---- */

static void gr_trace_wait(uint64_t t)
{
	while (__atomic_load_n(&gr_tr.upto, __ATOMIC_ACQUIRE) < t)
		usleep(1000);
}

static void gr_resolve_one(struct gr_worker *w, const struct gr_pending *p)
{
	struct gr_stats *s = &w->st[p->b];
	bool hit = false;

	for (int i = 0; i < p->nint; i++)
		hit |= race_log_overlaps(&gr_tr.mig[p->thp], p->t0[i], p->t1[i]);
	if (!hit)
		return;
	s->win_trace++;
	if (!p->counted) {
		s->windows++;
		s->win_trace_only++;
	}
}

/* Decides the operations the trace has caught up with; all of them when wait. */
void gr_resolve(struct gr_worker *w, bool wait)
{
	while (w->pend_tail != w->pend_head) {
		const struct gr_pending *p = &w->pend[w->pend_tail % GR_PENDING];
		uint64_t end = p->t1[p->nint - 1];

		if (wait)
			gr_trace_wait(end);
		else if (__atomic_load_n(&gr_tr.upto, __ATOMIC_ACQUIRE) < end)
			return;
		gr_resolve_one(w, p);
		w->pend_tail++;
	}
}

void gr_defer(struct gr_worker *w, const struct gr_op *o, bool counted)
{
	struct gr_pending *p;

	if (!gr_tr.on || !o->nint)
		return;
	if (w->pend_head - w->pend_tail == GR_PENDING)
		gr_trace_wait(w->pend[w->pend_tail % GR_PENDING].t1[0]);
	gr_resolve(w, false);
	if (w->pend_head - w->pend_tail == GR_PENDING)
		gr_resolve(w, true);
	p = &w->pend[w->pend_head++ % GR_PENDING];
	*p = (struct gr_pending){ .thp = o->thp, .b = o->b, .nint = o->nint, .counted = counted };
	memcpy(p->t0, o->t0, sizeof(p->t0));
	memcpy(p->t1, o->t1, sizeof(p->t1));
}


/*
 * The kernel's migrations of a THP that ended in (t0, t1], once the trace
 * has caught up with t1; -1 without a trace. A lower bound when *more.
 */
long long gr_trace_migrations(size_t thp, uint64_t t0, uint64_t t1, bool *more)
{
	*more = false;
	if (!gr_tr.on)
		return -1;
	gr_trace_wait(t1);
	return race_log_count(&gr_tr.mig[thp], t0, t1, more);
}


/* ---- the trace reader ---- */

enum gr_trace_kind { GR_TR_START, GR_TR_SET, GR_TR_REMOVE, GR_TR_KINDS };

/* The slot of a thread's last migrate_pages() start; NULL when the table is full. */
static struct gr_call *gr_call_of(uint32_t tid)
{
	for (size_t i = 0; i < gr_tr.nr_calls; i++)
		if (gr_tr.calls[i].tid == tid)
			return &gr_tr.calls[i];
	if (gr_tr.nr_calls == gr_tr.max_calls)
		return NULL;
	gr_tr.calls[gr_tr.nr_calls] = (struct gr_call){ .tid = tid };
	return &gr_tr.calls[gr_tr.nr_calls++];
}

/*
 * A THP's kernel migration runs from the start of the migrate_pages() call
 * that sets its entry (same thread; the THP is isolated by then, its PMD
 * still mapped or armed for a NUMA hinting fault) to the entry's removal.
 * Without the start, from the entry's setting.
 */
static void gr_trace_event(const struct counters_rec *r, enum gr_trace_kind kind)
{
	uintptr_t a = r->field[0], base = (uintptr_t)gr.r.addr;
	struct gr_call *c;
	uint64_t start;
	size_t k;

	if (kind == GR_TR_START) {
		c = gr_call_of(r->tid);
		if (c)
			c->t = r->time_ns;
		return;
	}
	if (a < base || a >= base + gr.r.size || (a - base) % gr.r.thp_size)
		return;
	k = (a - base) / gr.r.thp_size;
	if (kind == GR_TR_SET) {
		c = gr_tr.tp_start ? gr_call_of(r->tid) : NULL;
		start = r->time_ns;
		if (c && c->t) {
			start = c->t;
			c->t = 0;	/* one entry per call: NUMA balancing and the movers move one THP */
			gr_tr.from_call++;
		}
		gr_tr.entry_set[k] = r->time_ns;
		race_log_open(&gr_tr.mig[k], start);
		return;
	}
	if (race_log_close(&gr_tr.mig[k], r->time_ns, &start)) {
		gr_tr.unpaired++;
		return;
	}
	__atomic_store_n(&gr.scrub_due[k], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&gr.moves[k], 1, __ATOMIC_RELEASE);
	gr_tr.entries++;
	hist_add(&gr_tr.entry_ns, r->time_ns - gr_tr.entry_set[k]);
	hist_add(&gr_tr.call_ns, r->time_ns - start);
}

/* Records read but not applied yet: later than the time the reading began. */
struct gr_trace_buf {
	struct counters_rec *rec;
	size_t n, cap;
};

/* Everything the sampler holds; false when out of memory. */
static bool gr_trace_fill(struct counters_sampler *s, struct gr_trace_buf *b)
{
	int got;

	do {
		if (b->cap - b->n < GR_TRACE_BATCH) {
			void *p = realloc(b->rec, (b->cap + GR_TRACE_BATCH) * sizeof(*b->rec));

			if (!p)
				return false;
			b->rec = p;
			b->cap += GR_TRACE_BATCH;
		}
		got = counters_sample_read(s, b->rec + b->n, GR_TRACE_BATCH);
		b->n += got;
	} while (got == GR_TRACE_BATCH);
	return true;
}

static int gr_rec_cmp(const void *a, const void *b)
{
	const struct counters_rec *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

static void gr_trace_keep(struct gr_trace_buf *b, size_t used)
{
	memmove(b->rec, b->rec + used, (b->n - used) * sizeof(*b->rec));
	b->n -= used;
}

/*
 * Every record up to upto is in the buffers once reading began after upto:
 * those are applied in time order (an entry's end never before its start),
 * later ones wait for the next round.
 */
static void gr_trace_apply(struct gr_trace_buf *b, uint64_t upto)
{
	size_t i[GR_TR_KINDS] = { 0 };

	for (int k = 0; k < GR_TR_KINDS; k++)
		qsort(b[k].rec, b[k].n, sizeof(*b[k].rec), gr_rec_cmp);
	for (;;) {
		int next = -1;

		/* Ties go to the earlier kind: a call starts before its entry is set, set before removed. */
		for (int k = 0; k < GR_TR_KINDS; k++)
			if (i[k] < b[k].n && b[k].rec[i[k]].time_ns <= upto &&
			    (next < 0 || b[k].rec[i[k]].time_ns < b[next].rec[i[next]].time_ns))
				next = k;
		if (next < 0)
			break;
		gr_trace_event(&b[next].rec[i[next]++], next);
	}
	for (int k = 0; k < GR_TR_KINDS; k++)
		gr_trace_keep(&b[k], i[k]);
}

/* Once records were lost, an entry whose end may be among them must not pass as a migration for ever. */
static void gr_trace_expire(uint64_t now)
{
	for (int k = 0; k < gr.nr_thp; k++) {
		uint64_t open = __atomic_load_n(&gr_tr.mig[k].open, __ATOMIC_RELAXED), start;

		if (open && now - open > GR_TRACE_STALE &&
		    counters_sample_lost(gr_tr.tp_set) + counters_sample_lost(gr_tr.tp_remove)) {
			race_log_close(&gr_tr.mig[k], open, &start);
			gr_tr.stale++;
		}
	}
}

static void *gr_tracer_main(void *arg)
{
	struct counters_sampler *tp[GR_TR_KINDS] = { gr_tr.tp_start, gr_tr.tp_set, gr_tr.tp_remove };
	struct gr_trace_buf b[GR_TR_KINDS] = { 0 };

	for (;;) {
		bool last = __atomic_load_n(&gr_tr.stop, __ATOMIC_ACQUIRE);
		uint64_t upto = now_ns();

		for (int k = 0; k < GR_TR_KINDS; k++) {
			if (tp[k] && !gr_trace_fill(tp[k], &b[k])) {
				gr_error("out of memory reading the trace");
				last = true;
			}
		}
		gr_trace_apply(b, upto);
		gr_trace_expire(upto);
		__atomic_store_n(&gr_tr.upto, upto, __ATOMIC_RELEASE);
		if (last)
			break;
		usleep(2000);
	}
	/* Nobody waits for a trace that is no longer read. */
	__atomic_store_n(&gr_tr.upto, UINT64_MAX, __ATOMIC_RELEASE);
	for (int k = 0; k < GR_TR_KINDS; k++)
		free(b[k].rec);
	return NULL;
}

/* Before any thread starts: the samplers follow the threads started later. */
void gr_trace_open(void)
{
	static const char *const addr[] = { "addr", NULL };
	char why[200];

	hist_init(&gr_tr.entry_ns);
	hist_init(&gr_tr.call_ns);
	gr_tr.tp_set = counters_sample_open("thp:set_migration_pmd", addr, 0, why, sizeof(why));
	if (gr_tr.tp_set)
		gr_tr.tp_remove = counters_sample_open("thp:remove_migration_pmd", addr, 0,
						    why, sizeof(why));
	gr_tr.mig = calloc(gr.nr_thp, sizeof(*gr_tr.mig));
	gr_tr.entry_set = calloc(gr.nr_thp, sizeof(*gr_tr.entry_set));
	/* Every thread of ours, and room for the helpers' (pvm). */
	gr_tr.max_calls = gr.nr_threads + gr.nr_hoppers + gr_opt.movers + 64;
	gr_tr.calls = calloc(gr_tr.max_calls, sizeof(*gr_tr.calls));
	if (!gr_tr.tp_set || !gr_tr.tp_remove || !gr_tr.mig || !gr_tr.entry_set || !gr_tr.calls) {
		snprintf(gr_tr.why, sizeof(gr_tr.why), "%s",
			 gr_tr.tp_set && gr_tr.tp_remove ? "out of memory" : why);
		counters_sample_close(gr_tr.tp_set);
		gr_tr.tp_set = NULL;
		return;
	}
	/* Optional: without it a migration is the life of its entry alone. */
	gr_tr.tp_start = counters_sample_open("migrate:mm_migrate_pages_start", NULL, 0,
					   gr_tr.start_why, sizeof(gr_tr.start_why));
	gr_tr.on = !pthread_create(&gr_tr.thread, gr_thread_attr(), gr_tracer_main, NULL);
}

void gr_trace_close(void)
{
	if (!gr_tr.on)
		return;
	__atomic_store_n(&gr_tr.stop, true, __ATOMIC_RELEASE);
	pthread_join(gr_tr.thread, NULL);
	gr_tr.lost = counters_sample_lost(gr_tr.tp_set) + counters_sample_lost(gr_tr.tp_remove) +
			(gr_tr.tp_start ? counters_sample_lost(gr_tr.tp_start) : 0);
	counters_sample_close(gr_tr.tp_start);
	counters_sample_close(gr_tr.tp_set);
	counters_sample_close(gr_tr.tp_remove);
}

json_object *gr_trace_json(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "available", json_object_new_boolean(gr_tr.on));
	if (!gr_tr.on) {
		json_object_object_add(o, "why", json_object_new_string(gr_tr.why));
		return o;
	}
	gr_add_u64(o, "migration_entries", gr_tr.entries);
	gr_add_u64(o, "entries_from_call_start", gr_tr.from_call);
	json_object_object_add(o, "call_start", gr_tr.tp_start ? json_object_new_boolean(true) :
			       json_object_new_string(gr_tr.start_why));
	gr_add_u64(o, "unpaired_ends", gr_tr.unpaired);
	gr_add_u64(o, "lost_ends", gr_tr.stale);
	gr_add_u64(o, "lost_records", gr_tr.lost);
	json_object_object_add(o, "entry_duration", hist_to_json(&gr_tr.entry_ns, "ns"));
	json_object_object_add(o, "migration_duration", hist_to_json(&gr_tr.call_ns, "ns"));
	return o;
}
