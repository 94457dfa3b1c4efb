/* race.c - race windows: did a pin operation overlap a migration attempt on the same THP? */
#include "config.h"

#include "race.h"

/* Sequentially consistent: the begin must be visible before the attempt's syscall starts. */
void race_attempt_begin(struct race_thp *t)
{
	__atomic_add_fetch(&t->seq, 1, __ATOMIC_SEQ_CST);
}

void race_attempt_end(struct race_thp *t, bool moved)
{
	if (moved)
		__atomic_add_fetch(&t->moved, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&t->seq, 1, __ATOMIC_SEQ_CST);
}

/*
 * moved before seq: a move counted in p->moved then ended before the seq
 * read, or is still under way (odd seq, an overlap); read the other way
 * round, a move that ended inside the interval could hide in p->moved.
 */
void race_probe_begin(const struct race_thp *t, struct race_probe *p)
{
	p->moved = __atomic_load_n(&t->moved, __ATOMIC_SEQ_CST);
	p->seq = __atomic_load_n(&t->seq, __ATOMIC_SEQ_CST);
}

unsigned int race_probe_end(const struct race_thp *t, const struct race_probe *p)
{
	uint64_t moved = __atomic_load_n(&t->moved, __ATOMIC_SEQ_CST);
	uint64_t seq = __atomic_load_n(&t->seq, __ATOMIC_SEQ_CST);
	unsigned int f = 0;

	if ((p->seq & 1) || seq != p->seq)
		f |= RACE_OVERLAP;
	if (moved != p->moved)
		f |= RACE_MOVED;
	return f;
}

static void race_log_write(struct race_log *l, bool begin)
{
	__atomic_add_fetch(&l->seq, 1, begin ? __ATOMIC_ACQ_REL : __ATOMIC_RELEASE);
}

void race_log_open(struct race_log *l, uint64_t t)
{
	race_log_write(l, true);
	__atomic_store_n(&l->open, t, __ATOMIC_RELAXED);
	race_log_write(l, false);
}

/* Closes the open interval at t; 0 and its start, or -1 when none was open (its start was lost). */
int race_log_close(struct race_log *l, uint64_t t, uint64_t *start)
{
	uint64_t i = l->n % RACE_LOG_LEN;

	if (!l->open)
		return -1;
	*start = l->open;
	race_log_write(l, true);
	__atomic_store_n(&l->start[i], l->open, __ATOMIC_RELAXED);
	__atomic_store_n(&l->end[i], t, __ATOMIC_RELAXED);
	__atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->open, 0, __ATOMIC_RELAXED);
	race_log_write(l, false);
	return 0;
}

static bool race_log_scan(const struct race_log *l, uint64_t t0, uint64_t t1)
{
	uint64_t open = __atomic_load_n(&l->open, __ATOMIC_RELAXED);
	uint64_t n = __atomic_load_n(&l->n, __ATOMIC_RELAXED);

	if (open && open <= t1)
		return true;
	for (uint64_t i = 0; i < n && i < RACE_LOG_LEN; i++) {
		uint64_t a = __atomic_load_n(&l->start[i], __ATOMIC_RELAXED);
		uint64_t b = __atomic_load_n(&l->end[i], __ATOMIC_RELAXED);

		if (a <= t1 && b >= t0)
			return true;
	}
	return false;
}

/* Whether [t0, t1] overlapped an interval still in the log (or the open one). */
bool race_log_overlaps(const struct race_log *l, uint64_t t0, uint64_t t1)
{
	uint64_t s;
	bool hit;

	do {
		s = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
		hit = !(s & 1) && race_log_scan(l, t0, t1);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((s & 1) || __atomic_load_n(&l->seq, __ATOMIC_RELAXED) != s);
	return hit;
}

static unsigned int race_log_count_once(const struct race_log *l, uint64_t t0, uint64_t t1,
					bool *more)
{
	uint64_t n = __atomic_load_n(&l->n, __ATOMIC_RELAXED), oldest = UINT64_MAX;
	unsigned int c = 0;

	for (uint64_t i = 0; i < n && i < RACE_LOG_LEN; i++) {
		uint64_t b = __atomic_load_n(&l->end[i], __ATOMIC_RELAXED);

		c += b > t0 && b <= t1;
		oldest = b < oldest ? b : oldest;
	}
	*more = n > RACE_LOG_LEN && oldest > t0;
	return c;
}

/*
 * Intervals that ended in (t0, t1]: the migrations a THP went through
 * between two looks at it. *more when older ones in that span may have
 * left the log (the count is then a lower bound).
 */
unsigned int race_log_count(const struct race_log *l, uint64_t t0, uint64_t t1, bool *more)
{
	unsigned int c;
	uint64_t s;

	do {
		s = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
		c = (s & 1) ? 0 : race_log_count_once(l, t0, t1, more);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((s & 1) || __atomic_load_n(&l->seq, __ATOMIC_RELAXED) != s);
	return c;
}
