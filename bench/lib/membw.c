/* membw.c - cross-node copy bandwidth: the ceiling of any copy-based page migration between two nodes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "membw.h"
#include "region.h"
#include "util.h"

static int membw_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What a migration does with each page: read it on src, write it on dst, on this CPU. */
static void membw_time(struct region *from, struct region *to, int reps, double *gbps)
{
	for (int i = 0; i < reps && !migrace_stop; i++) {
		uint64_t t0 = now_ns(), t1;

		memcpy(to->addr, from->addr, to->size);
		/* The copy is the point: it must not be dropped as dead stores. */
		__asm__ volatile("" : : "r"(to->addr) : "memory");
		t1 = now_ns();
		gbps[i] = (double)to->size / (t1 > t0 ? t1 - t0 : 1);
	}
}

/*
 * Median and best of reps timed copies of len bytes from a buffer on node
 * src to one on node dst, on the calling thread's CPU; 0 or -errno.
 */
int membw_copy(int src, int dst, size_t len, int region_flags, int reps, struct membw *m)
{
	struct region from, to;
	double *gbps = calloc(reps + 1, sizeof(*gbps));
	int ret = -ENOMEM;

	memset(m, 0, sizeof(*m));
	m->src = src;
	m->dst = dst;
	m->bytes = len;
	m->reps = reps;
	m->region_flags = region_flags;
	if (!gbps || reps < 1)
		goto gbps_free;
	ret = region_alloc(&from, len, region_flags, src);
	if (ret)
		goto gbps_free;
	ret = region_alloc(&to, len, region_flags, dst);
	if (ret)
		goto from_free;
	memset(from.addr, 0x5a, len);
	membw_time(&from, &to, 1, gbps);	/* caches and TLB warm, not measured */
	membw_time(&from, &to, reps, gbps);
	qsort(gbps, reps, sizeof(*gbps), membw_cmp);
	m->gbps = reps % 2 ? gbps[reps / 2] : (gbps[reps / 2 - 1] + gbps[reps / 2]) / 2;
	m->gbps_best = gbps[reps - 1];
	ret = migrace_stop ? -EINTR : 0;
	region_free(&to);
from_free:
	region_free(&from);
gbps_free:
	free(gbps);
	return ret;
}

json_object *membw_to_json(const struct membw *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "src", json_object_new_int(m->src));
	json_object_object_add(o, "dst", json_object_new_int(m->dst));
	json_object_object_add(o, "bytes", json_object_new_int64(m->bytes));
	json_object_object_add(o, "reps", json_object_new_int(m->reps));
	json_object_object_add(o, "thp_backed",
			       json_object_new_boolean(!(m->region_flags & REGION_BASE_PAGES)));
	json_object_object_add(o, "gbps", json_object_new_double(m->gbps));
	json_object_object_add(o, "gbps_best", json_object_new_double(m->gbps_best));
	return o;
}
