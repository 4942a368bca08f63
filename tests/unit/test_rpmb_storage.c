/* SPDX-License-Identifier: MIT */
/* The SQLite store: persistence across reopen, one-time key, zeros, lock, schema version. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "optee_rpmb.h"
#include "storage.h"

struct t {
	char *dir;
	char *db;
};

static const struct rpmb_store_create create = { .cid = RPMB_EMU_DEFAULT_CID, .size_mult = 4,
						  .rel_wr_sec_c = 8, .counter_start = 0 };

static int setup(void **state)
{
	struct t *t = g_new0(struct t, 1);
	t->dir = g_dir_make_tmp("rpmb-storage-XXXXXX", NULL);
	assert_non_null(t->dir);
	t->db = g_build_filename(t->dir, "rpmb.db", NULL);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	const char *name;
	GDir *d = g_dir_open(t->dir, 0, NULL);
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(t->dir, name, NULL);
		g_unlink(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(t->dir);
	g_free(t->db);
	g_free(t->dir);
	g_free(t);
	return 0;
}

static struct rpmb_store *open_ok(const char *path, const struct rpmb_store_create *c)
{
	struct rpmb_store *s = NULL;
	g_autofree char *err = NULL;
	int r = rpmb_store_open_sqlite(path, c, &s, &err);
	if (r < 0)
		fail_msg("open %s: %d %s", path, r, err ? err : "");
	return s;
}

static void store_open_creates_device_row(void **state)
{
	struct t *t = *state;
	struct rpmb_store_meta m;
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_memory_equal(m.cid, cid, 16);
	assert_int_equal(m.size_mult, 4);
	assert_int_equal(m.rel_wr_sec_c, 8);
	assert_false(m.key_set);
	assert_int_equal(m.write_counter, 0);
	rpmb_store_close(s);
}

static void store_reopen_keeps_key_counter_and_data(void **state)
{
	struct t *t = *state;
	uint8_t key[RPMB_KEY_SIZE], data[3 * RPMB_DATA_SIZE], back[4 * RPMB_DATA_SIZE];
	struct rpmb_store_meta m;
	memset(key, 0x3c, sizeof(key));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);

	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_program_key(s, key), 0);
	assert_int_equal(rpmb_store_write(s, 10, 3, data, 1), 0);
	rpmb_store_close(s);

	/* Different creation parameters do not matter for an existing database. */
	struct rpmb_store_create other = create;
	other.size_mult = 1;
	other.counter_start = 99;
	s = open_ok(t->db, &other);
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_true(m.key_set);
	assert_memory_equal(m.key, key, sizeof(key));
	assert_int_equal(m.write_counter, 1);
	assert_int_equal(m.size_mult, 4);
	assert_int_equal(rpmb_store_read(s, 10, 4, back), 0);
	assert_memory_equal(back, data, sizeof(data));
	for (size_t i = sizeof(data); i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	rpmb_store_close(s);
}

static void store_program_key_twice_eexist(void **state)
{
	struct t *t = *state;
	uint8_t key[RPMB_KEY_SIZE] = { 1 }, key2[RPMB_KEY_SIZE] = { 2 };
	struct rpmb_store_meta m;
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_program_key(s, key), 0);
	assert_int_equal(rpmb_store_program_key(s, key2), -EEXIST);
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_memory_equal(m.key, key, sizeof(key));
	rpmb_store_close(s);
}

static void store_read_never_written_zeros(void **state)
{
	struct t *t = *state;
	uint8_t back[2 * RPMB_DATA_SIZE];
	memset(back, 0xee, sizeof(back));
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_read(s, 65534, 2, back), 0);
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	rpmb_store_close(s);
}

static void store_write_overwrites_and_sets_counter(void **state)
{
	struct t *t = *state;
	uint8_t a[RPMB_DATA_SIZE], b[RPMB_DATA_SIZE], back[RPMB_DATA_SIZE];
	struct rpmb_store_meta m;
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_write(s, 0, 1, a, 1), 0);
	assert_int_equal(rpmb_store_write(s, 0, 1, b, 2), 0);
	assert_int_equal(rpmb_store_read(s, 0, 1, back), 0);
	assert_memory_equal(back, b, sizeof(b));
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_int_equal(m.write_counter, 2);
	assert_int_equal(rpmb_store_write(s, 65535, 2, a, 3), -EINVAL); /* past 16 MiB */
	rpmb_store_close(s);
}

