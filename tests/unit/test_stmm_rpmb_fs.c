/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's RPMB file system (stmm/optee/rpmb_fs.c) over the real RPMB client and the REAL
 * device logic (rpmb/device.c over an in-memory rpmb_store), through an in-process
 * transport that does what supplicantd does.  The store logs every block write and can
 * lose power at its N-th write; the expected layouts and write sequences below are
 * derived from optee_os tee_rpmb_fs.c's rules (quoted at each test), and the on-device
 * ciphertext is checked with this file's own key derivation and ESSIV computation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "device.h"
#include "storage.h"
#include "test_rpmb_memstore.h"

#include "bytes.h"
#include "optee_rpmb.h"
#include "optee_rpmb_fs.h"
#include "optee_rpmb_image.h"
#include "rpmb_client.h"
#include "rpmb_fs.h"
#include "rpmb_host.h"
#include "test_optee_ref_crypto.h"

/* ---- the in-memory rpmb_store (test_rpmb_memstore.h) and the fixture ---------------- */

#define POOL_TOP (MEM_BLOCKS - 1)

struct fixture {
	struct mem_store store;
	struct rpmb_device *dev;
	struct rpmb_client *client;
	struct rpmb_fs *fs;
	GArray *writes; /* uint16_t block address of every DATA_WRITE request, in order */
	GArray *reads;  /* struct rd: every DATA_READ request */
};

struct rd {
	uint16_t address, count;
};

static struct fixture *the_fixture; /* the log writer looks at the power switch */

/* ---- the fake supplicant: GET_DEV_INFO and DATA_REQ to the device ------------------ */

static int fake_call(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len)
{
	struct fixture *f = ctx;
	struct rpmb_req hdr;

	assert_true(req_len >= RPMB_REQ_HEADER_SIZE);
	memcpy(&hdr, req, RPMB_REQ_HEADER_SIZE);
	if (hdr.cmd == RPMB_CMD_GET_DEV_INFO) {
		struct rpmb_dev_info info;
		assert_int_equal(rsp_len, sizeof(info));
		fake_dev_info(f->dev, &info);
		memcpy(rsp, &info, sizeof(info));
		return 0;
	}
	assert_int_equal(hdr.cmd, RPMB_CMD_DATA_REQ);
	size_t req_nfrm = (req_len - RPMB_REQ_HEADER_SIZE) / RPMB_FRAME_SIZE;
	size_t rsp_nfrm = rsp_len / RPMB_FRAME_SIZE;
	g_autofree struct rpmb_frame *in = g_new0(struct rpmb_frame, req_nfrm);
	memcpy(in, (const uint8_t *)req + RPMB_REQ_HEADER_SIZE, req_nfrm * RPMB_FRAME_SIZE);
	struct rpmb_frame_info fi;
	rpmb_frame_get_info(&in[0], &fi);

	struct rpmb_frame result_read = { 0 };
	put_be16(result_read.req_resp, RPMB_REQ_RESULT_READ);
	struct rpmb_xfer x[3];
	size_t nx;
	if (fi.req_resp == RPMB_REQ_PROGRAM_KEY || fi.req_resp == RPMB_REQ_DATA_WRITE) {
		if (fi.req_resp == RPMB_REQ_DATA_WRITE) {
			assert_int_equal(req_nfrm, 1); /* rel_wr_blkcnt 1: one block per write */
			g_array_append_val(f->writes, fi.address);
		}
		x[0] = (struct rpmb_xfer){ .write = true, .reliable = true, .blocks = (uint16_t)req_nfrm, .in = in };
		x[1] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = &result_read };
		x[2] = (struct rpmb_xfer){ .blocks = 1, .out = rsp };
		nx = 3;
	} else {
		if (fi.req_resp == RPMB_REQ_DATA_READ) {
			struct rd r = { fi.address, hdr.block_count };
			g_array_append_val(f->reads, r);
		}
		x[0] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = in };
		x[1] = (struct rpmb_xfer){ .blocks = (uint16_t)rsp_nfrm, .out = rsp };
		nx = 2;
	}
	assert_int_equal(rpmb_device_run(f->dev, x, nx), 0);
	return 0;
}

/* A (re)boot: a new device instance over the store, a new client, a new file system. */
static void boot(struct fixture *f)
{
	struct rpmb_client_config cfg = { .huk = RPMB_CLIENT_TEST_HUK, .write_key = true };
	struct rpmb_client_transport tr = { .ctx = f, .call = fake_call };
	static const uint8_t huk[OPTEE_HUK_SIZE] = RPMB_CLIENT_TEST_HUK;

	rpmb_fs_free(f->fs);
	rpmb_client_free(f->client);
	rpmb_device_free(f->dev);
	f->fs = NULL;
	f->client = NULL;
	assert_int_equal(rpmb_device_new(&f->store.base, 0, &f->dev), 0);
	assert_int_equal(rpmb_client_new(&cfg, &tr, &f->client), 0);
	assert_int_equal(rpmb_fs_new(f->client, huk, &f->fs), 0);
}

