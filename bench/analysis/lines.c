/* lines.c - migrace lines: results, run directories and repeat sets as "name result [measurement [units]]" lines for lab engines. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lines.h"
#include "opt.h"
#include "rates.h"
#include "runs.h"
#include "stats.h"
#include "util.h"

#define LN_MAX_SCN	RUNS_MAX_SCN
#define LN_MAX_KNOWN	16
#define LN_LEVEL	0.95

static const char lines_usage[] =
	"migrace lines [--prefix NAME] [--all] RUN_OR_RESULT...\n\n"
	"Prints what migrace found as one line per test case, for lab engines (LAVA's\n"
	"lava-test-case, restraint's rstrnt-report-result, KCIDB):\n\n"
	"  NAME RESULT [MEASUREMENT [UNITS]] [# COMMENT]\n\n"
	"NAME is PREFIX.SCENARIO.CASE ([A-Za-z0-9._-] only), RESULT pass, fail, skip or\n"
	"unknown. Per scenario: CASE 'verdict' (fail when any repetition failed: k of n\n"
	"with its 95 % Clopper-Pearson interval and the first reason; skip with its\n"
	"reason), 'known_issue.NAME' per known kernel issue the failures showed (its\n"
	"count; 'new' when none matched), 'fail_pct' when there were several\n"
	"repetitions, then each figure of the results' metrics that has a unit (the\n"
	"median over repetitions) under its flattened name (README's 'How runs are\n"
	"compared'). A run directory adds PREFIX.status from its STATUS. Lines starting\n"
	"with '#' are comments: what was read, and whether timings are emulated.\n\n"
	"RUN_OR_RESULT is a result (migrace run --json), a run directory of runners/run\n"
	"(its <scenario>-rep<N>.json; warm-ups left out) or a set of runners/repeat\n"
	"(kernels/K/ of its output: run-NNN/result.json, classed by run-NNN/class, so a\n"
	"hang or a dead machine is a failure and an interrupted run is not counted).\n"
	"Each is printed on its own: give one per call, or tell them apart by --prefix.\n\n"
	"Exit status: 0 the lines were printed (whatever the verdicts), 2 bad input.";

static const char *ln_prefix;
static bool ln_all;

static const struct opt lines_opts[] = {
	{ "prefix", OPT_STR, &ln_prefix, "migrace", "the first component of every name" },
	{ "all", OPT_BOOL, &ln_all, NULL, "every number of the metrics, not only those with a unit" },
	{ NULL }
};

struct ln_metric {
	char name[192];
	char unit[16];
	double *v;
	int n;
};

struct ln_scn {
	char name[32];
	int n, failed, skipped;		/* counted (not skipped), failed, skipped */
	char fail_why[512], skip_why[512];
	char known[LN_MAX_KNOWN][80], known_title[LN_MAX_KNOWN][200];
	int known_n[LN_MAX_KNOWN], nknown;
	struct ln_metric *m;
	int nm;
};

struct ln_input {
	const char *path, *kind;	/* kind: result, run directory or repeat set */
	struct ln_scn scn[LN_MAX_SCN];
	int nscn;
	bool emulated, hardware;	/* timings of some result were emulated, hardware */
	char kernel[128];
};

static const char *ln_str(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

/* A name a lab engine takes: [A-Za-z0-9._-]; "results[thp move_pages 0->1].gbps" -> "results.thp_move_pages_0-1.gbps". */
static void ln_sanitize(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		char c = *in;

		if (c == ']' || c == '>')
			continue;
		if (c == '[')
			c = '.';
		else if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
			 c != '.' && c != '-' && c != '_')
			c = '_';
		out[o++] = c;
	}
	out[o] = '\0';
}

