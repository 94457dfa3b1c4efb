/* state.c - the run's shared state and the small helpers every gup-race thread uses. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdarg.h>
#include <stdio.h>

#include "gup_race.h"

/* One run a process: the threads find it here. */
struct gr_state gr;

/*
 * The node of the page at addr (move_pages without nodes takes no fault;
 * 6.1's do_pages_stat_array() holds a page reference only for the look,
 * which a migration's reference check meeting it retries), or -errno:
 * -EFAULT for a THP armed for a NUMA hinting fault (Linux 6.1's
 * follow_page with FOLL_DUMP does not see those).
 */
int gr_node_of(const void *addr)
{
	void *p = (void *)addr;
	int st = -ENOENT;

	if (move_pages(0, 1, &p, NULL, &st, 0))
		return -errno;
	return st;
}

/* The same for a report, armed THPs included: get_mempolicy takes the hinting fault. */
int gr_node_resolve(const void *addr)
{
	int node = gr_node_of(addr);

	if (node == -EFAULT &&
	    get_mempolicy(&node, NULL, 0, (void *)addr, MPOL_F_NODE | MPOL_F_ADDR))
		node = -errno;
	return node;
}

void gr_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&gr.vlock);
	if (!gr.error[0]) {
		va_start(ap, fmt);
		vsnprintf(gr.error, sizeof(gr.error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&gr.vlock);
}

void gr_add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/*
 * Seconds from the start of pinning to the first sign of failure: a
 * violation, or a bad kernel-log line (seen up to 0.2 s late). How soon a
 * kernel fails is what a race detector is judged by.
 */
json_object *gr_first_failure(void)
{
	double t = -1, k;

	if (gr.have_first)
		t = gr.first.t_s;
	if (gr.ctx->klog.first_bad_ns) {
		k = (gr.ctx->klog.first_bad_ns - gr.t_start) / 1e9;
		t = t < 0 ? k : MIN(t, k);
	}
	return t < 0 ? NULL : json_object_new_double(t);
}

/* No mover where nothing can move: one node. */
int gr_nr_movers(void)
{
	return (gr.driver & GR_MOVE) && gr.ctx->topo.nr_nodes >= 2 ? gr_opt.movers : 0;
}

/*
 * The pinners sharing a set of THPs and a hopper touching them all live on
 * one node, and move to the next together: the THPs' NUMA hinting faults
 * then come from one node after another (passing the two-fault filter),
 * and NUMA balancing migrates them from one thread's fault while the
 * others pin them.
 */
static int gr_group_node(int group)
{
	int step = __atomic_load_n(&gr.h[group].step, __ATOMIC_RELAXED);

	return gr.cpu_nodes[(group + step) % gr.nr_cpu_nodes];
}

/* Moves the calling thread to its group's node when that changed; 1 if it moved. */
int gr_follow(int group, int *bound)
{
	int node;

	if (!gr.nr_hoppers || gr_phase() != GR_RACE)
		return 0;
	node = gr_group_node(group);
	if (node == *bound)
		return 0;
	*bound = node;
	return !numa_run_on_node(node);
}

/*
 * Small stacks: NUMA balancing's scanner charges a VMA's whole length to its
 * scan budget when it arms any page in it, and 8 MiB stacks would use the
 * budget up before the scan reaches the region.
 */
const pthread_attr_t *gr_thread_attr(void)
{
	static pthread_attr_t attr;
	static bool done;

	if (!done) {
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 << 10);
		done = true;
	}
	return &attr;
}

/* The histogram of a kind of timed call in a set: 0 baseline, 1 racing, 2 in a race window. */
struct hist *gr_lat_hist(struct gr_stats *s, int kind, int set)
{
	struct hist *const first[] = { &s->lat_base, &s->lat_race, &s->lat_window };

	return kind ? &s->lat_more[kind - 1][set] : first[set];
}

void gr_stats_init(struct gr_stats *s)
{
	for (int k = 0; k < PIN_MAX_KINDS; k++)
		for (int set = 0; set < 3; set++)
			hist_init(gr_lat_hist(s, k, set));
}
