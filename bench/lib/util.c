/* util.c - small helpers shared by every part of migrace: time, sizes, files, errors. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

volatile sig_atomic_t migrace_stop;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "4096", "4k", "2M", "1G", "1T": binary units, as numactl and fio read them. */
int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcasecmp(end + 1, "b") && strcasecmp(end + 1, "ib"))
		return -EINVAL;
	if (shift && v > (~0ull >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "BKMGT";
	int u = 0;

	while (u < 4 && bytes >= 1024 && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%llu%ciB", (unsigned long long)bytes, units[u]);
	else
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
}

/* Reads a small text file, trailing newline stripped. Returns length or -errno. */
int read_text(const char *path, char *buf, size_t len)
{
	int fd, err;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

int write_text(const char *path, const char *s)
{
	int fd, err = 0;
	size_t len = strlen(s);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* A rename or a new file lasts only once its directory is on disk too. */
int fsync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A file that is whole or absent, even after a crash of the program or the
 * machine: written aside under a hidden name in the same directory,
 * synced, renamed over path by atomic_close(), and the rename synced.
 */
FILE *atomic_open(const char *path, char *tmp, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n, fd;
	mode_t mask;
	FILE *f;

	n = slash ? snprintf(tmp, len, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1)
		  : snprintf(tmp, len, ".%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* mkstemp makes it 0600: a result is as readable as any file written plainly. */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
	}
	return f;
}

/* 0, or -errno with nothing left behind and path as it was. */
int atomic_close(FILE *f, const char *tmp, const char *path)
{
	int ret = 0;

	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir_of(path);
}

long long read_ll(const char *path, long long dflt)
{
	char buf[64];
	char *end;
	long long v;

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return dflt;
	v = strtoll(buf, &end, 10);
	return end == buf ? dflt : v;
}

/* "always [madvise] never" -> "madvise"; a file without brackets is returned whole. */
const char *bracketed(const char *s, char *buf, size_t len)
{
	const char *l = strchr(s, '['), *r;

	if (!l || !(r = strchr(l, ']'))) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	snprintf(buf, len, "%.*s", (int)(r - l - 1), l + 1);
	return buf;
}

/*
 * One line, whatever it quotes: a control character from a damaged file
 * (a newline in a result's schema string) is shown as '?'.
 */
static void vmsg(const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "migrace: %s\n", line);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/*
 * A file that option opt will have written at the end of a run: bad input
 * now if it cannot be, rather than a run lost after it. Creates nothing.
 */
void check_writable(const char *opt, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!path[0])
		usage_error("%s: an empty file name", opt);
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		usage_error("%s %s: a directory, not a file", opt, path);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	if (access(dir, W_OK | X_OK))
		usage_error("%s %s: cannot write in %s: %s", opt, path, dir, strerror(errno));
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}
