/* setup.c - options, their validation, the scratch file and the pinning backends. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gup_race.h"


/* The words of the enum options, in the order of the values they stand for. */
static const char *const gr_drivers[] = { "autonuma", "move", "both", NULL };
static const enum gr_driver gr_driver_of[] = { GR_AUTONUMA, GR_MOVE, GR_BOTH };
const char *const gr_injects[] = { "none", "stale-after-pin", "corrupt", "at-rest", "lost-write", NULL };
static const char *const gr_scopes[] = { "region", "process", NULL };

struct gr_opt gr_opt;


const struct opt gr_opts[] = {
	{ "size", OPT_SIZE, &gr_opt.size, "0", "the pinners' THP region, a multiple of the THP size; 0: 4 THPs for each group of sharers (1 for --driver autonuma); each --lost-writes writer adds a THP" },
	{ "threads", OPT_INT, &gr_opt.threads, "0", "pinner threads; 0: one per CPU",
	  0, 4096 },
	{ "sharers", OPT_INT, &gr_opt.sharers, "0", "pinner threads sharing each THP, each in a slice of its own; 0: up to 4 (2 for --driver autonuma)", 0, 512 },
	{ "duration", OPT_DOUBLE, &gr_opt.duration, "10", "seconds of racing", 0.1, 1e7 },
	{ "baseline", OPT_DOUBLE, &gr_opt.baseline, "2", "seconds of pinning without migration first (latency baseline)",
	  0, 1e6 },
	{ "driver", OPT_ENUM, &gr_opt.driver, "both", "what migrates the THPs: autonuma, move (move_pages) or both",
	  .choices = gr_drivers },
	{ "pin", OPT_STR, &gr_opt.pin, "all", "pinning backends, comma-separated (see --pin list); all: every available one" },
	{ "file", OPT_STR, &gr_opt.file, NULL, "file, directory (for a temporary file) or block device for I/O backends; overwritten [$MIGRACE_SCRATCH_DEV, else a temporary file in $TMPDIR or /var/tmp]" },
	{ "block", OPT_SIZE, &gr_opt.block, "4096", "stamped block size: 64 to 4096, a power of two" },
	{ "xfer", OPT_SIZE, &gr_opt.xfer, "64K", "bytes moved through a pin per leg, a multiple of 4096, at most a THP" },
	{ "rounds", OPT_INT, &gr_opt.rounds, "2", "write/read rounds under one long-term pin", 1, 1000 },
	{ "movers", OPT_INT, &gr_opt.movers, "1", "move_pages threads (driver move or both)", 1, 1024 },
	{ "move-batch", OPT_INT, &gr_opt.move_batch, "1", "THPs a mover moves in one move_pages call, each to its next node: the call's fixed cost (an LRU drain on every CPU) shared", 1, GR_MAX_BATCH },
	{ "walkers", OPT_INT, &gr_opt.walkers, "0", "threads that walk the region's page tables through change_protection() while it migrates, as NUMA balancing's scanner does but thousands of times a second (an amplifier)", 0, 64 },
	{ "walk", OPT_ENUM, &gr_opt.walk, "mprotect", "what the walkers call: mprotect (PROT_EXEC on, off; the mmap lock held for writing) or uffd-wp (userfaultfd write-protect on, off; held for reading, as the scanner holds it)",
	  .choices = walk_names },
	{ "hold", OPT_STR, &gr_opt.hold, "0", "THPs (a number, or all) that a pipe holds a page of by reference for the whole run (vmsplice, never read): migration installs such a THP's migration entry, finds the extra reference, maps the THP back and tries again, ten times a call, so each move_pages() call of one makes ten migration entries and copies nothing (an amplifier; held THPs never move)" },
	{ "hop-ms", OPT_INT, &gr_opt.hop_ms, "1000", "autonuma: the longest a group of pinners and the thread touching its THPs wait on a node for NUMA balancing to bring the THPs over", 1, 3600000 },
	{ "scan-ms", OPT_INT, &gr_opt.scan_ms, "5", "autonuma: NUMA balancing scan delay and period (minimum = maximum) for the run", 1, 100000 },
	{ "scan-mb", OPT_INT, &gr_opt.scan_mb, "4", "autonuma: NUMA balancing scan size for the run; 0: leave it", 0, 1 << 20 },
	{ "scan-scope", OPT_ENUM, &gr_opt.scan_scope, "region", "autonuma: what NUMA balancing scans: region (a policy on it, MPOL_LOCAL for the threads) or process (every VMA, default policies)",
	  .choices = gr_scopes },
	{ "scrub", OPT_INT, &gr_opt.scrub, "1", "scrubber threads: each keeps reading every block of its share of the THPs against its owner's last generation, THPs just migrated first (damage at rest: a lossy migration)", 0, GR_MAX_SCRUB },
	{ "scrub-nice", OPT_INT, &gr_opt.scrub_nice, "10", "the scrubbers' nice value: they take the CPU the race leaves over", -20, 19 },
	{ "scrub-duty", OPT_INT, &gr_opt.scrub_duty, "3", "percent of the time a scrubber works: after each THP it rests 100/duty - 1 times as long as the THP took it (an idle guest CPU is a host thread the emulated machine's others could use; at 10 one cost the emulated autonuma driver a third of its race windows); 100: flat out", 1, 100 },
	{ "lost-writes", OPT_INT, &gr_opt.writers, "0", "writer threads, each stamping every block of a THP of its own in turn while it migrates (following a group of pinners under autonuma); every write that returned is checked before it is overwritten, after each migration of the THP and at the end (a migration that copies while a stale TLB entry still lets the old page be written)", 0, GR_MAX_WRITERS },
	{ "hang-timeout", OPT_DOUBLE, &gr_opt.hang_s, "120", "at the end, a thread stuck this long in one step is reported hung (fail)", 1, 1e6 },
	{ "inject", OPT_ENUM, &gr_opt.inject, NULL, "test hook: stale-after-pin (the pin sees a stale copy), corrupt (bytes flipped behind the pin's back), at-rest (bytes flipped in a block at rest, before it is overwritten), once, in worker 0's third operation, or lost-write (writer 0's third write recorded but not stored; needs --lost-writes)",
	  .choices = gr_injects },
	{ NULL }
};

