/* rates_report.c - migrace rates: failure rates of repeated runs (runners/repeat sets), per kernel, and their comparison. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "klog.h"
#include "known.h"
#include "opt.h"
#include "args.h"
#include "html.h"
#include "rates.h"
#include "rates_report.h"
#include "stats.h"
#include "util.h"

#define RATES_MAX_SETS	RUNS_MAX	/* report_args takes as many */
#define RATES_LEVEL	0.95

/* What became of one run; every class from RC_VIOLATION to RC_DEATH is a failure. */
enum rates_class {
	RC_PASS, RC_SKIP, RC_VIOLATION, RC_KLOG, RC_OTHER, RC_HANG, RC_DEATH, RC_INCOMPLETE, RC_NR
};

static const char *const rc_name[RC_NR] = {
	"pass", "skip", "fail:violation", "fail:kernel-log", "fail:other", "hang", "guest-death",
	"incomplete",
};

struct rates_run {
	int num;		/* NNN of run-NNN */
	enum rates_class cls;
	char detail[512];	/* the reason, first kernel-log line or console line */
	char known[128];	/* the known issue triage named, "new", or "" when not triaged */
	double race_s;		/* seconds of racing; < 0 unknown */
	double ttf_s;		/* time to first failure, or to the end of a run without; < 0 unknown */
	bool emulated;
};

struct rates_set {
	char dir[PATH_MAX];
	const char *name;	/* the set directory's own name */
	char kernel[PATH_MAX];	/* what runners/repeat booted (SETDIR/kernel) */
	struct rates_run *runs;
	int nruns;
	int count[RC_NR];
	int n, k;		/* runs counted (neither skipped nor incomplete), failures */
	int untimed;		/* counted runs without a racing time */
	double hours;
	double lo, hi;		/* 95 % interval of the failure probability */
	double exposure_s;	/* racing time up to each run's first failure, summed */
	int timed_k;		/* failures with a time */
	double km_median;	/* Kaplan-Meier median time to first failure; < 0 not reached */
	double ttf_max;		/* the longest time watched */
	double exp_median, exp_lo, exp_hi;	/* exponential fit's, with 95 % interval */
	double rate_lo, rate_hi;	/* and of failures per hour */
};

static bool rates_failed(enum rates_class c)
{
	return c >= RC_VIOLATION && c <= RC_DEATH;
}

static bool rates_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* "run-NNN": NNN, else 0. */
static int rates_run_num(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "run-", 4) || name[4] < '0' || name[4] > '9')
		return 0;
	n = strtol(name + 4, &end, 10);
	return *end || n < 1 || n > 1000000 ? 0 : (int)n;
}

/* A set directory of runners/repeat holds run-NNN/ directories. */
bool rates_is_set(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool yes = false;
	char path[PATH_MAX + 300];

	if (!d)
		return false;
	while (!yes && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		yes = rates_run_num(e->d_name) && rates_is_dir(path);
	}
	closedir(d);
	return yes;
}

static json_object *rates_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/*
 * The racing time: what the scenario measured (gup-race's race_s), else what
 * it was asked for (duration_s), else the --duration of the run's command,
 * one argument a line (a run that hung or died left no result).
 */
static double rates_race_s(const char *dir, json_object *res)
{
	json_object *m = rates_get(res, "metrics"), *v;
	char path[PATH_MAX + 16], *line = NULL;
	size_t cap = 0;
	bool next = false;
	double s = -1;
	FILE *f;

	v = rates_get(m, "race_s");
	if (v && json_object_get_double(v) > 0)
		return json_object_get_double(v);
	v = rates_get(m, "duration_s");
	if (v && json_object_get_double(v) > 0)
		return json_object_get_double(v);
	snprintf(path, sizeof(path), "%s/command", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (next)
			s = strtod(line, NULL);
		else if (!strncmp(line, "--duration=", 11))
			s = strtod(line + 11, NULL);
		next = !strcmp(line, "--duration");
	}
	free(line);
	fclose(f);
	return s > 0 ? s : -1;
}

/*
 * Seconds from the start to the first sign of failure (gup-race's
 * first_failure_s, which counts its baseline), or for a run without one the
 * whole run: the time it was watched.
 */