static void clear_logs(struct fixture *f)
{
	g_array_set_size(f->writes, 0);
	g_array_set_size(f->reads, 0);
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	the_fixture = f;
	f->store.base.ops = &mem_ops;
	memcpy(f->store.meta.cid, cid, 16);
	f->store.meta.size_mult = MEM_SIZE_MULT;
	f->store.meta.rel_wr_sec_c = 1;
	f->writes = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	f->reads = g_array_new(FALSE, FALSE, sizeof(struct rd));
	boot(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rpmb_fs_free(f->fs);
	rpmb_client_free(f->client);
	rpmb_device_free(f->dev);
	g_array_free(f->writes, TRUE);
	g_array_free(f->reads, TRUE);
	g_free(f);
	the_fixture = NULL;
	return 0;
}

static void assert_writes(const struct fixture *f, const uint16_t *want, size_t n)
{
	if (f->writes->len != n) {
		print_error("%u block writes, expected %zu:", f->writes->len, n);
		for (guint i = 0; i < f->writes->len; i++)
			print_error(" %u", g_array_index(f->writes, uint16_t, i));
		print_error("\n");
	}
	assert_int_equal(f->writes->len, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(g_array_index(f->writes, uint16_t, i), want[i]);
}

static const uint8_t *blk(const struct fixture *f, uint32_t block)
{
	return f->store.blocks + (size_t)block * RPMB_DATA_SIZE;
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static const uint8_t uuid_a[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 };

/* ---- independent crypto (the definitions in tee_fs_key_manager.c) -------------------- */

/* The plain FEK of a FAT entry's encrypted one, for the TA/SP uuid, with the zero HUK. */
static void ref_plain_fek(const uint8_t uuid[16], const uint8_t enc[16], uint8_t fek[16])
{
	static const uint8_t huk[16] = { 0 };
	static const uint8_t usage_ssk[4] = { 0x01, 0x00, 0x00, 0x00 };
	uint8_t ssk[32], tsk[32];
	ref_hmac(huk, 16, usage_ssk, 4, ssk);
	ref_hmac(ssk, 32, uuid, 16, tsk);
	ref_cipher(EVP_aes_256_ecb(), tsk, NULL, 0, enc, fek, 16);
}

/* Decrypt RPMB block b of a file: AES-128-CBC(FEK), IV = AES-128-ECB(SHA256(FEK)[:16], LE16 b). */
static void ref_decrypt_block(const uint8_t fek[16], uint16_t b, const uint8_t *in, uint8_t *out)
{
	uint8_t iv[16];
	ref_essiv(fek, b, iv);
	ref_cipher(EVP_aes_128_cbc(), fek, iv, 0, in, out, 256);
}

/* ---- tests -------------------------------------------------------------------------- */

/*
 * rpmb_fs_setup on a blank partition: read block 0, write it back, read it again; no
 * magic, so "Clearing Storage": write_fat_entry(512) = block 2 with FILE_IS_LAST_ENTRY,
 * then tee_rpmb_write(0, header, 128 bytes) = read-modify-write of block 0.
 * Writes: 0, 2, 0.
 */
static void setup_formats_blank_partition(void **state)
{
	struct fixture *f = *state;
	static const uint8_t header[16] = { 0x42, 0x4d, 0x50, 0x52, 0x02, 0x00, 0x00, 0x00,
					    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00 };
	static const uint16_t want[] = { 0, 2, 0 };
	uint8_t zero[RPMB_DATA_SIZE] = { 0 };
	uint8_t last[RPMB_DATA_SIZE] = { 0 };

	assert_int_equal(rpmb_fs_setup(f->fs), 0);
	assert_writes(f, want, 3);
	assert_memory_equal(blk(f, 0), header, sizeof(header));
	assert_memory_equal(blk(f, 0) + 16, zero, RPMB_DATA_SIZE - 16);
	last[8] = 0x02; /* flags = FILE_IS_LAST_ENTRY, little-endian */
	assert_memory_equal(blk(f, 2), last, RPMB_DATA_SIZE);
	assert_memory_equal(blk(f, 1), zero, RPMB_DATA_SIZE);
	assert_memory_equal(blk(f, 3), zero, RPMB_DATA_SIZE);

	/* Once per boot. */
	assert_int_equal(rpmb_fs_setup(f->fs), 0);
	assert_int_equal(f->writes->len, 3);

	/* The next boot finds the magic: only the dummy rewrite of block 0. */
	clear_logs(f);
	boot(f);
	assert_int_equal(rpmb_fs_setup(f->fs), 0);
	assert_writes(f, want, 1);
	assert_memory_equal(blk(f, 0), header, sizeof(header));
}

/* The header keeps the write_counter and reserved bytes block 0 held. */
static void setup_keeps_rest_of_block0(void **state)
{
	struct fixture *f = *state;
	memset(f->store.blocks, 0xa5, RPMB_DATA_SIZE); /* no magic: formatted */
	assert_int_equal(rpmb_fs_setup(f->fs), 0);
	assert_int_equal(get_le32(blk(f, 0)), RPMB_FS_MAGIC);
	assert_int_equal(get_le32(blk(f, 0) + 4), RPMB_FS_VERSION);
	assert_int_equal(get_le32(blk(f, 0) + 8), 0xa5a5a5a5);
	assert_int_equal(get_le32(blk(f, 0) + 12), RPMB_FS_FAT_START_ADDRESS);
	for (size_t i = 16; i < RPMB_DATA_SIZE; i++)
		assert_int_equal(blk(f, 0)[i], 0xa5);
}

/* "Wrong software is in use.": TEE_ERROR_ACCESS_DENIED, nothing formatted. */
static void setup_refuses_other_version(void **state)
{
	struct fixture *f = *state;
	static const uint16_t want[] = { 0 };
	put_le32(f->store.blocks, RPMB_FS_MAGIC);
	put_le32(f->store.blocks + 4, 3);
	assert_int_equal(rpmb_fs_setup(f->fs), -EACCES);
	assert_writes(f, want, 1);
	assert_int_equal(get_le32(blk(f, 0) + 4), 3);
	uint8_t fat[RPMB_DATA_SIZE] = { 0 };
	assert_memory_equal(blk(f, 2), fat, RPMB_DATA_SIZE);
	/* Every file operation fails the same way. */
	assert_int_equal(rpmb_fs_stmm_write(f->fs, 0, fat, RPMB_DATA_SIZE), -EACCES);
}

/*
 * Create on a fresh FAT: read_fat chooses the terminator's entry (512) and, having chosen
 * the last entry, writes a new terminator after it (768) first; then the new entry with
 * FILE_IS_ACTIVE, size 0, a random FEK.  Writes after setup: 3, 2.
 */
static void create_write_read_remove(void **state)
{
	struct fixture *f = *state;
	static const uint16_t want_create[] = { 3, 2 };
	g_autoptr(rpmb_fs_file) file = NULL;
	g_autoptr(rpmb_fs_file) again = NULL;
	struct rpmb_fs_file_info info;
	char name[RPMB_FS_FILENAME_LENGTH];
	uint8_t data[1000], back[1000];
	size_t len, size = 99;

	assert_int_equal(rpmb_fs_setup(f->fs), 0);
	clear_logs(f);
	assert_int_equal(rpmb_fs_open(f->fs, uuid_a, "obj", 3, &file, NULL), -ENOENT);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "obj", 3, &file), 0);
	assert_writes(f, want_create, 2);
	assert_int_equal(rpmb_fs_file_name(uuid_a, "obj", 3, name), 0);
	assert_string_equal(name, "/112233445566778899AABBCCDDEEFF00/6F626A");
	assert_int_equal(get_le32(blk(f, 2) + 0), 0);  /* start_address */
	assert_int_equal(get_le32(blk(f, 2) + 4), 0);  /* data_size */
	assert_int_equal(get_le32(blk(f, 2) + 8), RPMB_FS_FILE_IS_ACTIVE);
	assert_int_equal(get_le32(blk(f, 2) + 12), 0);
	assert_memory_equal(blk(f, 2) + 32, name, sizeof(name));
	assert_int_equal(get_le32(blk(f, 3) + 8), RPMB_FS_FILE_IS_LAST_ENTRY);

	/* 1000 bytes = 4 blocks, allocated below the pool top (block 1023). */
	fill(data, sizeof(data), 3);
	assert_int_equal(rpmb_fs_write(file, 0, data, sizeof(data)), 0);
	rpmb_fs_file_get_info(file, &info);
	assert_int_equal(info.fat_address, 512);
	assert_int_equal(info.start_address, (POOL_TOP - 4) * RPMB_DATA_SIZE);
	assert_int_equal(info.data_size, 1000);

	assert_int_equal(rpmb_fs_open(f->fs, uuid_a, "obj", 3, &again, &size), 0);
	assert_int_equal(size, 1000);
	len = sizeof(back);
	assert_int_equal(rpmb_fs_read(again, 0, back, &len), 0);
	assert_int_equal(len, 1000);
	assert_memory_equal(back, data, 1000);
	len = 100;
	assert_int_equal(rpmb_fs_read(again, 950, back, &len), 0);
	assert_int_equal(len, 50);
	assert_memory_equal(back, data + 950, 50);
	len = 10;
	assert_int_equal(rpmb_fs_read(again, 1000, back, &len), 0);
	assert_int_equal(len, 0);

	/* Another TA's object of the same id is another file. */
	g_autoptr(rpmb_fs_file) other = NULL;
	static const uint8_t uuid_b[16] = { 1 };
	assert_int_equal(rpmb_fs_open(f->fs, uuid_b, "obj", 3, &other, NULL), -ENOENT);

	/* Remove clears the entry; a new file reuses that free entry, the FAT does not grow. */
	clear_logs(f);
	assert_int_equal(rpmb_fs_remove(f->fs, uuid_a, "obj", 3), 0);
	static const uint16_t want_remove[] = { 2 };
	assert_writes(f, want_remove, 1);
	uint8_t zero[RPMB_DATA_SIZE] = { 0 };
	assert_memory_equal(blk(f, 2), zero, RPMB_DATA_SIZE);
	assert_int_equal(rpmb_fs_open(f->fs, uuid_a, "obj", 3, &other, NULL), -ENOENT);
	assert_int_equal(rpmb_fs_remove(f->fs, uuid_a, "obj", 3), -ENOENT);
	clear_logs(f);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_b, "x", 1, &other), 0);
	assert_writes(f, want_remove, 1);
	assert_int_equal(get_le32(blk(f, 3) + 8), RPMB_FS_FILE_IS_LAST_ENTRY);
}

