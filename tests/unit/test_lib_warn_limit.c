/* SPDX-License-Identifier: MIT */
/* Rate-limited warnings: first, every N-th repetition with a count, flushes, recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "warn_limit.h"

static GPtrArray *lines; /* "W text" or "M text" */

static GLogWriterOutput capture(GLogLevelFlags level, const GLogField *fields, gsize n,
				gpointer user_data)
{
	(void)user_data;
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0)
			g_ptr_array_add(lines, g_strdup_printf("%c %s",
							       (level & G_LOG_LEVEL_WARNING) ? 'W' : 'M',
							       (const char *)fields[i].value));
	return G_LOG_WRITER_HANDLED;
}

static const char *line(guint i)
{
	assert_true(i < lines->len);
	return g_ptr_array_index(lines, i);
}

static int setup(void **state)
{
	(void)state;
	g_ptr_array_set_size(lines, 0);
	return 0;
}

static void ratelimit_first_then_every_nth_with_count(void **state)
{
	(void)state;
	struct warn_limit rl = WARN_LIMIT_INIT(10);
	for (int i = 0; i < 25; i++)
		warn_limit_warn(&rl, "disk full");
	assert_int_equal(lines->len, 3);
	assert_string_equal(line(0), "W disk full");
	assert_string_equal(line(1), "W disk full (10 times in a row)");
	assert_string_equal(line(2), "W disk full (20 times in a row)");
	warn_limit_clear(&rl);
}

static void ratelimit_different_text_flushes_unlogged_count(void **state)
{
	(void)state;
	struct warn_limit rl = WARN_LIMIT_INIT(10);
	for (int i = 0; i < 4; i++)
		warn_limit_warn(&rl, "a");
	warn_limit_warn(&rl, "b");
	warn_limit_warn(&rl, "a"); /* not a repetition any more: logged */
	assert_int_equal(lines->len, 4);
	assert_string_equal(line(0), "W a");
	assert_string_equal(line(1), "W last warning repeated 3 more time(s): a");
	assert_string_equal(line(2), "W b");
	assert_string_equal(line(3), "W a");
	warn_limit_clear(&rl);
}

static void ratelimit_ok_reports_recovery_once(void **state)
{
	(void)state;
	struct warn_limit rl = WARN_LIMIT_INIT(10);
	warn_limit_ok(&rl, "storage"); /* nothing failed: silent */
	assert_int_equal(lines->len, 0);
	warn_limit_warn(&rl, "x");
	warn_limit_warn(&rl, "x");
	warn_limit_ok(&rl, "storage");
	warn_limit_ok(&rl, "storage");
	assert_int_equal(lines->len, 3);
	assert_string_equal(line(1), "W last warning repeated 1 more time(s): x");
	assert_string_equal(line(2), "M storage worked again after 2 failure(s)");
	/* After recovery the same failure is news again. */
	warn_limit_warn(&rl, "x");
	assert_int_equal(lines->len, 4);
	assert_string_equal(line(3), "W x");
	warn_limit_clear(&rl);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(ratelimit_first_then_every_nth_with_count),
		T(ratelimit_different_text_flushes_unlogged_count),
		T(ratelimit_ok_reports_recovery_once),
	};
	lines = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(capture, NULL, NULL);
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	g_ptr_array_unref(lines);
	return failed;
}
