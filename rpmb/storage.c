/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store.  Schema version 1 (PRAGMA user_version):
 *
 *   device(id = 1, cid BLOB(16), size_mult, rel_wr_sec_c, auth_key BLOB(32) NULL until
 *          programmed, write_counter)
 *   blocks(address PRIMARY KEY, data BLOB(256))      -- absent row = block of zeros
 *
 * WAL journal with synchronous=FULL: a commit is on disk when sqlite3_step() returns, so an
 * acknowledged write survives kill -9 or power loss.  Key programming and every
 * authenticated write are one transaction each.
 */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct sqlite_store {
	struct rpmb_store base;
	sqlite3 *db;
	int lock_fd;
	sqlite3_stmt *load;
	sqlite3_stmt *set_key;
	sqlite3_stmt *read;
	sqlite3_stmt *put_block;
	sqlite3_stmt *set_counter;
};

static struct sqlite_store *to_sqlite(struct rpmb_store *s)
{
	return (struct sqlite_store *)s;
}

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		g_debug("sqlite: \"%s\": %s", sql, sqlite3_errmsg(db));
	return sqlite_errno(rc);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret_stmt)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret_stmt, NULL);
	if (rc != SQLITE_OK)
		g_debug("sqlite: prepare \"%s\": %s", sql, sqlite3_errmsg(db));
	return sqlite_errno(rc);
}

/* Step a statement that returns no row, then reset it. */
static int step_done(sqlite3 *db, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		g_debug("sqlite: step \"%s\": %s", sqlite3_sql(stmt), sqlite3_errmsg(db));
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc == SQLITE_DONE ? 0 : (sqlite_errno(rc) ? sqlite_errno(rc) : -EIO);
}

static void rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- ops ------------------------------------------------------------------------- */

static int sq_load(struct rpmb_store *s, struct rpmb_store_meta *ret_meta)
{
	struct sqlite_store *q = to_sqlite(s);
	struct rpmb_store_meta m = { 0 };
	int r = -EIO;

	int rc = sqlite3_step(q->load);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? -EINVAL : sqlite_errno(rc);
		goto out;
	}
	int cid_len = sqlite3_column_bytes(q->load, 0);
	const void *cid = sqlite3_column_blob(q->load, 0);
	sqlite3_int64 size_mult = sqlite3_column_int64(q->load, 1);
	sqlite3_int64 rel = sqlite3_column_int64(q->load, 2);
	int key_type = sqlite3_column_type(q->load, 3);
	int key_len = sqlite3_column_bytes(q->load, 3);
	const void *key = sqlite3_column_blob(q->load, 3);
	sqlite3_int64 counter = sqlite3_column_int64(q->load, 4);

	if (cid_len != 16 || !cid || size_mult < 1 || size_mult > RPMB_SIZE_MULT_MAX || rel < 0 ||
	    rel > 255 || counter < 0 || counter > RPMB_WRITE_COUNTER_MAX ||
	    (key_type != SQLITE_NULL && (key_len != RPMB_KEY_SIZE || !key)))
		goto out; /* -EIO: the row does not describe a device */
	memcpy(m.cid, cid, 16);
	m.size_mult = (uint8_t)size_mult;
	m.rel_wr_sec_c = (uint8_t)rel;
	m.key_set = key_type != SQLITE_NULL;
	if (m.key_set)
		memcpy(m.key, key, RPMB_KEY_SIZE);
	m.write_counter = (uint32_t)counter;
	*ret_meta = m;
	r = 0;
out:
	sqlite3_reset(q->load);
	return r;
}

