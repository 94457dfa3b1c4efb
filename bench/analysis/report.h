/* report.h - migrace's subcommands on run directories: compare, export (plot data), report (HTML). */
#ifndef MIGRACE_REPORT_H
#define MIGRACE_REPORT_H

#include <stdio.h>

#include "opt.h"
#include "runs.h"

enum report_format { FMT_TEXT, FMT_MARKDOWN, FMT_HTML };

int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Shared by the three. */
int report_args(const struct opt *opts, int argc, char **argv, const char *usage, char **dirs);
void report_load_out(struct run *runs, int n, char **dirs, const char *cmd, const char *out);
void html_puts(const char *s, FILE *f);
int compare_write(const struct run *runs, int nruns, enum report_format fmt, double threshold,
		  FILE *f);
double report_threshold(const char *str);
void verdict_write(const struct run *runs, int nruns, double threshold, FILE *f);
int compare_changes(const struct run *runs, int nruns, double threshold, int *nworse, int *nbetter,
		    FILE *f);
void report_title(const struct run *runs, int nruns, char *buf, size_t len);
extern const char report_css[];
void report_raw(const struct run *runs, int nruns, FILE *f);

/* bench/rates.c: failure rates of runners/repeat's sets, and their report. */
int cmd_rates(int argc, char **argv);
bool rates_is_set(const char *dir);
int rates_report(char **dirs, int n, const char *out);

#endif
