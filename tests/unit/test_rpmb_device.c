/* SPDX-License-Identifier: MIT */
/*
 * The JEDEC RPMB state machine: every request type, every result code, the order of the
 * write checks, counter expiry, address edges, multi-frame MACs, nonce echo.  The device
 * runs over an in-memory SQLite store, wrapped by a store that can be told to fail.  Storage
 * failures are logged as warnings (captured here), rate-limited.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "device.h"
#include "optee_rpmb.h"
#include "rpmb_host.h"
#include "storage.h"

#define TOTAL_BLOCKS 1024u /* size_mult 2 */
#define EXPIRED RPMB_RESULT_WR_CNT_EXPIRED

static const uint8_t key[RPMB_KEY_SIZE] = {
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x01, 0x23, 0x45,
	0x67, 0x89, 0xab, 0xcd, 0xef, 0xaa, 0x55, 0xaa, 0x55, 0x0f, 0xf0,
	0x0f, 0xf0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
};

/* ---- a store that fails on demand ------------------------------------------------------ */

struct faulty_store {
	struct rpmb_store base;
	struct rpmb_store *inner;
	bool fail_key, fail_read, fail_write;
	int read_errno;         /* what a failing read returns (default -EIO) */
	const char *error_text; /* what last_error() reports while failing, or NULL */
};

static int f_load(struct rpmb_store *s, struct rpmb_store_meta *m)
{
	return rpmb_store_load(((struct faulty_store *)s)->inner, m);
}
static int f_key(struct rpmb_store *s, const uint8_t k[RPMB_KEY_SIZE])
{
	struct faulty_store *f = (struct faulty_store *)s;
	return f->fail_key ? -EIO : rpmb_store_program_key(f->inner, k);
}
static int f_read(struct rpmb_store *s, uint16_t a, uint16_t n, uint8_t *d)
{
	struct faulty_store *f = (struct faulty_store *)s;
	if (f->fail_read) {
		memset(d, 0x5a, (size_t)n * RPMB_DATA_SIZE); /* "damaged" bytes must not leak */
		return f->read_errno ? f->read_errno : -EIO;
	}
	return rpmb_store_read(f->inner, a, n, d);
}
static int f_write(struct rpmb_store *s, uint16_t a, uint16_t n, const uint8_t *d, uint32_t c)
{
	struct faulty_store *f = (struct faulty_store *)s;
	return f->fail_write ? -ENOSPC : rpmb_store_write(f->inner, a, n, d, c);
}
static void f_close(struct rpmb_store *s)
{
	rpmb_store_close(((struct faulty_store *)s)->inner);
	g_free(s);
}
static const char *f_last_error(struct rpmb_store *s)
{
	struct faulty_store *f = (struct faulty_store *)s;
	return f->fail_key || f->fail_read || f->fail_write ? f->error_text : NULL;
}
static const struct rpmb_store_ops faulty_ops = { f_load, f_key, f_read, f_write, f_close,
						  f_last_error };

/* ---- captured warnings ------------------------------------------------------------------- */

static GPtrArray *warnings; /* WARNING lines since the last reset */
static GPtrArray *messages; /* MESSAGE lines */

static GLogWriterOutput capture(GLogLevelFlags level, const GLogField *fields, gsize n,
				gpointer user_data)
{
	(void)user_data;
	for (gsize i = 0; i < n; i++) {
		if (strcmp(fields[i].key, "MESSAGE") != 0)
			continue;
		const char *text = fields[i].value;
		if (level & G_LOG_LEVEL_WARNING)
			g_ptr_array_add(warnings, g_strdup(text));
		else if (level & G_LOG_LEVEL_MESSAGE)
			g_ptr_array_add(messages, g_strdup(text));
	}
	return G_LOG_WRITER_HANDLED;
}

static void reset_logs(void)
{
	g_ptr_array_set_size(warnings, 0);
	g_ptr_array_set_size(messages, 0);
}

static const char *warning_at(guint i)
{
	assert_true(i < warnings->len);
	return g_ptr_array_index(warnings, i);
}

struct t {
	struct faulty_store *store;
	struct rpmb_device *dev;
};

static struct t *make(uint32_t counter_start, unsigned max_write_blocks)
{
	struct rpmb_store_create c = { .cid = RPMB_EMU_DEFAULT_CID, .size_mult = 2,
				       .rel_wr_sec_c = 1, .counter_start = counter_start };
	struct t *t = g_new0(struct t, 1);
	t->store = g_new0(struct faulty_store, 1);
	t->store->base.ops = &faulty_ops;
	assert_int_equal(rpmb_store_open_sqlite(":memory:", &c, &t->store->inner, NULL), 0);
	assert_int_equal(rpmb_device_new(&t->store->base, max_write_blocks, &t->dev), 0);
	return t;
}

