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
	"body{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:90%}"
	"th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#eee}td.bad{background:#fdd;font-weight:bold}td.good{background:#dfd}"
	".emulated{background:#fff3cd;border:1px solid #e0c36c;padding:.5em}"
	"figure{display:inline-block;margin:.5em;vertical-align:top}"
	"figure img{max-width:560px;border:1px solid #ddd}figcaption{font-size:85%;max-width:560px}"
	"code{background:#f4f4f4;word-break:break-all}";

static void report_head(const struct run *runs, int nruns, FILE *f)
{
	char title[1024];

	report_title(runs, nruns, title, sizeof(title));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>migrace report: ", f);
	html_puts(title, f);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>migrace report</h1>\n<p>", report_css);
	html_puts(title, f);
	fputs("</p>\n", f);
	for (int i = 0; i < nruns; i++)
		if (!strcmp(runs_prov_str(&runs[i], "timings"), "emulated")) {
			fputs("<p class=\"emulated\">Timings are emulated (QEMU TCG): they test the suite "
			      "and give ratios within a run, never hardware figures.</p>\n", f);
			break;
		}
	fputs("<p>Contents: <a href=\"#plots\">plots</a>, <a href=\"#compare\">comparison</a>, "
	      "<a href=\"#verdicts\">verdicts</a>, <a href=\"#provenance\">provenance</a>, "
	      "<a href=\"#raw\">raw results</a>.</p>\n", f);
}

static void report_plots(const struct run *runs, int nruns, FILE *f)
{
	struct export_plot *plots;
	int n = export_plots(runs, nruns, NULL, &plots);

	fputs("<h2 id=\"plots\">Plots</h2>\n", f);
	if (!n)
		fputs("<p>No plottable metrics in these runs.</p>\n", f);
	for (int i = 0; i < n; i++) {
		fputs("<figure><a href=\"", f);
		html_url(plots[i].base, f);
		fputs(".svg\"><img src=\"", f);
		html_url(plots[i].base, f);
		fputs(".png\" alt=\"", f);
		html_puts(plots[i].caption, f);
		fputs("\"></a><figcaption>", f);
		html_puts(plots[i].caption, f);
		fputs(" (<a href=\"", f);
		html_url(plots[i].base, f);
		fputs(".svg\">SVG</a>, <a href=\"", f);
		html_url(plots[i].base, f);
		fputs(".dat\">data</a>)</figcaption></figure>\n", f);
	}
	free(plots);
}

static void report_verdicts(const struct run *runs, int nruns, FILE *f)
{
	fputs("<h2 id=\"verdicts\">Verdicts</h2>\n<table>\n<tr><th>run</th><th>scenario</th>"
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
					if (!hits)
						klog = json_object_get_string(json_object_array_get_idx(v, 0));
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
	fputs("</table>\n", f);
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

static const char *report_out;

static const struct opt report_opts[] = {
	{ "out", OPT_STR, &report_out, NULL, "directory to write index.html into (must exist)" },
	{ NULL }
};

int cmd_report(int argc, char **argv)
{
	struct run *runs = calloc(RUNS_MAX, sizeof(*runs));
	char *dirs[RUNS_MAX + 1], path[PATH_MAX + 16];
	FILE *f;
	int n;

	n = report_args(report_opts, argc, argv, "migrace report --out DIR RUN...\n\n"
			"Writes DIR/index.html: plots (made by runners/publish from migrace export),\n"
			"the comparison against the first run, verdicts, provenance and links to runs/<A..>/.",
			dirs);
	/* Sets of runners/repeat are counts of failures, not repetitions to compare. */
	if (n > 0 && rates_is_set(dirs[0])) {
		free(runs);
		return rates_report(dirs, n, report_out);
	}
	report_load_out(runs, n, dirs, "report", report_out);
	snprintf(path, sizeof(path), "%s/index.html", report_out);
	f = fopen(path, "we");
	if (!f)
		usage_error("report: cannot write %s: %s", path, strerror(errno));
	report_head(runs, n, f);
	report_plots(runs, n, f);
	fputs("<h2 id=\"compare\">Comparison</h2>\n", f);
	compare_write(runs, n, FMT_HTML, -1, f);
	report_verdicts(runs, n, f);
	report_provenance(runs, n, f);
	report_raw(runs, n, f);
	fputs("<p>Made by migrace " PACKAGE_VERSION " (runners/publish).</p>\n</body>\n</html>\n", f);
	if (fclose(f))
		usage_error("report: cannot write %s: %s", path, strerror(errno));
	runs_free(runs, n);
	free(runs);
	return EXIT_PASS;
}
