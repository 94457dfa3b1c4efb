/* klog.h - the kernel log as part of every verdict: BUG, WARNING, Oops, lockups, bad pages. */
#ifndef MIGRACE_KLOG_H
#define MIGRACE_KLOG_H

#include <json-c/json.h>
#include <stdint.h>

/* Stack lines kept after a bad line, and lines kept in all. */
#define KLOG_CONTEXT	48
#define KLOG_MAX_LINES	256

struct klog {
	int fd;		/* /dev/kmsg, positioned at the run's start; -1 if unreadable */
	int err;	/* why not, as errno */
	int ctx;	/* stack lines still kept after the last bad line */
	json_object *held;	/* lines klog_poll read, for the next klog_scan */
	int held_bad;
	uint64_t first_bad_ns;	/* now_ns() when klog_poll first saw a bad line; 0: not yet */
};

int klog_open(struct klog *k);
int klog_poll(struct klog *k);
int klog_scan(struct klog *k, json_object *hits);
int klog_is_bad(const char *line);
int klog_is_context(const char *line);
void klog_close(struct klog *k);

#endif