/*
 * tee_mm with TEE_MM_POOL_HI_ALLOC: first fit walking down from the top.  A = 1000 bytes
 * at [1019, 1023), B = 256 at [1018, 1019); A removed; C = 512 bytes fits the highest gap
 * [1019, 1023): C at [1021, 1023).  D = 4 KiB fits neither [1023, 1023) nor [1019, 1021):
 * the gap below B, D at [1002, 1018).
 */
static void allocation_first_fit_from_top(void **state)
{
	struct fixture *f = *state;
	g_autoptr(rpmb_fs_file) a = NULL;
	g_autoptr(rpmb_fs_file) b = NULL;
	g_autoptr(rpmb_fs_file) c = NULL;
	g_autoptr(rpmb_fs_file) d = NULL;
	struct rpmb_fs_file_info info;
	uint8_t data[4096];

	fill(data, sizeof(data), 9);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "A", 1, &a), 0);
	assert_int_equal(rpmb_fs_write(a, 0, data, 1000), 0);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "B", 1, &b), 0);
	assert_int_equal(rpmb_fs_write(b, 0, data, 256), 0);
	rpmb_fs_file_get_info(b, &info);
	assert_int_equal(info.start_address, (POOL_TOP - 5) * RPMB_DATA_SIZE);
	assert_int_equal(rpmb_fs_remove(f->fs, uuid_a, "A", 1), 0);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "C", 1, &c), 0);
	assert_int_equal(rpmb_fs_write(c, 0, data, 512), 0);
	rpmb_fs_file_get_info(c, &info);
	assert_int_equal(info.start_address, (POOL_TOP - 2) * RPMB_DATA_SIZE);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "D", 1, &d), 0);
	assert_int_equal(rpmb_fs_write(d, 0, data, 4096), 0);
	rpmb_fs_file_get_info(d, &info);
	assert_int_equal(info.start_address, (POOL_TOP - 5 - 16) * RPMB_DATA_SIZE);
}

