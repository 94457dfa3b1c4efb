/* rates.c - failure rates: exact binomial and Poisson intervals, Fisher's exact test on two sets. */
#include "config.h"

#include <math.h>

#include "rates.h"
#include "util.h"

#define RATES_EPS	1e-15
#define RATES_TINY	1e-300
#define RATES_ITER	10000
/* Tables whose probability is within this factor of the observed one count as "as likely" (R's choice). */
#define RATES_REL_TOL	(1 + 1e-7)

/* Lentz's method needs no denominator to be exactly zero. */
static double rates_nonzero(double v)
{
	return fabs(v) < RATES_TINY ? RATES_TINY : v;
}

/*
 * The continued fraction of I_x(a,b) (Abramowitz and Stegun 26.5.8), with
 * the partial numerators d_2m = m(b-m)x / ((a+2m-1)(a+2m)) and
 * d_2m+1 = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)); it converges fast for
 * x < (a+1)/(a+b+2).
 */
static double rates_beta_cf(double a, double b, double x)
{
	double c = 1, d = 1 / rates_nonzero(1 - (a + b) * x / (a + 1)), h = d;

	for (int m = 1; m <= RATES_ITER; m++) {
		double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), step;

		d = 1 / rates_nonzero(1 + num * d);
		c = rates_nonzero(1 + num / c);
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 / rates_nonzero(1 + num * d);
		c = rates_nonzero(1 + num / c);
		step = d * c;
		h *= step;
		if (fabs(step - 1) < RATES_EPS)
			break;
	}
	return h;
}

/* The regularized incomplete beta function I_x(a,b), for a, b > 0. */
double rates_beta_inc(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	/* Beyond the mean the fraction converges slowly: use I_x(a,b) = 1 - I_1-x(b,a). */
	if (x > (a + 1) / (a + b + 2))
		return 1 - rates_beta_inc(b, a, 1 - x);
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	return front * rates_beta_cf(a, b, x) / a;
}

/*
 * Bisection: slower than Newton's method but it cannot leave [lo, hi] or
 * oscillate on the flat tails, and 1100 steps bound it at any precision.
 */
static double rates_invert(double (*f)(double a, double b, double x), double a, double b,
			   double p, double lo, double hi)
{
	for (int i = 0; i < 1100; i++) {
		double mid = lo + (hi - lo) / 2;

		if (mid <= lo || mid >= hi)
			break;
		if (f(a, b, mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

/* x with I_x(a,b) = p. */
double rates_beta_quantile(double a, double b, double p)
{
	return rates_invert(rates_beta_inc, a, b, p, 0, 1);
}

/* P(a,x) by its power series, for x < a + 1. */
static double rates_gamma_series(double a, double x)
{
	double term = 1 / a, sum = term;

	for (int n = 1; n <= RATES_ITER; n++) {
		term *= x / (a + n);
		sum += term;
		if (fabs(term) < fabs(sum) * RATES_EPS)
			break;
	}
	return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a,x) = 1 - P(a,x) by its continued fraction (Legendre's), for x >= a + 1. */
static double rates_gamma_cf(double a, double x)
{
	double b = x + 1 - a, c = 1 / RATES_TINY, d = 1 / b, h = d;

	for (int i = 1; i <= RATES_ITER; i++) {
		double num = -i * (i - a), step;

		b += 2;
		d = 1 / rates_nonzero(num * d + b);
		c = rates_nonzero(b + num / c);
		step = d * c;
		h *= step;
		if (fabs(step - 1) < RATES_EPS)
			break;
	}
	return exp(-x + a * log(x) - lgamma(a)) * h;
}

/* The regularized lower incomplete gamma function P(a,x), for a > 0. */
double rates_gamma_inc(double a, double x)
{
	if (x <= 0)
		return 0;
	if (x < a + 1)
		return rates_gamma_series(a, x);
	return 1 - rates_gamma_cf(a, x);
}

static double rates_gamma_inc2(double a, double unused, double x)
{
	(void)unused;
	return rates_gamma_inc(a, x);
}

/* x with P(a,x) = p: the p quantile of a gamma distribution of shape a and scale 1. */
double rates_gamma_quantile(double a, double p)
{
	double hi = a + 10 * sqrt(a) + 10;

	while (rates_gamma_inc(a, hi) < p)
		hi *= 2;
	return rates_invert(rates_gamma_inc2, a, 0, p, 0, hi);
}

/*
 * Clopper-Pearson: the failure probabilities under which k or more, resp.
 * k or fewer, failures of n have probability (1 - level) / 2. The binomial
 * tail P(X >= k) is I_p(k, n-k+1), so each bound is a beta quantile.
 */
void rates_binom_ci(unsigned int k, unsigned int n, double level, double *lo, double *hi)
{
	double tail = (1 - level) / 2;

	*lo = 0;
	*hi = 1;
	if (!n || k > n)
		return;
	if (k)
		*lo = rates_beta_quantile(k, n - k + 1, tail);
	if (k < n)
		*hi = rates_beta_quantile(k + 1, n - k, 1 - tail);
}

/*
 * The exact (Garwood) interval of a Poisson mean from k events: P(X >= k)
 * under a mean m is P(k, m), so the bounds are gamma quantiles, i.e. half
 * the chi-square quantiles with 2k and 2k+2 degrees of freedom. Divide by
 * the exposure for a rate.
 */
void rates_poisson_ci(unsigned int k, double level, double *lo, double *hi)
{
	double tail = (1 - level) / 2;

	*lo = k ? rates_gamma_quantile(k, tail) : 0;
	*hi = rates_gamma_quantile(k + 1.0, 1 - tail);
}

static double rates_lchoose(unsigned int n, unsigned int k)
{
	return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

/*
 * With the margins fixed, the first set's failures x are hypergeometric.
 * The two-sided p sums every table no more likely than the observed one;
 * small x means the second set took more of the failures.
 */
void rates_fisher(unsigned int k1, unsigned int n1, unsigned int k2, unsigned int n2,
		  struct rates_fisher *f)
{
	unsigned int k = k1 + k2, n = n1 + n2;
	unsigned int lo = k > n2 ? k - n2 : 0, hi = MIN(k, n1);
	double lden = rates_lchoose(n, n1), pobs;

	f->two_sided = f->second_more = f->second_fewer = 1;
	if (k1 > n1 || k2 > n2)
		return;
	f->two_sided = f->second_more = f->second_fewer = 0;
	pobs = exp(rates_lchoose(k, k1) + rates_lchoose(n - k, n1 - k1) - lden);
	for (unsigned int x = lo; x <= hi; x++) {
		double p = exp(rates_lchoose(k, x) + rates_lchoose(n - k, n1 - x) - lden);

		if (p <= pobs * RATES_REL_TOL)
			f->two_sided += p;
		if (x <= k1)
			f->second_more += p;
		if (x >= k1)
			f->second_fewer += p;
	}
	f->two_sided = MIN(f->two_sided, 1.0);
	f->second_more = MIN(f->second_more, 1.0);
	f->second_fewer = MIN(f->second_fewer, 1.0);
}
