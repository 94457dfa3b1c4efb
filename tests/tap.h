/* tap.h - a tiny TAP producer for migrace's unit tests (Automake's tap-driver.sh reads it). */
#ifndef MIGRACE_TAP_H
#define MIGRACE_TAP_H

int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_done(void);

#endif
