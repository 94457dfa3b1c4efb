/* membw.h - cross-node copy bandwidth: the ceiling of any copy-based page migration between two nodes. */
#ifndef MIGRACE_MEMBW_H
#define MIGRACE_MEMBW_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct membw {
	int src, dst;
	uint64_t bytes;		/* per copy */
	int reps;		/* timed copies, after one untimed */
	int region_flags;	/* REGION_* of both buffers */
	double gbps;		/* median copy, 1e9 bytes/s */
	double gbps_best;
};

int membw_copy(int src, int dst, size_t len, int region_flags, int reps, struct membw *m);
json_object *membw_to_json(const struct membw *m);

#endif
