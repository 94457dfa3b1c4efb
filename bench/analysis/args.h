/* args.h - the command line compare, export, report and rates share, and the title naming the runs. */
#ifndef MIGRACE_ARGS_H
#define MIGRACE_ARGS_H

#include <stddef.h>

#include "opt.h"
#include "runs.h"

int report_args(const struct opt *opts, int argc, char **argv, const char *usage, char **dirs);
void report_load_out(struct run *runs, int n, char **dirs, const char *cmd, const char *out);
double report_threshold(const char *str);
void report_title(const struct run *runs, int nruns, char *buf, size_t len);

#endif
