/* result.c - one scenario run's result: verdict, provenance and metrics as migrace-result/1 JSON. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "known.h"
#include "region.h"
#include "result.h"
#include "settings.h"
#include "util.h"

const char *verdict_name(enum verdict v)
{
	return v == VERDICT_PASS ? "pass" : v == VERDICT_SKIP ? "skip" : "fail";
}

static void add_file(json_object *o, const char *key, const char *path)
{
	char raw[512];

	if (read_text(path, raw, sizeof(raw)) < 0)
		return;
	json_object_object_add(o, key, json_object_new_string(raw));
}

/* As the kernel shows it (the chosen word of a choice); absent settings are left out. */
static void add_setting(json_object *o, const char *key, enum setting s)
{
	char buf[512];

	if (!settings_text(s, buf, sizeof(buf)))
		json_object_object_add(o, key, json_object_new_string(buf));
}

/* CPU model and microcode revision of the first CPU, from /proc/cpuinfo. */
static void add_cpu(json_object *o)
{
	static const struct { const char *field, *key; } want[] = {
		{ "model name", "cpu_model" }, { "microcode", "cpu_microcode" },
	};
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	int found = 0;

	if (!f)
		return;
	while (found < 2 && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v || line[0] == '\n')
			continue;
		v[strcspn(v, "\n")] = '\0';
		for (int i = 0; i < 2; i++)
			if (!strncmp(line, want[i].field, strlen(want[i].field)) &&
			    !json_object_object_get_ex(o, want[i].key, NULL)) {
				json_object_object_add(o, want[i].key,
						       json_object_new_string(v[1] ? v + 2 : ""));
				found++;
			}
	}
	fclose(f);
}

