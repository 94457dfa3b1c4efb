/* tsc.h - cheap timestamps for tight loops: the TSC calibrated against CLOCK_MONOTONIC, or that clock. */
#ifndef MIGRACE_TSC_H
#define MIGRACE_TSC_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define TSC_HAVE_RDTSC 1
#endif

#include "util.h"

struct tsc {
	bool usable;		/* ticks are TSC cycles; else CLOCK_MONOTONIC ns */
	bool invariant;		/* CPUID: constant rate in every P- and C-state */
	double ns_per_tick;	/* 1.0 when ticks are CLOCK_MONOTONIC ns */
	double rate_ghz[2];	/* two calibration windows; they must agree */
	char why[128];		/* why the TSC is not used */
};

int tsc_init(struct tsc *t);
double tsc_ghz(const struct tsc *t);
json_object *tsc_to_json(const struct tsc *t);

/*
 * No fences: in a loop of reads, consecutive rdtsc differences bound each
 * iteration well enough, and a serialising rdtscp would cost more than the
 * accesses it times.
 */
static inline uint64_t tsc_ticks(const struct tsc *t)
{
#ifdef TSC_HAVE_RDTSC
	if (t->usable)
		return __rdtsc();
#endif
	(void)t;
	return now_ns();
}

static inline uint64_t tsc_to_ns(const struct tsc *t, uint64_t ticks)
{
	return (uint64_t)(ticks * t->ns_per_tick + 0.5);
}

static inline uint64_t tsc_from_ns(const struct tsc *t, uint64_t ns)
{
	return (uint64_t)(ns / t->ns_per_tick + 0.5);
}

#endif