static double rates_ttf(json_object *res, double race_s)
{
	json_object *m = rates_get(res, "metrics");
	json_object *t = rates_get(m, "first_failure_s"), *b = rates_get(m, "baseline_s");

	if (t && json_object_get_double(t) >= 0)
		return json_object_get_double(t);
	return race_s > 0 ? race_s + (b ? json_object_get_double(b) : 0) : -1;
}

/*
 * The name migrace triage gave a failed result (known_issue.name, with
 * match full or partial), "new" when no entry matched, "" when not triaged.
 */
static void rates_known(json_object *res, char *buf, size_t len)
{
	json_object *k = rates_get(res, "known_issue");
	const char *name = json_object_get_string(rates_get(k, "name"));
	const char *how = json_object_get_string(rates_get(k, "match"));

	buf[0] = '\0';
	if (!k)
		return;
	if (json_object_is_type(k, json_type_string))
		name = json_object_get_string(k);
	if (!name || !name[0] || !strcmp(name, "none") || (how && !strcmp(how, "none")))
		snprintf(buf, len, "new");
	else
		snprintf(buf, len, "%s%s", name, how && !strcmp(how, "partial") ? " (partial)" : "");
}

/* What the catalogue names a console's failure: " (known issue: NAME)", or "". */
static const char *rates_console_known(json_object *res, char *buf, size_t len)
{
	struct known_set *set = calloc(1, sizeof(*set));
	struct known_match m = { 0 };
	char err[256];

	buf[0] = '\0';
	if (!set || known_load(set, known_default_dir(), err, sizeof(err))) {
		free(set);
		return buf;
	}
	if (known_match(set, res, &m) && m.issue)
		snprintf(buf, len, " (known issue: %s%s)", m.issue->name,
			 m.how == KNOWN_PARTIAL ? ", partly" : "");
	known_match_free(&m);
	known_free(set);
	free(set);
	return buf;
}

/*
 * A machine that died says why on its console: the first line migrace's
 * kernel-log patterns call bad. Its bad lines, its kernel's version and its
 * command line make a result of their own, which the known-issue catalogue
 * names as it names a result.
 */
static void rates_console_why(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX + 16], known[128], *line = NULL, *p;
	json_object *res = json_object_new_object(), *prov = json_object_new_object();
	json_object *log = json_object_new_array();
	size_t cap = 0;
	FILE *f;

	/* a reason of the kernel log: the catalogue then weighs the lines alone */
	json_object_object_add(res, "verdict", json_object_new_string("fail"));
	json_object_object_add(res, "reason", json_object_new_string("kernel log: the console"));
	json_object_object_add(res, "provenance", prov);
	json_object_object_add(res, "kernel_log", log);
	snprintf(path, sizeof(path), "%s/console.log", dir);
	f = fopen(path, "re");
	while (f && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((p = strstr(line, "Command line: ")))
			json_object_object_add(prov, "kernel_cmdline", json_object_new_string(p + 14));
		if ((p = strstr(line, "Linux version ")) && strchr(p + 14, ' ')) {
			p += 14;
			json_object_object_add(prov, "kernel_release",
					       json_object_new_string_len(p, strcspn(p, " ")));
			if (strstr(p, " #"))
				json_object_object_add(prov, "kernel_version",
						       json_object_new_string(strstr(p, " #") + 1));
		}
		if (!klog_is_bad(line) && !strstr(line, "Kernel panic"))
			continue;
		if (!json_object_array_length(log))
			snprintf(buf, len, "console: %s", line);
		json_object_array_add(log, json_object_new_string(line));
	}
	free(line);
	if (f)
		fclose(f);
	if (json_object_array_length(log))
		snprintf(buf + strlen(buf), len - strlen(buf), "%s",
			 rates_console_known(res, known, sizeof(known)));
	json_object_put(res);
}

