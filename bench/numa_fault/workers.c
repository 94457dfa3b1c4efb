/* workers.c - the workers: timed accesses, stalls and the page faults behind them. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "numa_fault.h"

struct tsc nf_tsc;
struct nf_shared *nf_sh;
uint64_t nf_thr_ticks;
size_t nf_unit, nf_chunk;
char *nf_base;

static inline uint64_t nf_read(const char *p)
{
	const uint64_t *q = (const uint64_t *)p;
	uint64_t s = 0;

	for (size_t i = 0; i < nf_unit / sizeof(*q); i++)
		s += q[i];
	return s;
}

static uint64_t nf_chunk_plain(const char *c)
{
	uint64_t s = 0;

	for (size_t o = 0; o < nf_chunk; o += nf_unit)
		s += nf_read(c + o);
	return s;
}

/* This thread's page faults: in a populated region, NUMA hinting faults. */
static long nf_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * Whether this thread took a page fault since the last look. A perf
 * software event writes every fault of the thread into a ring it maps, so
 * a look is one load of data_head; getrusage, the fallback without perf,
 * is a system call (about 1 us), too dear for every stall a busy machine
 * makes.
 */
static __thread struct {
	struct perf_event_mmap_page *pc;
	uint64_t seen;
	long count;		/* the fallback's last getrusage */
	size_t len;
	int fd;
} nf_fw = { .fd = -1 };

static bool nf_fw_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.sample_period = 1,
		.exclude_kernel = 1,	/* faults are counted with the user's registers */
		.exclude_hv = 1,
	};
	void *p;

	nf_fw.count = nf_faults();
	nf_fw.len = 2 * (size_t)sysconf(_SC_PAGESIZE);
	nf_fw.fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (nf_fw.fd < 0)
		return false;
	p = mmap(NULL, nf_fw.len, PROT_READ | PROT_WRITE, MAP_SHARED, nf_fw.fd, 0);
	if (p == MAP_FAILED) {
		close(nf_fw.fd);
		nf_fw.fd = -1;
		return false;
	}
	nf_fw.pc = p;
	nf_fw.seen = __atomic_load_n(&nf_fw.pc->data_head, __ATOMIC_ACQUIRE);
	return true;
}

static void nf_fw_close(void)
{
	if (nf_fw.pc)
		munmap(nf_fw.pc, nf_fw.len);
	if (nf_fw.fd >= 0)
		close(nf_fw.fd);
	nf_fw.pc = NULL;
	nf_fw.fd = -1;
}

static bool nf_fw_faulted(void)
{
	uint64_t head;
	long f;

	if (!nf_fw.pc) {
		f = nf_faults();
		if (f == nf_fw.count)
			return false;
		nf_fw.count = f;
		return true;
	}
	head = __atomic_load_n(&nf_fw.pc->data_head, __ATOMIC_ACQUIRE);
	if (head == nf_fw.seen)
		return false;
	/* Consumed: the ring never fills, so the next fault moves data_head again. */
	nf_fw.seen = head;
	__atomic_store_n(&nf_fw.pc->data_tail, head, __ATOMIC_RELEASE);
	return true;
}

/*
 * A slow access, and whether this thread took a page fault since the last
 * stall. A fault too quick to pass the threshold is credited to the next
 * stall: page_faults - fault_stalls in the result counts those.
 */
static __attribute__((noinline)) void nf_stall(struct nf_worker *w, uint64_t ticks)
{
	uint64_t ns = tsc_to_ns(&nf_tsc, ticks);

	hist_add(&w->stall, ns);
	__atomic_store_n(&w->stalls, w->stalls + 1, __ATOMIC_RELAXED);
	if (nf_fw_faulted()) {
		hist_add(&w->fault_stall, ns);
		__atomic_store_n(&w->fault_stalls, w->fault_stalls + 1, __ATOMIC_RELAXED);
	}
}

/*
 * The same reads as nf_chunk_plain with a timestamp after each: the gap
 * between two timestamps is one access, and prev carries it across chunks.
 */
static uint64_t nf_chunk_timed(struct nf_worker *w, const char *c, uint64_t *prev)
{
	uint64_t s = 0, t = *prev, thr = nf_thr_ticks;

	for (size_t o = 0; o < nf_chunk; o += nf_unit) {
		uint64_t now;

		s += nf_read(c + o);
		now = tsc_ticks(&nf_tsc);
		if (__builtin_expect(now - t > thr, 0)) {
			nf_stall(w, now - t);
			now = tsc_ticks(&nf_tsc);	/* the stall's bookkeeping is no access */
		}
		t = now;
	}
	*prev = t;
	return s;
}

