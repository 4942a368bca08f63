/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store: persistence across reopen, one-time key, zeros, lock, schema version,
 * migration from version 1, block checksums (damage at rest), refusal of an unwritable
 * database, bounded WAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

/* Clear the immutable flag a test may have set, so that the files can be removed. */
static void set_immutable(const char *path, bool on, int *ret_errno)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0, e = 0;
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		e = errno;
	if (!e) {
		flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
			e = errno;
	}
	if (fd >= 0)
		close(fd);
	if (ret_errno)
		*ret_errno = e;
}

static int teardown(void **state)
{
	struct t *t = *state;
	const char *name;
	set_immutable(t->db, false, NULL);
	set_immutable(t->dir, false, NULL);
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


/* Run SQL on the database file behind the store's back (the store must be closed). */
static void sql(const char *path, const char *text)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, text, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", text, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static sqlite3_int64 sql_int(const char *path, const char *text)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_int64 v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Flip bit 0 of byte `offset` of the stored block at `address` (store closed). */
static void flip_bit(const char *path, int address, int offset)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *get = NULL, *put = NULL;
	uint8_t data[RPMB_DATA_SIZE];
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM blocks WHERE address = ?1", -1,
					    &get, NULL), SQLITE_OK);
	sqlite3_bind_int(get, 1, address);
	assert_int_equal(sqlite3_step(get), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(get, 0), RPMB_DATA_SIZE);
	memcpy(data, sqlite3_column_blob(get, 0), RPMB_DATA_SIZE);
	sqlite3_finalize(get);
	data[offset] ^= 1;
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE blocks SET data = ?2 WHERE address = ?1",
					    -1, &put, NULL), SQLITE_OK);
	sqlite3_bind_int(put, 1, address);
	sqlite3_bind_blob(put, 2, data, RPMB_DATA_SIZE, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(put), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(put);
	sqlite3_close(db);
}

static void fill(uint8_t *data, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(seed + i * 13);
}

static void store_read_damaged_block_ebadmsg(void **state)
{
	struct t *t = *state;
	uint8_t data[3 * RPMB_DATA_SIZE], back[3 * RPMB_DATA_SIZE];
	fill(data, sizeof(data), 1);
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_write(s, 20, 3, data, 1), 0);
	rpmb_store_close(s);

	/* One bit of block 21 flips at rest. */
	flip_bit(t->db, 21, 99);

	s = open_ok(t->db, &create);
	memset(back, 0xee, sizeof(back));
	assert_int_equal(rpmb_store_read(s, 21, 1, back), -EBADMSG);
	for (size_t i = 0; i < RPMB_DATA_SIZE; i++)
		assert_int_equal(back[i], 0); /* nothing of the damaged block comes out */
	const char *why = rpmb_store_last_error(s);
	assert_non_null(why);
	assert_non_null(strstr(why, "block 21"));
	assert_non_null(strstr(why, "checksum"));
	/* A range over it fails as a whole; the blocks around it still read. */
	assert_int_equal(rpmb_store_read(s, 20, 3, back), -EBADMSG);
	assert_int_equal(rpmb_store_read(s, 20, 1, back), 0);
	assert_memory_equal(back, data, RPMB_DATA_SIZE);
	assert_null(rpmb_store_last_error(s));
	assert_int_equal(rpmb_store_read(s, 22, 1, back), 0);
	assert_memory_equal(back, data + 2 * RPMB_DATA_SIZE, RPMB_DATA_SIZE);
	/* Rewriting the block heals it, as on a card. */
	assert_int_equal(rpmb_store_write(s, 21, 1, data + RPMB_DATA_SIZE, 2), 0);
	assert_int_equal(rpmb_store_read(s, 20, 3, back), 0);
	assert_memory_equal(back, data, sizeof(data));
	rpmb_store_close(s);
}

/* The checksum covers the address: a block's row moved to another address is damage. */
static void store_read_block_moved_ebadmsg(void **state)
{
	struct t *t = *state;
	uint8_t data[2 * RPMB_DATA_SIZE], back[RPMB_DATA_SIZE];
	fill(data, sizeof(data), 7);
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_write(s, 0, 2, data, 1), 0);
	rpmb_store_close(s);
	sql(t->db, "UPDATE blocks SET (data, checksum) = (SELECT data, checksum FROM blocks"
		   " WHERE address = 0) WHERE address = 1");
	s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_read(s, 1, 1, back), -EBADMSG);
	assert_int_equal(rpmb_store_read(s, 0, 1, back), 0);
	rpmb_store_close(s);
}

static void store_read_missing_checksum_ebadmsg(void **state)
{
	struct t *t = *state;
	uint8_t data[RPMB_DATA_SIZE], back[RPMB_DATA_SIZE];
	fill(data, sizeof(data), 3);
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_write(s, 9, 1, data, 1), 0);
	rpmb_store_close(s);
	sql(t->db, "UPDATE blocks SET checksum = NULL WHERE address = 9");
	s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_read(s, 9, 1, back), -EBADMSG);
	rpmb_store_close(s);
}