/* A failed result: a violation first (data went wrong), else the kernel log, else its reason. */
static void rates_classify_result(json_object *res, struct rates_run *r)
{
	json_object *v = rates_get(rates_get(res, "metrics"), "violations");
	json_object *klog = rates_get(res, "kernel_log");
	const char *reason = json_object_get_string(rates_get(res, "reason"));
	const char *first = NULL;

	if (json_object_is_type(klog, json_type_array) && json_object_array_length(klog))
		first = json_object_get_string(json_object_array_get_idx(klog, 0));
	snprintf(r->detail, sizeof(r->detail), "%s", reason ? reason : "");
	/* migrace's watchdog: the kernel log then holds its own sysrq dumps too */
	if (rates_get(res, "hang")) {
		r->cls = RC_HANG;
	} else if (v && json_object_get_int64(v) > 0) {
		r->cls = RC_VIOLATION;
		if (first)
			snprintf(r->detail + strlen(r->detail), sizeof(r->detail) - strlen(r->detail),
				 "; kernel log: %s", first);
	} else if (first) {
		r->cls = RC_KLOG;
		snprintf(r->detail, sizeof(r->detail), "%s", first);
	} else {
		r->cls = RC_OTHER;
	}
}

/*
 * The files runners/repeat leaves in a run directory: machine-exit (runners/vm's
 * status, or timeout's on the host), exit (migrace's, written once it had
 * exited), result.json and console.log.
 */
static void rates_classify(const char *dir, struct rates_run *r)
{
	char path[PATH_MAX + 16];
	long long machine, status;
	json_object *res;
	const char *verdict;

	snprintf(path, sizeof(path), "%s/machine-exit", dir);
	machine = read_ll(path, -1);
	snprintf(path, sizeof(path), "%s/exit", dir);
	status = read_ll(path, -1);
	snprintf(path, sizeof(path), "%s/result.json", dir);
	res = access(path, F_OK) ? NULL : json_object_from_file(path);
	r->race_s = rates_race_s(dir, res);
	r->ttf_s = rates_ttf(res, r->race_s);
	r->emulated = json_object_get_boolean(rates_get(rates_get(res, "provenance"), "emulated"));
	rates_known(res, r->known, sizeof(r->known));
	verdict = json_object_get_string(rates_get(res, "verdict"));
	r->detail[0] = '\0';
	if (machine < 0) {
		r->cls = RC_INCOMPLETE;
		snprintf(r->detail, sizeof(r->detail), "no machine-exit: the repeat was interrupted");
	} else if (machine == 124) {
		r->cls = RC_HANG;
		snprintf(r->detail, sizeof(r->detail), "killed after its timeout%s",
			 status < 0 ? "" : ", after migrace had exited");
	} else if (machine == 125 || status < 0) {
		r->cls = RC_DEATH;
		snprintf(r->detail, sizeof(r->detail), "the machine ended (status %lld) %s", machine,
			 status < 0 ? "before migrace exited" : "after migrace exited");
		rates_console_why(dir, r->detail, sizeof(r->detail));
	} else if (verdict && !strcmp(verdict, "fail")) {
		rates_classify_result(res, r);
	} else if ((verdict && !strcmp(verdict, "skip")) || (!verdict && status == EXIT_SKIP)) {
		const char *why = json_object_get_string(rates_get(res, "reason"));

		r->cls = RC_SKIP;
		snprintf(r->detail, sizeof(r->detail), "%s",
			 !verdict ? "exit 3, no result" : why ? why : "");
	} else if (verdict && !strcmp(verdict, "pass") && status == EXIT_PASS) {
		r->cls = RC_PASS;
	} else {
		r->cls = RC_OTHER;
		snprintf(r->detail, sizeof(r->detail), "exit %lld, %s", status,
			 verdict ? "result says pass" : "no result");
	}
	json_object_put(res);
}

static int rates_run_cmp(const void *a, const void *b)
{
	return ((const struct rates_run *)a)->num - ((const struct rates_run *)b)->num;
}

static int rates_ttf_cmp(const void *a, const void *b)
{
	double x = ((const struct rates_run *)a)->ttf_s, y = ((const struct rates_run *)b)->ttf_s;

	return (x > y) - (x < y);
}

/*
 * Time to first failure, censored where a run ended without one: the
 * Kaplan-Meier median (the first time the surviving fraction falls to one
 * half, if it does), and the median of an exponential fit (ln 2 over the
 * failures per second of exposure) with the exact Poisson interval of the
 * failure count carried over. A failed run without a time counts as failing
 * at its end, which errs long.
 */