static int setup(void **state)
{
	reset_logs();
	*state = make(0, 0);
	return 0;
}

static int setup_expiring(void **state)
{
	reset_logs();
	*state = make(0xFFFFFFFEu, 0);
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	rpmb_device_free(t->dev);
	rpmb_store_close(&t->store->base);
	g_free(t);
	return 0;
}

/* ---- sequences as a host sends them ------------------------------------------------------ */

static void run(struct t *t, struct rpmb_xfer *x, size_t n)
{
	assert_int_equal(rpmb_device_run(t->dev, x, n), 0);
}

/* CMD23(n|rel) CMD25(frames), CMD23(1) CMD25(RESULT_READ), CMD23(1) CMD18(1). */
static uint16_t write_req(struct t *t, const struct rpmb_frame *f, uint16_t n, bool reliable,
			  struct rpmb_frame *ret_result)
{
	struct rpmb_frame rr, out;
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	struct rpmb_xfer x[3] = {
		{ .write = true, .reliable = reliable, .blocks = n, .in = f },
		{ .write = true, .blocks = 1, .in = &rr },
		{ .write = false, .blocks = 1, .out = &out },
	};
	run(t, x, 3);
	if (ret_result)
		*ret_result = out;
	return get_be16(out.result);
}

/* CMD23(1) CMD25(request), CMD23(n) CMD18(n). */
static uint16_t read_req(struct t *t, const struct rpmb_frame *req, uint16_t n,
			 struct rpmb_frame *out)
{
	struct rpmb_xfer x[2] = {
		{ .write = true, .blocks = 1, .in = req },
		{ .write = false, .blocks = n, .out = out },
	};
	run(t, x, 2);
	return get_be16(out[n - 1].result);
}

static uint16_t program_key(struct t *t)
{
	struct rpmb_frame f;
	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL); /* block_count 0 as hosts send */
	memcpy(f.key_mac, key, sizeof(key));
	return write_req(t, &f, 1, true, NULL);
}

static uint16_t read_counter(struct t *t, const uint8_t *nonce, struct rpmb_frame *out)
{
	struct rpmb_frame req;
	rpmb_frame_init(&req, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, nonce);
	return read_req(t, &req, 1, out);
}

static uint32_t counter_of(struct t *t)
{
	struct rpmb_frame out;
	assert_int_equal(read_counter(t, NULL, &out) & RPMB_RESULT_MASK, RPMB_RESULT_OK);
	return get_be32(out.write_counter);
}

/* n frames at address carrying counter; data byte j of block i = seed + i + j. */
static void make_write(struct rpmb_frame *f, uint16_t n, uint16_t address, uint32_t counter,
		       uint8_t seed)
{
	for (uint16_t i = 0; i < n; i++) {
		rpmb_frame_init(&f[i], RPMB_REQ_DATA_WRITE, address, n, counter, NULL);
		for (size_t j = 0; j < RPMB_DATA_SIZE; j++)
			f[i].data[j] = (uint8_t)(seed + i + j);
	}
	assert_int_equal(rpmb_sign_frames(key, f, n), 0);
}

static uint16_t data_write(struct t *t, uint16_t n, uint16_t address, uint32_t counter,
			   uint8_t seed, struct rpmb_frame *ret_result)
{
	struct rpmb_frame f[4];
	assert_true(n <= 4);
	make_write(f, n, address, counter, seed);
	return write_req(t, f, n, true, ret_result);
}

static uint16_t data_read(struct t *t, uint16_t address, uint16_t n, const uint8_t *nonce,
			  struct rpmb_frame *out)
{
	struct rpmb_frame req;
	rpmb_frame_init(&req, RPMB_REQ_DATA_READ, address, 0, 0, nonce);
	return read_req(t, &req, n, out);
}

