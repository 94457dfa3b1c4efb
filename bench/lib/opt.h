/* opt.h - declarative option tables (fio style): one row per option, help generated from it. */
#ifndef MIGRACE_OPT_H
#define MIGRACE_OPT_H

#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_BOOL,	/* bool; takes no value */
	OPT_INT,	/* int */
	OPT_U64,	/* uint64_t */
	OPT_SIZE,	/* uint64_t bytes, "2M" */
	OPT_DOUBLE,	/* double */
	OPT_STR,	/* const char * */
	OPT_ENUM,	/* int: the index of the value in choices */
};

struct opt {
	const char *name;
	enum opt_type type;
	void *dest;
	const char *def;	/* default, as it would be typed; NULL: none */
	const char *help;
	double min, max;	/* checked when max > min */
	const char *const *choices;	/* OPT_ENUM: the words it takes, NULL-terminated */
};

/*
 * Parses --name VALUE / --name=VALUE against NULL-terminated tables, after
 * setting every default. Bad input ends the process with exit status 2;
 * --help prints the tables and exits 0.
 */
void opt_parse(const struct opt *const *tabs, int argc, char **argv,
	       const char *usage);
void opt_help(FILE *f, const struct opt *const *tabs);

#endif
