/* unit-rates.c - failure-rate statistics against published values (R's binom.test, poisson.test, fisher.test) and identities. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "rates.h"
#include "tap.h"

/* Published figures carry 4 to 7 significant digits: within half a unit of the last one. */
static int near(double got, double want, double half_unit)
{
	return fabs(got - want) <= half_unit;
}

static void test_binom_published(void)
{
	double lo, hi;

	rates_binom_ci(0, 40, 0.95, &lo, &hi);
	tap_ok(lo == 0 && near(hi, 1 - pow(0.025, 1.0 / 40), 1e-12) && near(hi, 0.0881, 5e-5),
	       "0 of 40: [%.6f, %.6f] = [0, 1 - 0.025^(1/40)] = [0, 0.0881]", lo, hi);
	rates_binom_ci(1, 6, 0.95, &lo, &hi);
	tap_ok(near(lo, 0.004210745, 5e-10) && near(hi, 0.641234579, 5e-10),
	       "1 of 6: [%.9f, %.9f], binom.test: [0.004210745, 0.641234579]", lo, hi);
	/* The example of R's binom.test help page: 682 of 925 (Mendel's peas). */
	rates_binom_ci(682, 925, 0.95, &lo, &hi);
	tap_ok(near(lo, 0.7076683, 5e-8) && near(hi, 0.7654066, 5e-8),
	       "682 of 925: [%.7f, %.7f], binom.test: [0.7076683, 0.7654066]", lo, hi);
	rates_binom_ci(11, 40, 0.95, &lo, &hi);
	tap_ok(near(lo, 0.1460090, 5e-8) && near(hi, 0.4388829, 5e-8),
	       "11 of 40: [%.7f, %.7f], exact to 7 digits: [0.1460090, 0.4388829]", lo, hi);
	rates_binom_ci(3, 3, 0.95, &lo, &hi);
	tap_ok(near(lo, pow(0.025, 1.0 / 3), 1e-12) && hi == 1,
	       "3 of 3: [%.6f, 1] = [0.025^(1/3), 1]", lo);
	rates_binom_ci(0, 0, 0.95, &lo, &hi);
	tap_ok(lo == 0 && hi == 1, "0 of 0: [0, 1], nothing known");
}

/* P(X >= k) for X ~ Binomial(n, p), summed term by term. */
static double binom_upper_tail(unsigned int k, unsigned int n, double p)
{
	double sum = 0;

	for (unsigned int i = k; i <= n; i++)
		sum += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) +
			   i * log(p) + (n - i) * log1p(-p));
	return sum;
}

/* The continued fractions against finite sums they must equal for whole-number arguments. */
static void test_identities(void)
{
	static const struct { unsigned int k, n; double p; } b[] = {
		{ 1, 6, 0.3 }, { 11, 40, 0.2 }, { 11, 40, 0.6 }, { 39, 40, 0.99 }, { 300, 1000, 0.31 },
	};
	double worst = 0, m, sum, term;

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		double want = binom_upper_tail(b[i].k, b[i].n, b[i].p);
		double got = rates_beta_inc(b[i].k, b[i].n - b[i].k + 1, b[i].p);

		worst = fmax(worst, fabs(got - want) / want);
	}
	tap_ok(worst < 1e-10, "I_p(k, n-k+1) = P(Binomial(n,p) >= k) in 5 cases (worst relative error %.1e)",
	       worst);
	worst = 0;
	for (unsigned int k = 1; k <= 200; k += 7) {
		for (m = 0.5; m < 300; m *= 3) {
			/* P(k, m) = P(Poisson(m) >= k) = 1 - sum of the first k terms */
			sum = 0;
			term = exp(-m);
			for (unsigned int i = 0; i < k; i++) {
				sum += term;
				term *= m / (i + 1);
			}
			worst = fmax(worst, fabs(rates_gamma_inc(k, m) - (1 - sum)));
		}
	}
	tap_ok(worst < 1e-12, "P(k, m) = P(Poisson(m) >= k) for k to 200, m to 300 (worst error %.1e)",
	       worst);
	tap_ok(near(rates_gamma_quantile(0.5, 0.95) * 2, 3.841459, 5e-7),
	       "half-integer shape: chi-square(1) 95%% quantile %.6f (tables: 3.841459)",
	       rates_gamma_quantile(0.5, 0.95) * 2);
}

