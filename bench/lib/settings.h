/* settings.h - the machine state migrace changes (THP, khugepaged, NUMA balancing): one typed owner. */
#ifndef MIGRACE_SETTINGS_H
#define MIGRACE_SETTINGS_H

#include <stddef.h>

/*
 * Every setting is a number: choice files ("always [madvise] never") are
 * the index of the choice in the enums below. Writes go through knob.c, so
 * each setting is saved before its first change and restored on every exit
 * path, signals and crashes included.
 */
enum setting {
	SET_THP_ENABLED,		/* enum thp_enabled */
	SET_THP_DEFRAG,			/* enum thp_defrag */
	SET_THP_SHMEM_ENABLED,		/* enum thp_shmem */
	SET_THP_PMD_SIZE,		/* bytes, read only */
	SET_KHUGEPAGED_DEFRAG,		/* 0 or 1 */
	SET_KHUGEPAGED_PAGES_TO_SCAN,
	SET_KHUGEPAGED_SCAN_SLEEP_MS,
	SET_KHUGEPAGED_ALLOC_SLEEP_MS,
	SET_KHUGEPAGED_MAX_PTES_NONE,
	SET_NUMA_BALANCING,		/* 0 off, 1 normal, 2 memory tiering, 3 both */
	SET_NB_SCAN_DELAY_MS,		/* procfs before Linux 5.13, debugfs since */
	SET_NB_SCAN_PERIOD_MIN_MS,
	SET_NB_SCAN_PERIOD_MAX_MS,
	SET_NB_SCAN_SIZE_MB,
	SETTINGS_NR
};

enum thp_enabled { THP_ALWAYS, THP_MADVISE, THP_NEVER };
enum thp_defrag { DEFRAG_ALWAYS, DEFRAG_DEFER, DEFRAG_DEFER_MADVISE, DEFRAG_MADVISE, DEFRAG_NEVER };
enum thp_shmem { SHMEM_ALWAYS, SHMEM_WITHIN_SIZE, SHMEM_ADVISE, SHMEM_NEVER, SHMEM_DENY, SHMEM_FORCE };

#define SETTING_KEEP	(-1LL)		/* in struct settings: leave it as it is */
#define SETTINGS_PATH	256		/* room for any setting's file name */

/* A whole set, as settings_save() read it or as a caller wants it. */
struct settings {
	long long v[SETTINGS_NR];
};

const char *settings_name(enum setting s);
const char *settings_choice(enum setting s, long long v);
int settings_path(enum setting s, char *buf, size_t len);
long long settings_get(enum setting s);
int settings_text(enum setting s, char *buf, size_t len);
int settings_set(enum setting s, long long v);

void settings_keep(struct settings *st);
void settings_save(struct settings *st);
int settings_write(const struct settings *st, enum setting *failed);
int settings_push(const struct settings *st, enum setting *failed);
int settings_pop(void);
void settings_restore(void);

int settings_find(char *why, size_t len);
void settings_set_root(const char *root);

#endif
