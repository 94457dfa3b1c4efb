/* stamp.h - integrity stamps: every block says where it belongs, which generation, and its hash. */
#ifndef MIGRACE_STAMP_H
#define MIGRACE_STAMP_H

#include <stddef.h>
#include <stdint.h>

#define STAMP_MAGIC	0x6563617267696dULL	/* "migrace" */
#define STAMP_MIN_BLOCK	64

struct stamp_hdr {
	uint64_t magic;
	uint64_t offset;	/* byte offset of the block in its region */
	uint64_t gen;		/* generation: bumped on every rewrite */
	uint64_t hash;		/* XXH3 of the payload, seeded with offset and gen */
};

enum stamp_status {
	STAMP_OK,
	STAMP_BAD_MAGIC,	/* not a stamp at all: zero-filled, foreign data */
	STAMP_BAD_OFFSET,	/* a stamp from elsewhere: wrong page */
	STAMP_STALE,		/* consistent, but another generation: stale page */
	STAMP_BAD_HASH,		/* torn or corrupted payload */
};

struct stamp_range {
	size_t start, len;	/* bytes, relative to the block */
};

void stamp_write(void *blk, size_t bs, uint64_t offset, uint64_t gen);
enum stamp_status stamp_check(const void *blk, size_t bs, uint64_t offset, uint64_t gen);
const char *stamp_status_name(enum stamp_status s);
void stamp_write_range(void *base, size_t len, size_t bs, uint64_t offset, uint64_t gen);
long long stamp_check_range(const void *base, size_t len, size_t bs, uint64_t offset,
			    uint64_t gen, enum stamp_status *why);
int stamp_diff(const void *blk, size_t bs, uint64_t offset, uint64_t gen,
	       struct stamp_range *ranges, int max);

#endif
