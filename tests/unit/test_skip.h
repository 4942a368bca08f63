/* SPDX-License-Identifier: MIT */
/*
 * Skipping a unit test whose environment lacks something (a Debian file, a tool): outside CI
 * the test is reported SKIPPED by cmocka with the reason printed; under CI (the CI
 * environment variable set and not empty, as .ci/run and CI services export it), where
 * everything is installed, the same lack is a failure.  Never a silent pass.
 * Header-only so each test_*.c stays one translation unit; include it after <cmocka.h>.
 */
#ifndef STMM_EMU_TEST_SKIP_H
#define STMM_EMU_TEST_SKIP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include <glib.h>

static inline bool test_in_ci(void)
{
	const char *ci = getenv("CI");
	return ci && *ci;
}

/* Does not return: fails the running test under CI, skips it otherwise. */
static inline void test_skip_unless_ci(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static inline void test_skip_unless_ci(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (test_in_ci())
		fail_msg("%s (required when CI is set)", why);
	print_message("skipping: %s\n", why);
	skip();
}

/* The contents of PATH (g_free them), or the test skipped naming PACKAGE (failed under CI). */
static inline gchar *test_file_or_skip(const char *path, const char *package, gsize *ret_len)
{
	gchar *data = NULL;

	if (!g_file_get_contents(path, &data, ret_len, NULL))
		test_skip_unless_ci("%s not found (install Debian's %s)", path, package);
	return data;
}

/* Returns when TOOL is in $PATH; otherwise the test is skipped naming PACKAGE (failed under CI). */
static inline void test_tool_or_skip(const char *tool, const char *package)
{
	g_autofree gchar *p = g_find_program_in_path(tool);

	if (!p)
		test_skip_unless_ci("%s not installed (install Debian's %s)", tool, package);
}

#endif
