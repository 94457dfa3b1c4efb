/* compare.c - migrace compare: runs side by side; per metric n, median, 95% CI, change, significance. */
#include "config.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "compare.h"
#include "html.h"
#include "known.h"
#include "stats.h"
#include "util.h"

/* One metric of one scenario: its values in every repetition of every run. */
struct cmp_series {
	char scn[32];
	char name[192];
	char unit[16];
	double v[RUNS_MAX][RUNS_MAX_REPS];
	int n[RUNS_MAX];
};

struct cmp_set {
	struct cmp_series *s;
	int ns, cap;
	int run;		/* the run being collected */
	const char *scn;	/* and its scenario */
};

/*
 * Which way is worse, by metric name; the first matching pattern wins.
 * Metrics matching none (event counters such as numa_hint_faults) are
 * reported as "changed", never as a regression.
 */
static const struct {
	const char *pattern;
	int better;		/* +1 higher is better, -1 lower is better */
} cmp_directions[] = {
	{ "*per_s*", 1 }, { "*mbps", 1 }, { "*gbps", 1 }, { "*throughput*", 1 },
	{ "*bandwidth*", 1 }, { "*success*", 1 },
	{ "*violation*", -1 }, { "*corrupt*", -1 }, { "*stale*", -1 }, { "*fail*", -1 },
	{ "*misplaced*", -1 }, { "*latency*", -1 }, { "*elapsed*", -1 }, { "*convergence*", -1 },
	{ "*_ns", -1 }, { "*_us", -1 }, { "*_ms", -1 }, { "*_s", -1 },
	{ "*.p[0-9]*", -1 }, { "*.max", -1 },
};

static int cmp_better(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmp_directions); i++)
		if (!fnmatch(cmp_directions[i].pattern, name, 0))
			return cmp_directions[i].better;
	return 0;
}

static void cmp_collect_value(const struct run_value *val, void *arg)
{
	struct cmp_set *set = arg;
	struct cmp_series *s = NULL;

	for (int i = set->ns - 1; i >= 0 && !s; i--)
		if (!strcmp(set->s[i].name, val->name) && !strcmp(set->s[i].scn, set->scn))
			s = &set->s[i];
	if (!s) {
		if (set->ns == set->cap) {
			set->cap = set->cap ? 2 * set->cap : 64;
			set->s = realloc(set->s, set->cap * sizeof(*set->s));
			if (!set->s)
				abort();
		}
		s = &set->s[set->ns++];
		memset(s, 0, sizeof(*s));
		snprintf(s->scn, sizeof(s->scn), "%s", set->scn);
		snprintf(s->name, sizeof(s->name), "%s", val->name);
		snprintf(s->unit, sizeof(s->unit), "%s", val->unit ? val->unit : "");
	}
	if (s->n[set->run] < RUNS_MAX_REPS)
		s->v[set->run][s->n[set->run]++] = val->v;
}

static void cmp_collect(const struct run *runs, int nruns, struct cmp_set *set)
{
	for (int k = 0; k < runs[0].nscn; k++) {
		set->scn = runs[0].scn[k].name;
		for (set->run = 0; set->run < nruns; set->run++) {
			const struct run_scn *rs = runs_scenario(&runs[set->run], set->scn);

			for (int j = 0; rs && j < rs->nreps; j++) {
				json_object *m = NULL;

				json_object_object_get_ex(rs->reps[j], "metrics", &m);
				runs_flatten(m, cmp_collect_value, set);
			}
		}
	}
}

static bool cmp_constant(const struct cmp_series *s, int nruns)
{
	int have = 0;
	double first = 0;

	for (int r = 0; r < nruns; r++)
		for (int j = 0; j < s->n[r]; j++) {
			if (have++ && s->v[r][j] != first)
				return false;
			first = s->v[r][j];
		}
	return true;
}

/* A table of text cells rendered as aligned text, Markdown or HTML. */
struct tab {
	int ncols, n, cap;
	char **cell;
};

static void tab_add(struct tab *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tab_add(struct tab *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cell = realloc(t->cell, t->cap * sizeof(*t->cell));
		if (!t->cell)
			abort();
	}
	t->cell[t->n++] = s;
}

static void tab_free(struct tab *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
}

