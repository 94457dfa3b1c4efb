/* unit-counters.c - counters: what cannot count is reported with its reason, never as 0; the rest is checked. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "counters.h"
#include "tap.h"
#include "topo.h"
#include "util.h"

#define PAGE 4096
#define BOGUS "PAPI_NO_SUCH_EVENT"

static const char *str_at(json_object *o, const char *path)
{
	char buf[256], *save = NULL;
	json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, "/", &save); k && v; k = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(v, k, &v))
			return NULL;
	return v ? json_object_get_string(v) : NULL;
}

/* Faults every base page of a fresh mapping: one minor fault each. */
static void touch(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	munmap(p, pages * PAGE);
}

/* Faults the pages in through get_user_pages: getrusage counts them, perf's fault events do not. */
static int populate(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (p == MAP_FAILED)
		abort();
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
	ret = madvise(p, pages * PAGE, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */) ? -errno : 0;
	munmap(p, pages * PAGE);
	return ret;
}

static json_object *find_check(json_object *c, const char *phase, const char *counter,
			       const char *ref)
{
	json_object *checks;

	json_object_object_get_ex(c, "checks", &checks);
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *k = json_object_array_get_idx(checks, i);

		if (!strcmp(str_at(k, "phase"), phase) && !strcmp(str_at(k, "counter"), counter) &&
		    !strncmp(str_at(k, "reference"), ref, strlen(ref)))
			return k;
	}
	return NULL;
}

static void test_gup_faults(json_object *c, int populated, size_t pages)
{
	json_object *k = find_check(c, "populate", "page-faults", "getrusage");
	const char *why = counters_why("kprobe:handle_mm_fault");

	if (populated) {
		tap_skip("MADV_POPULATE_WRITE: %s", strerror(-populated));
		tap_skip("MADV_POPULATE_WRITE: %s", strerror(-populated));
		return;
	}
	tap_ok(k && atoll(str_at(k, "reference_value")) >= (long long)pages &&
	       atoll(str_at(k, "value")) < (long long)pages / 2 && !strcmp(str_at(k, "agree"), "true") &&
	       !strcmp(str_at(k, "expect"), "at most"),
	       "faults through get_user_pages: getrusage %s, perf page-faults %s, checked as 'at most'",
	       k ? str_at(k, "reference_value") : "?", k ? str_at(k, "value") : "?");
	k = find_check(c, "populate", "kprobe:handle_mm_fault", "getrusage");
	if (why)
		tap_skip("kprobe:handle_mm_fault: %s", why);
	else
		tap_ok(k && atoll(str_at(k, "value")) >= (long long)pages && !strcmp(str_at(k, "agree"), "true"),
		       "kprobe:handle_mm_fault counts them too: %s, getrusage %s",
		       k ? str_at(k, "value") : "?", k ? str_at(k, "reference_value") : "?");
}

static void *touch_thread(void *arg)
{
	touch((size_t)arg);
	return NULL;
}

