/* tsc.c - cheap timestamps for tight loops: the TSC calibrated against CLOCK_MONOTONIC, or that clock. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tsc.h"

#ifdef TSC_HAVE_RDTSC
#include <cpuid.h>
#endif

#define TSC_WINDOW_NS	25000000ull	/* one calibration window */
#define TSC_AGREE	0.005		/* the two windows' rates may differ this much */

#ifdef TSC_HAVE_RDTSC
static bool tsc_invariant(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) || eax < 0x80000007)
		return false;
	__cpuid(0x80000007, eax, ebx, ecx, edx);
	return edx & (1u << 8);
}

/* A (TSC, ns) pair read as close together as a few tries allow. */
static void tsc_pair(uint64_t *tick, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	*tick = *ns = 0;
	for (int i = 0; i < 8; i++) {
		uint64_t a = __rdtsc(), n = now_ns(), b = __rdtsc();

		if (b - a < best) {
			best = b - a;
			*tick = a + (b - a) / 2;
			*ns = n;
		}
	}
}

static double tsc_window(void)
{
	uint64_t t0, n0, t1, n1;
	struct timespec ts = { 0, TSC_WINDOW_NS };

	tsc_pair(&t0, &n0);
	nanosleep(&ts, NULL);
	tsc_pair(&t1, &n1);
	return n1 > n0 ? (double)(t1 - t0) / (n1 - n0) : 0;
}
#endif

/*
 * The TSC is used when two calibration windows agree on its rate: that holds
 * for an invariant TSC and for emulators that derive it from the host's, and
 * catches a TSC that stops or changes speed while we watch. CPUs without an
 * invariant TSC may still agree for 50 ms, so the flag is recorded as well.
 */
int tsc_init(struct tsc *t)
{
	memset(t, 0, sizeof(*t));
	t->ns_per_tick = 1.0;
#ifdef TSC_HAVE_RDTSC
	t->invariant = tsc_invariant();
	t->rate_ghz[0] = tsc_window();
	t->rate_ghz[1] = tsc_window();
	if (t->rate_ghz[0] <= 0 || t->rate_ghz[1] <= 0 ||
	    fabs(t->rate_ghz[0] - t->rate_ghz[1]) > TSC_AGREE * t->rate_ghz[0]) {
		snprintf(t->why, sizeof(t->why),
			 "TSC rate unstable: %.4f then %.4f GHz in two %llu ms windows",
			 t->rate_ghz[0], t->rate_ghz[1], TSC_WINDOW_NS / 1000000);
		return 0;
	}
	t->usable = true;
	t->ns_per_tick = 2.0 / (t->rate_ghz[0] + t->rate_ghz[1]);
#else
	snprintf(t->why, sizeof(t->why), "no TSC on this architecture");
#endif
	return 0;
}

double tsc_ghz(const struct tsc *t)
{
	return 1.0 / t->ns_per_tick;
}

json_object *tsc_to_json(const struct tsc *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "clock", json_object_new_string(t->usable ? "tsc" : "CLOCK_MONOTONIC"));
	json_object_object_add(o, "tsc_invariant", json_object_new_boolean(t->invariant));
	if (t->usable)
		json_object_object_add(o, "tsc_ghz", json_object_new_double(tsc_ghz(t)));
	else
		json_object_object_add(o, "tsc_unused_because", json_object_new_string(t->why));
	return o;
}
