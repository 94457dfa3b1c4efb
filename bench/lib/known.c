/* known.c - the kernel bugs migrace has met (kernels/known-issues) and which one a failed result shows. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klog.h"
#include "known.h"
#include "util.h"

/* Where the catalogue is: the source tree's while it exists (runs from a build directory), else the installed one. */
#ifndef KNOWN_ISSUES_SRCDIR
#define KNOWN_ISSUES_SRCDIR ""
#endif
#ifndef KNOWN_ISSUES_DIR
#define KNOWN_ISSUES_DIR ""
#endif

#define KNOWN_AFTER_EXIT "after exit: "

/*
 * An installed migrace finds the catalogue beside itself first
 * (bindir/../share/migrace/kernels/known-issues), so that a tree staged
 * under DESTDIR or moved as a whole reads its own, not the build's path.
 */
static const char *known_beside_exe(void)
{
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../share/" PACKAGE "/kernels/known-issues", exe);
	return access(path, R_OK | X_OK) ? NULL : path;
}

const char *known_default_dir(void)
{
	const char *env = getenv("MIGRACE_KNOWN_ISSUES");
	const char *beside = known_beside_exe();

	if (env && env[0])
		return env;
	if (beside)
		return beside;
	if (KNOWN_ISSUES_SRCDIR[0] && !access(KNOWN_ISSUES_SRCDIR, R_OK | X_OK))
		return KNOWN_ISSUES_SRCDIR;
	return KNOWN_ISSUES_DIR;
}

/* ---- the catalogue's files ---- */

struct known_parse {
	const char *file;
	int line;
	char *err;
	size_t len;
};

static int known_err(struct known_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int known_err(struct known_parse *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->len, "%s:%d: ", p->file, p->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->len)
		vsnprintf(p->err + n, p->len - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* "6.1" or "6.1.192"; *ncomp says how many numbers it had. */
static long known_parse_version(const char *s, const char **end, int *ncomp)
{
	long v[3] = { 0, 0, 0 };
	int n = 0;

	while (n < 3 && isdigit((unsigned char)*s)) {
		char *e;

		v[n++] = strtol(s, &e, 10);
		s = e;
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	if (end)
		*end = s;
	if (ncomp)
		*ncomp = n;
	if (n < 2 || v[1] > 999 || v[2] > 999)
		return -1;
	return KNOWN_VERSION(v[0], v[1], v[2]);
}

/* The first version after v: "6.1" is a whole series (next 6.2), "6.1.159" one release. */
static long known_next(long v, int ncomp)
{
	return ncomp == 2 ? v + KNOWN_VERSION(0, 1, 0) : v + 1;
}

static bool known_op(const char *tok, size_t len, const char *op)
{
	return len == strlen(op) && !strncmp(tok, op, len);
}

/* "affected: >=6.1 <6.1.160": conditions that all hold, as one half-open range. */
static int known_parse_range(struct known_parse *p, struct known_issue *e, const char *val)
{
	struct known_range r = { 0, LONG_MAX };
	char buf[256], *tok, *save;

	if (e->nrange == KNOWN_MAX_RANGE)
		return known_err(p, "more than %d affected: lines", KNOWN_MAX_RANGE);
	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		size_t op = strspn(tok, "<>=");
		const char *end;
		int nc;
		long v = known_parse_version(tok + op, &end, &nc);

		if (v < 0 || *end || !op)
			return known_err(p, "'%s' is not a condition like >=6.1 or <6.1.160", tok);
		if (known_op(tok, op, ">="))
			r.lo = MAX(r.lo, v);
		else if (known_op(tok, op, ">"))
			r.lo = MAX(r.lo, known_next(v, nc));
		else if (known_op(tok, op, "<="))
			r.hi = MIN(r.hi, known_next(v, nc));
		else if (known_op(tok, op, "<"))
			r.hi = MIN(r.hi, v);
		else if (known_op(tok, op, "=")) {
			r.lo = MAX(r.lo, v);
			r.hi = MIN(r.hi, known_next(v, nc));
		} else
			return known_err(p, "'%s': the operators are >=, >, <=, < and =", tok);
	}
	if (r.lo >= r.hi)
		return known_err(p, "'%s' holds for no version", val);
	e->range[e->nrange++] = r;
	return 0;
}

/* "violation: status=a|b backend=c": every term must hold. */
static int known_parse_shape(struct known_parse *p, struct known_issue *e, const char *val)
{
	struct known_shape *sh = &e->shape[e->nshape];
	char buf[512], *tok, *save;

	if (e->nshape == KNOWN_MAX_SHAPE)
		return known_err(p, "more than %d violation: lines", KNOWN_MAX_SHAPE);
	memset(sh, 0, sizeof(*sh));
	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || !eq[1] || eq - tok >= (int)sizeof(sh->t[0].key) ||
		    strlen(eq + 1) >= sizeof(sh->t[0].vals))
			return known_err(p, "'%s' is not a term like status=not-a-stamp", tok);
		if (sh->n == KNOWN_MAX_TERM)
			return known_err(p, "more than %d terms", KNOWN_MAX_TERM);
		snprintf(sh->t[sh->n].key, sizeof(sh->t[0].key), "%.*s", (int)(eq - tok), tok);
		snprintf(sh->t[sh->n].vals, sizeof(sh->t[0].vals), "%s", eq + 1);
		sh->n++;
	}
	if (!sh->n)
		return known_err(p, "an empty violation: line");
	e->nshape++;
	return 0;
}

