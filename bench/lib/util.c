/* util.c - small helpers shared by every part of migrace: time, sizes, files, errors. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void vmsg(const char *fmt, va_list ap)
{
	fputs("migrace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}
