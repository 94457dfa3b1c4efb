/* export.c - migrace export: plot data from run directories, as data files and gnuplot variables for plots/. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "export.h"
#include "stats.h"
#include "util.h"

#define EXP_MAX_BARS	40	/* rows of one bar chart */

enum exp_kind { EXP_CDF, EXP_PAIRS, EXP_COUNTERS, EXP_TIMELINE, EXP_HEAT };

/* The gnuplot script of each kind, in plots/. */
static const char *const exp_script[] = { "cdf", "bars", "hbars", "timeline", "heatmap" };
static const char *const exp_kind_name[] = { "cdf", "pairs", "counters", "timeline", "heatmap" };

struct exp_bucket {
	double low, high, count;
};

/* A row of a bar chart: its values in every repetition of every run. */
struct exp_key {
	char key[96];
	double v[RUNS_MAX][RUNS_MAX_REPS];
	int n[RUNS_MAX];
};

struct exp_item {
	enum exp_kind kind;
	char scn[32], path[192], field[64], unit[16], tunit[16];
	struct exp_bucket *b[RUNS_MAX];		/* CDF: merged buckets per run */
	int nb[RUNS_MAX];
	struct exp_key *keys;			/* pairs, counters */
	int nkeys;
	FILE *tl[RUNS_MAX];			/* timeline: blocks of "t y" per repetition */
	char *tlbuf[RUNS_MAX];
	size_t tllen[RUNS_MAX];
};

struct exp_ctx {
	struct exp_item **it;	/* each allocated alone: open memstreams point into them */
	int n, cap;
	const char *scn;
	int run, rep;
	const struct run *runs;
};

static const char exp_throughput[] = "*per_s*|*mbps*|*gbps*|*throughput*|*bandwidth*";
static const char exp_duration[] = "*elapsed*|*_ns|*_us|*_ms";

static bool exp_match(const char *alternatives, const char *name)
{
	char buf[128], *save, *p;

	snprintf(buf, sizeof(buf), "%s", alternatives);
	for (p = strtok_r(buf, "|", &save); p; p = strtok_r(NULL, "|", &save))
		if (!fnmatch(p, name, 0))
			return true;
	return false;
}

static struct exp_item *exp_item(struct exp_ctx *c, enum exp_kind kind, const char *path,
				 const char *field)
{
	struct exp_item *it;

	for (int i = 0; i < c->n; i++) {
		it = c->it[i];
		if (it->kind == kind && !strcmp(it->scn, c->scn) && !strcmp(it->path, path) &&
		    !strcmp(it->field, field))
			return it;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->it = realloc(c->it, c->cap * sizeof(*c->it));
		if (!c->it)
			abort();
	}
	it = calloc(1, sizeof(*it));
	if (!it)
		abort();
	c->it[c->n++] = it;
	it->kind = kind;
	snprintf(it->scn, sizeof(it->scn), "%s", c->scn);
	snprintf(it->path, sizeof(it->path), "%s", path);
	snprintf(it->field, sizeof(it->field), "%s", field);
	return it;
}

static void exp_key_add(struct exp_item *it, int run, const char *key, double v)
{
	struct exp_key *k = NULL;

	for (int i = 0; i < it->nkeys && !k; i++)
		if (!strcmp(it->keys[i].key, key))
			k = &it->keys[i];
	if (!k) {
		it->keys = realloc(it->keys, (it->nkeys + 1) * sizeof(*it->keys));
		if (!it->keys)
			abort();
		k = &it->keys[it->nkeys++];
		memset(k, 0, sizeof(*k));
		snprintf(k->key, sizeof(k->key), "%s", key);
	}
	if (k->n[run] < RUNS_MAX_REPS)
		k->v[run][k->n[run]++] = v;
}