static int known_parse_log(struct known_parse *p, struct known_issue *e, const char *val)
{
	char why[128];
	int rc;

	if (e->nlog == KNOWN_MAX_LOG)
		return known_err(p, "more than %d log: lines", KNOWN_MAX_LOG);
	rc = regcomp(&e->log[e->nlog], val, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &e->log[e->nlog], why, sizeof(why));
		return known_err(p, "log: '%s': %s", val, why);
	}
	e->nlog++;
	return 0;
}

static int known_set_str(struct known_parse *p, char *dst, size_t len, const char *key,
			 const char *val)
{
	if (dst[0])
		return known_err(p, "a second %s: line", key);
	if (strlen(val) >= len)
		return known_err(p, "%s: longer than %zu characters", key, len - 1);
	snprintf(dst, len, "%s", val);
	return 0;
}

static int known_parse_line(struct known_parse *p, struct known_issue *e, const char *key,
			    const char *val)
{
	if (!strcmp(key, "name"))
		return known_set_str(p, e->name, sizeof(e->name), key, val);
	if (!strcmp(key, "title"))
		return known_set_str(p, e->title, sizeof(e->title), key, val);
	if (!strcmp(key, "release"))
		return known_set_str(p, e->release, sizeof(e->release), key, val);
	if (!strcmp(key, "cmdline"))
		return known_set_str(p, e->cmdline, sizeof(e->cmdline), key, val);
	if (!strcmp(key, "fix"))
		return known_set_str(p, e->fix, sizeof(e->fix), key, val);
	if (!strcmp(key, "affected"))
		return known_parse_range(p, e, val);
	if (!strcmp(key, "log"))
		return known_parse_log(p, e, val);
	if (!strcmp(key, "violation"))
		return known_parse_shape(p, e, val);
	if (!strcmp(key, "needs")) {
		if (!strcmp(val, "log"))
			e->needs = KNOWN_NEEDS_LOG;
		else if (!strcmp(val, "violation"))
			e->needs = KNOWN_NEEDS_VIOLATION;
		else
			return known_err(p, "needs: is log or violation, not '%s'", val);
		return 0;
	}
	/* For people: printed by nobody, kept in the file. */
	if (!strcmp(key, "stable") || !strcmp(key, "report") || !strcmp(key, "note"))
		return 0;
	return known_err(p, "unknown key '%s'", key);
}

/* What a whole entry must have, once its file is read. */
static int known_check(struct known_parse *p, struct known_issue *e, const char *base)
{
	if (!e->name[0] || !e->title[0])
		return known_err(p, "an entry needs name: and title:");
	if (strspn(e->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
	    strlen(e->name) || !strcmp(e->name, "none"))
		return known_err(p, "name '%s': letters, digits, '.', '_', '-' only, and not 'none'", e->name);
	if (strncmp(base, e->name, strlen(e->name)) || strcmp(base + strlen(e->name), ".txt"))
		return known_err(p, "name '%s' is not the file's name", e->name);
	if (!e->nlog && !e->nshape)
		return known_err(p, "no log: and no violation: line: the entry would explain nothing");
	if (e->needs == KNOWN_NEEDS_LOG && !e->nlog)
		return known_err(p, "needs: log without a log: line");
	if (e->needs == KNOWN_NEEDS_VIOLATION && !e->nshape)
		return known_err(p, "needs: violation without a violation: line");
	return 0;
}

static int known_load_file(struct known_set *s, const char *dir, const char *base, char *err,
			   size_t len)
{
	struct known_issue *e = &s->e[s->n];
	struct known_parse p = { .file = base, .err = err, .len = len };
	char path[PATH_MAX], line[1024];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, base);
	f = fopen(path, "re");
	if (!f)
		return known_err(&p, "%s", strerror(errno));
	memset(e, 0, sizeof(*e));
	while (!rc && fgets(line, sizeof(line), f)) {
		char *colon;

		p.line++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		colon = strstr(line, ": ");
		if (!colon || colon == line)
			rc = known_err(&p, "not a 'key: value' line");
		else {
			*colon = '\0';
			rc = known_parse_line(&p, e, line, colon + 2);
		}
	}
	fclose(f);
	if (!rc)
		rc = known_check(&p, e, base);
	s->n++;		/* even when broken: known_free frees its patterns */
	return rc;
}

