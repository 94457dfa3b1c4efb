/* stamp.c - integrity stamps: every block says where it belongs, which generation, and its hash. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "stamp.h"

static uint64_t stamp_seed(uint64_t offset, uint64_t gen)
{
	uint64_t key[2] = { offset, gen };

	return XXH3_64bits(key, sizeof(key));
}

/* A payload unique to (offset, gen): a stale or misplaced block cannot pass as current. */
static void stamp_fill(uint64_t *w, size_t words, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		w[i] = (seed + i) * 0x9e3779b97f4a7c15ULL;
}

void stamp_write(void *blk, size_t bs, uint64_t offset, uint64_t gen)
{
	struct stamp_hdr *h = blk;
	uint64_t seed = stamp_seed(offset, gen);
	size_t plen = bs - sizeof(*h);

	stamp_fill((uint64_t *)(h + 1), plen / 8, seed);
	h->magic = STAMP_MAGIC;
	h->offset = offset;
	h->gen = gen;
	h->hash = XXH3_64bits_withSeed(h + 1, plen, seed);
}

enum stamp_status stamp_check(const void *blk, size_t bs, uint64_t offset, uint64_t gen)
{
	const struct stamp_hdr *h = blk;
	struct stamp_hdr c;

	/* One snapshot of the header: the block may change under a racing pin. */
	memcpy(&c, h, sizeof(c));
	if (c.magic != STAMP_MAGIC)
		return STAMP_BAD_MAGIC;
	if (c.offset != offset)
		return STAMP_BAD_OFFSET;
	if (XXH3_64bits_withSeed(h + 1, bs - sizeof(c), stamp_seed(c.offset, c.gen)) != c.hash)
		return STAMP_BAD_HASH;
	return c.gen == gen ? STAMP_OK : STAMP_STALE;
}

const char *stamp_status_name(enum stamp_status s)
{
	static const char *const names[] = {
		[STAMP_OK] = "ok",
		[STAMP_BAD_MAGIC] = "not-a-stamp",
		[STAMP_BAD_OFFSET] = "wrong-offset",
		[STAMP_STALE] = "stale-generation",
		[STAMP_BAD_HASH] = "bad-hash",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* The byte ranges where blk differs from the block it should be; returns their count. */
int stamp_diff(const void *blk, size_t bs, uint64_t offset, uint64_t gen,
	       struct stamp_range *ranges, int max)
{
	const unsigned char *got = blk;
	unsigned char *want = malloc(bs);
	int n = 0;

	if (!want)
		return -1;
	stamp_write(want, bs, offset, gen);
	for (size_t i = 0; i < bs;) {
		size_t j;

		if (got[i] == want[i]) {
			i++;
			continue;
		}
		for (j = i; j < bs && got[j] != want[j]; j++)
			;
		if (n < max)
			ranges[n] = (struct stamp_range){ i, j - i };
		n++;
		i = j;
	}
	free(want);
	return n;
}

/* Stamps [base, base+len) block by block; offset is base's offset in the region. */
void stamp_write_range(void *base, size_t len, size_t bs, uint64_t offset, uint64_t gen)
{
	for (size_t o = 0; o + bs <= len; o += bs)
		stamp_write((char *)base + o, bs, offset + o, gen);
}

/* Offset (relative to base) of the first block that is not current, or -1. */
long long stamp_check_range(const void *base, size_t len, size_t bs, uint64_t offset,
			    uint64_t gen, enum stamp_status *why)
{
	for (size_t o = 0; o + bs <= len; o += bs) {
		enum stamp_status s = stamp_check((const char *)base + o, bs, offset + o, gen);

		if (s != STAMP_OK) {
			if (why)
				*why = s;
			return o;
		}
	}
	return -1;
}
