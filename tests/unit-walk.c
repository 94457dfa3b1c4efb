/* unit-walk.c - page-table walkers: each walks, writers get through a write-protect walker, the range ends as it began. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "walk.h"

#define LEN	(4u << 20)
#define WALKS	2000

/* Atomic, not volatile: built with UBSan, gcc read a volatile stop once, before the loop. */
static bool stop;
static unsigned long writes;

/* Writes to every page of the range while walks go on; each write must return. */
static void *writer(void *arg)
{
	volatile uint64_t *p = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		for (size_t off = 0; off < LEN / 8; off += 4096 / 8)
			p[off] = ++writes;
	return NULL;
}

static void check(enum walk_kind kind)
{
	const char *name = walk_name(kind);
	char why[256];
	struct walk w;
	pthread_t t;
	int err = 0, ret;
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(p, 0x5a, LEN);
	ret = walk_open(&w, kind, p, LEN, why, sizeof(why));
	if (ret) {
		/* userfaultfd is off in some kernels, or refused to unprivileged users */
		tap_skip("%s: cannot walk here: %s", name, why);
		munmap(p, LEN);
		return;
	}
	__atomic_store_n(&stop, false, __ATOMIC_RELAXED);
	writes = 0;
	pthread_create(&t, NULL, writer, p);
	for (unsigned long n = 0; n < WALKS && !err; n++)
		err = walk_once(&w, n);
	tap_ok(!err, "%s: %d walks of %u KiB (%s)", name, WALKS, LEN >> 10, err ? strerror(-err) : "no error");
	walk_close(&w);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	tap_ok(writes > 0, "%s: a writer got through the walks (%lu writes)", name, writes);
	p[0] = 1;	/* the range is writable again: a fault here would end the test */
	tap_ok(walk_once(&w, 1) == (kind == WALK_UFFD_WP ? -EBADF : 0),
	       "%s: after walk_close the range is no longer registered for walks", name);
	munmap(p, LEN);
}

int main(void)
{
	tap_ok(walk_parse("uffd-wp") == WALK_UFFD_WP && walk_parse("mprotect") == WALK_MPROTECT &&
	       walk_parse("bogus") < 0, "walk_parse knows mprotect and uffd-wp, nothing else");
	for (int k = 0; k < WALK_NR; k++)
		check(k);
	return tap_done();
}
