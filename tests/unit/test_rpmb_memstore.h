/* SPDX-License-Identifier: MIT */
/*
 * An in-memory rpmb_store (rpmb/storage.h) of MEM_SIZE_MULT x 128 KiB for tests that run the
 * REAL device logic (rpmb/device.c) in process, with a power switch: once `cut_at` writes
 * were attempted, that one and every later one fail (-EIO, nothing stored) as a device
 * whose power went before the commit.  Included by the tests that need it (static).
 */
#ifndef TEST_RPMB_MEMSTORE_H
#define TEST_RPMB_MEMSTORE_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "device.h"
#include "optee_rpmb.h"
#include "storage.h"

#define MEM_SIZE_MULT 2u /* 256 KiB = 1024 blocks */
#define MEM_BLOCKS (MEM_SIZE_MULT * RPMB_BLOCKS_PER_MULT)

struct mem_store {
	struct rpmb_store base;
	struct rpmb_store_meta meta;
	uint8_t blocks[MEM_BLOCKS * RPMB_DATA_SIZE];
	unsigned writes;  /* store writes attempted since armed */
	unsigned cut_at;  /* 0: never; else the cut_at-th write and every later one fail */
	bool off;
};

static int mem_load(struct rpmb_store *s, struct rpmb_store_meta *ret_meta)
{
	*ret_meta = ((struct mem_store *)s)->meta;
	return 0;
}

static int mem_program_key(struct rpmb_store *s, const uint8_t key[RPMB_KEY_SIZE])
{
	struct mem_store *m = (struct mem_store *)s;
	if (m->meta.key_set)
		return -EEXIST;
	memcpy(m->meta.key, key, RPMB_KEY_SIZE);
	m->meta.key_set = true;
	return 0;
}

static int mem_read(struct rpmb_store *s, uint16_t address, uint16_t count, uint8_t *ret_data)
{
	struct mem_store *m = (struct mem_store *)s;
	memcpy(ret_data, m->blocks + (size_t)address * RPMB_DATA_SIZE,
	       (size_t)count * RPMB_DATA_SIZE);
	return 0;
}

static int mem_write(struct rpmb_store *s, uint16_t address, uint16_t count, const uint8_t *data,
		     uint32_t new_counter)
{
	struct mem_store *m = (struct mem_store *)s;

	m->writes++;
	if (m->cut_at && m->writes >= m->cut_at)
		m->off = true;
	if (m->off)
		return -EIO; /* nothing stored: the transaction never committed */
	memcpy(m->blocks + (size_t)address * RPMB_DATA_SIZE, data, (size_t)count * RPMB_DATA_SIZE);
	m->meta.write_counter = new_counter;
	return 0;
}

static void mem_close(struct rpmb_store *s)
{
	(void)s;
}

static const struct rpmb_store_ops mem_ops = {
	.load = mem_load, .program_key = mem_program_key, .read = mem_read,
	.write = mem_write, .close = mem_close,
};

/* What a supplicant answers to OPTEE's RPMB_CMD_GET_DEV_INFO for `dev`. */
static void fake_dev_info(struct rpmb_device *dev, struct rpmb_dev_info *ret)
{
	struct emu_mmc_info mi;

	rpmb_device_get_info(dev, &mi);
	*ret = (struct rpmb_dev_info){ .ret_code = RPMB_CMD_GET_DEV_INFO_RET_OK,
				       .rpmb_size_mult = mi.rpmb_size_mult,
				       .rel_wr_sec_c = mi.rel_wr_sec_c };
	memcpy(ret->cid, mi.cid, sizeof(ret->cid));
}

#endif
