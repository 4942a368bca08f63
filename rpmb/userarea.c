/* SPDX-License-Identifier: MIT */
#include "userarea.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

struct rpmb_userarea {
	sqlite3 *db;
	uint32_t blocks;
};

int rpmb_userarea_open(const char *path, uint32_t blocks, struct rpmb_userarea **ret_ua,
		       char **ret_error)
{
	g_autoptr(rpmb_userarea) ua = g_new0(struct rpmb_userarea, 1);
	char *msg = NULL;

	if (!path || blocks == 0 || blocks > RPMB_USERAREA_MAX_BLOCKS) {
		*ret_error = g_strdup_printf("user area of %u blocks: want 1..%u", blocks,
					     RPMB_USERAREA_MAX_BLOCKS);
		return -EINVAL;
	}
	ua->blocks = blocks;
	if (sqlite3_open_v2(path, &ua->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*ret_error = g_strdup_printf("%s: %s", path,
					     ua->db ? sqlite3_errmsg(ua->db) : "out of memory");
		return -EIO;
	}
	sqlite3_busy_timeout(ua->db, 5000);
	if (sqlite3_exec(ua->db,
			 "PRAGMA synchronous = FULL;"
			 "CREATE TABLE IF NOT EXISTS user_area ("
			 " lba INTEGER PRIMARY KEY, data BLOB NOT NULL)",
			 NULL, NULL, &msg) != SQLITE_OK) {
		*ret_error = g_strdup_printf("%s: user_area table: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	*ret_ua = g_steal_pointer(&ua);
	return 0;
}

void rpmb_userarea_free(struct rpmb_userarea *ua)
{
	if (!ua)
		return;
	sqlite3_close(ua->db);
	g_free(ua);
}

uint32_t rpmb_userarea_blocks(const struct rpmb_userarea *ua)
{
	return ua->blocks;
}

static bool in_range(const struct rpmb_userarea *ua, uint32_t lba, uint32_t n)
{
	return n >= 1 && lba < ua->blocks && n <= ua->blocks - lba;
}

int rpmb_userarea_read(struct rpmb_userarea *ua, uint32_t lba, uint32_t n, uint8_t *ret_data)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (!in_range(ua, lba, n))
		return -ERANGE;
	if (sqlite3_prepare_v2(ua->db, "SELECT lba, data FROM user_area WHERE lba >= ?1 AND lba < ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, lba);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)lba + n);
	g_autofree uint8_t *out = g_malloc0((size_t)n * RPMB_USERAREA_BLOCK);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 at = sqlite3_column_int64(st, 0);
		const void *d = sqlite3_column_blob(st, 1);
		if (sqlite3_column_bytes(st, 1) != (int)RPMB_USERAREA_BLOCK || !d) {
			r = -EIO;
			break;
		}
		memcpy(out + (size_t)(at - lba) * RPMB_USERAREA_BLOCK, d, RPMB_USERAREA_BLOCK);
	}
	if (r == 0 && s != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(st);
	if (r == 0)
		memcpy(ret_data, out, (size_t)n * RPMB_USERAREA_BLOCK);
	return r;
}

int rpmb_userarea_write(struct rpmb_userarea *ua, uint32_t lba, uint32_t n, const uint8_t *data)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (!in_range(ua, lba, n))
		return -ERANGE;
	if (sqlite3_exec(ua->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_prepare_v2(ua->db, "INSERT OR REPLACE INTO user_area(lba, data) VALUES (?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		r = -EIO;
	for (uint32_t i = 0; r == 0 && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)lba + i);
		sqlite3_bind_blob(st, 2, data + (size_t)i * RPMB_USERAREA_BLOCK,
				  (int)RPMB_USERAREA_BLOCK, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = -EIO;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(ua->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
	    r == 0) {
		(void)sqlite3_exec(ua->db, "ROLLBACK", NULL, NULL, NULL);
		r = -EIO;
	}
	return r;
}
