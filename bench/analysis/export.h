/* export.h - plot data from run directories: what to plot, as data files and gnuplot variables. */
#ifndef MIGRACE_EXPORT_H
#define MIGRACE_EXPORT_H

#include "runs.h"

struct export_plot {
	char base[160];		/* file name without extension: <base>.dat, .gp, .png, .svg */
	char caption[512];
	char scn[32];		/* the scenario it belongs to: the report groups by it */
};

int cmd_export(int argc, char **argv);
int export_plots(const struct run *runs, int nruns, const char *dir, struct export_plot **plots);

#endif