/* Everything a reader needs to know which machine and kernel produced the figures. */
json_object *result_provenance(const struct topo *t)
{
	json_object *p = json_object_new_object(), *thp = json_object_new_object();
	json_object *nb = json_object_new_object();
	struct utsname u;
	const char *timing;

	uname(&u);
	json_object_object_add(p, "migrace_version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(p, "kernel_release", json_object_new_string(u.release));
	json_object_object_add(p, "kernel_version", json_object_new_string(u.version));
	json_object_object_add(p, "machine", json_object_new_string(u.machine));
	json_object_object_add(p, "hostname", json_object_new_string(u.nodename));
	add_file(p, "kernel_cmdline", "/proc/cmdline");
	add_file(p, "clocksource",
		 "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	add_cpu(p);
	json_object_object_add(p, "topology", topo_to_json(t));

	json_object_object_add(p, "hypervisor", json_object_new_string(t->hypervisor));
	json_object_object_add(p, "emulated", json_object_new_boolean(t->emulated));
	/* How far the timings can be trusted as hardware figures. */
	timing = t->emulated ? "emulated" : t->hypervisor[0] ? "virtualized" : "hardware";
	json_object_object_add(p, "timings", json_object_new_string(timing));

	add_setting(thp, "enabled", SET_THP_ENABLED);
	add_setting(thp, "defrag", SET_THP_DEFRAG);
	add_setting(thp, "shmem_enabled", SET_THP_SHMEM_ENABLED);
	json_object_object_add(thp, "pmd_size", json_object_new_int64(region_thp_size()));
	json_object_object_add(p, "thp", thp);

	add_setting(nb, "enabled", SET_NUMA_BALANCING);
	for (enum setting s = SET_NB_SCAN_DELAY_MS; s <= SET_NB_SCAN_SIZE_MB; s++)
		add_setting(nb, settings_name(s), s);
	json_object_object_add(p, "numa_balancing", nb);
	return p;
}

struct result *result_new(const char *scenario, const struct topo *t, int argc, char **argv)
{
	struct result *r = calloc(1, sizeof(*r));
	json_object *args = json_object_new_array();
	char stamp[32];
	time_t now = time(NULL);

	if (!r)
		abort();
	snprintf(r->scenario, sizeof(r->scenario), "%s", scenario);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	for (int i = 0; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	r->root = json_object_new_object();
	r->metrics = json_object_new_object();
	json_object_object_add(r->root, "schema", json_object_new_string(RESULT_SCHEMA));
	json_object_object_add(r->root, "scenario", json_object_new_string(scenario));
	json_object_object_add(r->root, "started", json_object_new_string(stamp));
	json_object_object_add(r->root, "args", args);
	json_object_object_add(r->root, "provenance", result_provenance(t));
	r->verdict = VERDICT_PASS;
	return r;
}

/* The worst verdict wins (fail over skip over pass), and the first reason of it. */
void result_verdict(struct result *r, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	if (v < r->verdict || (v == r->verdict && r->reason[0]))
		return;
	r->verdict = v;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

void result_metric(struct result *r, const char *name, json_object *val)
{
	json_object_object_add(r->metrics, name, val);
}

/*
 * bad more blocks or pages found bad by a content check: added up in
 * metrics.violations, and the run's first kept as metrics.first_violation
 * with gup-race's field names, which the known-issue catalogue matches
 * (kernels/known-issues/README.md), whichever scenario saw it.
 */
void result_violation(struct result *r, unsigned long long bad,
		      const struct result_violation *v)
{
	json_object *n = NULL, *f = NULL;

	json_object_object_get_ex(r->metrics, "violations", &n);
	result_metric(r, "violations", json_object_new_int64(json_object_get_int64(n) + bad));
	if (json_object_object_get_ex(r->metrics, "first_violation", &f) && f)
		return;
	f = json_object_new_object();
	json_object_object_add(f, "leg", json_object_new_string(v->leg));
	json_object_object_add(f, "seen_through", json_object_new_string(v->seen));
	json_object_object_add(f, "status", json_object_new_string(v->status));
	json_object_object_add(f, "region_offset", json_object_new_int64(v->region_off));
	json_object_object_add(f, "node_before", json_object_new_int(v->node_before));
	json_object_object_add(f, "node_after", json_object_new_int(v->node_after));
	result_metric(r, "first_violation", f);
}

/* Whole or absent, even after a crash or a power cut: a reader never sees half a result. */
int result_write(json_object *root, const char *path)
{
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	char tmp[4096];
	FILE *f = atomic_open(path, tmp, sizeof(tmp));

	if (!f)
		return -errno;
	fputs(text, f);
	return atomic_close(f, tmp, path);
}

static const char *result_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

/* The one greppable line of a result; its free-text reason last. */
void result_print_summary(json_object *root)
{
	json_object *ki = NULL, *un = NULL;

	printf("SUMMARY scenario=%s verdict=%s", result_str(root, "scenario"), result_str(root, "verdict"));
	if (json_object_object_get_ex(root, "known_issue", &ki)) {
		printf(" known_issue=%s", result_str(ki, "name"));
		if (!strcmp(result_str(ki, "match"), "partial") &&
		    json_object_object_get_ex(ki, "unexplained", &un))
			printf(" unexplained=%zu", json_object_array_length(un));
	}
	if (result_str(root, "reason")[0])
		printf(" reason=%s", result_str(root, "reason"));
	putchar('\n');
	fflush(stdout);
}

int result_finish(struct result *r, const char *json_path)
{
	int ret = r->verdict == VERDICT_PASS ? EXIT_PASS :
		  r->verdict == VERDICT_SKIP ? EXIT_SKIP : EXIT_FAIL, err;

	json_object_object_add(r->root, "verdict", json_object_new_string(verdict_name(r->verdict)));
	json_object_object_add(r->root, "reason", json_object_new_string(r->reason));
	json_object_object_add(r->root, "metrics", json_object_get(r->metrics));
	known_triage_default(r->root);
	if (json_path && (err = result_write(r->root, json_path))) {
		msg("cannot write %s: %s", json_path, strerror(-err));
		ret = EXIT_FAIL;
	}
	result_print_summary(r->root);
	json_object_put(r->root);
	json_object_put(r->metrics);
	free(r);
	return ret;
}
