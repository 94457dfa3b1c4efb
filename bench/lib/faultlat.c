/* faultlat.c - kernel-side NUMA hinting-fault latency: durations of do_huge_pmd_numa_page and do_numa_page. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faultlat.h"
#include "knob.h"
#include "util.h"

const char *const faultlat_func_names[FAULTLAT_NR_FUNCS] = {
	[FAULTLAT_PMD] = "do_huge_pmd_numa_page",
	[FAULTLAT_PTE] = "do_numa_page",
};

/* kprobe event names: entry and return of each function. */
static const char *const faultlat_ev[FAULTLAT_NR_FUNCS][2] = {
	[FAULTLAT_PMD] = { "pmd_in", "pmd_out" },
	[FAULTLAT_PTE] = { "pte_in", "pte_out" },
};

const char *const faultlat_method_names[FAULTLAT_NR_METHODS + 1] = {
	[FAULTLAT_AUTO] = "auto",
	[FAULTLAT_GRAPH] = "function_graph",
	[FAULTLAT_KPROBE] = "kprobe",
	[FAULTLAT_OFF] = "none",
};

#define FAULTLAT_MIGRATE_EVENT	"mm_migrate_pages"

static int faultlat_func_of(const char *name)
{
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++)
		if (!strcmp(name, faultlat_func_names[i]))
			return i;
	return -1;
}

static struct faultlat_open *faultlat_find(struct faultlat *f, int pid)
{
	for (int i = 0; i < FAULTLAT_OPEN; i++)
		if (f->open[i].pid == pid)
			return &f->open[i];
	return NULL;
}

static void faultlat_begin(struct faultlat *f, int pid, int func, uint64_t t0)
{
	struct faultlat_open *o = faultlat_find(f, pid);

	/* An entry whose return we never saw (a missed kretprobe): not counted. */
	if (o)
		f->unpaired++;
	else
		o = faultlat_find(f, 0);
	if (!o) {
		o = &f->open[0];
		f->unpaired++;
	}
	*o = (struct faultlat_open){ .pid = pid, .func = func, .t0 = t0 };
}

static void faultlat_record(struct faultlat *f, int pid, int func, uint64_t ns,
			    bool migrated, bool failed)
{
	if (!f->ours(pid, f->arg)) {
		f->foreign++;
		return;
	}
	hist_add(&f->all, ns);
	hist_add(&f->func[func], ns);
	hist_add(migrated ? &f->mig : &f->not_mig, ns);
	f->migrated += migrated;
	f->mig_failed += failed;
	__atomic_store_n(&f->faults, f->faults + 1, __ATOMIC_RELAXED);
}

static void faultlat_end(struct faultlat *f, int pid, uint64_t ns_or_t1, bool is_duration)
{
	struct faultlat_open *o = faultlat_find(f, pid);

	if (!o)
		return;
	faultlat_record(f, pid, o->func, is_duration ? ns_or_t1 : ns_or_t1 - o->t0,
			o->migrated, o->mig_failed);
	o->pid = 0;
}

/* migrate:mm_migrate_pages inside a fault says whether the fault migrated. */
static void faultlat_migration(struct faultlat *f, int pid, const char *args)
{
	struct faultlat_open *o = faultlat_find(f, pid);
	const char *s = strstr(args, "nr_succeeded="), *x = strstr(args, "nr_failed=");
	long succ = s ? atol(s + 13) : 0, failed = x ? atol(x + 10) : 0;

	if (o) {
		o->migrated |= succ > 0;
		o->mig_failed |= failed > 0;
	} else if (strstr(args, "reason=numa_misplaced") && f->ours(pid, f->arg)) {
		f->outside++;
	}
}

