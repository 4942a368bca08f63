/* SPDX-License-Identifier: MIT */
/*
 * rpmbd's persistent state behind a small ops table (swtpm's nvram_backend_ops), so that
 * tests can swap in a faulty store.  The SQLite store keeps the device identity (CID,
 * RPMB_SIZE_MULT, REL_WR_SEC_C), the one-time key, the write counter and the 256-byte
 * blocks; a block never written reads as zeros.  Every stored block carries a checksum:
 * a block whose bytes changed at rest reads as -EBADMSG (an uncorrectable ECC error), never
 * as data.
 */
#ifndef RPMBD_STORAGE_H
#define RPMBD_STORAGE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "rpmb_host.h"

#define RPMB_STORE_WUR __attribute__((warn_unused_result))
#define RPMB_STORE_SCHEMA_VERSION 2
/*
 * The SQLite write-ahead log is checkpointed every RPMB_STORE_WAL_CHECKPOINT_PAGES pages
 * and truncated back to RPMB_STORE_WAL_LIMIT_BYTES, so the -wal file stays below
 * RPMB_STORE_WAL_MAX_BYTES (checkpoint threshold + the largest write + slack) and a
 * nearly full filesystem is not filled by the log.
 *
 * A checkpoint costs three fsyncs under synchronous=FULL (the log before copying, the
 * database after, the log header when the next write restarts it).  An RPMB write adds ~2
 * pages to the log (its block's leaf page and the device row's page), so 256 pages make
 * one checkpoint per ~128 writes: ~0.02 extra fsyncs per write (32 pages made 0.18,
 * issue 16), with a log of at most ~1.2 MiB.
 */
#define RPMB_STORE_WAL_CHECKPOINT_PAGES 256
#define RPMB_STORE_WAL_LIMIT_BYTES 1048576 /* 1 MiB */
#define RPMB_STORE_WAL_MAX_BYTES 1310720   /* 1.25 MiB */

/* Everything but the blocks, host order. */
struct rpmb_store_meta {
	uint8_t cid[16];
	uint8_t size_mult;    /* 1..RPMB_SIZE_MULT_MAX */
	uint8_t rel_wr_sec_c;
	bool key_set;
	uint8_t key[RPMB_KEY_SIZE];
	uint32_t write_counter;
};

struct rpmb_store;
struct rpmb_store_ops {
	/* Every op returns 0 or -errno; -ENOSPC (full), -EROFS/-EACCES, -EIO, -EBADMSG... */
	int (*load)(struct rpmb_store *s, struct rpmb_store_meta *ret_meta);
	/* One transaction.  -EEXIST if a key is already stored. */
	int (*program_key)(struct rpmb_store *s, const uint8_t key[RPMB_KEY_SIZE]);
	/*
	 * count blocks from address into ret_data (count * 256 bytes).  -EBADMSG when a
	 * block's bytes no longer match their checksum (damaged at rest).
	 */
	int (*read)(struct rpmb_store *s, uint16_t address, uint16_t count, uint8_t *ret_data);
	/* The blocks and the new counter in ONE durable transaction: all or nothing. */
	int (*write)(struct rpmb_store *s, uint16_t address, uint16_t count, const uint8_t *data,
		     uint32_t new_counter);
	void (*close)(struct rpmb_store *s);
	/*
	 * Optional (NULL allowed): what the last failed op was doing and why, in one line
	 * (e.g. "commit: database or disk is full (No space left on device)"), or NULL.
	 * Valid until the next op.
	 */
	const char *(*last_error)(struct rpmb_store *s);
};
struct rpmb_store {
	const struct rpmb_store_ops *ops;
};

/* What a new database is created with (ignored when the database exists). */
struct rpmb_store_create {
	uint8_t cid[16];
	uint8_t size_mult;
	uint8_t rel_wr_sec_c;
	uint32_t counter_start;
};

/*
 * Open (or create) the SQLite database at `path` (":memory:" for a throw-away one).  Takes
 * an exclusive lock on "<path>.lock" so that two rpmbd cannot share one database.  A
 * database of schema version 1 is migrated to the current version (block checksums
 * computed) in one transaction.  The database must be writable: a read-only file,
 * directory or filesystem is refused here rather than failing every write later.
 * Errors: -EBUSY (locked by another process), -EPROTONOSUPPORT (schema version),
 * -EINVAL (not an rpmbd database, or bad creation parameters), -EROFS/-EACCES/-EPERM (not
 * writable), -EIO; a one-line explanation goes to ret_error (g_free) when given.
 */
RPMB_STORE_WUR int rpmb_store_open_sqlite(const char *path, const struct rpmb_store_create *create,
					  struct rpmb_store **ret_store, char **ret_error);

/*
 * What an acknowledged write survives (`rpmbd --durability`, `stmm-emu up --durability`):
 *   FULL     WAL + synchronous=FULL: on disk before the device answers; survives kill -9
 *            and a host power loss (the default, as a real eMMC reliable write).
 *   PROCESS  WAL + synchronous=NORMAL: in the OS page cache before the device answers;
 *            survives kill -9 of any daemon, not a host power loss (no fsync per commit,
 *            only at checkpoints).
 */
enum rpmb_durability {
	RPMB_DURABILITY_FULL,
	RPMB_DURABILITY_PROCESS,
};
/* "full" / "process" -> value; -EINVAL for another name. */
int rpmb_durability_from_name(const char *name, enum rpmb_durability *ret);
/* Switch an open SQLite store (rpmb_store_open_sqlite) to `d`.  0 or -errno. */
RPMB_STORE_WUR int rpmb_store_sqlite_set_durability(struct rpmb_store *s, enum rpmb_durability d);

static inline RPMB_STORE_WUR int rpmb_store_load(struct rpmb_store *s,
						 struct rpmb_store_meta *ret_meta)
{
	return s->ops->load(s, ret_meta);
}
static inline RPMB_STORE_WUR int rpmb_store_program_key(struct rpmb_store *s,
							const uint8_t key[RPMB_KEY_SIZE])
{
	return s->ops->program_key(s, key);
}
static inline RPMB_STORE_WUR int rpmb_store_read(struct rpmb_store *s, uint16_t address,
						 uint16_t count, uint8_t *ret_data)
{
	return s->ops->read(s, address, count, ret_data);
}
static inline RPMB_STORE_WUR int rpmb_store_write(struct rpmb_store *s, uint16_t address,
						  uint16_t count, const uint8_t *data,
						  uint32_t new_counter)
{
	return s->ops->write(s, address, count, data, new_counter);
}
/* The store's description of its last failure, or NULL if it has none. */
static inline const char *rpmb_store_last_error(struct rpmb_store *s)
{
	return s->ops->last_error ? s->ops->last_error(s) : NULL;
}
static inline void rpmb_store_close(struct rpmb_store *s)
{
	if (s)
		s->ops->close(s);
}
typedef struct rpmb_store rpmb_store;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpmb_store, rpmb_store_close)

#endif
