/* stats.c - statistics for comparing runs: medians, bootstrap intervals, rank tests, outliers. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

/* Above this many values in both samples together the rank test uses the normal approximation. */
#define STATS_EXACT_MAX	60

/* xorshift64*: a fixed seed gives the same intervals for the same data, run after run. */
uint64_t stats_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

double stats_uniform(uint64_t *state)
{
	return (stats_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

double stats_normal(uint64_t *state)
{
	double u = stats_uniform(state), v = stats_uniform(state);

	return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static int stats_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between order statistics (R's type 7); sorted must be ascending. */
double stats_quantile(const double *sorted, size_t n, double q)
{
	double h = (n - 1) * q;
	size_t i = (size_t)h;

	if (!n)
		return NAN;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

static double *stats_sorted_copy(const double *x, size_t n)
{
	double *s = malloc((n ? n : 1) * sizeof(*s));

	if (!s)
		abort();
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), stats_cmp);
	return s;
}

double stats_median(const double *x, size_t n)
{
	double *s = stats_sorted_copy(x, n), m = stats_quantile(s, n, 0.5);

	free(s);
	return m;
}

/*
 * Percentile bootstrap of the median: STATS_BOOTSTRAP resamples with
 * replacement, the interval between the (1-level)/2 and (1+level)/2
 * quantiles of their medians. With few values it is as wide as the data.
 */
void stats_median_ci(const double *x, size_t n, double level, uint64_t seed,
		     double *lo, double *hi)
{
	double *med = malloc(STATS_BOOTSTRAP * sizeof(*med));
	double *res = malloc((n ? n : 1) * sizeof(*res));

	if (!med || !res)
		abort();
	for (int b = 0; b < STATS_BOOTSTRAP; b++) {
		for (size_t i = 0; i < n; i++)
			res[i] = x[stats_rand(&seed) % n];
		qsort(res, n, sizeof(*res), stats_cmp);
		med[b] = stats_quantile(res, n, 0.5);
	}
	qsort(med, STATS_BOOTSTRAP, sizeof(*med), stats_cmp);
	*lo = stats_quantile(med, STATS_BOOTSTRAP, (1 - level) / 2);
	*hi = stats_quantile(med, STATS_BOOTSTRAP, (1 + level) / 2);
	free(med);
	free(res);
}

/* Twice the mid-rank of every value of a (first n) and b (next m); ties share their mean rank. */
static int *stats_ranks2(const double *a, size_t n, const double *b, size_t m)
{
	size_t N = n + m;
	double *v = malloc(N * sizeof(*v)), *s;
	int *r = malloc(N * sizeof(*r));

	if (!v || !r)
		abort();
	memcpy(v, a, n * sizeof(*v));
	memcpy(v + n, b, m * sizeof(*v));
	s = stats_sorted_copy(v, N);
	for (size_t i = 0; i < N; i++) {
		size_t lo = 0, hi;

		while (s[lo] < v[i])
			lo++;
		for (hi = lo; hi + 1 < N && s[hi + 1] == v[i]; hi++)
			;
		r[i] = (int)(lo + hi + 2);	/* 2 * mean of ranks lo+1 .. hi+1 */
	}
	free(s);
	free(v);
	return r;
}

/* Exact permutation distribution of the (doubled) rank sum of n of the N ranks. */
static double stats_exact_p(const int *r2, size_t n, size_t N, long w2)
{
	size_t smax = N * (N + 1), cols = smax + 1;
	double *ways = calloc((n + 1) * cols, sizeof(*ways)), total = 0, tail = 0;
	long center = (long)(n * (N + 1)), dev = labs(w2 - center);

	if (!ways)
		abort();
	ways[0] = 1;
	for (size_t i = 0; i < N; i++)
		for (size_t k = MIN(i + 1, n); k >= 1; k--)
			for (size_t s = smax; s >= (size_t)r2[i]; s--)
				ways[k * cols + s] += ways[(k - 1) * cols + s - r2[i]];
	for (size_t s = 0; s <= smax; s++) {
		total += ways[n * cols + s];
		if (labs((long)s - center) >= dev)
			tail += ways[n * cols + s];
	}
	free(ways);
	return tail / total;
}

/* Normal approximation with the tie correction, for large samples. */
static double stats_normal_p(const int *r2, size_t n, size_t m, long w2)
{
	size_t N = n + m;
	double t = 0, var, z;

	/* Sum of (t^3 - t) over groups of ties, from the doubled ranks. */
	for (size_t i = 0; i < N; i++) {
		size_t same = 0;

		for (size_t j = 0; j < N; j++)
			same += r2[j] == r2[i];
		t += ((double)same * same - 1);	/* each of the `same` members adds (t^2-1) */
	}
	var = n * m / 12.0 * ((N + 1) - t / ((double)N * (N - 1)));
	if (var <= 0)
		return 1;
	z = fabs(w2 / 2.0 - n * (N + 1) / 2.0) / sqrt(var);
	return erfc(z / M_SQRT2);
}

/*
 * Two-sided Mann-Whitney U (Wilcoxon rank-sum) test: the probability, were
 * a and b drawn from one distribution, of a rank sum at least as far from
 * its mean. Exact (all splits of the pooled ranks, ties included) up to
 * STATS_EXACT_MAX values, the normal approximation above.
 */
double stats_rank_test(const double *a, size_t n, const double *b, size_t m)
{
	int *r2;
	long w2 = 0;
	double p;

	if (!n || !m)
		return 1;
	r2 = stats_ranks2(a, n, b, m);
	for (size_t i = 0; i < n; i++)
		w2 += r2[i];
	if (n + m <= STATS_EXACT_MAX)
		p = stats_exact_p(r2, n, n + m, w2);
	else
		p = stats_normal_p(r2, n, m, w2);
	free(r2);
	return p > 1 ? 1 : p;
}

/* The smallest p-value the rank test can give for these sample sizes (no ties). */
double stats_rank_test_min_p(size_t n, size_t m)
{
	double c = 1;

	for (size_t i = 1; i <= n; i++)
		c = c * (m + i) / i;
	return c > 2 ? 2 / c : 1;
}

/* Tukey's fences: values beyond 1.5 IQR from the quartiles; flags them in out, returns how many. */
size_t stats_outliers(const double *x, size_t n, bool *out)
{
	double *s, q1, q3, iqr;
	size_t k = 0;

	memset(out, 0, n * sizeof(*out));
	if (n < 4)
		return 0;
	s = stats_sorted_copy(x, n);
	q1 = stats_quantile(s, n, 0.25);
	q3 = stats_quantile(s, n, 0.75);
	iqr = q3 - q1;
	for (size_t i = 0; i < n; i++) {
		out[i] = x[i] < q1 - 1.5 * iqr || x[i] > q3 + 1.5 * iqr;
		k += out[i];
	}
	free(s);
	return k;
}

enum stats_verdict stats_compare(const double *a, size_t n, const double *b, size_t m, double *p)
{
	*p = stats_rank_test(a, n, b, m);
	if (stats_rank_test_min_p(n, m) > STATS_ALPHA)
		return STATS_FEW;
	return *p <= STATS_ALPHA ? STATS_CHANGED : STATS_SAME;
}