static void faultlat_graph_line(struct faultlat *f, const char *line)
{
	struct ftrace_graph g;
	int func;

	if (ftrace_parse_graph(line, &g))
		return;
	switch (g.kind) {
	case FTRACE_GRAPH_ENTRY:
		func = faultlat_func_of(g.func);
		if (func >= 0)
			faultlat_begin(f, g.pid, func, 0);
		break;
	case FTRACE_GRAPH_EXIT:
		if (!g.func[0] || faultlat_func_of(g.func) >= 0)
			faultlat_end(f, g.pid, g.dur_ns, true);
		break;
	case FTRACE_GRAPH_LEAF:
		func = faultlat_func_of(g.func);
		if (func >= 0)
			faultlat_record(f, g.pid, func, g.dur_ns, false, false);
		break;
	case FTRACE_GRAPH_COMMENT:
		if (!strncmp(g.comment, FAULTLAT_MIGRATE_EVENT ":", strlen(FAULTLAT_MIGRATE_EVENT) + 1))
			faultlat_migration(f, g.pid, g.comment);
		break;
	}
}

static void faultlat_event_line(struct faultlat *f, const char *line)
{
	struct ftrace_event ev;
	uint64_t ns;

	if (ftrace_parse_event(line, &ev))
		return;
	ns = ev.ts_ns ? ev.ts : (uint64_t)(ev.ts * f->ns_per_tick + 0.5);
	if (!strcmp(ev.name, FAULTLAT_MIGRATE_EVENT)) {
		faultlat_migration(f, ev.pid, ev.args);
		return;
	}
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++) {
		if (!strcmp(ev.name, faultlat_ev[i][0]))
			faultlat_begin(f, ev.pid, i, ns);
		else if (!strcmp(ev.name, faultlat_ev[i][1]))
			faultlat_end(f, ev.pid, ns, false);
	}
}

/* One line of trace_pipe, in the format of the method in use. */
void faultlat_line(const char *line, void *arg)
{
	struct faultlat *f = arg;
	unsigned long lost = ftrace_lost(line);

	if (lost)
		f->lost += lost;
	else if (f->method == FAULTLAT_GRAPH)
		faultlat_graph_line(f, line);
	else
		faultlat_event_line(f, line);
}

static int faultlat_knob(struct faultlat *f, const char *file, const char *val)
{
	char path[FTRACE_PATH];

	if (ftrace_path(path, sizeof(path), f->tracefs, file))
		return -ENAMETOOLONG;
	return knob_set(path, val);
}

static int faultlat_listed(const char *dir, const char *file, const char *word)
{
	char path[FTRACE_PATH];

	if (ftrace_path(path, sizeof(path), dir, file))
		return -ENAMETOOLONG;
	return ftrace_listed(path, word);
}

/* The fault functions function_graph can trace, space-separated, into list. */
static void faultlat_graph_funcs(struct faultlat *f, char *list, size_t len)
{
	list[0] = '\0';
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++) {
		int ret = faultlat_listed(f->tracefs, "available_filter_functions",
					  faultlat_func_names[i]);

		if (ret > 0) {
			f->func_why[i][0] = '\0';
			snprintf(list + strlen(list), len - strlen(list), "%s%s",
				 list[0] ? " " : "", faultlat_func_names[i]);
		} else if (ret == 0) {
			snprintf(f->func_why[i], sizeof(f->func_why[i]),
				 "not in available_filter_functions (inlined into its caller, or not traceable)");
		} else {
			snprintf(f->func_why[i], sizeof(f->func_why[i]),
				 "available_filter_functions unreadable: %s", strerror(-ret));
		}
	}
}

/*
 * The top-level tracer, so only when nobody uses it. Settings are knobs,
 * restored on every exit path; the tracer is set last so it is restored
 * first, before the filters that keep it narrow.
 */
