/* unit-settings.c - THP and NUMA balancing settings on a fake root: typed reads, both layouts, push, pop, restore. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeroot.h"
#include "knob.h"
#include "settings.h"
#include "tap.h"
#include "util.h"

#define THP	"/sys/kernel/mm/transparent_hugepage"
#define DBG	"/sys/kernel/debug/sched/numa_balancing"
#define SYSCTL	"/proc/sys/kernel"

/* A machine of kernel 6.1's files, khugepaged's max_ptes_none left out. */
static void machine(void)
{
	fakeroot_mkdirs(THP "/khugepaged");
	fakeroot_mkdirs(DBG);
	fakeroot_mkdirs(SYSCTL);
	fakeroot_put(THP "/enabled", "always [madvise] never");
	fakeroot_put(THP "/defrag", "always defer defer+madvise [madvise] never");
	fakeroot_put(THP "/shmem_enabled", "always within_size advise [never] deny force");
	fakeroot_put(THP "/hpage_pmd_size", "2097152");
	fakeroot_put(THP "/khugepaged/defrag", "1");
	fakeroot_put(THP "/khugepaged/pages_to_scan", "4096");
	fakeroot_put(SYSCTL "/numa_balancing", "0");
	fakeroot_put(DBG "/scan_delay_ms", "1000");
	fakeroot_put(DBG "/scan_period_min_ms", "1000");
	fakeroot_put(DBG "/scan_period_max_ms", "60000");
	fakeroot_put(DBG "/scan_size_mb", "256");
}

/* A real choice file shows every word again after a write; a plain file keeps the one written. */
static bool machine_as_found(void)
{
	return settings_get(SET_THP_ENABLED) == THP_MADVISE &&
	       !strcmp(fakeroot_get(SYSCTL "/numa_balancing"), "0") &&
	       !strcmp(fakeroot_get(DBG "/scan_delay_ms"), "1000") &&
	       !strcmp(fakeroot_get(DBG "/scan_size_mb"), "256");
}

static void typed_reads(void)
{
	char path[256], text[64];
	struct settings st;

	tap_ok(settings_get(SET_THP_ENABLED) == THP_MADVISE, "THP enabled reads as a choice");
	tap_ok(settings_get(SET_THP_DEFRAG) == DEFRAG_MADVISE &&
	       settings_get(SET_THP_SHMEM_ENABLED) == SHMEM_NEVER, "defrag and shmem_enabled too");
	tap_ok(settings_get(SET_THP_PMD_SIZE) == 2u << 20, "PMD size as a number");
	tap_ok(settings_get(SET_KHUGEPAGED_MAX_PTES_NONE) == -ENOENT, "an absent setting is -ENOENT");
	tap_ok(!settings_text(SET_THP_SHMEM_ENABLED, text, sizeof(text)) && !strcmp(text, "never"),
	       "text is the chosen word: %s", text);
	fakeroot_put(THP "/khugepaged/pages_to_scan", "lots");
	tap_ok(settings_get(SET_KHUGEPAGED_PAGES_TO_SCAN) == -EINVAL, "a value it cannot read is -EINVAL");
	fakeroot_put(THP "/khugepaged/pages_to_scan", "4096");
	tap_ok(settings_find(text, sizeof(text)) == 0 &&
	       !settings_path(SET_NB_SCAN_SIZE_MB, path, sizeof(path)) &&
	       !strcmp(path + strlen(fakeroot), DBG "/scan_size_mb"), "debugfs layout: %s", path);
	settings_save(&st);
	tap_ok(st.v[SET_NUMA_BALANCING] == 0 && st.v[SET_NB_SCAN_PERIOD_MAX_MS] == 60000 &&
	       st.v[SET_KHUGEPAGED_MAX_PTES_NONE] == SETTING_KEEP, "save reads every setting there is");
	tap_ok(settings_set(SET_THP_ENABLED, 7) == -EINVAL && settings_choice(SET_THP_ENABLED, 7) == NULL,
	       "a choice out of range is refused");
}

