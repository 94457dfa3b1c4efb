/* needs.h - what a scenario needs of the machine, checked in one place before it runs (stress-ng's .supported()). */
#ifndef MIGRACE_NEEDS_H
#define MIGRACE_NEEDS_H

#include <stddef.h>

#include "topo.h"

enum need {
	NEED_THP = 1 << 0,		/* transparent huge pages not "never" */
	NEED_SHMEM_THP = 1 << 1,	/* shmem THPs not "never" or "deny" */
	NEED_NUMA_BALANCING = 1 << 2,	/* a kernel with CONFIG_NUMA_BALANCING */
	NEED_ROOT = 1 << 3,
	NEED_NODES = 1 << 4,		/* .nodes memory nodes */
	NEED_CPU_NODES = 1 << 5,	/* .cpu_nodes memory nodes with CPUs */
};

struct needs {
	unsigned int what;		/* enum need bits */
	/*
	 * Of those, the ones whose lack still leaves something to measure:
	 * the scenario runs, and its verdict is a skip with the reason.
	 */
	unsigned int partial;
	int nodes, cpu_nodes;
	const char *nodes_for;		/* what the nodes are for, in the reason ["migration"] */
	const char *cpu_nodes_for;
	const char *measured;		/* what a partial run still measures, in the reason */
	const char *thp_hint;		/* how to run without THPs, in the reason */
};

unsigned int needs_unmet(const struct needs *n, const struct topo *t, char *why, size_t len);

#endif