static void rates_ttf_estimate(struct rates_set *s)
{
	struct rates_run *r = malloc((s->nruns ?: 1) * sizeof(*r));
	double surv = 1, lo, hi;
	int n = 0, at_risk;

	if (!r)
		abort();
	for (int i = 0; i < s->nruns; i++)
		if (s->runs[i].cls != RC_SKIP && s->runs[i].cls != RC_INCOMPLETE && s->runs[i].ttf_s >= 0)
			r[n++] = s->runs[i];
	qsort(r, n, sizeof(*r), rates_ttf_cmp);
	s->km_median = -1;
	s->exposure_s = s->ttf_max = 0;
	s->timed_k = 0;
	at_risk = n;
	for (int i = 0; i < n; i++) {
		bool failed = rates_failed(r[i].cls);

		s->exposure_s += r[i].ttf_s;
		s->ttf_max = MAX(s->ttf_max, r[i].ttf_s);
		s->timed_k += failed;
		if (failed) {
			surv *= 1 - 1.0 / at_risk;
			if (surv <= 0.5 && s->km_median < 0)
				s->km_median = r[i].ttf_s;
		}
		at_risk--;
	}
	free(r);
	s->exp_median = s->exp_lo = s->exp_hi = -1;
	if (s->exposure_s <= 0)
		return;
	rates_poisson_ci(s->timed_k, RATES_LEVEL, &lo, &hi);
	if (s->timed_k)
		s->exp_median = M_LN2 * s->exposure_s / s->timed_k;
	s->exp_lo = M_LN2 * s->exposure_s / hi;
	if (lo > 0)
		s->exp_hi = M_LN2 * s->exposure_s / lo;
}

static void rates_intervals(struct rates_set *s)
{
	double lo, hi;

	rates_binom_ci(s->k, s->n, RATES_LEVEL, &s->lo, &s->hi);
	rates_poisson_ci(s->k, RATES_LEVEL, &lo, &hi);
	s->rate_lo = s->hours > 0 ? lo / s->hours : 0;
	s->rate_hi = s->hours > 0 ? hi / s->hours : 0;
}

static void rates_load(struct rates_set *s, const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	memset(s, 0, sizeof(*s));
	if (!realpath(dir, s->dir) || !rates_is_set(s->dir))
		usage_error("rates: %s: not a set of runners/repeat (no run-NNN/ directories)", dir);
	s->name = strrchr(s->dir, '/') ? strrchr(s->dir, '/') + 1 : s->dir;
	snprintf(path, sizeof(path), "%s/kernel", s->dir);
	if (read_text(path, s->kernel, sizeof(s->kernel)) < 0)
		s->kernel[0] = '\0';
	d = opendir(s->dir);
	while (d && (e = readdir(d))) {
		int num = rates_run_num(e->d_name);

		snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name);
		if (!num || !rates_is_dir(path))
			continue;
		s->runs = realloc(s->runs, (s->nruns + 1) * sizeof(*s->runs));
		if (!s->runs)
			abort();
		s->runs[s->nruns].num = num;
		rates_classify(path, &s->runs[s->nruns]);
		s->nruns++;
	}
	if (d)
		closedir(d);
	qsort(s->runs, s->nruns, sizeof(*s->runs), rates_run_cmp);
	for (int i = 0; i < s->nruns; i++) {
		const struct rates_run *r = &s->runs[i];

		s->count[r->cls]++;
		if (r->cls == RC_SKIP || r->cls == RC_INCOMPLETE)
			continue;
		s->n++;
		s->k += rates_failed(r->cls);
		if (r->race_s > 0)
			s->hours += r->race_s / 3600;
		else
			s->untimed++;
	}
	rates_intervals(s);
	rates_ttf_estimate(s);
}

/* Set b against set a: Fisher's exact test, and its verdict in words. */
static void rates_verdict(const struct rates_set *a, const struct rates_set *b,
			  struct rates_fisher *f, char *buf, size_t len)
{
	double pa = a->n ? (double)a->k / a->n : 0, pb = b->n ? (double)b->k / b->n : 0;