static const uint8_t nonce1[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* ---- info -------------------------------------------------------------------------------- */

static void device_get_info_reports_cid_size_and_rel_wr(void **state)
{
	struct t *t = *state;
	struct emu_mmc_info info;
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	rpmb_device_get_info(t->dev, &info);
	assert_memory_equal(info.cid, cid, 16);
	assert_int_equal(info.rpmb_size_mult, 2);
	assert_int_equal(info.rel_wr_sec_c, 1);
	assert_int_equal(rpmb_device_total_blocks(t->dev), TOTAL_BLOCKS);
	assert_int_equal(rpmb_device_max_write_blocks(t->dev), 2); /* REL_WR_SEC_C x 2 */
}

/* ---- program key ------------------------------------------------------------------------- */

static void program_key_ok(void **state)
{
	struct t *t = *state;
	struct rpmb_frame res;
	struct rpmb_frame f;
	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memcpy(f.key_mac, key, sizeof(key));
	assert_int_equal(write_req(t, &f, 1, true, &res), RPMB_RESULT_OK);
	struct rpmb_frame_info info;
	rpmb_frame_get_info(&res, &info);
	assert_int_equal(info.req_resp, RPMB_RESP_PROGRAM_KEY);
	assert_int_equal(info.write_counter, 0);
	bool key_set;
	rpmb_device_get_state(t->dev, &key_set, NULL);
	assert_true(key_set);
	/* The device now MACs with exactly that key. */
	struct rpmb_frame out;
	assert_int_equal(read_counter(t, nonce1, &out), RPMB_RESULT_OK);
	assert_true(rpmb_verify_frames(key, &out, 1));
}

static void program_key_twice_write_failure(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	struct rpmb_frame f;
	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memset(f.key_mac, 0x5a, sizeof(f.key_mac));
	assert_int_equal(write_req(t, &f, 1, true, NULL), RPMB_RESULT_WRITE_FAILURE);
	struct rpmb_frame out;
	assert_int_equal(read_counter(t, nonce1, &out), RPMB_RESULT_OK);
	assert_true(rpmb_verify_frames(key, &out, 1)); /* the first key stays */
}

static void program_key_not_reliable_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f, out;
	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memcpy(f.key_mac, key, sizeof(key));
	assert_int_equal(write_req(t, &f, 1, false, NULL), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(read_counter(t, NULL, &out), RPMB_RESULT_NO_AUTH_KEY);
}

static void program_key_two_frames_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f[2], res;
	for (int i = 0; i < 2; i++) {
		rpmb_frame_init(&f[i], RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
		memcpy(f[i].key_mac, key, sizeof(key));
	}
	assert_int_equal(write_req(t, f, 2, true, &res), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(get_be16(res.req_resp), RPMB_RESP_PROGRAM_KEY);
}

static void program_key_store_failure_write_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	t->store->fail_key = true;
	assert_int_equal(program_key(t), RPMB_RESULT_WRITE_FAILURE);
	assert_int_equal(read_counter(t, NULL, &out), RPMB_RESULT_NO_AUTH_KEY);
	t->store->fail_key = false;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
}

static void program_key_response_only_via_result_read(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f, out;
	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memcpy(f.key_mac, key, sizeof(key));
	struct rpmb_xfer x[2] = {
		{ .write = true, .reliable = true, .blocks = 1, .in = &f },
		{ .write = false, .blocks = 1, .out = &out },
	};
	run(t, x, 2);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(get_be16(out.req_resp), 0);
	/* The key was programmed all the same, and RESULT_READ still tells. */
	struct rpmb_frame rr;
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	assert_int_equal(read_req(t, &rr, 1, &out), RPMB_RESULT_OK);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_PROGRAM_KEY);
}

/* ---- read counter ------------------------------------------------------------------------- */

static void read_counter_no_key_no_auth_key(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(read_counter(t, nonce1, &out), RPMB_RESULT_NO_AUTH_KEY);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_WRITE_COUNTER);
	/* Raw bytes: result and type big-endian at 508..511. */
	const uint8_t *b = (const uint8_t *)&out;
	assert_int_equal(b[508], 0x00);
	assert_int_equal(b[509], 0x07);
	assert_int_equal(b[510], 0x02);
	assert_int_equal(b[511], 0x00);
}

static void read_counter_echoes_nonce_and_macs(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(read_counter(t, nonce1, &out), RPMB_RESULT_OK);
	assert_memory_equal(out.nonce, nonce1, 16);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_WRITE_COUNTER);
	assert_int_equal(get_be32(out.write_counter), 0);
	assert_true(rpmb_verify_frames(key, &out, 1));
}

static void read_counter_accepts_mmc_utils_frame(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	static const uint8_t zero[16];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	/* mmc-utils: all-zero nonce, block_count 0. */
	assert_int_equal(read_counter(t, NULL, &out), RPMB_RESULT_OK);
	assert_memory_equal(out.nonce, zero, 16);
	assert_true(rpmb_verify_frames(key, &out, 1));
}

static void read_counter_read_as_two_frames_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame req, out[2];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	rpmb_frame_init(&req, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, nonce1);
	assert_int_equal(read_req(t, &req, 2, out), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(get_be16(out[0].result), RPMB_RESULT_GENERAL_FAILURE);
}

/* ---- authenticated data write ------------------------------------------------------------- */