static int sq_program_key(struct rpmb_store *s, const uint8_t key[RPMB_KEY_SIZE])
{
	struct sqlite_store *q = to_sqlite(s);
	int r = exec_sql(q->db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	sqlite3_bind_blob(q->set_key, 1, key, RPMB_KEY_SIZE, SQLITE_TRANSIENT);
	r = step_done(q->db, q->set_key);
	if (r == 0 && sqlite3_changes(q->db) != 1)
		r = -EEXIST;
	if (r == 0)
		r = exec_sql(q->db, "COMMIT");
	if (r < 0)
		rollback(q->db);
	return r;
}

static int sq_read(struct rpmb_store *s, uint16_t address, uint16_t count, uint8_t *ret_data)
{
	struct sqlite_store *q = to_sqlite(s);
	int rc, r = 0;

	memset(ret_data, 0, (size_t)count * RPMB_DATA_SIZE);
	sqlite3_bind_int64(q->read, 1, address);
	sqlite3_bind_int64(q->read, 2, (sqlite3_int64)address + count);
	while ((rc = sqlite3_step(q->read)) == SQLITE_ROW) {
		sqlite3_int64 a = sqlite3_column_int64(q->read, 0);
		const void *data = sqlite3_column_blob(q->read, 1);
		if (a < address || a >= (sqlite3_int64)address + count || !data ||
		    sqlite3_column_bytes(q->read, 1) != RPMB_DATA_SIZE) {
			r = -EIO;
			break;
		}
		memcpy(ret_data + (size_t)(a - address) * RPMB_DATA_SIZE, data, RPMB_DATA_SIZE);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		g_debug("sqlite: read blocks: %s", sqlite3_errmsg(q->db));
		r = sqlite_errno(rc) ? sqlite_errno(rc) : -EIO;
	}
	sqlite3_reset(q->read);
	sqlite3_clear_bindings(q->read);
	return r;
}

static int sq_write(struct rpmb_store *s, uint16_t address, uint16_t count, const uint8_t *data,
		    uint32_t new_counter)
{
	struct sqlite_store *q = to_sqlite(s);
	int r;

	if ((uint32_t)address + count > 65536u)
		return -EINVAL;
	r = exec_sql(q->db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	for (uint16_t i = 0; i < count && r == 0; i++) {
		sqlite3_bind_int64(q->put_block, 1, (sqlite3_int64)address + i);
		sqlite3_bind_blob(q->put_block, 2, data + (size_t)i * RPMB_DATA_SIZE, RPMB_DATA_SIZE,
				  SQLITE_STATIC);
		r = step_done(q->db, q->put_block);
	}
	if (r == 0) {
		sqlite3_bind_int64(q->set_counter, 1, new_counter);
		r = step_done(q->db, q->set_counter);
	}
	if (r == 0)
		r = exec_sql(q->db, "COMMIT");
	if (r < 0)
		rollback(q->db);
	return r;
}

static void sq_close(struct rpmb_store *s)
{
	struct sqlite_store *q = to_sqlite(s);

	sqlite3_finalize(q->load);
	sqlite3_finalize(q->set_key);
	sqlite3_finalize(q->read);
	sqlite3_finalize(q->put_block);
	sqlite3_finalize(q->set_counter);
	sqlite3_close(q->db);
	/* Only now: closing the lock file releases the lock for the next rpmbd. */
	if (q->lock_fd >= 0)
		close(q->lock_fd);
	g_free(q);
}

static const struct rpmb_store_ops sqlite_ops = {
	.load = sq_load,
	.program_key = sq_program_key,
	.read = sq_read,
	.write = sq_write,
	.close = sq_close,
};

/* ---- open ------------------------------------------------------------------------ */

static int take_lock(const char *db_path, int *ret_fd, char **ret_error)
{
	g_autofree char *path = g_strconcat(db_path, ".lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int r = -errno;
		*ret_error = g_strdup_printf("cannot open lock file %s: %s", path, g_strerror(-r));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		if (n > 0)
			pid[n] = '\0';
		g_strstrip(pid);
		*ret_error = g_strdup_printf("database %s is in use by another rpmbd (pid %s, lock %s)",
					     db_path, *pid ? pid : "?", path);
		close(fd);
		return r;
	}
	/* Best effort: tell the next one who holds it. */
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) < 0)
		g_debug("cannot record pid in %s: %s", path, g_strerror(errno));
	*ret_fd = fd;
	return 0;
}

static int query_int(sqlite3 *db, const char *sql, sqlite3_int64 *ret)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		g_debug("sqlite: \"%s\": %s", sql, sqlite3_errmsg(db));
		return sqlite_errno(rc) ? sqlite_errno(rc) : -EIO;
	}
	return 0;
}