static int faultlat_graph_setup(struct faultlat *f, char *why, size_t len)
{
	char cur[64] = "?", funcs[128], path[FTRACE_PATH];
	int ret;

	if (faultlat_listed(f->tracefs, "available_tracers", "function_graph") <= 0) {
		snprintf(why, len, "no function_graph tracer in this kernel (CONFIG_FUNCTION_GRAPH_TRACER)");
		return -ENOENT;
	}
	if (ftrace_path(path, sizeof(path), f->tracefs, "current_tracer") ||
	    knob_get(path, cur, sizeof(cur)) || strcmp(cur, "nop")) {
		snprintf(why, len, "the top-level tracer is in use (current_tracer: %s)", cur);
		return -EBUSY;
	}
	faultlat_graph_funcs(f, funcs, sizeof(funcs));
	if (!funcs[0]) {
		snprintf(why, len, "neither %s nor %s can be traced: %.100s",
			 faultlat_func_names[0], faultlat_func_names[1], f->func_why[0]);
		return -ENOENT;
	}
	ret = faultlat_knob(f, "set_ftrace_filter", funcs);
	if (!ret)
		ret = faultlat_knob(f, "set_graph_function", funcs);
	if (!ret)
		ret = faultlat_knob(f, "options/funcgraph-proc", "1");	/* the task of each line */
	if (!ret) {
		faultlat_knob(f, "options/funcgraph-tail", "1");
		faultlat_knob(f, "tracing_thresh", "0");
		faultlat_knob(f, "events/migrate/" FAULTLAT_MIGRATE_EVENT "/enable", "1");
		ret = faultlat_knob(f, "tracing_on", "1");
	}
	if (!ret)
		ret = faultlat_knob(f, "current_tracer", "function_graph");
	if (ret) {
		snprintf(why, len, "setting up function_graph failed: %s", strerror(-ret));
		return ret;
	}
	snprintf(f->dir, sizeof(f->dir), "%s", f->tracefs);
	snprintf(f->clock, sizeof(f->clock), "graph");
	f->ns_per_tick = 1;
	f->resolution_ns = 10;	/* durations print 7 digits of us */
	return 0;
}

static void faultlat_kprobe_clock(struct faultlat *f, double tsc_ns_per_tick)
{
	char path[FTRACE_PATH];

	ftrace_path(path, sizeof(path), f->dir, "trace_clock");
	/* Raw TSC ticks print in full; ns clocks print in us. */
	if (tsc_ns_per_tick > 0 && ftrace_listed(path, "x86-tsc") > 0 &&
	    !write_text(path, "x86-tsc")) {
		snprintf(f->clock, sizeof(f->clock), "x86-tsc");
		f->ns_per_tick = tsc_ns_per_tick;
		f->resolution_ns = tsc_ns_per_tick < 1 ? 1 : (uint64_t)(tsc_ns_per_tick + 0.999);
		return;
	}
	snprintf(f->clock, sizeof(f->clock), "%s", write_text(path, "mono") ? "local" : "mono");
	f->ns_per_tick = 1;
	f->resolution_ns = 1000;
}

static int faultlat_kprobe_funcs(struct faultlat *f, const char *group)
{
	char def[256];
	int traced = 0, ret;

	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++) {
		const char *fn = faultlat_func_names[i];

		if (!ftrace_ksym(fn)) {
			snprintf(f->func_why[i], sizeof(f->func_why[i]),
				 "not in /proc/kallsyms (inlined into its caller)");
			continue;
		}
		snprintf(def, sizeof(def), "p:%s/%s %s", group, faultlat_ev[i][0], fn);
		ret = ftrace_kprobe_add(f->tracefs, group, faultlat_ev[i][0], def);
		if (!ret) {
			snprintf(def, sizeof(def), "r:%s/%s %s", group, faultlat_ev[i][1], fn);
			ret = ftrace_kprobe_add(f->tracefs, group, faultlat_ev[i][1], def);
		}
		if (ret) {
			snprintf(f->func_why[i], sizeof(f->func_why[i]), "kprobe refused: %s",
				 strerror(-ret));
			continue;
		}
		f->func_why[i][0] = '\0';
		traced++;
	}
	return traced;
}