static void data_write_ok_increments_counter_and_macs_result(void **state)
{
	struct t *t = *state;
	struct rpmb_frame res, out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 17, 0, 0x40, &res), RPMB_RESULT_OK);
	struct rpmb_frame_info info;
	rpmb_frame_get_info(&res, &info);
	assert_int_equal(info.req_resp, RPMB_RESP_DATA_WRITE);
	assert_int_equal(info.write_counter, 1);
	assert_int_equal(info.address, 17);
	assert_true(rpmb_verify_frames(key, &res, 1));
	assert_int_equal(counter_of(t), 1);
	assert_int_equal(data_write(t, 1, 17, 1, 0x41, NULL), RPMB_RESULT_OK);
	assert_int_equal(counter_of(t), 2);
	assert_int_equal(data_read(t, 17, 1, nonce1, &out), RPMB_RESULT_OK);
	for (size_t j = 0; j < RPMB_DATA_SIZE; j++)
		assert_int_equal(out.data[j], (uint8_t)(0x41 + j));
}

static void data_write_multi_frame_one_mac_over_all_frames(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f[2], res, out[2];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);

	/* A MAC over the last frame only is not the RPMB MAC. */
	make_write(f, 2, 100, 0, 0x10);
	assert_int_equal(rpmb_sign_frames(key, &f[1], 1), 0);
	assert_int_equal(write_req(t, f, 2, true, NULL), RPMB_RESULT_AUTH_FAILURE);

	make_write(f, 2, 100, 0, 0x10);
	assert_int_equal(write_req(t, f, 2, true, &res), RPMB_RESULT_OK);
	assert_int_equal(get_be32(res.write_counter), 1); /* +1 per request, not per block */
	assert_int_equal(data_read(t, 100, 2, nonce1, out), RPMB_RESULT_OK);
	assert_memory_equal(out[0].data, f[0].data, RPMB_DATA_SIZE);
	assert_memory_equal(out[1].data, f[1].data, RPMB_DATA_SIZE);
}

static void data_write_no_key_no_auth_key(void **state)
{
	struct t *t = *state;
	assert_int_equal(data_write(t, 1, 0, 0, 0, NULL), RPMB_RESULT_NO_AUTH_KEY);
}

static void data_write_block_count_zero_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	rpmb_frame_init(&f, RPMB_REQ_DATA_WRITE, 0, 0, 0, NULL);
	assert_int_equal(rpmb_sign_frames(key, &f, 1), 0);
	assert_int_equal(write_req(t, &f, 1, true, NULL), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(counter_of(t), 0);
}

static void data_write_block_count_above_max_general_failure(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 3, 0, 0, 0, NULL), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(data_write(t, 2, 0, 0, 0, NULL), RPMB_RESULT_OK); /* the max is fine */
}

static void data_write_block_count_not_cmd23_count_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f[2];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	make_write(f, 2, 0, 0, 0); /* frames say 2 ... */
	assert_int_equal(rpmb_sign_frames(key, f, 1), 0);
	assert_int_equal(write_req(t, f, 1, true, NULL), RPMB_RESULT_GENERAL_FAILURE); /* CMD23: 1 */
}

static void data_write_not_reliable_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	make_write(&f, 1, 0, 0, 0);
	assert_int_equal(write_req(t, &f, 1, false, NULL), RPMB_RESULT_GENERAL_FAILURE);
}

static void data_write_frames_disagreeing_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f[2];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	make_write(f, 2, 10, 0, 0);
	put_be16(f[1].address, 11); /* every frame must carry the start address */
	assert_int_equal(rpmb_sign_frames(key, f, 2), 0);
	assert_int_equal(write_req(t, f, 2, true, NULL), RPMB_RESULT_GENERAL_FAILURE);
}

static void data_write_last_block_ok(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, TOTAL_BLOCKS - 1, 0, 0x77, NULL), RPMB_RESULT_OK);
	assert_int_equal(data_read(t, TOTAL_BLOCKS - 1, 1, nonce1, &out), RPMB_RESULT_OK);
	assert_int_equal(out.data[0], 0x77);
	assert_int_equal(data_write(t, 2, TOTAL_BLOCKS - 2, 1, 0x78, NULL), RPMB_RESULT_OK);
}

static void data_write_one_past_end_address_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame res;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, TOTAL_BLOCKS, 0, 0, &res), RPMB_RESULT_ADDRESS_FAILURE);
	assert_int_equal(get_be16(res.address), TOTAL_BLOCKS);
	assert_int_equal(data_write(t, 1, 0xFFFF, 0, 0, NULL), RPMB_RESULT_ADDRESS_FAILURE);
	assert_int_equal(counter_of(t), 0);
}

static void data_write_crossing_end_address_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 2, TOTAL_BLOCKS - 1, 0, 0x33, NULL),
			 RPMB_RESULT_ADDRESS_FAILURE);
	assert_int_equal(counter_of(t), 0);
	assert_int_equal(data_read(t, TOTAL_BLOCKS - 1, 1, nonce1, &out), RPMB_RESULT_OK);
	assert_int_equal(out.data[0], 0); /* nothing written */
}