	rates_fisher(a->k, a->n, b->k, b->n, f);
	if (f->two_sided <= STATS_ALPHA)
		snprintf(buf, len, "%s failures: %d/%d against %d/%d, p = %.2g", pb > pa ? "more" : "fewer",
			 b->k, b->n, a->k, a->n, f->two_sided);
	else if (f->second_more <= STATS_ALPHA || f->second_fewer <= STATS_ALPHA)
		/* Significant one way only: say which test found it. */
		snprintf(buf, len, "%s failures (one-sided test): %d/%d against %d/%d, p = %.2g (two-sided %.2g)",
			 f->second_more <= STATS_ALPHA ? "more" : "fewer", b->k, b->n, a->k, a->n,
			 MIN(f->second_more, f->second_fewer), f->two_sided);
	else
		snprintf(buf, len, "no difference shown: %d/%d against %d/%d, p = %.2g",
			 b->k, b->n, a->k, a->n, f->two_sided);
}

/* The known issues the results of class c named, each once, with how many runs carry it. */
static void rates_print_known(const struct rates_set *s, enum rates_class c, FILE *f)
{
	int named = 0;

	for (int i = 0; i < s->nruns; i++) {
		const struct rates_run *r = &s->runs[i];
		bool seen = false;
		int same = 0;

		if (r->cls != c || !r->known[0])
			continue;
		for (int j = 0; j < s->nruns; j++) {
			bool match = s->runs[j].cls == c && !strcmp(s->runs[j].known, r->known);

			seen |= j < i && match;
			same += match;
		}
		if (!seen)
			fprintf(f, "%s%s%s x%d", named++ ? ", " : "   ",
				strcmp(r->known, "new") ? "known issue " : "", r->known, same);
	}
}

/* The classes of a set's runs with a count, the known issues of failures and an example. */
static void rates_print_classes(const struct rates_set *s, FILE *f)
{
	for (int c = 0; c < RC_NR; c++) {
		const struct rates_run *ex = NULL;

		if (!s->count[c])
			continue;
		fprintf(f, "  %-16s %3d", rc_name[c], s->count[c]);
		if (rates_failed(c))
			rates_print_known(s, c, f);
		for (int i = 0; i < s->nruns && !ex; i++)
			if (s->runs[i].cls == (enum rates_class)c && s->runs[i].detail[0])
				ex = &s->runs[i];
		if (ex)
			fprintf(f, "   e.g. run-%03d: %.160s", ex->num, ex->detail);
		fputc('\n', f);
	}
}

/* Failures per hour and its interval, or "none" without racing time to divide by. */
static void rates_per_h(const struct rates_set *s, char *rate, char *ci, size_t len)
{
	if (s->hours <= 0) {
		snprintf(rate, len, "none");
		snprintf(ci, len, "none");
		return;
	}
	snprintf(rate, len, "%.3g", s->k / s->hours);
	snprintf(ci, len, "%.3g-%.3g", s->rate_lo, s->rate_hi);
}

/* A time in seconds, or what bounds it: "> T" for a median not reached, "inf" for no upper bound. */
static void rates_secs(double t, double bound, char *buf, size_t len)
{
	if (t >= 0)
		snprintf(buf, len, "%.3g", t);
	else if (bound > 0)
		snprintf(buf, len, ">%.3g", bound);
	else
		snprintf(buf, len, "inf");
}

static void rates_print_ttf(const struct rates_set *s, FILE *f)
{
	char km[32], med[32], hi[32];

	if (s->exposure_s <= 0)
		return;
	rates_secs(s->km_median, s->ttf_max, km, sizeof(km));
	rates_secs(s->exp_median, 0, med, sizeof(med));
	rates_secs(s->exp_hi, 0, hi, sizeof(hi));
	fprintf(f, "  time to first failure: median %s s (Kaplan-Meier); exponential fit %s s "
		"(95 %% CI %.3g-%s s), %d failures in %.0f s watched\n", km, med, s->exp_lo, hi,
		s->timed_k, s->exposure_s);
}