/* Histograms of all repetitions of a run merge bucket by bucket (the bounds are fixed). */
static void exp_hist(struct exp_ctx *c, const char *path, json_object *h)
{
	struct exp_item *it = exp_item(c, EXP_CDF, path, "");
	json_object *buckets, *unit;
	int r = c->run;

	if (json_object_object_get_ex(h, "unit", &unit) && json_object_is_type(unit, json_type_string))
		snprintf(it->unit, sizeof(it->unit), "%s", json_object_get_string(unit));
	if (!json_object_object_get_ex(h, "buckets", &buckets))
		return;
	for (size_t i = 0; i < json_object_array_length(buckets); i++) {
		json_object *b = json_object_array_get_idx(buckets, i);
		double low = json_object_get_double(json_object_array_get_idx(b, 0));
		int k;

		for (k = 0; k < it->nb[r] && it->b[r][k].low != low; k++)
			;
		if (k == it->nb[r]) {
			it->b[r] = realloc(it->b[r], (k + 1) * sizeof(**it->b));
			if (!it->b[r])
				abort();
			it->b[r][k] = (struct exp_bucket){ low,
				json_object_get_double(json_object_array_get_idx(b, 1)), 0 };
			it->nb[r]++;
		}
		it->b[r][k].count += json_object_get_double(json_object_array_get_idx(b, 2));
	}
}

/* Node pairs: throughput fields if the elements have any, else durations. */
static void exp_pairs(struct exp_ctx *c, const char *path, json_object *arr)
{
	json_object *first = json_object_array_get_idx(arr, 0);
	const char *want = exp_throughput;
	bool any = false;

	json_object_object_foreach(first, k0, v0)
		any |= (json_object_is_type(v0, json_type_double) || json_object_is_type(v0, json_type_int)) &&
		       exp_match(exp_throughput, k0);
	if (!any)
		want = exp_duration;
	json_object_object_foreach(first, key, val) {
		struct exp_item *it;
		const char *unit = runs_unit_of(key);

		if ((!json_object_is_type(val, json_type_double) && !json_object_is_type(val, json_type_int)) ||
		    !exp_match(want, key))
			continue;
		it = exp_item(c, EXP_PAIRS, path, key);
		snprintf(it->unit, sizeof(it->unit), "%s", unit ? unit : "");
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *e = json_object_array_get_idx(arr, i), *v;
			char pair[96];

			if (!json_object_object_get_ex(e, key, &v) || !v)
				continue;
			runs_elem_name(e, i, pair, sizeof(pair));
			exp_key_add(it, c->run, pair, json_object_get_double(v));
		}
	}
}

static FILE *exp_block(struct exp_ctx *c, struct exp_item *it, const char *tkey)
{
	int r = c->run;

	if (!it->tl[r]) {
		it->tl[r] = open_memstream(&it->tlbuf[r], &it->tllen[r]);
		if (!it->tl[r])
			abort();
	}
	snprintf(it->tunit, sizeof(it->tunit), "%s", runs_unit_of(tkey) ? runs_unit_of(tkey) : "");
	fprintf(it->tl[r], "\"%c: %s\"\n", 'A' + r, c->runs[r].label);
	return it->tl[r];
}

/* [{t_ms, y1, y2...}, ...]: one timeline per y field, one block per repetition. */
static void exp_timeline_rows(struct exp_ctx *c, const char *path, json_object *arr, const char *tkey)
{
	json_object *first = json_object_array_get_idx(arr, 0);

	json_object_object_foreach(first, key, val) {
		struct exp_item *it;
		FILE *f;

		if (!strcmp(key, tkey) || (!json_object_is_type(val, json_type_double) &&
					   !json_object_is_type(val, json_type_int)))
			continue;
		it = exp_item(c, EXP_TIMELINE, path, key);
		f = exp_block(c, it, tkey);
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *e = json_object_array_get_idx(arr, i), *t, *y;

			if (json_object_object_get_ex(e, tkey, &t) && json_object_object_get_ex(e, key, &y) && y)
				fprintf(f, "%.9g %.9g\n", json_object_get_double(t), json_object_get_double(y));
		}
		fputs("\n\n", f);
	}
}