static void data_write_bad_mac_auth_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f, res;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	make_write(&f, 1, 3, 0, 0);
	f.data[0] ^= 1;
	assert_int_equal(write_req(t, &f, 1, true, &res), RPMB_RESULT_AUTH_FAILURE);
	assert_int_equal(get_be32(res.write_counter), 0);
	assert_true(rpmb_verify_frames(key, &res, 1)); /* failures are MACed too */
	assert_int_equal(counter_of(t), 0);
}

static void data_write_counter_mismatch_counter_failure(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 3, 1, 0, NULL), RPMB_RESULT_COUNTER_FAILURE);
	assert_int_equal(data_write(t, 1, 3, 0, 0, NULL), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 3, 0, 0, NULL), RPMB_RESULT_COUNTER_FAILURE); /* replay */
	assert_int_equal(counter_of(t), 1);
}

static void data_write_store_failure_write_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame res;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	t->store->fail_write = true;
	assert_int_equal(data_write(t, 1, 3, 0, 0, &res), RPMB_RESULT_WRITE_FAILURE);
	assert_int_equal(get_be32(res.write_counter), 0);
	t->store->fail_write = false;
	assert_int_equal(counter_of(t), 0);
	assert_int_equal(data_write(t, 1, 3, 0, 0, NULL), RPMB_RESULT_OK);
}

static void data_write_store_failure_warns_with_context(void **state)
{
	struct t *t = *state;
	uint8_t zeros[RPMB_DATA_SIZE] = { 0 };
	struct rpmb_frame out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	reset_logs();
	t->store->fail_write = true;
	t->store->error_text = "commit: database or disk is full (No space left on device)";
	assert_int_equal(data_write(t, 2, 7, 0, 0x11, NULL), RPMB_RESULT_WRITE_FAILURE);
	t->store->fail_write = false;
	assert_int_equal(warnings->len, 1);
	assert_non_null(strstr(warning_at(0), "DATA_WRITE of 2 block(s) at address 7, counter 0"));
	assert_non_null(strstr(warning_at(0), "WRITE_FAILURE"));
	assert_non_null(strstr(warning_at(0), "database or disk is full (No space left"));
	/* Nothing committed: counter and data as before. */
	assert_int_equal(counter_of(t), 0);
	assert_int_equal(data_read(t, 7, 1, nonce1, &out), RPMB_RESULT_OK);
	assert_memory_equal(out.data, zeros, sizeof(zeros));
	assert_int_equal(warnings->len, 1);
	assert_int_equal(messages->len, 1); /* the read worked: "storage worked again" */
	assert_non_null(strstr(g_ptr_array_index(messages, 0), "worked again after 1 failure"));
}

static void store_failure_without_text_warns_errno(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	reset_logs();
	t->store->fail_write = true; /* no error_text: the errno text stands in */
	assert_int_equal(data_write(t, 1, 3, 0, 0, NULL), RPMB_RESULT_WRITE_FAILURE);
	assert_int_equal(warnings->len, 1);
	assert_non_null(strstr(warning_at(0), g_strerror(ENOSPC)));
}

static void store_failure_warnings_rate_limited(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	reset_logs();
	t->store->fail_write = true;
	t->store->error_text = "commit: disk I/O error";
	/* A host retrying the same write 250 times: warnings at 1, 100 and 200. */
	for (int i = 0; i < 250; i++)
		assert_int_equal(data_write(t, 1, 3, 0, 0, NULL), RPMB_RESULT_WRITE_FAILURE);
	assert_int_equal(warnings->len, 3);
	assert_null(strstr(warning_at(0), "times in a row"));
	assert_non_null(strstr(warning_at(1), "(100 times in a row)"));
	assert_non_null(strstr(warning_at(2), "(200 times in a row)"));
	assert_int_equal(messages->len, 0);
	/* Space back: the unlogged 50 are counted once, then the recovery is said. */
	t->store->fail_write = false;
	assert_int_equal(data_write(t, 1, 3, 0, 0, NULL), RPMB_RESULT_OK);
	assert_int_equal(warnings->len, 4);
	assert_non_null(strstr(warning_at(3), "repeated 50 more time(s)"));
	assert_int_equal(messages->len, 1);
	assert_non_null(strstr(g_ptr_array_index(messages, 0), "after 250 failure(s)"));
	assert_int_equal(counter_of(t), 1);
}

/* Order of checks: no key -> block count -> expired -> address -> MAC -> counter. */

static void data_write_order_no_key_before_block_count(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;
	rpmb_frame_init(&f, RPMB_REQ_DATA_WRITE, 0, 0, 0, NULL);
	assert_int_equal(write_req(t, &f, 1, true, NULL), RPMB_RESULT_NO_AUTH_KEY);
}

static void data_write_order_block_count_before_address(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 3, TOTAL_BLOCKS, 0, 0, NULL), RPMB_RESULT_GENERAL_FAILURE);
}