/* Version 1, as rpmbd before checksums made it. */
static const char schema_v1[] =
	"CREATE TABLE device ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" cid BLOB NOT NULL CHECK (length(cid) = 16),"
	" size_mult INTEGER NOT NULL CHECK (size_mult BETWEEN 1 AND 128),"
	" rel_wr_sec_c INTEGER NOT NULL CHECK (rel_wr_sec_c BETWEEN 0 AND 255),"
	" auth_key BLOB CHECK (auth_key IS NULL OR length(auth_key) = 32),"
	" write_counter INTEGER NOT NULL CHECK (write_counter BETWEEN 0 AND 4294967295));"
	"CREATE TABLE blocks ("
	" address INTEGER PRIMARY KEY CHECK (address BETWEEN 0 AND 65535),"
	" data BLOB NOT NULL CHECK (length(data) = 256));"
	"PRAGMA journal_mode = WAL;"
	"INSERT INTO device VALUES (1, zeroblob(16), 2, 1, randomblob(32), 41);"
	"INSERT INTO blocks VALUES (0, randomblob(256)), (5, randomblob(256)),"
	" (1023, zeroblob(256));"
	"PRAGMA user_version = 1;";

static void store_open_v1_migrates_with_checksums(void **state)
{
	struct t *t = *state;
	uint8_t back[RPMB_DATA_SIZE * 6];
	struct rpmb_store_meta m;
	sql(t->db, schema_v1);
	g_autofree char *hex0 = NULL;
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM blocks ORDER BY address",
						    -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		memcpy(back, sqlite3_column_blob(st, 0), RPMB_DATA_SIZE);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		memcpy(back + RPMB_DATA_SIZE, sqlite3_column_blob(st, 0), RPMB_DATA_SIZE);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	uint8_t want0[RPMB_DATA_SIZE], want5[RPMB_DATA_SIZE];
	memcpy(want0, back, RPMB_DATA_SIZE);
	memcpy(want5, back + RPMB_DATA_SIZE, RPMB_DATA_SIZE);

	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_load(s, &m), 0);
	assert_int_equal(m.write_counter, 41);
	assert_true(m.key_set);
	assert_int_equal(m.size_mult, 2);
	assert_int_equal(rpmb_store_read(s, 0, 6, back), 0);
	assert_memory_equal(back, want0, RPMB_DATA_SIZE);
	assert_memory_equal(back + 5 * RPMB_DATA_SIZE, want5, RPMB_DATA_SIZE);
	rpmb_store_close(s);

	assert_int_equal(sql_int(t->db, "PRAGMA user_version"), RPMB_STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(t->db, "SELECT count(*) FROM blocks WHERE length(checksum) = 32"),
			 3);
	/* The migrated checksums guard the data like fresh ones. */
	sql(t->db, "UPDATE blocks SET data = zeroblob(256) WHERE address = 5");
	s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_read(s, 5, 1, back), -EBADMSG);
	assert_int_equal(rpmb_store_read(s, 1023, 1, back), 0);
	rpmb_store_close(s);
}

/* A fresh database is version 1 + the migration: the same columns as a migrated one. */
static void store_create_is_current_version(void **state)
{
	struct t *t = *state;
	uint8_t data[RPMB_DATA_SIZE] = { 1 };
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_write(s, 3, 1, data, 1), 0);
	rpmb_store_close(s);
	assert_int_equal(sql_int(t->db, "PRAGMA user_version"), RPMB_STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(t->db, "SELECT length(checksum) FROM blocks WHERE address = 3"), 32);
}

/*
 * A database that cannot be written is refused at open.  chmod does not stop root, so as
 * root the file is made immutable (FS_IOC_SETFLAGS, as chattr +i) when the filesystem
 * supports it; otherwise the test is skipped with the reason.
 */
static void store_open_unwritable_refused(void **state)
{
	struct t *t = *state;
	struct rpmb_store *s = open_ok(t->db, &create);
	rpmb_store_close(s);
	if (geteuid() != 0) {
		assert_int_equal(chmod(t->db, 0400), 0);
	} else {
		int e = 0;
		set_immutable(t->db, true, &e);
		if (e) {
			print_message("skipped: running as root and cannot make %s immutable: %s\n",
				      t->db, g_strerror(e));
			skip();
		}
	}
	g_autofree char *err = NULL;
	s = NULL;
	int r = rpmb_store_open_sqlite(t->db, &create, &s, &err);
	set_immutable(t->db, false, NULL);
	assert_true(r == -EROFS || r == -EACCES || r == -EPERM);
	assert_null(s);
	assert_non_null(err);
	assert_non_null(strstr(err, t->db));
	assert_non_null(strstr(err, "not writable"));
	assert_non_null(strstr(err, g_strerror(geteuid() == 0 ? EPERM : EACCES)));
}

