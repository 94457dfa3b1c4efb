/* counters.c - the counters of a run: which were asked for, which count and why not, values per phase. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "counters.h"
#include "counters_int.h"
#include "util.h"

#define PHASE_MAX	32
#define DEPTH_MAX	8
#define MIG_TP		"migrate:mm_migrate_pages"

struct ctr_env ctr_env;

static const struct sw_event {
	const char *name;
	uint64_t config;
	const char *unit;
	bool user_ok;	/* still meaningful counted in user mode only */
} sw_events[] = {
	{ "page-faults", PERF_COUNT_SW_PAGE_FAULTS, "faults", true },
	{ "minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN, "faults", true },
	{ "major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ, "faults", true },
	{ "context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES, "switches", false },
	{ "cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS, "migrations", false },
	{ "task-clock", PERF_COUNT_SW_TASK_CLOCK, "ns", true },
};

/* Every fault the kernel handles, those for get_user_pages too: what getrusage counts. */
#define FAULTS_HANDLED	"kprobe:handle_mm_fault"

static const char *const default_tracepoints[] = {
	MIG_TP, "exceptions:page_fault_user", "sched:sched_move_numa",
	"sched:sched_stick_numa", "sched:sched_swap_numa", "thp:set_migration_pmd",
	"thp:remove_migration_pmd", NULL
};

/* The NUMA set of --events default; the CPU's remote-DRAM event is added at start. */
static const char *const default_papi[] = {
	"PAPI_TOT_CYC", "PAPI_TLB_DM", "perf::NODE-LOAD-MISSES", "perf::DTLB-LOAD-MISSES", NULL
};

/* Fields of migrate:mm_migrate_pages summed per phase: exactly what migrate_pages() adds to vmstat. */
static const struct mig_field {
	const char *field, *unit;
} mig_fields[] = {
	{ "succeeded", "pages" },
	{ "failed", "pages" },
	{ "thp_succeeded", "THPs" },
	{ "thp_failed", "THPs" },
	{ "thp_split", "THPs" },
};

/* What the counters are checked against: the kernel's other accounts of the same things. */
enum ref_id {
	REF_RU_FAULTS, REF_RU_MINFLT, REF_RU_MAJFLT, REF_VM_PGFAULT, REF_VM_PGMAJFAULT,
	REF_VM_MIG_OK, REF_VM_MIG_FAIL, REF_VM_THP_OK, REF_VM_THP_FAIL, REF_VM_THP_SPLIT,
	REF_MAX
};

static const struct ref_def {
	const char *name, *vmstat;
} refs[REF_MAX] = {
	[REF_RU_FAULTS] = { "getrusage ru_minflt+ru_majflt" },
	[REF_RU_MINFLT] = { "getrusage ru_minflt" },
	[REF_RU_MAJFLT] = { "getrusage ru_majflt" },
	[REF_VM_PGFAULT] = { "/proc/vmstat pgfault", "pgfault" },
	[REF_VM_PGMAJFAULT] = { "/proc/vmstat pgmajfault", "pgmajfault" },
	[REF_VM_MIG_OK] = { "/proc/vmstat pgmigrate_success", "pgmigrate_success" },
	[REF_VM_MIG_FAIL] = { "/proc/vmstat pgmigrate_fail", "pgmigrate_fail" },
	[REF_VM_THP_OK] = { "/proc/vmstat thp_migration_success", "thp_migration_success" },
	[REF_VM_THP_FAIL] = { "/proc/vmstat thp_migration_fail", "thp_migration_fail" },
	[REF_VM_THP_SPLIT] = { "/proc/vmstat thp_migration_split", "thp_migration_split" },
};

#define CHECK_TOLERANCE 0.05

/*
 * Pairs that count the same events, or of which one counts a subset of the
 * other's. Not paired: context switches and task time, which getrusage
 * counts differently by definition (a dying thread's exit path after perf
 * folded its counts; IRQ time left out with IRQ_TIME_ACCOUNTING).
 */
enum check_scope { FOR_PROCESS, FOR_SYSTEM, FOR_BOTH };
enum check_expect { EQUAL, AT_MOST };

static const char *const expect_names[] = { [EQUAL] = "equal", [AT_MOST] = "at most" };

static const struct check_def {
	const char *counter;
	enum ref_id ref;
	enum check_scope when;	/* which --count-scope the reference matches */
	enum check_expect expect;
	const char *note;
	enum ref_id slack;	/* this reference's count may be exceeded too; REF_MAX: none */
} check_defs[] = {
	/* A fault that drops its lock to wait for I/O (major) is handled twice, counted once. */
	{ FAULTS_HANDLED, REF_RU_FAULTS, FOR_PROCESS, EQUAL,
	  "handle_mm_fault runs again after a major fault that waited for I/O: up to ru_majflt more",
	  REF_RU_MAJFLT },
	/*
	 * perf counts the faults the CPU took; the kernel also handles faults
	 * for get_user_pages (pins, /proc/PID/mem, process_vm_*) without user
	 * registers, and those only getrusage and vmstat count.
	 */
	{ "page-faults", REF_RU_FAULTS, FOR_PROCESS, AT_MOST,
	  "the difference: faults handled for get_user_pages", REF_MAX },
	{ "minor-faults", REF_RU_MINFLT, FOR_PROCESS, AT_MOST,
	  "the difference: faults handled for get_user_pages", REF_MAX },
	{ "major-faults", REF_RU_MAJFLT, FOR_PROCESS, AT_MOST,
	  "the difference: faults handled for get_user_pages", REF_MAX },
	{ FAULTS_HANDLED, REF_VM_PGFAULT, FOR_SYSTEM, EQUAL,
	  "handle_mm_fault runs again after a major fault that waited for I/O: up to pgmajfault more",
	  REF_VM_PGMAJFAULT },
	{ "page-faults", REF_VM_PGFAULT, FOR_SYSTEM, AT_MOST,
	  "the difference: faults handled for get_user_pages", REF_MAX },
	/* The migrations of other processes are in vmstat too: a quiet machine agrees. */
	{ MIG_TP ".succeeded", REF_VM_MIG_OK, FOR_BOTH, EQUAL, NULL, REF_MAX },
	{ MIG_TP ".failed", REF_VM_MIG_FAIL, FOR_BOTH, EQUAL, NULL, REF_MAX },
	{ MIG_TP ".thp_succeeded", REF_VM_THP_OK, FOR_BOTH, EQUAL, NULL, REF_MAX },
	{ MIG_TP ".thp_failed", REF_VM_THP_FAIL, FOR_BOTH, EQUAL, NULL, REF_MAX },
	{ MIG_TP ".thp_split", REF_VM_THP_SPLIT, FOR_BOTH, EQUAL, NULL, REF_MAX },
};

struct phase {
	char name[32];
	unsigned int count;
	uint64_t ns;
	uint64_t val[CTR_MAX];
	long long ref[REF_MAX];		/* -1: the reference is missing here */
};

struct frame {
	int phase;
	uint64_t t0;
	uint64_t val[CTR_MAX];
	long long ref[REF_MAX];
};

static struct {
	bool configured, started;
	bool papi_default;
	struct ctr ctr[CTR_MAX];
	int nr;
	json_object *papi;
	struct phase phase[PHASE_MAX];
	int nr_phases;
	struct frame stack[DEPTH_MAX];
	int depth;
	/* migrate:mm_migrate_pages samples, drained by a thread and at phase edges */
	struct counters_sampler *mig;
	int mig_ctr[ARRAY_SIZE(mig_fields)];
	int nr_mig;
	pthread_mutex_t mig_lock;
	pthread_t mig_thread;
	int mig_stop;
} cs = { .mig_lock = PTHREAD_MUTEX_INITIALIZER, .mig_stop = -1 };

static int ctr_find(const char *name)
{
	for (int i = 0; i < cs.nr; i++)
		if (!strcmp(cs.ctr[i].name, name))
			return i;
	return -1;
}

static struct ctr *ctr_add(const char *name, enum ctr_src src, const char *unit)
{
	struct ctr *c;

	if (ctr_find(name) >= 0)
		return NULL;
	if (cs.nr == CTR_MAX)
		usage_error("--events: more than %d counters in all", CTR_MAX);
	if (strlen(name) >= CTR_NAME)
		usage_error("--events: '%s' is too long a name", name);
	c = &cs.ctr[cs.nr++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->src = src;
	c->unit = unit;
	return c;
}

static const struct sw_event *sw_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sw_events); i++)
		if (!strcmp(sw_events[i].name, name))
			return &sw_events[i];
	return NULL;
}

/* "sys:name" in lower case is a tracepoint; PAPI names are PAPI_*, pmu::EVENT or EVENT:UMASK. */
static bool is_tracepoint(const char *name)
{
	const char *colon = strchr(name, ':');

	if (!colon || colon == name || !colon[1] || strchr(colon + 1, ':'))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_:") == strlen(name);
}

static void events_add(const char *name)
{
	const struct sw_event *sw = sw_find(name);

	/*
	 * A name this machine lacks is reported as unavailable when the run
	 * starts; one no machine could have (a tracefs path, a blank) is bad input.
	 */
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:.+=-") !=
	    strlen(name) || strlen(name) >= CTR_NAME)
		usage_error("--events: '%s' is not an event name (PAPI names, kprobe:FUNCTION, SYSTEM:TRACEPOINT)",
			    name);
	if (!strcmp(name, "none"))
		return;
	if (!strcmp(name, "default")) {
		cs.papi_default = true;
		for (int i = 0; default_papi[i]; i++)
			ctr_add(default_papi[i], CTR_PAPI, "events");
	} else if (sw) {
		ctr_add(name, CTR_SOFTWARE, sw->unit);
	} else if (!strncmp(name, "kprobe:", 7) && name[7]) {
		ctr_add(name, CTR_KPROBE, "calls");
	} else if (is_tracepoint(name)) {
		ctr_add(name, CTR_TRACEPOINT, "events");
	} else if (ctr_find(name) < 0) {
		ctr_add(name, CTR_PAPI, strstr(name, "CYC") ? "cycles" : "events");
	}
}

void counters_configure(const char *events, const char *scope)
{
	char *list, *tok, *save = NULL;
	char name[CTR_NAME + 32];

	if (strcmp(scope, "process") && strcmp(scope, "system"))
		usage_error("--count-scope: '%s' is neither 'process' nor 'system'", scope);
	if (!*events)
		usage_error("--events: empty list (say 'none' for no hardware counters)");
	memset(&cs.ctr, 0, sizeof(cs.ctr));
	cs.nr = 0;
	cs.papi_default = false;
	ctr_env.system = !strcmp(scope, "system");
	for (size_t i = 0; i < ARRAY_SIZE(sw_events); i++)
		ctr_add(sw_events[i].name, CTR_SOFTWARE, sw_events[i].unit);
	ctr_add(FAULTS_HANDLED, CTR_KPROBE, "calls");
	for (int i = 0; default_tracepoints[i]; i++)
		ctr_add(default_tracepoints[i], CTR_TRACEPOINT, "events");
	for (size_t i = 0; i < ARRAY_SIZE(mig_fields); i++) {
		snprintf(name, sizeof(name), "%s.%s", MIG_TP, mig_fields[i].field);
		ctr_add(name, CTR_DERIVED, mig_fields[i].unit);
	}
	list = strdup(events);
	if (!list)
		abort();
	if (*events == ',' || events[strlen(events) - 1] == ',' || strstr(events, ",,"))
		usage_error("--events: empty name in '%s'", events);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		events_add(tok);
	free(list);
	cs.configured = true;
}

/* Root, or CAP_PERFMON (38) or CAP_SYS_ADMIN (21) in the effective set. */
static bool privileged(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long caps = 0;
	char line[256];

	if (geteuid() == 0)
		return true;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps & (1ull << 38 | 1ull << 21);
}

/* Whether a CPU PMU answers: a user-mode cycles counter opens on any paranoid level up to 2. */
static void pmu_probe(const struct topo *t)
{
	struct perf_event_attr a = {
		.size = sizeof(a), .type = PERF_TYPE_HARDWARE,
		.config = PERF_COUNT_HW_CPU_CYCLES, .exclude_kernel = 1, .exclude_hv = 1,
		.disabled = 1,
	};
	long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	int err = fd < 0 ? errno : 0;

	ctr_env.pmu = fd >= 0;
	if (fd >= 0)
		close(fd);
	else if (err == EACCES || err == EPERM)
		snprintf(ctr_env.pmu_why, sizeof(ctr_env.pmu_why),
			 "PMU not usable: perf_event_paranoid=%d: needs root (CAP_PERFMON) or perf_event_paranoid <= 2",
			 ctr_env.paranoid);
	else if (t->emulated)
		snprintf(ctr_env.pmu_why, sizeof(ctr_env.pmu_why),
			 "PMU not available (emulated: QEMU TCG has none)");
	else if (t->hypervisor[0])
		snprintf(ctr_env.pmu_why, sizeof(ctr_env.pmu_why),
			 "PMU not available (virtualized: hypervisor %s exposes none)", t->hypervisor);
	else
		snprintf(ctr_env.pmu_why, sizeof(ctr_env.pmu_why),
			 "PMU not available (no hardware cycles event: %s)", strerror(err));
}

static void mig_drain_locked(void)
{
	static struct counters_rec recs[128];	/* under mig_lock; off the stack */
	int n;

	if (!cs.mig)
		return;
	while ((n = counters_sample_read(cs.mig, recs, ARRAY_SIZE(recs))) > 0)
		for (int i = 0; i < n; i++)
			for (int f = 0; f < cs.nr_mig; f++)
				cs.ctr[cs.mig_ctr[f]].now += recs[i].field[f];
}

static void mig_drain(void)
{
	pthread_mutex_lock(&cs.mig_lock);
	mig_drain_locked();
	pthread_mutex_unlock(&cs.mig_lock);
}

/*
 * Empties the sample buffers whenever one is half full, so that none is
 * lost between phase edges (which drain them too). No timer: a wakeup on
 * another CPU in the middle of a measured move would put migrace's mm on
 * that CPU and every TLB flush of the move would then interrupt it.
 */
static void *mig_thread(void *arg)
{
	while (ctr_sample_wait(cs.mig, cs.mig_stop, -1) <= 0)
		mig_drain();
	return NULL;
}

static void mig_start(void)
{
	const char *fields[ARRAY_SIZE(mig_fields) + 1];
	char why[CTR_WHY];
	sigset_t all, old;

	cs.nr_mig = 0;
	for (size_t i = 0; i < ARRAY_SIZE(mig_fields); i++) {
		char name[CTR_NAME + 32];
		struct ctr *c;

		snprintf(name, sizeof(name), "%s.%s", MIG_TP, mig_fields[i].field);
		c = &cs.ctr[ctr_find(name)];
		c->mode = "kernel";
		if (ctr_tp_field_why(MIG_TP, mig_fields[i].field, c->why, sizeof(c->why)))
			continue;
		fields[cs.nr_mig] = mig_fields[i].field;
		cs.mig_ctr[cs.nr_mig++] = c - cs.ctr;
	}
	fields[cs.nr_mig] = NULL;
	if (!cs.nr_mig)
		return;
	cs.mig = counters_sample_open(MIG_TP, fields, ctr_env.system ? COUNTERS_SAMPLE_SYSTEM : 0,
				      why, sizeof(why));
	cs.mig_stop = cs.mig ? eventfd(0, EFD_CLOEXEC) : -1;
	/* Signals stay with the main thread, whose loops poll migrace_stop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (cs.mig && (cs.mig_stop < 0 || pthread_create(&cs.mig_thread, NULL, mig_thread, NULL))) {
		snprintf(why, sizeof(why), "cannot start the thread that drains the samples");
		counters_sample_close(cs.mig);
		cs.mig = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int f = 0; !cs.mig && f < cs.nr_mig; f++)
		snprintf(cs.ctr[cs.mig_ctr[f]].why, CTR_WHY, "%s", why);
}

static void mig_stop(void)
{
	uint64_t one = 1;

	if (!cs.mig)
		return;
	if (write(cs.mig_stop, &one, sizeof(one)) == sizeof(one))
		pthread_join(cs.mig_thread, NULL);
	close(cs.mig_stop);
	cs.mig_stop = -1;
}

/*
 * System-wide and slow to read: outside the process references. The text is
 * searched for the few names needed rather than parsed whole (vmstat_read),
 * which would make a phase edge cost a millisecond.
 */
static void refs_vmstat(long long *r)
{
	static char buf[32768];
	int fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf + 1, sizeof(buf) - 2);

	if (fd >= 0)
		close(fd);
	buf[0] = '\n';
	buf[len > 0 ? len + 1 : 1] = '\0';
	for (int i = 0; i < REF_MAX; i++) {
		char key[64];
		const char *at;

		if (!refs[i].vmstat)
			continue;
		snprintf(key, sizeof(key), "\n%s ", refs[i].vmstat);
		at = strstr(buf, key);
		r[i] = at ? strtoll(at + strlen(key), NULL, 10) : -1;
	}
}

/* Children are counted by perf's inherit: their usage too, once waited for. */
static void refs_rusage(long long *r)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	r[REF_RU_MINFLT] = self.ru_minflt + kids.ru_minflt;
	r[REF_RU_MAJFLT] = self.ru_majflt + kids.ru_majflt;
	r[REF_RU_FAULTS] = r[REF_RU_MINFLT] + r[REF_RU_MAJFLT];
}

