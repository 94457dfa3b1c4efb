/* rates_report.h - migrace rates: failure rates of runners/repeat's sets, and their report. */
#ifndef MIGRACE_RATES_REPORT_H
#define MIGRACE_RATES_REPORT_H

#include <stdbool.h>

int cmd_rates(int argc, char **argv);
bool rates_is_set(const char *dir);
int rates_report(char **dirs, int n, const char *out);

#endif