static void rates_print(const struct rates_set *s, FILE *f)
{
	char rate[32], ci[64];

	fprintf(f, "%s: %d of %d failed (%.1f %%, 95 %% CI %.1f-%.1f %%, Clopper-Pearson)", s->name,
		s->k, s->n, s->n ? 100.0 * s->k / s->n : 0, 100 * s->lo, 100 * s->hi);
	if (s->count[RC_SKIP] || s->count[RC_INCOMPLETE])
		fprintf(f, "; not counted: %d skipped, %d incomplete", s->count[RC_SKIP],
			s->count[RC_INCOMPLETE]);
	fputc('\n', f);
	if (s->kernel[0])
		fprintf(f, "  kernel: %s\n", s->kernel);
	rates_per_h(s, rate, ci, sizeof(rate));
	if (s->hours > 0)
		fprintf(f, "  racing %.4f h: %s failures per hour (95 %% CI %s, exact Poisson)%s\n",
			s->hours, rate, ci, s->untimed ? " (some runs without a racing time)" : "");
	else
		fprintf(f, "  no racing time: no failures per hour\n");
	rates_print_classes(s, f);
	rates_print_ttf(s, f);
	fprintf(f, "SUMMARY repeat kernel=%s runs=%d failed=%d skipped=%d incomplete=%d "
		"fail_pct=%.1f ci95_pct=%.1f-%.1f racing_h=%.4f per_h=%s per_h_ci95=%s",
		s->name, s->n, s->k, s->count[RC_SKIP], s->count[RC_INCOMPLETE],
		s->n ? 100.0 * s->k / s->n : 0, 100 * s->lo, 100 * s->hi, s->hours, rate, ci);
	if (s->exposure_s > 0) {
		char km[32], med[32], hi[32];

		rates_secs(s->km_median, s->ttf_max, km, sizeof(km));
		rates_secs(s->exp_median, 0, med, sizeof(med));
		rates_secs(s->exp_hi, 0, hi, sizeof(hi));
		fprintf(f, " ttf_km_median_s=%s ttf_exp_median_s=%s ttf_exp_ci95_s=%.3g-%s", km, med,
			s->exp_lo, hi);
	}
	for (int c = RC_PASS; c <= RC_DEATH; c++) {
		const char *colon = strchr(rc_name[c], ':');

		if (c != RC_SKIP)
			fprintf(f, " %s=%d", colon ? colon + 1 : rc_name[c], s->count[c]);
	}
	fputc('\n', f);
}

/* Each set after the first against the first; 1 when one fails significantly more often. */
static int rates_compare(const struct rates_set *s, int n, FILE *f)
{
	struct rates_fisher fi;
	char words[256];
	int worse = 0;

	for (int i = 1; i < n; i++) {
		rates_verdict(&s[0], &s[i], &fi, words, sizeof(words));
		fprintf(f, "%s against %s (Fisher's exact test): %s\n", s[i].name, s[0].name, words);
		fprintf(f, "SUMMARY repeat-compare a=%s b=%s a_failed=%d/%d b_failed=%d/%d p_two_sided=%.3g "
			"p_b_more=%.3g p_b_fewer=%.3g b_worse=%s\n", s[0].name, s[i].name, s[0].k, s[0].n,
			s[i].k, s[i].n, fi.two_sided, fi.second_more, fi.second_fewer,
			fi.second_more <= STATS_ALPHA ? "yes" : "no");
		worse |= fi.second_more <= STATS_ALPHA;
	}
	return worse;
}

static void rates_free(struct rates_set *s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i].runs);
}

static struct rates_set *rates_load_all(char **dirs, int n)
{
	struct rates_set *s;

	if (n < 1)
		usage_error("rates: no set directory given (see 'migrace rates --help')");
	if (n > RATES_MAX_SETS)
		usage_error("rates: at most %d sets at once (got %d)", RATES_MAX_SETS, n);
	s = calloc(n, sizeof(*s));
	if (!s)
		abort();
	for (int i = 0; i < n; i++) {
		rates_load(&s[i], dirs[i]);
		for (int j = 0; j < i; j++)
			if (!strcmp(s[i].dir, s[j].dir))
				usage_error("rates: %s: the same set given twice", dirs[i]);
	}
	return s;
}

static const char *rates_class_of;

static const struct opt rates_opts[] = {
	{ "class", OPT_STR, &rates_class_of, NULL,
	  "print what became of one run directory (RUNDIR) and exit" },
	{ NULL }
};