static void data_write_order_address_before_mac(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	make_write(&f, 1, TOTAL_BLOCKS + 5, 0, 0);
	f.key_mac[0] ^= 0xff;
	assert_int_equal(write_req(t, &f, 1, true, NULL), RPMB_RESULT_ADDRESS_FAILURE);
}

static void data_write_order_mac_before_counter(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	make_write(&f, 1, 0, 7, 0);
	f.key_mac[0] ^= 0xff;
	assert_int_equal(write_req(t, &f, 1, true, NULL), RPMB_RESULT_AUTH_FAILURE);
}

/* ---- expiry (device created with counter 0xFFFFFFFE) ------------------------------------------ */

static void data_write_reaching_max_counter_sets_expired(void **state)
{
	struct t *t = *state;
	struct rpmb_frame res, out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(counter_of(t), 0xFFFFFFFEu);
	assert_int_equal(data_write(t, 1, 1, 0xFFFFFFFEu, 0x12, &res), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(get_be32(res.write_counter), 0xFFFFFFFFu);
	/* Every result now carries 0x80. */
	assert_int_equal(read_counter(t, nonce1, &out), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(get_be32(out.write_counter), 0xFFFFFFFFu);
	assert_true(rpmb_verify_frames(key, &out, 1));
	assert_int_equal(data_read(t, 1, 1, nonce1, &out), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(out.data[0], 0x12);
	assert_int_equal(data_read(t, TOTAL_BLOCKS, 1, nonce1, &out),
			 RPMB_RESULT_ADDRESS_FAILURE | EXPIRED);
}

static void data_write_expired_counter_write_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 1, 0xFFFFFFFEu, 0x12, NULL), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(data_write(t, 1, 1, 0xFFFFFFFFu, 0x13, NULL),
			 RPMB_RESULT_WRITE_FAILURE | EXPIRED);
	assert_int_equal(counter_of(t), 0xFFFFFFFFu);
	assert_int_equal(data_read(t, 1, 1, nonce1, &out), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(out.data[0], 0x12); /* unchanged */
}

static void data_write_order_expired_before_address(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 1, 0xFFFFFFFEu, 0, NULL), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(data_write(t, 1, TOTAL_BLOCKS, 0xFFFFFFFFu, 0, NULL),
			 RPMB_RESULT_WRITE_FAILURE | EXPIRED);
	assert_int_equal(data_write(t, 3, 1, 0xFFFFFFFFu, 0, NULL),
			 RPMB_RESULT_GENERAL_FAILURE | EXPIRED); /* block count comes first */
}

static void program_key_on_expired_device_carries_expired_bit(void **state)
{
	struct t *t = *state;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 1, 0xFFFFFFFEu, 0, NULL), RPMB_RESULT_OK | EXPIRED);
	assert_int_equal(program_key(t), RPMB_RESULT_WRITE_FAILURE | EXPIRED);
}

/* ---- authenticated data read ------------------------------------------------------------------ */

static void data_read_frames_carry_nonce_address_count_mac_in_last(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out[3];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 2, 200, 0, 0x20, NULL), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 202, 1, 0x30, NULL), RPMB_RESULT_OK);
	assert_int_equal(data_read(t, 200, 3, nonce1, out), RPMB_RESULT_OK);
	for (int i = 0; i < 3; i++) {
		struct rpmb_frame_info info;
		rpmb_frame_get_info(&out[i], &info);
		assert_int_equal(info.req_resp, RPMB_RESP_DATA_READ);
		assert_int_equal(info.address, 200);
		assert_int_equal(info.block_count, 3);
		assert_int_equal(info.result, RPMB_RESULT_OK);
		assert_memory_equal(out[i].nonce, nonce1, 16);
	}
	assert_int_equal(out[0].data[0], 0x20);
	assert_int_equal(out[1].data[0], 0x21);
	assert_int_equal(out[2].data[0], 0x30);
	assert_true(rpmb_verify_frames(key, out, 3));
	assert_false(rpmb_verify_frames(key, &out[2], 1));
}

static void data_read_never_written_reads_zeros(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	static const uint8_t zero[RPMB_DATA_SIZE];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_read(t, 512, 1, nonce1, &out), RPMB_RESULT_OK);
	assert_memory_equal(out.data, zero, sizeof(zero));
}

static void data_read_no_key_no_auth_key(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(data_read(t, 0, 1, nonce1, &out), RPMB_RESULT_NO_AUTH_KEY);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_DATA_READ);
}

