/* movers.c - movers, hoppers and walkers: what migrates the THPs and walks their page tables. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gup_race.h"

/* ---- the autonuma driver ---- */

/* True when every THP of the hopper's group is mapped on the group's node. */
static bool gr_arrived(const struct gr_hopper *h)
{
	for (int k = h->idx; k < gr.nr_pin_thp; k += gr.groups)
		if (gr_node_of(gr.r.addr + (size_t)k * gr.r.thp_size) != h->node)
			return false;
	return true;
}

static void gr_hop_check(struct gr_hopper *h)
{
	bool waited = now_ns() - h->t_step >= gr_opt.hop_ms * 1000000ull;

	if (waited || gr_arrived(h)) {
		h->arrived += !waited;
		__atomic_store_n(&h->step, h->step + 1, __ATOMIC_RELAXED);
	}
}

/*
 * A hopper makes sure its THPs fault soon after NUMA balancing's scanner
 * armed them, and keeps the scanner going: it scans in the time of the
 * tasks that use the CPU. It moves its group on as soon as NUMA balancing
 * has brought every THP over, or after --hop-ms: a pass of the scanner
 * takes from milliseconds to a second depending on the machine, and each
 * hop is worth one migration of each THP.
 */
void *gr_hopper_main(void *arg)
{
	struct gr_hopper *h = arg;
	int node;

	h->tid_os = gettid();
	h->node = -1;
	while (gr_phase() < GR_STOP) {
		if (gr_phase() != GR_RACE) {
			usleep(5000);
			continue;
		}
		node = h->node;
		h->hops += gr_follow(h->idx, &h->node);
		if (h->node != node)
			h->t_step = now_ns();
		for (int k = h->idx; k < gr.nr_pin_thp; k += gr.groups)
			(void)*(volatile uint64_t *)(gr.r.addr + (size_t)k * gr.r.thp_size + 64);
		h->touches++;
		gr_hop_check(h);
		/* No sleep: NUMA balancing scans from the ticks of busy tasks. */
	}
	return NULL;
}


/* ---- the move_pages driver ---- */

/* The THP the i-th pinner or writer works on now; -1: none. */
static long gr_busy_thp(int i)
{
	if (i < gr.nr_threads)
		return __atomic_load_n(&gr.w[i].cur_thp, __ATOMIC_ACQUIRE);
	return gr.nr_pin_thp + i - gr.nr_threads;
}

/*
 * Every other attempt aims at a THP a pinner or a writer is working on
 * (pressure where the pins and the writes are), the others take this
 * mover's share of the THPs in turn.
 */
static size_t gr_mover_target(struct gr_mover *m)
{
	size_t share = (gr.nr_thp - m->idx + gr_opt.movers - 1) / gr_opt.movers;
	int busy = gr.nr_threads + gr_opt.writers;

	if (m->turn++ & 1) {
		for (int i = 0; i < busy; i++) {
			long k = gr_busy_thp((m->turn / 2 + i) % busy);

			if (k >= 0 && k % gr_opt.movers == m->idx)
				return k;
		}
	}
	return m->idx + m->next++ % share * gr_opt.movers;
}

static int gr_next_node(int node)
{
	const struct topo *t = &gr.ctx->topo;
	int i = topo_index(t, node);

	return t->nodes[i < 0 ? 0 : (i + 1) % t->nr_nodes];
}

/* What became of one THP of a move_pages call that returned ret. */
static void gr_move_count(struct gr_mover *m, uint64_t ns, long ret, int status, bool moved)
{
	m->attempts++;
	if (moved) {
		m->moved++;
		hist_add(&m->lat_moved, ns);
	} else if (ret > 0) {
		/* migrate_pages() gave up: pinned (-EBUSY) or referenced (-EAGAIN after retries). */
		m->refused++;
		hist_add(&m->lat_refused, ns);
	} else if (ret < 0) {
		m->errors++;
		m->last_errno = -ret;
	} else if (status == -EBUSY) {
		m->busy++;	/* not isolated: off the LRU, being migrated already */
	} else if (status == -EFAULT) {
		m->armed++;	/* armed for a NUMA hinting fault: move_pages does not see it */
	} else if (status >= 0) {
		m->elsewhere++;
	} else {
		m->other_status++;
		m->last_status = status;
	}
}

/*
 * One move_pages() call for the n THPs ks[], each to the node after its own.
 * A call that moved some and not others (ret > 0) does not say which in 6.1's
 * status array, so each such THP's node is asked again.
 */