/* An exact interval covers the true failure probability at least `level` of the time, for every p. */
static void test_coverage(void)
{
	static const double ps[] = { 0.01, 0.05, 0.1, 0.27, 0.5, 0.9 };
	double lo[21], hi[21], worst = 1;
	unsigned int n = 20;

	for (unsigned int k = 0; k <= n; k++)
		rates_binom_ci(k, n, 0.95, &lo[k], &hi[k]);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		double cover = 0;

		for (unsigned int k = 0; k <= n; k++)
			if (lo[k] <= ps[i] && ps[i] <= hi[k])
				cover += binom_upper_tail(k, n, ps[i]) -
					 (k < n ? binom_upper_tail(k + 1, n, ps[i]) : 0);
		worst = fmin(worst, cover);
	}
	tap_ok(worst >= 0.95, "Clopper-Pearson, n = 20: exact coverage >= 95%% for 6 probabilities (least %.4f)",
	       worst);
}

static void test_poisson_published(void)
{
	double lo, hi;

	rates_poisson_ci(0, 0.95, &lo, &hi);
	tap_ok(lo == 0 && near(hi, 3.688879, 5e-7) && near(hi, -log(0.025), 1e-12),
	       "0 events: [0, %.6f], poisson.test: [0, 3.688879] = -ln 0.025", hi);
	rates_poisson_ci(1, 0.95, &lo, &hi);
	tap_ok(near(lo, -log(0.975), 1e-12) && near(hi, 5.571643, 5e-7),
	       "1 event: [%.8f, %.6f], poisson.test: [0.02531781, 5.571643]", lo, hi);
	rates_poisson_ci(10, 0.95, &lo, &hi);
	tap_ok(near(lo, 4.795389, 5e-7) && near(hi, 18.390356, 5e-7),
	       "10 events: [%.6f, %.6f], poisson.test: [4.795389, 18.390356]", lo, hi);
	/* The example of R's poisson.test help page: 137 cases in 24.19893 thousand person-years. */
	rates_poisson_ci(137, 0.95, &lo, &hi);
	lo /= 24.19893;
	hi /= 24.19893;
	tap_ok(near(lo, 4.753125, 5e-7) && near(hi, 6.692709, 5e-7),
	       "137 in 24.19893: rate [%.6f, %.6f], poisson.test: [4.753125, 6.692709]", lo, hi);
}

static void test_fisher_published(void)
{
	struct rates_fisher f;

	/* Fisher's lady tasting tea, R's fisher.test example: 3 of 4 against 1 of 4. */
	rates_fisher(3, 4, 1, 4, &f);
	tap_ok(near(f.two_sided, 0.4857, 5e-5) && near(f.second_fewer, 0.2429, 5e-5) &&
	       near(f.second_more, 69.0 / 70, 1e-12),
	       "tea tasting 3,1 / 1,3: two-sided %.4f (0.4857), one-sided %.4f (0.2429)",
	       f.two_sided, f.second_fewer);
	/* R's fisher.test example, convictions of like-sex twins: 2 of 17 against 10 of 13. */
	rates_fisher(2, 17, 10, 13, &f);
	tap_ok(near(f.second_more, 0.0004652, 5e-8),
	       "twins 2/17 against 10/13: one-sided %.7f (fisher.test, 'less': 0.0004652)", f.second_more);
	/* Symmetric margins: both tails are C(40,11)/C(80,11). */
	rates_fisher(11, 40, 0, 40, &f);
	tap_ok(near(f.two_sided, 0.00044128, 5e-9) && near(f.second_fewer, 0.00022064, 5e-9) &&
	       f.second_more == 1, "11/40 against 0/40: two-sided %.8f (0.00044128), fewer %.8f",
	       f.two_sided, f.second_fewer);
	rates_fisher(0, 40, 11, 40, &f);
	tap_ok(near(f.two_sided, 0.00044128, 5e-9) && near(f.second_more, 0.00022064, 5e-9) &&
	       f.second_fewer == 1, "0/40 against 11/40: the same, mirrored (%.8f)", f.two_sided);
	rates_fisher(0, 3, 3, 3, &f);
	tap_ok(near(f.two_sided, 0.1, 1e-12) && near(f.second_more, 0.05, 1e-12),
	       "0/3 against 3/3: two-sided 2/20 (%g), one-sided 1/20 (%g)", f.two_sided, f.second_more);
	rates_fisher(0, 3, 0, 3, &f);
	tap_ok(f.two_sided == 1 && f.second_more == 1 && f.second_fewer == 1,
	       "0/3 against 0/3: p = 1 every way");
}

int main(void)
{
	test_binom_published();
	test_identities();
	test_coverage();
	test_poisson_published();
	test_fisher_published();
	return tap_done();
}