static int known_is_entry(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && !strcmp(d->d_name + n - 4, ".txt");
}

/* Every DIR/NAME.txt, in name order; 0, or -1 with the first error in err. */
int known_load(struct known_set *s, const char *dir, char *err, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, known_is_entry, alphasort), rc = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (n < 0) {
		snprintf(err, len, "%s: %s", dir[0] ? dir : "(no catalogue directory)", strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!rc && s->n == KNOWN_MAX) {
			snprintf(err, len, "%s: more than %d entries", dir, KNOWN_MAX);
			rc = -1;
		}
		if (!rc)
			rc = known_load_file(s, dir, names[i]->d_name, err, len);
		free(names[i]);
	}
	free(names);
	if (!rc && !s->n) {
		snprintf(err, len, "%s: no entries (NAME.txt)", dir);
		rc = -1;
	}
	return rc;
}

void known_free(struct known_set *s)
{
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->e[i].nlog; j++)
			regfree(&s->e[i].log[j]);
	s->n = 0;
}

/* ---- matching a result ---- */

/*
 * The upstream version a kernel is built from. Debian's release names the
 * ABI (6.1.0-57-amd64), its version string the upstream release ("Debian
 * 6.1.192-2"); a kernel built by runners/kernel starts its release with it.
 */
long known_kernel_version(const char *release, const char *version)
{
	const char *deb = version ? strstr(version, "Debian ") : NULL;
	long v = deb ? known_parse_version(deb + 7, NULL, NULL) : -1;

	return v >= 0 || !release ? v : known_parse_version(release, NULL, NULL);
}

static const char *known_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static bool known_applies(const struct known_issue *e, json_object *result)
{
	json_object *prov = NULL;
	const char *rel;
	long v;

	json_object_object_get_ex(result, "provenance", &prov);
	rel = known_str(prov, "kernel_release");
	if (e->release[0] && fnmatch(e->release, rel, 0))
		return false;
	if (e->cmdline[0] && fnmatch(e->cmdline, known_str(prov, "kernel_cmdline"), 0))
		return false;
	if (!e->nrange)
		return true;
	v = known_kernel_version(rel, known_str(prov, "kernel_version"));
	for (int i = 0; i < e->nrange; i++)
		if (v >= e->range[i].lo && v < e->range[i].hi)
			return true;
	return false;
}

/* A kernel_log line as the kernel printed it: no "after exit: ", no "[ 12.345678] " from dmesg. */
static const char *known_bare_line(const char *s)
{
	if (!strncmp(s, KNOWN_AFTER_EXIT, strlen(KNOWN_AFTER_EXIT)))
		s += strlen(KNOWN_AFTER_EXIT);
	if (*s == '[') {
		size_t n = 1 + strspn(s + 1, " 0123456789.");

		if (s[n] == ']' && s[n + 1] == ' ')
			s += n + 2;
	}
	return s;
}

static bool known_alt(const char *vals, const char *have)
{
	size_t n = strlen(have);

	for (const char *p = vals; p; p = strchr(p, '|')) {
		if (*p == '|')
			p++;
		if (!strncmp(p, have, n) && (p[n] == '|' || !p[n]))
			return true;
	}
	return false;
}

static bool known_shape_fits(const struct known_shape *sh, json_object *v)
{
	for (int i = 0; i < sh->n; i++) {
		json_object *f;

		if (!json_object_object_get_ex(v, sh->t[i].key, &f) || !f ||
		    !known_alt(sh->t[i].vals, json_object_get_string(f)))
			return false;
	}
	return true;
}

/* What failed a result: its bad kernel-log lines and its first violation, else its reason. */
struct known_evidence {
	json_object *lines;	/* the kernel_log strings that klog_is_bad(), as recorded */
	json_object *violation;	/* metrics.first_violation when violations > 0, else NULL */
	bool other;		/* failed for neither: a hang, a broken precondition */
	char what[320];		/* the violation, or the reason, in words */
	int n;			/* pieces of evidence */
};

