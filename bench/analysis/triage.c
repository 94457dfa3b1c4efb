/* triage.c - migrace triage: names the known kernel issue of failed results, rewriting them in place. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "known.h"
#include "result.h"
#include "triage.h"
#include "util.h"

static const char triage_usage[] =
	"usage: migrace triage [--known-issues DIR] RESULT.json...\n\n"
	"Matches each failed result (its kernel_log, 'after exit:' lines included,\n"
	"its first violation and its kernel) against the catalogue of known kernel\n"
	"issues, kernels/known-issues/README.md, and rewrites the result in place:\n"
	"a known_issue object, and a note at the end of its reason, '(known issue:\n"
	"NAME)' or '(no known issue matches: new)'. The verdict is left as it was.\n"
	"Passed and skipped results are left alone. Run it again after adding lines\n"
	"to kernel_log: the previous note is replaced. Prints per result what matched\n"
	"and its SUMMARY line, with known_issue=NAME or known_issue=none.\n\n"
	"  --known-issues DIR  the catalogue (default: $MIGRACE_KNOWN_ISSUES, else the one\n"
	"                      installed beside migrace (../share/migrace/kernels/known-issues),\n"
	"                      else the source tree's kernels/known-issues, else the installed one)\n\n"
	"Exit status: 0 every result triaged (or left alone), 1 a result could not be\n"
	"written, 2 bad input (no such file, not a migrace result, a broken catalogue).\n";

static void triage_print(const char *path, json_object *res)
{
	json_object *ki = NULL, *un = NULL, *v;
	const char *match = "";

	if (json_object_object_get_ex(res, "known_issue", &ki) &&
	    json_object_object_get_ex(ki, "match", &v))
		match = json_object_get_string(v);
	json_object_object_get_ex(ki, "unexplained", &un);
	if (!ki) {
		printf("%s: not failed: nothing to triage\n", path);
	} else if (!strcmp(match, "none")) {
		printf("%s: no known issue matches: new\n", path);
	} else {
		json_object_object_get_ex(ki, "name", &v);
		printf("%s: known issue %s%s\n", path, json_object_get_string(v),
		       strcmp(match, "full") ? ", partly: not all it shows is explained" : "");
		if (json_object_object_get_ex(ki, "title", &v))
			printf("  %s\n", json_object_get_string(v));
		if (json_object_object_get_ex(ki, "fix", &v))
			printf("  fix: %s\n", json_object_get_string(v));
	}
	for (size_t i = 0; un && i < json_object_array_length(un); i++)
		printf("  unexplained: %s\n", json_object_get_string(json_object_array_get_idx(un, i)));
	result_print_summary(res);
}

static int triage_one(const struct known_set *set, const char *path)
{
	json_object *res = json_object_from_file(path), *v;
	int ret = EXIT_PASS;

	if (!res) {
		msg("triage: %s: not readable JSON", path);
		return EXIT_USAGE;
	}
	if (!json_object_object_get_ex(res, "schema", &v) ||
	    strcmp(json_object_get_string(v), RESULT_SCHEMA)) {
		msg("triage: %s: not a %s result", path, RESULT_SCHEMA);
		json_object_put(res);
		return EXIT_USAGE;
	}
	if (known_triage(set, res) && result_write(res, path)) {
		msg("triage: cannot write %s", path);
		ret = EXIT_FAIL;
	}
	if (ret == EXIT_PASS)
		triage_print(path, res);
	json_object_put(res);
	return ret;
}

int cmd_triage(int argc, char **argv)
{
	struct known_set *set = calloc(1, sizeof(*set));
	const char *dir = NULL;
	char err[512];
	int i = 0, ret = EXIT_PASS;

	if (!set)
		abort();
	if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		fputs(triage_usage, stdout);
		free(set);
		return EXIT_PASS;
	}
	if (argc > 0 && !strncmp(argv[0], "--known-issues", 14)) {
		if (argv[0][14] == '=')
			dir = argv[0] + 15;
		else if (!argv[0][14] && argc > 1)
			dir = argv[++i];
		else
			usage_error("triage: --known-issues needs a directory");
		i++;
	}
	if (i < argc && argv[i][0] == '-')
		usage_error("triage: unknown option '%s' (see 'migrace triage --help')", argv[i]);
	if (i == argc)
		usage_error("triage: which result? (migrace triage RESULT.json...)");
	if (known_load(set, dir ? dir : known_default_dir(), err, sizeof(err)))
		usage_error("triage: the known-issue catalogue: %s", err);
	for (; i < argc; i++) {
		int r = triage_one(set, argv[i]);

		ret = MAX(ret, r);
	}
	known_free(set);
	free(set);
	return ret;
}