static void perf_read_all(void)
{
	for (int i = 0; i < cs.nr; i++)
		if (!cs.ctr[i].why[0] && cs.ctr[i].nr_fd)
			ctr_perf_read(&cs.ctr[i]);
}

/*
 * A phase edge nests its reads so that each counter's interval matches its
 * reference's: perf next to getrusage, the migration samples next to
 * /proc/vmstat. Whatever else the edge does (a first touch of a buffer, a
 * fault) then falls into neither interval of a pair.
 */
static void edge_read(long long *ref, bool begin)
{
	if (begin) {
		ctr_papi_read(cs.ctr, cs.nr);
		refs_vmstat(ref);
		mig_drain();
		refs_rusage(ref);
		perf_read_all();
	} else {
		perf_read_all();
		refs_rusage(ref);
		mig_drain();
		refs_vmstat(ref);
		ctr_papi_read(cs.ctr, cs.nr);
	}
}

void counters_start(const struct topo *t)
{
	if (!cs.configured)
		counters_configure("default", "process");
	ctr_env.paranoid = (int)read_ll("/proc/sys/kernel/perf_event_paranoid", 2);
	ctr_env.privileged = privileged();
	pmu_probe(t);
	cs.papi = ctr_papi_init();
	if (cs.papi_default && ctr_papi_default_native())
		ctr_add(ctr_papi_default_native(), CTR_PAPI, "events");
	ctr_tracefs_get();	/* one tracefs mount, if needed, for every lookup */
	for (int i = 0; i < cs.nr; i++) {
		struct ctr *c = &cs.ctr[i];
		const struct sw_event *sw = sw_find(c->name);

		if (c->src == CTR_SOFTWARE)
			ctr_perf_software(c, sw->config, sw->user_ok);
		else if (c->src == CTR_TRACEPOINT)
			ctr_perf_tracepoint(c);
		else if (c->src == CTR_KPROBE)
			ctr_perf_kprobe(c);
	}
	mig_start();
	ctr_tracefs_put();
	ctr_papi_start(cs.ctr, cs.nr);
	/* Fault in what a phase edge touches, so that edges add no faults of their own. */
	edge_read(cs.stack[0].ref, true);
	cs.nr_phases = 0;
	cs.depth = 0;
	cs.started = true;
}


