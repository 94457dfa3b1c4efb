/* walk.c - page-table walkers: mprotect() and userfaultfd write-protect over a range, as fast as they return. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "walk.h"

const char *const walk_names[WALK_NR + 1] = {
	[WALK_MPROTECT] = "mprotect",
	[WALK_UFFD_WP] = "uffd-wp",
};

int walk_parse(const char *s)
{
	for (int i = 0; i < WALK_NR; i++)
		if (!strcmp(s, walk_names[i]))
			return i;
	return -1;
}

const char *walk_name(enum walk_kind kind)
{
	return walk_names[kind];
}

static int walk_fail(int err, char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(err));
	return -err;
}

static int uffd_open(struct walk *w, char *why, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)w->addr, .len = w->len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	int err;

#ifdef __NR_userfaultfd
	w->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
#else
	errno = ENOSYS;
#endif
	if (w->uffd < 0)
		return walk_fail(errno, why, len, "userfaultfd");
	if (ioctl(w->uffd, UFFDIO_API, &api)) {
		err = walk_fail(errno, why, len, "UFFDIO_API");
		goto close;
	}
	if (ioctl(w->uffd, UFFDIO_REGISTER, &reg)) {
		err = walk_fail(errno, why, len, "UFFDIO_REGISTER (write-protect mode)");
		goto close;
	}
	return 0;
close:
	close(w->uffd);
	w->uffd = -1;
	return err;
}

int walk_open(struct walk *w, enum walk_kind kind, void *addr, size_t len, char *why, size_t whylen)
{
	w->kind = kind;
	w->addr = addr;
	w->len = len;
	w->uffd = -1;
	return kind == WALK_UFFD_WP ? uffd_open(w, why, whylen) : 0;
}

/*
 * A thread that writes to a write-protected page waits in the kernel until
 * the range is unprotected; unprotecting (without DONTWAKE) wakes it, so the
 * walker itself keeps the writers going and needs no fault handler.
 */
int walk_once(struct walk *w, unsigned long n)
{
	static const int prot[2] = { PROT_READ | PROT_WRITE | PROT_EXEC, PROT_READ | PROT_WRITE };
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)w->addr, .len = w->len },
		.mode = n & 1 ? 0 : UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int ret;

	if (w->kind == WALK_MPROTECT)
		ret = mprotect(w->addr, w->len, prot[n & 1]);
	else
		ret = ioctl(w->uffd, UFFDIO_WRITEPROTECT, &wp);
	return ret ? -errno : 0;
}

void walk_close(struct walk *w)
{
	struct uffdio_range range = { .start = (unsigned long)w->addr, .len = w->len };

	walk_once(w, 1);
	if (w->uffd < 0)
		return;
	/* Unregistering wakes any writer still waiting on the range. */
	ioctl(w->uffd, UFFDIO_UNREGISTER, &range);
	close(w->uffd);
	w->uffd = -1;
}