int cmd_rates(int argc, char **argv)
{
	char **dirs = calloc(argc + 1, sizeof(*dirs));
	struct rates_set *s;
	struct rates_run r;
	int n, worse;

	if (!dirs)
		abort();
	n = report_args(rates_opts, argc, argv, "migrace rates SETDIR...\n"
			"       migrace rates --class RUNDIR\n\n"
			"Per set of runners/repeat (kernels/K/ of its output): k of N runs failed with a\n"
			"95 % Clopper-Pearson interval, failures per hour of racing with an exact Poisson\n"
			"interval, the failure classes; each later set against the first by Fisher's\n"
			"exact test. Exit status 1 when a later set fails significantly more often\n"
			"(one-sided p <= 0.05).", dirs);
	if (rates_class_of) {
		if (!rates_is_dir(rates_class_of))
			usage_error("rates: --class %s: no such run directory", rates_class_of);
		rates_classify(rates_class_of, &r);
		printf("%s%s%s\n", rc_name[r.cls], r.detail[0] ? " " : "", r.detail);
		free(dirs);
		return EXIT_PASS;
	}
	s = rates_load_all(dirs, n);
	for (int i = 0; i < n; i++)
		rates_print(&s[i], stdout);
	worse = rates_compare(s, n, stdout);
	rates_free(s, n);
	free(s);
	free(dirs);
	return worse ? EXIT_FAIL : EXIT_PASS;
}

static void rates_html_row(const struct rates_set *s, char letter, FILE *f)
{
	char cell[512], rate[32], ci[64];

	rates_per_h(s, rate, ci, sizeof(rate));
	fprintf(f, "<tr><td>%c</td><td>", letter);
	html_puts(s->name, f);
	fprintf(f, "</td><td>%d</td><td%s>%d</td><td>%.1f %% [%.1f, %.1f]</td><td>%.4f</td>"
		"<td>%s [%s]</td><td>", s->n, s->k ? " class=\"bad\"" : " class=\"good\"",
		s->k, s->n ? 100.0 * s->k / s->n : 0, 100 * s->lo, 100 * s->hi, s->hours, rate, ci);
	for (int c = 0, first = 1; c < RC_NR; c++) {
		if (!s->count[c])
			continue;
		snprintf(cell, sizeof(cell), "%s%s %d", first ? "" : ", ", rc_name[c], s->count[c]);
		html_puts(cell, f);
		first = 0;
	}
	fputs("</td></tr>\n", f);
}

/* A set's line at the top of the report: its failure rate with its interval, and what failed. */
static void rates_html_verdict(const struct rates_set *s, char letter, FILE *f)
{
	char *known = NULL, line[512], rate[32], ci[64];
	size_t len = 0;
	FILE *m = open_memstream(&known, &len);

	if (!m)
		abort();
	for (int c = 0; c < RC_NR; c++)
		if (rates_failed(c) && s->count[c])
			rates_print_known(s, c, m);
	fclose(m);
	rates_per_h(s, rate, ci, sizeof(rate));
	fprintf(f, "<li class=\"%s\" id=\"verdict-%c\"><span class=\"tag\">%s</span><b>%c</b> ",
		s->k ? "fail" : s->n ? "pass" : "incomplete", letter,
		s->k ? "FAIL" : s->n ? "PASS" : "NO RUNS", letter);
	html_puts(s->name, f);
	snprintf(line, sizeof(line), ": %d of %d runs failed (%.1f %%, 95 %% CI %.1f-%.1f %%); "
		 "%s failures per hour of racing (95 %% CI %s)", s->k, s->n,
		 s->n ? 100.0 * s->k / s->n : 0, 100 * s->lo, 100 * s->hi, rate, ci);
	html_puts(line, f);
	if (known[strspn(known, " ")]) {
		fputs("; <span class=\"known\">", f);
		html_puts(known + strspn(known, " "), f);
		fputs("</span>", f);
	}
	if (s->count[RC_SKIP] || s->count[RC_INCOMPLETE])
		fprintf(f, "; not counted: %d skipped, %d incomplete", s->count[RC_SKIP],
			s->count[RC_INCOMPLETE]);
	fputs(".</li>\n", f);
	free(known);
}

