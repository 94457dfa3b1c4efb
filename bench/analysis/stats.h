/* stats.h - statistics for comparing runs: medians, bootstrap intervals, rank tests, outliers. */
#ifndef MIGRACE_STATS_H
#define MIGRACE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bootstrap resamples for a confidence interval, and the significance level of a test. */
#define STATS_BOOTSTRAP	2000
#define STATS_ALPHA	0.05

uint64_t stats_rand(uint64_t *state);
double stats_uniform(uint64_t *state);
double stats_normal(uint64_t *state);

double stats_quantile(const double *sorted, size_t n, double q);
double stats_median(const double *x, size_t n);
void stats_median_ci(const double *x, size_t n, double level, uint64_t seed,
		     double *lo, double *hi);
double stats_rank_test(const double *a, size_t n, const double *b, size_t m);
double stats_rank_test_min_p(size_t n, size_t m);
size_t stats_outliers(const double *x, size_t n, bool *out);

/* What a comparison of two samples says, at the significance level STATS_ALPHA. */
enum stats_verdict {
	STATS_SAME,	/* no significant difference */
	STATS_CHANGED,	/* significant: p <= STATS_ALPHA */
	STATS_FEW,	/* too few values: no outcome could reach STATS_ALPHA */
};

enum stats_verdict stats_compare(const double *a, size_t n, const double *b, size_t m, double *p);

#endif
