/* klog.c - the kernel log as part of every verdict: BUG, WARNING, Oops, lockups, bad pages. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "klog.h"

/*
 * What liburing's and the kernel selftests' runners look for, lockups, and
 * the page-table walkers' "FILE:LINE: bad pmd ADDR(VALUE)" (p?d_clear_bad):
 * an entry a walker did not understand and cleared, with what it mapped.
 */
static const char *const klog_patterns[] = {
	"BUG:", "WARNING:", "Oops", "general protection fault", "kernel BUG",
	"soft lockup", "hard LOCKUP", "rcu_sched detected stall", "rcu: INFO",
	"blocked for more than", "Bad page", "bad page", "page dumped because",
	"Kernel panic", "list_add corruption", "list_del corruption",
	": bad pgd ", ": bad p4d ", ": bad pud ", ": bad pmd ", ": bad pte ",
};

int klog_is_bad(const char *line)
{
	for (size_t i = 0; i < sizeof(klog_patterns) / sizeof(klog_patterns[0]); i++)
		if (strstr(line, klog_patterns[i]))
			return 1;
	return 0;
}

int klog_open(struct klog *k)
{
	k->err = 0;
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0 || lseek(k->fd, 0, SEEK_END) < 0) {
		k->err = errno;
		if (k->fd >= 0)
			close(k->fd);
		k->fd = -1;
		return -k->err;
	}
	return 0;
}

/* Reads the records since klog_open (or the last scan); appends bad ones to hits. */
int klog_scan(struct klog *k, json_object *hits)
{
	char rec[8192];
	int bad = 0;

	if (k->fd < 0)
		return -k->err;
	for (;;) {
		ssize_t n = read(k->fd, rec, sizeof(rec) - 1);
		char *text;

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on with the next one */
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;message\n continuation..." */
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = '\0';
		if (klog_is_bad(text)) {
			bad++;
			if (hits && json_object_array_length(hits) < 64)
				json_object_array_add(hits, json_object_new_string(text));
		}
	}
	return bad;
}

void klog_close(struct klog *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
