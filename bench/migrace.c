/* migrace.c - the migrace command: list scenarios, run one, write its JSON result. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "counters.h"
#include "export.h"
#include "guard.h"
#include "hang.h"
#include "knob.h"
#include "lines.h"
#include "rates_report.h"
#include "report.h"
#include "scenario.h"
#include "triage.h"
#include "util.h"

#define RUN_OPT_TABS	16	/* option tables of one run, its backends' included */

static const struct scenario *const scenarios[] = {
#define SCENARIO(id) &scenario_##id,
#include "scenarios.def"
#undef SCENARIO
};

static const char *json_path;
static bool verbose;
static const char *events, *count_scope, *profile;
static double watchdog_s;

static const struct opt common_opts[] = {
	{ "json", OPT_STR, &json_path, NULL, "write the result as JSON (migrace-result/1) to FILE" },
	{ "verbose", OPT_BOOL, &verbose, NULL, "say more while running" },
	{ "events", OPT_STR, &events, "default", "hardware counters (PAPI names) and extra perf events or tracepoints (sys:name), comma-separated; 'default': the NUMA set, 'none': no hardware counters" },
	{ "count-scope", OPT_STR, &count_scope, "process", "perf events of 'process' (migrace, its threads and children) or 'system' (every CPU: root or perf_event_paranoid <= 0)" },
	{ "profile", OPT_STR, &profile, NULL, "a preset of the scenario's options, as if typed first: options given after it override it ('list': the presets)" },
	{ "watchdog", OPT_DOUBLE, &watchdog_s, "0", "seconds after which a run still going is hung: each thread's state and kernel stack are recorded, it is killed and fails; 0: 600 plus twice --duration", 0, 1e7 },
	{ NULL }
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: migrace list\n"
		"       migrace run SCENARIO [--json FILE] [options]\n"
		"       migrace run SCENARIO --help\n"
		"       migrace provenance        (this machine and kernel, as JSON)\n"
		"       migrace klog-filter       (the lines of stdin that fail a run: BUG, WARNING, ..., with their stacks)\n"
		"       migrace restore           (puts back the tunables of a migrace that died with its guardian,\n"
		"                                 from the journal in " GUARD_DIR "; runners do it at start)\n"
		"       migrace triage [--known-issues DIR] RESULT.json...\n"
		"                                 (names the known kernel issue of failed results, in place;\n"
		"                                 run it again after adding 'after exit:' kernel-log lines)\n"
		"       migrace compare [--format text|markdown|html] [--threshold PCT] RUN_A RUN_B...\n"
		"       migrace export --out DIR RUN...   (plot data for plots/*.gp)\n"
		"       migrace report --out DIR RUN...   (DIR/index.html)\n"
		"       migrace rates SETDIR...       (failure rates of runners/repeat's sets, compared)\n"
		"       migrace lines RUN_OR_RESULT...  (one 'name result [measurement units]' line per case,\n"
		"                                 for LAVA, restraint and KCIDB)\n"
		"       migrace --version\n"
		"       migrace RUNNER [args]     (runs migrace-RUNNER installed beside migrace: vm, kernel,\n"
		"                                 run, repeat, compare, publish, setup, monitor, bench-migspeed,\n"
		"                                 bench-repro, certify, kcidb)\n\n"
		"Races pins and gup against THP migration and measures NUMA balancing.\n"
		"Exit status of run: 0 pass, 1 fail, 2 bad input, 3 skip.\n");
}

static const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i]->name, name))
			return scenarios[i];
	return NULL;
}

static int cmd_list(void)
{
	struct topo t;
	char why[512];

	topo_init(&t);
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++) {
		const struct scenario *s = scenarios[i];

		printf("%-14s %s\n", s->name, s->desc);
		if (!s->run)
			printf("%-14s   (not available: %s)\n", "", s->unimplemented);
		else if (needs_unmet(&s->needs, &t, why, sizeof(why)))
			printf("%-14s   (skips here: %s)\n", "", why);
	}
	return EXIT_PASS;
}

/* The kernel log since the run began is part of its verdict. */
void run_klog_verdict(struct run_ctx *ctx)
{
	json_object *hits = json_object_new_array();
	int bad = klog_scan(&ctx->klog, hits);

	if (bad > 0)
		result_verdict(ctx->res, VERDICT_FAIL, "kernel log: %s",
			       json_object_get_string(json_object_array_get_idx(hits, 0)));
	if (bad < 0)
		json_object_object_add(ctx->res->root, "kernel_log_unreadable",
				       json_object_new_string(strerror(-bad)));
	json_object_object_add(ctx->res->root, "kernel_log", hits);
}