static void push_pop(void)
{
	struct settings run, inner;
	enum setting failed = SETTINGS_NR;
	int ret;

	settings_keep(&run);
	run.v[SET_NUMA_BALANCING] = 1;
	run.v[SET_NB_SCAN_DELAY_MS] = 5;
	run.v[SET_THP_ENABLED] = THP_ALWAYS;
	ret = settings_push(&run, NULL);
	tap_ok(!ret && !strcmp(fakeroot_get(SYSCTL "/numa_balancing"), "1") &&
	       settings_get(SET_NB_SCAN_DELAY_MS) == 5 && !strcmp(fakeroot_get(THP "/enabled"), "always"),
	       "push writes what it is given (%d)", ret);
	settings_keep(&inner);
	inner.v[SET_NB_SCAN_DELAY_MS] = 7;
	settings_push(&inner, NULL);
	tap_ok(settings_get(SET_NB_SCAN_DELAY_MS) == 7, "a nested push");
	settings_pop();
	tap_ok(settings_get(SET_NB_SCAN_DELAY_MS) == 5 && settings_get(SET_NUMA_BALANCING) == 1,
	       "pop goes back one push");
	settings_pop();
	tap_ok(settings_get(SET_NB_SCAN_DELAY_MS) == 1000 && settings_get(SET_NUMA_BALANCING) == 0 &&
	       settings_get(SET_THP_ENABLED) == THP_MADVISE, "and the next one to the machine's values");
	tap_ok(settings_pop() == -EINVAL, "pop without push is an error");

	settings_keep(&run);
	run.v[SET_KHUGEPAGED_PAGES_TO_SCAN] = 8192;
	run.v[SET_KHUGEPAGED_MAX_PTES_NONE] = 0;
	ret = settings_push(&run, &failed);
	tap_ok(ret == -ENOENT && failed == SET_KHUGEPAGED_MAX_PTES_NONE &&
	       settings_get(SET_KHUGEPAGED_PAGES_TO_SCAN) == 4096,
	       "a push that fails names the setting and leaves nothing changed");
	settings_restore();
	tap_ok(machine_as_found(), "restore: the machine as found");
}

static void procfs_layout(void)
{
	char path[256], why[64];

	fakeroot_put(SYSCTL "/numa_balancing_scan_delay_ms", "1000");
	fakeroot_put(SYSCTL "/numa_balancing_scan_size_mb", "256");
	settings_set_root(fakeroot);
	tap_ok(!settings_find(why, sizeof(why)) &&
	       !settings_path(SET_NB_SCAN_DELAY_MS, path, sizeof(path)) &&
	       !strcmp(path + strlen(fakeroot), SYSCTL "/numa_balancing_scan_delay_ms"),
	       "procfs layout before Linux 5.13: %s", path);
	tap_ok(!settings_set(SET_NB_SCAN_SIZE_MB, 4) &&
	       !strcmp(fakeroot_get(SYSCTL "/numa_balancing_scan_size_mb"), "4") &&
	       !strcmp(fakeroot_get(DBG "/scan_size_mb"), "256"), "writes go to procfs, not debugfs");
	settings_restore();
	tap_ok(!strcmp(fakeroot_get(SYSCTL "/numa_balancing_scan_size_mb"), "256"), "and are restored there");
	unlink(strcat(strcpy(path, fakeroot), SYSCTL "/numa_balancing_scan_delay_ms"));
	unlink(strcat(strcpy(path, fakeroot), SYSCTL "/numa_balancing_scan_size_mb"));
	settings_set_root(fakeroot);
}

/* A real fault, hidden from UBSan: it would end the process itself, before the handlers. */
static void __attribute__((no_sanitize("undefined"))) crash(void)
{
	*(volatile int *)0 = 1;
}

/* A child that changes settings, then ends as how says: knob.c's guarantee holds through settings. */
static void child(int how)
{
	pid_t pid = fork();
	struct settings st;

	if (!pid) {
		knob_install_handlers();
		settings_keep(&st);
		st.v[SET_THP_ENABLED] = THP_NEVER;
		st.v[SET_NUMA_BALANCING] = 1;
		st.v[SET_NB_SCAN_DELAY_MS] = 5;
		st.v[SET_NB_SCAN_SIZE_MB] = 4;
		settings_push(&st, NULL);
		if (how == 1)
			exit(0);
		if (how == 2)
			crash();
		kill(getpid(), SIGTERM);	/* first signal: asks to stop */
		while (!migrace_stop)
			;
		kill(getpid(), SIGTERM);	/* second: restore and die */
		pause();
	}
	waitpid(pid, NULL, 0);
}

int main(void)
{
	static const char *const how[] = { NULL, "normal exit", "SIGSEGV", "SIGTERM" };

	if (fakeroot_make("settings"))
		return 1;
	machine();
	settings_set_root(fakeroot);
	typed_reads();
	push_pop();
	procfs_layout();
	for (int i = 1; i <= 3; i++) {
		child(i);
		tap_ok(machine_as_found(), "%s: settings restored", how[i]);
	}
	fakeroot_remove();
	return tap_done();
}
