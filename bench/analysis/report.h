/* report.h - migrace report: one static HTML page for run directories. */
#ifndef MIGRACE_REPORT_H
#define MIGRACE_REPORT_H

int cmd_report(int argc, char **argv);

#endif
