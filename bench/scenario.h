/* scenario.h - what a scenario is: a row in migrace's table, with its options and run function. */
#ifndef MIGRACE_SCENARIO_H
#define MIGRACE_SCENARIO_H

#include "klog.h"
#include "needs.h"
#include "opt.h"
#include "result.h"
#include "topo.h"

struct run_ctx {
	struct topo topo;
	struct result *res;
	struct klog klog;
	int verbose;
};

/* A named preset of a scenario's options: --profile NAME stands for its args. */
struct profile {
	const char *name;
	const char *args;	/* as typed, separated by spaces */
	const char *why;
};

struct scenario {
	const char *name;
	const char *desc;
	const struct opt *opts;		/* NULL-terminated, or NULL */
	/* Option tables owned elsewhere, offered after opts (pin_options); NULL: none. */
	const struct opt *const *(*more_opts)(void);
	const struct profile *profiles;	/* ended by a NULL name, or NULL: none */
	struct needs needs;		/* of the machine, with the default options */
	/*
	 * Options checked (bad input exits 2, before anything changes) and
	 * needs narrowed to what they ask; NULL: nothing to check.
	 */
	void (*validate)(struct run_ctx *ctx, struct needs *needs);
	int (*run)(struct run_ctx *ctx);	/* records its verdict in ctx->res */
	const char *unimplemented;	/* why run is NULL: compiled out, not yet written */
};

/* scenarios.def lists every scenario once: the table and declarations follow from it. */
#define SCENARIO(id) extern const struct scenario scenario_##id;
#include "scenarios.def"
#undef SCENARIO

void run_klog_verdict(struct run_ctx *ctx);

#endif
