/* unit-ftrace.c - trace line parsing and hinting-fault pairing, fed with lines real kernels print. */
#include "config.h"

#include <string.h>

#include "faultlat.h"
#include "ftrace.h"
#include "tap.h"
#include "tsc.h"

/* Lines from Debian's 6.1 kernel: function_graph with funcgraph-proc and -tail, and kprobes. */
static const char *const graph_lines[] = {
	" 1)   touch-150    |               |  do_huge_pmd_numa_page() {",
	" 1)   touch-150    |               |  /* mm_migrate_pages: nr_succeeded=512 nr_failed=0 nr_thp_succeeded=1 nr_thp_failed=0 nr_thp_split=0 mode=MIGRATE_ASYNC reason=numa_misplaced */",
	" 1)   touch-150    | * 17307.43 us |  } /* do_huge_pmd_numa_page */",
	" 0)  nf-work-12345 |   3.456 us    |  do_huge_pmd_numa_page();",
	" 1)   touch-150    |               |  /* mm_migrate_pages: nr_succeeded=1 nr_failed=0 nr_thp_succeeded=0 nr_thp_failed=0 nr_thp_split=0 mode=MIGRATE_ASYNC reason=numa_misplaced */",
	" 0)   other-99     |   1.000 us    |  do_huge_pmd_numa_page();",
	"CPU:1 [LOST 42 EVENTS]",
	" ------------------------------------------",
};

static const char *const event_lines[] = {
	"           touch-156     [001] .....  44729917123: pmd_in: (do_huge_pmd_numa_page+0x0/0x470)",
	"           touch-156     [001] .....  44757794375: mm_migrate_pages: nr_succeeded=512 nr_failed=0 nr_thp_succeeded=1 nr_thp_failed=0 nr_thp_split=0 mode=MIGRATE_ASYNC reason=numa_misplaced",
	"           touch-156     [001] .....  44759396105: pmd_out: (__handle_mm_fault+0x3eb/0xfa0 <- do_huge_pmd_numa_page)",
	"           touch-156     [001] .....  44759721521: pmd_in: (do_huge_pmd_numa_page+0x0/0x470)",
	"           touch-156     [001] .....  44759722521: pmd_out: (__handle_mm_fault+0x3eb/0xfa0 <- do_huge_pmd_numa_page)",
	"           touch-156     [001] .....  44759730000: pmd_out: (__handle_mm_fault+0x3eb/0xfa0 <- do_huge_pmd_numa_page)",
};

static bool ours(int tid, void *arg)
{
	(void)arg;
	return tid == 150 || tid == 156 || tid == 12345;
}

static void feed(struct faultlat *f, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		faultlat_line(lines[i], f);
}

static void test_parse(void)
{
	struct ftrace_graph g;
	struct ftrace_event ev;
	int ret;

	ret = ftrace_parse_graph(graph_lines[0], &g);
	tap_ok(!ret && g.kind == FTRACE_GRAPH_ENTRY && g.pid == 150 && g.cpu == 1 &&
	       !strcmp(g.func, "do_huge_pmd_numa_page"),
	       "graph entry: pid %d cpu %d func '%s'", g.pid, g.cpu, g.func);
	ret = ftrace_parse_graph(graph_lines[2], &g);
	tap_ok(!ret && g.kind == FTRACE_GRAPH_EXIT && g.dur_ns == 17307430 &&
	       !strcmp(g.func, "do_huge_pmd_numa_page"),
	       "graph exit with a '*' marker: %llu ns", (unsigned long long)g.dur_ns);
	ret = ftrace_parse_graph(graph_lines[3], &g);
	tap_ok(!ret && g.kind == FTRACE_GRAPH_LEAF && g.pid == 12345 && g.dur_ns == 3456,
	       "graph leaf of a comm with '-': pid %d, %llu ns", g.pid, (unsigned long long)g.dur_ns);
	ret = ftrace_parse_graph(graph_lines[1], &g);
	tap_ok(!ret && g.kind == FTRACE_GRAPH_COMMENT && !strncmp(g.comment, "mm_migrate_pages:", 17),
	       "an event inside the graph");
	tap_ok(ftrace_parse_graph(graph_lines[7], &g) != 0, "a separator is not a graph line");
	tap_ok(ftrace_lost(graph_lines[6]) == 42, "lost events counted");
	ret = ftrace_parse_event(event_lines[0], &ev);
	tap_ok(!ret && ev.pid == 156 && ev.cpu == 1 && ev.ts == 44729917123ull && !ev.ts_ns &&
	       !strcmp(ev.name, "pmd_in"), "kprobe event with a raw TSC timestamp");
	ret = ftrace_parse_event("  kworker/u4:1-77 [000] d..2.   123.456789: sched_switch: x", &ev);
	tap_ok(!ret && ev.pid == 77 && ev.ts_ns && ev.ts == 123456789000ull &&
	       !strcmp(ev.name, "sched_switch"), "event with a seconds.us timestamp");
	tap_ok(ftrace_parse_event("# tracer: nop", &ev) != 0, "a header is not an event");
}