/* A reason on one line: the format is a line per case. */
static void ln_oneline(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static struct ln_scn *ln_scn_of(struct ln_input *in, const char *scenario, const char *path)
{
	char name[sizeof(in->scn[0].name)];

	ln_sanitize(scenario, name, sizeof(name));
	for (int i = 0; i < in->nscn; i++)
		if (!strcmp(in->scn[i].name, name))
			return &in->scn[i];
	if (in->nscn == LN_MAX_SCN)
		usage_error("lines: %s: more than %d scenarios", path, LN_MAX_SCN);
	snprintf(in->scn[in->nscn].name, sizeof(name), "%s", name);
	return &in->scn[in->nscn++];
}

static void ln_add_value(const struct run_value *val, void *arg)
{
	struct ln_scn *s = arg;
	struct ln_metric *m = NULL;
	char name[192];

	if (!val->unit && !ln_all)
		return;
	ln_sanitize(val->name, name, sizeof(name));
	for (int i = 0; i < s->nm && !m; i++)
		if (!strcmp(s->m[i].name, name))
			m = &s->m[i];
	if (!m) {
		s->m = realloc(s->m, (s->nm + 1) * sizeof(*s->m));
		if (!s->m)
			abort();
		m = &s->m[s->nm++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", name);
		snprintf(m->unit, sizeof(m->unit), "%s", val->unit ? val->unit : "");
	}
	m->v = realloc(m->v, (m->n + 1) * sizeof(*m->v));
	if (!m->v)
		abort();
	m->v[m->n++] = val->v;
}

/* Tallies a failure under name (a known issue, "new", or how the run failed without a result). */
static void ln_add_known(struct ln_scn *s, const char *name, const char *title)
{
	int j;

	for (j = 0; j < s->nknown && strcmp(s->known[j], name); j++)
		;
	if (j == LN_MAX_KNOWN)
		return;
	if (j == s->nknown) {
		snprintf(s->known[j], sizeof(s->known[0]), "%s", name);
		snprintf(s->known_title[j], sizeof(s->known_title[0]), "%s", title);
		ln_oneline(s->known_title[j]);
		s->nknown++;
	}
	s->known_n[j]++;
}

/* The known issue a failure showed: triage's name, "new", "not-triaged", else its class (hang...). */
static void ln_add_failure(struct ln_scn *s, json_object *res, const char *verdict)
{
	json_object *ki = NULL;
	char name[80];

	if (strcmp(ln_str(res, "verdict"), "fail")) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(verdict, " :"), verdict);
		ln_add_known(s, name, "no failed result: how the run ended");
	} else if (!json_object_object_get_ex(res, "known_issue", &ki) || !ki) {
		ln_add_known(s, "not-triaged", "the failed result was not triaged (migrace triage)");
	} else if (!strcmp(ln_str(ki, "match"), "none")) {
		ln_add_known(s, "new", "no known issue matches");
	} else {
		ln_sanitize(ln_str(ki, "name"), name, sizeof(name));
		ln_add_known(s, name, ln_str(ki, "title"));
	}
}

/*
 * One repetition or run: verdict (cls, from a repeat's class file, overrides
 * the result's), known issue, metrics. res may be NULL when the machine died.
 */
static void ln_add(struct ln_input *in, const char *path, json_object *res, const char *scenario,
		   const char *cls)
{
	const char *verdict = cls ? cls : ln_str(res, "verdict");
	const char *why = cls ? strchr(cls, ' ') : ln_str(res, "reason");
	json_object *prov = NULL, *metrics = NULL;
	struct ln_scn *s = ln_scn_of(in, scenario, path);

	why = why ? why + strspn(why, " ") : "";
	if (!strncmp(verdict, "incomplete", 10))
		return;		/* interrupted: neither a pass nor a failure */
	if (!strncmp(verdict, "skip", 4)) {
		if (!s->skipped++) {
			snprintf(s->skip_why, sizeof(s->skip_why), "%s", why);
			ln_oneline(s->skip_why);
		}
		return;
	}
	s->n++;
	if (strncmp(verdict, "pass", 4)) {
		if (!s->failed++) {
			snprintf(s->fail_why, sizeof(s->fail_why), "%s", why[0] ? why : verdict);
			ln_oneline(s->fail_why);
		}
		ln_add_failure(s, res, verdict);
	}
	if (json_object_object_get_ex(res, "provenance", &prov) && prov) {
		const char *timings = ln_str(prov, "timings");

		in->emulated |= !strcmp(timings, "emulated");
		in->hardware |= !strcmp(timings, "hardware");
		if (!in->kernel[0])
			snprintf(in->kernel, sizeof(in->kernel), "%s", ln_str(prov, "kernel_release"));
	}
	if (json_object_object_get_ex(res, "metrics", &metrics) && metrics)
		runs_flatten(metrics, ln_add_value, s);
}

