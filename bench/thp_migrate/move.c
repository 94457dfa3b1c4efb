/* move.c - the moves: move_pages, mbind and migrate_pages timed, the lists they take, where they run. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "thp_migrate.h"

/* Timestamps around every call: the TSC where it is steady, cheaper than a clock read. */
struct tsc tm_tsc;

/* Runs the calling thread on src's or dst's CPUs, or anywhere; returns that node or -1. */
int tm_run_on(const struct tm_run *t, int src, int dst)
{
	int node = t->cpu == TM_CPU_SRC ? src : t->cpu == TM_CPU_DST ? dst : -1;

	if (node >= 0 && !topo_node_has_cpus(node))
		node = -1;
	if (numa_run_on_node(node))
		node = -1;
	return node;
}

int tm_io_alloc(struct tm_io *io, const struct region *r)
{
	memset(io, 0, sizeof(*io));
	io->pages = malloc(r->nr_pages * sizeof(*io->pages));
	io->nodes = malloc(r->nr_pages * sizeof(*io->nodes));
	io->status = malloc(r->nr_pages * sizeof(*io->status));
	io->from = numa_allocate_nodemask();
	io->to = numa_allocate_nodemask();
	if (!io->pages || !io->nodes || !io->status)
		return -ENOMEM;
	for (size_t i = 0; i < r->nr_pages; i++)
		io->pages[i] = region_page(r, i);
	return 0;
}

void tm_io_free(struct tm_io *io)
{
	free(io->pages);
	free(io->nodes);
	free(io->status);
	numa_free_nodemask(io->from);
	numa_free_nodemask(io->to);
}

/* The lists for one move's direction: filled inside the measured interval (see tm_call). */
void tm_io_aim(struct tm_io *io, size_t n, int src, int dst)
{
	for (size_t i = 0; i < n; i++)
		io->nodes[i] = dst;
	numa_bitmask_clearall(io->from);
	numa_bitmask_clearall(io->to);
	numa_bitmask_setbit(io->from, src);
	numa_bitmask_setbit(io->to, dst);
}

/* One migration call, timed: what it returned, or -errno. */
static long tm_call(enum tm_driver drv, const struct region *r, struct tm_io *io,
		    size_t first, size_t n, struct tm_call *c)
{
	uint64_t t0 = tsc_ticks(&tm_tsc), t1, ns;
	long ret;
	int err;

	if (drv == TM_MOVE_PAGES)
		ret = move_pages(0, n, io->pages + first, io->nodes + first, io->status + first,
				 MPOL_MF_MOVE);
	else if (drv == TM_MBIND)
		ret = mbind(r->addr, r->size, MPOL_BIND, io->to->maskp, io->to->size + 1,
			    MPOL_MF_MOVE);
	else
		ret = migrate_pages(0, io->from->size + 1, io->from->maskp, io->to->maskp);
	err = errno;
	t1 = tsc_ticks(&tm_tsc);
	ns = tsc_to_ns(&tm_tsc, t1 - t0);
	c->calls++;
	c->last = t1;
	c->syscall_ns += ns;
	hist_add(&c->lat, ns);
	return ret < 0 ? -err : ret;
}

/* The region moved by one of the three calls; move_pages in batches. 0 or -errno. */
int tm_move(enum tm_driver drv, const struct region *r, struct tm_io *io,
		   size_t batch, struct tm_call *c)
{
	size_t step = drv == TM_MOVE_PAGES ? batch : r->nr_pages;

	for (size_t off = 0; off < r->nr_pages; off += step) {
		long ret = tm_call(drv, r, io, off, MIN(step, r->nr_pages - off), c);

		if (ret < 0)
			return ret;
		c->not_moved += ret;
	}
	return 0;
}
