/* lines.h - migrace lines: results as one "name result [measurement [units]]" line per test case. */
#ifndef MIGRACE_LINES_H
#define MIGRACE_LINES_H

int cmd_lines(int argc, char **argv);

#endif