static json_object *ln_load(const char *path)
{
	json_object *res = json_object_from_file(path);

	if (!res || !json_object_is_type(res, json_type_object) ||
	    strcmp(ln_str(res, "schema"), "migrace-result/1") || !ln_str(res, "scenario")[0])
		usage_error("lines: %s: not a migrace result (migrace-result/1)", path);
	return res;
}

static void ln_add_file(struct ln_input *in, const char *path)
{
	json_object *res = ln_load(path);

	ln_add(in, path, res, ln_str(res, "scenario"), NULL);
	json_object_put(res);
}

/* The scenario of a repeat's run without a result: the word after "run" in its command file. */
static void ln_command_scenario(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX + 16], line[64];
	bool next = false;
	FILE *f;

	snprintf(buf, len, "unknown");
	snprintf(path, sizeof(path), "%s/command", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (next) {
			snprintf(buf, len, "%s", line);
			break;
		}
		next = !strcmp(line, "run");
	}
	if (f)
		fclose(f);
}

static void ln_add_set_run(struct ln_input *in, const char *dir)
{
	char path[PATH_MAX + 16], cls[640], scenario[64];
	struct stat st;
	json_object *res = NULL;

	snprintf(path, sizeof(path), "%s/result.json", dir);
	if (!stat(path, &st))
		res = ln_load(path);
	snprintf(path, sizeof(path), "%s/class", dir);
	if (read_text(path, cls, sizeof(cls)) < 0)
		cls[0] = '\0';
	cls[strcspn(cls, "\n")] = '\0';
	if (!res && !cls[0])
		snprintf(cls, sizeof(cls), "incomplete");
	if (res)
		snprintf(scenario, sizeof(scenario), "%s", ln_str(res, "scenario"));
	else
		ln_command_scenario(dir, scenario, sizeof(scenario));
	ln_add(in, dir, res, scenario, cls[0] ? cls : NULL);
	json_object_put(res);
}

/* Calls fn for each path of pattern under dir, in glob's (sorted) order; returns how many. */
static size_t ln_each(struct ln_input *in, const char *dir, const char *pattern,
		      void (*fn)(struct ln_input *in, const char *path))
{
	char pat[PATH_MAX + 32];
	glob_t g;
	size_t n;

	snprintf(pat, sizeof(pat), "%s/%s", dir, pattern);
	if (glob(pat, 0, NULL, &g))
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++)
		fn(in, g.gl_pathv[i]);
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

/* Up to about 6 significant digits, without an exponent (lab engines take plain decimals). */
static void ln_number(double v, char *buf, size_t len)
{
	int digits = 0;

	if (v != 0 && fabs(v) < 1e5)
		digits = 5 - (int)floor(log10(fabs(v)));
	snprintf(buf, len, "%.*f", MIN(MAX(digits, 0), 12), v);
	if (strchr(buf, '.')) {
		char *end = buf + strlen(buf) - 1;

		while (*end == '0')
			*end-- = '\0';
		if (*end == '.')
			*end = '\0';
	}
}

static void ln_print_verdict(const struct ln_scn *s)
{
	double lo, hi;

	printf("%s.%s.verdict ", ln_prefix, s->name);
	if (s->failed && s->n == 1) {
		printf("fail # %s\n", s->fail_why);
	} else if (s->failed) {
		rates_binom_ci(s->failed, s->n, LN_LEVEL, &lo, &hi);
		printf("fail # %d of %d failed (95 %% CI %.0f-%.0f %%): %s\n", s->failed, s->n,
		       100 * lo, 100 * hi, s->fail_why);
	} else if (s->skipped && !s->n) {
		printf("skip # %s\n", s->skip_why);
	} else if (!s->n) {
		printf("unknown # no repetition finished\n");
	} else if (s->skipped) {
		printf("pass # %d passed, %d skipped: %s\n", s->n, s->skipped, s->skip_why);
	} else {
		printf("pass\n");
	}
}