static void nf_sched_read(struct nf_worker *w)
{
	FILE *f = fopen("/proc/thread-self/sched", "re");
	char line[256];
	size_t len = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "numa") && len + strlen(line) < sizeof(w->sched)) {
			strcpy(w->sched + len, line);
			len += strlen(line);
		}
	fclose(f);
}

static void nf_add(uint64_t *v, uint64_t d)
{
	__atomic_store_n(v, *v + d, __ATOMIC_RELAXED);
}

/* One chunk of the calibration, plain or timed, and its time. */
static uint64_t nf_calib_chunk(struct nf_worker *w, const char *c, int timed)
{
	uint64_t t0 = tsc_ticks(&nf_tsc), prev = t0, sink, ns;

	sink = timed ? nf_chunk_timed(w, c, &prev) : nf_chunk_plain(c);
	ns = tsc_to_ns(&nf_tsc, tsc_ticks(&nf_tsc) - t0);
	nf_add(&w->cns[timed], ns);
	nf_add(&w->cacc[timed], nf_chunk / nf_unit);
	if (w->ncal[timed] < NF_CAL_CHUNKS) {
		w->cal[timed][w->ncal[timed]] = MIN(ns, UINT32_MAX);
		__atomic_store_n(&w->ncal[timed], w->ncal[timed] + 1, __ATOMIC_RELEASE);
	}
	return sink;
}

static void *nf_worker_main(void *arg)
{
	struct nf_worker *w = arg;
	uint64_t prev = 0, sink = 0, per = nf_chunk / nf_unit;
	struct timespec nap = { 0, 100000 };
	int last = NF_IDLE, ph;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	prctl(PR_SET_NAME, "nf-worker");
	w->fault_ring = nf_fw_open();
	__atomic_store_n(&w->tid, gettid(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&nf_sh->ready, 1, __ATOMIC_SEQ_CST);
	while ((ph = __atomic_load_n(&nf_sh->phase, __ATOMIC_ACQUIRE)) == NF_IDLE)
		nanosleep(&nap, NULL);
	for (size_t o = 0, n = 0; ph != NF_STOP; o = (o + nf_chunk) % w->len, n++) {
		const char *c = nf_base + w->off + o;

		ph = __atomic_load_n(&nf_sh->phase, __ATOMIC_ACQUIRE);
		if (ph != last) {
			if (ph == NF_RUN)
				w->faults0 = nf_faults();
			nf_fw_faulted();
			prev = tsc_ticks(&nf_tsc);
			last = ph;
		}
		if (ph == NF_RUN) {
			sink += nf_chunk_timed(w, c, &prev);
			nf_add(&w->acc, per);
		} else if (ph == NF_PLAIN) {
			sink += nf_calib_chunk(w, c, 0);
		} else if (ph == NF_CALIB) {
			/* plain, timed, timed, plain: neighbours share the machine's mood */
			sink += nf_calib_chunk(w, c, (n & 3) == 1 || (n & 3) == 2);
		}
	}
	w->sink = sink;
	w->faults = nf_faults() - w->faults0;
	nf_fw_close();
	nf_sched_read(w);
	return NULL;
}

/* Starts the workers of process proc; returns how many started. */
int nf_start(int proc, pthread_t *th)
{
	int n = 0;

	for (int i = 0; i < nf_sh->nr; i++) {
		if (nf_sh->w[i].proc != proc)
			continue;
		if (pthread_create(&th[i], NULL, nf_worker_main, &nf_sh->w[i]))
			break;
		n++;
	}
	return n;
}

void nf_join(int proc, pthread_t *th, int started)
{
	for (int i = 0; i < nf_sh->nr && started > 0; i++)
		if (nf_sh->w[i].proc == proc) {
			pthread_join(th[i], NULL);
			started--;
		}
}

/* Waits until n workers are ready; false after 30 s (a machine that slow has other problems). */
bool nf_wait_ready(int n)
{
	struct timespec nap = { 0, 1000000 };
	uint64_t end = now_ns() + 30000000000ull;

	while (__atomic_load_n(&nf_sh->ready, __ATOMIC_ACQUIRE) < n)
		if (now_ns() > end || nanosleep(&nap, NULL) < 0 || migrace_stop)
			return false;
	return true;
}

void nf_set_phase(int ph)
{
	__atomic_store_n(&nf_sh->phase, ph, __ATOMIC_RELEASE);
}

void nf_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !migrace_stop)
		;
}
