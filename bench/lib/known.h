/* known.h - the kernel bugs migrace has met (kernels/known-issues) and which one a failed result shows. */
#ifndef MIGRACE_KNOWN_H
#define MIGRACE_KNOWN_H

#include <json-c/json.h>
#include <limits.h>
#include <regex.h>

#define KNOWN_MAX	32	/* entries in a catalogue */
#define KNOWN_MAX_LOG	8	/* log: lines of an entry */
#define KNOWN_MAX_SHAPE	8	/* violation: lines of an entry */
#define KNOWN_MAX_TERM	6	/* KEY=VALUE terms of a violation: line */
#define KNOWN_MAX_RANGE	4	/* affected: lines of an entry */

/* Kernel versions as numbers: 6.1.192 is 6001192. */
#define KNOWN_VERSION(a, b, c)	((a) * 1000000L + (b) * 1000L + (c))

struct known_range {
	long lo, hi;		/* lo <= version < hi */
};

struct known_term {
	char key[32];
	char vals[128];		/* "a|b|c": any of them */
};

struct known_shape {
	struct known_term t[KNOWN_MAX_TERM];
	int n;
};

enum known_needs { KNOWN_NEEDS_ANY, KNOWN_NEEDS_LOG, KNOWN_NEEDS_VIOLATION };

struct known_issue {
	char name[64];
	char title[256];
	char release[64];	/* fnmatch() pattern on the kernel release; "" any */
	char cmdline[128];	/* fnmatch() pattern on the kernel command line; "" any */
	char fix[256];
	struct known_range range[KNOWN_MAX_RANGE];
	int nrange;		/* 0: every version */
	regex_t log[KNOWN_MAX_LOG];
	int nlog;
	struct known_shape shape[KNOWN_MAX_SHAPE];
	int nshape;
	enum known_needs needs;
};

struct known_set {
	struct known_issue e[KNOWN_MAX];
	int n;
	char dir[PATH_MAX];
};

enum known_how { KNOWN_NONE, KNOWN_PARTIAL, KNOWN_FULL };

struct known_match {
	const struct known_issue *issue;	/* NULL: no entry names it */
	enum known_how how;
	int explained;
	json_object *unexplained;	/* what the entry (or none) does not explain, as strings */
};

const char *known_default_dir(void);
int known_load(struct known_set *s, const char *dir, char *err, size_t len);
void known_free(struct known_set *s);
long known_kernel_version(const char *release, const char *version);
int known_match(const struct known_set *s, json_object *result, struct known_match *m);
void known_match_free(struct known_match *m);
int known_triage(const struct known_set *s, json_object *result);
void known_triage_default(json_object *result);
int known_tally(json_object *const *reps, int n, char *buf, size_t len);

#endif
