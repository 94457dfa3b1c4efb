/* region.c - THP-backed memory regions: allocation, proof of PMD mapping, placement, moves. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "region.h"
#include "settings.h"
#include "util.h"

#define KPF_COMPOUND_HEAD	15
#define KPF_THP			22
#define PM_PFN_MASK		((1ull << 55) - 1)
#define PM_PRESENT		(1ull << 63)

size_t region_thp_size(void)
{
	long long v = settings_get(SET_THP_PMD_SIZE);

	return v > 0 ? (size_t)v : 2u << 20;
}

/* "always", "madvise", "never", or "absent" when the kernel has no THP. */
const char *region_thp_mode(char *buf, size_t len)
{
	if (settings_text(SET_THP_ENABLED, buf, len))
		snprintf(buf, len, "absent");
	return buf;
}

/*
 * The region is cut from a larger mapping so it starts on a THP boundary;
 * the leftovers stay mapped PROT_NONE as guards, which keeps the region in
 * VMAs of its own (no merging with a neighbour), so smaps speaks of it alone.
 */
int region_alloc(struct region *r, size_t size, int flags, int node)
{
	size_t thp = region_thp_size(), head;
	int mflags = (flags & REGION_SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
	int advice = flags & REGION_BASE_PAGES ? MADV_NOHUGEPAGE : MADV_HUGEPAGE;

	memset(r, 0, sizeof(*r));
	r->thp_size = thp;
	r->page_size = flags & REGION_BASE_PAGES ? (size_t)sysconf(_SC_PAGESIZE) : thp;
	if (!size || size % r->page_size)
		return -EINVAL;
	r->flags = flags;
	r->size = size;
	r->nr_pages = size / r->page_size;
	r->map_len = size + 2 * thp;
	r->map = mmap(NULL, r->map_len, PROT_NONE, mflags, -1, 0);
	if (r->map == MAP_FAILED)
		return -errno;
	head = thp - ((uintptr_t)r->map & (thp - 1));
	r->addr = r->map + head;
	if (mprotect(r->addr, size, PROT_READ | PROT_WRITE) ||
	    madvise(r->addr, size, advice)) {
		int err = -errno;

		region_free(r);
		return err;
	}
	if (node >= 0 && numa_available() >= 0) {
		struct bitmask *bm = numa_allocate_nodemask();

		numa_bitmask_setbit(bm, node);
		/* Bind while faulting in only: moves later must be free to go anywhere. */
		if (mbind(r->addr, size, MPOL_BIND, bm->maskp, bm->size + 1, 0)) {
			int err = -errno;

			numa_free_nodemask(bm);
			region_free(r);
			return err;
		}
		numa_free_nodemask(bm);
	}
	for (size_t off = 0; off < size; off += sysconf(_SC_PAGESIZE))
		r->addr[off] = 0;
	if (node >= 0 && numa_available() >= 0)
		mbind(r->addr, size, MPOL_DEFAULT, NULL, 0, 0);
	return 0;
}

void region_free(struct region *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->map_len);
	r->map = NULL;
	r->addr = NULL;
}

/*
 * Counts the region's PMD-mapped THPs from smaps: AnonHugePages (private) or
 * ShmemPmdMapped (shared) count only PMD mappings, unlike the page flags.
 */
int region_count_pmd_mapped(const struct region *r)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	const char *key = r->flags & REGION_SHARED ? "ShmemPmdMapped:" : "AnonHugePages:";
	uintptr_t lo = (uintptr_t)r->addr, hi = lo + r->size;
	unsigned long long start, end, kb, total = 0;
	bool inside = false;
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2) {
			inside = start >= lo && end <= hi;
			continue;
		}
		if (inside && !strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), "%llu", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return total * 1024 / r->thp_size;
}

static int pread_u64(const char *path, uint64_t index, uint64_t *val)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, val, sizeof(*val), index * sizeof(*val));
	close(fd);
	return n == sizeof(*val) ? 0 : -EIO;
}

/*
 * Page i is a THP head on a PMD-aligned frame: 1; not: 0; cannot tell
 * (no root for PFNs, no kpageflags): -1. Complements the smaps count,
 * which cannot say which THP is which.
 */
int region_thp_is_huge(const struct region *r, size_t i)
{
	uint64_t pm, flags, pfn;
	uintptr_t va = (uintptr_t)region_page(r, i);
	size_t pg = sysconf(_SC_PAGESIZE);

	if (pread_u64("/proc/self/pagemap", va / pg, &pm) || !(pm & PM_PRESENT))
		return -1;
	pfn = pm & PM_PFN_MASK;
	if (!pfn || pread_u64("/proc/kpageflags", pfn, &flags))
		return -1;
	return (flags & (1ull << KPF_THP)) && (flags & (1ull << KPF_COMPOUND_HEAD)) &&
	       !(pfn & (r->thp_size / pg - 1));
}

/* Node of every page of the region (move_pages with nodes=NULL takes no reference). */
int region_nodes(const struct region *r, int *status)
{
	void **pages = malloc(r->nr_pages * sizeof(*pages));
	long ret;

	if (!pages)
		return -ENOMEM;
	for (size_t i = 0; i < r->nr_pages; i++)
		pages[i] = region_page(r, i);
	ret = move_pages(0, r->nr_pages, pages, NULL, status, 0);
	free(pages);
	return ret < 0 ? -errno : 0;
}

/*
 * Moves pages [first, first+count) to node; one address per THP moves it whole.
 * Returns the number of pages not moved (move_pages semantics) or -errno.
 */
int region_move(const struct region *r, size_t first, size_t count, int node, int *status)
{
	void **pages = malloc(count * sizeof(*pages));
	int *nodes = malloc(count * sizeof(*nodes));
	long ret = -ENOMEM;

	if (pages && nodes) {
		for (size_t i = 0; i < count; i++) {
			pages[i] = region_page(r, first + i);
			nodes[i] = node;
		}
		ret = move_pages(0, count, pages, nodes, status, MPOL_MF_MOVE);
		if (ret < 0)
			ret = -errno;
	}
	free(pages);
	free(nodes);
	return ret;
}