static void store_counter_start_only_at_creation(void **state)
{
	struct t *t = *state;
	struct rpmb_store_meta m;
	struct rpmb_store_create c = create;
	c.counter_start = 0xFFFFFFFEu;
	struct rpmb_store *s = open_ok(t->db, &c);
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_int_equal(m.write_counter, 0xFFFFFFFEu);
	assert_int_equal(rpmb_store_write(s, 0, 0, NULL, 0xFFFFFFFFu), 0);
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_int_equal(m.write_counter, 0xFFFFFFFFu);
	rpmb_store_close(s);
}

static void store_second_open_locked_ebusy(void **state)
{
	struct t *t = *state;
	struct rpmb_store *s = open_ok(t->db, &create), *s2 = NULL;
	g_autofree char *err = NULL;
	assert_int_equal(rpmb_store_open_sqlite(t->db, &create, &s2, &err), -EBUSY);
	assert_null(s2);
	assert_non_null(strstr(err, "in use by another rpmbd"));
	g_autofree char *pid = g_strdup_printf("pid %ld", (long)getpid());
	assert_non_null(strstr(err, pid));
	rpmb_store_close(s);
	/* Released on close. */
	s = open_ok(t->db, &create);
	rpmb_store_close(s);
}

static void set_user_version(const char *path, int v)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	g_autofree char *sql = g_strdup_printf("PRAGMA user_version = %d", v);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void store_open_newer_schema_eprotonosupport(void **state)
{
	struct t *t = *state;
	struct rpmb_store *s = open_ok(t->db, &create);
	rpmb_store_close(s);
	set_user_version(t->db, RPMB_STORE_SCHEMA_VERSION + 1);
	g_autofree char *err = NULL;
	g_autofree char *want = g_strdup_printf("schema version %d", RPMB_STORE_SCHEMA_VERSION + 1);
	s = NULL;
	assert_int_equal(rpmb_store_open_sqlite(t->db, &create, &s, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, want));
	assert_null(s);
}

static void store_open_foreign_sqlite_einval(void **state)
{
	struct t *t = *state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE x (y)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	g_autofree char *err = NULL;
	struct rpmb_store *s = NULL;
	assert_int_equal(rpmb_store_open_sqlite(t->db, &create, &s, &err), -EINVAL);
	assert_non_null(strstr(err, "not an rpmbd one"));
}

static void store_open_garbage_file_einval(void **state)
{
	struct t *t = *state;
	char junk[4096];
	memset(junk, 'x', sizeof(junk));
	assert_true(g_file_set_contents(t->db, junk, sizeof(junk), NULL));
	g_autofree char *err = NULL;
	struct rpmb_store *s = NULL;
	assert_int_equal(rpmb_store_open_sqlite(t->db, &create, &s, &err), -EINVAL);
	assert_non_null(err);
}

static void store_create_bad_size_mult_einval(void **state)
{
	struct t *t = *state;
	struct rpmb_store_create c = create;
	c.size_mult = 0;
	g_autofree char *err = NULL;
	struct rpmb_store *s = NULL;
	assert_int_equal(rpmb_store_open_sqlite(t->db, &c, &s, &err), -EINVAL);
	c.size_mult = RPMB_SIZE_MULT_MAX + 1;
	g_clear_pointer(&err, g_free);
	assert_int_equal(rpmb_store_open_sqlite(t->db, &c, &s, &err), -EINVAL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(store_open_creates_device_row),
		T(store_reopen_keeps_key_counter_and_data),
		T(store_program_key_twice_eexist),
		T(store_read_never_written_zeros),
		T(store_write_overwrites_and_sets_counter),
		T(store_counter_start_only_at_creation),
		T(store_second_open_locked_ebusy),
		T(store_open_newer_schema_eprotonosupport),
		T(store_open_foreign_sqlite_einval),
		T(store_open_garbage_file_einval),
		T(store_create_bad_size_mult_einval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