/* {t_ms: [...], y1: [...], ...}: the same, as parallel arrays. */
static void exp_timeline_cols(struct exp_ctx *c, const char *path, json_object *o, const char *tkey)
{
	json_object *t;

	json_object_object_get_ex(o, tkey, &t);
	if (!json_object_is_type(t, json_type_array))
		return;
	json_object_object_foreach(o, key, ys) {
		struct exp_item *it;
		FILE *f;
		size_t n;

		if (!strcmp(key, tkey) || !json_object_is_type(ys, json_type_array))
			continue;
		n = MIN(json_object_array_length(ys), json_object_array_length(t));
		it = exp_item(c, EXP_TIMELINE, path, key);
		f = exp_block(c, it, tkey);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%.9g %.9g\n", json_object_get_double(json_object_array_get_idx(t, i)),
				json_object_get_double(json_object_array_get_idx(ys, i)));
		fputs("\n\n", f);
	}
}

static void exp_node(const char *path, json_object *o, void *arg)
{
	struct exp_ctx *c = arg;
	json_object *first;
	const char *tkey;

	if (runs_is_hist(o)) {
		exp_hist(c, path, o);
		return;
	}
	if (json_object_is_type(o, json_type_object)) {
		tkey = runs_time_key(o);
		if (tkey)
			exp_timeline_cols(c, path, o, tkey);
		return;
	}
	first = json_object_array_get_idx(o, 0);
	if (!json_object_is_type(first, json_type_object))
		return;
	if (json_object_object_get_ex(first, "src", NULL) && json_object_object_get_ex(first, "dst", NULL))
		exp_pairs(c, path, o);
	else if ((tkey = runs_time_key(first)))
		exp_timeline_rows(c, path, o, tkey);
}

/* Kernel and PAPI/perf counters: every number under a "vmstat" or "counters" key. */
static void exp_counter(const struct run_value *val, void *arg)
{
	struct exp_ctx *c = arg;

	if (strstr(val->name, "vmstat") || strstr(val->name, "counters"))
		exp_key_add(exp_item(c, EXP_COUNTERS, "counters", ""), c->run, val->name, val->v);
}

static const char exp_rep_series[] = "*violation*|*window*";

