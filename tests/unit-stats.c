/* unit-stats.c - comparison statistics: known values, A/A false-positive rate, power on a known shift. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "stats.h"
#include "tap.h"

#define TRIALS	2000

/* n values of a log-normal timing with median `median` and spread cv (sigma of the log). */
static void draw(double *x, size_t n, double median, double cv, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		x[i] = median * exp(cv * stats_normal(seed));
}

/* How often stats_compare calls two samples different: b's median is shift times a's. */
static double flag_rate(size_t n, double cv, double shift, uint64_t seed)
{
	double a[64], b[64], p;
	int flagged = 0;

	for (int t = 0; t < TRIALS; t++) {
		draw(a, n, 1000, cv, &seed);
		draw(b, n, 1000 * shift, cv, &seed);
		flagged += stats_compare(a, n, b, n, &p) == STATS_CHANGED;
	}
	return (double)flagged / TRIALS;
}

static void test_known_values(void)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, s[] = { 1, 2, 3, 4, 5 };
	double a3[] = { 1, 2, 3 }, b3[] = { 4, 5, 6 };
	double a5[] = { 1, 2, 3, 4, 5 }, b5[] = { 6, 7, 8, 9, 10 };
	double ta[] = { 1, 2, 2, 3, 3 }, tb[] = { 3, 4, 4, 5, 5 };
	double p;

	tap_ok(stats_median(odd, 3) == 3 && stats_median(even, 4) == 2.5, "median of odd and even counts");
	tap_ok(stats_quantile(s, 5, 0.25) == 2 && stats_quantile(s, 5, 1) == 5, "quantiles (type 7)");
	p = stats_rank_test(a3, 3, b3, 3);
	tap_ok(fabs(p - 0.1) < 1e-12, "rank test 3 vs 3 fully separated: exact p = 2/20 (%g)", p);
	p = stats_rank_test(a5, 5, b5, 5);
	tap_ok(fabs(p - 2.0 / 252) < 1e-12, "rank test 5 vs 5 fully separated: exact p = 2/252 (%g)", p);
	tap_ok(stats_rank_test(a5, 5, a5, 5) == 1, "identical samples: p = 1");
	tap_ok(fabs(stats_rank_test(ta, 5, tb, 5) - stats_rank_test(tb, 5, ta, 5)) < 1e-12 &&
	       stats_rank_test(ta, 5, tb, 5) < 0.05, "ties: symmetric, separated samples significant (%g)",
	       stats_rank_test(ta, 5, tb, 5));
	tap_ok(stats_compare(a3, 3, b3, 3, &p) == STATS_FEW, "3 vs 3 cannot reach alpha: verdict 'few'");
	tap_ok(stats_compare(a5, 5, b5, 5, &p) == STATS_CHANGED, "5 vs 5 separated: changed");
}

static void test_large_samples(void)
{
	double a[40], b[40], p;
	uint64_t seed = 7;

	draw(a, 40, 1000, 0.1, &seed);
	draw(b, 40, 1300, 0.1, &seed);
	p = stats_rank_test(a, 40, b, 40);
	tap_ok(p < 1e-6, "40 vs 40 (normal approximation), +30%%: p = %g", p);
	tap_ok(stats_rank_test(a, 40, a, 40) > 0.99, "40 vs 40 identical: p ~ 1");
}

static void test_ci_and_outliers(void)
{
	double x[] = { 10, 11, 12, 11, 10, 100 }, c[] = { 7, 7, 7, 7 }, lo, hi;
	bool out[6];
	size_t k = stats_outliers(x, 6, out);

	tap_ok(k == 1 && out[5], "Tukey fences flag the one far value (%zu flagged)", k);
	stats_median_ci(x, 6, 0.95, 1, &lo, &hi);
	tap_ok(lo <= stats_median(x, 6) && stats_median(x, 6) <= hi && lo >= 10 && hi <= 100,
	       "bootstrap CI [%g, %g] holds the median", lo, hi);
	stats_median_ci(c, 4, 0.95, 1, &lo, &hi);
	tap_ok(lo == 7 && hi == 7, "constant data: a point interval");
}

/* CI coverage is reported, not asserted: the percentile bootstrap is known to run narrow for small n. */
static void diag_ci_coverage(size_t n)
{
	double x[64], lo, hi;
	uint64_t seed = 99;
	int hit = 0;

	for (int t = 0; t < 500; t++) {
		draw(x, n, 1000, 0.1, &seed);
		stats_median_ci(x, n, 0.95, t + 1, &lo, &hi);
		hit += lo <= 1000 && 1000 <= hi;
	}
	tap_diag("bootstrap 95%% CI of the median, n=%zu: covers the true median in %.1f%% of 500 trials",
		 n, hit / 5.0);
}

int main(void)
{
	/* Three standard errors above alpha: a correct test fails this about once in a thousand. */
	double tol = STATS_ALPHA + 3 * sqrt(STATS_ALPHA * (1 - STATS_ALPHA) / TRIALS);
	static const size_t sizes[] = { 5, 8, 20, 40 };
	double r;

	test_known_values();
	test_large_samples();
	test_ci_and_outliers();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		r = flag_rate(sizes[i], 0.1, 1.0, 1000 + i);
		tap_ok(r <= tol, "A/A, %zu vs %zu reps, %d trials: %.2f%% flagged (limit %.2f%%)",
		       sizes[i], sizes[i], TRIALS, 100 * r, 100 * tol);
	}
	r = flag_rate(5, 0.05, 1.2, 2000);
	tap_ok(r >= 0.95, "+20%% shift, 5 vs 5 reps, 5%% spread: found in %.1f%% of trials", 100 * r);
	r = flag_rate(8, 0.1, 1.2, 3000);
	tap_ok(r >= 0.8, "+20%% shift, 8 vs 8 reps, 10%% spread: found in %.1f%% of trials", 100 * r);
	tap_diag("power at 5 vs 5 reps, 10%% spread, +20%%: %.1f%%", 100 * flag_rate(5, 0.1, 1.2, 4000));
	tap_diag("power at 5 vs 5 reps, 10%% spread, +5%%: %.1f%%", 100 * flag_rate(5, 0.1, 1.05, 5000));
	diag_ci_coverage(5);
	diag_ci_coverage(15);
	return tap_done();
}
