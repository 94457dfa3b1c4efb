/* counters_papi.c - hardware counters through PAPI: added one by one, every refusal recorded by name. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "counters_int.h"
#include "util.h"

#ifdef HAVE_PAPI
#include <papi.h>

#define SETS_MAX 8

/*
 * One event set per PAPI component, started before the scenario and read at
 * every phase edge: PAPI runs one event set per component and thread at a
 * time, so nested phases share the set and take differences.
 */
static struct papi_set {
	int cidx, es, nr;
	bool running;
	int ctr[CTR_MAX];	/* index into the counters, in the set's order */
	long long val[CTR_MAX];
} sets[SETS_MAX];
static int nr_sets, papi_domain;

#define E(x) [-(x)] = #x
static const char *const papi_errnames[] = {
	E(PAPI_EINVAL), E(PAPI_ENOMEM), E(PAPI_ESYS), E(PAPI_ECMP), E(PAPI_ECLOST),
	E(PAPI_EBUG), E(PAPI_ENOEVNT), E(PAPI_ECNFLCT), E(PAPI_ENOTRUN), E(PAPI_EISRUN),
	E(PAPI_ENOEVST), E(PAPI_ENOTPRESET), E(PAPI_ENOCNTR), E(PAPI_EMISC), E(PAPI_EPERM),
	E(PAPI_ENOINIT), E(PAPI_ENOCMP), E(PAPI_ENOSUPP), E(PAPI_ENOIMPL), E(PAPI_EBUF),
	E(PAPI_EINVAL_DOM), E(PAPI_EATTR), E(PAPI_ECOUNT), E(PAPI_ECOMBO),
	E(PAPI_ECMP_DISABLED), E(PAPI_EDELAY_INIT), E(PAPI_EMULPASS),
};
#undef E

static const char *papi_errname(int code)
{
	if (code < 0 && -code < (int)ARRAY_SIZE(papi_errnames) && papi_errnames[-code])
		return papi_errnames[-code];
	return "PAPI error";
}

/* "PAPI_ENOEVNT (Event does not exist)", and the component's own story when it is off. */
static void papi_why(struct ctr *c, int code, int cidx)
{
	const PAPI_component_info_t *ci;
	const char *s = PAPI_strerror(code);
	char comp[CTR_WHY] = "";

	if (cidx < 0)
		cidx = PAPI_get_component_index("perf_event");
	ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
	if (ci && ci->disabled)
		snprintf(comp, sizeof(comp), "; component %.32s disabled: %.200s", ci->name,
			 ci->disabled_reason);
	snprintf(c->why, sizeof(c->why), "%s%s%s (%s)%s", ctr_env.pmu ? "" : ctr_env.pmu_why,
		 ctr_env.pmu ? "" : ": ", papi_errname(code), s ? s : "?", comp);
}

static json_object *papi_components(void)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < PAPI_num_components(); i++) {
		const PAPI_component_info_t *ci = PAPI_get_component_info(i);
		json_object *o = json_object_new_object();

		if (!ci)
			continue;
		json_object_object_add(o, "name", json_object_new_string(ci->name));
		json_object_object_add(o, "enabled", json_object_new_boolean(!ci->disabled));
		if (ci->disabled)
			json_object_object_add(o, "disabled_reason",
					       json_object_new_string(ci->disabled_reason));
		json_object_object_add(o, "num_cntrs", json_object_new_int(ci->num_cntrs));
		json_object_object_add(o, "num_mpx_cntrs", json_object_new_int(ci->num_mpx_cntrs));
		json_object_array_add(a, o);
	}
	return a;
}

static int papi_inited = -1;	/* PAPI_library_init's answer */

json_object *ctr_papi_init(void)
{
	json_object *o = json_object_new_object();
	char ver[32];

	json_object_object_add(o, "built", json_object_new_boolean(true));
	papi_inited = PAPI_library_init(PAPI_VER_CURRENT);
	if (papi_inited != PAPI_VER_CURRENT) {
		json_object_object_add(o, "init", json_object_new_string(papi_errname(papi_inited)));
		return o;
	}
	snprintf(ver, sizeof(ver), "%d.%d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION),
		 PAPI_VERSION_MINOR(PAPI_VERSION), PAPI_VERSION_REVISION(PAPI_VERSION),
		 PAPI_VERSION_INCREMENT(PAPI_VERSION));
	json_object_object_add(o, "version", json_object_new_string(ver));
	/* Kernel mode too where allowed: migration and fault handling run there. */
	papi_domain = ctr_env.privileged || ctr_env.paranoid <= 1 ?
		      PAPI_DOM_USER | PAPI_DOM_KERNEL : PAPI_DOM_USER;
	json_object_object_add(o, "domain", json_object_new_string(
		papi_domain == PAPI_DOM_USER ? "user" : "user+kernel"));
	json_object_object_add(o, "scope", json_object_new_string(
		"process: the migrace process and the threads and children it starts (inherit)"));
	json_object_object_add(o, "components", papi_components());
	return o;
}

/* libpfm4 PMU name -> the core event counting loads served by a remote node's DRAM. */
static const struct {
	const char *pmu, *event;
} remote_dram[] = {
	{ "amd64_fam17h_zen2", "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_DRAM" },
	{ "amd64_fam19h_zen3", "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_RMT" },
	{ "amd64_fam19h_zen4", "ANY_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_FAR" },
	{ "spr", "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM" },
	{ "icx", "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM" },
	{ "clx", "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM" },
	{ "skx", "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM" },
	{ "bdw_ep", "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM" },
	{ "hsw_ep", "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM" },
	{ "ivb_ep", "MEM_LOAD_UOPS_LLC_MISS_RETIRED:REMOTE_DRAM" },
	{ "snb_ep", "MEM_LOAD_UOPS_LLC_MISS_RETIRED:REMOTE_DRAM" },
	{ "wsm_dp", "MEM_UNCORE_RETIRED:REMOTE_DRAM" },
	{ "nhm_ex", "MEM_UNCORE_RETIRED:REMOTE_DRAM" },
};