/* TEE_ERROR_STORAGE_NO_SPACE when no gap holds the file. */
static void write_beyond_capacity_no_space(void **state)
{
	struct fixture *f = *state;
	g_autoptr(rpmb_fs_file) file = NULL;
	uint8_t byte = 1;
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "big", 3, &file), 0);
	/* FAT [0, 4) plus 1020 blocks is more than the 1023 of the pool. */
	assert_int_equal(rpmb_fs_write(file, 1020 * 256 - 1, &byte, 1), -ENOSPC);
	assert_int_equal(rpmb_fs_write(file, 1019 * 256 - 1, &byte, 1), 0);
}

/*
 * FAT reads: CFG_RPMB_FS_RD_ENTRIES 8 entries (8 blocks) per read, no cache.  With nine
 * files the terminator is entry 9: finding it takes reads at blocks 2 and 10.
 */
static void fat_read_eight_entries_per_read(void **state)
{
	struct fixture *f = *state;
	char id[2] = { 0 };
	g_autoptr(rpmb_fs_file) file = NULL;

	for (int i = 0; i < 9; i++) {
		id[0] = (char)('a' + i);
		g_autoptr(rpmb_fs_file) fi = NULL;
		assert_int_equal(rpmb_fs_create(f->fs, uuid_a, id, 1, &fi), 0);
	}
	clear_logs(f);
	/* Open of the first file stops at it: one read. */
	assert_int_equal(rpmb_fs_open(f->fs, uuid_a, "a", 1, &file, NULL), 0);
	assert_int_equal(f->reads->len, 1);
	assert_int_equal(g_array_index(f->reads, struct rd, 0).address, 2);
	assert_int_equal(g_array_index(f->reads, struct rd, 0).count, 8);
	rpmb_fs_close(g_steal_pointer(&file));
	/* A missing one walks to the terminator (entry 9 at block 11). */
	clear_logs(f);
	assert_int_equal(rpmb_fs_open(f->fs, uuid_a, "z", 1, &file, NULL), -ENOENT);
	assert_int_equal(f->reads->len, 2);
	assert_int_equal(g_array_index(f->reads, struct rd, 0).address, 2);
	assert_int_equal(g_array_index(f->reads, struct rd, 1).address, 10);
	assert_int_equal(g_array_index(f->reads, struct rd, 1).count, 8);
	assert_int_equal(get_le32(blk(f, 11) + 8), RPMB_FS_FILE_IS_LAST_ENTRY);
}

