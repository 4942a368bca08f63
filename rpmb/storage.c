/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store.  Schema version 2 (PRAGMA user_version):
 *
 *   device(id = 1, cid BLOB(16), size_mult, rel_wr_sec_c, auth_key BLOB(32) NULL until
 *          programmed, write_counter)
 *   blocks(address PRIMARY KEY, data BLOB(256),       -- absent row = block of zeros
 *          checksum BLOB(32))                          -- v2: SHA-256(be16 address || data)
 *
 * Version 1 had no checksum column; opening a version 1 database adds it and computes the
 * checksums in one transaction.  A new database is made the same way (version 1 tables,
 * then the upgrade), so the migration runs on every creation.
 *
 * WAL journal with synchronous=FULL: a commit is on disk when sqlite3_step() returns, so an
 * acknowledged write survives kill -9 or power loss.  rpmb_store_sqlite_set_durability(
 * PROCESS) switches to synchronous=NORMAL: a commit is in the WAL file (the OS page cache)
 * when step returns -- it survives kill -9 of rpmbd, not a host power loss.  Key programming and every
 * authenticated write are one transaction each.  The WAL is checkpointed every
 * RPMB_STORE_WAL_CHECKPOINT_PAGES pages and truncated to RPMB_STORE_WAL_LIMIT_BYTES, so it
 * stays small; after a failure (disk full) the next transaction simply tries again.
 */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bytes.h"
#include "perf_count.h"

#define CHECKSUM_SIZE 32u /* SHA-256 */

struct sqlite_store {
	struct rpmb_store base;
	sqlite3 *db;
	int lock_fd;
	sqlite3_stmt *load;
	sqlite3_stmt *set_key;
	sqlite3_stmt *read;
	sqlite3_stmt *put_block;
	sqlite3_stmt *set_counter;
	sqlite3_stmt *begin;  /* BEGIN IMMEDIATE, prepared once */
	sqlite3_stmt *commit; /* COMMIT, prepared once */
	char *error; /* what the last failed op was doing, and why */
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

static int failure_errno(int rc)
{
	int r = sqlite_errno(rc);
	return r ? r : -EIO;
}

static void clear_error(struct sqlite_store *q)
{
	g_clear_pointer(&q->error, g_free);
}

/*
 * Record a failure of `what` (first one wins within an op): SQLite's message plus, for the
 * codes that come from a system call, the errno text.  Returns the -errno for rc.
 */
static int record(struct sqlite_store *q, int rc, const char *what)
{
	if (!q->error) {
		int primary = rc & 0xff, sys = sqlite3_system_errno(q->db);
		bool os = primary == SQLITE_IOERR || primary == SQLITE_FULL ||
			  primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY;
		if (os && sys > 0)
			q->error = g_strdup_printf("%s: %s (%s)", what, sqlite3_errmsg(q->db),
						   g_strerror(sys));
		else
			q->error = g_strdup_printf("%s: %s", what, sqlite3_errmsg(q->db));
		g_debug("sqlite: %s", q->error);
	}
	return failure_errno(rc);
}

/* A failure found by us, not by SQLite. */
static int record_text(struct sqlite_store *q, int r, const char *text)
{
	if (!q->error) {
		q->error = g_strdup(text);
		g_debug("store: %s", text);
	}
	return r;
}

static int exec_sql(struct sqlite_store *q, const char *sql)
{
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		g_autofree char *what = g_strdup_printf("\"%.40s\"", sql);
		return record(q, rc, what);
	}
	return 0;
}

static int prepare(struct sqlite_store *q, const char *sql, sqlite3_stmt **ret_stmt)
{
	int rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret_stmt, NULL);
	if (rc != SQLITE_OK) {
		g_autofree char *what = g_strdup_printf("prepare \"%.40s\"", sql);
		return record(q, rc, what);
	}
	return 0;
}

