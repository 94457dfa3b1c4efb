/* tap.c - a tiny TAP producer for migrace's unit tests (Automake's tap-driver.sh reads it). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int tap_n, tap_failed;

static void tap_line(const char *status, const char *fmt, va_list ap)
{
	printf("%s %d - ", status, ++tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(cond ? "ok" : "not ok", fmt, ap);
	va_end(ap);
	if (!cond)
		tap_failed++;
	return cond;
}

/* A skip always says why, after "# SKIP". */
void tap_skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d # SKIP ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Trailing plan; under tap-driver.sh a non-zero exit is an error, so failures are in the lines. */
int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
