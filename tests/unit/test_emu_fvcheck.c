/* SPDX-License-Identifier: MIT */
/*
 * fvcheck_parse: what `stmmd --check-fv` prints (include/fv_check.h) read back, and every
 * missing or malformed key refused with an error naming it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "fv_check.h"
#include "fvcheck.h"

static const char *const all_keys[] = {
	FV_CHECK_KEY_FV_LENGTH,      FV_CHECK_KEY_STORE_SIZE,       FV_CHECK_KEY_RECORDS,
	FV_CHECK_KEY_LIVE_VARIABLES, FV_CHECK_KEY_BYTES_NEEDED,     FV_CHECK_KEY_VAR_STORE_SIZE,
	FV_CHECK_KEY_FTW_WORKING_SIZE, FV_CHECK_KEY_FTW_SPARE_SIZE,
};
static const char *const all_values[] = {
	"540672", "262144", "17", "12", "6000", "16384", "8192", "20480",
};

/* The key file as stmmd prints it, with key `skip` left out and key `bad` set to `value`. */
static char *key_file(const char *skip, const char *bad, const char *value)
{
	GString *s = g_string_new("[" FV_CHECK_GROUP "]\n");

	for (size_t i = 0; i < G_N_ELEMENTS(all_keys); i++) {
		if (skip && strcmp(all_keys[i], skip) == 0)
			continue;
		g_string_append_printf(s, "%s=%s\n", all_keys[i],
				       bad && strcmp(all_keys[i], bad) == 0 ? value : all_values[i]);
	}
	return g_string_free(s, FALSE);
}

/* -EPROTO, *ret untouched, and an error that names `key`. */
static void assert_refused(const char *text, const char *key)
{
	struct fvcheck_result res;
	memset(&res, 0xa5, sizeof(res));
	struct fvcheck_result before = res;
	g_autofree char *why = NULL;

	assert_int_equal(fvcheck_parse(text, strlen(text), &res, &why), -EPROTO);
	assert_non_null(why);
	if (key && !strstr(why, key))
		fail_msg("error \"%s\" does not name %s", why, key);
	assert_memory_equal(&res, &before, sizeof(res));
}

static void fvcheck_parse_complete(void **state)
{
	(void)state;
	g_autofree char *text = key_file(NULL, NULL, NULL);
	g_autofree char *why = NULL;
	struct fvcheck_result res;

	assert_int_equal(fvcheck_parse(text, strlen(text), &res, &why), 0);
	assert_null(why);
	assert_int_equal(res.fv_length, 540672);
	assert_int_equal(res.store_size, 262144);
	assert_int_equal(res.records, 17);
	assert_int_equal(res.live_variables, 12);
	assert_int_equal(res.bytes_needed, 6000);
	assert_int_equal(res.var_store_size, 16384);
	assert_int_equal(res.ftw_working_size, 8192);
	assert_int_equal(res.ftw_spare_size, 20480);
}

static void fvcheck_parse_missing_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(all_keys); i++) {
		g_autofree char *text = key_file(all_keys[i], NULL, NULL);
		assert_refused(text, all_keys[i]);
	}
}

static void fvcheck_parse_malformed_value(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "abc", "-1", "12x", "0x10", "+5" };
	for (size_t i = 0; i < G_N_ELEMENTS(all_keys); i++)
		for (size_t j = 0; j < G_N_ELEMENTS(bad); j++) {
			g_autofree char *text = key_file(NULL, all_keys[i], bad[j]);
			assert_refused(text, all_keys[i]);
		}
}

static void fvcheck_parse_out_of_range(void **state)
{
	(void)state;
	/* 32-bit keys refuse 2^32; 64-bit ones 2^64. */
	for (size_t i = 0; i < G_N_ELEMENTS(all_keys); i++) {
		bool wide = strcmp(all_keys[i], FV_CHECK_KEY_FV_LENGTH) == 0 ||
			    strcmp(all_keys[i], FV_CHECK_KEY_BYTES_NEEDED) == 0;
		g_autofree char *text =
			key_file(NULL, all_keys[i], wide ? "18446744073709551616" : "4294967296");
		assert_refused(text, all_keys[i]);
	}
}

static void fvcheck_parse_zero_layout(void **state)
{
	(void)state;
	const char *layout[] = { FV_CHECK_KEY_VAR_STORE_SIZE, FV_CHECK_KEY_FTW_WORKING_SIZE,
				 FV_CHECK_KEY_FTW_SPARE_SIZE };
	for (size_t i = 0; i < G_N_ELEMENTS(layout); i++) {
		g_autofree char *text = key_file(NULL, layout[i], "0");
		assert_refused(text, layout[i]);
	}
	/* A zero count is fine: an empty store has no records. */
	g_autofree char *text = key_file(NULL, FV_CHECK_KEY_RECORDS, "0");
	g_autofree char *why = NULL;
	struct fvcheck_result res;
	assert_int_equal(fvcheck_parse(text, strlen(text), &res, &why), 0);
	assert_int_equal(res.records, 0);
}

static void fvcheck_parse_not_a_key_file(void **state)
{
	(void)state;
	assert_refused("stmmd: something else\n", NULL);
	assert_refused("", FV_CHECK_GROUP);
	assert_refused("[other]\nfv-length=1\n", FV_CHECK_GROUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fvcheck_parse_complete),
		cmocka_unit_test(fvcheck_parse_missing_key),
		cmocka_unit_test(fvcheck_parse_malformed_value),
		cmocka_unit_test(fvcheck_parse_out_of_range),
		cmocka_unit_test(fvcheck_parse_zero_layout),
		cmocka_unit_test(fvcheck_parse_not_a_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