static void known_gather(json_object *result, struct known_evidence *ev)
{
	json_object *log = NULL, *metrics = NULL, *fv = NULL, *nv = NULL;

	memset(ev, 0, sizeof(*ev));
	ev->lines = json_object_new_array();
	json_object_object_get_ex(result, "kernel_log", &log);
	for (size_t i = 0; json_object_is_type(log, json_type_array) &&
	     i < json_object_array_length(log); i++) {
		json_object *l = json_object_array_get_idx(log, i);

		/* A stack or other context printed with a bad line fails nothing itself. */
		if (json_object_is_type(l, json_type_string) &&
		    klog_is_bad(known_bare_line(json_object_get_string(l))))
			json_object_array_add(ev->lines, json_object_get(l));
	}
	json_object_object_get_ex(result, "metrics", &metrics);
	json_object_object_get_ex(metrics, "violations", &nv);
	json_object_object_get_ex(metrics, "first_violation", &fv);
	if (json_object_get_int64(nv) > 0 && json_object_is_type(fv, json_type_object)) {
		ev->violation = fv;
		snprintf(ev->what, sizeof(ev->what), "violation: %s %s %s, node %s -> %s",
			 known_str(fv, "backend"), known_str(fv, "leg"), known_str(fv, "status"),
			 known_str(fv, "node_before"), known_str(fv, "node_after"));
	} else if (strncmp(known_str(result, "reason"), "kernel log", 10)) {
		/* No catalogue entry describes such a reason: it stays unexplained. */
		ev->other = true;
		snprintf(ev->what, sizeof(ev->what), "reason: %s", known_str(result, "reason"));
	}
	ev->n = json_object_array_length(ev->lines) + (ev->violation || ev->other);
}

/* How much of the evidence entry e explains; -1 if it cannot name this result at all. */
static int known_score(const struct known_issue *e, const struct known_evidence *ev,
		       bool *line_ok, bool *viol_ok)
{
	int lines = 0;

	for (size_t i = 0; i < json_object_array_length(ev->lines); i++) {
		const char *l = known_bare_line(json_object_get_string(json_object_array_get_idx(ev->lines, i)));

		line_ok[i] = false;
		for (int j = 0; j < e->nlog && !line_ok[i]; j++)
			line_ok[i] = !regexec(&e->log[j], l, 0, NULL, 0);
		lines += line_ok[i];
	}
	*viol_ok = false;
	for (int j = 0; ev->violation && j < e->nshape && !*viol_ok; j++)
		*viol_ok = known_shape_fits(&e->shape[j], ev->violation);
	if ((e->needs == KNOWN_NEEDS_LOG && !lines) || (e->needs == KNOWN_NEEDS_VIOLATION && !*viol_ok) ||
	    lines + *viol_ok == 0)
		return -1;
	return lines + *viol_ok;
}

static void known_unexplained(const struct known_evidence *ev, const bool *line_ok, bool viol_ok,
			      struct known_match *m)
{
	m->unexplained = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ev->lines); i++)
		if (!line_ok || !line_ok[i])
			json_object_array_add(m->unexplained,
					      json_object_get(json_object_array_get_idx(ev->lines, i)));
	if ((ev->violation && !viol_ok) || ev->other)
		json_object_array_add(m->unexplained, json_object_new_string(ev->what));
}

/*
 * The entry that names a failed result: one whose kernel range it is in,
 * whose needs it meets, and that explains every failing kernel-log line and
 * the violation (full); else the one that explains most of them (partial);
 * else none. Returns 0 for a result that did not fail (m untouched).
 */
int known_match(const struct known_set *s, json_object *result, struct known_match *m)
{
	struct known_evidence ev;
	bool *ok, *best_ok, viol_ok, best_viol = false;
	int best = -1;

	if (strcmp(known_str(result, "verdict"), "fail"))
		return 0;
	known_gather(result, &ev);
	ok = calloc(ev.n + 1, sizeof(*ok));
	best_ok = calloc(ev.n + 1, sizeof(*best_ok));
	if (!ok || !best_ok)
		abort();
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < s->n && m->how != KNOWN_FULL; i++) {
		int score;

		if (!known_applies(&s->e[i], result))
			continue;
		score = known_score(&s->e[i], &ev, ok, &viol_ok);
		if (score <= best)
			continue;
		best = score;
		best_viol = viol_ok;
		memcpy(best_ok, ok, ev.n * sizeof(*ok));
		m->issue = &s->e[i];
		m->explained = score;
		m->how = score == ev.n ? KNOWN_FULL : KNOWN_PARTIAL;
	}
	known_unexplained(&ev, m->issue ? best_ok : NULL, best_viol, m);
	json_object_put(ev.lines);
	free(ok);
	free(best_ok);
	return 1;
}