/* Step a statement that returns no row, then reset it.  `what` names it in the error. */
static int step_done(struct sqlite_store *q, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);
	int r = rc == SQLITE_DONE ? 0 : record(q, rc, what);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return r;
}

static void rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* SHA-256 over the big-endian address and the 256 data bytes (one buffer, no allocation). */
static void block_checksum(uint16_t address, const uint8_t *data, uint8_t ret_sum[CHECKSUM_SIZE])
{
	uint8_t buf[2 + RPMB_DATA_SIZE];
	unsigned int len = CHECKSUM_SIZE;

	put_be16(buf, address);
	memcpy(buf + 2, data, RPMB_DATA_SIZE);
	if (!EVP_Digest(buf, sizeof(buf), ret_sum, &len, EVP_sha256(), NULL))
		g_error("SHA-256 failed"); /* OpenSSL cannot compute a digest: nothing works */
	g_assert(len == CHECKSUM_SIZE);
}

/* BEGIN IMMEDIATE / COMMIT by their prepared statements (no parse per transaction). */
static int begin_tx(struct sqlite_store *q)
{
	return step_done(q, q->begin, "\"BEGIN IMMEDIATE\"");
}

static int commit_tx(struct sqlite_store *q)
{
	return step_done(q, q->commit, "\"COMMIT\"");
}

/* ---- ops ------------------------------------------------------------------------- */

static int sq_load(struct rpmb_store *s, struct rpmb_store_meta *ret_meta)
{
	struct sqlite_store *q = to_sqlite(s);
	struct rpmb_store_meta m = { 0 };
	int r;

	clear_error(q);
	int rc = sqlite3_step(q->load);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? record_text(q, -EINVAL, "load: the device row is missing")
				      : record(q, rc, "load the device row");
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
	    (key_type != SQLITE_NULL && (key_len != RPMB_KEY_SIZE || !key))) {
		r = record_text(q, -EIO, "load: the device row does not describe a device");
		goto out;
	}
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

	clear_error(q);
	int r = exec_sql(q, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	sqlite3_bind_blob(q->set_key, 1, key, RPMB_KEY_SIZE, SQLITE_TRANSIENT);
	r = step_done(q, q->set_key, "store the key");
	if (r == 0 && sqlite3_changes(q->db) != 1)
		r = record_text(q, -EEXIST, "store the key: a key is already stored");
	if (r == 0)
		r = exec_sql(q, "COMMIT");
	if (r < 0)
		rollback(q->db);
	return r;
}

