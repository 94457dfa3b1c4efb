/* verdict.h - the head of a report: a line per run, then what changed beyond the threshold. */
#ifndef MIGRACE_VERDICT_H
#define MIGRACE_VERDICT_H

#include <stdio.h>

#include "runs.h"

void verdict_write(const struct run *runs, int nruns, double threshold, FILE *f);

#endif