static void data_read_address_range_over_whole_read(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out[3];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_read(t, TOTAL_BLOCKS - 1, 1, nonce1, out), RPMB_RESULT_OK);
	assert_int_equal(data_read(t, TOTAL_BLOCKS - 2, 2, nonce1, out), RPMB_RESULT_OK);
	assert_int_equal(data_read(t, TOTAL_BLOCKS, 1, nonce1, out), RPMB_RESULT_ADDRESS_FAILURE);
	assert_int_equal(data_read(t, TOTAL_BLOCKS - 2, 3, nonce1, out),
			 RPMB_RESULT_ADDRESS_FAILURE);
	assert_memory_equal(out[2].nonce, nonce1, 16);
	assert_true(rpmb_verify_frames(key, out, 3));
}

static void data_read_block_count_not_cmd18_count_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame req, out[2];
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	rpmb_frame_init(&req, RPMB_REQ_DATA_READ, 0, 2, 0, nonce1);
	assert_int_equal(read_req(t, &req, 1, out), RPMB_RESULT_GENERAL_FAILURE);
	rpmb_frame_init(&req, RPMB_REQ_DATA_READ, 0, 2, 0, nonce1); /* matching count is fine */
	assert_int_equal(read_req(t, &req, 2, out), RPMB_RESULT_OK);
}

static void data_read_store_failure_read_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	t->store->fail_read = true;
	assert_int_equal(data_read(t, 0, 1, nonce1, &out), RPMB_RESULT_READ_FAILURE);
}

/* A block damaged at rest (the store's -EBADMSG) reads as READ_FAILURE, without its bytes. */
static void data_read_damaged_block_read_failure_without_data(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out[2];
	uint8_t zeros[RPMB_DATA_SIZE] = { 0 };
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 2, 4, 0, 0x40, NULL), RPMB_RESULT_OK);
	reset_logs();
	t->store->fail_read = true;
	t->store->read_errno = -EBADMSG;
	t->store->error_text = "read block 5: the stored checksum does not match the data "
			       "(damaged at rest)";
	assert_int_equal(data_read(t, 4, 2, nonce1, out), RPMB_RESULT_READ_FAILURE);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(get_be16(out[i].result), RPMB_RESULT_READ_FAILURE);
		assert_memory_equal(out[i].data, zeros, sizeof(zeros));
	}
	/* The response is still authentic: MACed over the failure, not over any data. */
	assert_true(rpmb_verify_frames(key, out, 2));
	assert_int_equal(warnings->len, 1);
	assert_non_null(strstr(warning_at(0), "DATA_READ of 2 block(s) at address 4 -> READ_FAILURE"));
	assert_non_null(strstr(warning_at(0), "block 5"));
	assert_non_null(strstr(warning_at(0), "damaged at rest"));
	t->store->fail_read = false;
	assert_int_equal(data_read(t, 4, 1, nonce1, out), RPMB_RESULT_OK);
	assert_int_equal(out[0].data[0], 0x40);
}

static void data_read_request_of_two_frames_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame req[2], out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	rpmb_frame_init(&req[0], RPMB_REQ_DATA_READ, 0, 0, 0, nonce1);
	req[1] = req[0];
	struct rpmb_xfer x[2] = {
		{ .write = true, .blocks = 2, .in = req },
		{ .write = false, .blocks = 1, .out = &out },
	};
	run(t, x, 2);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_GENERAL_FAILURE);
}

/* ---- result read, unknown requests, stray reads ------------------------------------------------ */

static void result_read_without_write_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame rr, out;
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	assert_int_equal(read_req(t, &rr, 1, &out), RPMB_RESULT_GENERAL_FAILURE);
}

static void result_read_after_counter_read_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame rr, out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(read_counter(t, nonce1, &out), RPMB_RESULT_OK);
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	assert_int_equal(read_req(t, &rr, 1, &out), RPMB_RESULT_GENERAL_FAILURE);
}

static void result_read_repeats_last_write_result(void **state)
{
	struct t *t = *state;
	struct rpmb_frame rr, res, out;
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	assert_int_equal(data_write(t, 1, 9, 0, 0, &res), RPMB_RESULT_OK);
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	assert_int_equal(read_req(t, &rr, 1, &out), RPMB_RESULT_OK);
	assert_memory_equal(&out, &res, sizeof(out));
}

static void unknown_request_general_failure(void **state)
{
	struct t *t = *state;
	static const uint16_t types[] = { 0x0000, RPMB_REQ_CONF_WRITE, RPMB_REQ_CONF_READ, 0x0008,
					  0x0100 };
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		struct rpmb_frame f, res, out;
		rpmb_frame_init(&f, types[i], 0, 1, 0, NULL);
		/* As a write-type request (answer via RESULT_READ) ... */
		assert_int_equal(write_req(t, &f, 1, true, &res), RPMB_RESULT_GENERAL_FAILURE);
		assert_int_equal(get_be16(res.req_resp), types[i] <= 0xff ? types[i] << 8 : 0);
		/* ... and as a read-type one (answer via CMD18). */
		assert_int_equal(read_req(t, &f, 1, &out), RPMB_RESULT_GENERAL_FAILURE);
	}
	assert_int_equal(counter_of(t), 0);
}

