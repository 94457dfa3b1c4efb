/* fakeroot.c - a fake "/" of plain files in /tmp for unit tests of code that reads and writes kernel files. */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fakeroot.h"
#include "util.h"

char fakeroot[64];

/* A new empty root named after the test; 0, or -1 when /tmp refuses. */
int fakeroot_make(const char *name)
{
	snprintf(fakeroot, sizeof(fakeroot), "/tmp/migrace-%s.XXXXXX", name);
	return mkdtemp(fakeroot) ? 0 : -1;
}

/* rel's directory and those above it, under the root. */
void fakeroot_mkdirs(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s/", fakeroot, rel);
	for (char *p = path + strlen(fakeroot) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

/* A file as the kernel shows it: one line. A test cannot go on without it. */
void fakeroot_put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", fakeroot, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "%s\n", text);
	fclose(f);
}

const char *fakeroot_get(const char *rel)
{
	static char buf[128];
	char path[256];

	snprintf(path, sizeof(path), "%s%s", fakeroot, rel);
	return read_text(path, buf, sizeof(buf)) < 0 ? "?" : buf;
}

static int fakeroot_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

void fakeroot_remove(void)
{
	nftw(fakeroot, fakeroot_rm, 8, FTW_DEPTH | FTW_PHYS);
}
