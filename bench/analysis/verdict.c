/* verdict.c - the head of a report: a line per run (pass, fail, incomplete; known issues named), then what changed beyond the threshold. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "html.h"
#include "known.h"
#include "rates.h"
#include "util.h"
#include "verdict.h"

#define VD_REASON_MAX	160	/* characters of a failure's reason on its run's line */

/* A string member of a result, "" when it has none. */
static const char *vd_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

/* "gup-race: 5 of 5 repetitions failed (95 % CI 48-100 %; known issue NAME: 5): REASON". */
static void vd_failed_scn(const struct run_scn *s, bool first, FILE *f)
{
	char known[512], buf[256];
	const char *why = "";
	double lo, hi;

	for (int j = 0; j < s->nreps && !why[0]; j++)
		if (!strcmp(vd_str(s->reps[j], "verdict"), "fail"))
			why = vd_str(s->reps[j], "reason");
	rates_binom_ci(s->failed, s->nreps, 0.95, &lo, &hi);
	known_tally(s->reps, s->nreps, known, sizeof(known));
	fputs(first ? "" : "; ", f);
	fputs("<b>", f);
	html_puts(s->name, f);
	snprintf(buf, sizeof(buf), "</b> %d of %d repetitions failed (95 %% CI %.0f-%.0f %%)",
		 s->failed, s->nreps, 100 * lo, 100 * hi);
	fputs(buf, f);
	if (known[0]) {
		fputs(", known issues: <span class=\"known\">", f);
		html_puts(known, f);
		fputs("</span>", f);
	}
	if (why[0]) {
		snprintf(buf, sizeof(buf), "%.*s%s", VD_REASON_MAX, why,
			 strlen(why) > VD_REASON_MAX ? "..." : "");
		fputs(": <q>", f);
		html_puts(buf, f);
		fputs("</q>", f);
	}
}

/* A member of the run's suite (provenance.json's suite: plan, reps), or NULL. */
static json_object *vd_suite(const struct run *r, const char *key)
{
	json_object *suite = NULL, *v = NULL;

	if (r->prov && json_object_object_get_ex(r->prov, "suite", &suite) && suite)
		json_object_object_get_ex(suite, key, &v);
	return v;
}

/* The first line of the machine's console that says why it died, if it is there. */
static void vd_console_why(const struct run *r, char *buf, size_t len)
{
	char path[PATH_MAX + 16], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/console.log", r->dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (!buf[0] && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strstr(line, "Kernel panic") || strstr(line, "BUG:") || strstr(line, "Oops:") ||
		    strstr(line, "migrace-vm: guest:"))
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

/* An incomplete run: what did complete and where it stopped, from its plan. */
static void vd_incomplete(const struct run *r, FILE *f)
{
	json_object *plan = vd_suite(r, "plan"), *reps = vd_suite(r, "reps");
	int want = reps ? json_object_get_int(reps) : 0, notrun = 0;
	const char *stopped = NULL;
	char why[512], buf[128];

	fputs(" <span class=\"incomplete\">Incomplete", f);
	for (size_t i = 0; plan && i < json_object_array_length(plan); i++) {
		const char *name = vd_str(json_object_array_get_idx(plan, i), "scenario");
		const struct run_scn *s = runs_scenario(r, name);
		int have = s ? s->nreps + s->skipped : 0;

		if (!name[0] || (want && have >= want) || (!want && have))
			continue;
		if (!stopped) {
			stopped = name;
			fputs(": stopped in <b>", f);
			html_puts(name, f);
			snprintf(buf, sizeof(buf), "</b> (%d of %d repetitions have results)", have, want);
			fputs(buf, f);
		} else {
			fputs(notrun++ ? ", " : "; not run: ", f);
			html_puts(name, f);
		}
	}
	vd_console_why(r, why, sizeof(why));
	if (why[0]) {
		fputs("; the machine's console: <q>", f);
		html_puts(why, f);
		fputs("</q>", f);
	}
	fputs(".</span>", f);
}

/* One run's line: its tag, kernel, what failed with its known issues, what passed, what changed. */
static void vd_run_line(const struct run *r, int idx, int worse, int better, double threshold, FILE *f)
{
	int failed = 0, reps = 0, skipped = 0, shown = 0;
	bool incomplete = !strcmp(r->status, "incomplete");

	for (int k = 0; k < r->nscn; k++) {
		failed += r->scn[k].failed;
		reps += r->scn[k].nreps;
		skipped += r->scn[k].skipped;
	}
	fprintf(f, "<li class=\"%s\" id=\"verdict-%c\"><span class=\"tag\">%s</span>",
		failed ? "fail" : incomplete ? "incomplete" : "pass", 'A' + idx,
		failed ? "FAIL" : incomplete ? "INCOMPLETE" : "PASS");
	fprintf(f, "<b>%c</b> ", 'A' + idx);
	html_puts(r->label, f);
	fputs(": ", f);
	for (int k = 0; k < r->nscn; k++)
		if (r->scn[k].failed)
			vd_failed_scn(&r->scn[k], !shown++, f);
	if (shown)
		fputs(". ", f);
	fprintf(f, "%d of %d measured repetitions passed in %d scenario%s", reps - failed, reps, r->nscn,
		r->nscn == 1 ? "" : "s");
	if (skipped)
		fprintf(f, ", %d skipped", skipped);
	fputs(".", f);
	if (idx)
		fprintf(f, " <a href=\"#changes\"%s>%d metric%s worse</a>, %d better than A's by more "
			"than %g %%.", worse ? " class=\"worse\"" : "", worse, worse == 1 ? "" : "s", better,
			threshold);
	if (incomplete)
		vd_incomplete(r, f);
	fputs("</li>\n", f);
}

/* The answer first: a line per run, then the metrics that changed beyond threshold percent. */
void verdict_write(const struct run *runs, int nruns, double threshold, FILE *f)
{
	int worse[RUNS_MAX] = { 0 }, better[RUNS_MAX] = { 0 }, rows = 0;
	char *table = NULL;
	size_t len = 0;
	FILE *t = open_memstream(&table, &len);

	/* the table first, aside: each run's line counts its rows */
	if (!t)
		abort();
	if (nruns > 1)
		rows = compare_changes(runs, nruns, threshold, worse, better, t);
	fclose(t);
	fputs("<section class=\"answer\" id=\"verdict\">\n<ul>\n", f);
	for (int r = 0; r < nruns; r++)
		vd_run_line(&runs[r], r, worse[r], better[r], threshold, f);
	fputs("</ul>\n", f);
	if (nruns > 1) {
		fprintf(f, "<h2 id=\"changes\">Worse or better than A by more than %g %% (p &lt;= 0.05)"
			"</h2>\n", threshold);
		fputs(table, f);
		if (!rows)
			fputs("<p>None.</p>\n", f);
	}
	fputs("</section>\n", f);
	free(table);
}