/*
 * Presets of the options above. hunt: the fastest way found to make the 6.1
 * change_pmd_range() race fail (docs/findings/6.1-change-pmd-range.md, the
 * amplifier table): movers for the migration entries, held THPs for ten
 * entries a call, a userfaultfd write-protect walker for the double PMD
 * read, the backends that keep gup busy on the same THPs.
 */
const struct profile gr_profiles[] = {
	{ "hunt", "--driver move --walkers 1 --walk uffd-wp --hold all --pin odirect,vmsplice,pvm,gupfast-pressure --duration 60",
	  "find races fast: move_pages movers on held THPs and a write-protect walker, 60 s" },
	{ NULL }
};

const char *gr_driver_name(void)
{
	return gr_drivers[gr_opt.driver];
}

/* ---- setup and options ---- */

/* Every backend, whether it runs here, and the options it takes (their help is in --help). */
void gr_list_pins(void)
{
	char why[256];

	for (int i = 0; pin_backends[i]; i++) {
		const struct pin_ops *ops = pin_backends[i];
		const char *r = pin_unavailable(ops, &gr.conf, why, sizeof(why));

		printf("%-18s %s\n", ops->name, ops->desc);
		if (r)
			printf("%-18s   (not available: %s)\n", "", r);
		for (const struct opt *o = ops->options; o && o->name; o++)
			printf("%-18s   option --%s\n", "", o->name);
	}
	exit(EXIT_PASS);
}

