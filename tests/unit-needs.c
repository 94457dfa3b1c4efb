/* unit-needs.c - a scenario's needs against a fake machine: which one is missing first, and the reason given. */
#include "config.h"

#include <string.h>

#include "fakeroot.h"
#include "needs.h"
#include "settings.h"
#include "tap.h"
#include "util.h"

#define THP	"/sys/kernel/mm/transparent_hugepage"

int main(void)
{
	struct topo one = { .nr_nodes = 1, .nr_cpu_nodes = 1 };
	struct topo two = { .nr_nodes = 2, .nr_cpu_nodes = 1 };
	struct needs n = {
		.what = NEED_THP | NEED_NODES | NEED_CPU_NODES,
		.partial = NEED_NODES | NEED_CPU_NODES,
		.nodes = 2, .cpu_nodes = 2,
		.nodes_for = "convergence", .cpu_nodes_for = "autonuma",
		.measured = "latency is still measured",
		.thp_hint = "--base-pages runs without",
	};
	char why[512];
	unsigned int bit;

	if (fakeroot_make("needs"))
		return 1;
	fakeroot_mkdirs(THP);
	fakeroot_mkdirs("/proc/sys/kernel");
	settings_set_root(fakeroot);
	fakeroot_put(THP "/enabled", "always madvise [never]");
	fakeroot_put(THP "/shmem_enabled", "always within_size advise never [deny] force");

	bit = needs_unmet(&n, &one, why, sizeof(why));
	tap_ok(bit == NEED_THP && strstr(why, "transparent huge pages are never") &&
	       strstr(why, "--base-pages runs without"),
	       "a whole need goes before partial ones, with its hint: %s", why);
	fakeroot_put(THP "/enabled", "always [madvise] never");
	bit = needs_unmet(&n, &one, why, sizeof(why));
	tap_ok(bit == NEED_NODES && (bit & n.partial) &&
	       !strcmp(why, "convergence needs >= 2 memory nodes (this machine has 1; runners/vm emulates more); latency is still measured"),
	       "one node: a partial need, and what was still measured: %s", why);
	bit = needs_unmet(&n, &two, why, sizeof(why));
	tap_ok(bit == NEED_CPU_NODES && strstr(why, "autonuma needs >= 2 nodes with CPUs (this machine has 1)"),
	       "nodes with CPUs counted apart: %s", why);
	two.nr_cpu_nodes = 2;
	tap_ok(!needs_unmet(&n, &two, why, sizeof(why)), "every need met: 0");

	n.what = NEED_SHMEM_THP;
	bit = needs_unmet(&n, &two, why, sizeof(why));
	tap_ok(bit == NEED_SHMEM_THP && strstr(why, "shmem_enabled is deny"), "shmem THP denied: %s", why);
	n.what = NEED_NUMA_BALANCING;
	bit = needs_unmet(&n, &two, why, sizeof(why));
	tap_ok(bit == NEED_NUMA_BALANCING && strstr(why, "CONFIG_NUMA_BALANCING off"),
	       "no numa_balancing file: %s", why);
	fakeroot_put("/proc/sys/kernel/numa_balancing", "0");
	tap_ok(!needs_unmet(&n, &two, why, sizeof(why)), "NUMA balancing off is there all the same");
	fakeroot_remove();
	return tap_done();
}