static void tab_html(const struct tab *t, FILE *f)
{
	fputs("<table>\n", f);
	for (int i = 0; i < t->n; i++) {
		const char *c = t->cell[i], *tag = i < t->ncols ? "th" : "td";
		const char *cls = !strncmp(c, "worse", 5) || !strncmp(c, "REGRESSION", 10) ? " class=\"bad\"" :
				  !strncmp(c, "better", 6) ? " class=\"good\"" : "";

		if (i % t->ncols == 0)
			fputs("<tr>", f);
		fprintf(f, "<%s%s>", tag, cls);
		html_puts(c, f);
		fprintf(f, "</%s>", tag);
		if (i % t->ncols == t->ncols - 1)
			fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void tab_print(struct tab *t, enum report_format fmt, FILE *f)
{
	int w[16] = { 0 };

	if (fmt == FMT_HTML) {
		tab_html(t, f);
	} else {
		for (int i = 0; i < t->n; i++)
			w[i % t->ncols] = MAX(w[i % t->ncols], (int)strlen(t->cell[i]));
		for (int i = 0; i < t->n; i++) {
			int c = i % t->ncols;

			if (fmt == FMT_MARKDOWN) {
				fputs(c ? " | " : "| ", f);
				for (const char *p = t->cell[i]; *p; p++)
					fprintf(f, *p == '|' ? "\\|" : "%c", *p);
			} else {
				fprintf(f, "%s%-*s", c ? "  " : "", c == t->ncols - 1 ? 0 : w[c], t->cell[i]);
			}
			if (c == t->ncols - 1)
				fputs(fmt == FMT_MARKDOWN ? " |\n" : "\n", f);
			if (i == t->ncols - 1 && fmt == FMT_MARKDOWN)
				for (int k = 0; k < t->ncols; k++)
					fputs(k == t->ncols - 1 ? "|---|\n" : "|---", f);
		}
	}
	if (fmt == FMT_MARKDOWN)
		fputc('\n', f);
	tab_free(t);
}

/* Figures as people read them: integers for large values, three digits for small ones. */
static const char *cmp_num(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (fabs(v) >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

static void cmp_outliers(const double *x, int n, char *buf, size_t len)
{
	bool out[RUNS_MAX_REPS];
	size_t k = stats_outliers(x, n, out), used;
	char num[32];

	used = snprintf(buf, len, "%zu", k);
	for (int i = 0, j = 0; i < n && used < len; i++)
		if (out[i])
			used += snprintf(buf + used, len - used, "%s%s", j++ ? ", " : ": ",
					 cmp_num(x[i], num, sizeof(num)));
}

struct cmp_tally {
	int worse, better, changed, same, few, regressions;
};

/* The verdict of run r against run 0 for one metric; counts it in the tally. */
static const char *cmp_verdict(const struct cmp_series *s, int r, double rel, double threshold,
			       double *p, struct cmp_tally *t)
{
	enum stats_verdict v = stats_compare(s->v[0], s->n[0], s->v[r], s->n[r], p);
	double up = stats_median(s->v[r], s->n[r]) - stats_median(s->v[0], s->n[0]);
	int better = cmp_better(s->name);

	if (v == STATS_FEW) {
		t->few++;
		return "few reps";
	}
	if (v == STATS_SAME) {
		t->same++;
		return "same";
	}
	if (!better) {
		t->changed++;
		return "changed";
	}
	if ((up > 0) == (better > 0)) {
		t->better++;
		return "better";
	}
	t->worse++;
	if (threshold >= 0 && (isnan(rel) || fabs(rel) > threshold)) {
		t->regressions++;
		return "REGRESSION";
	}
	return "worse";
}

/* "median [lo, hi]" of run r's values: the 95 % bootstrap interval of the median. */
static void cmp_median_ci(const struct cmp_series *s, int r, double *m, char *lo, char *hi, size_t len)
{
	double l = NAN, h = NAN;

	*m = s->n[r] ? stats_median(s->v[r], s->n[r]) : NAN;
	if (s->n[r])
		stats_median_ci(s->v[r], s->n[r], 0.95, 1 + r, &l, &h);
	cmp_num(l, lo, len);
	cmp_num(h, hi, len);
}

/* The rows of one metric, a row per run; returns whether any run differs significantly from A. */
static bool cmp_series_rows(struct tab *t, const struct cmp_series *s, int nruns,
			    double threshold, struct cmp_tally *tally)
{
	char med[32], lo[32], hi[32], outl[128];
	bool differs = false;

	for (int r = 0; r < nruns; r++) {
		double m, p = NAN, m0 = s->n[0] ? stats_median(s->v[0], s->n[0]) : NAN, rel;
		const char *verdict = "baseline";

		cmp_median_ci(s, r, &m, lo, hi, sizeof(lo));
		rel = m0 != 0 ? 100 * (m - m0) / fabs(m0) : NAN;
		cmp_outliers(s->v[r], s->n[r], outl, sizeof(outl));
		if (r && s->n[r] && s->n[0])
			verdict = cmp_verdict(s, r, rel, threshold, &p, &tally[r]);
		else if (r)
			verdict = "missing";
		tab_add(t, "%s", r ? "" : s->name);
		tab_add(t, "%s", r ? "" : s->unit);
		tab_add(t, "%c", 'A' + r);
		tab_add(t, "%d", s->n[r]);
		tab_add(t, "%s", cmp_num(m, med, sizeof(med)));
		tab_add(t, "[%s, %s]", lo, hi);
		tab_add(t, "%s", outl);
		if (!r)
			tab_add(t, "-");
		else if (isnan(rel))
			tab_add(t, "%s", m == m0 ? "0%" : "n/a");
		else
			tab_add(t, "%+.1f%%", rel);
		if (isnan(p))
			tab_add(t, "-");
		else
			tab_add(t, "%.3g", p);
		tab_add(t, "%s", verdict);
		differs |= r && strcmp(verdict, "same") && strcmp(verdict, "few reps") &&
			   strcmp(verdict, "missing");
	}
	return differs;
}

static void cmp_heading(enum report_format fmt, int level, const char *text, FILE *f)
{
	if (fmt == FMT_HTML) {
		fprintf(f, "<h%d>", level);
		html_puts(text, f);
		fprintf(f, "</h%d>\n", level);
	} else if (fmt == FMT_MARKDOWN) {
		fprintf(f, "\n%.*s %s\n\n", level, "####", text);
	} else {
		fprintf(f, "\n%s\n", text);
	}
}

static void cmp_para(enum report_format fmt, const char *text, FILE *f)
{
	if (fmt == FMT_HTML) {
		fputs("<p>", f);
		html_puts(text, f);
		fputs("</p>\n", f);
	} else {
		fprintf(f, "%s\n%s", text, fmt == FMT_MARKDOWN ? "\n" : "");
	}
}

static void cmp_runs_table(const struct run *runs, int nruns, enum report_format fmt, FILE *f)
{
	struct tab t = { .ncols = 8 };
	static const char *const head[] = { "run", "kernel", "timings", "status", "scenarios",
					    "skipped/failed reps", "known issues of failed reps",
					    "directory" };
	static json_object *reps[RUNS_MAX_SCN * RUNS_MAX_REPS];

	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		tab_add(&t, "%s", head[i]);
	for (int r = 0; r < nruns; r++) {
		int sk = 0, fl = 0, n = 0;
		char known[512];

		for (int k = 0; k < runs[r].nscn; k++) {
			sk += runs[r].scn[k].skipped;
			fl += runs[r].scn[k].failed;
			for (int j = 0; j < runs[r].scn[k].nreps; j++)
				reps[n++] = runs[r].scn[k].reps[j];
		}
		/* Which kernel bug each failure was (kernels/known-issues), or new. */
		known_tally(reps, n, known, sizeof(known));
		tab_add(&t, "%c", 'A' + r);
		tab_add(&t, "%s", runs[r].label);
		tab_add(&t, "%s", runs_prov_str(&runs[r], "timings"));
		tab_add(&t, "%s", runs[r].status);
		tab_add(&t, "%d", runs[r].nscn);
		tab_add(&t, "%d/%d", sk, fl);
		tab_add(&t, "%s", known[0] ? known : "-");
		tab_add(&t, "%s", runs[r].dir);
	}
	tab_print(&t, fmt, f);
}

static const char cmp_method[] =
	"Method: each repetition gives one value per metric (histograms give their p50, p90, p99 "
	"and max). median = median of the repetitions; 95% CI = percentile bootstrap of the median "
	"(2000 resamples, fixed seed); outliers = values beyond 1.5 IQR from the quartiles "
	"(Tukey), listed and kept in every figure; change = median against run A's; p = two-sided "
	"Mann-Whitney U test against run A (exact up to 60 values, normal approximation above). "
	"A metric is 'better' or 'worse' when p <= 0.05: on identical kernels each metric is "
	"flagged with probability at most 5% (tests/unit-stats: A/A trials), so among k metrics "
	"about k/20 flags are expected by chance. 'few reps': fewer than 4 repetitions in a run "
	"cannot reach p <= 0.05. Which direction is worse comes from the metric's name "
	"(latencies, durations, failures, violations: up is worse; throughput, successes: down is "
	"worse; other counters: 'changed' only).";

static void cmp_constants(const struct cmp_set *set, const char *scn, int nruns,
			  enum report_format fmt, FILE *f)
{
	char *line = NULL, num[32];
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	int k = 0;

	for (int i = 0; i < set->ns; i++) {
		const struct cmp_series *s = &set->s[i];

		if (strcmp(s->scn, scn) || !cmp_constant(s, nruns))
			continue;
		fprintf(m, "%s%s = %s", k++ ? ", " : "Identical in every repetition of every run: ",
			s->name, cmp_num(s->v[0][0], num, sizeof(num)));
	}
	fclose(m);
	if (k && fmt == FMT_HTML)
		fprintf(f, "<details><summary>%d metrics identical in every repetition of every run</summary>\n", k);
	if (k)
		cmp_para(fmt, line, f);
	if (k && fmt == FMT_HTML)
		fputs("</details>\n", f);
	free(line);
}

static void cmp_summary(const struct run *runs, int nruns, const struct cmp_tally *tally,
			double threshold, enum report_format fmt, FILE *f)
{
	char line[512];

	for (int r = 1; r < nruns; r++) {
		int n = snprintf(line, sizeof(line),
				 "%c (%s) against A (%s): %d worse, %d better, %d changed, %d same, %d with too few repetitions",
				 'A' + r, runs[r].label, runs[0].label, tally[r].worse, tally[r].better,
				 tally[r].changed, tally[r].same, tally[r].few);
		if (threshold >= 0)
			snprintf(line + n, sizeof(line) - n, "; %d worse by more than %g%%",
				 tally[r].regressions, threshold);
		cmp_para(fmt, line, f);
	}
}

/* The comparison of every metric of every scenario; returns how many regressed beyond threshold. */
int compare_write(const struct run *runs, int nruns, enum report_format fmt, double threshold,
		  FILE *f)
{
	static const char *const head[] = { "metric", "unit", "run", "n", "median", "95% CI",
					     "outliers", "change", "p", "verdict" };
	struct cmp_set set = { 0 };
	struct cmp_tally tally[RUNS_MAX] = { 0 };
	int regressions = 0;

	cmp_collect(runs, nruns, &set);
	cmp_runs_table(runs, nruns, fmt, f);
	for (int k = 0; k < runs[0].nscn; k++) {
		const char *scn = runs[0].scn[k].name;
		struct tab t = { .ncols = ARRAY_SIZE(head) }, sig = { .ncols = ARRAY_SIZE(head) };
		struct cmp_tally again[RUNS_MAX] = { 0 };
		int rows = 0, sigrows = 0;

		cmp_heading(fmt, 3, scn, f);
		for (size_t i = 0; i < ARRAY_SIZE(head); i++) {
			tab_add(&t, "%s", head[i]);
			tab_add(&sig, "%s", head[i]);
		}
		for (int i = 0; i < set.ns; i++) {
			if (strcmp(set.s[i].scn, scn) || cmp_constant(&set.s[i], nruns))
				continue;
			rows++;
			/* HTML: what differs first, every metric below it */
			if (cmp_series_rows(&t, &set.s[i], nruns, threshold, tally) && fmt == FMT_HTML) {
				cmp_series_rows(&sig, &set.s[i], nruns, threshold, again);
				sigrows++;
			}
		}
		if (fmt == FMT_HTML && nruns > 1)
			fprintf(f, "<p>%d of %d metrics differ significantly from run A:</p>\n", sigrows, rows);
		if (sigrows)
			tab_print(&sig, fmt, f);
		else
			tab_free(&sig);
		if (fmt == FMT_HTML && rows)
			fprintf(f, "<details><summary>every metric (%d)</summary>\n", rows);
		if (rows)
			tab_print(&t, fmt, f);
		else
			tab_free(&t);
		if (fmt == FMT_HTML && rows)
			fputs("</details>\n", f);
		cmp_constants(&set, scn, nruns, fmt, f);
	}
	cmp_heading(fmt, 3, "Summary", f);
	cmp_summary(runs, nruns, tally, threshold, fmt, f);
	cmp_para(fmt, cmp_method, f);
	for (int r = 1; r < nruns; r++)
		regressions += tally[r].regressions;
	free(set.s);
	return regressions;
}

/* One metric of run r against A for the report's head: a row if the change is significant and beyond threshold. */
static bool cmp_change_row(struct tab *t, const struct cmp_series *s, int r, double threshold, bool worse)
{
	struct cmp_tally tally = { 0 };
	char m0s[32], ms[32], lo0[32], hi0[32], lo[32], hi[32];
	double m0, m, p = NAN, rel;
	const char *verdict;

	if (!s->n[0] || !s->n[r])
		return false;
	cmp_median_ci(s, 0, &m0, lo0, hi0, sizeof(lo0));
	cmp_median_ci(s, r, &m, lo, hi, sizeof(lo));
	rel = m0 != 0 ? 100 * (m - m0) / fabs(m0) : NAN;
	verdict = cmp_verdict(s, r, rel, threshold, &p, &tally);
	/* counters without a direction ("changed") stay in the comparison below */
	if (!tally.worse == worse || (!tally.worse && !tally.better) ||
	    (!isnan(rel) && fabs(rel) <= threshold))
		return false;
	tab_add(t, "%s", s->scn);
	tab_add(t, "%s%s%s%s", s->name, s->unit[0] ? " (" : "", s->unit, s->unit[0] ? ")" : "");
	tab_add(t, "%c", 'A' + r);
	tab_add(t, "%s [%s, %s]", cmp_num(m0, m0s, sizeof(m0s)), lo0, hi0);
	tab_add(t, "%s [%s, %s]", cmp_num(m, ms, sizeof(ms)), lo, hi);
	if (isnan(rel))
		tab_add(t, "n/a");
	else
		tab_add(t, "%+.1f%%", rel);
	tab_add(t, "%.3g", p);
	tab_add(t, "%s", verdict);
	return true;
}

/*
 * The report's answer after the verdicts: every metric that got
 * significantly (p <= 0.05) worse or better against run A by more than
 * threshold percent, what got worse first, as an HTML table; counts them
 * per run in nworse and nbetter. Returns how many rows.
 */
int compare_changes(const struct run *runs, int nruns, double threshold, int *nworse, int *nbetter,
		    FILE *f)
{
	static const char *const head[] = { "scenario", "metric", "run", "A: median [95% CI]",
					     "median [95% CI]", "change", "p", "verdict" };
	struct tab t = { .ncols = ARRAY_SIZE(head) };
	struct cmp_set set = { 0 };
	int rows = 0;

	cmp_collect(runs, nruns, &set);
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		tab_add(&t, "%s", head[i]);
	for (int worse = 1; worse >= 0; worse--)
		for (int i = 0; i < set.ns; i++)
			for (int r = 1; r < nruns && !cmp_constant(&set.s[i], nruns); r++)
				if (cmp_change_row(&t, &set.s[i], r, threshold, worse)) {
					rows++;
					(worse ? nworse : nbetter)[r]++;
				}
	if (rows)
		tab_print(&t, FMT_HTML, f);
	else
		tab_free(&t);
	free(set.s);
	return rows;
}

static const char *cmp_format_str, *cmp_threshold_str;

static const struct opt cmp_opts[] = {
	{ "format", OPT_STR, &cmp_format_str, "text", "text, markdown or html" },
	{ "threshold", OPT_STR, &cmp_threshold_str, NULL,
	  "exit 1 if any metric got significantly worse by more than PCT percent" },
	{ NULL }
};

int cmd_compare(int argc, char **argv)
{
	struct run *runs = calloc(RUNS_MAX, sizeof(*runs));
	char *dirs[RUNS_MAX + 1];
	double threshold = -1;
	enum report_format fmt = FMT_TEXT;
	int n, bad;

	n = report_args(cmp_opts, argc, argv, "migrace compare [options] RUN_A RUN_B [RUN_C...]\n\n"
			"Compares run directories of runners/run metric by metric against RUN_A.\n"
			"Exit status: 0 no regression beyond --threshold (or none given), 1 one or more, 2 bad input.",
			dirs);
	if (n < 2)
		usage_error("compare: needs at least two run directories (got %d)", n);
	if (!strcmp(cmp_format_str, "markdown"))
		fmt = FMT_MARKDOWN;
	else if (!strcmp(cmp_format_str, "html"))
		fmt = FMT_HTML;
	else if (strcmp(cmp_format_str, "text"))
		usage_error("--format: '%s' is not text, markdown or html", cmp_format_str);
	if (cmp_threshold_str)
		threshold = report_threshold(cmp_threshold_str);
	runs_load(runs, n, dirs);
	runs_check_same_scenarios(runs, n);
	bad = compare_write(runs, n, fmt, threshold, stdout);
	runs_free(runs, n);
	free(runs);
	return bad ? EXIT_FAIL : EXIT_PASS;
}