/* The directory must take SQLite's -wal and -shm files: one that does not is refused. */
static void store_open_unwritable_directory_refused(void **state)
{
	struct t *t = *state;
	struct rpmb_store *s = open_ok(t->db, &create);
	rpmb_store_close(s);
	if (geteuid() != 0) {
		assert_int_equal(chmod(t->dir, 0500), 0);
	} else {
		int e = 0;
		set_immutable(t->dir, true, &e);
		if (e) {
			print_message("skipped: running as root and cannot make %s immutable: %s\n",
				      t->dir, g_strerror(e));
			skip();
		}
	}
	g_autofree char *err = NULL;
	s = NULL;
	int r = rpmb_store_open_sqlite(t->db, &create, &s, &err);
	set_immutable(t->dir, false, NULL);
	assert_int_equal(chmod(t->dir, 0700), 0);
	assert_true(r == -EACCES || r == -EPERM);
	assert_null(s);
	assert_non_null(strstr(err, t->db));
	assert_non_null(strstr(err, "does not take new files"));
	/* The probe left nothing behind: only the database, its lock (and no -wal/-shm). */
	g_autoptr(GDir) d = g_dir_open(t->dir, 0, NULL);
	const char *name;
	while ((name = g_dir_read_name(d)))
		assert_true(strcmp(name, "rpmb.db") == 0 || strcmp(name, "rpmb.db.lock") == 0);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* A long stream of writes keeps the -wal file below RPMB_STORE_WAL_MAX_BYTES. */
static void store_wal_stays_bounded(void **state)
{
	struct t *t = *state;
	g_autofree char *wal = g_strconcat(t->db, "-wal", NULL);
	g_autofree uint8_t *data = g_malloc(256 * RPMB_DATA_SIZE);
	off_t most = 0;
	uint32_t counter = 0;
	struct rpmb_store *s = open_ok(t->db, &create); /* 2048 blocks */

	/* ~4 MiB through the log: 16-block writes over the whole device, then the largest. */
	for (int i = 0; i < 384; i++) {
		fill(data, 16 * RPMB_DATA_SIZE, (uint8_t)i);
		assert_int_equal(rpmb_store_write(s, (uint16_t)((i * 16) % 2048), 16, data,
						  ++counter), 0);
		most = MAX(most, file_size(wal));
	}
	for (int i = 0; i < 16; i++) {
		fill(data, 256 * RPMB_DATA_SIZE, (uint8_t)i);
		assert_int_equal(rpmb_store_write(s, (uint16_t)(i * 128 % 1792), 256, data,
						  ++counter), 0);
		most = MAX(most, file_size(wal));
	}
	print_message("largest -wal: %lld bytes (bound %d)\n", (long long)most,
		      RPMB_STORE_WAL_MAX_BYTES);
	assert_true(most > 0); /* the log was in use */
	assert_true(most <= RPMB_STORE_WAL_MAX_BYTES);
	rpmb_store_close(s);
}
static void durability_from_name_cases(void **state)
{
	(void)state;
	enum rpmb_durability d = RPMB_DURABILITY_PROCESS;
	assert_int_equal(rpmb_durability_from_name("full", &d), 0);
	assert_int_equal(d, RPMB_DURABILITY_FULL);
	assert_int_equal(rpmb_durability_from_name("process", &d), 0);
	assert_int_equal(d, RPMB_DURABILITY_PROCESS);
	assert_int_equal(rpmb_durability_from_name("FULL", &d), -EINVAL);
	assert_int_equal(rpmb_durability_from_name("", &d), -EINVAL);
	assert_int_equal(rpmb_durability_from_name(NULL, &d), -EINVAL);
	assert_int_equal(d, RPMB_DURABILITY_PROCESS); /* untouched on failure */
	assert_int_equal(rpmb_store_sqlite_set_durability(NULL, RPMB_DURABILITY_FULL), -EINVAL);
}

/*
 * process durability: a write is committed when it returns -- another connection sees it
 * while the first is still open, its WAL not checkpointed, as kill -9 leaves it.
 */
static void store_process_durability_commit_visible(void **state)
{
	struct t *t = *state;
	uint8_t data[RPMB_DATA_SIZE];
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;

	memset(data, 0x77, sizeof(data));
	struct rpmb_store *s = open_ok(t->db, &create);
	assert_int_equal(rpmb_store_sqlite_set_durability(s, RPMB_DURABILITY_PROCESS), 0);
	assert_int_equal(rpmb_store_write(s, 5, 1, data, 1), 0);
	assert_int_equal(sqlite3_open_v2(t->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT data FROM blocks WHERE address = 5", -1, &q,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(q, 0), RPMB_DATA_SIZE);
	assert_memory_equal(sqlite3_column_blob(q, 0), data, RPMB_DATA_SIZE);
	sqlite3_finalize(q);
	sqlite3_close(h);
	assert_int_equal(rpmb_store_sqlite_set_durability(s, RPMB_DURABILITY_FULL), 0);
	rpmb_store_close(s);
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
		T(store_read_damaged_block_ebadmsg),
		T(store_read_block_moved_ebadmsg),
		T(store_read_missing_checksum_ebadmsg),
		T(store_open_v1_migrates_with_checksums),
		T(store_create_is_current_version),
		T(store_open_unwritable_refused),
		T(store_open_unwritable_directory_refused),
		T(store_wal_stays_bounded),
		T(durability_from_name_cases),
		T(store_process_durability_commit_visible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
