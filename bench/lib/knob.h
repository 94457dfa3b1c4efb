/* knob.h - kernel tunables: saved before migrace changes them, restored on every exit path. */
#ifndef MIGRACE_KNOB_H
#define MIGRACE_KNOB_H

#include <stddef.h>

int knob_set(const char *path, const char *value);
int knob_get(const char *path, char *buf, size_t len);
void knob_restore_all(void);
void knob_install_handlers(void);

#endif
