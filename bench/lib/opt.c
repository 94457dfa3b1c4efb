/* opt.c - declarative option tables (fio style): one row per option, help generated from it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "util.h"

static const char *const type_arg[] = {
	[OPT_BOOL] = "",
	[OPT_INT] = " N",
	[OPT_U64] = " N",
	[OPT_SIZE] = " SIZE",
	[OPT_DOUBLE] = " X",
	[OPT_STR] = " STR",
	[OPT_ENUM] = " WORD",
};

/* The index of val in the option's choices; a word it does not take ends the process. */
static int opt_choice(const struct opt *o, const char *val)
{
	char list[256] = "";
	size_t n = 0;

	for (int i = 0; o->choices[i]; i++) {
		if (!strcmp(val, o->choices[i]))
			return i;
		if (n < sizeof(list))
			n += snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				      o->choices[i]);
	}
	usage_error("--%s: '%s' is not one of %s", o->name, val, list);
}

static void opt_set(const struct opt *o, const char *val)
{
	uint64_t u = 0;
	double d = 0;
	char *end;

	switch (o->type) {
	case OPT_BOOL:
		*(bool *)o->dest = !val || !strcmp(val, "1") || !strcmp(val, "yes");
		return;
	case OPT_STR:
		*(const char **)o->dest = val;
		return;
	case OPT_ENUM:
		*(int *)o->dest = opt_choice(o, val);
		return;
	case OPT_SIZE:
		if (parse_size(val, &u))
			usage_error("--%s: '%s' is not a size (e.g. 4096, 64k, 2M, 1G)",
				    o->name, val);
		d = u;
		break;
	case OPT_INT:
	case OPT_U64:
		if (parse_u64(val, &u))
			usage_error("--%s: '%s' is not a non-negative integer", o->name, val);
		d = u;
		break;
	case OPT_DOUBLE:
		errno = 0;
		d = strtod(val, &end);
		/* nan and inf pass no range check: no option means them */
		if (errno || end == val || *end || !isfinite(d))
			usage_error("--%s: '%s' is not a number", o->name, val);
		break;
	}
	if (o->max > o->min && (d < o->min || d > o->max))
		usage_error("--%s: %s is out of range [%g, %g]", o->name, val, o->min, o->max);
	if (o->type == OPT_INT)
		*(int *)o->dest = (int)d;
	else if (o->type == OPT_DOUBLE)
		*(double *)o->dest = d;
	else
		*(uint64_t *)o->dest = u;
}

static const struct opt *opt_find(const struct opt *const *tabs, const char *name, size_t len)
{
	for (; *tabs; tabs++)
		for (const struct opt *o = *tabs; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, name, len))
				return o;
	return NULL;
}

void opt_help(FILE *f, const struct opt *const *tabs)
{
	char left[64];

	for (; *tabs; tabs++) {
		for (const struct opt *o = *tabs; o->name; o++) {
			snprintf(left, sizeof(left), "--%s%s", o->name, type_arg[o->type]);
			fprintf(f, "  %-24s %s", left, o->help);
			if (o->def && o->type != OPT_BOOL)
				fprintf(f, " [%s]", o->def);
			fputc('\n', f);
		}
	}
}

void opt_parse(const struct opt *const *tabs, int argc, char **argv, const char *usage)
{
	for (const struct opt *const *t = tabs; *t; t++)
		for (const struct opt *o = *t; o->name; o++)
			if (o->def)
				opt_set(o, o->def);

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		const struct opt *o;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			printf("usage: %s\n\noptions:\n", usage);
			opt_help(stdout, tabs);
			exit(EXIT_PASS);
		}
		if (strncmp(arg, "--", 2))
			usage_error("unexpected argument '%s' (see --help)", arg);
		arg += 2;
		eq = strchr(arg, '=');
		o = opt_find(tabs, arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (!o)
			usage_error("unknown option '%s' (see --help)", argv[i]);
		if (eq)
			val = eq + 1;
		else if (o->type != OPT_BOOL && ++i < argc)
			val = argv[i];
		else if (o->type != OPT_BOOL)
			usage_error("--%s needs a value", o->name);
		if (o->type == OPT_BOOL && eq && strcmp(val, "0") && strcmp(val, "1") &&
		    strcmp(val, "yes") && strcmp(val, "no"))
			usage_error("--%s takes no value or one of 0, 1, yes, no", o->name);
		opt_set(o, val);
	}
}
