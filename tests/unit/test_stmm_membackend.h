/* SPDX-License-Identifier: MIT */
/*
 * An in-memory store_backend for the stmm unit tests: counts writes and written blocks and
 * can fail the N-th write (SQLite-style countdown; nothing of a failed write lands).
 * Header-only so each test_stmm_*.c stays one translation unit.
 */
#ifndef STMM_EMU_TEST_STMM_MEMBACKEND_H
#define STMM_EMU_TEST_STMM_MEMBACKEND_H

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "edk2_store.h"
#include "store.h"

struct membackend {
	uint8_t *buf;
	size_t size;
	unsigned reads;
	unsigned writes;          /* successful write calls */
	unsigned blocks_written;  /* 256-byte blocks in successful writes */
	unsigned attempts;        /* write calls, failed ones included */
	unsigned fail_at;         /* fail the attempt with this number; 0 = never */
	/*
	 * Power cut inside a multi-block write: the block with this number (counting every
	 * 256-byte block of every write call, 1-based) and all after it in that call do not
	 * land, the ones before it do, and the call fails.  Every later read or write fails too
	 * (`powered_off`) until membackend_reset_counts().  0 = never.
	 */
	unsigned fail_at_block;
	unsigned block_attempts;
	bool powered_off;
	bool misaligned;          /* a call broke the 256-byte contract */
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct membackend *m = ctx;

	if (off % STORE_BLOCK_SIZE || len % STORE_BLOCK_SIZE) {
		m->misaligned = true;
		return -EINVAL;
	}
	if (off > m->size || len > m->size - off || m->powered_off)
		return -EIO;
	m->reads++;
	memcpy(buf, m->buf + off, len);
	return 0;
}

static int mem_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct membackend *m = ctx;

	if (off % STORE_BLOCK_SIZE || len % STORE_BLOCK_SIZE) {
		m->misaligned = true;
		return -EINVAL;
	}
	if (off > m->size || len > m->size - off)
		return -EIO;
	if (m->powered_off)
		return -EIO;
	m->attempts++;
	if (m->fail_at && m->attempts == m->fail_at)
		return -EIO;
	if (m->fail_at_block) {
		for (size_t done = 0; done < len; done += STORE_BLOCK_SIZE) {
			if (++m->block_attempts == m->fail_at_block) {
				memcpy(m->buf + off, buf, done);
				m->blocks_written += (unsigned)(done / STORE_BLOCK_SIZE);
				m->powered_off = true;
				return -EIO;
			}
		}
	}
	m->writes++;
	m->blocks_written += (unsigned)(len / STORE_BLOCK_SIZE);
	memcpy(m->buf + off, buf, len);
	return 0;
}

static inline struct membackend *membackend_new(size_t size, uint8_t fill)
{
	struct membackend *m = g_new0(struct membackend, 1);

	m->buf = g_malloc(size);
	m->size = size;
	memset(m->buf, fill, size);
	return m;
}

static inline void membackend_free(struct membackend *m)
{
	if (!m)
		return;
	g_free(m->buf);
	g_free(m);
}

static inline void membackend_reset_counts(struct membackend *m)
{
	m->reads = m->writes = m->blocks_written = m->attempts = 0;
	m->fail_at = 0;
	m->fail_at_block = m->block_attempts = 0;
	m->powered_off = false;
}

static inline struct store_backend membackend_ops(struct membackend *m)
{
	return (struct store_backend){ .ctx = m, .read = mem_read, .write = mem_write };
}

/* OP-TEE's layout: 16 KiB variable store, 16 KiB FTW working, 16 KiB FTW spare. */
static inline struct store_layout default_layout(void)
{
	return (struct store_layout){
		.base_offset = 0,
		.var_store_size = STMM_DEFAULT_VARIABLE_STORE_SIZE,
		.ftw_working_size = STMM_DEFAULT_FTW_WORKING_SIZE,
		.ftw_spare_size = STMM_DEFAULT_FTW_SPARE_SIZE,
	};
}
#define DEFAULT_REGION_SIZE                                                                 \
	(STMM_DEFAULT_VARIABLE_STORE_SIZE + STMM_DEFAULT_FTW_WORKING_SIZE +                 \
	 STMM_DEFAULT_FTW_SPARE_SIZE)

#endif
