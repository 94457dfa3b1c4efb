/* unit-vmstat.c - /proc/vmstat snapshots: counters found, deltas real, absent ones not faked. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tap.h"
#include "vmstat.h"

int main(void)
{
	static struct vmstat a, b;
	size_t len = 64 << 20;
	char *p;
	json_object *d;

	tap_ok(vmstat_read(&a) == 0 && a.n > 10, "read %d counters", a.n);
	tap_ok(vmstat_get(&a, "nr_free_pages") > 0, "nr_free_pages present");
	tap_ok(vmstat_get(&a, "no_such_counter") == -1, "an absent counter is -1, not 0");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 1, len);
	vmstat_read(&b);
	if (vmstat_get(&a, "pgfault") < 0)
		tap_skip("kernel without VM_EVENT_COUNTERS: no pgfault in /proc/vmstat");
	else
		tap_ok(vmstat_delta(&a, &b, "pgfault") >= (long long)(len / 4096),
		       "touching 16384 pages shows >= 16384 pgfault: %lld", vmstat_delta(&a, &b, "pgfault"));
	d = vmstat_delta_json(&a, &b, (const char *const[]){ "pgfault", "no_such_counter", NULL });
	tap_ok(!json_object_object_get_ex(d, "no_such_counter", NULL),
	       "absent counters are left out of the JSON");
	json_object_put(d);
	munmap(p, len);
	return tap_done();
}