static struct phase *phase_get(const char *name)
{
	struct phase *p;

	for (int i = 0; i < cs.nr_phases; i++)
		if (!strcmp(cs.phase[i].name, name))
			return &cs.phase[i];
	if (cs.nr_phases == PHASE_MAX)
		return NULL;
	p = &cs.phase[cs.nr_phases++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

/* References outside, counters inside, as close together as they can be. */
void counters_phase_begin(const char *name)
{
	struct phase *p;
	struct frame *f;

	if (!cs.started)
		return;
	if (strlen(name) >= sizeof(p->name)) {
		msg("counters: phase name '%s' too long (%zu characters at most): not counted",
		    name, sizeof(p->name) - 1);
		return;
	}
	p = phase_get(name);
	if (!p || cs.depth == DEPTH_MAX) {
		msg("counters: phase '%s' not counted (more than %d phases or %d deep)",
		    name, PHASE_MAX, DEPTH_MAX);
		return;
	}
	f = &cs.stack[cs.depth++];
	f->phase = p - cs.phase;
	f->t0 = now_ns();
	edge_read(f->ref, true);
	pthread_mutex_lock(&cs.mig_lock);
	for (int i = 0; i < cs.nr; i++)
		f->val[i] = cs.ctr[i].now;
	pthread_mutex_unlock(&cs.mig_lock);
}

void counters_phase_end(const char *name)
{
	struct frame *f;
	struct phase *p;
	long long ref[REF_MAX];

	if (!cs.started || !cs.depth || strlen(name) >= sizeof(cs.phase[0].name))
		return;
	f = &cs.stack[cs.depth - 1];
	p = &cs.phase[f->phase];
	if (strcmp(p->name, name)) {
		msg("counters: phase '%s' ended while '%s' is open: ignored", name, p->name);
		return;
	}
	edge_read(ref, false);
	p->ns += now_ns() - f->t0;
	pthread_mutex_lock(&cs.mig_lock);
	for (int i = 0; i < cs.nr; i++)
		p->val[i] += cs.ctr[i].now - f->val[i];
	pthread_mutex_unlock(&cs.mig_lock);
	for (int i = 0; i < REF_MAX; i++)
		if (p->ref[i] >= 0)
			p->ref[i] = ref[i] < 0 || f->ref[i] < 0 ? -1 : p->ref[i] + ref[i] - f->ref[i];
	p->count++;
	cs.depth--;
}

long long counters_value(const char *phase, const char *counter)
{
	int i = ctr_find(counter);

	if (i < 0 || cs.ctr[i].why[0])
		return -1;
	for (int p = 0; p < cs.nr_phases; p++)
		if (!strcmp(cs.phase[p].name, phase))
			return cs.phase[p].count ? (long long)cs.phase[p].val[i] : -1;
	return -1;
}

const char *counters_why(const char *counter)
{
	int i = ctr_find(counter);

	if (i < 0)
		return "not requested";
	return cs.ctr[i].why[0] ? cs.ctr[i].why : NULL;
}

static const char *const src_names[] = {
	[CTR_PAPI] = "papi", [CTR_SOFTWARE] = "perf software event",
	[CTR_TRACEPOINT] = "perf tracepoint", [CTR_DERIVED] = "perf tracepoint samples, field sum",
	[CTR_KPROBE] = "perf kprobe",
};

static json_object *availability_json(void)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < cs.nr; i++) {
		const struct ctr *c = &cs.ctr[i];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "source", json_object_new_string(src_names[c->src]));
		json_object_object_add(e, "available", json_object_new_boolean(!c->why[0]));
		json_object_object_add(e, "unit", json_object_new_string(c->unit));
		if (c->why[0])
			json_object_object_add(e, "why", json_object_new_string(c->why));
		else
			json_object_object_add(e, "mode", json_object_new_string(c->mode));
		if (c->scaled)
			json_object_object_add(e, "scaled", json_object_new_boolean(true));
		if (c->src == CTR_DERIVED && cs.mig && counters_sample_lost(cs.mig))
			json_object_object_add(e, "lost_samples",
					       json_object_new_int64(counters_sample_lost(cs.mig)));
		json_object_object_add(o, c->name, e);
	}
	return o;
}

