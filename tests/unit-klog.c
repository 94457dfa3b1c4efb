/* unit-klog.c - the kernel log patterns that fail a run, and the ones that must not. */
#include "config.h"

#include "klog.h"
#include "tap.h"

int main(void)
{
	static const char *const bad[] = {
		"BUG: Bad page state in process migrace  pfn:1a200",
		"WARNING: CPU: 1 PID: 77 at mm/migrate.c:1234 migrate_folio+0x1/0x2",
		"Oops: 0000 [#1] PREEMPT SMP NOPTI",
		"watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
		"INFO: task migrace:123 blocked for more than 120 seconds.",
		"general protection fault, probably for non-canonical address",
		"mm/pgtable-generic.c:51: bad pmd 000000009c52087d(efffe7fff77ffe02)",
		"int3: 0000 [#1] PREEMPT SMP NOPTI",
		"divide error: 0000 [#2] SMP PTI",
	};
	static const char *const good[] = {
		"migrace: positive-control kernel: THP pin guards relaxed",
		"NUMA: Node 0 [mem 0x00000000-0x3fffffff]",
		"page_owner is disabled",
		"ACPI: [#1] 0000 no trap here",
		"x: 00g0 [#1] not four hex digits",
	};
	static const char *const frames[] = {
		"CPU: 1 PID: 42 Comm: migrace Not tainted 6.1.192-migrace-debug #1",
		"Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)",
		"Call Trace:",
		" <TASK>",
		" change_pmd_range.isra.0+0x4a1/0x5b0",
	};
	struct klog k;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(klog_is_bad(bad[i]), "caught: %.40s", bad[i]);
	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(!klog_is_bad(good[i]), "not flagged: %.40s", good[i]);
	for (unsigned int i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		tap_ok(klog_is_context(frames[i]), "a stack line: %.40s", frames[i]);
	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(!klog_is_context(good[i]), "not a stack line: %.40s", good[i]);
	if (klog_open(&k))
		tap_skip("/dev/kmsg unreadable here (needs root)");
	else
		tap_ok(klog_scan(&k, NULL) >= 0, "kmsg opened at its end and scanned");
	klog_close(&k);
	return tap_done();
}
