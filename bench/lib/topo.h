/* topo.h - the machine as migrace sees it: memory nodes, their CPUs and distances, emulation. */
#ifndef MIGRACE_TOPO_H
#define MIGRACE_TOPO_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define TOPO_MAX_NODES 64

struct topo {
	int nr_nodes;			/* nodes with memory */
	int nodes[TOPO_MAX_NODES];	/* their ids, ascending */
	int nr_cpu_nodes;		/* of those, nodes with CPUs */
	int nr_cpus;
	char hypervisor[13];		/* CPUID leaf 0x40000000 vendor, "" on bare metal */
	bool emulated;			/* QEMU TCG: timings are not hardware timings */
};

int topo_init(struct topo *t);
int topo_distance(int a, int b);
bool topo_node_has_cpus(int node);
int topo_node_cpus(int node, const cpu_set_t *allowed, int *cpus, int max);
int topo_cpu_nodes(const struct topo *t, const cpu_set_t *allowed, int *nodes);
long long topo_node_free(int node);
int topo_first_cpu(int node);
int topo_index(const struct topo *t, int node);
int topo_parse_nodes(const struct topo *t, const char *list, int *nodes, int max,
		     char *err, size_t len);
json_object *topo_to_json(const struct topo *t);

#endif