/* "pmu::EVENT:UMASK" for the CPU libpfm4 detected, or NULL when it knows none. */
const char *ctr_papi_default_native(void)
{
	static char name[CTR_NAME];
	const PAPI_component_info_t *ci;
	int cidx;

	if (papi_inited != PAPI_VER_CURRENT)
		return NULL;
	cidx = PAPI_get_component_index("perf_event");
	ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
	if (!ci || ci->disabled)
		return NULL;
	for (int i = 0; i < PAPI_PMU_MAX && ci->pmu_names[i]; i++)
		for (size_t j = 0; j < ARRAY_SIZE(remote_dram); j++)
			if (!strcmp(ci->pmu_names[i], remote_dram[j].pmu)) {
				snprintf(name, sizeof(name), "%s::%s", remote_dram[j].pmu,
					 remote_dram[j].event);
				return name;
			}
	return NULL;
}

static struct papi_set *papi_set_for(int cidx, int *err)
{
	struct papi_set *s;
	PAPI_option_t opt;

	for (int i = 0; i < nr_sets; i++)
		if (sets[i].cidx == cidx)
			return &sets[i];
	if (nr_sets == SETS_MAX) {
		*err = PAPI_ECOUNT;
		return NULL;
	}
	s = &sets[nr_sets];
	memset(s, 0, sizeof(*s));
	s->cidx = cidx;
	s->es = PAPI_NULL;
	*err = PAPI_create_eventset(&s->es);
	if (*err == PAPI_OK)
		*err = PAPI_assign_eventset_component(s->es, cidx);
	if (*err != PAPI_OK)
		return NULL;
	memset(&opt, 0, sizeof(opt));
	opt.domain.eventset = s->es;
	opt.domain.domain = papi_domain;
	PAPI_set_opt(PAPI_DOMAIN, &opt);
	/* Threads the scenario starts later are counted too, as with perf. */
	memset(&opt, 0, sizeof(opt));
	opt.inherit.eventset = s->es;
	opt.inherit.inherit = PAPI_INHERIT_ALL;
	PAPI_set_opt(PAPI_INHERIT, &opt);
	nr_sets++;
	return s;
}

static void papi_add(struct ctr *ctrs, int i)
{
	struct ctr *c = &ctrs[i];
	struct papi_set *s;
	int code, ret, cidx;

	ret = PAPI_event_name_to_code(c->name, &code);
	if (ret != PAPI_OK) {
		papi_why(c, ret, -1);
		return;
	}
	cidx = PAPI_get_event_component(code);
	s = papi_set_for(cidx, &ret);
	if (s)
		ret = PAPI_add_event(s->es, code);
	if (ret != PAPI_OK) {
		papi_why(c, ret, cidx);
		return;
	}
	c->mode = papi_domain == PAPI_DOM_USER ? "user" : "user+kernel";
	s->ctr[s->nr++] = i;
}

void ctr_papi_start(struct ctr *ctrs, int n)
{
	for (int i = 0; i < n; i++) {
		if (ctrs[i].src != CTR_PAPI)
			continue;
		if (papi_inited != PAPI_VER_CURRENT)
			papi_why(&ctrs[i], papi_inited, -1);
		else
			papi_add(ctrs, i);
	}
	for (int i = 0; i < nr_sets; i++) {
		int ret = sets[i].nr ? PAPI_start(sets[i].es) : PAPI_OK;

		sets[i].running = sets[i].nr && ret == PAPI_OK;
		for (int j = 0; ret != PAPI_OK && j < sets[i].nr; j++)
			papi_why(&ctrs[sets[i].ctr[j]], ret, sets[i].cidx);
	}
}

void ctr_papi_read(struct ctr *ctrs, int n)
{
	for (int i = 0; i < nr_sets; i++) {
		struct papi_set *s = &sets[i];

		if (!s->running || PAPI_read(s->es, s->val) != PAPI_OK)
			continue;
		for (int j = 0; j < s->nr; j++)
			ctrs[s->ctr[j]].now = (uint64_t)s->val[j];
	}
}

void ctr_papi_stop(void)
{
	for (int i = 0; i < nr_sets; i++) {
		if (sets[i].running)
			PAPI_stop(sets[i].es, sets[i].val);
		PAPI_cleanup_eventset(sets[i].es);
		PAPI_destroy_eventset(&sets[i].es);
	}
	nr_sets = 0;
	if (papi_inited == PAPI_VER_CURRENT)
		PAPI_shutdown();
	papi_inited = -1;
}

#else /* !HAVE_PAPI */

json_object *ctr_papi_init(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "built", json_object_new_boolean(false));
	json_object_object_add(o, "why", json_object_new_string(WHY_NO_PAPI));
	return o;
}

const char *ctr_papi_default_native(void)
{
	return NULL;
}

void ctr_papi_start(struct ctr *ctrs, int n)
{
	/* WHY_NO_PAPI reads "built without papi: <reason>". */
	const char *why = strstr(WHY_NO_PAPI, ": ");

	for (int i = 0; i < n; i++)
		if (ctrs[i].src == CTR_PAPI)
			snprintf(ctrs[i].why, sizeof(ctrs[i].why), "not built: %s",
				 why ? why + 2 : WHY_NO_PAPI);
}

void ctr_papi_read(struct ctr *ctrs, int n)
{
}

void ctr_papi_stop(void)
{
}

#endif
