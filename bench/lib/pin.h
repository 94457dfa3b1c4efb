/* pin.h - pinning backends: ways to make the kernel pin or reference user memory, one table row each. */
#ifndef MIGRACE_PIN_H
#define MIGRACE_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "opt.h"

#define PIN_MAX_LAT	64	/* pinning calls timed per leg */
#define PIN_MAX_KINDS	3	/* kinds of timed call a backend tells apart (pin_ops.lat_names) */

/* What every instance of a backend shares. */
struct pin_conf {
	int fd;			/* file or block device for I/O backends; -1: none */
	bool direct;		/* fd is O_DIRECT */
	size_t max_len;		/* largest transfer in bytes, a multiple of 4096 */
};

/* One instance: a thread's private ring, pipe, helper process... */
struct pin_inst {
	const struct pin_ops *ops;
	struct pin_conf conf;
	off_t file_off;		/* this instance's slot in conf.fd: max_len bytes */
	size_t len_max;		/* largest transfer this instance takes (<= conf.max_len) */
	char *bounce;		/* len_max bytes: the peer's copy, read and written without a pin */
	void *priv;
	uint64_t lat[PIN_MAX_LAT];	/* durations of the pinning calls of the last leg, ns */
	uint8_t lat_kind[PIN_MAX_LAT];	/* which of ops->lat_names each one is */
	int nr_lat;
	char err[128];		/* what failed, when a call returned an error */
};

/*
 * A backend moves bytes between user memory and a peer (file, pipe, helper
 * process) through a pin or reference the kernel takes on that memory, and
 * lets the caller look at the peer's copy through a path that takes none.
 * The caller stamps and checks between the steps: pin (when the backend holds
 * its pin across transfers), out, in, unpin.
 */
struct pin_ops {
	const char *name;
	const char *desc;		/* which kernel path pins, and how long */
	/*
	 * The backend's own options, NULL-terminated, or NULL. Their values
	 * live in the backend's file, which alone reads them; a scenario that
	 * pins offers them beside its own (pin_options()), and a row compiled
	 * out keeps them, so the command line is the same on every build.
	 */
	const struct opt *options;
	/*
	 * The kinds of call it times, NULL-terminated, at most PIN_MAX_KINDS;
	 * NULL: one kind, its pinning calls. Kind 0 is the pinning call.
	 */
	const char *const *lat_names;
	bool holds_pin;			/* pin/unpin bracket the transfers */
	bool long_term;			/* the pin may stay: several transfers under one */
	/* NULL when usable here; else why not, in buf or a constant. */
	const char *(*unavailable)(const struct pin_conf *c, char *buf, size_t len);
	int (*setup)(struct pin_inst *p);
	int (*pin)(struct pin_inst *p, char *addr, size_t len);
	/* memory -> peer through the pin, then the peer's copy -> p->bounce without one */
	int (*out)(struct pin_inst *p, char *addr, size_t len);
	/* p->bounce -> peer without a pin, then peer -> memory through one */
	int (*in)(struct pin_inst *p, char *addr, size_t len);
	int (*unpin)(struct pin_inst *p);
	void (*teardown)(struct pin_inst *p);
};

extern const struct pin_ops *const pin_backends[];	/* NULL-terminated */

const struct pin_ops *pin_find(const char *name);
const struct opt *const *pin_options(void);
const char *pin_unavailable(const struct pin_ops *ops, const struct pin_conf *c,
			    char *buf, size_t len);
int pin_open(struct pin_inst *p, const struct pin_ops *ops, const struct pin_conf *c,
	     off_t file_off);
void pin_close(struct pin_inst *p);
int pin_error(struct pin_inst *p, int err, const char *what);

#endif