static json_object *phase_json(const struct phase *p)
{
	json_object *o = json_object_new_object(), *v = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_int(p->count));
	json_object_object_add(o, "duration_ns", json_object_new_int64(p->ns));
	for (int i = 0; i < cs.nr; i++) {
		json_object *e;

		if (cs.ctr[i].why[0])
			continue;	/* not counted is absent, never 0 */
		e = json_object_new_object();
		json_object_object_add(e, "value", json_object_new_int64(p->val[i]));
		json_object_object_add(e, "unit", json_object_new_string(cs.ctr[i].unit));
		json_object_object_add(v, cs.ctr[i].name, e);
	}
	json_object_object_add(o, "values", v);
	return o;
}

/* Within CHECK_TOLERANCE of the larger of the two (plus slack above); "at most": or below. */
static bool agrees(long long v, long long ref, enum check_expect expect, long long slack)
{
	long long big = MAX(llabs(v), llabs(ref));

	if (expect == AT_MOST && v <= ref)
		return true;
	if (v > ref)
		v = MAX(ref, v - slack);
	return llabs(v - ref) <= CHECK_TOLERANCE * big;
}

static void checks_add(json_object *arr, const struct phase *p)
{
	for (size_t k = 0; k < ARRAY_SIZE(check_defs); k++) {
		const struct check_def *d = &check_defs[k];
		bool sys_ref = refs[d->ref].vmstat;
		int i = ctr_find(d->counter);
		json_object *e;
		long long v, slack;

		if (d->when != FOR_BOTH && (d->when == FOR_SYSTEM) != ctr_env.system)
			continue;
		/* Counted in user mode only: kernel-mode faults are missing by design. */
		if (i < 0 || cs.ctr[i].why[0] || p->ref[d->ref] < 0 ||
		    (cs.ctr[i].src == CTR_SOFTWARE && strcmp(cs.ctr[i].mode, "user+kernel")))
			continue;
		v = p->val[i];
		slack = d->slack == REF_MAX ? -1 : p->ref[d->slack];
		e = json_object_new_object();
		json_object_object_add(e, "phase", json_object_new_string(p->name));
		json_object_object_add(e, "counter", json_object_new_string(d->counter));
		json_object_object_add(e, "value", json_object_new_int64(v));
		json_object_object_add(e, "reference", json_object_new_string(refs[d->ref].name));
		json_object_object_add(e, "reference_value", json_object_new_int64(p->ref[d->ref]));
		json_object_object_add(e, "reference_scope",
				       json_object_new_string(sys_ref ? "system" : "process"));
		json_object_object_add(e, "expect", json_object_new_string(expect_names[d->expect]));
		json_object_object_add(e, "tolerance", json_object_new_double(CHECK_TOLERANCE));
		if (slack >= 0)
			json_object_object_add(e, "slack", json_object_new_int64(slack));
		json_object_object_add(e, "agree",
				       json_object_new_boolean(agrees(v, p->ref[d->ref], d->expect,
								      MAX(slack, 0))));
		if (d->note)
			json_object_object_add(e, "note", json_object_new_string(d->note));
		json_object_array_add(arr, e);
	}
}

