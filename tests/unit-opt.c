/* unit-opt.c - sizes and option tables parse what users type and reject the rest with status 2. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opt.h"
#include "tap.h"
#include "util.h"

static uint64_t size;
static int threads;
static bool flag;
static const char *name;
static int mode;
static const char *const modes[] = { "fast", "slow", "both", NULL };
static const struct opt tab[] = {
	{ "size", OPT_SIZE, &size, "2M", "size" },
	{ "threads", OPT_INT, &threads, "1", "threads", 1, 64 },
	{ "flag", OPT_BOOL, &flag, NULL, "flag" },
	{ "name", OPT_STR, &name, "x", "name" },
	{ "mode", OPT_ENUM, &mode, "slow", "mode", .choices = modes },
	{ NULL }
};
static const struct opt *const tabs[] = { tab, NULL };

/* Parses in a child: bad input must end it with status 2. */
static int parse_status(int argc, char **argv)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		fclose(stderr);
		opt_parse(tabs, argc, argv, "test");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Parses in a child; returns its first line of error. */
static const char *parse_error(int argc, char **argv)
{
	static char line[256];
	int fd[2];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fd))
		return "";
	pid = fork();
	if (!pid) {
		dup2(fd[1], 2);
		opt_parse(tabs, argc, argv, "test");
		_exit(0);
	}
	close(fd[1]);
	while (len < sizeof(line) - 1 && (n = read(fd[0], line + len, sizeof(line) - 1 - len)) > 0)
		len += n;
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return line;
}

int main(void)
{
	uint64_t v;
	char *good[] = { "--size", "1G", "--threads=8", "--flag", "--name", "a b" };
	char *bad1[] = { "--size", "12Q" };
	char *bad2[] = { "--threads", "65" };
	char *bad3[] = { "--nosuch" };
	char *bad4[] = { "--size" };
	char *bad5[] = { "stray" };
	char *enum_good[] = { "--mode=both" };
	char *enum_bad[] = { "--mode", "warp" };
	const char *err;

	tap_ok(!parse_size("4k", &v) && v == 4096, "4k");
	tap_ok(!parse_size("2M", &v) && v == 2u << 20, "2M");
	tap_ok(!parse_size("3GiB", &v) && v == 3ull << 30, "3GiB");
	tap_ok(!parse_size("17", &v) && v == 17, "plain bytes");
	tap_ok(parse_size("", &v) && parse_size("-1", &v) && parse_size("1X", &v) &&
	       parse_size("99999999999T", &v), "empty, negative, bad unit, overflow rejected");

	opt_parse(tabs, 0, NULL, "test");
	tap_ok(size == 2u << 20 && threads == 1 && !flag, "defaults applied");
	opt_parse(tabs, 6, good, "test");
	tap_ok(size == 1ull << 30 && threads == 8 && flag && name && name[1] == ' ',
	       "--opt VALUE, --opt=VALUE, flags and strings with spaces");
	tap_ok(parse_status(2, bad1) == EXIT_USAGE, "a bad size exits 2");
	tap_ok(parse_status(2, bad2) == EXIT_USAGE, "out of range exits 2");
	tap_ok(parse_status(1, bad3) == EXIT_USAGE, "an unknown option exits 2");
	tap_ok(parse_status(1, bad4) == EXIT_USAGE, "a missing value exits 2");
	tap_ok(parse_status(1, bad5) == EXIT_USAGE, "a stray argument exits 2");
	tap_ok(mode == 1, "an enum's default is the index of its word");
	opt_parse(tabs, 1, enum_good, "test");
	tap_ok(mode == 2, "--mode=both");
	tap_ok(parse_status(2, enum_bad) == EXIT_USAGE, "a word an enum does not take exits 2");
	err = parse_error(2, enum_bad);
	tap_ok(!strcmp(err, "migrace: --mode: 'warp' is not one of fast, slow, both"),
	       "and names the option, the word and the choices: %s", err);
	return tap_done();
}
