/* needs.c - what a scenario needs of the machine, checked in one place before it runs (stress-ng's .supported()). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "needs.h"
#include "region.h"
#include "settings.h"
#include "util.h"

/* Whether need bit is met here; when not, why says so. */
static bool needs_met(const struct needs *n, unsigned int bit, const struct topo *t,
		      char *why, size_t len)
{
	char mode[32] = "", path[SETTINGS_PATH];
	const char *hint = n->thp_hint ? n->thp_hint : "";

	switch (bit) {
	case NEED_THP:
		region_thp_mode(mode, sizeof(mode));
		if (strcmp(mode, "never") && strcmp(mode, "absent"))
			return true;
		settings_path(SET_THP_ENABLED, path, sizeof(path));
		snprintf(why, len, "transparent huge pages are %s on this kernel (%s)%s%s", mode, path,
			 hint[0] ? "; " : "", hint);
		return false;
	case NEED_SHMEM_THP:
		if (!settings_text(SET_THP_SHMEM_ENABLED, mode, sizeof(mode)) &&
		    strcmp(mode, "never") && strcmp(mode, "deny"))
			return true;
		settings_path(SET_THP_SHMEM_ENABLED, path, sizeof(path));
		snprintf(why, len, "shared memory needs shmem THPs: %s is %s", path,
			 mode[0] ? mode : "absent");
		return false;
	case NEED_NUMA_BALANCING:
		if (settings_get(SET_NUMA_BALANCING) >= 0)
			return true;
		settings_path(SET_NUMA_BALANCING, path, sizeof(path));
		snprintf(why, len, "this kernel has no NUMA balancing (%s absent: CONFIG_NUMA_BALANCING off)",
			 path);
		return false;
	case NEED_ROOT:
		if (!geteuid())
			return true;
		snprintf(why, len, "needs root: it changes kernel settings");
		return false;
	case NEED_NODES:
		if (t->nr_nodes >= n->nodes)
			return true;
		snprintf(why, len, "%s needs >= %d memory nodes (this machine has %d; runners/vm emulates more)",
			 n->nodes_for ? n->nodes_for : "migration", n->nodes, t->nr_nodes);
		return false;
	case NEED_CPU_NODES:
		if (t->nr_cpu_nodes >= n->cpu_nodes)
			return true;
		snprintf(why, len, "%s needs >= %d nodes with CPUs (this machine has %d)",
			 n->cpu_nodes_for ? n->cpu_nodes_for : "migration", n->cpu_nodes,
			 t->nr_cpu_nodes);
		return false;
	}
	return true;
}

/*
 * The first need that is not met, a whole one before a partial one, with
 * its reason in why; 0 when every need is met.
 */
unsigned int needs_unmet(const struct needs *n, const struct topo *t, char *why, size_t len)
{
	unsigned int partial = 0;
	char first[512] = "";

	for (unsigned int bit = 1; bit <= NEED_CPU_NODES; bit <<= 1) {
		if (!(n->what & bit) || needs_met(n, bit, t, why, len))
			continue;
		if (!(n->partial & bit))
			return bit;
		if (!partial) {
			partial = bit;
			snprintf(first, sizeof(first), "%s", why);
		}
	}
	if (partial)
		snprintf(why, len, "%s%s%s", first, n->measured ? "; " : "",
			 n->measured ? n->measured : "");
	return partial;
}
