/* smoke.c - scenario smoke: one THP region, proven PMD-mapped, moved whole to every other node. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "scenario.h"
#include "settings.h"
#include "stamp.h"
#include "util.h"
#include "vmstat.h"

#define SMOKE_BLOCK 4096

static uint64_t smoke_size;

static const struct opt smoke_opts[] = {
	{ "size", OPT_SIZE, &smoke_size, "16M", "region size, a multiple of the THP size",
	  1, 1ull << 40 },
	{ NULL }
};

/* Every page of the region on node, and how many are not. */
static int smoke_misplaced(const struct region *pages, int node)
{
	int *status = malloc(pages->nr_pages * sizeof(*status));
	int bad = 0;

	if (!status || region_nodes(pages, status)) {
		free(status);
		return -1;
	}
	for (size_t i = 0; i < pages->nr_pages; i++)
		bad += status[i] != node;
	free(status);
	return bad;
}

/* THPs the page flags say are not huge heads on a PMD-aligned frame; -1 if they cannot tell. */
static int smoke_not_huge(const struct region *r)
{
	int bad = 0;

	for (size_t i = 0; i < r->nr_pages; i++) {
		int h = region_thp_is_huge(r, i);

		if (h < 0)
			return -1;
		bad += !h;
	}
	return bad;
}

static json_object *smoke_hop(struct run_ctx *ctx, struct region *r, int src, int dst)
{
	json_object *hop = json_object_new_object();
	struct region pages = *r;	/* the same memory seen in base pages */
	struct vmstat before, after;
	int *status = calloc(r->nr_pages, sizeof(*status));
	int ret, misplaced, pmd, not_huge;
	long long bad;
	enum stamp_status why;
	uint64_t t0, t1;

	pages.page_size = 4096;
	pages.nr_pages = r->size / 4096;
	vmstat_read(&before);
	t0 = now_ns();
	ret = region_move(r, 0, r->nr_pages, dst, status);
	t1 = now_ns();
	vmstat_read(&after);
	misplaced = smoke_misplaced(&pages, dst);
	pmd = region_count_pmd_mapped(r);
	not_huge = smoke_not_huge(r);
	bad = stamp_check_range(r->addr, r->size, SMOKE_BLOCK, 0, 1, &why);

	json_object_object_add(hop, "src", json_object_new_int(src));
	json_object_object_add(hop, "dst", json_object_new_int(dst));
	json_object_object_add(hop, "distance", json_object_new_int(topo_distance(src, dst)));
	json_object_object_add(hop, "move_pages_ret", json_object_new_int(ret));
	json_object_object_add(hop, "elapsed_ns", json_object_new_int64(t1 - t0));
	json_object_object_add(hop, "pages_misplaced", json_object_new_int(misplaced));
	json_object_object_add(hop, "thp_pmd_mapped", json_object_new_int(pmd));
	json_object_object_add(hop, "thp_not_huge_by_pageflags",
			       not_huge < 0 ? NULL : json_object_new_int(not_huge));
	json_object_object_add(hop, "first_bad_block", json_object_new_int64(bad));
	json_object_object_add(hop, "vmstat", vmstat_delta_json(&before, &after, vmstat_numa_names));

	printf("  %4d -> %-4d %6d  %10.3f  %9d  %7d/%zu  %s\n", src, dst,
	       topo_distance(src, dst), (t1 - t0) / 1e6, misplaced, pmd, r->nr_pages,
	       bad < 0 ? "intact" : stamp_status_name(why));

	if (ret < 0)
		result_verdict(ctx->res, VERDICT_FAIL, "move_pages to node %d: %s", dst, strerror(-ret));
	else if (misplaced)
		result_verdict(ctx->res, VERDICT_FAIL, "%d of %zu base pages not on node %d after the move (move_pages returned %d, first status %d)",
			       misplaced, pages.nr_pages, dst, ret, status[0]);
	else if (pmd != (int)r->nr_pages || not_huge > 0)
		result_verdict(ctx->res, VERDICT_FAIL, "THPs split by the move to node %d: %d of %zu PMD-mapped",
			       dst, pmd, r->nr_pages);
	else if (bad >= 0)
		result_verdict(ctx->res, VERDICT_FAIL, "data changed by the move to node %d: block at offset %lld is %s",
			       dst, bad, stamp_status_name(why));
	if (bad >= 0)
		result_violation(ctx->res, 1, &(struct result_violation){
			.leg = "at-rest", .seen = "mapping, after move_pages",
			.status = stamp_status_name(why), .region_off = bad,
			.node_before = src, .node_after = dst });
	free(status);
	return hop;
}

