/* counters.h - PAPI hardware counters, perf software events and tracepoints, per measured phase. */
#ifndef MIGRACE_COUNTERS_H
#define MIGRACE_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "topo.h"

/*
 * The run: migrace.c configures the counters from --events and --count-scope,
 * starts them before the scenario (while migrace has one thread, so that every
 * thread and child started later inherits them), wraps the scenario in the
 * phase "run" and adds the "counters" object to the result.
 */
void counters_configure(const char *events, const char *scope);
void counters_start(const struct topo *t);
json_object *counters_stop(void);
void counters_print(FILE *f, json_object *counters, bool all_phases);

/*
 * Scenarios: a phase is a named interval of the whole process (all threads);
 * phases nest, and a name used again adds up (count says how often). Call
 * begin/end from one thread at a time. Without counters_start they do nothing.
 */
void counters_phase_begin(const char *name);
void counters_phase_end(const char *name);

/* A counter's total over a phase so far; -1 when it does not count here. */
long long counters_value(const char *phase, const char *counter);
/* NULL when the counter counts; else why not (also for a name never requested). */
const char *counters_why(const char *counter);

/*
 * Timestamped samples of one tracepoint ("sys:name"): every hit becomes a
 * record. time_ns is CLOCK_MONOTONIC, the clock of now_ns(). Follows the
 * migrace process and every thread or child started after the open (per-CPU
 * buffers, perf inherit), or every task with COUNTERS_SAMPLE_SYSTEM.
 * fields: names from the tracepoint's format (integers only), NULL-terminated,
 * or NULL for none; they need root (raw tracepoint data).
 */
#define COUNTERS_MAX_FIELDS 6

enum counters_sample_flags {
	COUNTERS_SAMPLE_SYSTEM = 1 << 0,
};

struct counters_rec {
	uint64_t time_ns;
	uint32_t cpu, pid, tid;
	int64_t field[COUNTERS_MAX_FIELDS];	/* in the order asked for */
};

struct counters_sampler;

struct counters_sampler *counters_sample_open(const char *tracepoint, const char *const *fields,
					      int flags, char *why, size_t len);
/* Drains up to max records, oldest first; call often enough that the buffers do not fill. */
int counters_sample_read(struct counters_sampler *s, struct counters_rec *recs, int max);
uint64_t counters_sample_lost(const struct counters_sampler *s);
void counters_sample_close(struct counters_sampler *s);

#endif
