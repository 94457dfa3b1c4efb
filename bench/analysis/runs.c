/* runs.c - run directories written by runners/run, read back: results per scenario, metrics flattened. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result.h"
#include "runs.h"
#include "util.h"

/* "<scenario>-rep<N>.json": the scenario and N, or 0 for any other name (warm-up runs included). */
static int runs_rep_name(const char *file, char *scn, size_t len)
{
	const char *dot = strrchr(file, '.'), *rep = NULL, *p;
	int n = 0;

	if (!dot || strcmp(dot, ".json"))
		return 0;
	for (p = strstr(file, "-rep"); p; p = strstr(p + 1, "-rep"))
		rep = p;
	if (!rep || rep == file || rep + 4 == dot || (size_t)(rep - file) >= len)
		return 0;
	for (p = rep + 4; p < dot; p++) {
		if (*p < '0' || *p > '9' || n > 100000)
			return 0;
		n = n * 10 + (*p - '0');
	}
	memcpy(scn, file, rep - file);
	scn[rep - file] = '\0';
	return n;
}

#define RUNS_FILE_MAX	(64 << 20)	/* far beyond any result: a bigger file is not one */

/* The whole file, NUL-terminated, or NULL with *why said. */
static char *runs_slurp(const char *path, size_t *len, const char **why)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		*why = strerror(errno);
		return NULL;
	}
	for (size_t got = 1; got; n += got) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > RUNS_FILE_MAX || !(buf = realloc(buf, cap)))
				break;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
	}
	*why = ferror(f) ? strerror(errno) : cap > RUNS_FILE_MAX ? "larger than 64 MiB" :
	       !buf ? strerror(ENOMEM) : NULL;
	fclose(f);
	if (*why) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * A result or provenance, or exit 2 naming the file and what is wrong with
 * it: a file cut short by a crash says so, with the byte where it ends.
 */
static json_object *runs_parse(const char *path)
{
	struct json_tokener *tok;
	enum json_tokener_error err;
	const char *why;
	json_object *o;
	size_t len, end;
	char *text = runs_slurp(path, &len, &why);

	if (!text)
		usage_error("%s: cannot read it: %s", path, why);
	if (!text[strspn(text, " \t\r\n")])
		usage_error("%s: empty (truncated?)", path);
	if (memchr(text, '\0', len))
		usage_error("%s: not a result: a NUL byte at byte %zu", path, strlen(text));
	tok = json_tokener_new();
	if (!tok)
		abort();
	o = json_tokener_parse_ex(tok, text, len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (err == json_tokener_continue)
		usage_error("%s: not valid JSON: it ends at byte %zu in the middle of a value (truncated?)",
			    path, len);
	if (err != json_tokener_success)
		usage_error("%s: not valid JSON at byte %zu: %s", path, end,
			    json_tokener_error_desc(err));
	if (text[end + strspn(text + end, " \t\r\n")])
		usage_error("%s: not valid JSON: more after the value, at byte %zu", path, end);
	free(text);
	if (!json_object_is_type(o, json_type_object))
		usage_error("%s: not a result: not a JSON object", path);
	return o;
}

static struct run_scn *runs_scn_get(struct run *r, const char *name)
{
	for (int i = 0; i < r->nscn; i++)
		if (!strcmp(r->scn[i].name, name))
			return &r->scn[i];
	if (r->nscn == RUNS_MAX_SCN)
		usage_error("%s: more than %d scenarios", r->dir, RUNS_MAX_SCN);
	snprintf(r->scn[r->nscn].name, sizeof(r->scn[0].name), "%s", name);
	return &r->scn[r->nscn++];
}

/*
 * Counters sit beside the metrics in a result, with their availability and
 * cross-checks; their values per phase, counters.<phase>.<counter>, are
 * compared and plotted as metrics.
 */
static void runs_counters(json_object *metrics, json_object *counters)
{
	json_object *phases, *out;

	if (json_object_object_get_ex(metrics, "counters", NULL) ||
	    !json_object_object_get_ex(counters, "phases", &phases) ||
	    !json_object_is_type(phases, json_type_object))
		return;
	out = json_object_new_object();
	json_object_object_foreach(phases, phase, p) {
		json_object *values, *one = json_object_new_object(), *v;

		if (json_object_object_get_ex(p, "duration_ns", &v))
			json_object_object_add(one, "duration_ns", json_object_get(v));
		if (json_object_object_get_ex(p, "values", &values) &&
		    json_object_is_type(values, json_type_object)) {
			json_object_object_foreach(values, name, c)
				if (json_object_object_get_ex(c, "value", &v))
					json_object_object_add(one, name, json_object_get(v));
		}
		json_object_object_add(out, phase, one);
	}
	json_object_object_add(metrics, "counters", out);
}

/* A string member, or "" when there is none. */
static const char *runs_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* A member that must have a type when it is there; required ones must be there. */
static void runs_want(json_object *o, const char *path, const char *key, enum json_type type,
		      bool required)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			usage_error("%s: not a result: no \"%s\"", path, key);
		return;
	}
	if (!json_object_is_type(v, type))
		usage_error("%s: not a result: \"%s\" is %s, not %s", path, key,
			    json_type_to_name(json_object_get_type(v)), json_type_to_name(type));
}

