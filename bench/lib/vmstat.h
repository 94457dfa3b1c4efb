/* vmstat.h - /proc/vmstat snapshots and deltas: the kernel's own account of migrations. */
#ifndef MIGRACE_VMSTAT_H
#define MIGRACE_VMSTAT_H

#include <json-c/json.h>

#define VMSTAT_MAX 512

struct vmstat {
	int n;
	char name[VMSTAT_MAX][64];
	long long val[VMSTAT_MAX];
};

/* The counters every scenario reports: NUMA balancing and migration. */
extern const char *const vmstat_numa_names[];

int vmstat_read(struct vmstat *v);
long long vmstat_get(const struct vmstat *v, const char *name);
long long vmstat_delta(const struct vmstat *a, const struct vmstat *b, const char *name);
json_object *vmstat_delta_json(const struct vmstat *a, const struct vmstat *b,
			       const char *const *names);

#endif