static void gr_move(struct gr_mover *m, const size_t *ks, int n)
{
	void *addr[GR_MAX_BATCH];
	int cur[GR_MAX_BATCH], target[GR_MAX_BATCH], status[GR_MAX_BATCH];
	uint64_t t0;
	long ret;

	for (int i = 0; i < n; i++) {
		addr[i] = gr.r.addr + ks[i] * gr.r.thp_size;
		cur[i] = gr_node_of(addr[i]);
		if (cur[i] < 0)	/* armed for NUMA hinting: where the last move left it */
			cur[i] = __atomic_load_n(&gr.last_node[ks[i]], __ATOMIC_RELAXED);
		target[i] = gr_next_node(cur[i]);
		status[i] = INT_MIN;
		race_attempt_begin(&gr.rt[ks[i]]);
	}
	t0 = now_ns();
	__atomic_store_n(&m->since, t0, __ATOMIC_RELAXED);
	ret = move_pages(0, n, addr, target, status, MPOL_MF_MOVE);
	if (ret < 0)
		ret = -errno;
	t0 = now_ns() - t0;
	for (int i = 0; i < n; i++) {
		bool moved = status[i] == target[i] && cur[i] != target[i] &&
			     (!ret || (n > 1 && ret > 0 && gr_node_of(addr[i]) == target[i]));

		race_attempt_end(&gr.rt[ks[i]], moved);
		if (moved) {
			__atomic_store_n(&gr.scrub_due[ks[i]], 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&gr.moves[ks[i]], 1, __ATOMIC_RELEASE);
		}
		if ((!ret || moved) && status[i] >= 0)
			__atomic_store_n(&gr.last_node[ks[i]], status[i], __ATOMIC_RELAXED);
		/*
		 * A THP that was never isolated is told by its own status, not
		 * the call's; one isolated and not moved has no status written.
		 */
		gr_move_count(m, t0, moved || (ret > 0 && status[i] != target[i] &&
					       status[i] != INT_MIN) ? 0 : ret,
			      status[i], moved);
	}
}

/* The next --move-batch THPs this mover aims at, each once. */
static int gr_mover_batch(struct gr_mover *m, size_t *ks)
{
	int n = 0, want = MIN(gr_opt.move_batch, (gr.nr_thp - m->idx + gr_opt.movers - 1) / gr_opt.movers);

	for (int tries = 0; n < want && tries < 4 * want; tries++) {
		size_t k = gr_mover_target(m);
		int i = 0;

		while (i < n && ks[i] != k)
			i++;
		if (i == n)
			ks[n++] = k;
	}
	return n;
}

void *gr_mover_main(void *arg)
{
	struct gr_mover *m = arg;
	size_t ks[GR_MAX_BATCH];

	m->tid_os = gettid();
	while (gr_phase() < GR_STOP) {
		if (gr_phase() != GR_RACE) {
			usleep(5000);
			continue;
		}
		gr_move(m, ks, gr_mover_batch(m, ks));
	}
	return NULL;
}

/* ---- held references (an amplifier) ---- */

static int *gr_holds;	/* the pipes' read ends, one per held THP; their write ends are closed */

/*
 * A pipe that a page of a THP was vmspliced into, and that nobody reads,
 * holds a plain reference on the THP. Migration sees that reference only
 * after it has put the migration entry in the page table: each attempt puts
 * it in, finds the count one too high, maps the THP back and tries again,
 * ten times in one call. Ten migration entries per move_pages() call and no
 * 2 MiB copy, where a THP that moves makes one.
 */
int gr_hold_open(char *why, size_t len)
{
	gr_holds = calloc(gr.nr_hold, sizeof(*gr_holds));
	if (!gr_holds && gr.nr_hold) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	/* gr_hold_close() after a failure part-way closes only the pipes made */
	for (int k = 0; k < gr.nr_hold; k++)
		gr_holds[k] = -1;
	for (int k = 0; k < gr.nr_hold; k++) {
		struct iovec iov = { gr.r.addr + (size_t)k * gr.r.thp_size, GR_ALIGN };
		int fd[2];

		if (pipe2(fd, O_CLOEXEC | O_NONBLOCK)) {
			snprintf(why, len, "pipe2: %s", strerror(errno));
			return -1;
		}
		if (vmsplice(fd[1], &iov, 1, 0) != GR_ALIGN) {
			snprintf(why, len, "vmsplice of THP %d: %s", k, strerror(errno));
			close(fd[0]);
			close(fd[1]);
			return -1;
		}
		close(fd[1]);
		gr_holds[k] = fd[0];
	}
	return 0;
}

/* Closing the pipe drops its reference. */
void gr_hold_close(void)
{
	for (int k = 0; gr_holds && k < gr.nr_hold; k++)
		if (gr_holds[k] >= 0)
			close(gr_holds[k]);
	free(gr_holds);
	gr_holds = NULL;
}

/* ---- the page-table walker (an amplifier) ---- */

/*
 * The walk NUMA balancing's scanner does through change_prot_numa(), down to
 * each THP's PMD: the scanner gets there a few times a second, a walker as
 * fast as its call returns. Only PROT_EXEC or write-protection changes, and
 * both are undone by the next walk, so the pinners and the sweeps read and
 * write the region throughout.
 */
void *gr_walker_main(void *arg)
{
	struct gr_walker *k = arg;
	int ret;

	k->tid_os = gettid();
	while (gr_phase() < GR_STOP) {
		if (gr_phase() != GR_RACE) {
			usleep(5000);
			continue;
		}
		__atomic_store_n(&k->since, now_ns(), __ATOMIC_RELAXED);
		ret = walk_once(&gr.walk, k->walks);
		if (ret) {
			k->errors++;
			k->last_errno = -ret;
			usleep(1000);
			continue;
		}
		k->walks++;
	}
	walk_once(&gr.walk, 1);
	return NULL;
}
