/* compare.h - migrace compare: runs side by side, as text, Markdown or HTML; the changes beyond a threshold. */
#ifndef MIGRACE_COMPARE_H
#define MIGRACE_COMPARE_H

#include <stdio.h>

#include "runs.h"

enum report_format { FMT_TEXT, FMT_MARKDOWN, FMT_HTML };

int cmd_compare(int argc, char **argv);
int compare_write(const struct run *runs, int nruns, enum report_format fmt, double threshold,
		  FILE *f);
int compare_changes(const struct run *runs, int nruns, double threshold, int *nworse, int *nbetter,
		    FILE *f);

#endif
