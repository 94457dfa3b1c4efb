/* plan.c - options and the plan: where the region, the workers and the second process go. */
#include "config.h"

#include <errno.h>
#include <numa.h>
#include <string.h>

#include "numa_fault.h"

const char *const nf_layouts[] = { "remote", "interleaved", "shared", "private", NULL };

struct nf_opt nf_opt = {
	.home = -1, .worker_node = -1,
	.scan_delay = -1, .scan_min = -1, .scan_max = -1, .scan_size = -1,
};

const struct opt nf_opts[] = {
	{ "layout", OPT_ENUM, &nf_opt.layout, "remote",
	  "remote, interleaved, shared (numa01-like) or private (numa02-like)", .choices = nf_layouts },
	{ "size", OPT_SIZE, &nf_opt.size, NULL, "region size, a multiple of the THP size [64M]",
	  1, 1ull << 44 },
	{ "size-frac", OPT_DOUBLE, &nf_opt.size_frac, NULL,
	  "region size as a fraction of the home node's memory (instead of --size)", 0.0001, 0.9 },
	{ "threads", OPT_INT, &nf_opt.threads, "0",
	  "workers (shared: per process); 0: one per CPU of the workers' node (private: one per node)",
	  0, NF_MAX_WORKERS },
	{ "home-node", OPT_INT, &nf_opt.home, NULL, "node the region starts on [first node]", 0, 4095 },
	{ "worker-node", OPT_INT, &nf_opt.worker_node, NULL,
	  "node the workers run on (remote, interleaved) [the farthest node with CPUs]", 0, 4095 },
	{ "duration", OPT_DOUBLE, &nf_opt.duration, "10", "seconds with NUMA balancing on", 0.1, 86400 },
	{ "until-faults", OPT_INT, &nf_opt.until_faults, "0",
	  "end before --duration once both methods saw N hinting faults and the region is home; 0: never",
	  0, 1 << 30 },
	{ "interval-ms", OPT_INT, &nf_opt.interval_ms, "250", "placement sampling interval", 10, 60000 },
	{ "timeline", OPT_STR, &nf_opt.timeline, NULL, "also write the timeline to FILE (gnuplot data)" },
	{ "scan-delay-ms", OPT_INT, &nf_opt.scan_delay, NULL,
	  "NUMA balancing scan_delay_ms for the run [unchanged]", 0, 3600000 },
	{ "scan-period-min-ms", OPT_INT, &nf_opt.scan_min, NULL,
	  "NUMA balancing scan_period_min_ms for the run [unchanged]", 1, 3600000 },
	{ "scan-period-max-ms", OPT_INT, &nf_opt.scan_max, NULL,
	  "NUMA balancing scan_period_max_ms for the run [unchanged]", 1, 3600000 },
	{ "scan-size-mb", OPT_INT, &nf_opt.scan_size, NULL,
	  "NUMA balancing scan_size_mb for the run [unchanged]", 1, 1 << 20 },
	{ "stall-threshold-ns", OPT_U64, &nf_opt.stall_ns, "0",
	  "an access slower than this is a stall; 0: 2 median accesses, at least 1 us", 0, 1e12 },
	{ "access-bytes", OPT_SIZE, &nf_opt.access_bytes, "16k",
	  "bytes one timed access reads (a power of two, 64 to the THP size)", 64, 1 << 30 },
	{ "calibrate-ms", OPT_INT, &nf_opt.calib_ms, "1000",
	  "instrumented vs plain access throughput before the run; 0: skip", 0, 60000 },
	{ "kernel-method", OPT_ENUM, &nf_opt.method, "auto",
	  "kernel-side fault timing: auto, function_graph, kprobe or none",
	  .choices = faultlat_method_names },
	{ "base-pages", OPT_BOOL, &nf_opt.base_pages, NULL,
	  "4 KiB pages instead of THPs (hinting faults through do_numa_page)" },
	{ NULL }
};

