/* unit-known.c - the known-issue catalogue and its matcher, on stored results (tests/data/known) and variants of them. */
#include "config.h"

#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "known.h"
#include "tap.h"

#define RACE61 "6.1-change-pmd-range-clears-migration-entry"
#define PC "positive-control-migrates-pinned-thp"
#define KBR "known-bad-refcount-migrates-referenced-pages"
#define LOSSY "lossy-thp-copy-loses-data-at-rest"
#define RXEODP "rxe-odp-copy-ignores-page-offset"
#define MTTCG "qemu-mttcg-stale-patched-text"

/* What each stored result must give: the entry (NULL none), how, and how much stays unexplained. */
static const struct {
	const char *file, *issue;
	enum known_how how;
	int unexplained;
	const char *why;
} cases[] = {
	{ "61-race.json", RACE61, KNOWN_FULL, 0, "bad pmd while running, vmsplice not-a-stamp" },
	{ "61-race-after-exit.json", RACE61, KNOWN_FULL, 0, "with runners/run's after-exit lines" },
	{ "61-after-exit-bad-hash.json", RACE61, KNOWN_FULL, 0, "after-exit lines only, a zero payload" },
	{ "61-pin-stale.json", RACE61, KNOWN_FULL, 0, "a pin still on the THP the walker unmapped: stale data" },
	{ "positive-control.json", PC, KNOWN_FULL, 0, "stale data through io_uring fixed buffers" },
	{ "positive-control-rdma-torn.json", PC, KNOWN_FULL, 0, "a block torn between RDMA READ's packets" },
	{ "positive-control-uring-torn.json", PC, KNOWN_FULL, 0, "a block torn by its writer, through io_uring" },
	{ "known-bad-refcount.json", KBR, KNOWN_FULL, 0, "torn data through vmsplice" },
	{ "lossy-thp-copy.json", LOSSY, KNOWN_FULL, 0, "data lost at rest by THP migration's copy" },
	{ "lossy-thp-copy-smoke.json", LOSSY, KNOWN_FULL, 0, "smoke: data changed by move_pages" },
	{ "lossy-thp-copy-thp-migrate.json", LOSSY, KNOWN_FULL, 0, "thp-migrate: data changed by a move" },
	{ "lossy-thp-copy-numa-fault.json", LOSSY, KNOWN_FULL, 0, "numa-fault: contents lost after balancing" },
	{ "rxe-odp-7.2.json", RXEODP, KNOWN_FULL, 0, "wrong bytes through an ODP registration, before any migration" },
	{ "mttcg-int3.json", MTTCG, KNOWN_FULL, 0, "an int3 oops under multi-threaded TCG" },
	{ "61-violation-only.json", NULL, KNOWN_NONE, 1, "zero-filled data alone names no bug" },
	{ "61-new-oops.json", NULL, KNOWN_NONE, 2, "a NULL dereference on 6.1 is new" },
	{ "612-same-lines.json", NULL, KNOWN_NONE, 4, "the 6.1 lines on 6.12 are not that bug" },
	{ "61160-backport.json", NULL, KNOWN_NONE, 4, "6.1.160 had the fix" },
	{ "61-bad-pmd-plus-bug.json", RACE61, KNOWN_PARTIAL, 1, "bad pmd plus an unrelated BUG" },
};

static char dir[4096];