/* Seconds since the epoch of a result's start; -1 if it has none. */
static double exp_started(json_object *rep)
{
	json_object *v;
	struct tm tm = { 0 };

	if (!json_object_object_get_ex(rep, "started", &v) || !json_object_is_type(v, json_type_string) ||
	    !strptime(json_object_get_string(v), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -1;
	return timegm(&tm);
}

/* Race windows and violations of every repetition, against its start time in the run: one block per run. */
static void exp_rep_points(struct exp_ctx *c, json_object *rep, double t0)
{
	json_object *m = NULL;
	double t = exp_started(rep);

	json_object_object_get_ex(rep, "metrics", &m);
	if (t < 0 || t0 < 0 || !m)
		return;
	json_object_object_foreach(m, key, v) {
		struct exp_item *it;

		if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
		    !exp_match(exp_rep_series, key))
			continue;
		it = exp_item(c, EXP_TIMELINE, "repetitions", key);
		if (!it->tl[c->run])
			exp_block(c, it, "t_s");
		fprintf(it->tl[c->run], "%.0f %.9g\n", t - t0, json_object_get_double(v));
	}
}

static void exp_collect(struct exp_ctx *c, const struct run *runs, int nruns)
{
	for (int k = 0; k < runs[0].nscn; k++) {
		c->scn = runs[0].scn[k].name;
		for (c->run = 0; c->run < nruns; c->run++) {
			const struct run_scn *s = runs_scenario(&runs[c->run], c->scn);

			for (c->rep = 0; s && c->rep < s->nreps; c->rep++) {
				json_object *m = NULL;

				json_object_object_get_ex(s->reps[c->rep], "metrics", &m);
				runs_walk_nodes(m, exp_node, c);
				runs_flatten(m, exp_counter, c);
				exp_rep_points(c, s->reps[c->rep], exp_started(s->reps[0]));
			}
		}
	}
}

/* A gnuplot single-quoted string: only the quote itself needs escaping. */
static void gp_str(FILE *f, const char *var, const char *s)
{
	fprintf(f, "%s = '", var);
	for (; *s; s++)
		fprintf(f, *s == '\'' ? "''" : *s == '\n' ? " " : "%c", *s);
	fputs("'\n", f);
}

struct exp_out {
	const char *dir;
	const struct run *runs;
	int nruns;
	char title[1024];
	struct export_plot *plots;
	int n;
	FILE *dat;		/* the current plot's data, or NULL when only listing */
};

/* Registers a plot; with a directory, opens its data file and writes its variables file. */
static FILE *exp_plot(struct exp_out *o, const struct exp_item *it, const char *suffix,
		      const char *what, const char *xlab, const char *ylab, int nblocks, bool logx,
		      bool logy, const char *extra)
{
	struct export_plot *p;
	char path[PATH_MAX + 200];
	FILE *gp;

	o->plots = realloc(o->plots, (o->n + 1) * sizeof(*o->plots));
	if (!o->plots)
		abort();
	p = &o->plots[o->n];
	snprintf(p->base, sizeof(p->base), "%02d-%s-%s-%.60s%s%.40s%s", o->n + 1,
		 exp_kind_name[it->kind], it->scn, it->path, it->field[0] ? "-" : "", it->field, suffix);
	for (char *s = p->base; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *s))
			*s = '_';
	snprintf(p->caption, sizeof(p->caption), "%s", what);
	snprintf(p->scn, sizeof(p->scn), "%s", it->scn);
	o->n++;
	if (!o->dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s.gp", o->dir, p->base);
	gp = fopen(path, "we");
	snprintf(path, sizeof(path), "%s/%s.dat", o->dir, p->base);
	o->dat = fopen(path, "we");
	if (!gp || !o->dat)
		usage_error("export: cannot write %s: %s", path, strerror(errno));
	fprintf(gp, "# %s.gp - variables for plots/%s.gp, written by migrace export\n", p->base,
		exp_script[it->kind]);
	gp_str(gp, "datafile", path + strlen(o->dir) + 1);
	gp_str(gp, "outbase", p->base);
	gp_str(gp, "what", what);
	gp_str(gp, "ptitle", o->title);
	gp_str(gp, "xlab", xlab);
	gp_str(gp, "ylab", ylab);
	fprintf(gp, "nblocks = %d\nncols = %d\nlogx = %d\nlogy = %d\n", nblocks, o->nruns, logx, logy);
	fputs(extra ? extra : "", gp);
	fprintf(gp, "load plotdir . '/%s.gp'\n", exp_script[it->kind]);
	fclose(gp);
	return o->dat;
}

static void exp_done(struct exp_out *o)
{
	if (o->dat && fclose(o->dat))
		usage_error("export: cannot write a data file in %s", o->dir);
	o->dat = NULL;
}

static int exp_bucket_cmp(const void *a, const void *b)
{
	const struct exp_bucket *x = a, *y = b;

	return (x->low > y->low) - (x->low < y->low);
}

static void exp_write_cdf(struct exp_out *o, struct exp_item *it)
{
	char what[512], xlab[256];
	double lo = INFINITY, hi = 0;
	FILE *f;

	for (int r = 0; r < o->nruns; r++) {
		/* repetitions add buckets as they come: the CDF needs them in order */
		if (it->nb[r])	/* a run without this histogram has no array (qsort of NULL is UB) */
			qsort(it->b[r], it->nb[r], sizeof(*it->b[r]), exp_bucket_cmp);
		for (int k = 0; k < it->nb[r]; k++) {
			lo = MIN(lo, MAX(it->b[r][k].low, 1));
			hi = MAX(hi, it->b[r][k].high);
		}
	}
	if (hi == 0)
		return;
	snprintf(what, sizeof(what), "%s: %s, cumulative distribution per kernel (all repetitions)",
		 it->scn, it->path);
	snprintf(xlab, sizeof(xlab), "%s (%s)", it->path, it->unit[0] ? it->unit : "value");
	f = exp_plot(o, it, "", what, xlab, "fraction of events <= x", o->nruns, hi / lo > 100, false, NULL);
	for (int r = 0; f && r < o->nruns; r++) {
		double total = 0, sum = 0;

		for (int k = 0; k < it->nb[r]; k++)
			total += it->b[r][k].count;
		fprintf(f, "\"%c: %s\"\n", 'A' + r, o->runs[r].label);
		for (int k = 0; k < it->nb[r] && total > 0; k++) {
			if (!k)
				fprintf(f, "%.9g 0\n", MAX(it->b[r][k].low, 1));
			sum += it->b[r][k].count;
			fprintf(f, "%.9g %.6f\n", it->b[r][k].high, sum / total);
		}
		fputs("\n\n", f);
	}
	exp_done(o);
}

static double exp_median(const struct exp_key *k, int r)
{
	return k->n[r] ? stats_median(k->v[r], k->n[r]) : NAN;
}

/* Counters that never moved say nothing; pairs are always shown. */
static bool exp_row_shown(const struct exp_item *it, const struct exp_key *k, int nruns)
{
	for (int r = 0; r < nruns; r++)
		if (it->kind != EXP_COUNTERS || (exp_median(k, r) != 0 && !isnan(exp_median(k, r))))
			return true;
	return false;
}

/* Pairs: medians per run side by side; counters: medians relative to run A's. */
static void exp_write_bars(struct exp_out *o, struct exp_item *it)
{
	char what[512], ylab[256], ncols[64];
	bool rel = it->kind == EXP_COUNTERS && o->nruns > 1, has[RUNS_MAX] = { false };
	int rows = 0, cols = 0;
	FILE *f;

	for (int i = 0; i < it->nkeys; i++)
		rows += exp_row_shown(it, &it->keys[i], o->nruns);
	/* a run without a value here (it stopped before) gets no column: gnuplot cannot plot an empty one */
	for (int r = 0; r < o->nruns; r++) {
		for (int i = 0; i < it->nkeys; i++)
			has[r] |= it->keys[i].n[r] > 0;
		cols += has[r];
	}
	if (!rows || !cols)
		return;
	snprintf(ncols, sizeof(ncols), "ncols = %d\nnrows = %d\n", cols, MIN(rows, EXP_MAX_BARS));
	if (it->kind == EXP_PAIRS) {
		snprintf(what, sizeof(what), "%s: %s %s per node pair (median of repetitions)",
			 it->scn, it->path, it->field);
		snprintf(ylab, sizeof(ylab), "%s (%s)", it->field, it->unit[0] ? it->unit : "value");
	} else {
		snprintf(what, sizeof(what), "%s: kernel and PMU counters, median of repetitions%s%s",
			 it->scn, rel ? ", relative to run A" : "",
			 rows > EXP_MAX_BARS ? " (the first 40)" : "");
		snprintf(ylab, sizeof(ylab), "%s", rel ? "median / median of run A" : "count (log scale)");
	}
	f = exp_plot(o, it, "", what, it->kind == EXP_PAIRS ? "source -> destination node" : "counter",
		     ylab, 1, false, !rel && it->kind == EXP_COUNTERS, ncols);
	if (!f)
		return;
	fputs("key", f);
	for (int r = 0; r < o->nruns; r++)
		if (has[r])
			fprintf(f, " \"%c: %s\"", 'A' + r, o->runs[r].label);
	fputc('\n', f);
	rows = 0;
	for (int i = 0; i < it->nkeys && rows < EXP_MAX_BARS; i++) {
		const struct exp_key *k = &it->keys[i];
		double a = exp_median(k, 0), m;

		if (!exp_row_shown(it, k, o->nruns))
			continue;
		rows++;
		fprintf(f, "\"%s\"", k->key);
		for (int r = 0; r < o->nruns; r++) {
			if (!has[r])
				continue;
			m = exp_median(k, r);
			if (rel)
				m = a != 0 ? m / a : NAN;
			fprintf(f, isnan(m) ? " NaN" : " %.9g", m);
		}
		fputc('\n', f);
	}
	exp_done(o);
}

/* The node pair a row is about: its name ends in "src->dst". */
static bool exp_pair_of(const char *key, int *s, int *d)
{
	const char *p = strrchr(key, ' ');

	return sscanf(p ? p + 1 : key, "%d->%d", s, d) == 2;
}

/* The median of run r for the pair src->dst in the rows of group; NaN if there is none. */
static double exp_heat_value(const struct exp_item *it, const char *group, int src, int dst, int r)
{
	size_t gl = strlen(group);
	int s, d;

	for (int i = 0; i < it->nkeys; i++)
		if (exp_pair_of(it->keys[i].key, &s, &d) && s == src && d == dst &&
		    (!gl || (!strncmp(it->keys[i].key, group, gl) && it->keys[i].key[gl] == ' ')))
			return exp_median(&it->keys[i], r);
	return NAN;
}

static void exp_heat_row(FILE *f, int x, int y, double v)
{
	fprintf(f, isnan(v) ? "%d %d NaN\n" : "%d %d %.9g\n", x, y, v);
}

/* 4 or more nodes: per run, a heatmap of the first field's pair medians, for the first group of rows ("thp move_pages"). */
static void exp_write_heat(struct exp_out *o, struct exp_item *it, bool first_field)
{
	char what[512], suffix[8], value[128], group[96] = "", range[96];
	double lo = INFINITY, hi = -INFINITY;
	const char *sp = it->nkeys ? strrchr(it->keys[0].key, ' ') : NULL;
	int nodes = 0, s, d;

	if (sp)
		snprintf(group, sizeof(group), "%.*s", (int)(sp - it->keys[0].key), it->keys[0].key);
	for (int i = 0; i < it->nkeys; i++)
		if (exp_pair_of(it->keys[i].key, &s, &d))
			nodes = MAX(nodes, MAX(s, d) + 1);
	if (nodes < 4 || !first_field)
		return;
	/* one colour scale for every run, so that the maps compare */
	for (int r = 0; r < o->nruns; r++)
		for (int y = 0; y < nodes; y++)
			for (int x = 0; x < nodes; x++) {
				double v = exp_heat_value(it, group, y, x, r);

				lo = isnan(v) ? lo : MIN(lo, v);
				hi = isnan(v) ? hi : MAX(hi, v);
			}
	snprintf(range, sizeof(range), "cbmin = %.9g\ncbmax = %.9g\n", isinf(lo) ? 0 : lo,
		 isinf(hi) ? 1 : hi);
	for (int r = 0; r < o->nruns; r++) {
		enum exp_kind kind = it->kind;
		FILE *f;

		snprintf(what, sizeof(what), "%s: %s%s%s %s per node pair, run %c (%s)", it->scn,
			 it->path, group[0] ? " " : "", group, it->field, 'A' + r, o->runs[r].label);
		snprintf(suffix, sizeof(suffix), "-%c", 'A' + r);
		snprintf(value, sizeof(value), "%s (%s)", it->field, it->unit[0] ? it->unit : "value");
		it->kind = EXP_HEAT;
		f = exp_plot(o, it, suffix, what, "destination node", value, 1, false, false, range);
		it->kind = kind;
		/* the full grid, row by row, as gnuplot's image wants it; the diagonal is NaN */
		for (int y = 0; f && y < nodes; y++)
			for (int x = 0; x < nodes; x++)
				exp_heat_row(f, x, y, exp_heat_value(it, group, y, x, r));
		exp_done(o);
	}
}

/* Every repetition is a block; blocks of one run share a colour and one key entry. */
static void exp_write_timeline(struct exp_out *o, struct exp_item *it)
{
	char what[512], xlab[64], ylab[256], *extra = NULL;
	const char *unit = runs_unit_of(it->field);
	int blocks = 0, nb[RUNS_MAX] = { 0 };
	size_t len = 0;
	FILE *f, *x;

	for (int r = 0; r < o->nruns; r++) {
		if (!it->tl[r])
			continue;
		fclose(it->tl[r]);
		it->tl[r] = NULL;
		for (size_t i = 0; i < it->tllen[r]; i++)
			nb[r] += it->tlbuf[r][i] == '"' && (!i || it->tlbuf[r][i - 1] == '\n');
		blocks += nb[r];
	}
	x = open_memstream(&extra, &len);
	fprintf(x, "array blockrun[%d]\narray blockfirst[%d]\n", blocks, blocks);
	for (int r = 0, b = 1; r < o->nruns; r++)
		for (int i = 0; i < nb[r]; i++, b++)
			fprintf(x, "blockrun[%d] = %d\nblockfirst[%d] = %d\n", b, r + 1, b, !i);
	fclose(x);
	snprintf(what, sizeof(what), "%s: %s %s over time, every repetition", it->scn, it->path, it->field);
	snprintf(xlab, sizeof(xlab), "time (%s)", it->tunit[0] ? it->tunit : "?");
	snprintf(ylab, sizeof(ylab), "%s%s%s%s", it->field, unit ? " (" : "", unit ? unit : "", unit ? ")" : "");
	f = blocks ? exp_plot(o, it, "", what, xlab, ylab, blocks, false, false, extra) : NULL;
	for (int r = 0; r < o->nruns; r++) {
		if (f && it->tlbuf[r]) {
			fwrite(it->tlbuf[r], 1, it->tllen[r], f);
			/* repetition points end their block here */
			if (it->tllen[r] < 2 || strcmp(it->tlbuf[r] + it->tllen[r] - 2, "\n\n"))
				fputs("\n\n", f);
		}
		free(it->tlbuf[r]);
	}
	free(extra);
	exp_done(o);
}

static void exp_free(struct exp_ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		for (int r = 0; r < RUNS_MAX; r++)
			free(c->it[i]->b[r]);
		free(c->it[i]->keys);
		free(c->it[i]);
	}
	free(c->it);
}