static void smoke_validate(struct run_ctx *ctx, struct needs *needs)
{
	(void)ctx, (void)needs;
	if (smoke_size % region_thp_size())
		usage_error("--size %llu is not a multiple of the THP size %zu",
			    (unsigned long long)smoke_size, region_thp_size());
}

static int smoke_run(struct run_ctx *ctx)
{
	struct topo *t = &ctx->topo;
	struct region r;
	json_object *hops = json_object_new_array();
	char mode[32];
	int ret, pmd, home = t->nodes[0];

	result_metric(ctx->res, "hops", hops);
	region_thp_mode(mode, sizeof(mode));
	/* AutoNUMA would move the region back between our move and our check. */
	if (settings_get(SET_NUMA_BALANCING) > 0 && settings_set(SET_NUMA_BALANCING, 0))
		msg("cannot pause NUMA balancing (not root?): pages may move under the check");

	ret = region_alloc(&r, smoke_size, 0, home);
	if (ret) {
		result_verdict(ctx->res, VERDICT_FAIL, "cannot allocate a THP region: %s", strerror(-ret));
		return 0;
	}
	stamp_write_range(r.addr, r.size, SMOKE_BLOCK, 0, 1);
	pmd = region_count_pmd_mapped(&r);
	result_metric(ctx->res, "thp_size", json_object_new_int64(r.thp_size));
	result_metric(ctx->res, "thp_count", json_object_new_int64(r.nr_pages));
	result_metric(ctx->res, "thp_pmd_mapped_initially", json_object_new_int(pmd));
	result_metric(ctx->res, "pageflags_readable", json_object_new_boolean(region_thp_is_huge(&r, 0) >= 0));
	printf("smoke: %zu THPs of %zu KiB, %d PMD-mapped (THP %s), %d memory node(s)\n",
	       r.nr_pages, r.thp_size >> 10, pmd, mode, t->nr_nodes);
	if (pmd != (int)r.nr_pages) {
		result_verdict(ctx->res, VERDICT_FAIL, "only %d of %zu THPs PMD-mapped after fault-in",
			       pmd, r.nr_pages);
		goto region_free;
	}
	if (t->nr_nodes > 1)
		printf("  %4s -> %-4s %6s  %10s  %9s  %9s  %s\n", "src", "dst", "dist", "ms",
		       "misplaced", "pmd", "data");
	for (int i = 1; i < t->nr_nodes; i++)
		json_object_array_add(hops, smoke_hop(ctx, &r, t->nodes[i - 1], t->nodes[i]));
	if (t->emulated)
		printf("smoke: timings are emulated (QEMU TCG), not hardware figures\n");
region_free:
	region_free(&r);
	return 0;
}

const struct scenario scenario_smoke = {
	.name = "smoke",
	.desc = "a THP region, proven PMD-mapped, moved whole with move_pages to every other node, data checked",
	.opts = smoke_opts,
	.needs = {
		.what = NEED_THP | NEED_NODES,
		.partial = NEED_NODES,		/* one node: the THPs are still proven PMD-mapped */
		.nodes = 2,
		.measured = "the THPs are still proven PMD-mapped",
	},
	.validate = smoke_validate,
	.run = smoke_run,
};