/*
 * StMM's 48 KiB EFI_VARS through the store backend: the first read finds no object; the
 * first write creates it (entry 512, terminator 768) and, the file being empty, copies
 * 192 blocks to [831, 1023) in 4 KiB chunks, then writes the FAT entry.
 */
static void efi_vars_48k_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	g_autofree uint8_t *data = g_malloc(48 * 1024);
	g_autofree uint8_t *back = g_malloc(48 * 1024);
	g_autoptr(rpmb_fs_file) file = NULL;
	struct rpmb_fs_file_info info;
	static const uint8_t stmm_uuid[16] = OPTEE_STMM_TEE_UUID_MEM;

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, 48 * 1024, 0x42);
	assert_int_equal(be.read(be.ctx, 0, back, 48 * 1024), -ENOENT);
	clear_logs(f);
	assert_int_equal(be.write(be.ctx, 0, data, 48 * 1024), 0);
	assert_int_equal(f->writes->len, 2 + 192 + 1);
	assert_int_equal(g_array_index(f->writes, uint16_t, 0), 3);
	assert_int_equal(g_array_index(f->writes, uint16_t, 1), 2);
	for (unsigned i = 0; i < 192; i++)
		assert_int_equal(g_array_index(f->writes, uint16_t, 2 + i), 831 + i);
	assert_int_equal(g_array_index(f->writes, uint16_t, 194), 2);

	assert_memory_equal(blk(f, 2) + 32, RPMB_FS_STMM_FILENAME, sizeof(RPMB_FS_STMM_FILENAME));
	assert_int_equal(get_le32(blk(f, 2)), 831 * 256);
	assert_int_equal(get_le32(blk(f, 2) + 4), 48 * 1024);

	/* A fresh boot reads it all back. */
	boot(f);
	rpmb_fs_store_backend(f->fs, &be);
	assert_int_equal(be.read(be.ctx, 0, back, 48 * 1024), 0);
	assert_memory_equal(back, data, 48 * 1024);
	assert_int_equal(be.read(be.ctx, 47 * 1024, back, 1024), 0);
	assert_memory_equal(back, data + 47 * 1024, 1024);
	/* Past the end: a short read, TEE_ERROR_CORRUPT_OBJECT; the object is kept. */
	assert_int_equal(be.read(be.ctx, 48 * 1024 - 256, back, 512), -EUCLEAN);
	assert_int_equal(rpmb_fs_open(f->fs, stmm_uuid, OPTEE_STMM_OBJ_ID, 8, &file, NULL), 0);
	rpmb_fs_file_get_info(file, &info);
	assert_int_equal(info.data_size, 48 * 1024);
}

/*
 * The image reader (lib/optee_rpmb_image.c) over the same partition: the whole file, and
 * its head alone (`up`'s layout guard) -- only the blocks that hold the head.
 */
