/* settings.c - the machine state migrace changes (THP, khugepaged, NUMA balancing): one typed owner. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ftrace.h"
#include "guard.h"
#include "knob.h"
#include "settings.h"
#include "util.h"

#define SETTINGS_DEPTH	8
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage/"
#define SYSCTL_DIR	"/proc/sys/kernel/"
#define DEBUGFS_DIR	"/sys/kernel/debug"

enum settings_dir { DIR_THP, DIR_KHUGEPAGED, DIR_SYSCTL, DIR_NB_SCAN };

static const char *const thp_enabled_names[] = { "always", "madvise", "never", NULL };
static const char *const thp_defrag_names[] = {
	"always", "defer", "defer+madvise", "madvise", "never", NULL
};
static const char *const thp_shmem_names[] = {
	"always", "within_size", "advise", "never", "deny", "force", NULL
};

static const struct settings_desc {
	const char *name;		/* what results and messages call it */
	enum settings_dir dir;
	const char *file;
	const char *const *choices;	/* NULL: a number */
} settings_desc[SETTINGS_NR] = {
	[SET_THP_ENABLED] = { "thp_enabled", DIR_THP, "enabled", thp_enabled_names },
	[SET_THP_DEFRAG] = { "thp_defrag", DIR_THP, "defrag", thp_defrag_names },
	[SET_THP_SHMEM_ENABLED] = { "thp_shmem_enabled", DIR_THP, "shmem_enabled", thp_shmem_names },
	[SET_THP_PMD_SIZE] = { "thp_pmd_size", DIR_THP, "hpage_pmd_size" },
	[SET_KHUGEPAGED_DEFRAG] = { "khugepaged_defrag", DIR_KHUGEPAGED, "defrag" },
	[SET_KHUGEPAGED_PAGES_TO_SCAN] = { "khugepaged_pages_to_scan", DIR_KHUGEPAGED, "pages_to_scan" },
	[SET_KHUGEPAGED_SCAN_SLEEP_MS] = { "khugepaged_scan_sleep_ms", DIR_KHUGEPAGED,
					   "scan_sleep_millisecs" },
	[SET_KHUGEPAGED_ALLOC_SLEEP_MS] = { "khugepaged_alloc_sleep_ms", DIR_KHUGEPAGED,
					    "alloc_sleep_millisecs" },
	[SET_KHUGEPAGED_MAX_PTES_NONE] = { "khugepaged_max_ptes_none", DIR_KHUGEPAGED, "max_ptes_none" },
	[SET_NUMA_BALANCING] = { "numa_balancing", DIR_SYSCTL, "numa_balancing" },
	[SET_NB_SCAN_DELAY_MS] = { "scan_delay_ms", DIR_NB_SCAN, "scan_delay_ms" },
	[SET_NB_SCAN_PERIOD_MIN_MS] = { "scan_period_min_ms", DIR_NB_SCAN, "scan_period_min_ms" },
	[SET_NB_SCAN_PERIOD_MAX_MS] = { "scan_period_max_ms", DIR_NB_SCAN, "scan_period_max_ms" },
	[SET_NB_SCAN_SIZE_MB] = { "scan_size_mb", DIR_NB_SCAN, "scan_size_mb" },
};

/* Where the NUMA balancing scan tunables are: they left procfs for debugfs in Linux 5.13. */
static enum { NB_UNSEEN, NB_PROCFS, NB_DEBUGFS, NB_NONE } nb_layout;
static char nb_debugfs[FTRACE_PATH];

/* Tests point the module at a fake "/" of plain files. */
static char settings_root[SETTINGS_PATH / 2];

/* What each settings_push() changed, with the values it found. */
static struct settings settings_stack[SETTINGS_DEPTH];
static int settings_depth;

/* The guardian's lock and journal move there too: a test must not take the machine's. */
void settings_set_root(const char *root)
{
	char dir[SETTINGS_PATH];

	snprintf(settings_root, sizeof(settings_root), "%s", root ? root : "");
	snprintf(dir, sizeof(dir), "%s" GUARD_DIR, settings_root);
	guard_set_dir(dir);
	nb_layout = NB_UNSEEN;
}

static bool nb_procfs(void)
{
	char path[SETTINGS_PATH];

	snprintf(path, sizeof(path), "%s" SYSCTL_DIR "numa_balancing_scan_delay_ms", settings_root);
	return !access(path, F_OK);
}

/* Without settings_find(): procfs, else debugfs where it is usually mounted. */
static void nb_layout_guess(void)
{
	if (nb_layout != NB_UNSEEN)
		return;
	nb_layout = nb_procfs() ? NB_PROCFS : NB_DEBUGFS;
	snprintf(nb_debugfs, sizeof(nb_debugfs), "%s" DEBUGFS_DIR, settings_root);
}

/*
 * Finds the scan tunables, mounting debugfs in a private mount namespace if
 * need be, so nothing is left mounted on any exit path. Call it while the
 * process has one thread: unshare needs that.
 */
