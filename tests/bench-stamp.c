/* bench-stamp.c - how fast gup-race stamps and checks blocks, per thread (benchmark: one SUMMARY line). */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opt.h"
#include "region.h"
#include "stamp.h"
#include "topo.h"
#include "util.h"

#define GOAL_GBPS 2.0

static uint64_t bs_size, bs_block;
static int bs_threads;
static double bs_seconds;

static const struct opt bs_opts[] = {
	{ "threads", OPT_INT, &bs_threads, "0", "threads checking at once; 0: one per CPU", 0, 4096 },
	{ "size", OPT_SIZE, &bs_size, "64M", "THP region of each thread" },
	{ "block", OPT_SIZE, &bs_block, "4096", "stamped block size" },
	{ "seconds", OPT_DOUBLE, &bs_seconds, "2", "how long each measurement runs", 0.1, 3600 },
	{ NULL }
};

struct bs_thread {
	pthread_t tid;
	struct region r;
	double check_gbps, write_gbps, check_cpu_gbps;
	long long bad;
	int err;
};

static pthread_barrier_t bs_start;

static uint64_t bs_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Writes or checks the region over and over for bs_seconds: GB/s of wall
 * time, and in *cpu GB/s of the thread's CPU time (what a thread does while
 * it runs, on a machine shared with others).
 */
static double bs_measure(struct bs_thread *t, bool check, double *cpu)
{
	uint64_t t0 = now_ns(), c0 = bs_cpu_ns(), end = t0 + (uint64_t)(bs_seconds * 1e9);
	uint64_t bytes = 0, now, gen = 1;

	do {
		if (check) {
			long long bad = stamp_check_range(t->r.addr, t->r.size, bs_block, 0, gen, NULL);

			if (bad >= 0)
				t->bad = bad;
		} else {
			stamp_write_range(t->r.addr, t->r.size, bs_block, 0, gen);
		}
		bytes += t->r.size;
		now = now_ns();
	} while (now < end);
	*cpu = bytes / (double)(bs_cpu_ns() - c0);
	return bytes / (double)(now - t0);
}

static void *bs_main(void *arg)
{
	struct bs_thread *t = arg;
	double cpu;

	t->err = region_alloc(&t->r, bs_size, 0, -1);
	pthread_barrier_wait(&bs_start);
	if (t->err)
		return NULL;
	t->bad = -1;
	t->write_gbps = bs_measure(t, false, &cpu);
	pthread_barrier_wait(&bs_start);
	t->check_gbps = bs_measure(t, true, &t->check_cpu_gbps);
	region_free(&t->r);
	return NULL;
}

/* Every thread at once; fills min and mean check GB/s a thread (wall time), check GB/s per CPU second, write GB/s. */
static int bs_run(int n, double *min, double *mean, double *cpu, double *write)
{
	struct bs_thread *t = calloc(n, sizeof(*t));

	if (!t)
		return -1;
	pthread_barrier_init(&bs_start, NULL, n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i].tid, NULL, bs_main, &t[i]);
	*min = 1e30;
	*mean = *write = *cpu = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i].tid, NULL);
		if (t[i].err || t[i].bad >= 0) {
			msg("thread %d: %s", i, t[i].err ? "cannot allocate its region" :
			    "a block failed its check: stamps broken");
			free(t);
			return -1;
		}
		*min = MIN(*min, t[i].check_gbps);
		*mean += t[i].check_gbps / n;
		*cpu += t[i].check_cpu_gbps / n;
		*write += t[i].write_gbps / n;
	}
	pthread_barrier_destroy(&bs_start);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	const struct opt *tabs[] = { bs_opts, NULL };
	double one_min, one_mean, one_cpu, one_write, all_min, all_mean, all_cpu, all_write;
	struct topo topo;

	opt_parse(tabs, argc - 1, argv + 1,
		  "bench-stamp [options]\n\nStamp writing and checking speed (XXH3), one thread, then many at once.");
	if (bs_block < STAMP_MIN_BLOCK || bs_size % bs_block)
		usage_error("--block %llu: at least %d and dividing --size",
			    (unsigned long long)bs_block, STAMP_MIN_BLOCK);
	if (bs_size % region_thp_size())
		usage_error("--size: not a multiple of the THP size %zu", region_thp_size());
	topo_init(&topo);
	if (!bs_threads)
		bs_threads = topo.nr_cpus;
	if (bs_run(1, &one_min, &one_mean, &one_cpu, &one_write) ||
	    bs_run(bs_threads, &all_min, &all_mean, &all_cpu, &all_write))
		return EXIT_FAIL;
	printf("1 thread: check %.2f GB/s (%.2f GB per CPU second), write %.2f GB/s\n",
	       one_mean, one_cpu, one_write);
	printf("%d threads: check %.2f GB/s a thread (slowest %.2f; %.2f GB per CPU second), write %.2f GB/s a thread\n",
	       bs_threads, all_mean, all_min, all_cpu, all_write);
	if (topo.emulated)
		printf("timings are emulated (QEMU TCG), not hardware figures\n");
	/* The goal is judged per CPU second: other load on the machine does not count against it. */
	printf("SUMMARY bench=stamp block=%llu size_per_thread=%llu threads=%d check_gbps_1thread=%.2f check_gbps_per_thread=%.2f check_gbps_slowest_thread=%.2f check_gb_per_cpu_s=%.2f write_gbps_per_thread=%.2f goal_gbps=%.1f goal=%s timings=%s\n",
	       (unsigned long long)bs_block, (unsigned long long)bs_size, bs_threads, one_mean,
	       all_mean, all_min, all_cpu, all_write, GOAL_GBPS,
	       MIN(all_cpu, one_cpu) >= GOAL_GBPS ? "met" : "missed",
	       topo.emulated ? "emulated" : topo.hypervisor[0] ? "virtualized" : "hardware");
	return EXIT_PASS;
}
