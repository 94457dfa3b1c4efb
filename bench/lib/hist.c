/* hist.c - log-bucketed latency histograms (HdrHistogram-like, <= 1/16 relative error). */
#include "config.h"

#include <string.h>

#include "hist.h"

#define SUB (1u << HIST_SUB_BITS)

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Values below SUB get exact buckets; above, SUB buckets per power of two. */
unsigned int hist_bucket_of(uint64_t v)
{
	unsigned int e;

	if (v < SUB)
		return v;
	e = 63 - __builtin_clzll(v) - HIST_SUB_BITS + 1;
	return (e << HIST_SUB_BITS) + (unsigned int)((v >> (e - 1)) - SUB);
}

uint64_t hist_bucket_low(unsigned int b)
{
	unsigned int e = b >> HIST_SUB_BITS, m = b & (SUB - 1);

	return e ? (uint64_t)(SUB + m) << (e - 1) : m;
}

uint64_t hist_bucket_high(unsigned int b)
{
	unsigned int e = b >> HIST_SUB_BITS;

	return e ? hist_bucket_low(b) + (1ull << (e - 1)) - 1 : hist_bucket_low(b);
}

void hist_add(struct hist *h, uint64_t v)
{
	h->bucket[hist_bucket_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned int b = 0; b < HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* The highest value of the bucket holding the pct-th percentile, capped at max. */
uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	rank = (uint64_t)(pct / 100.0 * h->count + 0.5);
	if (rank < 1)
		rank = 1;
	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			uint64_t hi = hist_bucket_high(b);

			return hi > h->max ? h->max : hi < h->min ? h->min : hi;
		}
	}
	return h->max;
}

json_object *hist_to_json(const struct hist *h, const char *unit)
{
	static const struct { const char *name; double pct; } pcts[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 },
	};
	json_object *o = json_object_new_object();
	json_object *b = json_object_new_array();

	json_object_object_add(o, "unit", json_object_new_string(unit));
	json_object_object_add(o, "count", json_object_new_int64(h->count));
	if (h->count) {
		json_object_object_add(o, "min", json_object_new_int64(h->min));
		json_object_object_add(o, "mean", json_object_new_double(h->sum / h->count));
		for (unsigned int i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
			json_object_object_add(o, pcts[i].name,
				json_object_new_int64(hist_percentile(h, pcts[i].pct)));
		json_object_object_add(o, "max", json_object_new_int64(h->max));
	}
	/* Non-empty buckets as [low, high, count]: enough to redraw the CDF. */
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		json_object *row;

		if (!h->bucket[i])
			continue;
		row = json_object_new_array();
		json_object_array_add(row, json_object_new_int64(hist_bucket_low(i)));
		json_object_array_add(row, json_object_new_int64(hist_bucket_high(i)));
		json_object_array_add(row, json_object_new_int64(h->bucket[i]));
		json_object_array_add(b, row);
	}
	json_object_object_add(o, "buckets", b);
	return o;
}
