/* topo.c - the machine as migrace sees it: memory nodes, their CPUs and distances, emulation. */
#include "config.h"

#include <cpuid.h>
#include <numa.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "topo.h"

static void topo_hypervisor(struct topo *t)
{
	unsigned int eax, ebx, ecx, edx;

	t->hypervisor[0] = '\0';
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 31)))
		return;
	__cpuid(0x40000000, eax, ebx, ecx, edx);
	memcpy(t->hypervisor + 0, &ebx, 4);
	memcpy(t->hypervisor + 4, &ecx, 4);
	memcpy(t->hypervisor + 8, &edx, 4);
	t->hypervisor[12] = '\0';
	/* QEMU's TCG announces itself here; KVM and other hypervisors run real CPUs. */
	t->emulated = !strcmp(t->hypervisor, "TCGTCGTCGTCG");
}

int topo_init(struct topo *t)
{
	memset(t, 0, sizeof(*t));
	topo_hypervisor(t);
	t->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (numa_available() < 0) {
		/* A kernel without NUMA is one node holding everything. */
		t->nr_nodes = 1;
		t->nr_cpu_nodes = 1;
		return 0;
	}
	for (int n = 0; n <= numa_max_node() && t->nr_nodes < TOPO_MAX_NODES; n++) {
		long long free;

		if (!numa_bitmask_isbitset(numa_all_nodes_ptr, n) ||
		    numa_node_size64(n, &free) <= 0)
			continue;
		t->nodes[t->nr_nodes++] = n;
		if (topo_node_has_cpus(n))
			t->nr_cpu_nodes++;
	}
	return 0;
}

int topo_distance(int a, int b)
{
	return numa_available() < 0 ? (a == b ? 10 : 0) : numa_distance(a, b);
}

bool topo_node_has_cpus(int node)
{
	return topo_first_cpu(node) >= 0;
}

/*
 * Up to max CPUs of node that are in allowed (NULL: every CPU), ascending;
 * how many. Without NUMA every CPU is on the one node.
 */
int topo_node_cpus(int node, const cpu_set_t *allowed, int *cpus, int max)
{
	struct bitmask *bm;
	int n = 0;

	if (numa_available() < 0) {
		for (int c = 0; c < CPU_SETSIZE && n < max; c++)
			if (allowed ? CPU_ISSET(c, allowed) : c < sysconf(_SC_NPROCESSORS_CONF))
				cpus[n++] = c;
		return n;
	}
	bm = numa_allocate_cpumask();
	if (!numa_node_to_cpus(node, bm))
		for (unsigned int c = 0; c < bm->size && c < CPU_SETSIZE && n < max; c++)
			if (numa_bitmask_isbitset(bm, c) && (!allowed || CPU_ISSET(c, allowed)))
				cpus[n++] = c;
	numa_free_cpumask(bm);
	return n;
}

/* The memory nodes with CPUs in allowed (NULL: any), ascending, into nodes; how many. */
int topo_cpu_nodes(const struct topo *t, const cpu_set_t *allowed, int *nodes)
{
	int n = 0, cpu;

	for (int i = 0; i < t->nr_nodes; i++)
		if (topo_node_cpus(t->nodes[i], allowed, &cpu, 1))
			nodes[n++] = t->nodes[i];
	return n;
}

int topo_first_cpu(int node)
{
	struct bitmask *cpus;
	int cpu = -1;

	if (numa_available() < 0)
		return 0;
	cpus = numa_allocate_cpumask();
	if (!numa_node_to_cpus(node, cpus))
		for (unsigned int c = 0; c < cpus->size; c++)
			if (numa_bitmask_isbitset(cpus, c)) {
				cpu = c;
				break;
			}
	numa_free_cpumask(cpus);
	return cpu;
}

long long topo_node_free(int node)
{
	long long free = 0;

	if (numa_available() < 0 || numa_node_size64(node, &free) < 0)
		return -1;
	return free;
}

/* libnuma's warnings: kept for topo_parse_nodes() to quote in one line, else said on stderr. */
static char *numa_warn_buf;
static size_t numa_warn_len;

__attribute__((format(printf, 2, 3)))
void numa_warn(int num, char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (numa_warn_buf) {
		vsnprintf(numa_warn_buf, numa_warn_len, fmt, ap);
		numa_warn_buf[strcspn(numa_warn_buf, "\n")] = '\0';
	} else {
		fputs("migrace: libnuma: ", stderr);
		vfprintf(stderr, fmt, ap);
	}
	va_end(ap);
}

/*
 * A node list as numactl takes it ("0,2", "1-3", "all") into node ids;
 * every node must be one of t's memory nodes. Returns their count, or -1
 * with a one-line reason in err.
 */
int topo_parse_nodes(const struct topo *t, const char *list, int *nodes, int max,
		     char *err, size_t len)
{
	struct bitmask *bm;
	char why[160] = "";
	int n = 0;

	if (numa_available() < 0) {
		snprintf(err, len, "this kernel has no NUMA support");
		return -1;
	}
	numa_warn_buf = why;
	numa_warn_len = sizeof(why);
	bm = numa_parse_nodestring_all(list);
	numa_warn_buf = NULL;
	if (!bm) {
		snprintf(err, len, "'%s': %s", list, why[0] ? why : "not a node list");
		return -1;
	}
	for (unsigned int node = 0; node < bm->size && n >= 0; node++) {
		if (!numa_bitmask_isbitset(bm, node))
			continue;
		if (topo_index(t, node) < 0) {
			snprintf(err, len, "node %u %s", node,
				 numa_bitmask_isbitset(numa_nodes_ptr, node) ?
				 "has no memory" : "does not exist");
			n = -1;
		} else if (n == max) {
			snprintf(err, len, "'%s': more than %d nodes", list, max);
			n = -1;
		} else {
			nodes[n++] = node;
		}
	}
	numa_bitmask_free(bm);
	if (!n)
		snprintf(err, len, "'%s' names no node", list);
	return n ? n : -1;
}

int topo_index(const struct topo *t, int node)
{
	for (int i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i] == node)
			return i;
	return -1;
}

json_object *topo_to_json(const struct topo *t)
{
	json_object *o = json_object_new_object();
	json_object *ids = json_object_new_array();
	json_object *dist = json_object_new_array();

	for (int i = 0; i < t->nr_nodes; i++) {
		json_object *row = json_object_new_array();

		json_object_array_add(ids, json_object_new_int(t->nodes[i]));
		for (int j = 0; j < t->nr_nodes; j++)
			json_object_array_add(row,
				json_object_new_int(topo_distance(t->nodes[i], t->nodes[j])));
		json_object_array_add(dist, row);
	}
	json_object_object_add(o, "nodes", json_object_new_int(t->nr_nodes));
	json_object_object_add(o, "node_ids", ids);
	json_object_object_add(o, "cpu_nodes", json_object_new_int(t->nr_cpu_nodes));
	json_object_object_add(o, "cpus", json_object_new_int(t->nr_cpus));
	json_object_object_add(o, "distance", dist);
	return o;
}
