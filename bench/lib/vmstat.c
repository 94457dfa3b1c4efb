/* vmstat.c - /proc/vmstat snapshots and deltas: the kernel's own account of migrations. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vmstat.h"

const char *const vmstat_numa_names[] = {
	"numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults",
	"numa_hint_faults_local", "numa_pages_migrated", "pgmigrate_success",
	"pgmigrate_fail", "thp_migration_success", "thp_migration_fail",
	"thp_migration_split", "thp_fault_alloc", "thp_fault_fallback",
	"thp_split_pmd", "nr_foll_pin_acquired", "nr_foll_pin_released",
	NULL
};

int vmstat_read(struct vmstat *v)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char name[64];
	long long val;

	v->n = 0;
	if (!f)
		return -1;
	while (v->n < VMSTAT_MAX && fscanf(f, "%63s %lld", name, &val) == 2) {
		snprintf(v->name[v->n], sizeof(v->name[0]), "%s", name);
		v->val[v->n++] = val;
	}
	fclose(f);
	return 0;
}

/* -1 when the kernel lacks the counter (e.g. built without VM_EVENT_COUNTERS). */
long long vmstat_get(const struct vmstat *v, const char *name)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->name[i], name))
			return v->val[i];
	return -1;
}

long long vmstat_delta(const struct vmstat *a, const struct vmstat *b, const char *name)
{
	long long x = vmstat_get(a, name), y = vmstat_get(b, name);

	return x < 0 || y < 0 ? -1 : y - x;
}

/* Absent counters are left out, never reported as 0. */
json_object *vmstat_delta_json(const struct vmstat *a, const struct vmstat *b,
			       const char *const *names)
{
	json_object *o = json_object_new_object();

	for (; *names; names++) {
		long long d = vmstat_delta(a, b, *names);

		if (vmstat_get(a, *names) >= 0)
			json_object_object_add(o, *names, json_object_new_int64(d));
	}
	return o;
}
