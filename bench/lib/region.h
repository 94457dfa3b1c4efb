/* region.h - THP-backed memory regions: allocation, proof of PMD mapping, placement, moves. */
#ifndef MIGRACE_REGION_H
#define MIGRACE_REGION_H

#include <stdbool.h>
#include <stddef.h>

enum region_flags {
	REGION_SHARED = 1 << 0,	/* MAP_SHARED|MAP_ANONYMOUS: shmem THP */
	REGION_BASE_PAGES = 1 << 1,	/* MADV_NOHUGEPAGE: 4 KiB pages on purpose */
};

struct region {
	char *addr;		/* aligned to thp_size */
	size_t size;		/* a multiple of page_size */
	size_t page_size;	/* thp_size, or the base page size with REGION_BASE_PAGES */
	size_t thp_size;
	size_t nr_pages;
	int flags;
	char *map;		/* the whole mapping, guards included */
	size_t map_len;
};

size_t region_thp_size(void);
const char *region_thp_mode(char *buf, size_t len);

int region_alloc(struct region *r, size_t size, int flags, int node);
void region_free(struct region *r);
static inline char *region_page(const struct region *r, size_t i)
{
	return r->addr + i * r->page_size;
}

int region_count_pmd_mapped(const struct region *r);
int region_thp_is_huge(const struct region *r, size_t i);
int region_nodes(const struct region *r, int *status);
int region_move(const struct region *r, size_t first, size_t count,
		int node, int *status);

#endif