/*
 * What the readers rely on, checked once here, so that a result damaged in
 * any way is refused with its name and the reason rather than read wrong.
 */
static void runs_check(json_object *o, const char *path, const char *scn_name)
{
	static const char *const verdicts[] = { "pass", "fail", "skip", NULL };
	const char *verdict;
	int i;

	runs_want(o, path, "schema", json_type_string, true);
	if (strcmp(runs_str(o, "schema"), RESULT_SCHEMA))
		usage_error("%s: not a %s result (schema \"%.40s\")", path, RESULT_SCHEMA,
			    runs_str(o, "schema"));
	runs_want(o, path, "scenario", json_type_string, true);
	if (strcmp(runs_str(o, "scenario"), scn_name))
		usage_error("%s: holds scenario '%.40s', its name says '%s'", path,
			    runs_str(o, "scenario"), scn_name);
	runs_want(o, path, "verdict", json_type_string, true);
	verdict = runs_str(o, "verdict");
	for (i = 0; verdicts[i] && strcmp(verdicts[i], verdict); i++)
		;
	if (!verdicts[i])
		usage_error("%s: not a result: verdict \"%.40s\" is not pass, fail or skip", path, verdict);
	runs_want(o, path, "metrics", json_type_object, true);
	runs_want(o, path, "reason", json_type_string, false);
	runs_want(o, path, "provenance", json_type_object, false);
	runs_want(o, path, "counters", json_type_object, false);
	runs_want(o, path, "kernel_log", json_type_array, false);
	runs_want(o, path, "known_issue", json_type_object, false);
}

static void runs_add_rep(struct run *r, const char *path, const char *scn_name)
{
	json_object *o = runs_parse(path), *v;
	struct run_scn *s;
	const char *verdict;

	runs_check(o, path, scn_name);
	if (json_object_object_get_ex(o, "counters", &v) && v)
		runs_counters(json_object_object_get(o, "metrics"), v);
	if (!r->prov && json_object_object_get_ex(o, "provenance", &v) && v)
		r->prov = json_object_get(v);
	s = runs_scn_get(r, scn_name);
	verdict = runs_str(o, "verdict");
	if (!strcmp(verdict, "skip")) {
		s->skipped++;
		json_object_put(o);
		return;
	}
	s->failed += !strcmp(verdict, "fail");
	if (s->nreps == RUNS_MAX_REPS)
		usage_error("%s: more than %d repetitions of %s", r->dir, RUNS_MAX_REPS, scn_name);
	s->reps[s->nreps++] = o;
}

struct runs_file {
	int rep;
	char scn[32];
	char name[256];
};

static int runs_file_cmp(const void *a, const void *b)
{
	const struct runs_file *x = a, *y = b;
	int c = strcmp(x->scn, y->scn);

	return c ? c : x->rep - y->rep;
}