static int cmd_provenance(void)
{
	struct topo t;
	json_object *p;

	topo_init(&t);
	p = result_provenance(&t);
	puts(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(p);
	return EXIT_PASS;
}

/* For the runners' look at the kernel log after a run: the same patterns as the run's own. */
static int cmd_klog_filter(void)
{
	char *line = NULL;
	size_t cap = 0;
	int ctx = 0;

	while (getline(&line, &cap, stdin) > 0) {
		/* dmesg's "[   12.345678] " prefix is not part of the message. */
		const char *text = line[0] == '[' && strchr(line, ']') ? strchr(line, ']') + 2 : line;

		bool keep = true;

		if (klog_is_bad(text))
			ctx = KLOG_CONTEXT;
		else if (ctx && klog_is_context(text))
			ctx--;
		else
			ctx = 0, keep = false;
		if (keep)
			fputs(line, stdout);
	}
	free(line);
	return EXIT_PASS;
}

/*
 * A journal is left only when migrace and its guardian both died (a cgroup
 * killed whole): the next migrace replays it too, this is for the runners.
 */
static int cmd_restore(void)
{
	pid_t owner = 0;
	int restored, ret = guard_recover(&restored, &owner);

	if (ret == -EBUSY) {
		msg("restore: migrace pid %d is running and holds %s/lock: its tunables are its own to restore",
		    (int)owner, guard_dir());
		return EXIT_USAGE;
	}
	if (ret == -EACCES || ret == -EPERM || ret == -EROFS) {
		msg("restore: %s: %s (run it as root)", guard_dir(), strerror(-ret));
		return EXIT_USAGE;
	}
	if (ret) {
		msg("restore: %s: %s", guard_dir(), strerror(-ret));
		return EXIT_FAIL;
	}
	if (restored)
		printf("restored %d tunables a dead migrace had left changed\n", restored);
	return EXIT_PASS;
}

/* 0 is the default: long enough for any run of the scenario's size, twice its --duration. */
static double run_watchdog_s(const struct opt *const *tabs)
{
	double duration = 0;

	if (watchdog_s > 0)
		return watchdog_s;
	for (; *tabs; tabs++)
		for (const struct opt *o = *tabs; o->name; o++)
			if (!strcmp(o->name, "duration") && o->type == OPT_DOUBLE)
				duration = *(double *)o->dest;
	return 600 + 2 * duration;
}

/* In the guardian, as it starts: the kernel log it reads if the run hangs. */
static void run_watch_begin(void *arg)
{
	struct run_ctx *ctx = arg;

	klog_open(&ctx->klog);
}

/*
 * In the guardian, at the watchdog's deadline: the run is hung. Its result
 * says where; it is written from here, since migrace cannot, and before the
 * kill, so that it is in place when whoever waits on migrace looks.
 */
static void run_hung(pid_t pid, void *arg)
{
	struct run_ctx *ctx = arg;
	json_object *root = json_object_get(ctx->res->root), *h, *left;
	pid_t pids[HANG_MAX_PIDS];
	int n = hang_tree(pid, pids, HANG_MAX_PIDS);
	char where[1024], reason[sizeof(where) + 64];

	msg("watchdog: %s still running after %.0f s (--watchdog): killing it", ctx->res->scenario,
	    watchdog_s);
	h = hang_examine(pids, n, where, sizeof(where));
	json_object_object_add(h, "after_s", json_object_new_double(watchdog_s));
	json_object_object_add(h, "unkillable", json_object_new_array());
	json_object_object_add(root, "hang", h);
	snprintf(reason, sizeof(reason), "hung: still running after %.0f s: ", watchdog_s);
	result_verdict(ctx->res, VERDICT_FAIL, "%s%s", reason, where);
	run_klog_verdict(ctx);
	klog_close(&ctx->klog);
	/* The guardian's stdout is /dev/null: the summary goes with its messages. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	result_finish(ctx->res, json_path);
	left = hang_kill(pids, n, where, sizeof(where));
	json_object_object_add(h, "unkillable", left);
	if (json_object_array_length(left) && json_path) {
		/* where now names the thread SIGKILL did not end */
		strncat(reason, where, sizeof(reason) - strlen(reason) - 1);
		json_object_object_add(root, "reason", json_object_new_string(reason));
		result_write(root, json_path);
	}
	json_object_put(root);
}

/* Every result holds its counters: the whole run as phase "run", and the scenario's own phases. */
static void run_counters(struct run_ctx *ctx)
{
	json_object *c = counters_stop();

	counters_print(stdout, c, verbose);
	json_object_object_add(ctx->res->root, "counters", c);
}

/*
 * A need that is not met skips the scenario, in this one place. When what
 * is missing still leaves something to measure, it runs, then skips.
 */
static void run_scenario(const struct scenario *s, struct run_ctx *ctx)
{
	struct needs needs = s->needs;
	unsigned int unmet;
	char why[512];

	if (s->validate)
		s->validate(ctx, &needs);
	unmet = needs_unmet(&needs, &ctx->topo, why, sizeof(why));
	if (!(unmet & ~needs.partial))
		s->run(ctx);
	if (unmet)
		result_verdict(ctx->res, VERDICT_SKIP, "%s", why);
}