static json_object *env_json(json_object *o)
{
	json_object *pmu = json_object_new_object();
	bool hw = false;

	for (int i = 0; i < cs.nr; i++)
		hw |= cs.ctr[i].src == CTR_PAPI && !cs.ctr[i].why[0];
	json_object_object_add(o, "scope", json_object_new_string(ctr_env.system ? "system" : "process"));
	json_object_object_add(o, "scope_note", json_object_new_string(ctr_env.system ?
		"perf events on every CPU, every task; PAPI counters: the migrace process" :
		"the migrace process, its threads and the children it starts (perf inherit)"));
	json_object_object_add(o, "clock", json_object_new_string("CLOCK_MONOTONIC"));
	json_object_object_add(o, "perf_event_paranoid", json_object_new_int(ctr_env.paranoid));
	json_object_object_add(o, "privileged", json_object_new_boolean(ctr_env.privileged));
	json_object_object_add(pmu, "present", json_object_new_boolean(ctr_env.pmu));
	if (!ctr_env.pmu)
		json_object_object_add(pmu, "why", json_object_new_string(ctr_env.pmu_why));
	json_object_object_add(o, "pmu", pmu);
	json_object_object_add(o, "hardware_counters", json_object_new_boolean(hw));
	json_object_object_add(o, "papi", cs.papi);
	cs.papi = NULL;
	return o;
}

