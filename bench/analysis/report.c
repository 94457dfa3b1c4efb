/* report.c - migrace report: one static HTML page for run directories: plots, tables, provenance, raw files. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "known.h"
#include "report.h"
#include "util.h"

#define REPORT_OPEN_PLOTS	8	/* up to this many plots in all, every scenario's are open */
#define REPORT_LARGE_PLOTS	4	/* a scenario with more plots shows them as thumbnails */

/* export and report: an existing, writable --out and runs of the same scenarios. */
void report_load_out(struct run *runs, int n, char **dirs, const char *cmd, const char *out)
{
	if (!out)
		usage_error("%s: --out DIR is required", cmd);
	if (n < 1)
		usage_error("%s: no run directory given", cmd);
	if (access(out, W_OK))
		usage_error("%s: --out %s: %s", cmd, out, strerror(errno));
	runs_load(runs, n, dirs);
	runs_check_same_scenarios(runs, n);
}

/* Options go to opt_parse, the rest are run directories; returns how many. */
int report_args(const struct opt *opts, int argc, char **argv, const char *usage, char **dirs)
{
	const struct opt *tabs[2] = { opts, NULL };
	char **o = calloc(argc + 1, sizeof(*o));
	int no = 0, nd = 0;

	if (!o)
		abort();
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "-", 1)) {
			const struct opt *x = opts;

			o[no++] = argv[i];
			while (x->name && strcmp(argv[i] + 2, x->name))
				x++;
			/* "--name VALUE": the value is not a run directory */
			if (x->name && x->type != OPT_BOOL && i + 1 < argc && !strchr(argv[i], '='))
				o[no++] = argv[++i];
		} else if (nd == RUNS_MAX) {
			usage_error("at most %d runs at once", RUNS_MAX);
		} else {
			dirs[nd++] = argv[i];
		}
	}
	opt_parse(tabs, no, o, usage);
	free(o);
	return nd;
}

/* --threshold PCT of compare and report: a percentage, else exit 2. */
double report_threshold(const char *str)
{
	char *end;
	double t = strtod(str, &end);

	if (end == str || *end || !(t >= 0) || t > 1e6)
		usage_error("--threshold: '%s' is not a percentage >= 0", str);
	return t;
}

/* Text from the machine (command lines, CPU names, labels) never becomes markup. */
void html_puts(const char *s, FILE *f)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Percent-encoding for a relative link built from a file name. */
static void html_url(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c))
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

/* "<machine>, <timings>: <kernel A> vs <kernel B>": what every plot title names. */
void report_title(const struct run *runs, int nruns, char *buf, size_t len)
{
	const struct run *r = &runs[0];
	json_object *topo = NULL, *nodes = NULL;
	const char *timings = runs_prov_str(r, "timings"), *cpu = runs_prov_str(r, "cpu_model");
	size_t used;

	if (r->prov)
		json_object_object_get_ex(r->prov, "topology", &topo);
	if (topo)
		json_object_object_get_ex(topo, "nodes", &nodes);
	used = snprintf(buf, len, "%s%d-node %s machine (%s), %s timings: ",
			!strcmp(timings, "emulated") ? "emulated " : "",
			nodes ? json_object_get_int(nodes) : 0,
			!strcmp(timings, "emulated") ? "QEMU TCG" : runs_prov_str(r, "hostname"),
			cpu[0] ? cpu : "unknown CPU", timings[0] ? timings : "unknown");
	for (int i = 0; i < nruns && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? " vs " : "", runs[i].label);
}

const char report_css[] =
	"body{font-family:sans-serif;max-width:1400px;margin:0 auto;padding:.3em 1em;color:#222;"
	"line-height:1.35}"
	"h1{font-size:1.35em;margin:.3em 0 .1em}h2{font-size:1.2em;margin:.8em 0 .3em}"
	"p.title{margin:.1em 0;color:#444}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:90%}"
	"th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#eee}td.bad{background:#fdd;font-weight:bold}td.good{background:#dfd}"
	".emulated{background:#fff3cd;border:1px solid #e0c36c;padding:.2em .5em;margin:.3em 0}"
	".answer{border:2px solid #777;border-radius:4px;padding:.2em .8em;margin:.5em 0}"
	".answer ul{list-style:none;padding:0;margin:.4em 0}.answer li{margin:.35em 0;font-size:1.05em}"
	".tag{display:inline-block;min-width:6.5em;text-align:center;font-weight:bold;color:#fff;"
	"border-radius:3px;padding:0 .4em;margin-right:.5em}"
	"li.pass .tag{background:#2e7d32}li.fail .tag{background:#c62828}"
	"li.incomplete .tag{background:#e65100}span.incomplete{color:#e65100;font-weight:bold}"
	".known{font-weight:bold}.answer a.worse{color:#c62828;font-weight:bold}"
	".answer td:first-child{white-space:nowrap}"
	"details{margin:.3em 0}summary{cursor:pointer;font-weight:bold;font-size:1.05em;padding:.2em 0}"
	".figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:.8em}"
	".thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:.6em}"
	"figure{margin:0}figure img{width:100%;height:auto;border:1px solid #ddd}"
	"figcaption{font-size:85%}"
	"code{background:#f4f4f4;word-break:break-all}";

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

static int report_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a run directory and of its subdirectories (monitors/), but not its own report/. */
static void report_list(const char *top, const char *sub, char ***names, size_t *n)
{
	char path[PATH_MAX], rel[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", top, sub[0] ? "/" : "", sub);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (!sub[0] && !strcmp(e->d_name, "report")))
			continue;
		snprintf(rel, sizeof(rel), "%.2000s%s%.255s", sub, sub[0] ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR) {
			if (!sub[0])
				report_list(top, rel, names, n);
			continue;
		}
		*names = realloc(*names, (*n + 1) * sizeof(**names));
		if (!*names)
			abort();
		(*names)[(*n)++] = strdup(rel);
	}
	closedir(d);
}

/* Links to every file of each run, as runners/publish copies them: runs/<letter>/<file>. */
void report_raw(const struct run *runs, int nruns, FILE *f)
{
	fputs("<h2 id=\"raw\">Raw results</h2>\n", f);
	for (int r = 0; r < nruns; r++) {
		char **names = NULL, dir[8];
		size_t n = 0;

		report_list(runs[r].dir, "", &names, &n);
		qsort(names, n, sizeof(*names), report_name_cmp);
		snprintf(dir, sizeof(dir), "runs/%c/", 'A' + r);
		fprintf(f, "<h3>%c: ", 'A' + r);
		html_puts(runs[r].label, f);
		fputs("</h3>\n<p>", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s<a href=\"%s", i ? ", " : "", dir);
			html_url(names[i], f);
			fputs("\">", f);
			html_puts(names[i], f);
			fputs("</a>", f);
			free(names[i]);
		}
		fputs("</p>\n", f);
		free(names);
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
	snprintf(path, sizeof(path), "%s/index.html", report_out);
	f = atomic_open(path, tmp, sizeof(tmp));
	if (!f)
		usage_error("report: cannot write %s: %s", path, strerror(errno));
	report_head(runs, n, f);
	verdict_write(runs, n, report_threshold(report_threshold_str), f);
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
