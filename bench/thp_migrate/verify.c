/* verify.c - before and after a move: where the pages are, whether the kernel's counts agree, whether the data survived. */
#include "config.h"

#include <errno.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamp.h"
#include "util.h"
#include "thp_migrate.h"

/* Base pages of THP i that are on node. */
static long long tm_subpages_on(const struct region *r, size_t i, int node)
{
	size_t n = r->thp_size / 4096;
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));
	long long on = -1;

	if (pages && status) {
		for (size_t j = 0; j < n; j++)
			pages[j] = region_page(r, i) + j * 4096;
		if (!move_pages(0, n, pages, NULL, status, 0)) {
			on = 0;
			for (size_t j = 0; j < n; j++)
				on += status[j] == node;
		}
	}
	free(pages);
	free(status);
	return on;
}

/*
 * Where each page is after a move (move_pages with nodes=NULL) and whether
 * each THP is still huge: page flags (root), else smaps's count of PMD
 * mappings, which says how many THPs were split but not which.
 */
int tm_outcome(const struct region *r, int *status, int dst, bool thp,
		      struct tm_outcome *o)
{
	bool flags_known = true;

	memset(o, 0, sizeof(*o));
	if (region_nodes(r, status))
		return -1;
	for (size_t i = 0; i < r->nr_pages; i++) {
		int huge = thp ? region_thp_is_huge(r, i) : 1;

		if (huge < 0)
			flags_known = false;
		if (!huge) {
			o->split++;
			o->split_moved += tm_subpages_on(r, i, dst);
		} else if (status[i] != dst) {
			o->failed++;
		} else {
			o->whole++;
		}
	}
	if (thp && !flags_known) {
		o->split = r->nr_pages - MIN((size_t)MAX(region_count_pmd_mapped(r), 0), r->nr_pages);
		o->whole = MAX(0, o->whole - o->split);
		o->split_moved = o->split ? -1 : 0;
	}
	return 0;
}

/* Keeps the first reason, unless an unexplained one comes after explained ones. */
static void tm_why(struct tm_dir *d, const char *what, long long kernel, long long pages,
		   const char *because)
{
	if (d->why[0] && (because || d->why_unexplained))
		return;
	d->why_unexplained = !because;
	snprintf(d->why, sizeof(d->why), "%s: the kernel counted %lld, the pages show %lld%s%s",
		 what, kernel, pages, because ? "; " : "", because ? because : "");
}

/*
 * The kernel's counts (/proc/vmstat deltas) against what the pages show.
 * More migrations than ours are explained when someone else visibly
 * migrated: migrate_pages(2) takes the whole process, compaction and NUMA
 * balancing have counters of their own. Fewer failures than ours are
 * pages that could not even be isolated, which the kernel does not count.
 * Returns 0 agree, 1 explained, 2 not.
 */
int tm_reconcile(struct tm_dir *d, const struct tm_outcome *o, const long long *k,
			long long sub, enum tm_driver drv, bool thp)
{
	const struct { const char *what; long long pages, kernel; bool fail; } row[] = {
		{ "whole THPs migrated (thp_migration_success)", thp ? o->whole : 0,
		  k[K_THP_SUCCESS], false },
		{ "THPs split (thp_migration_split)", thp ? o->split : 0, k[K_THP_SPLIT], false },
		{ "THPs failed (thp_migration_fail - thp_migration_split)", thp ? o->failed : 0,
		  k[K_THP_FAIL] - k[K_THP_SPLIT], true },
		{ "base pages migrated (pgmigrate_success)",
		  !thp ? o->whole : o->split_moved < 0 ? -1 : o->whole * sub + o->split_moved,
		  k[K_PG_SUCCESS], false },
		{ "base pages failed (pgmigrate_fail)",
		  !thp ? o->failed : o->split_moved < 0 ? -1 :
		  (o->failed + o->split) * sub - o->split_moved, k[K_PG_FAIL], true },
	};
	char others[128];
	int worst = 0;

	for (int c = 0; c < K_COUNTERS; c++)
		if (k[c] < 0) {
			d->counters_absent = true;
			return 0;
		}
	snprintf(others, sizeof(others),
		 "others migrated meanwhile (compact_isolated +%lld, numa_pages_migrated +%lld)",
		 k[K_COMPACT], k[K_NUMA]);
	for (size_t i = 0; i < ARRAY_SIZE(row); i++) {
		long long diff = row[i].kernel - row[i].pages;
		const char *because = NULL;

		if (row[i].pages < 0 || !diff)
			continue;
		if (diff < 0 && row[i].fail)
			because = "pages that cannot be isolated fail without being counted";
		else if (diff > 0 && drv == TM_MIGRATE_PAGES)
			because = row[i].fail ?
				"migrate_pages(2) also tries all else the process has on the node, and some of that cannot move" :
				"migrate_pages(2) moves all the process has on the node (as root shared pages too: MPOL_MF_MOVE_ALL)";
		else if (diff > 0 && (k[K_COMPACT] > 0 || k[K_NUMA] > 0))
			because = others;
		worst = MAX(worst, because ? 1 : 2);
		tm_why(d, row[i].what, row[i].kernel, row[i].pages, because);
	}
	return worst;
}

