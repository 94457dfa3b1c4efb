/* html.h - what the HTML pages of report and rates share: escaping, links, style, raw files. */
#ifndef MIGRACE_HTML_H
#define MIGRACE_HTML_H

#include <stdio.h>

#include "runs.h"

void html_puts(const char *s, FILE *f);
void html_url(const char *s, FILE *f);
extern const char report_css[];
void report_raw(const struct run *runs, int nruns, FILE *f);

#endif
