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
