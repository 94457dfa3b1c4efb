/* report.c - migrace report: one static HTML page for run directories: plots, tables, provenance, raw files. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "compare.h"
#include "export.h"
#include "html.h"
#include "known.h"
#include "rates_report.h"
#include "report.h"
#include "util.h"
#include "verdict.h"

#define REPORT_OPEN_PLOTS	8	/* up to this many plots in all, every scenario's are open */
#define REPORT_LARGE_PLOTS	4	/* a scenario with more plots shows them as thumbnails */

static void report_head(const struct run *runs, int nruns, FILE *f)
{
	char title[1024];
	bool incomplete = false;

	for (int i = 0; i < nruns; i++)
		incomplete |= !strcmp(runs[i].status, "incomplete");
	report_title(runs, nruns, title, sizeof(title));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>migrace report", f);
	fputs(incomplete ? " (incomplete): " : ": ", f);
	html_puts(title, f);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>migrace report%s</h1>\n"
		"<p class=\"title\">", report_css, incomplete ? " (incomplete)" : "");
	html_puts(title, f);
	fputs("</p>\n", f);
	for (int i = 0; i < nruns; i++)
		if (!strcmp(runs_prov_str(&runs[i], "timings"), "emulated")) {
			fputs("<p class=\"emulated\">Timings are emulated (QEMU TCG): they test the suite "
			      "and give ratios within a run, never hardware figures.</p>\n", f);
			break;
		}
}

static void report_contents(FILE *f)
{
	fputs("<p>Contents: <a href=\"#verdicts\">verdicts per scenario</a>, "
	      "<a href=\"#compare\">comparison</a>, <a href=\"#plots\">plots</a>, "
	      "<a href=\"#provenance\">provenance</a>, <a href=\"#raw\">raw results</a>.</p>\n", f);
}

/* before, base percent-encoded, then after: a link to one of a plot's files. */
static void report_file(const char *before, const char *base, const char *after, FILE *f)
{
	fputs(before, f);
	html_url(base, f);
	fputs(after, f);
}

static void report_figure(const struct export_plot *p, FILE *f)
{
	report_file("<figure><a href=\"", p->base, ".svg\"><img src=\"", f);
	report_file("", p->base, ".png\" alt=\"", f);
	html_puts(p->caption, f);
	fputs("\"></a><figcaption>", f);
	html_puts(p->caption, f);
	report_file(" (<a href=\"", p->base, ".svg\">SVG</a>, ", f);
	report_file("<a href=\"", p->base, ".dat\">data</a>)</figcaption></figure>\n", f);
}

/*
 * Plots by scenario, each under a heading that folds; a few plots are shown
 * large and open, a scenario with many as a grid of thumbnails, folded when
 * the report has many plots (each thumbnail links to its SVG).
 */
static void report_plots(const struct run *runs, int nruns, FILE *f)
{
	struct export_plot *plots;
	int n = export_plots(runs, nruns, NULL, &plots);

	fputs("<h2 id=\"plots\">Plots</h2>\n", f);
	if (!n)
		fputs("<p>No plottable metrics in these runs.</p>\n", f);
	for (int i = 0, j; i < n; i = j) {
		for (j = i; j < n && !strcmp(plots[j].scn, plots[i].scn); j++)
			;
		fprintf(f, "<details%s><summary>", n <= REPORT_OPEN_PLOTS ? " open" : "");
		html_puts(plots[i].scn, f);
		fprintf(f, " (%d plot%s)</summary>\n<div class=\"%s\">\n", j - i, j - i > 1 ? "s" : "",
			j - i > REPORT_LARGE_PLOTS ? "thumbs" : "figs");
		for (int k = i; k < j; k++)
			report_figure(&plots[k], f);
		fputs("</div>\n</details>\n", f);
	}
	free(plots);
}