static int create_schema(sqlite3 *db, const struct rpmb_store_create *c)
{
	static const char schema[] =
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
		"PRAGMA user_version = 1;";
	_Static_assert(RPMB_STORE_SCHEMA_VERSION == 1, "schema text is version 1");
	sqlite3_stmt *ins = NULL;
	int r = exec_sql(db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = exec_sql(db, schema);
	if (r == 0)
		r = prepare(db,
			    "INSERT INTO device (id, cid, size_mult, rel_wr_sec_c, auth_key, write_counter)"
			    " VALUES (1, ?1, ?2, ?3, NULL, ?4)",
			    &ins);
	if (r == 0) {
		sqlite3_bind_blob(ins, 1, c->cid, 16, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, c->size_mult);
		sqlite3_bind_int64(ins, 3, c->rel_wr_sec_c);
		sqlite3_bind_int64(ins, 4, c->counter_start);
		r = step_done(db, ins);
	}
	sqlite3_finalize(ins);
	if (r == 0)
		r = exec_sql(db, "COMMIT");
	if (r < 0)
		rollback(db);
	return r;
}

static int open_db(struct sqlite_store *q, const char *path, const struct rpmb_store_create *c,
		   char **ret_error)
{
	sqlite3_int64 version = 0, tables = 0;
	int rc = sqlite3_open_v2(path, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*ret_error = g_strdup_printf("cannot open database %s: %s", path,
					     q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		return sqlite_errno(rc) ? sqlite_errno(rc) : -EIO;
	}
	sqlite3_extended_result_codes(q->db, 1);
	int r = query_int(q->db, "PRAGMA user_version", &version);
	if (r == 0)
		r = query_int(q->db, "SELECT count(*) FROM sqlite_master", &tables);
	if (r < 0) {
		*ret_error = g_strdup_printf("cannot read database %s: %s", path, sqlite3_errmsg(q->db));
		return r;
	}
	if (version == 0 && tables != 0) {
		*ret_error = g_strdup_printf("%s is an SQLite database but not an rpmbd one", path);
		return -EINVAL;
	}
	if (version != 0 && version != RPMB_STORE_SCHEMA_VERSION) {
		*ret_error = g_strdup_printf("%s has schema version %lld; this rpmbd knows version %d",
					     path, (long long)version, RPMB_STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	/* WAL must be chosen outside a transaction; ":memory:" stays "memory". */
	r = exec_sql(q->db, "PRAGMA journal_mode = WAL");
	if (r == 0)
		r = exec_sql(q->db, "PRAGMA synchronous = FULL");
	if (r == 0 && version == 0) {
		if (!c || c->size_mult < 1 || c->size_mult > RPMB_SIZE_MULT_MAX) {
			*ret_error = g_strdup_printf("cannot create %s: no valid device parameters", path);
			return -EINVAL;
		}
		r = create_schema(q->db, c);
	}
	if (r == 0)
		r = prepare(q->db,
			    "SELECT cid, size_mult, rel_wr_sec_c, auth_key, write_counter"
			    " FROM device WHERE id = 1",
			    &q->load);
	if (r == 0)
		r = prepare(q->db, "UPDATE device SET auth_key = ?1 WHERE id = 1 AND auth_key IS NULL",
			    &q->set_key);
	if (r == 0)
		r = prepare(q->db,
			    "SELECT address, data FROM blocks WHERE address >= ?1 AND address < ?2",
			    &q->read);
	if (r == 0)
		r = prepare(q->db, "INSERT OR REPLACE INTO blocks (address, data) VALUES (?1, ?2)",
			    &q->put_block);
	if (r == 0)
		r = prepare(q->db, "UPDATE device SET write_counter = ?1 WHERE id = 1",
			    &q->set_counter);
	if (r < 0)
		*ret_error = g_strdup_printf("cannot set up database %s: %s", path,
					     sqlite3_errmsg(q->db));
	return r;
}

int rpmb_store_open_sqlite(const char *path, const struct rpmb_store_create *create,
			   struct rpmb_store **ret_store, char **ret_error)
{
	g_autofree char *error = NULL;
	struct sqlite_store *q = g_new0(struct sqlite_store, 1);
	struct rpmb_store_meta meta;
	int r = 0;

	q->base.ops = &sqlite_ops;
	q->lock_fd = -1;
	if (strcmp(path, ":memory:") != 0)
		r = take_lock(path, &q->lock_fd, &error);
	if (r == 0)
		r = open_db(q, path, create, &error);
	if (r == 0) {
		/* Check the device row once now, so that a broken database fails at start. */
		r = sq_load(&q->base, &meta);
		if (r < 0)
			error = g_strdup_printf("%s: the device row is missing or invalid", path);
	}
	if (r < 0) {
		sq_close(&q->base);
		if (ret_error)
			*ret_error = g_steal_pointer(&error);
		return r;
	}
	*ret_store = &q->base;
	return 0;
}