/* The results of one run, in scenario and repetition order. */
static void runs_load_reps(struct run *r)
{
	DIR *d = opendir(r->dir);
	struct dirent *e;
	struct runs_file *f = NULL;
	size_t n = 0;
	char path[PATH_MAX + 256];

	if (!d)
		usage_error("%s: cannot read the run directory: %s", r->dir, strerror(errno));
	while ((e = readdir(d))) {
		struct runs_file one = { 0 };

		one.rep = runs_rep_name(e->d_name, one.scn, sizeof(one.scn));
		if (!one.rep || strlen(e->d_name) >= sizeof(one.name))
			continue;
		snprintf(one.name, sizeof(one.name), "%s", e->d_name);
		f = realloc(f, (n + 1) * sizeof(*f));
		if (!f)
			abort();
		f[n++] = one;
	}
	closedir(d);
	/* a run whose machine died before its first result still gets its report */
	if (!n && strcmp(r->status, "incomplete"))
		usage_error("%s: no <scenario>-rep<N>.json results: not a run directory", r->dir);
	if (n)	/* qsort of NULL is undefined, even for no elements (UBSan) */
		qsort(f, n, sizeof(*f), runs_file_cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, f[i].name);
		runs_add_rep(r, path, f[i].scn);
	}
	free(f);
}

