/* SPDX-License-Identifier: MIT */
/* rpmbd's database as a partition image (see rpmbdb.h). */
#include "rpmbdb.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <string.h>

#include "rpmb_frame.h"
#include "rpmb_host.h"

/* rpmb.db opened read-only, waiting up to 5 s for a writer's lock.  0 or -EIO + err. */
static int open_ro(const char *db_path, sqlite3 **ret, GString *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 5000);
	if (rc != SQLITE_OK) {
		g_string_append_printf(err, "%s: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -EIO;
	}
	*ret = db;
	return 0;
}

/* Blocks [0, len / 256) from an open rpmb.db: see emu_rpmbdb_read_blocks. */
static int read_blocks(sqlite3 *db, const char *db_path, uint32_t len, uint8_t **ret, GString *err)
{
	sqlite3_stmt *q = NULL;
	g_autofree uint8_t *buf = g_malloc0(len);
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db,
				"SELECT address, data FROM blocks WHERE address >= 0 AND "
				"address < ?1 ORDER BY address",
				-1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, len / RPMB_DATA_SIZE);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW)
			break;
		sqlite3_int64 a = sqlite3_column_int64(q, 0);
		const void *data = sqlite3_column_blob(q, 1);
		if (!data || sqlite3_column_bytes(q, 1) != (int)RPMB_DATA_SIZE || a < 0 ||
		    (uint64_t)a >= len / RPMB_DATA_SIZE) {
			g_string_append_printf(err, "%s: block %" PRId64 " is not a %u-byte block",
					       db_path, (int64_t)a, RPMB_DATA_SIZE);
			r = -EBADMSG;
			break;
		}
		memcpy(buf + (size_t)a * RPMB_DATA_SIZE, data, RPMB_DATA_SIZE);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		g_string_append_printf(err, "%s: %s", db_path, sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(q);
	if (r == 0)
		*ret = g_steal_pointer(&buf);
	return r;
}

/*
 * Blocks [0, len / 256) of the device in rpmb.db (store offset 0); an absent row is a
 * block of zeros, as rpmbd reads it.  Columns are selected by name.  0 or -errno + err.
 */
int emu_rpmbdb_read_blocks(const char *db_path, uint32_t len, uint8_t **ret, GString *err)
{
	sqlite3 *db = NULL;
	int r = open_ro(db_path, &db, err);

	if (r == 0)
		r = read_blocks(db, db_path, len, ret, err);
	sqlite3_close(db);
	return r;
}

/* RPMB_SIZE_MULT of the device in an open rpmb.db (its size in 128 KiB units).  0 or -errno. */
static int read_size_mult(sqlite3 *db, const char *db_path, uint32_t *ret, GString *err)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT size_mult FROM device WHERE id = 1", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_int64 v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	if (rc != SQLITE_ROW || v < 1 || v > 128)
		g_string_append_printf(err, "%s: no device size: %s", db_path,
				       rc == SQLITE_ROW ? "size_mult out of 1..128" : sqlite3_errmsg(db));
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW || v < 1 || v > 128)
		return -EIO;
	*ret = (uint32_t)v;
	return 0;
}

int emu_rpmbdb_read_image(const char *db_path, uint8_t **ret, size_t *ret_len, GString *err)
{
	sqlite3 *db = NULL;
	uint32_t mult;
	int r = open_ro(db_path, &db, err);
	if (r == 0)
		r = read_size_mult(db, db_path, &mult, err);
	if (r == 0)
		r = read_blocks(db, db_path, mult * RPMB_BLOCKS_PER_MULT * RPMB_DATA_SIZE, ret, err);
	if (r == 0)
		*ret_len = (size_t)mult * RPMB_BLOCKS_PER_MULT * RPMB_DATA_SIZE;
	sqlite3_close(db);
	return r;
}

int emu_rpmbdb_read_key(const char *db_path, uint8_t *key, GString *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;

	if (!g_file_test(db_path, G_FILE_TEST_EXISTS))
		return -ENOENT;
	int r = open_ro(db_path, &db, err);
	if (r < 0)
		return r;
	int rc = sqlite3_prepare_v2(db, "SELECT auth_key FROM device WHERE id = 1", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 0) == RPMB_KEY_SIZE)
		memcpy(key, sqlite3_column_blob(q, 0), RPMB_KEY_SIZE);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		r = -ENOENT; /* no device row, or a NULL key: not programmed */
	else {
		g_string_append_printf(err, "%s: %s", db_path, sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return r;
}