static void ln_print_scn(const struct ln_scn *s)
{
	char num[64];
	double lo, hi;

	ln_print_verdict(s);
	for (int j = 0; j < s->nknown; j++)
		printf("%s.%s.known_issue.%s fail %d%s%s\n", ln_prefix, s->name, s->known[j],
		       s->known_n[j], s->known_title[j][0] ? " # " : "", s->known_title[j]);
	if (s->n > 1) {
		rates_binom_ci(s->failed, s->n, LN_LEVEL, &lo, &hi);
		ln_number(100.0 * s->failed / s->n, num, sizeof(num));
		printf("%s.%s.fail_pct pass %s %% # %d of %d failed, 95 %% CI %.1f-%.1f %% "
		       "(Clopper-Pearson)\n", ln_prefix, s->name, num, s->failed, s->n, 100 * lo, 100 * hi);
	}
	for (int i = 0; i < s->nm; i++) {
		const struct ln_metric *m = &s->m[i];

		ln_number(stats_median(m->v, m->n), num, sizeof(num));
		printf("%s.%s.%s pass %s%s%s", ln_prefix, s->name, m->name, num, m->unit[0] ? " " : "",
		       m->unit);
		if (m->n > 1)
			printf(" # median of %d", m->n);
		putchar('\n');
	}
}

static void ln_free(struct ln_input *in)
{
	for (int i = 0; i < in->nscn; i++) {
		for (int j = 0; j < in->scn[i].nm; j++)
			free(in->scn[i].m[j].v);
		free(in->scn[i].m);
	}
	free(in);
}

/* A run directory's STATUS as a line of its own: an incomplete run fails. */
static void ln_print_status(const char *dir)
{
	char path[PATH_MAX + 16], status[64];

	snprintf(path, sizeof(path), "%s/STATUS", dir);
	if (read_text(path, status, sizeof(status)) < 0)
		snprintf(status, sizeof(status), "unknown");
	status[strcspn(status, "\n")] = '\0';
	printf("%s.status %s # %s\n", ln_prefix, !strcmp(status, "complete") ? "pass" :
	       !strcmp(status, "failed") ? "fail" : "unknown", status);
}

/* Reads one input whole: bad input ends migrace before any line is printed. */
static struct ln_input *ln_read(const char *path)
{
	struct ln_input *in = calloc(1, sizeof(*in));
	struct stat st;

	if (!in)
		abort();
	in->path = path;
	in->kind = "result";
	if (stat(path, &st))
		usage_error("lines: %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		ln_add_file(in, path);
	else if (ln_each(in, path, "run-[0-9][0-9][0-9]*", ln_add_set_run))
		in->kind = "repeat set";
	else if (ln_each(in, path, "*-rep[0-9]*.json", ln_add_file))
		in->kind = "run directory";
	else
		usage_error("lines: %s: not a result, a run directory (*-repN.json) or a repeat set "
			    "(run-NNN/)", path);
	return in;
}

static void ln_print(struct ln_input *in)
{
	printf("# migrace lines: %s %s, kernel %s, timings %s\n", in->kind, in->path,
	       in->kernel[0] ? in->kernel : "unknown",
	       in->emulated ? "emulated (QEMU TCG): ratios within this run only" :
	       in->hardware ? "hardware" : "virtualized or unknown");
	if (!strcmp(in->kind, "run directory"))
		ln_print_status(in->path);
	for (int i = 0; i < in->nscn; i++)
		ln_print_scn(&in->scn[i]);
}

int cmd_lines(int argc, char **argv)
{
	const struct opt *tabs[] = { lines_opts, NULL };
	char **o = calloc(argc + 1, sizeof(*o)), **paths = calloc(argc + 1, sizeof(*paths));
	struct ln_input **in = calloc(argc + 1, sizeof(*in));
	int no = 0, np = 0;

	if (!o || !paths || !in)
		abort();
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-') {
			paths[np++] = argv[i];
			continue;
		}
		o[no++] = argv[i];
		if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			o[no++] = argv[++i];
	}
	opt_parse(tabs, no, o, lines_usage);
	if (!np)
		usage_error("lines: which results? (see 'migrace lines --help')");
	if (!ln_prefix[0] || strspn(ln_prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789._-") != strlen(ln_prefix))
		usage_error("lines: --prefix '%s': only letters, digits, '.', '_' and '-'", ln_prefix);
	for (int i = 0; i < np; i++)
		in[i] = ln_read(paths[i]);
	for (int i = 0; i < np; i++) {
		ln_print(in[i]);
		ln_free(in[i]);
	}
	free(in);
	free(o);
	free(paths);
	return EXIT_PASS;
}