static void image_read_file_head(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	g_autofree uint8_t *data = g_malloc(48 * 1024);
	static const uint8_t huk[OPTEE_HUK_SIZE] = RPMB_CLIENT_TEST_HUK;
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(GBytes) all = NULL, head = NULL, more = NULL;

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, 48 * 1024, 0x17);
	assert_int_equal(be.write(be.ctx, 0, data, 48 * 1024), 0);
	g_autofree uint8_t *img = g_memdup2(f->store.blocks, sizeof(f->store.blocks));
	const size_t len = sizeof(f->store.blocks);

	assert_int_equal(optee_rpmb_image_read_file(img, len, huk, RPMB_FS_STMM_FILENAME, &all, err), 0);
	assert_int_equal(g_bytes_get_size(all), 48 * 1024);
	assert_memory_equal(g_bytes_get_data(all, NULL), data, 48 * 1024);
	assert_int_equal(optee_rpmb_image_read_file_head(img, len, huk, RPMB_FS_STMM_FILENAME, 300,
							 &head, err), 0);
	assert_int_equal(g_bytes_get_size(head), 300);
	assert_memory_equal(g_bytes_get_data(head, NULL), data, 300);
	/* Asking for more than the file holds gives the file. */
	assert_int_equal(optee_rpmb_image_read_file_head(img, len, huk, RPMB_FS_STMM_FILENAME,
							 64 * 1024, &more, err), 0);
	assert_int_equal(g_bytes_get_size(more), 48 * 1024);
	/* Only the head's blocks are decrypted: garbage in the third block does not matter. */
	memset(img + 833 * RPMB_FS_BLOCK_SIZE, 0xa5, RPMB_FS_BLOCK_SIZE);
	g_clear_pointer(&head, g_bytes_unref);
	assert_int_equal(optee_rpmb_image_read_file_head(img, len, huk, RPMB_FS_STMM_FILENAME, 512,
							 &head, err), 0);
	assert_memory_equal(g_bytes_get_data(head, NULL), data, 512);
	g_clear_pointer(&all, g_bytes_unref);
	assert_int_equal(optee_rpmb_image_read_file(img, len, huk, RPMB_FS_STMM_FILENAME, &all, err), 0);
	assert_memory_not_equal(g_bytes_get_data(all, NULL), data, 48 * 1024);
}

/*
 * In place: "end <= data_size && tee_rpmb_write_is_atomic(start, size)": one block.
 * An aligned 256-byte write at 4096 is block 831 + 16 = 847; 10 bytes at 100 are a
 * read-modify-write of block 831.  Nothing else is written, not even the FAT entry.
 */
static void in_place_update_golden(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	g_autofree uint8_t *data = g_malloc(48 * 1024);
	g_autofree uint8_t *back = g_malloc(48 * 1024);
	static const uint16_t want1[] = { 847 };
	static const uint16_t want2[] = { 831 };

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, 48 * 1024, 1);
	assert_int_equal(be.write(be.ctx, 0, data, 48 * 1024), 0);
	clear_logs(f);
	fill(data + 4096, 256, 77);
	assert_int_equal(be.write(be.ctx, 4096, data + 4096, 256), 0);
	assert_writes(f, want1, 1);
	clear_logs(f);
	memset(data + 100, 0xee, 10);
	assert_int_equal(rpmb_fs_stmm_write(f->fs, 100, data + 100, 10), 0);
	assert_writes(f, want2, 1);
	assert_int_equal(be.read(be.ctx, 0, back, 48 * 1024), 0);
	assert_memory_equal(back, data, 48 * 1024);
}

/*
 * Copy: 512 bytes at 0 touch two blocks, not atomic with rel_wr_blkcnt 1.  new_size =
 * 48 KiB; the pool holds the file [831, 1023) and the FAT [0, 4): the first gap from the
 * top that holds 192 blocks is below the file, so [639, 831).  update_write_helper
 * writes blocks 639..830 in order (12 chunks of 4 KiB), then write_fat_entry(512).
 * A second copy update goes back to the top gap [831, 1023), freed by the first.
 */
static void copy_update_golden(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	g_autofree uint8_t *data = g_malloc(48 * 1024);
	g_autofree uint8_t *back = g_malloc(48 * 1024);
	uint16_t want[193];

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, 48 * 1024, 2);
	assert_int_equal(be.write(be.ctx, 0, data, 48 * 1024), 0);
	clear_logs(f);
	fill(data, 512, 99);
	assert_int_equal(be.write(be.ctx, 0, data, 512), 0);
	for (unsigned i = 0; i < 192; i++)
		want[i] = (uint16_t)(639 + i);
	want[192] = 2;
	assert_writes(f, want, 193);
	assert_int_equal(get_le32(blk(f, 2)), 639 * 256);
	assert_int_equal(be.read(be.ctx, 0, back, 48 * 1024), 0);
	assert_memory_equal(back, data, 48 * 1024);

	clear_logs(f);
	fill(data + 1000, 300, 5);
	assert_int_equal(be.write(be.ctx, 1000, data + 1000, 300), 0);
	for (unsigned i = 0; i < 192; i++)
		want[i] = (uint16_t)(831 + i);
	assert_writes(f, want, 193);
	assert_int_equal(be.read(be.ctx, 0, back, 48 * 1024), 0);
	assert_memory_equal(back, data, 48 * 1024);
}