static void test_pairing(void)
{
	static struct faultlat f;

	memset(&f, 0, sizeof(f));
	f.ours = ours;
	f.method = FAULTLAT_GRAPH;
	hist_init(&f.all);
	hist_init(&f.mig);
	hist_init(&f.not_mig);
	feed(&f, graph_lines, sizeof(graph_lines) / sizeof(graph_lines[0]));
	tap_ok(f.faults == 2 && f.migrated == 1 && f.foreign == 1 && f.lost == 42 && f.outside == 1,
	       "graph: 2 faults of ours (1 migrated), 1 foreign, 1 PTE migration outside: %llu %llu %llu %llu",
	       (unsigned long long)f.faults, (unsigned long long)f.migrated,
	       (unsigned long long)f.foreign, (unsigned long long)f.outside);
	tap_ok(f.mig.count == 1 && f.mig.max == 17307430 && f.not_mig.max == 3456,
	       "graph: durations land in the migrated and not-migrated histograms");

	memset(&f, 0, sizeof(f));
	f.ours = ours;
	f.method = FAULTLAT_KPROBE;
	f.ns_per_tick = 0.5;
	hist_init(&f.all);
	hist_init(&f.mig);
	hist_init(&f.not_mig);
	feed(&f, event_lines, sizeof(event_lines) / sizeof(event_lines[0]));
	tap_ok(f.faults == 2 && f.migrated == 1, "kprobe: entry and return paired: %llu faults",
	       (unsigned long long)f.faults);
	tap_ok(f.mig.max == (44759396105ull - 44729917123ull) / 2 && f.not_mig.max == 500,
	       "kprobe: tick deltas scaled to ns: %llu, %llu", (unsigned long long)f.mig.max,
	       (unsigned long long)f.not_mig.max);
}

static void test_tsc(void)
{
	struct tsc t;
	uint64_t a, b, n0, n1;

	tsc_init(&t);
	n0 = now_ns();
	a = tsc_ticks(&t);
	while (now_ns() - n0 < 20000000)
		;
	b = tsc_ticks(&t);
	n1 = now_ns();
	tap_ok(t.ns_per_tick > 0, "tsc: %s, %.4f ns per tick", t.usable ? "TSC" : t.why, t.ns_per_tick);
	tap_ok(tsc_to_ns(&t, b - a) > (n1 - n0) * 9 / 10 && tsc_to_ns(&t, b - a) <= (n1 - n0) * 11 / 10,
	       "tsc: 20 ms of spinning measure %llu ns (monotonic: %llu)",
	       (unsigned long long)tsc_to_ns(&t, b - a), (unsigned long long)(n1 - n0));
}

int main(void)
{
	test_parse();
	test_pairing();
	test_tsc();
	return tap_done();
}
