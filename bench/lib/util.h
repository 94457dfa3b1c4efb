/* util.h - small helpers shared by every part of migrace: time, sizes, files, errors. */
#ifndef MIGRACE_UTIL_H
#define MIGRACE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>

/* Exit status of `migrace run`, documented in README.md. */
enum migrace_exit {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_SKIP = 3,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Set by SIGINT/SIGTERM: long loops poll it and end cleanly. */
extern volatile sig_atomic_t migrace_stop;

uint64_t now_ns(void);
int parse_size(const char *s, uint64_t *out);
int parse_u64(const char *s, uint64_t *out);
void fmt_size(char *buf, size_t len, uint64_t bytes);

int read_text(const char *path, char *buf, size_t len);
int write_text(const char *path, const char *s);
int fsync_dir_of(const char *path);
FILE *atomic_open(const char *path, char *tmp, size_t len);
int atomic_close(FILE *f, const char *tmp, const char *path);
long long read_ll(const char *path, long long dflt);
const char *bracketed(const char *s, char *buf, size_t len);

void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void check_writable(const char *opt, const char *path);
void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