/* Names checked now (bad input); availability later, once the file is known. */
static void gr_parse_pins(void)
{
	char buf[256], *save = NULL;

	gr.nr_pins = 0;
	if (!strcmp(gr_opt.pin, "list"))
		return;
	if (!strcmp(gr_opt.pin, "all")) {
		for (int i = 0; pin_backends[i]; i++)
			gr.pins[gr.nr_pins++] = pin_backends[i];
		return;
	}
	snprintf(buf, sizeof(buf), "%s", gr_opt.pin);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct pin_ops *ops = pin_find(tok);

		if (!ops)
			usage_error("--pin: no backend '%s' (see --pin list)", tok);
		for (int i = 0; i < gr.nr_pins; i++)
			if (gr.pins[i] == ops)
				usage_error("--pin: '%s' given twice", tok);
		gr.pins[gr.nr_pins++] = ops;
	}
	if (!gr.nr_pins)
		usage_error("--pin: no backend named");
}

/* --hold: all, or a number of the pinners' THPs. */
static void gr_validate_hold(void)
{
	uint64_t n;

	if (!strcmp(gr_opt.hold, "all")) {
		gr.nr_hold = gr.nr_pin_thp;
		return;
	}
	if (parse_u64(gr_opt.hold, &n))
		usage_error("--hold: '%s' is neither all nor a number of THPs", gr_opt.hold);
	if (n > (uint64_t)gr.nr_pin_thp)
		usage_error("--hold %llu: more than the %d pinners' THPs", (unsigned long long)n,
			    gr.nr_pin_thp);
	gr.nr_hold = n;
}

/* Threads, sharers and THPs. */
static void gr_validate_layout(struct run_ctx *ctx, size_t thp)
{
	gr.nr_threads = gr_opt.threads ? gr_opt.threads : MAX(ctx->topo.nr_cpus, 1);
	gr.sharers = gr_opt.sharers;
	/*
	 * NUMA balancing alone: a hopper per two pinners keeps the machine's
	 * CPUs busy without crowding them (each group has one), and one THP a
	 * group makes the scanner's passes short and the pinners' operations
	 * land on the THP that is migrating.
	 */
	if (!gr.sharers && gr.driver == GR_AUTONUMA)
		gr.sharers = gr.nr_threads % 2 ? 1 : 2;
	for (int s = MIN(gr.nr_threads, 4); !gr.sharers; s--)
		if (gr.nr_threads % s == 0)
			gr.sharers = s;
	if (gr.nr_threads % gr.sharers)
		usage_error("--sharers %d does not divide the %d pinner threads", gr.sharers,
			    gr.nr_threads);
	if ((size_t)gr.sharers > thp / GR_ALIGN)
		usage_error("--sharers %d: a THP has only %zu pages to share", gr.sharers,
			    thp / GR_ALIGN);
	gr.groups = gr.nr_threads / gr.sharers;
	gr.slice = thp / gr.sharers / GR_ALIGN * GR_ALIGN;
	if (!gr_opt.size)
		gr_opt.size = (uint64_t)gr.groups * (gr.driver == GR_AUTONUMA ? 1 : 4) * thp;
	if (gr_opt.size % thp)
		usage_error("--size %llu is not a multiple of the THP size %zu",
			    (unsigned long long)gr_opt.size, thp);
	gr.nr_pin_thp = gr_opt.size / thp;
	if (gr.nr_pin_thp < gr.groups)
		usage_error("--size %llu holds %d THPs: fewer than the %d groups of %d sharers",
			    (unsigned long long)gr_opt.size, gr.nr_pin_thp, gr.groups, gr.sharers);
	gr.nr_thp = gr.nr_pin_thp + gr_opt.writers;
	gr_validate_hold();
	if (gr_opt.movers > gr.nr_thp)
		usage_error("--movers %d: more than the %d THPs", gr_opt.movers, gr.nr_thp);
}