/* Pages checked after each move: all up to --verify-max, else every stride-th, rotating. */
size_t tm_stride(const struct region *r)
{
	size_t max = MAX(1, tm_opt.verify_max / r->page_size);

	return (r->nr_pages + max - 1) / max;
}

void tm_stamp(const struct region *r, size_t first, size_t stride, uint64_t gen)
{
	for (size_t i = first; i < r->nr_pages; i += stride)
		stamp_write_range(region_page(r, i), r->page_size, TM_BLOCK, i * r->page_size, gen);
}

void tm_check(struct tm_dir *d, const struct region *r, size_t first, size_t stride,
		     uint64_t gen)
{
	for (size_t i = first; i < r->nr_pages; i += stride) {
		enum stamp_status why;
		long long bad = stamp_check_range(region_page(r, i), r->page_size, TM_BLOCK,
						  i * r->page_size, gen, &why);

		d->checked++;
		if (bad < 0 || d->bad++)
			continue;
		d->first_bad_off = i * r->page_size + bad;
		d->first_bad_status = why;
		snprintf(d->first_bad, sizeof(d->first_bad),
			 "page %zu, block at region offset %llu is %s", i,
			 (unsigned long long)d->first_bad_off, stamp_status_name(why));
	}
}

/* What move_pages(2) said of each page: the node it is on, or why it did not move. */
void tm_status(struct tm_dir *d, const int *status, size_t n, bool measured)
{
	for (size_t i = 0; measured && i < n; i++) {
		if (status[i] == d->dst) {
			d->status_on_dst++;
		} else if (!d->status_other++) {
			snprintf(d->status_first, sizeof(d->status_first), "page %zu: %s", i,
				 status[i] == -EINPROGRESS ? "no status (the batch had failures)" :
				 status[i] < 0 ? strerror(-status[i]) : "on another node");
		}
	}
}

/* Before every move: every THP PMD-mapped (no THP at all in 4k mode), every page on src. */
int tm_precheck(struct tm_run *t, const struct tm_dir *d, enum tm_mode m,
		       const struct region *r, int *status)
{
	int pmd = region_count_pmd_mapped(r);
	size_t want = m == TM_THP ? r->nr_pages : 0, away = 0;

	if (pmd < 0 || (size_t)pmd != want) {
		result_verdict(t->ctx->res, VERDICT_FAIL,
			       "before a move %d -> %d: %d of %zu %s pages PMD-mapped, %zu wanted",
			       d->src, d->dst, pmd, r->nr_pages, tm_mode_name[m], want);
		return -1;
	}
	if (region_nodes(r, status)) {
		result_verdict(t->ctx->res, VERDICT_FAIL, "cannot locate the region's pages: %s",
			       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < r->nr_pages; i++)
		away += status[i] != d->src;
	if (away) {
		result_verdict(t->ctx->res, VERDICT_FAIL,
			       "before a move %d -> %d: %zu of %zu pages not on node %d",
			       d->src, d->dst, away, r->nr_pages, d->src);
		return -1;
	}
	return 0;
}

/* A THP split or left behind: the figures would not be THP migration any more. */
int tm_lost(struct tm_run *t, const struct tm_dir *d, enum tm_driver drv,
		   const struct tm_outcome *o, const struct region *r)
{
	if (!o->split && !o->failed)
		return 0;
	result_verdict(t->ctx->res, VERDICT_FAIL,
		       "%s from node %d to %d: %lld of %zu pages split, %lld not moved",
		       tm_driver_name[drv], d->src, d->dst, o->split, r->nr_pages, o->failed);
	return -1;
}