json_object *counters_stop(void)
{
	json_object *o, *phases = json_object_new_object(), *checks = json_object_new_array();

	if (!cs.started)
		return NULL;
	while (cs.depth) {
		const char *name = cs.phase[cs.stack[cs.depth - 1].phase].name;

		msg("counters: phase '%s' was never ended: ended with the run", name);
		counters_phase_end(name);
	}
	mig_stop();
	mig_drain();
	o = env_json(json_object_new_object());
	json_object_object_add(o, "availability", availability_json());
	for (int p = 0; p < cs.nr_phases; p++) {
		json_object_object_add(phases, cs.phase[p].name, phase_json(&cs.phase[p]));
		checks_add(checks, &cs.phase[p]);
	}
	json_object_object_add(o, "phases", phases);
	json_object_object_add(o, "checks", checks);
	for (int i = 0; i < cs.nr; i++)
		ctr_perf_close(&cs.ctr[i]);
	counters_sample_close(cs.mig);
	cs.mig = NULL;
	ctr_papi_stop();
	cs.started = false;
	cs.configured = false;
	return o;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void print_phase(FILE *f, const char *name, json_object *ph, json_object *checks)
{
	json_object *vals, *v;

	json_object_object_get_ex(ph, "values", &vals);
	json_object_object_get_ex(ph, "duration_ns", &v);
	fprintf(f, "  phase %s: %s time(s), %.3f ms\n", name, jstr(ph, "count"),
		json_object_get_int64(v) / 1e6);
	json_object_object_foreach(vals, counter, e) {
		fprintf(f, "    %-40s %14s %-10s", counter, jstr(e, "value"), jstr(e, "unit"));
		for (size_t i = 0; i < json_object_array_length(checks); i++) {
			json_object *c = json_object_array_get_idx(checks, i);

			if (!strcmp(jstr(c, "phase"), name) && !strcmp(jstr(c, "counter"), counter))
				fprintf(f, "  %s %s %s: %s", strcmp(jstr(c, "expect"), "equal") ?
					"<=" : "=", jstr(c, "reference"), jstr(c, "reference_value"),
					json_object_get_boolean(json_object_object_get(c, "agree")) ?
					"agree" : "DISAGREE");
		}
		fputc('\n', f);
	}
}

/* Counters that do not count, one line per reason. */
static void print_unavailable(FILE *f, json_object *avail)
{
	struct json_object_iterator it = json_object_iter_begin(avail);
	struct json_object_iterator end = json_object_iter_end(avail);

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *why = jstr(json_object_iter_peek_value(&it), "why");
		struct json_object_iterator o = json_object_iter_begin(avail);
		bool seen = false;

		for (; !seen && !json_object_iter_equal(&o, &it); json_object_iter_next(&o))
			seen = !strcmp(jstr(json_object_iter_peek_value(&o), "why"), why);
		if (!*why || seen)
			continue;
		fprintf(f, "  not counted:");
		for (o = it; !json_object_iter_equal(&o, &end); json_object_iter_next(&o))
			if (!strcmp(jstr(json_object_iter_peek_value(&o), "why"), why))
				fprintf(f, " %s", json_object_iter_peek_name(&o));
		fprintf(f, "\n    (%s)\n", why);
	}
}

/* A small table for people: the run phase (or every phase), then what did not count and why. */
void counters_print(FILE *f, json_object *c, bool all_phases)
{
	json_object *phases, *avail, *checks, *pmu;

	if (!c)
		return;
	json_object_object_get_ex(c, "phases", &phases);
	json_object_object_get_ex(c, "availability", &avail);
	json_object_object_get_ex(c, "checks", &checks);
	json_object_object_get_ex(c, "pmu", &pmu);
	fprintf(f, "counters: scope %s (%s)\n", jstr(c, "scope"), jstr(c, "scope_note"));
	if (!json_object_get_boolean(json_object_object_get(c, "hardware_counters")))
		fprintf(f, "counters: SOFTWARE EVENTS ONLY, no hardware counter counts%s%s\n",
			*jstr(pmu, "why") ? ": " : "", jstr(pmu, "why"));
	json_object_object_foreach(phases, name, ph)
		if (all_phases || !strcmp(name, "run"))
			print_phase(f, name, ph, checks);
	print_unavailable(f, avail);
}
