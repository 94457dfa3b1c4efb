/* triage.h - migrace triage: names the known kernel issue of failed results. */
#ifndef MIGRACE_TRIAGE_H
#define MIGRACE_TRIAGE_H

int cmd_triage(int argc, char **argv);

#endif