static json_object *load(const char *file)
{
	char path[4200];
	json_object *o;

	snprintf(path, sizeof(path), "%s/tests/data/known/%s", dir, file);
	o = json_object_from_file(path);
	if (!o)
		tap_diag("%s: unreadable", path);
	return o;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static void check_case(const struct known_set *s, int i)
{
	json_object *r = load(cases[i].file);
	struct known_match m;
	const char *name;
	int failed;

	if (!r) {
		tap_ok(0, "%s: loaded", cases[i].file);
		return;
	}
	failed = known_match(s, r, &m);
	name = m.issue ? m.issue->name : "none";
	tap_ok(failed && !strcmp(name, cases[i].issue ? cases[i].issue : "none") &&
	       m.how == cases[i].how &&
	       (int)json_object_array_length(m.unexplained) == cases[i].unexplained,
	       "%s: %s (%s, %s, %d unexplained)", cases[i].file, cases[i].why, name,
	       failed ? (const char *[]){ "none", "partial", "full" }[m.how] : "not failed",
	       failed ? (int)json_object_array_length(m.unexplained) : -1);
	if (failed)
		known_match_free(&m);
	json_object_put(r);
}

/* The note in the reason, the object beside it, the verdict kept, and a second triage changing nothing. */
static void check_triage(const struct known_set *s, const char *file, const char *note)
{
	json_object *r = load(file), *ki = NULL;
	char before[1024], once[1024];

	if (!r) {
		tap_ok(0, "%s: loaded", file);
		return;
	}
	snprintf(before, sizeof(before), "%s", str(r, "reason"));
	known_triage(s, r);
	snprintf(once, sizeof(once), "%s", str(r, "reason"));
	json_object_object_get_ex(r, "known_issue", &ki);
	tap_ok(!strncmp(once, before, strlen(before)) && !strcmp(once + strlen(before), note) &&
	       !strcmp(str(r, "verdict"), "fail") && ki,
	       "%s: reason ends '%s', verdict fail, known_issue set", file, note);
	known_triage(s, r);
	tap_ok(!strcmp(str(r, "reason"), once), "%s: triage twice gives the same reason: %s", file,
	       str(r, "reason"));
	json_object_put(r);
}

/*
 * A scenario's content failure named only by its violation fields: the
 * same result without them (as recorded before smoke, thp-migrate and
 * numa-fault had them) is reason alone, which no entry explains.
 */
static void check_reason_only(const struct known_set *s, const char *file)
{
	json_object *r = load(file), *metrics = NULL;
	struct known_match m;
	int failed;

	if (!r) {
		tap_ok(0, "%s: loaded", file);
		return;
	}
	json_object_object_get_ex(r, "metrics", &metrics);
	json_object_object_del(metrics, "violations");
	json_object_object_del(metrics, "first_violation");
	failed = known_match(s, r, &m);
	tap_ok(failed && !m.issue && m.how == KNOWN_NONE,
	       "%s without metrics.violations: no known issue (%s)", file,
	       m.issue ? m.issue->name : "none");
	if (failed)
		known_match_free(&m);
	json_object_put(r);
}

/*
 * The entry that names stored result FILE once its provenance has the KEY,
 * VALUE pairs of kv (NULL-ended): "none" if none, NULL if FILE is unreadable.
 */
static const char *named_with(const struct known_set *s, const char *file, const char *const *kv)
{
	json_object *r = load(file), *prov;
	struct known_match m;
	const char *name;

	if (!r)
		return NULL;
	json_object_object_get_ex(r, "provenance", &prov);
	for (; *kv; kv += 2)
		json_object_object_add(prov, kv[0], json_object_new_string(kv[1]));
	known_match(s, r, &m);
	name = m.issue ? m.issue->name : "none";
	known_match_free(&m);
	json_object_put(r);
	return name;
}

/* 61-race.json on another kernel: does the 6.1 entry still name it? */
static void check_release(const struct known_set *s, const char *release, const char *version,
			  bool named)
{
	const char *kv[] = { "kernel_release", release, "kernel_version", version, NULL };
	const char *name = named_with(s, "61-race.json", kv);

	tap_ok(name && !strcmp(name, RACE61) == named, "%s (%s): %s", release, version,
	       named ? "in the 6.1 entry's range" : "outside it");
}

/* mttcg-int3.json booted single-threaded: the emulator entry no longer applies. */
static void check_single_threaded(const struct known_set *s)
{
	const char *kv[] = { "kernel_cmdline", "console=ttyS0 migrace.accel=tcg migrace.tcg=single", NULL };
	const char *name = named_with(s, "mttcg-int3.json", kv);

	tap_ok(name && !strcmp(name, "none"), "an int3 oops under single-threaded TCG is new (%s)",
	       name ? name : "unreadable");
}

/* 61-race.json with other kernel-log lines. */
static void check_lines(const struct known_set *s, const char *const *lines, enum known_how how,
			const char *why)
{
	json_object *r = load("61-race.json"), *log = json_object_new_array();
	struct known_match m;

	if (!r) {
		tap_ok(0, "61-race.json: loaded");
		json_object_put(log);
		return;
	}
	for (; *lines; lines++)
		json_object_array_add(log, json_object_new_string(*lines));
	json_object_object_add(r, "kernel_log", log);
	known_match(s, r, &m);
	tap_ok(m.how == how, "%s", why);
	known_match_free(&m);
	json_object_put(r);
}

static void check_versions(void)
{
	static const struct {
		const char *rel, *ver;
		long want;
	} v[] = {
		{ "6.1.0-57-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)", KNOWN_VERSION(6, 1, 192) },
		{ "6.12.95+deb12-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.95-1~bpo12+1 (2026-10-30)", KNOWN_VERSION(6, 12, 95) },
		{ "6.1.192-migrace-positive-control", "#1 SMP Sat Nov 21 14:11:15 UTC 2026", KNOWN_VERSION(6, 1, 192) },
		{ "6.1.0-57-amd64", "", KNOWN_VERSION(6, 1, 0) },
		{ "6.5", "", KNOWN_VERSION(6, 5, 0) },
		{ "vmlinuz", "", -1 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		long got = known_kernel_version(v[i].rel, v[i].ver);

		tap_ok(got == v[i].want, "version of %s / '%s': %ld", v[i].rel, v[i].ver, got);
	}
}

/* A broken entry stops the load, naming its file and line. */
static void check_broken(const char *body, const char *name, const char *want)
{
	char d[] = "/tmp/unit-known.XXXXXX", path[256], err[512] = "";
	struct known_set *s = calloc(1, sizeof(*s));
	FILE *f;
	int rc;

	if (!s || !mkdtemp(d)) {
		tap_ok(0, "temporary catalogue");
		free(s);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.txt", d, name);
	f = fopen(path, "w");
	if (f) {
		fputs(body, f);
		fclose(f);
	}
	rc = known_load(s, d, err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, want), "rejected, '%s' in: %s", want, err);
	known_free(s);
	free(s);
	unlink(path);
	rmdir(d);
}

static void check_tally(const struct known_set *s)
{
	static const char *const files[] = { "61-race.json", "61-pass.json", "61-race-after-exit.json",
					     "61-new-oops.json", "61-violation-only.json" };
	json_object *reps[5];
	char buf[512];

	for (int i = 0; i < 5; i++) {
		reps[i] = load(files[i]);
		if (reps[i] && i != 4)
			known_triage(s, reps[i]);
	}
	tap_ok(known_tally(reps, 5, buf, sizeof(buf)) == 1 && !strcmp(buf, RACE61 ": 2, new: 1, not triaged: 1"),
	       "tally of 5 results (1 passed), 1 new: %s", buf);
	for (int i = 0; i < 5; i++)
		json_object_put(reps[i]);
}

int main(void)
{
	static const char *const with_stack[] = {
		"mm/pgtable-generic.c:51: bad pmd 000000009c52087d(efffe7fff77ffe02)",
		"CPU: 1 PID: 412 Comm: migrace Not tainted 6.1.0-57-amd64 #1 Debian 6.1.192-3",
		"Call Trace:", " <TASK>", " change_pmd_range.isra.0+0x3a1/0x8f0", NULL,
	};
	static const char *const present[] = {
		"mm/pgtable-generic.c:51: bad pmd 000000009c52087d(8000000123400067)", NULL,
	};
	struct known_set *s = calloc(1, sizeof(*s));
	char cat[4200], err[512] = "";
	const char *top = getenv("top_srcdir");

	snprintf(dir, sizeof(dir), "%s", top && top[0] ? top : ".");
	snprintf(cat, sizeof(cat), "%s/kernels/known-issues", dir);
	if (!s)
		abort();
	if (!tap_ok(!known_load(s, cat, err, sizeof(err)), "the catalogue %s loads", cat)) {
		tap_diag("%s", err);
		return tap_done();
	}
	{
		/* every entry file read, none dropped */
		glob_t g;
		char pat[4300];

		snprintf(pat, sizeof(pat), "%s/*.txt", cat);
		glob(pat, 0, NULL, &g);
		tap_ok(s->n == (int)g.gl_pathc && s->n > 0, "%d entries of %zu files", s->n, g.gl_pathc);
		globfree(&g);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(s, i);
	check_reason_only(s, "lossy-thp-copy-smoke.json");
	check_reason_only(s, "lossy-thp-copy-numa-fault.json");
	{
		json_object *r = load("61-pass.json");
		struct known_match m;

		tap_ok(r && !known_match(s, r, &m) && !known_triage(s, r) &&
		       !json_object_object_get_ex(r, "known_issue", NULL) && !str(r, "reason")[0],
		       "61-pass.json: a pass is not triaged and stays as it was");
		json_object_put(r);
	}
	check_triage(s, "61-race-after-exit.json", " (known issue: " RACE61 ")");
	check_triage(s, "61-bad-pmd-plus-bug.json", " (known issue: " RACE61 ", plus 1 unexplained)");
	check_triage(s, "61-new-oops.json", " (no known issue matches: new)");
	check_release(s, "6.1.159", "#1 SMP", true);
	check_release(s, "6.1.160", "#1 SMP", false);
	check_release(s, "6.1.161", "#1 SMP", false);
	check_release(s, "6.1.162", "#1 SMP", true);
	check_release(s, "6.4.16", "#1 SMP", true);
	check_release(s, "6.5.0", "#1 SMP", false);
	check_release(s, "5.15.0-91-generic", "#101-Ubuntu SMP", false);
	check_lines(s, with_stack, KNOWN_FULL, "a stack printed with the bad pmd line is context, not evidence");
	check_lines(s, present, KNOWN_NONE, "a bad pmd of a present entry is another bug");
	check_single_threaded(s);
	check_versions();
	check_tally(s);
	check_broken("name: x\ntitle: t\ncolour: red\nlog: a\n", "x", "x.txt:3: unknown key 'colour'");
	check_broken("name: x\ntitle: t\nlog: a(\n", "x", "x.txt:3: log:");
	check_broken("name: x\ntitle: t\naffected: >=6.5 <6.1\nlog: a\n", "x", "holds for no version");
	check_broken("name: x\ntitle: t\naffected: 6.1\nlog: a\n", "x", "not a condition");
	check_broken("name: y\ntitle: t\nlog: a\n", "x", "not the file's name");
	check_broken("name: x\ntitle: t\nneeds: log\nviolation: status=stale-generation\n", "x",
		     "needs: log without a log: line");
	check_broken("name: x\ntitle: t\nviolation: status\n", "x", "not a term");
	known_free(s);
	free(s);
	return tap_done();
}