/*
 * Growing a 10000-byte file by 50 bytes at its end: a copy update of 10050 bytes, whose
 * last 4 KiB chunk (1858 bytes) ends inside a block: its 8 blocks are a read-modify-write.
 * A power cut at EVERY store write of it: the blocks before the cut are in free space,
 * the FAT entry (one block, written last) is the commit; a new boot reads the old file
 * or the new one, never a mix.
 */
static void copy_update_power_cut_every_write(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	uint8_t old[10000], new[10050], back[10050];
	g_autofree struct mem_store *snap = g_new(struct mem_store, 1);
	unsigned n, olds = 0, news = 0, total = 0;

	rpmb_fs_store_backend(f->fs, &be);
	fill(old, sizeof(old), 11);
	assert_int_equal(be.write(be.ctx, 0, old, sizeof(old)), 0);
	memcpy(new, old, sizeof(old));
	fill(new + sizeof(old), 50, 200);
	*snap = f->store;

	for (n = 1;; n++) {
		f->store = *snap;
		boot(f);
		rpmb_fs_store_backend(f->fs, &be);
		assert_int_equal(rpmb_fs_setup(f->fs), 0); /* the boot's own write is not counted */
		f->store.writes = 0;
		f->store.cut_at = n;
		f->store.off = false;
		int r = be.write(be.ctx, sizeof(old), new + sizeof(old), 50);
		bool fired = f->store.off;
		f->store.cut_at = 0;
		f->store.off = false;
		if (!fired) {
			assert_int_equal(r, 0);
			total = n - 1;
		} else {
			assert_int_equal(r, -ECOMM); /* OP-TEE's rpmb_dead after the retries */
		}

		boot(f);
		rpmb_fs_store_backend(f->fs, &be);
		size_t len = sizeof(back);
		g_autoptr(rpmb_fs_file) file = NULL;
		static const uint8_t stmm_uuid[16] = OPTEE_STMM_TEE_UUID_MEM;
		assert_int_equal(rpmb_fs_open(f->fs, stmm_uuid, OPTEE_STMM_OBJ_ID, 8, &file, NULL), 0);
		assert_int_equal(rpmb_fs_read(file, 0, back, &len), 0);
		if (len == sizeof(old)) {
			assert_memory_equal(back, old, sizeof(old));
			olds++;
		} else {
			assert_int_equal(len, sizeof(new));
			assert_memory_equal(back, new, sizeof(new));
			news++;
		}
		if (!fired)
			break;
	}
	/* 40 data blocks (16 + 16 + 8) and the FAT entry: every cut leaves the old file. */
	assert_int_equal(total, 41);
	assert_int_equal(olds, 41);
	assert_int_equal(news, 1);
}

/*
 * The FEK: non-zero, and the FAT holds it encrypted with the TSK.  The data blocks on the
 * device are ciphertext; this test's own SSK/TSK/FEK/ESSIV computation decrypts them.
 */
static void fek_and_data_encrypted_on_device(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	static const uint8_t stmm_uuid[16] = OPTEE_STMM_TEE_UUID_MEM;
	static const uint8_t zero[16] = { 0 };
	g_autofree uint8_t *data = g_malloc(48 * 1024);
	uint8_t fek[16], plain[256];

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, 48 * 1024, 0x33);
	assert_int_equal(be.write(be.ctx, 0, data, 48 * 1024), 0);

	const uint8_t *fe = blk(f, 2);
	ref_plain_fek(stmm_uuid, fe + 16, fek);
	assert_memory_not_equal(fek, zero, 16);
	assert_memory_not_equal(fe + 16, fek, 16);
	uint32_t start = get_le32(fe) / 256;
	for (uint32_t i = 0; i < 192; i++) {
		assert_memory_not_equal(blk(f, start + i), data + i * 256, 256);
		ref_decrypt_block(fek, (uint16_t)(start + i), blk(f, start + i), plain);
		assert_memory_equal(plain, data + i * 256, 256);
	}
	/* Another file gets another FEK. */
	g_autoptr(rpmb_fs_file) other = NULL;
	uint8_t fek2[16];
	assert_int_equal(rpmb_fs_create(f->fs, stmm_uuid, "other", 5, &other), 0);
	ref_plain_fek(stmm_uuid, blk(f, 3) + 16, fek2);
	assert_memory_not_equal(fek2, fek, 16);
}