static void report_verdicts(const struct run *runs, int nruns, FILE *f)
{
	fputs("<details id=\"verdicts\"><summary>Verdicts per scenario</summary>\n<table>\n<tr><th>run</th><th>scenario</th>"
	      "<th>measured (not skipped)</th><th>skipped</th><th>failed</th><th>first reason</th>"
	      "<th>kernel log lines that failed it</th><th>known issues of the failed</th></tr>\n", f);
	for (int r = 0; r < nruns; r++)
		for (int k = 0; k < runs[r].nscn; k++) {
			const struct run_scn *s = &runs[r].scn[k];
			const char *why = "", *klog = "";
			json_object *v;
			int hits = 0, fresh;
			char known[512];

			for (int j = 0; j < s->nreps; j++) {
				if (!why[0] && json_object_object_get_ex(s->reps[j], "reason", &v))
					why = json_object_get_string(v);
				if (json_object_object_get_ex(s->reps[j], "kernel_log", &v) &&
				    json_object_is_type(v, json_type_array) && json_object_array_length(v)) {
					json_object *line = json_object_array_get_idx(v, 0);

					if (!hits && json_object_is_type(line, json_type_string))
						klog = json_object_get_string(line);
					hits += json_object_array_length(v);
				}
			}
			fprintf(f, "<tr><td>%c</td><td>", 'A' + r);
			html_puts(s->name, f);
			fprintf(f, "</td><td>%d</td><td>%d</td><td%s>%d</td><td>", s->nreps, s->skipped,
				s->failed ? " class=\"bad\"" : "", s->failed);
			html_puts(why, f);
			fprintf(f, "</td><td%s>%d", hits ? " class=\"bad\"" : "", hits);
			if (hits) {
				fputs(": ", f);
				html_puts(klog, f);
			}
			/* kernels/known-issues: which kernel bug each failure was, or new */
			fresh = known_tally(s->reps, s->nreps, known, sizeof(known));
			fprintf(f, "</td><td%s>", fresh ? " class=\"bad\"" : "");
			html_puts(known, f);
			fputs("</td></tr>\n", f);
		}
	fputs("</table>\n</details>\n", f);
}

/* Provenance as key/value rows; nested objects by dotted key, arrays as compact JSON. */
static void report_prov_rows(json_object *o, const char *prefix, FILE *f)
{
	json_object_object_foreach(o, key, v) {
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (json_object_is_type(v, json_type_object)) {
			report_prov_rows(v, name, f);
			continue;
		}
		fputs("<tr><th>", f);
		html_puts(name, f);
		fputs("</th><td><code>", f);
		html_puts(v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE) : "null", f);
		fputs("</code></td></tr>\n", f);
	}
}

static void report_provenance(const struct run *runs, int nruns, FILE *f)
{
	fputs("<h2 id=\"provenance\">Provenance</h2>\n", f);
	for (int r = 0; r < nruns; r++) {
		fprintf(f, "<h3>%c: ", 'A' + r);
		html_puts(runs[r].label, f);
		fputs("</h3>\n<table>\n", f);
		if (runs[r].prov)
			report_prov_rows(runs[r].prov, "", f);
		fputs("</table>\n", f);
	}
}

static const char *report_out, *report_threshold_str;

static const struct opt report_opts[] = {
	{ "out", OPT_STR, &report_out, NULL, "directory to write index.html into (must exist)" },
	{ "threshold", OPT_STR, &report_threshold_str, "10",
	  "the head lists metrics significantly worse or better by more than PCT percent" },
	{ NULL }
};

int cmd_report(int argc, char **argv)
{
	struct run *runs = calloc(RUNS_MAX, sizeof(*runs));
	char *dirs[RUNS_MAX + 1], path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	double threshold;
	FILE *f;
	int n, err;

	n = report_args(report_opts, argc, argv, "migrace report [--threshold PCT] --out DIR RUN...\n\n"
			"Writes DIR/index.html: first a line per run (pass, fail, incomplete, with the\n"
			"known issues of its failures) and the metrics that changed beyond PCT percent,\n"
			"then the comparison against the first run, the plots by scenario (made by\n"
			"runners/publish from migrace export), provenance and links to runs/<A..>/.",
			dirs);
	/* Sets of runners/repeat are counts of failures, not repetitions to compare. */
	if (n > 0 && rates_is_set(dirs[0])) {
		free(runs);
		return rates_report(dirs, n, report_out);
	}
	report_load_out(runs, n, dirs, "report", report_out);
	threshold = report_threshold(report_threshold_str);	/* bad input before a file is opened */
	snprintf(path, sizeof(path), "%s/index.html", report_out);
	f = atomic_open(path, tmp, sizeof(tmp));
	if (!f)
		usage_error("report: cannot write %s: %s", path, strerror(errno));
	report_head(runs, n, f);
	verdict_write(runs, n, threshold, f);
	report_verdicts(runs, n, f);
	report_contents(f);
	fputs("<h2 id=\"compare\">Comparison</h2>\n", f);
	compare_write(runs, n, FMT_HTML, -1, f);
	report_plots(runs, n, f);
	report_provenance(runs, n, f);
	report_raw(runs, n, f);
	fputs("<p>Made by migrace " PACKAGE_VERSION " (runners/publish).</p>\n</body>\n</html>\n", f);
	err = atomic_close(f, tmp, path);
	if (err)
		usage_error("report: cannot write %s: %s", path, strerror(-err));
	runs_free(runs, n);
	free(runs);
	return EXIT_PASS;
}
