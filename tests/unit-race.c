/* unit-race.c - race windows: every way an attempt can overlap a pin interval is counted, and only those. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "race.h"
#include "tap.h"

static struct race_thp shared;
static volatile int stop_mover;

/* A migration driver that never stops: attempts back to back. */
static void *mover(void *arg)
{
	while (!stop_mover) {
		race_attempt_begin(&shared);
		race_attempt_end(&shared, true);
	}
	return NULL;
}

static unsigned int probe(struct race_thp *t, void (*inside)(struct race_thp *))
{
	struct race_probe p;

	race_probe_begin(t, &p);
	if (inside)
		inside(t);
	return race_probe_end(t, &p);
}

static void begin(struct race_thp *t)
{
	race_attempt_begin(t);
}

static void end_moved(struct race_thp *t)
{
	race_attempt_end(t, true);
}

static void end_refused(struct race_thp *t)
{
	race_attempt_end(t, false);
}

static void whole_refused(struct race_thp *t)
{
	race_attempt_begin(t);
	race_attempt_end(t, false);
}

static void whole_moved(struct race_thp *t)
{
	race_attempt_begin(t);
	race_attempt_end(t, true);
}

int main(void)
{
	struct race_thp t = { 0 };
	pthread_t th;
	int seen = 0, missed = 0;

	tap_ok(probe(&t, NULL) == 0, "no attempt: no window");
	whole_moved(&t);
	tap_ok(probe(&t, NULL) == 0, "an attempt over before the interval: no window");
	tap_ok(probe(&t, whole_refused) == RACE_OVERLAP, "a refused attempt inside: overlap, not moved");
	tap_ok(probe(&t, whole_moved) == (RACE_OVERLAP | RACE_MOVED), "a move inside: overlap and moved");
	tap_ok(probe(&t, begin) == RACE_OVERLAP, "an attempt begun inside, still running: overlap");
	tap_ok(probe(&t, end_moved) == (RACE_OVERLAP | RACE_MOVED), "an attempt begun before, ending inside: overlap");
	race_attempt_begin(&t);
	tap_ok(probe(&t, NULL) == RACE_OVERLAP, "an attempt spanning the whole interval: overlap");
	tap_ok(probe(&t, end_refused) == RACE_OVERLAP, "...ending refused inside the next: overlap");
	tap_ok(probe(&t, NULL) == 0, "after it: no window again");

	{
		struct race_log l = { 0 };
		uint64_t a = 0;

		tap_ok(!race_log_overlaps(&l, 0, 1000), "empty log: no overlap");
		tap_ok(race_log_close(&l, 50, &a) == -1, "closing with none open is refused");
		race_log_open(&l, 100);
		tap_ok(race_log_overlaps(&l, 150, 160) && !race_log_overlaps(&l, 10, 90),
		       "an open entry overlaps what comes after its start only");
		tap_ok(race_log_close(&l, 200, &a) == 0 && a == 100, "closed: [100, 200]");
		tap_ok(race_log_overlaps(&l, 190, 300) && race_log_overlaps(&l, 0, 100) &&
		       race_log_overlaps(&l, 120, 130) && !race_log_overlaps(&l, 201, 300) &&
		       !race_log_overlaps(&l, 0, 99), "closed interval: overlap exactly at its edges and inside");
		for (uint64_t t = 1000; t < 1000 + 20 * 10; t += 10) {
			race_log_open(&l, t);
			race_log_close(&l, t + 5, &a);
		}
		tap_ok(race_log_overlaps(&l, 1192, 1192) && !race_log_overlaps(&l, 1196, 1199) &&
		       !race_log_overlaps(&l, 100, 200), "the last %d intervals are kept, older ones dropped",
		       RACE_LOG_LEN);
		{
			bool more;
			unsigned int c = race_log_count(&l, 1150, 1185, &more);

			tap_ok(c == 4 && !more, "migrations ended in (1150, 1185]: %u (4), exact", c);
			c = race_log_count(&l, 0, 10000, &more);
			tap_ok(c == RACE_LOG_LEN && more, "since long ago: %u kept, a lower bound", c);
		}
	}

	/* With a mover running flat out, an interval holding a full attempt must see it. */
	pthread_create(&th, NULL, mover, NULL);
	for (int i = 0; i < 1000; i++) {
		struct race_probe p;
		uint64_t s;

		race_probe_begin(&shared, &p);
		do
			s = __atomic_load_n(&shared.seq, __ATOMIC_SEQ_CST);
		while (s < p.seq + 3);
		seen += !!(race_probe_end(&shared, &p) & RACE_OVERLAP);
		missed += !(race_probe_end(&shared, &p) & RACE_MOVED);
	}
	stop_mover = 1;
	pthread_join(th, NULL);
	tap_ok(seen == 1000 && missed == 0, "concurrent mover: %d of 1000 intervals overlapped, %d missed a move",
	       seen, missed);
	return tap_done();
}