static int sq_read(struct rpmb_store *s, uint16_t address, uint16_t count, uint8_t *ret_data)
{
	struct sqlite_store *q = to_sqlite(s);
	int rc, r = 0;

	clear_error(q);
	memset(ret_data, 0, (size_t)count * RPMB_DATA_SIZE);
	sqlite3_bind_int64(q->read, 1, address);
	sqlite3_bind_int64(q->read, 2, (sqlite3_int64)address + count);
	while ((rc = sqlite3_step(q->read)) == SQLITE_ROW) {
		sqlite3_int64 a = sqlite3_column_int64(q->read, 0);
		const uint8_t *data = sqlite3_column_blob(q->read, 1);
		int data_len = sqlite3_column_bytes(q->read, 1);
		const void *sum = sqlite3_column_blob(q->read, 2);
		int sum_len = sqlite3_column_bytes(q->read, 2);
		uint8_t want[CHECKSUM_SIZE];

		if (a < address || a >= (sqlite3_int64)address + count || !data ||
		    data_len != RPMB_DATA_SIZE) {
			g_autofree char *text = g_strdup_printf(
				"read block %lld: stored data is %d bytes, not %u", (long long)a,
				data_len, RPMB_DATA_SIZE);
			r = record_text(q, -EIO, text);
			break;
		}
		block_checksum((uint16_t)a, data, want);
		if (!sum || sum_len != (int)CHECKSUM_SIZE || memcmp(sum, want, CHECKSUM_SIZE) != 0) {
			g_autofree char *text = g_strdup_printf(
				"read block %lld: the stored checksum does not match the data "
				"(damaged at rest)", (long long)a);
			r = record_text(q, -EBADMSG, text);
			break;
		}
		memcpy(ret_data + (size_t)(a - address) * RPMB_DATA_SIZE, data, RPMB_DATA_SIZE);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = record(q, rc, "read blocks");
	sqlite3_reset(q->read);
	sqlite3_clear_bindings(q->read);
	if (r < 0)
		memset(ret_data, 0, (size_t)count * RPMB_DATA_SIZE); /* nothing damaged leaks out */
	return r;
}

static int sq_write(struct rpmb_store *s, uint16_t address, uint16_t count, const uint8_t *data,
		    uint32_t new_counter)
{
	struct sqlite_store *q = to_sqlite(s);
	int r;

	clear_error(q);
	if ((uint32_t)address + count > 65536u)
		return record_text(q, -EINVAL, "write: past the last block address");
	r = begin_tx(q);
	if (r < 0)
		return r;
	for (uint16_t i = 0; i < count && r == 0; i++) {
		uint16_t a = (uint16_t)(address + i);
		const uint8_t *block = data + (size_t)i * RPMB_DATA_SIZE;
		uint8_t sum[CHECKSUM_SIZE];

		block_checksum(a, block, sum);
		sqlite3_bind_int64(q->put_block, 1, a);
		sqlite3_bind_blob(q->put_block, 2, block, RPMB_DATA_SIZE, SQLITE_STATIC);
		sqlite3_bind_blob(q->put_block, 3, sum, CHECKSUM_SIZE, SQLITE_STATIC);
		r = step_done(q, q->put_block, "write block");
		if (r < 0 && q->error && g_str_has_prefix(q->error, "write block")) {
			/* Name the block only on failure: no formatting per write. */
			char *what = g_strdup_printf("write block %u%s", a,
						     q->error + strlen("write block"));
			g_free(q->error);
			q->error = what;
		}
	}
	if (r == 0) {
		sqlite3_bind_int64(q->set_counter, 1, new_counter);
		r = step_done(q, q->set_counter, "write the counter");
	}
	if (r == 0)
		r = commit_tx(q);
	if (r < 0)
		rollback(q->db);
	return r;
}

static const char *sq_last_error(struct rpmb_store *s)
{
	return to_sqlite(s)->error;
}

static void sq_close(struct rpmb_store *s)
{
	struct sqlite_store *q = to_sqlite(s);

	sqlite3_finalize(q->load);
	sqlite3_finalize(q->set_key);
	sqlite3_finalize(q->read);
	sqlite3_finalize(q->put_block);
	sqlite3_finalize(q->set_counter);
	sqlite3_finalize(q->begin);
	sqlite3_finalize(q->commit);
	sqlite3_close(q->db);
	/* Only now: closing the lock file releases the lock for the next rpmbd. */
	if (q->lock_fd >= 0)
		close(q->lock_fd);
	g_free(q->error);
	g_free(q);
}

static const struct rpmb_store_ops sqlite_ops = {
	.load = sq_load,
	.program_key = sq_program_key,
	.read = sq_read,
	.write = sq_write,
	.close = sq_close,
	.last_error = sq_last_error,
};

/* ---- open ------------------------------------------------------------------------ */

static int take_lock(const char *db_path, int *ret_fd, char **ret_error)
{
	g_autofree char *path = g_strconcat(db_path, ".lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int r = -errno;
		*ret_error = g_strdup_printf("database %s cannot be used: cannot open its lock file "
					     "%s: %s",
					     db_path, path, g_strerror(-r));
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

/*
 * SQLite creates "<db>-wal" and "<db>-shm" next to the database: the directory must take
 * new files.  Prove it with a temporary file (root ignores permission bits, so asking
 * access() would not do), and name the reason otherwise.
 */
static int check_directory(const char *db_path, char **ret_error)
{
	g_autofree char *dir = g_path_get_dirname(db_path);
	g_autofree char *base = g_path_get_basename(db_path);
	g_autofree char *probe = g_strdup_printf("%s/.%s.probe-XXXXXX", dir, base);
	int fd = g_mkstemp_full(probe, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int r = -errno;
		*ret_error = g_strdup_printf("database %s cannot be used: its directory %s does not "
					     "take new files (%s); SQLite needs them for its "
					     "journal",
					     db_path, dir, g_strerror(-r));
		return r;
	}
	close(fd);
	(void)unlink(probe);
	return 0;
}

/* One value of a one-row query: integer (ret_int) or text (ret_text, g_free). */
static int query_one(struct sqlite_store *q, const char *sql, sqlite3_int64 *ret_int,
		     char **ret_text)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (ret_int)
				*ret_int = sqlite3_column_int64(st, 0);
			if (ret_text)
				*ret_text = g_strdup((const char *)sqlite3_column_text(st, 0));
			rc = SQLITE_OK;
		}
	}
	int r = rc == SQLITE_OK ? 0 : record(q, rc, sql);
	sqlite3_finalize(st);
	return r;
}