/* Probes on both functions, their events in a tracefs instance of our own. */
static int faultlat_kprobe_setup(struct faultlat *f, double tsc_ns_per_tick, char *why, size_t len)
{
	char group[64], name[64], enable[96], path[FTRACE_PATH];
	int ret;

	ftrace_path(path, sizeof(path), f->tracefs, "kprobe_events");
	if (access(path, W_OK)) {
		snprintf(why, len, "no kprobe_events in tracefs (CONFIG_KPROBE_EVENTS): %s",
			 strerror(errno));
		return -ENOENT;
	}
	ftrace_install_handlers();
	ftrace_remove_stale(f->tracefs, "migrace");
	snprintf(group, sizeof(group), "migrace_%d", (int)getpid());
	snprintf(f->group, sizeof(f->group), "%s", group);
	snprintf(name, sizeof(name), "migrace-%d", (int)getpid());
	if (!faultlat_kprobe_funcs(f, group)) {
		snprintf(why, len, "no probe on %s (%.60s) nor on %s (%.60s)", faultlat_func_names[0],
			 f->func_why[0], faultlat_func_names[1], f->func_why[1]);
		ftrace_cleanup();
		return -ENOENT;
	}
	ret = ftrace_instance_new(f->tracefs, name, f->dir, sizeof(f->dir));
	if (!ret) {
		faultlat_kprobe_clock(f, tsc_ns_per_tick);
		snprintf(enable, sizeof(enable), "events/%s/enable", group);
		ret = ftrace_path(path, sizeof(path), f->dir, enable);
		if (!ret)
			ret = write_text(path, "1");
	}
	if (ret) {
		snprintf(why, len, "enabling the kprobe events failed: %s", strerror(-ret));
		ftrace_cleanup();
		return ret;
	}
	if (!ftrace_path(path, sizeof(path), f->dir, "events/migrate/" FAULTLAT_MIGRATE_EVENT "/enable"))
		write_text(path, "1");
	return 0;
}

static void *faultlat_reader(void *arg)
{
	struct faultlat *f = arg;
	struct timespec ts = { 0, 20000000 };

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
		if (ftrace_pipe_drain(&f->pipe, faultlat_line, f) <= 0)
			nanosleep(&ts, NULL);
	return NULL;
}

static void faultlat_choose(struct faultlat *f, enum faultlat_method m, double tsc_ns_per_tick)
{
	char gwhy[200] = "not tried", kwhy[200] = "not tried";

	if ((m == FAULTLAT_AUTO || m == FAULTLAT_GRAPH) &&
	    !faultlat_graph_setup(f, gwhy, sizeof(gwhy))) {
		f->method = FAULTLAT_GRAPH;
		return;
	}
	if ((m == FAULTLAT_AUTO || m == FAULTLAT_KPROBE) &&
	    !faultlat_kprobe_setup(f, tsc_ns_per_tick, kwhy, sizeof(kwhy))) {
		f->method = FAULTLAT_KPROBE;
		return;
	}
	snprintf(f->why, sizeof(f->why), "function_graph: %s; kprobes: %s; BPF: not implemented in migrace",
		 gwhy, kwhy);
}

/*
 * Starts tracing hinting faults with the method asked for, or the best the
 * kernel offers (AUTO). Without any, f->why says why and the run goes on:
 * the kernel-side measurement is optional, never a reason to fail.
 */
int faultlat_start(struct faultlat *f, enum faultlat_method m, double tsc_ns_per_tick,
		   faultlat_match_fn ours, void *arg)
{
	int ret;

	memset(f, 0, sizeof(*f));
	f->pipe.fd = -1;
	f->ours = ours;
	f->arg = arg;
	f->method = FAULTLAT_OFF;
	hist_init(&f->all);
	hist_init(&f->mig);
	hist_init(&f->not_mig);
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++)
		hist_init(&f->func[i]);
	if (m == FAULTLAT_OFF) {
		snprintf(f->why, sizeof(f->why), "switched off (--kernel-method none)");
		return 0;
	}
	if (ftrace_fs("tracefs", "/sys/kernel/tracing", f->tracefs, sizeof(f->tracefs),
		      f->why, sizeof(f->why)))
		return 0;
	faultlat_choose(f, m, tsc_ns_per_tick);
	if (f->method == FAULTLAT_OFF)
		return 0;
	ret = ftrace_pipe_open(&f->pipe, f->dir);
	if (!ret)
		ret = -pthread_create(&f->reader, NULL, faultlat_reader, f);
	if (ret) {
		snprintf(f->why, sizeof(f->why), "reading %s/trace_pipe: %s", f->dir, strerror(-ret));
		faultlat_stop(f);
		f->method = FAULTLAT_OFF;
		return 0;
	}
	f->reader_started = true;
	return 0;
}

