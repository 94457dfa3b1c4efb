/* result.h - one scenario run's result: verdict, provenance and metrics as migrace-result/1 JSON. */
#ifndef MIGRACE_RESULT_H
#define MIGRACE_RESULT_H

#include <json-c/json.h>

#include "topo.h"

#define RESULT_SCHEMA "migrace-result/1"

enum verdict { VERDICT_PASS, VERDICT_SKIP, VERDICT_FAIL };

struct result {
	json_object *root;
	json_object *metrics;
	enum verdict verdict;
	char reason[512];
	char scenario[32];
};

struct result *result_new(const char *scenario, const struct topo *t, int argc, char **argv);
json_object *result_provenance(const struct topo *t);
void result_verdict(struct result *r, enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void result_metric(struct result *r, const char *name, json_object *val);

/* A content check that failed, in the shape of gup-race's first violation. */
struct result_violation {
	const char *leg, *seen, *status;	/* status: stamp_status_name() */
	unsigned long long region_off;
	int node_before, node_after;
};
void result_violation(struct result *r, unsigned long long bad,
		      const struct result_violation *v);
int result_finish(struct result *r, const char *json_path);
int result_write(json_object *root, const char *path);
void result_print_summary(json_object *root);
const char *verdict_name(enum verdict v);

#endif