/*
 * Version 1 -> 2, inside the caller's transaction: add the checksum column and compute it
 * for every stored block.  A row that does not hold 256 bytes keeps a NULL checksum and
 * reads as damaged.
 */
static int upgrade_v1(struct sqlite_store *q)
{
	sqlite3_stmt *rows = NULL, *set = NULL;
	int rc, r = exec_sql(q, "ALTER TABLE blocks ADD COLUMN checksum BLOB"
				" CHECK (length(checksum) = 32)");
	if (r == 0)
		r = prepare(q, "SELECT address, data FROM blocks", &rows);
	if (r == 0)
		r = prepare(q, "UPDATE blocks SET checksum = ?2 WHERE address = ?1", &set);
	while (r == 0 && (rc = sqlite3_step(rows)) != SQLITE_DONE) {
		if (rc != SQLITE_ROW) {
			r = record(q, rc, "migrate: read blocks");
			break;
		}
		sqlite3_int64 a = sqlite3_column_int64(rows, 0);
		const uint8_t *data = sqlite3_column_blob(rows, 1);
		uint8_t sum[CHECKSUM_SIZE];
		if (a < 0 || a > 65535 || !data || sqlite3_column_bytes(rows, 1) != RPMB_DATA_SIZE)
			continue;
		block_checksum((uint16_t)a, data, sum);
		sqlite3_bind_int64(set, 1, a);
		sqlite3_bind_blob(set, 2, sum, CHECKSUM_SIZE, SQLITE_TRANSIENT);
		r = step_done(q, set, "migrate: store a checksum");
	}
	sqlite3_finalize(set);
	sqlite3_finalize(rows);
	if (r == 0)
		r = exec_sql(q, "PRAGMA user_version = 2");
	return r;
}