/* The common options, the scenario's own, then those it takes from elsewhere (its backends'). */
static void run_opt_tabs(const struct scenario *s, const struct opt **tabs, size_t max)
{
	const struct opt *const *more = s->more_opts ? s->more_opts() : NULL;
	size_t n = 0;

	tabs[n++] = common_opts;
	if (s->opts)
		tabs[n++] = s->opts;
	for (; more && *more; more++) {
		if (n + 1 >= max) {
			msg("%s: more option tables than %zu (raise RUN_OPT_TABS)", s->name, max - 1);
			abort();
		}
		tabs[n++] = *more;
	}
	tabs[n] = NULL;
}

/*
 * --profile NAME: the preset's options are put before the typed ones, so
 * that those override it, and the result records the line as expanded.
 * argv[0] is the scenario's name.
 */
static char **profile_expand(const struct scenario *s, int *argc, char **argv)
{
	static char args[512], *out[256];
	const struct profile *p = s->profiles;
	const char *name = NULL;
	char *tok, *save = NULL;
	int n = 0;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--profile") && i + 1 < *argc)
			name = argv[i + 1];
		else if (!strncmp(argv[i], "--profile=", 10))
			name = argv[i] + 10;
	}
	if (!name)
		return argv;
	if (!strcmp(name, "list")) {
		for (; p && p->name; p++)
			printf("%-10s %s\n%-10s   %s\n", p->name, p->why, "", p->args);
		exit(EXIT_PASS);
	}
	for (; p && p->name && strcmp(p->name, name); p++)
		;
	if (!p || !p->name)
		usage_error("--profile: %s has no profile '%s' (see --profile list)", s->name, name);
	snprintf(args, sizeof(args), "%s", p->args);
	out[n++] = argv[0];
	for (tok = strtok_r(args, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		out[n++] = tok;
	if (n + *argc > (int)ARRAY_SIZE(out))
		usage_error("run: more than %zu arguments with --profile %s", ARRAY_SIZE(out) - 1, name);
	for (int i = 1; i < *argc; i++)
		out[n++] = argv[i];
	out[n] = NULL;
	*argc = n;
	return out;
}

static int cmd_run(int argc, char **argv)
{
	const struct scenario *s;
	const struct opt *tabs[RUN_OPT_TABS];
	struct run_ctx ctx = { 0 };
	char usage_line[128];

	if (argc < 1)
		usage_error("run: which scenario? (see 'migrace list')");
	s = scenario_find(argv[0]);
	if (!s)
		usage_error("run: no scenario '%s' (see 'migrace list')", argv[0]);
	run_opt_tabs(s, tabs, ARRAY_SIZE(tabs));
	argv = profile_expand(s, &argc, argv);
	snprintf(usage_line, sizeof(usage_line), "migrace run %s [options]\n\n%s",
		 s->name, s->desc);
	opt_parse(tabs, argc - 1, argv + 1, usage_line);
	if (json_path)
		check_writable("--json", json_path);
	counters_configure(events, count_scope);
	if (!s->run) {
		msg("%s is not available: %s", s->name, s->unimplemented);
		return EXIT_SKIP;
	}
	guard_exclusive();
	ctx.verbose = verbose;
	topo_init(&ctx.topo);
	ctx.res = result_new(s->name, &ctx.topo, argc, argv);
	watchdog_s = run_watchdog_s(tabs);
	guard_watchdog(&(struct guard_watch){ watchdog_s, run_watch_begin, run_hung, &ctx });
	knob_install_handlers();
	klog_open(&ctx.klog);
	counters_start(&ctx.topo);
	counters_phase_begin("run");
	run_scenario(s, &ctx);
	counters_phase_end("run");
	run_counters(&ctx);
	knob_restore_all();
	run_klog_verdict(&ctx);
	klog_close(&ctx.klog);
	return result_finish(ctx.res, json_path);
}

/*
 * "migrace vm ..." runs migrace-vm from beside this program, as git runs
 * git-NAME: the runners are shell, installed as migrace-NAME in bindir.
 * Returns only if there is no such runner.
 */
static void run_runner(char **argv)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0 || strspn(argv[0], "abcdefghijklmnopqrstuvwxyz-") != strlen(argv[0]))
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/" PACKAGE "-%s", exe, argv[0]);
	if (access(path, X_OK))
		return;
	argv[0] = path;
	execv(path, argv);
	msg("cannot run %s: %s", path, strerror(errno));
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("migrace %s\n", PACKAGE_VERSION);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "provenance"))
		return cmd_provenance();
	if (!strcmp(argv[1], "klog-filter"))
		return cmd_klog_filter();
	if (!strcmp(argv[1], "restore"))
		return cmd_restore();
	if (!strcmp(argv[1], "triage"))
		return cmd_triage(argc - 2, argv + 2);
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc - 2, argv + 2);
	if (!strcmp(argv[1], "export"))
		return cmd_export(argc - 2, argv + 2);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rates"))
		return cmd_rates(argc - 2, argv + 2);
	if (!strcmp(argv[1], "lines"))
		return cmd_lines(argc - 2, argv + 2);
	run_runner(argv + 1);
	usage_error("unknown command '%s' (see 'migrace --help')", argv[1]);
}
