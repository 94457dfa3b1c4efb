/* race.h - race windows: did a pin operation overlap a migration attempt on the same THP? */
#ifndef MIGRACE_RACE_H
#define MIGRACE_RACE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One per THP. A migration driver brackets each attempt on the THP with
 * race_attempt_begin/end; a pinner brackets the interval it holds (or takes)
 * pins with race_probe_begin/end. The interval overlapped an attempt exactly
 * when the sequence was odd at the start (an attempt under way) or changed
 * by the end (one began or ended inside): no clocks, no locks.
 */
struct race_thp {
	uint64_t seq;		/* odd while an attempt is under way */
	uint64_t moved;		/* attempts that moved the THP */
} __attribute__((aligned(16)));

struct race_probe {
	uint64_t seq, moved;
};

enum race_flags {
	RACE_OVERLAP = 1 << 0,	/* a migration attempt overlapped the interval */
	RACE_MOVED = 1 << 1,	/* an attempt that moved the THP ended inside it */
};

/*
 * The kernel's own account, one per THP: the intervals in which its PMD was
 * a migration entry (tracepoints thp:set_migration_pmd and
 * remove_migration_pmd). One writer (the thread reading the trace), any
 * number of readers, a sequence lock between them.
 */
#define RACE_LOG_LEN 8

struct race_log {
	uint64_t seq;
	uint64_t open;			/* start of the entry in place now; 0: none */
	uint64_t start[RACE_LOG_LEN], end[RACE_LOG_LEN];	/* the last intervals, ns */
	uint64_t n;			/* intervals ever closed */
};

void race_log_open(struct race_log *l, uint64_t t);
int race_log_close(struct race_log *l, uint64_t t, uint64_t *start);
bool race_log_overlaps(const struct race_log *l, uint64_t t0, uint64_t t1);
unsigned int race_log_count(const struct race_log *l, uint64_t t0, uint64_t t1, bool *more);

void race_attempt_begin(struct race_thp *t);
void race_attempt_end(struct race_thp *t, bool moved);
void race_probe_begin(const struct race_thp *t, struct race_probe *p);
unsigned int race_probe_end(const struct race_thp *t, const struct race_probe *p);

#endif