static int create_schema(struct sqlite_store *q, const struct rpmb_store_create *c)
{
	/* Version 1 as it was; upgrade_v1() then brings it to the current version. */
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
		"PRAGMA user_version = 1;";
	_Static_assert(RPMB_STORE_SCHEMA_VERSION == 2, "creation = version 1 + upgrade_v1()");
	sqlite3_stmt *ins = NULL;
	int r = exec_sql(q, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = exec_sql(q, schema_v1);
	if (r == 0)
		r = prepare(q,
			    "INSERT INTO device (id, cid, size_mult, rel_wr_sec_c, auth_key, write_counter)"
			    " VALUES (1, ?1, ?2, ?3, NULL, ?4)",
			    &ins);
	if (r == 0) {
		sqlite3_bind_blob(ins, 1, c->cid, 16, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, c->size_mult);
		sqlite3_bind_int64(ins, 3, c->rel_wr_sec_c);
		sqlite3_bind_int64(ins, 4, c->counter_start);
		r = step_done(q, ins, "create the device row");
	}
	sqlite3_finalize(ins);
	if (r == 0)
		r = upgrade_v1(q);
	if (r == 0)
		r = exec_sql(q, "COMMIT");
	if (r < 0)
		rollback(q->db);
	return r;
}

static int migrate(struct sqlite_store *q, sqlite3_int64 version)
{
	int r = exec_sql(q, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	if (version == 1)
		r = upgrade_v1(q);
	if (r == 0)
		r = exec_sql(q, "COMMIT");
	if (r < 0)
		rollback(q->db);
	return r;
}

/*
 * Prove that a commit reaches the disk, so that a read-only file, directory or filesystem
 * is refused at start: rewrite the device row's counter with its own value.
 */
static int probe_write(struct sqlite_store *q)
{
	int r = exec_sql(q, "BEGIN IMMEDIATE");
	if (r == 0)
		r = exec_sql(q, "UPDATE device SET write_counter = write_counter WHERE id = 1");
	if (r == 0)
		r = exec_sql(q, "COMMIT");
	if (r < 0)
		rollback(q->db);
	return r;
}

/* SQLite opened the file read-only (it does so silently): find out why, for the message. */
static char *readonly_reason(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return g_strdup("opened read-only");
	}
	return g_strdup(g_strerror(errno));
}

/* SQLITE_TRACE_STMT: a statement starts running (perf_count.h's "sql"). */
static int count_statement(unsigned int what, void *ctx, void *p, void *x)
{
	(void)what;
	(void)ctx;
	(void)p;
	(void)x;
	emu_perf_count(EMU_PERF_SQL);
	return 0;
}

static int open_db(struct sqlite_store *q, const char *path, const struct rpmb_store_create *c,
		   char **ret_error)
{
	bool memory = strcmp(path, ":memory:") == 0;
	sqlite3_int64 version = 0, tables = 0;
	g_autofree char *mode = NULL;
	int rc = sqlite3_open_v2(path, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*ret_error = g_strdup_printf("cannot open database %s: %s", path,
					     q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		return failure_errno(rc);
	}
	sqlite3_extended_result_codes(q->db, 1);
	if (emu_perf_count_enabled())
		sqlite3_trace_v2(q->db, SQLITE_TRACE_STMT, count_statement, NULL);
	if (sqlite3_db_readonly(q->db, "main") == 1) {
		g_autofree char *why = readonly_reason(path);
		*ret_error = g_strdup_printf("database %s is not writable (%s); rpmbd needs to write "
					     "it",
					     path, why);
		return -EROFS;
	}
	int r = query_one(q, "PRAGMA user_version", &version, NULL);
	if (r == 0)
		r = query_one(q, "SELECT count(*) FROM sqlite_master", &tables, NULL);
	if (r < 0) {
		*ret_error = g_strdup_printf("cannot read database %s: %s", path, q->error);
		return r;
	}
	if (version == 0 && tables != 0) {
		*ret_error = g_strdup_printf("%s is an SQLite database but not an rpmbd one", path);
		return -EINVAL;
	}
	if (version < 0 || version > RPMB_STORE_SCHEMA_VERSION) {
		*ret_error = g_strdup_printf("%s has schema version %lld; this rpmbd knows versions "
					     "1-%d",
					     path, (long long)version, RPMB_STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	/* WAL must be chosen outside a transaction; ":memory:" stays "memory". */
	r = query_one(q, "PRAGMA journal_mode = WAL", NULL, &mode);
	if (r == 0 && !memory && g_ascii_strcasecmp(mode ? mode : "", "wal") != 0)
		r = record_text(q, -EROFS, "cannot switch to the WAL journal (not writable?)");
	if (r == 0)
		r = exec_sql(q, "PRAGMA synchronous = FULL");
	if (r == 0)
		r = exec_sql(q, "PRAGMA wal_autocheckpoint = "
				G_STRINGIFY(RPMB_STORE_WAL_CHECKPOINT_PAGES));
	if (r == 0)
		r = exec_sql(q, "PRAGMA journal_size_limit = "
				G_STRINGIFY(RPMB_STORE_WAL_LIMIT_BYTES));
	if (r < 0) {
		*ret_error = g_strdup_printf("cannot set up database %s: %s", path, q->error);
		return r;
	}
	if (version == 0) {
		if (!c || c->size_mult < 1 || c->size_mult > RPMB_SIZE_MULT_MAX) {
			*ret_error = g_strdup_printf("cannot create %s: no valid device parameters", path);
			return -EINVAL;
		}
		r = create_schema(q, c);
		if (r < 0) {
			*ret_error = g_strdup_printf("cannot create database %s: %s", path, q->error);
			return r;
		}
	} else {
		r = probe_write(q);
		if (r < 0) {
			*ret_error = g_strdup_printf("database %s is not writable: %s", path, q->error);
			return r;
		}
		if (version < RPMB_STORE_SCHEMA_VERSION) {
			r = migrate(q, version);
			if (r < 0) {
				*ret_error = g_strdup_printf("cannot migrate %s from schema version "
							     "%lld to %d: %s",
							     path, (long long)version,
							     RPMB_STORE_SCHEMA_VERSION, q->error);
				return r;
			}
			g_debug("%s: migrated from schema version %lld to %d", path,
				(long long)version, RPMB_STORE_SCHEMA_VERSION);
		}
	}
	r = prepare(q,
		    "SELECT cid, size_mult, rel_wr_sec_c, auth_key, write_counter"
		    " FROM device WHERE id = 1",
		    &q->load);
	if (r == 0)
		r = prepare(q, "UPDATE device SET auth_key = ?1 WHERE id = 1 AND auth_key IS NULL",
			    &q->set_key);
	if (r == 0)
		r = prepare(q,
			    "SELECT address, data, checksum FROM blocks"
			    " WHERE address >= ?1 AND address < ?2",
			    &q->read);
	if (r == 0)
		r = prepare(q,
			    "INSERT OR REPLACE INTO blocks (address, data, checksum)"
			    " VALUES (?1, ?2, ?3)",
			    &q->put_block);
	if (r == 0)
		r = prepare(q, "UPDATE device SET write_counter = ?1 WHERE id = 1", &q->set_counter);
	if (r == 0)
		r = prepare(q, "BEGIN IMMEDIATE", &q->begin);
	if (r == 0)
		r = prepare(q, "COMMIT", &q->commit);
	if (r < 0)
		*ret_error = g_strdup_printf("cannot set up database %s: %s", path, q->error);
	clear_error(q);
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
	if (strcmp(path, ":memory:") != 0) {
		r = take_lock(path, &q->lock_fd, &error);
		if (r == 0)
			r = check_directory(path, &error);
	}
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

int rpmb_durability_from_name(const char *name, enum rpmb_durability *ret)
{
	if (name && strcmp(name, "full") == 0)
		*ret = RPMB_DURABILITY_FULL;
	else if (name && strcmp(name, "process") == 0)
		*ret = RPMB_DURABILITY_PROCESS;
	else
		return -EINVAL;
	return 0;
}

int rpmb_store_sqlite_set_durability(struct rpmb_store *s, enum rpmb_durability d)
{
	struct sqlite_store *q = (struct sqlite_store *)s;

	if (!s || s->ops != &sqlite_ops)
		return -EINVAL;
	int r = exec_sql(q, d == RPMB_DURABILITY_PROCESS ? "PRAGMA synchronous = NORMAL"
						       : "PRAGMA synchronous = FULL");
	clear_error(q);
	return r;
}
