/* fakeroot.h - a fake "/" of plain files in /tmp for unit tests of code that reads and writes kernel files. */
#ifndef MIGRACE_FAKEROOT_H
#define MIGRACE_FAKEROOT_H

extern char fakeroot[64];

int fakeroot_make(const char *name);
void fakeroot_mkdirs(const char *rel);
void fakeroot_put(const char *rel, const char *text);
const char *fakeroot_get(const char *rel);
void fakeroot_remove(void);

#endif
