/* unit-stamp.c - integrity stamps catch zeroed, stale, misplaced and torn blocks, and say where. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "stamp.h"
#include "tap.h"

#define BS 4096

int main(void)
{
	unsigned char *blk = malloc(BS), *old = malloc(BS);
	struct stamp_range r[8];
	enum stamp_status why;
	unsigned char *region = malloc(16 * BS);
	int n;

	stamp_write(blk, BS, 8192, 7);
	tap_ok(stamp_check(blk, BS, 8192, 7) == STAMP_OK, "a fresh stamp checks");
	tap_ok(stamp_check(blk, BS, 4096, 7) == STAMP_BAD_OFFSET, "a block at the wrong offset is caught");
	tap_ok(stamp_check(blk, BS, 8192, 8) == STAMP_STALE, "the previous generation is caught as stale");

	memcpy(old, blk, BS);
	blk[1000] ^= 0x40;
	tap_ok(stamp_check(blk, BS, 8192, 7) == STAMP_BAD_HASH, "one flipped bit is caught");
	n = stamp_diff(blk, BS, 8192, 7, r, 8);
	tap_ok(n == 1 && r[0].start == 1000 && r[0].len == 1, "diff names the flipped byte: %d range(s), first %zu+%zu",
	       n, n > 0 ? r[0].start : 0, n > 0 ? r[0].len : 0);

	memset(blk, 0, BS);
	tap_ok(stamp_check(blk, BS, 8192, 7) == STAMP_BAD_MAGIC, "a zero-filled page is caught");
	n = stamp_diff(old, BS, 8192, 8, r, 8);
	tap_ok(n >= 1 && r[0].start == 16, "stale block differs from the generation field on (%d ranges)", n);

	stamp_write_range(region, 16 * BS, BS, 0, 3);
	tap_ok(stamp_check_range(region, 16 * BS, BS, 0, 3, NULL) == -1, "a stamped range checks");
	stamp_write(region + 5 * BS, BS, 5 * BS, 2);
	tap_ok(stamp_check_range(region, 16 * BS, BS, 0, 3, &why) == 5 * BS && why == STAMP_STALE,
	       "the first stale block of a range is found");
	free(blk);
	free(old);
	free(region);
	return tap_done();
}