/* A zero FEK field: "created with encryption disabled", reads refused (TEE_ERROR_SECURITY). */
static void zero_fek_read_refused(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	uint8_t data[512];

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, sizeof(data), 1);
	assert_int_equal(be.write(be.ctx, 0, data, sizeof(data)), 0);
	memset(f->store.blocks + 2 * 256 + 16, 0, 16);
	assert_int_equal(be.read(be.ctx, 0, data, sizeof(data)), -EPERM);
}

/* FAT entries from the device are bounded: overlapping or out-of-partition files. */
static void corrupt_fat_rejected(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	uint8_t data[512];
	g_autoptr(rpmb_fs_file) file = NULL;

	rpmb_fs_store_backend(f->fs, &be);
	fill(data, sizeof(data), 1);
	assert_int_equal(be.write(be.ctx, 0, data, sizeof(data)), 0);
	/* The file claims to reach past the pool: a write cannot build the pool. */
	put_le32(f->store.blocks + 2 * 256 + 4, 0x7fffffff);
	assert_int_equal(be.write(be.ctx, 0, data, 256), -ENOTRECOVERABLE);
	/* A read of it goes past the partition: the client refuses the range. */
	assert_int_equal(be.read(be.ctx, 300000, data, 256), -ERANGE);
	/* The file overlapping the FAT. */
	put_le32(f->store.blocks + 2 * 256, 0);
	put_le32(f->store.blocks + 2 * 256 + 4, 512);
	assert_int_equal(rpmb_fs_create(f->fs, uuid_a, "n", 1, &file), -ENOTRECOVERABLE);
	/* A FAT without a terminator runs into the partition's end: an error, no loop. */
	for (uint32_t b = 2; b < MEM_BLOCKS; b++)
		put_le32(f->store.blocks + b * 256 + 8, 0);
	assert_int_equal(rpmb_fs_open(f->fs, uuid_a, "n", 1, &file, NULL), -ERANGE);
}

static void file_name_bounds(void **state)
{
	(void)state;
	char name[RPMB_FS_FILENAME_LENGTH];
	uint8_t id[RPMB_FS_OBJ_ID_MAX + 1];
	static const uint8_t stmm_uuid[16] = OPTEE_STMM_TEE_UUID_MEM;

	memset(id, 0xab, sizeof(id));
	assert_int_equal(rpmb_fs_file_name(stmm_uuid, OPTEE_STMM_OBJ_ID, 8, name), 0);
	assert_string_equal(name, RPMB_FS_STMM_FILENAME);
	assert_int_equal(rpmb_fs_file_name(stmm_uuid, id, RPMB_FS_OBJ_ID_MAX, name), 0);
	assert_int_equal(strlen(name), 1 + 32 + 1 + 2 * RPMB_FS_OBJ_ID_MAX);
	assert_int_equal(rpmb_fs_file_name(stmm_uuid, id, RPMB_FS_OBJ_ID_MAX + 1, name), -EINVAL);
	assert_int_equal(rpmb_fs_file_name(stmm_uuid, id, 0, name), -EINVAL);
}

/* The device warns about every write the power cut fails, by design: keep those out. */
static GLogWriterOutput quiet_power_cut(GLogLevelFlags level, const GLogField *fields,
					gsize n_fields, gpointer data)
{
	if ((level & G_LOG_LEVEL_WARNING) && the_fixture && the_fixture->store.off)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n_fields, data);
}

int main(void)
{
	g_log_set_writer_func(quiet_power_cut, NULL, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(setup_formats_blank_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(setup_keeps_rest_of_block0, setup, teardown),
		cmocka_unit_test_setup_teardown(setup_refuses_other_version, setup, teardown),
		cmocka_unit_test_setup_teardown(create_write_read_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_first_fit_from_top, setup, teardown),
		cmocka_unit_test_setup_teardown(write_beyond_capacity_no_space, setup, teardown),
		cmocka_unit_test_setup_teardown(fat_read_eight_entries_per_read, setup, teardown),
		cmocka_unit_test_setup_teardown(efi_vars_48k_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(image_read_file_head, setup, teardown),
		cmocka_unit_test_setup_teardown(in_place_update_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_update_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_update_power_cut_every_write, setup, teardown),
		cmocka_unit_test_setup_teardown(fek_and_data_encrypted_on_device, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_fek_read_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_fat_rejected, setup, teardown),
		cmocka_unit_test(file_name_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