void gr_validate(struct run_ctx *ctx)
{
	size_t thp = region_thp_size();

	gr.driver = gr_driver_of[gr_opt.driver];
	gr_parse_pins();
	gr_validate_layout(ctx, thp);
	if (gr_opt.block < STAMP_MIN_BLOCK || gr_opt.block > GR_ALIGN || (gr_opt.block & (gr_opt.block - 1)))
		usage_error("--block %llu: must be a power of two from %d to %d",
			    (unsigned long long)gr_opt.block, STAMP_MIN_BLOCK, GR_ALIGN);
	if (!gr_opt.xfer || gr_opt.xfer % GR_ALIGN || gr_opt.xfer > thp)
		usage_error("--xfer %llu: must be a multiple of %d and at most the THP size %zu",
			    (unsigned long long)gr_opt.xfer, GR_ALIGN, thp);
	gr.bs = gr_opt.block;
	gr.xfer = MIN(gr_opt.xfer, gr.slice);	/* a transfer stays in its slice */
	gr.inject = gr_opt.inject;
	if (gr.inject == GR_INJECT_LOST_WRITE && !gr_opt.writers)
		usage_error("--inject lost-write needs a writer (--lost-writes 1 or more)");
	if (gr_opt.file) {
		struct stat st;

		if (stat(gr_opt.file, &st))
			usage_error("--file %s: %s", gr_opt.file, strerror(errno));
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
			usage_error("--file %s: neither a file, a directory nor a block device", gr_opt.file);
	}
}

/* Bytes the file holds: a block device's size, a file's length (grown if short, never cut). */
static off_t gr_file_size(int fd, off_t need)
{
	struct stat st;
	uint64_t sz = 0;

	if (fstat(fd, &st))
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &sz) ? -1 : (off_t)sz;
	if (st.st_size < need && ftruncate(fd, need))
		return st.st_size;
	return MAX(st.st_size, need);
}

/* The file the I/O backends write: opened O_DIRECT when it takes it. Returns why not, or NULL. */
const char *gr_open_file(char *why, size_t len)
{
	const char *path = gr_opt.file ?: getenv("MIGRACE_SCRATCH_DEV");
	off_t need = (off_t)gr.nr_threads * gr.nr_pins * gr.xfer, have;
	int flags = O_RDWR | O_CLOEXEC, fd;
	struct stat st;

	if (!path || !*path)
		path = getenv("TMPDIR") ?: "/var/tmp";
	if (stat(path, &st)) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return why;
	}
	if (S_ISDIR(st.st_mode))
		flags |= O_TMPFILE;	/* gone when closed, whatever happens */
	if (S_ISBLK(st.st_mode))
		flags |= O_EXCL;	/* fails on a mounted device */
	fd = open(path, flags | O_DIRECT, 0600);
	gr.conf.direct = fd >= 0;
	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags, 0600);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return why;
	}
	have = gr_file_size(fd, need);
	if (have < need) {
		close(fd);
		snprintf(why, len, "%s holds %lld bytes, %lld needed (threads x backends x --xfer)",
			 path, (long long)have, (long long)need);
		return why;
	}
	gr.conf.fd = fd;
	json_object_object_add(gr.ctx->res->metrics, "file", json_object_new_string(
		S_ISDIR(st.st_mode) ? "temporary file" : path));
	json_object_object_add(gr.ctx->res->metrics, "file_o_direct",
			       json_object_new_boolean(gr.conf.direct));
	return NULL;
}

/* Drops the backends that cannot run here, saying why. */
json_object *gr_select_pins(void)
{
	json_object *unav = json_object_new_object();
	char why[256];
	int n = 0;

	for (int i = 0; i < gr.nr_pins; i++) {
		const char *r = pin_unavailable(gr.pins[i], &gr.conf, why, sizeof(why));

		if (!r) {
			gr.pins[n++] = gr.pins[i];
			continue;
		}
		json_object_object_add(unav, gr.pins[i]->name, json_object_new_string(r));
		printf("gup-race: backend %s not available: %s\n", gr.pins[i]->name, r);
		if (strcmp(gr_opt.pin, "all"))
			result_verdict(gr.ctx->res, VERDICT_SKIP, "backend %s not available: %s",
				       gr.pins[i]->name, r);
	}
	gr.nr_pins = n;
	return unav;
}
