/* walk.h - page-table walkers: calls that run the kernel's change_protection() walk over a range. */
#ifndef MIGRACE_WALK_H
#define MIGRACE_WALK_H

#include <stddef.h>

/*
 * NUMA balancing's scanner walks a THP's PMD through change_protection() a
 * few times a second. These calls make the same walk as often as they return:
 * mprotect() under the mmap lock held for writing, userfaultfd write-protect
 * under the mmap lock held for reading, as the scanner holds it.
 */
enum walk_kind { WALK_MPROTECT, WALK_UFFD_WP, WALK_NR };

struct walk {
	enum walk_kind kind;
	void *addr;
	size_t len;
	int uffd;		/* WALK_UFFD_WP: registered for write-protect on the range */
};

/* By kind, NULL-terminated: the words of an OPT_ENUM option. */
extern const char *const walk_names[WALK_NR + 1];

/* The kind named by s, or -1. */
int walk_parse(const char *s);
const char *walk_name(enum walk_kind kind);
/* Gets the range ready for walks of the kind; returns 0, or -errno with why set. */
int walk_open(struct walk *w, enum walk_kind kind, void *addr, size_t len, char *why, size_t whylen);
/*
 * One walk of the whole range; n even changes the protection, n odd changes it
 * back. Returns 0 or -errno. Threads may share one struct walk.
 */
int walk_once(struct walk *w, unsigned long n);
/* Leaves the range as it was before walk_open (readable, writable, not protected). */
void walk_close(struct walk *w);

#endif