/* Stops tracing, reads what is left, and removes or restores what was set up. */
void faultlat_stop(struct faultlat *f)
{
	char path[FTRACE_PATH];

	if (f->method == FAULTLAT_OFF)
		return;
	ftrace_path(path, sizeof(path), f->dir, "tracing_on");
	write_text(path, "0");
	if (f->reader_started) {
		__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
		pthread_join(f->reader, NULL);
		f->reader_started = false;
	}
	if (f->pipe.fd >= 0)
		ftrace_pipe_drain(&f->pipe, faultlat_line, f);
	ftrace_pipe_close(&f->pipe);
	if (f->method == FAULTLAT_GRAPH) {
		/* Off at once; the knobs restore the rest when the run ends. */
		ftrace_path(path, sizeof(path), f->tracefs, "current_tracer");
		write_text(path, "nop");
	} else {
		f->kprobe_misses = ftrace_kprobe_misses(f->tracefs, f->group);
		ftrace_cleanup();
	}
}

uint64_t faultlat_count(const struct faultlat *f)
{
	return __atomic_load_n(&f->faults, __ATOMIC_RELAXED);
}

json_object *faultlat_to_json(const struct faultlat *f)
{
	json_object *o = json_object_new_object(), *fn, *h;

	json_object_object_add(o, "method", json_object_new_string(faultlat_method_names[f->method]));
	if (f->method == FAULTLAT_OFF) {
		json_object_object_add(o, "unavailable_because", json_object_new_string(f->why));
		return o;
	}
	fn = json_object_new_object();
	h = json_object_new_object();
	json_object_object_add(o, "clock", json_object_new_string(f->clock));
	json_object_object_add(o, "resolution_ns", json_object_new_int64(f->resolution_ns));
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++)
		json_object_object_add(fn, faultlat_func_names[i],
			json_object_new_string(f->func_why[i][0] ? f->func_why[i] : "traced"));
	json_object_object_add(o, "functions", fn);
	json_object_object_add(o, "faults", json_object_new_int64(f->faults));
	json_object_object_add(o, "migrated", json_object_new_int64(f->migrated));
	json_object_object_add(o, "not_migrated", json_object_new_int64(f->faults - f->migrated));
	json_object_object_add(o, "migration_failed", json_object_new_int64(f->mig_failed));
	json_object_object_add(o, "other_tasks_faults", json_object_new_int64(f->foreign));
	json_object_object_add(o, "unpaired", json_object_new_int64(f->unpaired));
	json_object_object_add(o, "lost_events", json_object_new_int64(f->lost));
	if (f->method == FAULTLAT_KPROBE)
		json_object_object_add(o, "kprobe_misses", json_object_new_int64(f->kprobe_misses));
	json_object_object_add(o, "migrations_outside_traced_faults",
			       json_object_new_int64(f->outside));
	json_object_object_add(h, "all", hist_to_json(&f->all, "ns"));
	json_object_object_add(h, "migrated", hist_to_json(&f->mig, "ns"));
	json_object_object_add(h, "not_migrated", hist_to_json(&f->not_mig, "ns"));
	for (int i = 0; i < FAULTLAT_NR_FUNCS; i++)
		json_object_object_add(h, faultlat_func_names[i], hist_to_json(&f->func[i], "ns"));
	json_object_object_add(o, "histograms", h);
	return o;
}