/* <kernel-release>[-<label>] of the run, from its provenance, else its parent directory's name. */
static void runs_label(struct run *r)
{
	json_object *suite;
	const char *rel = runs_prov_str(r, "kernel_release"), *lbl = "";
	char parent[PATH_MAX], *slash;

	if (r->prov && json_object_object_get_ex(r->prov, "suite", &suite) &&
	    json_object_object_get_ex(suite, "label", &suite) &&
	    json_object_is_type(suite, json_type_string))
		lbl = json_object_get_string(suite);
	if (rel[0]) {
		snprintf(r->label, sizeof(r->label), "%s%s%s", rel, lbl[0] ? "-" : "", lbl);
		return;
	}
	snprintf(parent, sizeof(parent), "%s", r->dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	slash = strrchr(parent, '/');
	snprintf(r->label, sizeof(r->label), "%.159s", slash ? slash + 1 : parent);
}

static void runs_load_one(struct run *r, const char *dir)
{
	char path[PATH_MAX + 32];
	struct stat st;

	memset(r, 0, sizeof(*r));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		usage_error("%s: no such run directory", dir);
	if (!realpath(dir, r->dir))
		usage_error("%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/STATUS", r->dir);
	if (read_text(path, r->status, sizeof(r->status)) < 0)
		snprintf(r->status, sizeof(r->status), "unknown");
	r->status[strcspn(r->status, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/provenance.json", r->dir);
	if (!access(path, F_OK))
		r->prov = runs_parse(path);
	runs_load_reps(r);
	runs_label(r);
}

/* Loads every run or ends the process with exit status 2 and one line naming what was wrong. */
void runs_load(struct run *runs, int nruns, char **dirs)
{
	if (nruns > RUNS_MAX)
		usage_error("at most %d runs at once (got %d)", RUNS_MAX, nruns);
	for (int i = 0; i < nruns; i++) {
		runs_load_one(&runs[i], dirs[i]);
		for (int j = 0; j < i; j++) {
			if (!strcmp(runs[j].dir, runs[i].dir))
				usage_error("%s: the same run given twice", dirs[i]);
			if (!strcmp(runs[j].label, runs[i].label)) {
				const char *ts = strrchr(runs[i].dir, '/');
				size_t l = strlen(runs[i].label);

				snprintf(runs[i].label + l, sizeof(runs[i].label) - l, "@%s", ts ? ts + 1 : "");
			}
		}
	}
}

const struct run_scn *runs_scenario(const struct run *r, const char *name)
{
	for (int i = 0; i < r->nscn; i++)
		if (!strcmp(r->scn[i].name, name))
			return &r->scn[i];
	return NULL;
}

/*
 * Runs are comparable only if they ran the same scenarios; an incomplete
 * run (it was interrupted, or its machine died) may lack the last ones.
 */
void runs_check_same_scenarios(const struct run *runs, int nruns)
{
	for (int i = 1; i < nruns; i++) {
		for (int k = 0; k < runs[i].nscn; k++)
			if (!runs_scenario(&runs[0], runs[i].scn[k].name) &&
			    strcmp(runs[0].status, "incomplete"))
				usage_error("runs of different scenarios: %s has %s, %s has not",
					    runs[i].dir, runs[i].scn[k].name, runs[0].dir);
		for (int k = 0; k < runs[0].nscn; k++)
			if (!runs_scenario(&runs[i], runs[0].scn[k].name) &&
			    strcmp(runs[i].status, "incomplete"))
				usage_error("runs of different scenarios: %s has %s, %s has not",
					    runs[0].dir, runs[0].scn[k].name, runs[i].dir);
	}
}

const char *runs_prov_str(const struct run *r, const char *key)
{
	json_object *v;

	if (!r->prov || !json_object_object_get_ex(r->prov, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

/* The unit a metric's name ends with, by migrace's naming convention. */
const char *runs_unit_of(const char *name)
{
	static const struct { const char *suffix, *unit; } units[] = {
		{ "_ns", "ns" }, { "_us", "us" }, { "_ms", "ms" }, { "_s", "s" },
		{ "_bytes", "B" }, { "_mib", "MiB" }, { "_per_s", "1/s" },
		{ "_mib_per_s", "MiB/s" }, { "_mbps", "MB/s" }, { "_gbps", "GB/s" },
		{ "_pct", "%" }, { "_percent", "%" },
	};
	const char *unit = NULL, *leaf = name + strlen(name);
	char last[80];
	size_t n, best = 0;

	/* the last component, as if it began with '_': "hops[0->1].mib_per_s" -> "_mib_per_s" */
	while (leaf > name && leaf[-1] != '.' && leaf[-1] != ']')
		leaf--;
	n = snprintf(last, sizeof(last), "_%s", leaf);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].suffix);

		if (n >= l && l > best && !strcmp(last + n - l, units[i].suffix)) {
			unit = units[i].unit;
			best = l;
		}
	}
	return unit;
}

/* The key a timeline's samples are stamped with, if o (an object) has one. */
const char *runs_time_key(json_object *o)
{
	static const char *const keys[] = {
		"t_ns", "t_us", "t_ms", "t_s", "time_ns", "time_us", "time_ms", "time_s",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (json_object_object_get_ex(o, keys[i], NULL))
			return keys[i];
	return NULL;
}

static void runs_walk(json_object *o, char *name, size_t len, run_value_fn fn, void *arg);

/* A histogram stands for its percentiles; its buckets go to the CDF plots. */
static void runs_walk_hist(json_object *o, char *name, size_t len, run_value_fn fn, void *arg)
{
	static const char *const pct[] = { "p50", "p90", "p99", "max" };
	json_object *v;
	struct run_value val;

	val.unit = json_object_object_get_ex(o, "unit", &v) && json_object_is_type(v, json_type_string) ?
		   json_object_get_string(v) : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(pct); i++) {
		if (!json_object_object_get_ex(o, pct[i], &v))
			continue;
		snprintf(val.name, sizeof(val.name), "%s.%s", name, pct[i]);
		val.v = json_object_get_double(v);
		fn(&val, arg);
	}
}

/*
 * An array element's name: its short one-word strings (driver, page size...)
 * and src->dst when it is about a node pair, else its index:
 * "thp move_pages 0->1", "0->1", "3".
 */
void runs_elem_name(json_object *e, size_t i, char *buf, size_t len)
{
	json_object *s, *d;
	size_t used = 0;
	int words = 0;

	buf[0] = '\0';
	json_object_object_foreach(e, key, v) {
		const char *str = json_object_get_string(v);

		(void)key;
		if (!json_object_is_type(v, json_type_string) || !str[0] || strlen(str) > 24 ||
		    strpbrk(str, " \t\n[]") || words++ == 3 || used >= len)
			continue;
		used += snprintf(buf + used, len - used, "%s%s", used ? " " : "", str);
	}
	if (used < len && json_object_object_get_ex(e, "src", &s) && json_object_object_get_ex(e, "dst", &d))
		used += snprintf(buf + used, len - used, "%s%d->%d", used ? " " : "",
				 json_object_get_int(s), json_object_get_int(d));
	if (!used)
		snprintf(buf, len, "%zu", i);
}

/* Calls back for each object element of an array, with its name appended as [name]. */
static void runs_each_elem(json_object *o, char *name, size_t len,
			   void (*fn)(json_object *e, char *name, size_t len, void *arg), void *arg)
{
	size_t base = strlen(name);
	char elem[96];

	for (size_t i = 0; i < json_object_array_length(o); i++) {
		json_object *e = json_object_array_get_idx(o, i);

		if (!json_object_is_type(e, json_type_object))
			continue;
		runs_elem_name(e, i, elem, sizeof(elem));
		snprintf(name + base, len - base, "[%s]", elem);
		fn(e, name, len, arg);
	}
	name[base] = '\0';
}

struct runs_walk_arg {
	run_value_fn fn;
	void *arg;
};

static void runs_walk_elem(json_object *e, char *name, size_t len, void *arg)
{
	struct runs_walk_arg *w = arg;

	runs_walk(e, name, len, w->fn, w->arg);
}

/* Arrays of numbers and timelines (elements stamped t_ms etc.) are series, for plots only. */
static void runs_walk_array(json_object *o, char *name, size_t len, run_value_fn fn, void *arg)
{
	struct runs_walk_arg w = { fn, arg };

	if (json_object_is_type(json_object_array_get_idx(o, 0), json_type_object) &&
	    runs_time_key(json_object_array_get_idx(o, 0)))
		return;
	runs_each_elem(o, name, len, runs_walk_elem, &w);
}

static void runs_walk(json_object *o, char *name, size_t len, run_value_fn fn, void *arg)
{
	size_t base = strlen(name);
	struct run_value val;

	switch (json_object_get_type(o)) {
	case json_type_int:
	case json_type_double:
		snprintf(val.name, sizeof(val.name), "%s", name);
		val.unit = runs_unit_of(name);
		val.v = json_object_get_double(o);
		fn(&val, arg);
		break;
	case json_type_object:
		if (runs_is_hist(o)) {
			runs_walk_hist(o, name, len, fn, arg);
			break;
		}
		json_object_object_foreach(o, key, child) {
			snprintf(name + base, len - base, "%s%s", base ? "." : "", key);
			runs_walk(child, name, len, fn, arg);
			name[base] = '\0';
		}
		break;
	case json_type_array:
		runs_walk_array(o, name, len, fn, arg);
		break;
	default:	/* strings, booleans and nulls are not figures */
		break;
	}
}

/* Calls fn for every number in a result's metrics, under a flattened name such as hops[0->1].elapsed_ns. */
void runs_flatten(json_object *metrics, run_value_fn fn, void *arg)
{
	char name[192] = "";

	runs_walk(metrics, name, sizeof(name), fn, arg);
}

static void runs_nodes(json_object *o, char *name, size_t len, run_node_fn fn, void *arg);

struct runs_nodes_arg {
	run_node_fn fn;
	void *arg;
};

static void runs_nodes_elem(json_object *e, char *name, size_t len, void *arg)
{
	struct runs_nodes_arg *w = arg;

	runs_nodes(e, name, len, w->fn, w->arg);
}

/* Every object and array under metrics, pre-order, named as runs_flatten names numbers; histograms are leaves. */
static void runs_nodes(json_object *o, char *name, size_t len, run_node_fn fn, void *arg)
{
	size_t base = strlen(name);
	struct runs_nodes_arg w = { fn, arg };

	if (json_object_is_type(o, json_type_array)) {
		fn(name, o, arg);
		runs_each_elem(o, name, len, runs_nodes_elem, &w);
	} else if (json_object_is_type(o, json_type_object)) {
		fn(name, o, arg);
		if (runs_is_hist(o))
			return;
		json_object_object_foreach(o, key, child) {
			snprintf(name + base, len - base, "%s%s", base ? "." : "", key);
			runs_nodes(child, name, len, fn, arg);
		}
		name[base] = '\0';
	}
}

void runs_walk_nodes(json_object *metrics, run_node_fn fn, void *arg)
{
	char name[192] = "";

	runs_nodes(metrics, name, sizeof(name), fn, arg);
}

bool runs_is_hist(json_object *o)
{
	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "buckets", NULL) &&
	       json_object_object_get_ex(o, "p50", NULL);
}

void runs_free(struct run *runs, int nruns)
{
	for (int i = 0; i < nruns; i++) {
		for (int k = 0; k < runs[i].nscn; k++)
			for (int j = 0; j < runs[i].scn[k].nreps; j++)
				json_object_put(runs[i].scn[k].reps[j]);
		json_object_put(runs[i].prov);
	}
}
