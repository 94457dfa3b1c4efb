/* args.c - the command line that compare, export, report and rates share, and the title naming the runs. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "util.h"

/* export and report: an existing, writable --out and runs of the same scenarios. */
void report_load_out(struct run *runs, int n, char **dirs, const char *cmd, const char *out)
{
	if (!out)
		usage_error("%s: --out DIR is required", cmd);
	if (n < 1)
		usage_error("%s: no run directory given", cmd);
	if (access(out, W_OK))
		usage_error("%s: --out %s: %s", cmd, out, strerror(errno));
	runs_load(runs, n, dirs);
	runs_check_same_scenarios(runs, n);
}

/* Options go to opt_parse, the rest are run directories; returns how many. */
int report_args(const struct opt *opts, int argc, char **argv, const char *usage, char **dirs)
{
	const struct opt *tabs[2] = { opts, NULL };
	char **o = calloc(argc + 1, sizeof(*o));
	int no = 0, nd = 0;

	if (!o)
		abort();
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "-", 1)) {
			const struct opt *x = opts;

			o[no++] = argv[i];
			while (x->name && strcmp(argv[i] + 2, x->name))
				x++;
			/* "--name VALUE": the value is not a run directory */
			if (x->name && x->type != OPT_BOOL && i + 1 < argc && !strchr(argv[i], '='))
				o[no++] = argv[++i];
		} else if (nd == RUNS_MAX) {
			usage_error("at most %d runs at once", RUNS_MAX);
		} else {
			dirs[nd++] = argv[i];
		}
	}
	opt_parse(tabs, no, o, usage);
	free(o);
	return nd;
}

/* --threshold PCT of compare and report: a percentage, else exit 2. */
double report_threshold(const char *str)
{
	char *end;
	double t = strtod(str, &end);

	if (end == str || *end || !(t >= 0) || t > 1e6)
		usage_error("--threshold: '%s' is not a percentage >= 0", str);
	return t;
}

/* "<machine>, <timings>: <kernel A> vs <kernel B>": what every plot title names. */
void report_title(const struct run *runs, int nruns, char *buf, size_t len)
{
	const struct run *r = &runs[0];
	json_object *topo = NULL, *nodes = NULL;
	const char *timings = runs_prov_str(r, "timings"), *cpu = runs_prov_str(r, "cpu_model");
	size_t used;

	if (r->prov)
		json_object_object_get_ex(r->prov, "topology", &topo);
	if (topo)
		json_object_object_get_ex(topo, "nodes", &nodes);
	used = snprintf(buf, len, "%s%d-node %s machine (%s), %s timings: ",
			!strcmp(timings, "emulated") ? "emulated " : "",
			nodes ? json_object_get_int(nodes) : 0,
			!strcmp(timings, "emulated") ? "QEMU TCG" : runs_prov_str(r, "hostname"),
			cpu[0] ? cpu : "unknown CPU", timings[0] ? timings : "unknown");
	for (int i = 0; i < nruns && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? " vs " : "", runs[i].label);
}