static void cmd18_without_request_general_failure(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out[2];
	struct rpmb_xfer x = { .write = false, .blocks = 2, .out = out };
	run(t, &x, 1);
	assert_int_equal(get_be16(out[0].result), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(get_be16(out[1].result), RPMB_RESULT_GENERAL_FAILURE);
	/* A response is read once. */
	assert_int_equal(program_key(t), RPMB_RESULT_OK);
	struct rpmb_frame req;
	rpmb_frame_init(&req, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, nonce1);
	assert_int_equal(read_req(t, &req, 1, out), RPMB_RESULT_OK);
	x.blocks = 1;
	run(t, &x, 1);
	assert_int_equal(get_be16(out[0].result), RPMB_RESULT_GENERAL_FAILURE);
}

static void device_run_rejects_malformed_xfer(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;
	struct rpmb_xfer x[2] = {
		{ .write = true, .blocks = 1, .in = &f },
		{ .write = false, .blocks = 0, .out = &f },
	};
	assert_int_equal(rpmb_device_run(t->dev, x, 2), -EINVAL);
	x[1].blocks = 1;
	x[1].out = NULL;
	assert_int_equal(rpmb_device_run(t->dev, x, 2), -EINVAL);
}

static void device_new_max_write_blocks_bounds(void **state)
{
	struct t *t = *state;
	struct rpmb_device *d = NULL;
	assert_int_equal(rpmb_device_new(&t->store->base, RPMBD_WRITE_BLOCKS_LIMIT + 1, &d), -EINVAL);
	assert_int_equal(rpmb_device_new(&t->store->base, 4, &d), 0);
	assert_int_equal(rpmb_device_max_write_blocks(d), 4);
	rpmb_device_free(d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TX(f) cmocka_unit_test_setup_teardown(f, setup_expiring, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(device_get_info_reports_cid_size_and_rel_wr),
		T(program_key_ok),
		T(program_key_twice_write_failure),
		T(program_key_not_reliable_general_failure),
		T(program_key_two_frames_general_failure),
		T(program_key_store_failure_write_failure),
		T(program_key_response_only_via_result_read),
		T(read_counter_no_key_no_auth_key),
		T(read_counter_echoes_nonce_and_macs),
		T(read_counter_accepts_mmc_utils_frame),
		T(read_counter_read_as_two_frames_general_failure),
		T(data_write_ok_increments_counter_and_macs_result),
		T(data_write_multi_frame_one_mac_over_all_frames),
		T(data_write_no_key_no_auth_key),
		T(data_write_block_count_zero_general_failure),
		T(data_write_block_count_above_max_general_failure),
		T(data_write_block_count_not_cmd23_count_general_failure),
		T(data_write_not_reliable_general_failure),
		T(data_write_frames_disagreeing_general_failure),
		T(data_write_last_block_ok),
		T(data_write_one_past_end_address_failure),
		T(data_write_crossing_end_address_failure),
		T(data_write_bad_mac_auth_failure),
		T(data_write_counter_mismatch_counter_failure),
		T(data_write_store_failure_write_failure),
		T(data_write_store_failure_warns_with_context),
		T(store_failure_without_text_warns_errno),
		T(store_failure_warnings_rate_limited),
		T(data_write_order_no_key_before_block_count),
		T(data_write_order_block_count_before_address),
		T(data_write_order_address_before_mac),
		T(data_write_order_mac_before_counter),
		TX(data_write_reaching_max_counter_sets_expired),
		TX(data_write_expired_counter_write_failure),
		TX(data_write_order_expired_before_address),
		TX(program_key_on_expired_device_carries_expired_bit),
		T(data_read_frames_carry_nonce_address_count_mac_in_last),
		T(data_read_never_written_reads_zeros),
		T(data_read_no_key_no_auth_key),
		T(data_read_address_range_over_whole_read),
		T(data_read_block_count_not_cmd18_count_general_failure),
		T(data_read_store_failure_read_failure),
		T(data_read_damaged_block_read_failure_without_data),
		T(data_read_request_of_two_frames_general_failure),
		T(result_read_without_write_general_failure),
		T(result_read_after_counter_read_general_failure),
		T(result_read_repeats_last_write_result),
		T(unknown_request_general_failure),
		T(cmd18_without_request_general_failure),
		T(device_run_rejects_malformed_xfer),
		T(device_new_max_write_blocks_bounds),
	};
	warnings = g_ptr_array_new_with_free_func(g_free);
	messages = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(capture, NULL, NULL);
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	g_ptr_array_unref(messages);
	g_ptr_array_unref(warnings);
	return failed;
}