/* Whether item i is the first pairs item of its array. */
static bool exp_first_field(const struct exp_ctx *c, int i)
{
	for (int j = 0; j < i; j++)
		if (c->it[j]->kind == EXP_PAIRS && !strcmp(c->it[j]->scn, c->it[i]->scn) &&
		    !strcmp(c->it[j]->path, c->it[i]->path))
			return false;
	return true;
}

static void exp_write_item(struct exp_out *o, struct exp_ctx *c, int i)
{
	struct exp_item *it = c->it[i];

	if (it->kind == EXP_CDF)
		exp_write_cdf(o, it);
	else if (it->kind == EXP_TIMELINE)
		exp_write_timeline(o, it);
	else
		exp_write_bars(o, it);
	if (it->kind == EXP_PAIRS)
		exp_write_heat(o, it, exp_first_field(c, i));
}

/* The plots these runs make, by scenario and kind; with dir, their data and variables written there. */
int export_plots(const struct run *runs, int nruns, const char *dir, struct export_plot **plots)
{
	struct exp_ctx c = { .runs = runs };
	struct exp_out o = { .dir = dir, .runs = runs, .nruns = nruns };
	static const enum exp_kind order[] = { EXP_CDF, EXP_PAIRS, EXP_TIMELINE, EXP_COUNTERS };

	report_title(runs, nruns, o.title, sizeof(o.title));
	exp_collect(&c, runs, nruns);
	for (int sc = 0; sc < runs[0].nscn; sc++) {
		for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
			for (int i = 0; i < c.n; i++)
				if (c.it[i]->kind == order[k] && !strcmp(c.it[i]->scn, runs[0].scn[sc].name))
					exp_write_item(&o, &c, i);
		}
	}
	exp_free(&c);
	*plots = o.plots;
	return o.n;
}

static const char *export_out;

static const struct opt export_opts[] = {
	{ "out", OPT_STR, &export_out, NULL, "directory for the data files (must exist)" },
	{ NULL }
};

int cmd_export(int argc, char **argv)
{
	struct run *runs = calloc(RUNS_MAX, sizeof(*runs));
	struct export_plot *plots;
	char *dirs[RUNS_MAX + 1];
	int n, np;

	n = report_args(export_opts, argc, argv, "migrace export --out DIR RUN...\n\n"
			"Writes plot data for runners/publish: per plot <N>-<kind>-....dat and a .gp file of\n"
			"gnuplot variables that loads plots/<kind>.gp (run it with plotdir set); prints the plots.",
			dirs);
	report_load_out(runs, n, dirs, "export", export_out);
	np = export_plots(runs, n, export_out, &plots);
	for (int i = 0; i < np; i++)
		printf("%s\t%s\n", plots[i].base, plots[i].caption);
	free(plots);
	runs_free(runs, n);
	free(runs);
	return EXIT_PASS;
}