int settings_find(char *why, size_t len)
{
	char dbg[FTRACE_PATH];

	if (nb_procfs()) {
		nb_layout = NB_PROCFS;
		return 0;
	}
	if (settings_root[0]) {
		snprintf(dbg, sizeof(dbg), "%s" DEBUGFS_DIR, settings_root);
	} else if (ftrace_fs("debugfs", DEBUGFS_DIR, dbg, sizeof(dbg), why, len)) {
		nb_layout = NB_NONE;
		return -ENOENT;
	}
	snprintf(nb_debugfs, sizeof(nb_debugfs), "%s", dbg);
	nb_layout = NB_DEBUGFS;
	return 0;
}

const char *settings_name(enum setting s)
{
	return settings_desc[s].name;
}

/* The choice that value v stands for, or NULL for a number or a value out of range. */
const char *settings_choice(enum setting s, long long v)
{
	const char *const *c = settings_desc[s].choices;

	for (long long i = 0; c && c[i]; i++)
		if (i == v)
			return c[i];
	return NULL;
}

/* The file of setting s; "" and -ENOENT when its layout was looked for and not found. */
int settings_path(enum setting s, char *buf, size_t len)
{
	const struct settings_desc *d = &settings_desc[s];
	const char *r = settings_root;
	int n;

	switch (d->dir) {
	case DIR_THP:
		n = snprintf(buf, len, "%s" THP_DIR "%s", r, d->file);
		break;
	case DIR_KHUGEPAGED:
		n = snprintf(buf, len, "%s" THP_DIR "khugepaged/%s", r, d->file);
		break;
	case DIR_SYSCTL:
		n = snprintf(buf, len, "%s" SYSCTL_DIR "%s", r, d->file);
		break;
	default:
		nb_layout_guess();
		if (nb_layout == NB_NONE) {
			snprintf(buf, len, "%s", "");
			return -ENOENT;
		}
		if (nb_layout == NB_PROCFS)
			n = snprintf(buf, len, "%s" SYSCTL_DIR "numa_balancing_%s", r, d->file);
		else
			n = snprintf(buf, len, "%s/sched/numa_balancing/%s", nb_debugfs, d->file);
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* As the kernel shows it, a choice file reduced to the chosen word. */
int settings_text(enum setting s, char *buf, size_t len)
{
	char path[SETTINGS_PATH];
	int ret = settings_path(s, path, sizeof(path));

	return ret ? ret : knob_get(path, buf, len);
}

/* The value, or -errno: -EINVAL for a word or number this module does not know. */
long long settings_get(enum setting s)
{
	const char *const *c = settings_desc[s].choices;
	char buf[128], *end;
	long long v;
	int ret = settings_text(s, buf, sizeof(buf));

	if (ret)
		return ret;
	for (long long i = 0; c && c[i]; i++)
		if (!strcmp(c[i], buf))
			return i;
	if (c)
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	return errno || end == buf || v < 0 ? -EINVAL : v;
}

/* Saved by knob.c before the first change, so every exit path puts it back. */
int settings_set(enum setting s, long long v)
{
	char path[SETTINGS_PATH], text[32];
	const char *choice = settings_choice(s, v);
	int ret = settings_path(s, path, sizeof(path));

	if (ret)
		return ret;
	if (settings_desc[s].choices && !choice)
		return -EINVAL;
	if (!choice)
		snprintf(text, sizeof(text), "%lld", v);
	return knob_set(path, choice ? choice : text);
}

void settings_keep(struct settings *st)
{
	for (int s = 0; s < SETTINGS_NR; s++)
		st->v[s] = SETTING_KEEP;
}

/* Every setting this kernel has; the others SETTING_KEEP. */
void settings_save(struct settings *st)
{
	for (int s = 0; s < SETTINGS_NR; s++) {
		long long v = settings_get(s);

		st->v[s] = v < 0 ? SETTING_KEEP : v;
	}
}

/* Writes what differs, in table order; stops at the first error and names it in *failed. */
int settings_write(const struct settings *st, enum setting *failed)
{
	for (int s = 0; s < SETTINGS_NR; s++) {
		int ret;

		if (st->v[s] == SETTING_KEEP || settings_get(s) == st->v[s])
			continue;
		ret = settings_set(s, st->v[s]);
		if (ret) {
			if (failed)
				*failed = s;
			return ret;
		}
	}
	return 0;
}

/* Writes st and remembers what it replaced for settings_pop(); on error nothing stays changed. */
int settings_push(const struct settings *st, enum setting *failed)
{
	struct settings *prev;
	int ret;

	if (settings_depth == SETTINGS_DEPTH)
		return -ENOSPC;
	prev = &settings_stack[settings_depth];
	for (int s = 0; s < SETTINGS_NR; s++) {
		long long v = st->v[s] == SETTING_KEEP ? SETTING_KEEP : settings_get(s);

		prev->v[s] = v < 0 ? SETTING_KEEP : v;
	}
	settings_depth++;
	ret = settings_write(st, failed);
	if (ret)
		settings_pop();
	return ret;
}

/* Back to what the last settings_push() found. */
int settings_pop(void)
{
	if (!settings_depth)
		return -EINVAL;
	return settings_write(&settings_stack[--settings_depth], NULL);
}

/* Everything as migrace found it: every setting and every other knob it changed. */
void settings_restore(void)
{
	settings_depth = 0;
	knob_restore_all();
}
