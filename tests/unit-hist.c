/* unit-hist.c - log-bucketed histogram: bucket bounds, percentiles, merge. */
#include "config.h"

#include <stdlib.h>

#include "hist.h"
#include "tap.h"

int main(void)
{
	static struct hist h, a, b;
	int bounds_ok = 1;

	for (uint64_t v = 0; v < 1000000; v = v * 3 / 2 + 1) {
		unsigned int k = hist_bucket_of(v);

		if (v < hist_bucket_low(k) || v > hist_bucket_high(k) ||
		    (v >= 16 && hist_bucket_high(k) - hist_bucket_low(k) + 1 > v / 16 + 1))
			bounds_ok = 0;
	}
	tap_ok(bounds_ok, "every value lies in its bucket, bucket width <= 1/16 of the value");
	tap_ok(hist_bucket_of(UINT64_MAX) < HIST_BUCKETS, "the largest value has a bucket");

	hist_init(&h);
	tap_ok(hist_percentile(&h, 50) == 0, "empty histogram: percentile 0");
	for (uint64_t v = 1; v <= 1000; v++)
		hist_add(&h, v * 1000);
	tap_ok(h.count == 1000 && h.min == 1000 && h.max == 1000000, "count, min, max");
	tap_ok(labs((long)hist_percentile(&h, 50) - 500000) <= 500000 / 16,
	       "p50 of 1..1000 us within 1/16: %llu", (unsigned long long)hist_percentile(&h, 50));
	tap_ok(labs((long)hist_percentile(&h, 99) - 990000) <= 990000 / 16,
	       "p99 within 1/16: %llu", (unsigned long long)hist_percentile(&h, 99));
	tap_ok(hist_percentile(&h, 100) == 1000000, "p100 is the max");

	hist_init(&a);
	hist_init(&b);
	for (uint64_t v = 1; v <= 1000; v++)
		hist_add(v % 2 ? &a : &b, v * 1000);
	hist_merge(&a, &b);
	tap_ok(a.count == h.count && a.min == h.min && a.max == h.max &&
	       hist_percentile(&a, 90) == hist_percentile(&h, 90), "merge equals adding all");
	return tap_done();
}
