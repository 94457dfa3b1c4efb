/* klog.c - the kernel log as part of every verdict: BUG, WARNING, Oops, lockups, bad pages. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "klog.h"
#include "util.h"

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

/*
 * x86's oops header, "TRAP: 0000 [#1] PREEMPT SMP": a trap the kernel died
 * of that no pattern above names (int3, divide error, invalid opcode,
 * stack segment), with its error code in four hex digits.
 */
static int klog_is_oops_header(const char *line)
{
	const char *p = strstr(line, " [#");

	if (!p || p - line < 6 || p[-5] != ' ' || p[-6] != ':')
		return 0;
	for (int i = 1; i <= 4; i++)
		if (!isxdigit((unsigned char)p[-i]))
			return 0;
	return 1;
}

int klog_is_bad(const char *line)
{
	if (klog_is_oops_header(line))
		return 1;
	for (size_t i = 0; i < sizeof(klog_patterns) / sizeof(klog_patterns[0]); i++)
		if (strstr(line, klog_patterns[i]))
			return 1;
	return 0;
}

/*
 * The lines of a stack dump (dump_stack(), WARN, Oops) that follow a bad
 * line: they say which code path printed it. Frames and register lines
 * start with a blank; the header lines name the task and the machine.
 */
int klog_is_context(const char *line)
{
	static const char *const heads[] = {
		"CPU: ", "Hardware name: ", "Call Trace:", "RIP: ", "Code: ", "RSP: ",
		"RAX: ", "RDX: ", "RBP: ", "R10: ", "R13: ", "FS: ", "CS: ", "CR2: ",
		"Modules linked in:",
	};

	if (line[0] == ' ' || line[0] == '\t')
		return 1;
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (!strncmp(line, heads[i], strlen(heads[i])))
			return 1;
	return 0;
}

int klog_open(struct klog *k)
{
	*k = (struct klog){ 0 };
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

/*
 * Reads the records since klog_open or the last read; appends the bad ones
 * to hits, each with the stack dump that follows it. Returns the bad ones.
 */
static int klog_read(struct klog *k, json_object *hits)
{
	char rec[8192];
	int bad = 0;

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
			k->ctx = KLOG_CONTEXT;
		} else if (!k->ctx || !klog_is_context(text)) {
			k->ctx = 0;
			continue;
		} else {
			k->ctx--;
		}
		if (hits && json_object_array_length(hits) < KLOG_MAX_LINES)
			json_object_array_add(hits, json_object_new_string(text));
	}
	return bad;
}

/*
 * A look while the run goes on: the lines are kept for klog_scan, and the
 * time of the first bad one tells how soon a kernel showed a failure.
 * Returns the bad lines seen so far.
 */
int klog_poll(struct klog *k)
{
	if (k->fd < 0)
		return -k->err;
	if (!k->held)
		k->held = json_object_new_array();
	k->held_bad += klog_read(k, k->held);
	if (k->held_bad && !k->first_bad_ns)
		k->first_bad_ns = now_ns();
	return k->held_bad;
}

int klog_scan(struct klog *k, json_object *hits)
{
	int bad = k->held_bad;

	if (k->fd < 0)
		return -k->err;
	for (size_t i = 0; k->held && i < json_object_array_length(k->held); i++)
		if (hits && json_object_array_length(hits) < KLOG_MAX_LINES)
			json_object_array_add(hits, json_object_get(json_object_array_get_idx(k->held, i)));
	json_object_put(k->held);
	k->held = NULL;
	k->held_bad = 0;
	return bad + klog_read(k, hits);
}

void klog_close(struct klog *k)
{
	json_object_put(k->held);
	k->held = NULL;
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