/* The test's own answer to "is there a PMU": a user-mode cycles counter on itself. */
static bool have_pmu(void)
{
	struct perf_event_attr a = {
		.size = sizeof(a), .type = PERF_TYPE_HARDWARE,
		.config = PERF_COUNT_HW_CPU_CYCLES, .exclude_kernel = 1, .exclude_hv = 1,
	};
	long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void test_unavailable(json_object *c)
{
	const char *why = counters_why(BOGUS);
	char path[128];

	tap_ok(why && (strstr(why, "PAPI_E") || strstr(why, "not built")),
	       "a bogus PAPI event is unavailable, with the PAPI error name: %s", why);
	tap_ok(counters_value("touch", BOGUS) == -1, "its value is -1 (unavailable), not 0");
	snprintf(path, sizeof(path), "phases/touch/values/%s", BOGUS);
	tap_ok(!str_at(c, path), "and it is absent from the phase's values in the JSON");
	snprintf(path, sizeof(path), "availability/%s/available", BOGUS);
	tap_ok(str_at(c, path) && !strcmp(str_at(c, path), "false"),
	       "the availability table lists it as not available");

	why = counters_why("PAPI_TOT_CYC");
	if (have_pmu() && !strstr(str_at(c, "papi/built"), "false"))
		tap_ok(!why && counters_value("touch", "PAPI_TOT_CYC") > 0,
		       "PMU present: PAPI_TOT_CYC counts %lld", counters_value("touch", "PAPI_TOT_CYC"));
	else
		tap_ok(why && (strstr(why, "PMU not") || strstr(why, "not built")) &&
		       counters_value("touch", "PAPI_TOT_CYC") == -1 &&
		       !str_at(c, "phases/touch/values/PAPI_TOT_CYC"),
		       "no PMU (or no PAPI): PAPI_TOT_CYC unavailable, not 0: %s", why);
	if (have_pmu())
		tap_skip("a PMU is present: hardware_counters may be true");
	else
		tap_ok(!strcmp(str_at(c, "hardware_counters"), "false") && str_at(c, "pmu/why"),
		       "no PMU: marked software only: %s", str_at(c, "pmu/why"));

	why = counters_why("nosuch:tracepoint");
	tap_ok(why && (strstr(why, "tracepoint absent") || strstr(why, "tracefs")),
	       "an unknown tracepoint is unavailable: %s", why);
	tap_ok(counters_why("never:asked") && counters_value("touch", "never:asked") == -1,
	       "a counter never asked for is unavailable");
}

static void test_values(json_object *c, size_t outer, size_t inner)
{
	long long pf = counters_value("touch", "page-faults");
	long long in = counters_value("inner", "page-faults");
	json_object *checks;
	int n = 0, bad = 0;

	tap_ok(pf >= (long long)(outer + inner),
	       "page-faults counts a later thread's faults too (inherit): %lld >= %zu", pf, outer + inner);
	tap_ok(in >= (long long)inner && in <= pf, "a nested phase: %zu <= %lld <= %lld", inner, in, pf);
	tap_ok(counters_value("touch", "task-clock") > 0, "task-clock counts: %lld ns",
	       counters_value("touch", "task-clock"));
	tap_ok(str_at(c, "phases/touch/values/page-faults/unit") &&
	       !strcmp(str_at(c, "phases/touch/values/page-faults/unit"), "faults"),
	       "values carry their unit");
	json_object_object_get_ex(c, "checks", &checks);
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *k = json_object_array_get_idx(checks, i);

		if (strcmp(str_at(k, "reference_scope"), "process"))
			continue;	/* /proc/vmstat also counts other processes */
		n++;
		if (strcmp(str_at(k, "agree"), "true")) {
			bad++;
			tap_diag("%s %s: %s vs %s %s", str_at(k, "phase"), str_at(k, "counter"),
				 str_at(k, "value"), str_at(k, "reference"), str_at(k, "reference_value"));
		}
	}
	tap_ok(n >= 3 && !bad, "%d checks against getrusage, %d disagree by more than 5%%", n, bad);
}

static void test_sampler(void)
{
	const char *const fields[] = { "address", NULL };
	struct counters_rec *recs = calloc(4096, sizeof(*recs));
	struct counters_sampler *s;
	char why[256];
	size_t pages = 256;
	uint64_t t0, t1;
	int n, in_time = 0, mine = 0;
	char *p;

	s = counters_sample_open("exceptions:page_fault_user", fields, 0, why, sizeof(why));
	if (!s) {
		tap_skip("sampling exceptions:page_fault_user: %s", why);
		free(recs);
		return;
	}
	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
	t0 = now_ns();
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	t1 = now_ns();
	n = counters_sample_read(s, recs, 4096);
	for (int i = 0; i < n; i++) {
		uint64_t a = (uint64_t)recs[i].field[0];

		in_time += recs[i].time_ns >= t0 && recs[i].time_ns <= t1;
		mine += a >= (uint64_t)p && a < (uint64_t)p + pages * PAGE &&
			recs[i].tid == (uint32_t)syscall(SYS_gettid) && recs[i].pid == (uint32_t)getpid();
	}
	tap_ok(mine == (int)pages, "sampler: one record per fault on the region (%d of %zu), with pid and tid", mine, pages);
	tap_ok(in_time >= (int)pages, "sampler: CLOCK_MONOTONIC times inside the touching interval (%d)", in_time);
	tap_ok(counters_sample_lost(s) == 0, "sampler: nothing lost");
	counters_sample_close(s);
	munmap(p, pages * PAGE);
	free(recs);
}

