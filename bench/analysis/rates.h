/* rates.h - failure rates: exact binomial and Poisson intervals, Fisher's exact test on two sets. */
#ifndef MIGRACE_RATES_H
#define MIGRACE_RATES_H

double rates_beta_inc(double a, double b, double x);
double rates_beta_quantile(double a, double b, double p);
double rates_gamma_inc(double a, double x);
double rates_gamma_quantile(double a, double p);

void rates_binom_ci(unsigned int k, unsigned int n, double level, double *lo, double *hi);
void rates_poisson_ci(unsigned int k, double level, double *lo, double *hi);

/* Fisher's exact test of k1 failures in n1 runs against k2 in n2. */
struct rates_fisher {
	double two_sided;	/* tables no more likely than the observed one */
	double second_more;	/* one-sided: the second set fails more often */
	double second_fewer;	/* one-sided: the second set fails less often */
};

void rates_fisher(unsigned int k1, unsigned int n1, unsigned int k2, unsigned int n2,
		  struct rates_fisher *f);

#endif