static void rates_html_runs(const struct rates_set *s, int n, FILE *f)
{
	fputs("<h2 id=\"runs\">Runs</h2>\n<table>\n<tr><th>set</th><th>run</th><th>class</th>"
	      "<th>racing s</th><th>known issue</th><th>detail</th></tr>\n", f);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < s[i].nruns; j++) {
			const struct rates_run *r = &s[i].runs[j];

			fprintf(f, "<tr><td>%c</td><td><a href=\"runs/%c/run-%03d/\">run-%03d</a></td><td%s>",
				'A' + i, 'A' + i, r->num, r->num, rates_failed(r->cls) ? " class=\"bad\"" : "");
			html_puts(rc_name[r->cls], f);
			fprintf(f, "</td><td>%.1f</td><td>", r->race_s);
			html_puts(r->known, f);
			fputs("</td><td>", f);
			html_puts(r->detail, f);
			fputs("</td></tr>\n", f);
		}
	fputs("</table>\n", f);
}

/* migrace report on sets: the failure rate of each kernel with its interval, the comparison, every run. */
int rates_report(char **dirs, int n, const char *out)
{
	struct rates_set *s;
	struct run *runs;
	struct rates_fisher fi;
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32], words[256];
	bool emulated = false;
	FILE *f;
	int err;

	if (!out)
		usage_error("report: --out DIR is required");
	if (access(out, W_OK))
		usage_error("report: --out %s: %s", out, strerror(errno));
	s = rates_load_all(dirs, n);
	runs = calloc(n, sizeof(*runs));
	snprintf(path, sizeof(path), "%s/index.html", out);
	f = atomic_open(path, tmp, sizeof(tmp));
	if (!f || !runs)
		usage_error("report: cannot write %s: %s", path, strerror(errno));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>migrace report: failure rates</title>\n<style>%s</style>\n</head>\n<body>\n"
		"<h1>migrace report: failure rates</h1>\n", report_css);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < s[i].nruns; j++)
			emulated |= s[i].runs[j].emulated;
	if (emulated)
		fputs("<p class=\"emulated\">Runs in the emulated machine (QEMU TCG): a failure rate there "
		      "is the emulator's, not a hardware figure.</p>\n", f);
	/* the answer first: each kernel's rate, then each against the first */
	fputs("<section class=\"answer\" id=\"verdict\">\n<ul>\n", f);
	for (int i = 0; i < n; i++)
		rates_html_verdict(&s[i], 'A' + i, f);
	for (int i = 1; i < n; i++) {
		rates_verdict(&s[0], &s[i], &fi, words, sizeof(words));
		fprintf(f, "<li>%c against A (Fisher's exact test): ", 'A' + i);
		html_puts(words, f);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</section>\n", f);
	fputs("<h2 id=\"rates\">Failure rate per kernel</h2>\n<p>Runs that were skipped or cut short "
	      "are not counted. Intervals are 95 %: Clopper-Pearson for the failure rate, exact Poisson "
	      "for failures per hour of racing.</p>\n<table>\n<tr><th></th><th>kernel</th><th>runs</th>"
	      "<th>failed</th><th>failure rate [95 % CI]</th><th>racing hours</th>"
	      "<th>failures per hour [95 % CI]</th><th>classes</th></tr>\n", f);
	for (int i = 0; i < n; i++)
		rates_html_row(&s[i], 'A' + i, f);
	fputs("</table>\n", f);
	rates_html_runs(s, n, f);
	for (int i = 0; i < n; i++) {
		snprintf(runs[i].dir, sizeof(runs[i].dir), "%s", s[i].dir);
		snprintf(runs[i].label, sizeof(runs[i].label), "%s", s[i].name);
	}
	report_raw(runs, n, f);
	fputs("<p>Made by migrace " PACKAGE_VERSION " (runners/publish).</p>\n</body>\n</html>\n", f);
	err = atomic_close(f, tmp, path);
	if (err)
		usage_error("report: cannot write %s: %s", path, strerror(-err));
	free(runs);
	rates_free(s, n);
	free(s);
	return EXIT_PASS;
}