/* As nobody: software counts at any paranoid level <= 2, and a reason for the rest. */
static void test_unprivileged(const struct topo *t)
{
	int fds[2], st;
	char buf[1 << 16];
	ssize_t len = 0, r;
	json_object *c;
	pid_t pid;
	const char *why, *mode;

	if (geteuid() != 0) {
		tap_skip("not root: cannot become nobody to test unprivileged counting");
		return;
	}
	if (pipe(fds))
		abort();
	pid = fork();
	if (pid == 0) {
		json_object *j;

		close(fds[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(1);
		counters_configure("none", "process");
		counters_start(t);
		counters_phase_begin("touch");
		touch(256);
		counters_phase_end("touch");
		j = counters_stop();
		r = write(fds[1], json_object_to_json_string(j), strlen(json_object_to_json_string(j)));
		_exit(r > 0 ? 0 : 1);
	}
	close(fds[1]);
	while ((r = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	buf[len] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	c = json_tokener_parse(buf);
	if (!c) {
		tap_ok(0, "unprivileged child reported its counters (exit %d)", st);
		return;
	}
	tap_diag("unprivileged, perf_event_paranoid=%s", str_at(c, "perf_event_paranoid"));
	why = str_at(c, "availability/page-faults/why");
	mode = str_at(c, "availability/page-faults/mode");
	if (atoi(str_at(c, "perf_event_paranoid")) <= 2)
		tap_ok(!why && atoll(str_at(c, "phases/touch/values/page-faults/value")) >= 256,
		       "nobody counts page-faults (mode %s): %s", mode,
		       str_at(c, "phases/touch/values/page-faults/value"));
	else
		tap_ok(why && strstr(why, "perf_event_paranoid"), "nobody: page-faults: %s", why);
	why = str_at(c, "availability/context-switches/why");
	tap_ok(atoi(str_at(c, "perf_event_paranoid")) <= 1 ? !why : why && strstr(why, "perf_event_paranoid"),
	       "nobody: context-switches: %s", why ? why : "counts");
	why = str_at(c, "availability/migrate:mm_migrate_pages/why");
	tap_ok(why && (strstr(why, "root") || strstr(why, "perf_event_paranoid")),
	       "nobody: tracepoints say what they need: %s", why);
	json_object_put(c);
}

int main(void)
{
	struct topo t;
	json_object *c;
	pthread_t th;
	size_t outer = 2048, inner = 512, gup = 1024;
	int populated;

	topo_init(&t);
	counters_configure(BOGUS ",PAPI_TOT_CYC,nosuch:tracepoint", "process");
	counters_start(&t);
	counters_phase_begin("touch");
	/* Started after the counters: counted through perf's inherit. */
	pthread_create(&th, NULL, touch_thread, (void *)outer);
	pthread_join(th, NULL);
	counters_phase_begin("inner");
	touch(inner);
	counters_phase_end("inner");
	counters_phase_end("touch");
	counters_phase_begin("populate");
	populated = populate(gup);
	counters_phase_end("populate");
	test_sampler();
	c = counters_stop();
	test_unavailable(c);
	test_values(c, outer, inner);
	test_gup_faults(c, populated, gup);
	json_object_put(c);
	test_unprivileged(&t);
	return tap_done();
}