void known_match_free(struct known_match *m)
{
	json_object_put(m->unexplained);
	m->unexplained = NULL;
}

/* ---- writing the match into a result ---- */

static const char *const known_markers[] = { " (known issue: ", " (no known issue matches: " };

/* A reason without the note an earlier triage added, so that triage can run again. */
static void known_strip_note(char *reason)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_markers); i++) {
		char *p, *end;

		while ((p = strstr(reason, known_markers[i])) && (end = strchr(p, ')')))
			memmove(p, end + 1, strlen(end + 1) + 1);
	}
}

static const char *const known_how_name[] = { "none", "partial", "full" };

static json_object *known_json(const struct known_match *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(m->issue ? m->issue->name : "none"));
	json_object_object_add(o, "match", json_object_new_string(known_how_name[m->how]));
	if (m->issue) {
		json_object_object_add(o, "title", json_object_new_string(m->issue->title));
		if (m->issue->fix[0])
			json_object_object_add(o, "fix", json_object_new_string(m->issue->fix));
	}
	json_object_object_add(o, "explained", json_object_new_int(m->explained));
	json_object_object_add(o, "unexplained", json_object_get(m->unexplained));
	return o;
}

/*
 * Names the known issue in a failed result: a note at the end of its reason
 * and a known_issue object. The verdict stays fail: that kernel does fail.
 * Returns 1 for a failed result, 0 for any other (left as it was).
 */
int known_triage(const struct known_set *s, json_object *result)
{
	struct known_match m;
	char reason[1024];
	size_t n;

	if (!known_match(s, result, &m))
		return 0;
	snprintf(reason, sizeof(reason), "%s", known_str(result, "reason"));
	known_strip_note(reason);
	n = strlen(reason);
	if (m.how == KNOWN_FULL)
		snprintf(reason + n, sizeof(reason) - n, " (known issue: %s)", m.issue->name);
	else if (m.how == KNOWN_PARTIAL)
		snprintf(reason + n, sizeof(reason) - n, " (known issue: %s, plus %zu unexplained)",
			 m.issue->name, json_object_array_length(m.unexplained));
	else
		snprintf(reason + n, sizeof(reason) - n, " (no known issue matches: new)");
	json_object_object_add(result, "reason", json_object_new_string(reason));
	json_object_object_add(result, "known_issue", known_json(&m));
	known_match_free(&m);
	return 1;
}

/* For migrace run: the catalogue found by known_default_dir(), read once. */
void known_triage_default(json_object *result)
{
	static struct known_set set;
	static int loaded;	/* 1 read, -1 unreadable */
	char err[512];

	if (strcmp(known_str(result, "verdict"), "fail"))
		return;
	if (!loaded) {
		loaded = known_load(&set, known_default_dir(), err, sizeof(err)) ? -1 : 1;
		if (loaded < 0)
			msg("known issues not checked: %s", err);
	}
	if (loaded > 0)
		known_triage(&set, result);
}

/* "6.1-x: 2, new: 1" for the failed ones among reps ("" when none failed); returns how many are new. */
int known_tally(json_object *const *reps, int n, char *buf, size_t len)
{
	char names[16][80];
	int count[16] = { 0 }, k = 0, fresh = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		json_object *ki = NULL;
		char name[80];
		int j;

		if (strcmp(known_str(reps[i], "verdict"), "fail"))
			continue;
		if (!json_object_object_get_ex(reps[i], "known_issue", &ki))
			snprintf(name, sizeof(name), "not triaged");
		else if (!strcmp(known_str(ki, "match"), "none") && ++fresh)
			snprintf(name, sizeof(name), "new");
		else
			snprintf(name, sizeof(name), "%.60s%s", known_str(ki, "name"),
				 strcmp(known_str(ki, "match"), "partial") ? "" : " (partly)");
		for (j = 0; j < k && strcmp(names[j], name); j++)
			;
		if (j == k && k < (int)ARRAY_SIZE(names))
			snprintf(names[k++], sizeof(names[0]), "%s", name);
		if (j < k)
			count[j]++;
	}
	for (int j = 0; j < k && used < len; j++)
		used += snprintf(buf + used, len - used, "%s%s: %d", j ? ", " : "", names[j], count[j]);
	return fresh;
}
