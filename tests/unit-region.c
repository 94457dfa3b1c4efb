/* unit-region.c - THP regions on the host: aligned, PMD-mapped as smaps says, located by node. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "region.h"
#include "tap.h"

int main(void)
{
	struct region r;
	char mode[32];
	int status[8], pmd, ret;

	region_thp_mode(mode, sizeof(mode));
	tap_ok(region_thp_size() >= 2u << 20, "THP size %zu", region_thp_size());
	tap_ok(region_alloc(&r, 3 * 1024 * 1024, 0, -1) == -EINVAL,
	       "a size that is not a multiple of the THP size is refused");
	ret = region_alloc(&r, 8 * region_thp_size(), 0, 0);
	if (!tap_ok(ret == 0, "allocate 8 THPs on node 0: %s", strerror(-ret)))
		return tap_done();
	tap_ok(((uintptr_t)r.addr & (r.thp_size - 1)) == 0, "region is THP-aligned");
	pmd = region_count_pmd_mapped(&r);
	if (!strcmp(mode, "never"))
		tap_ok(pmd == 0, "THP disabled: no PMD mapping claimed (%d)", pmd);
	else
		tap_ok(pmd == 8, "THP %s: 8 of 8 PMD-mapped per smaps (%d)", mode, pmd);
	if (region_thp_is_huge(&r, 0) < 0)
		tap_skip("page flags unreadable (needs root and /proc/kpageflags)");
	else
		tap_ok(region_thp_is_huge(&r, 0) == (pmd > 0), "page flags agree with smaps");
	tap_ok(region_nodes(&r, status) == 0 && status[0] == 0 && status[7] == 0,
	       "move_pages query: on node 0");
	region_free(&r);

	tap_ok(region_alloc(&r, 8 * region_thp_size(), REGION_BASE_PAGES, 0) == 0 &&
	       region_count_pmd_mapped(&r) == 0, "REGION_BASE_PAGES gets no THP");
	region_free(&r);
	return tap_done();
}