/* An integer member: most of what the result holds. */
void nf_put(json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* The CPUs migrace may use, as it started: the helpers' pinning changes ours later. */
cpu_set_t nf_allowed;

/* The node with CPUs farthest from node (itself only when there is no other). */
static int nf_farthest(const struct topo *t, int node)
{
	int best = -1, bestd = -1, cpu;

	for (int i = 0; i < t->nr_nodes; i++) {
		int n = t->nodes[i], d = n == node ? 0 : topo_distance(node, n);

		if (topo_node_cpus(n, &nf_allowed, &cpu, 1) && d > bestd) {
			best = n;
			bestd = d;
		}
	}
	return best;
}

/* Options into a plan; bad input ends here, before any tunable changes. */
void nf_plan(const struct topo *t, struct nf_plan *p)
{
	size_t thp = region_thp_size();
	int cpus[CPU_SETSIZE], nodes[TOPO_MAX_NODES], ncn;

	memset(p, 0, sizeof(*p));
	if (sched_getaffinity(0, sizeof(nf_allowed), &nf_allowed))
		usage_error("sched_getaffinity: %s", strerror(errno));
	ncn = topo_cpu_nodes(t, &nf_allowed, nodes);
	p->layout = nf_opt.layout;
	p->method = nf_opt.method;
	if (!ncn)
		usage_error("no node with CPUs this process may run on");
	p->home = nf_opt.home >= 0 ? nf_opt.home : t->nodes[0];
	if (topo_index(t, p->home) < 0)
		usage_error("--home-node %d is not a node with memory", nf_opt.home);
	p->wnode[0] = nf_opt.worker_node >= 0 ? nf_opt.worker_node : nf_farthest(t, p->home);
	if (!topo_node_cpus(p->wnode[0], &nf_allowed, cpus, 1))
		usage_error("--worker-node %d has no CPU this process may run on", p->wnode[0]);
	if (nf_opt.access_bytes & (nf_opt.access_bytes - 1) || nf_opt.access_bytes > thp)
		usage_error("--access-bytes %llu is not a power of two of at most %zu",
			    (unsigned long long)nf_opt.access_bytes, thp);
	if (nf_opt.scan_min > 0 && nf_opt.scan_max > 0 && nf_opt.scan_min > nf_opt.scan_max)
		usage_error("--scan-period-min-ms %d is above --scan-period-max-ms %d",
			    nf_opt.scan_min, nf_opt.scan_max);
	if (nf_opt.size && nf_opt.size_frac > 0)
		usage_error("--size and --size-frac: give one of them");
	p->size = nf_opt.size ? nf_opt.size : 64ull << 20;
	if (nf_opt.size_frac > 0) {
		long long total = numa_available() < 0 ? -1 : numa_node_size64(p->home, NULL);

		if (total <= 0)
			usage_error("--size-frac: the size of node %d is unknown", p->home);
		p->size = (size_t)(total * nf_opt.size_frac) / thp * thp;
	}
	if (!p->size || p->size % thp)
		usage_error("--size %zu is not a positive multiple of the THP size %zu", p->size, thp);

	switch (p->layout) {
	case NF_REMOTE:
	case NF_INTERLEAVED:
		p->nr_workers = nf_opt.threads ? nf_opt.threads :
				topo_node_cpus(p->wnode[0], &nf_allowed, cpus, CPU_SETSIZE);
		break;
	case NF_PRIVATE:
		p->nr_workers = nf_opt.threads ? nf_opt.threads : ncn;
		break;
	case NF_SHARED:
		/* numa01: two processes, as far apart as the machine allows. */
		p->wnode[0] = nf_opt.worker_node >= 0 ? nf_opt.worker_node : nodes[0];
		p->wnode[1] = nf_farthest(t, p->wnode[0]);
		p->per_proc = nf_opt.threads ? nf_opt.threads : 1;
		p->nr_workers = 2 * p->per_proc;
		break;
	}
	p->procs = p->layout == NF_SHARED ? 2 : 1;
	if (p->nr_workers > NF_MAX_WORKERS)
		usage_error("%d workers: at most %d", p->nr_workers, NF_MAX_WORKERS);
	if (p->layout != NF_SHARED && p->size / thp < (size_t)p->nr_workers)
		usage_error("--size %zu gives fewer THPs than the %d workers need (one each)",
			    p->size, p->nr_workers);
	if (!nf_opt.calib_ms && !nf_opt.stall_ns)
		usage_error("--calibrate-ms 0 needs --stall-threshold-ns (the automatic one comes from the calibration)");
	nf_unit = nf_opt.access_bytes;
	nf_chunk = thp;
	if (nf_opt.timeline) {
		p->timeline = fopen(nf_opt.timeline, "we");
		if (!p->timeline)
			usage_error("--timeline %s: %s", nf_opt.timeline, strerror(errno));
	}
}

/* Who runs where and reads what; also resets every worker's counters. */
void nf_assign(const struct topo *t, const struct nf_plan *p, const struct region *r)
{
	int nodes[TOPO_MAX_NODES], ncn = topo_cpu_nodes(t, &nf_allowed, nodes), cpus[CPU_SETSIZE];
	size_t thps = r->size / r->thp_size, per = thps / p->nr_workers;

	for (int i = 0; i < p->nr_workers; i++) {
		struct nf_worker *w = &nf_sh->w[i];
		int k = i, n;

		memset(w, 0, sizeof(*w));
		w->id = i;
		w->node = p->wnode[0];
		if (p->layout == NF_PRIVATE) {
			w->node = nodes[i % ncn];
			k = i / ncn;
		} else if (p->layout == NF_SHARED) {
			w->proc = i / p->per_proc;
			w->node = p->wnode[w->proc];
			k = i % p->per_proc;
		}
		n = topo_node_cpus(w->node, &nf_allowed, cpus, CPU_SETSIZE);
		w->cpu = cpus[k % n];
		/* numa01's threads all share everything; the others own a slice each. */
		w->off = p->layout == NF_SHARED ? 0 : i * per * r->thp_size;
		w->len = p->layout == NF_SHARED ? r->size :
			 (i == p->nr_workers - 1 ? thps - i * per : per) * r->thp_size;
		hist_init(&w->stall);
		hist_init(&w->fault_stall);
	}
	nf_sh->nr = p->nr_workers;
}

/* The node each page of the region should end on, or -1 (shared: no single one). */
void nf_targets(const struct nf_plan *p, const struct region *r, int *target)
{
	for (size_t i = 0; i < r->nr_pages; i++) {
		size_t off = i * r->page_size;

		target[i] = p->layout == NF_SHARED ? -1 : p->wnode[0];
		if (p->layout != NF_PRIVATE)
			continue;
		for (int k = 0; k < nf_sh->nr; k++)
			if (off >= nf_sh->w[k].off && off < nf_sh->w[k].off + nf_sh->w[k].len)
				target[i] = nf_sh->w[k].node;
	}
}
