/* hist.h - log-bucketed latency histograms (HdrHistogram-like, <= 1/16 relative error). */
#ifndef MIGRACE_HIST_H
#define MIGRACE_HIST_H

#include <stdint.h>
#include <json-c/json.h>

#define HIST_SUB_BITS	4
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct hist {
	uint64_t count, min, max;
	double sum;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
uint64_t hist_percentile(const struct hist *h, double pct);
unsigned int hist_bucket_of(uint64_t v);
uint64_t hist_bucket_low(unsigned int b);
uint64_t hist_bucket_high(unsigned int b);
json_object *hist_to_json(const struct hist *h, const char *unit);

#endif
