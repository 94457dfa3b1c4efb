/* html.c - what the HTML pages of report and rates share: escaping, links, style, the run directories' raw files. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

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
void html_url(const char *s, FILE *f)
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
