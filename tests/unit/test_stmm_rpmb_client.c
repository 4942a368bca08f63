/* SPDX-License-Identifier: MIT */
/*
 * stmmd's RPMB client against the REAL device logic (rpmb/device.c, compiled into this
 * test over an in-memory rpmb_store) through an in-process transport that does what
 * supplicantd does: GET_DEV_INFO from the device, DATA_REQ as CMD23/CMD25(/RESULT_READ)/
 * CMD18 transfers.  A tamper hook corrupts responses to check the client's rejections.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "device.h"
#include "storage.h"
#include "test_rpmb_memstore.h"

#include "bytes.h"
#include "optee_rpmb.h"
#include "rpmb_client.h"
#include "rpmb_host.h"

/*
 * Key for the default test HUK (16 zero bytes) and the RPMB_EMU test CID
 * fe014e4d4d4330344742c8f6552a6115, computed at development time with
 *   python3 -c "import hmac,hashlib; c=bytearray.fromhex('fe014e4d4d4330344742c8f6552a6115');
 *     c[9]=0; c[15]=0; print(hmac.new(bytes(16), bytes(4)+bytes(c), hashlib.sha256).hexdigest())"
 * and cross-checked with
 *   printf 00000000fe014e4d4d43303447 00c8f6552a6100 | tr -d ' ' | xxd -r -p |
 *     openssl mac -digest SHA256 -macopt hexkey:00000000000000000000000000000000 HMAC
 */
static const uint8_t default_key[32] = {
	0x7d, 0xf2, 0x2a, 0x3d, 0x5b, 0x8f, 0x1d, 0x61, 0x7e, 0x03, 0xda, 0x57, 0x11, 0xf8, 0xcb, 0x1f,
	0xdb, 0xa1, 0x55, 0x3d, 0x2b, 0x0e, 0x30, 0x06, 0x12, 0x5d, 0x67, 0x2e, 0x22, 0x51, 0x2e, 0xc7,
};

/* ---- the fake supplicant + device ---------------------------------------------------- */

enum tamper {
	TAMPER_NONE,
	TAMPER_MAC,           /* flip a MAC bit of the last response frame */
	TAMPER_NONCE,         /* flip a nonce bit of the last response frame (MAC stays valid) */
	TAMPER_STALE_COUNTER, /* write result keeps the old counter, correctly MACed */
	TAMPER_TRANSPORT,     /* the RPC fails after the device executed it */
	TAMPER_DROP_BEFORE,   /* the RPC fails before the request reached the device */
};

#define MAX_LOGGED_WRITES 32

struct fixture {
	struct mem_store store;
	struct rpmb_device *dev;
	enum tamper tamper;
	uint16_t tamper_on;   /* response type to tamper with (0: any) */
	unsigned tamper_left; /* tamper with this many responses, then stop; 0 = always */
	unsigned data_writes; /* DATA_WRITE requests seen */
	unsigned rpcs;
	struct rpmb_frame written[MAX_LOGGED_WRITES]; /* the DATA_WRITE frames sent, in order */
	struct rpmb_client *client;
};

static void resign(struct fixture *f, struct rpmb_frame *frames, size_t n)
{
	bool key_set;
	rpmb_device_get_state(f->dev, &key_set, NULL);
	assert_true(key_set);
	assert_int_equal(rpmb_sign_frames(f->store.meta.key, frames, n), 0);
}

/* Does the armed tamper apply to a response of this type?  Counts it down. */
static bool take_tamper(struct fixture *f, uint16_t resp_type)
{
	if (f->tamper == TAMPER_NONE || (f->tamper_on && resp_type != f->tamper_on))
		return false;
	if (f->tamper_left && --f->tamper_left == 0)
		f->tamper_on = 0xffff; /* spent: matches no response type */
	return true;
}

static int fake_call(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len)
{
	struct fixture *f = ctx;
	struct rpmb_req hdr;

	f->rpcs++;
	assert_true(req_len >= RPMB_REQ_HEADER_SIZE);
	memcpy(&hdr, req, RPMB_REQ_HEADER_SIZE);
	assert_int_equal(hdr.dev_id, 0);
	if (hdr.cmd == RPMB_CMD_GET_DEV_INFO) {
		struct rpmb_dev_info info;
		assert_int_equal(req_len, RPMB_REQ_HEADER_SIZE);
		assert_int_equal(rsp_len, sizeof(info));
		fake_dev_info(f->dev, &info);
		memcpy(rsp, &info, sizeof(info));
		return 0;
	}
	assert_int_equal(hdr.cmd, RPMB_CMD_DATA_REQ);
	size_t req_nfrm = (req_len - RPMB_REQ_HEADER_SIZE) / RPMB_FRAME_SIZE;
	size_t rsp_nfrm = rsp_len / RPMB_FRAME_SIZE;
	assert_int_equal(req_len, RPMB_REQ_HEADER_SIZE + req_nfrm * RPMB_FRAME_SIZE);
	assert_int_equal(rsp_len, rsp_nfrm * RPMB_FRAME_SIZE);
	g_autofree struct rpmb_frame *in = g_new0(struct rpmb_frame, req_nfrm);
	memcpy(in, (const uint8_t *)req + RPMB_REQ_HEADER_SIZE, req_nfrm * RPMB_FRAME_SIZE);
	struct rpmb_frame_info fi;
	rpmb_frame_get_info(&in[0], &fi);

	struct rpmb_frame *out = rsp;
	struct rpmb_frame result_read = { 0 };
	put_be16(result_read.req_resp, RPMB_REQ_RESULT_READ);
	struct rpmb_xfer x[3];
	size_t nx;
	if (fi.req_resp == RPMB_REQ_PROGRAM_KEY || fi.req_resp == RPMB_REQ_DATA_WRITE) {
		if (fi.req_resp == RPMB_REQ_DATA_WRITE) {
			if (f->data_writes < MAX_LOGGED_WRITES)
				f->written[f->data_writes] = in[0];
			f->data_writes++;
			assert_int_equal(req_nfrm, 1); /* OP-TEE: one block per write request */
			assert_int_equal(hdr.block_count, 0);
		}
		assert_int_equal(rsp_nfrm, 1);
		x[0] = (struct rpmb_xfer){ .write = true, .reliable = true, .blocks = (uint16_t)req_nfrm, .in = in };
		x[1] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = &result_read };
		x[2] = (struct rpmb_xfer){ .blocks = 1, .out = out };
		nx = 3;
	} else {
		assert_int_equal(req_nfrm, 1);
		if (fi.req_resp == RPMB_REQ_DATA_READ)
			assert_int_equal(hdr.block_count, rsp_nfrm);
		x[0] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = in };
		x[1] = (struct rpmb_xfer){ .blocks = (uint16_t)rsp_nfrm, .out = out };
		nx = 2;
	}
	if (f->tamper == TAMPER_DROP_BEFORE && take_tamper(f, (uint16_t)(fi.req_resp << 8)))
		return -ECONNRESET; /* the supplicant died before relaying it */
	assert_int_equal(rpmb_device_run(f->dev, x, nx), 0);

	struct rpmb_frame *last = &out[rsp_nfrm - 1];
	rpmb_frame_get_info(last, &fi);
	if (f->tamper == TAMPER_DROP_BEFORE || !take_tamper(f, fi.req_resp))
		return 0;
	switch (f->tamper) {
	case TAMPER_NONE:
		break;
	case TAMPER_MAC:
		last->key_mac[7] ^= 0x01;
		break;
	case TAMPER_NONCE:
		last->nonce[3] ^= 0x80;
		resign(f, out, rsp_nfrm);
		break;
	case TAMPER_STALE_COUNTER:
		put_be32(last->write_counter, fi.write_counter - 1);
		resign(f, out, rsp_nfrm);
		break;
	case TAMPER_TRANSPORT:
		return -ETIMEDOUT;
	case TAMPER_DROP_BEFORE:
		break;
	}
	return 0;
}

static int make_client(struct fixture *f, bool write_key, const uint8_t *huk)
{
	struct rpmb_client_config cfg = { .huk = RPMB_CLIENT_TEST_HUK, .write_key = write_key };
	struct rpmb_client_transport tr = { .ctx = f, .call = fake_call };
	if (huk)
		memcpy(cfg.huk, huk, RPMB_CLIENT_HUK_SIZE);
	rpmb_client_free(f->client);
	f->client = NULL;
	return rpmb_client_new(&cfg, &tr, &f->client);
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	f->store.base.ops = &mem_ops;
	memcpy(f->store.meta.cid, cid, 16);
	f->store.meta.size_mult = MEM_SIZE_MULT;
	f->store.meta.rel_wr_sec_c = 1;
	assert_int_equal(rpmb_device_new(&f->store.base, 0, &f->dev), 0);
	assert_int_equal(make_client(f, true, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rpmb_client_free(f->client);
	rpmb_device_free(f->dev);
	g_free(f);
	return 0;
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void derive_key_default_vector(void **state)
{
	(void)state;
	static const uint8_t huk[16] = RPMB_CLIENT_TEST_HUK;
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	uint8_t key[32];
	assert_int_equal(rpmb_client_derive_key(huk, cid, key), 0);
	assert_memory_equal(key, default_key, 32);
}

static void derive_key_ignores_prv_and_crc(void **state)
{
	(void)state;
	static const uint8_t huk[16] = RPMB_CLIENT_TEST_HUK;
	uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	uint8_t key[32];
	cid[RPMB_CID_PRV_BYTE] = 0x99; /* firmware update changed the product revision */
	cid[RPMB_CID_CRC_BYTE] = 0x01;
	assert_int_equal(rpmb_client_derive_key(huk, cid, key), 0);
	assert_memory_equal(key, default_key, 32);
	cid[0] ^= 1;
	assert_int_equal(rpmb_client_derive_key(huk, cid, key), 0);
	assert_memory_not_equal(key, default_key, 32);
}

static void init_programs_key(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;
	uint8_t key[32];

	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_true(f->store.meta.key_set);
	assert_memory_equal(f->store.meta.key, default_key, 32);
	assert_int_equal(rpmb_client_get_key(f->client, key), 0);
	assert_memory_equal(key, default_key, 32);
	rpmb_client_get_status(f->client, &st);
	assert_true(st.initialized && st.key_programmed && st.counter_synced);
	assert_int_equal(st.write_counter, 0);
	assert_int_equal(st.size_blocks, MEM_SIZE_MULT * 512);
	/* GET_DEV_INFO, counter (NO_AUTH_KEY), PROGRAM_KEY, counter. */
	assert_int_equal(f->rpcs, 4);
	/* Initialised: no further RPC. */
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(f->rpcs, 4);
}

static void init_without_write_key_fails(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(make_client(f, false, NULL), 0);
	assert_int_equal(rpmb_client_init(f->client), -ENOKEY);
	assert_false(f->store.meta.key_set);
}

static void counter_syncs_to_device(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;
	uint8_t blk[256];

	assert_int_equal(rpmb_client_init(f->client), 0);
	fill(blk, sizeof(blk), 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(rpmb_client_write(f->client, 10, blk, 1), 0);
	assert_int_equal(f->store.meta.write_counter, 5);

	/* A new instance (reboot) reads the counter with a fresh nonce and continues from it. */
	assert_int_equal(make_client(f, false, NULL), 0);
	assert_int_equal(rpmb_client_write(f->client, 11, blk, 1), 0);
	rpmb_client_get_status(f->client, &st);
	assert_true(st.counter_synced);
	assert_int_equal(st.write_counter, 6);
	assert_int_equal(f->store.meta.write_counter, 6);
}

static void write_one_block_per_request(void **state)
{
	struct fixture *f = *state;
	uint8_t data[4 * 256], back[4 * 256];

	fill(data, sizeof(data), 3);
	assert_int_equal(rpmb_client_write(f->client, 100, data, 4), 0);
	assert_int_equal(f->data_writes, 4);
	assert_int_equal(f->store.meta.write_counter, 4);
	assert_memory_equal(f->store.blocks + 100 * 256, data, sizeof(data));
	assert_int_equal(rpmb_client_read(f->client, 100, back, 4), 0);
	assert_memory_equal(back, data, sizeof(data));
}

static void read_large_spans_requests(void **state)
{
	struct fixture *f = *state;
	const size_t n = 200;
	g_autofree uint8_t *want = g_malloc(n * 256), *got = g_malloc(n * 256);

	fill(want, n * 256, 9);
	memcpy(f->store.blocks + 300 * 256, want, n * 256);
	assert_int_equal(rpmb_client_read(f->client, 300, got, n), 0);
	assert_memory_equal(got, want, n * 256);
}

static void read_rejects_bad_mac(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2 * 256];
	assert_int_equal(rpmb_client_init(f->client), 0);
	f->tamper = TAMPER_MAC;
	assert_int_equal(rpmb_client_read(f->client, 0, buf, 2), -EBADMSG);
}

static void read_rejects_bad_nonce(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[256];
	assert_int_equal(rpmb_client_init(f->client), 0);
	f->tamper = TAMPER_NONCE;
	assert_int_equal(rpmb_client_read(f->client, 0, buf, 1), -EBADMSG);
}

static void counter_read_rejects_bad_mac(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(make_client(f, true, NULL), 0);
	f->tamper = TAMPER_MAC;
	f->tamper_on = RPMB_RESP_WRITE_COUNTER;
	assert_int_equal(rpmb_client_init(f->client), -EBADMSG);
	f->tamper = TAMPER_NONE;
	assert_int_equal(rpmb_client_init(f->client), 0);
}

static void counter_read_rejects_bad_nonce(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(make_client(f, true, NULL), 0);
	f->tamper = TAMPER_NONCE;
	f->tamper_on = RPMB_RESP_WRITE_COUNTER;
	assert_int_equal(rpmb_client_init(f->client), -EBADMSG);
}

static void wrong_huk_rejected(void **state)
{
	struct fixture *f = *state;
	static const uint8_t other_huk[16] = { 1 };
	assert_int_equal(rpmb_client_init(f->client), 0);
	/* The device MACs with the programmed key; another HUK derives another key. */
	assert_int_equal(make_client(f, true, other_huk), 0);
	assert_int_equal(rpmb_client_init(f->client), -EBADMSG);
}

/* Arm a tamper for the next `n` responses of `type` (0: every one). */
static void arm(struct fixture *f, enum tamper t, uint16_t type, unsigned n)
{
	f->tamper = t;
	f->tamper_on = type;
	f->tamper_left = n;
}

static void assert_dead_and_silent(struct fixture *f)
{
	struct rpmb_client_status st;
	uint8_t blk[256] = { 0 };

	rpmb_client_get_status(f->client, &st);
	assert_true(st.dead);
	assert_true(st.dead_since > 0);
	/* tee_rpmb_init fails at once while rpmb_dead: nothing more reaches the supplicant. */
	unsigned rpcs = f->rpcs;
	assert_int_equal(rpmb_client_read(f->client, 1, blk, 1), -ECOMM);
	assert_int_equal(rpmb_client_write(f->client, 1, blk, 1), -ECOMM);
	assert_int_equal(rpmb_client_init(f->client), -ECOMM);
	assert_int_equal(f->rpcs, rpcs);
}

/* S2: the device commits, the answer is lost; every resend of the identical frame then meets
 * COUNTER_FAILURE; after RPMB_MAX_RETRIES (10) sends the RPMB is dead until a reset. */
static void write_lost_response_goes_dead(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;
	uint8_t blk[256], back[256];

	assert_int_equal(rpmb_client_init(f->client), 0);
	uint32_t c0 = f->store.meta.write_counter;
	fill(blk, sizeof(blk), 9);
	arm(f, TAMPER_TRANSPORT, RPMB_RESP_DATA_WRITE, 1);
	assert_int_equal(rpmb_client_write(f->client, 4, blk, 1), -ECOMM);
	assert_int_equal(f->data_writes, RPMB_CLIENT_MAX_RETRIES);
	for (unsigned i = 1; i < f->data_writes; i++)
		assert_memory_equal(&f->written[i], &f->written[0], sizeof(f->written[0]));
	assert_int_equal(f->store.meta.write_counter, c0 + 1); /* committed exactly once */
	rpmb_client_get_status(f->client, &st);
	assert_int_equal(st.last_failure.error, -EIO);
	assert_int_equal(st.last_failure.result, RPMB_RESULT_COUNTER_FAILURE);
	assert_int_equal(st.last_failure.address, 4);
	assert_int_equal(st.last_failure.write_counter, c0);
	assert_int_equal(st.last_failure.attempts, RPMB_CLIENT_MAX_RETRIES);
	assert_int_equal(st.retries, RPMB_CLIENT_MAX_RETRIES - 1);
	assert_dead_and_silent(f);

	/* A reboot re-reads: the "failed" write is there, and writes work again. */
	rpmb_client_reset(f->client);
	assert_int_equal(rpmb_client_read(f->client, 4, back, 1), 0);
	assert_memory_equal(back, blk, sizeof(blk));
	assert_int_equal(rpmb_client_write(f->client, 5, blk, 1), 0);
	rpmb_client_get_status(f->client, &st);
	assert_false(st.dead);
	assert_int_equal(st.write_counter, c0 + 2);
}

/* A request that never reached the device is resent harmlessly: same frame, one commit. */
static void write_not_reaching_device_is_retried(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;
	uint8_t blk[256];

	assert_int_equal(rpmb_client_init(f->client), 0);
	uint32_t c0 = f->store.meta.write_counter;
	fill(blk, sizeof(blk), 3);
	arm(f, TAMPER_DROP_BEFORE, RPMB_RESP_DATA_WRITE, RPMB_CLIENT_MAX_RETRIES - 1);
	assert_int_equal(rpmb_client_write(f->client, 2, blk, 1), 0);
	assert_int_equal(f->data_writes, RPMB_CLIENT_MAX_RETRIES);
	assert_memory_equal(&f->written[RPMB_CLIENT_MAX_RETRIES - 1], &f->written[0], sizeof(f->written[0]));
	assert_int_equal(f->store.meta.write_counter, c0 + 1);
	rpmb_client_get_status(f->client, &st);
	assert_false(st.dead);
	assert_true(st.counter_synced);
	assert_int_equal(st.write_counter, c0 + 1);
	assert_int_equal(st.retries, RPMB_CLIENT_MAX_RETRIES - 1);
	assert_int_equal(st.last_failure.error, -ECONNRESET);
	assert_int_equal(st.last_failure.result, 0xffff);
}

/* Ten sends that all fail: dead, although the device never saw a frame. */
static void write_ten_failures_go_dead(void **state)
{
	struct fixture *f = *state;
	uint8_t blk[256] = { 0 };

	assert_int_equal(rpmb_client_init(f->client), 0);
	uint32_t c0 = f->store.meta.write_counter;
	arm(f, TAMPER_DROP_BEFORE, RPMB_RESP_DATA_WRITE, 0);
	assert_int_equal(rpmb_client_write(f->client, 2, blk, 1), -ECOMM);
	assert_int_equal(f->data_writes, RPMB_CLIENT_MAX_RETRIES);
	assert_int_equal(f->store.meta.write_counter, c0);
	assert_dead_and_silent(f);
}

/* An OK response whose counter is not sent + 1 is a security error; OP-TEE packs the next
 * attempt with the counter the device answered (here the stale one: the identical frame),
 * which the device, having committed, refuses: dead. */
static void write_rejects_counter_not_advancing(void **state)
{
	struct fixture *f = *state;
	uint8_t blk[256];

	fill(blk, sizeof(blk), 5);
	assert_int_equal(rpmb_client_write(f->client, 1, blk, 1), 0);
	uint32_t c0 = f->store.meta.write_counter;
	arm(f, TAMPER_STALE_COUNTER, RPMB_RESP_DATA_WRITE, 1);
	assert_int_equal(rpmb_client_write(f->client, 2, blk, 1), -ECOMM);
	assert_int_equal(f->store.meta.write_counter, c0 + 1);
	assert_memory_equal(&f->written[2], &f->written[1], sizeof(f->written[1]));
	assert_dead_and_silent(f);
}

/* A bad MAC after the counter check passed: OP-TEE has already counted the write
 * (rpmb_ctx->wr_cnt++) and packs the resend with the answered counter, so the device
 * commits the block a second time and the write succeeds. */
static void write_bad_mac_resends_with_answered_counter(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;
	uint8_t blk[256] = { 0 };

	assert_int_equal(rpmb_client_init(f->client), 0);
	uint32_t c0 = f->store.meta.write_counter;
	arm(f, TAMPER_MAC, RPMB_RESP_DATA_WRITE, 1);
	assert_int_equal(rpmb_client_write(f->client, 1, blk, 1), 0);
	assert_int_equal(f->data_writes, 2);
	assert_int_equal(get_be32(f->written[0].write_counter), c0);
	assert_int_equal(get_be32(f->written[1].write_counter), c0 + 1);
	assert_int_equal(f->store.meta.write_counter, c0 + 2);
	rpmb_client_get_status(f->client, &st);
	assert_false(st.dead);
	assert_int_equal(st.write_counter, c0 + 2);
	assert_int_equal(st.last_failure.error, -EBADMSG);
}

/* optee_os rpmb_fs_setup(): read block 0, write it back unchanged, read it again. */
static void setup_rewrites_block0(void **state)
{
	struct fixture *f = *state;
	uint8_t blk[256], back[256];

	fill(blk, sizeof(blk), 1);
	assert_int_equal(rpmb_client_write(f->client, 0, blk, 1), 0);
	uint32_t c0 = f->store.meta.write_counter;
	unsigned rpcs = f->rpcs;
	assert_int_equal(rpmb_client_setup(f->client), 0);
	assert_int_equal(f->rpcs - rpcs, 3);
	assert_int_equal(f->store.meta.write_counter, c0 + 1);
	assert_memory_equal(f->store.blocks, blk, sizeof(blk));
	assert_int_equal(rpmb_client_read(f->client, 0, back, 1), 0);
	assert_memory_equal(back, blk, sizeof(blk));
	/* Once per boot. */
	rpcs = f->rpcs;
	assert_int_equal(rpmb_client_setup(f->client), 0);
	assert_int_equal(f->rpcs, rpcs);
}

static void range_checked(void **state)
{
	struct fixture *f = *state;
	uint8_t blk[2 * 256] = { 0 };
	assert_int_equal(rpmb_client_read(f->client, MEM_SIZE_MULT * 512, blk, 1), -ERANGE);
	assert_int_equal(rpmb_client_write(f->client, MEM_SIZE_MULT * 512 - 1, blk, 2), -ERANGE);
	assert_int_equal(f->data_writes, 0);
}

static void store_backend_blocks(void **state)
{
	struct fixture *f = *state;
	struct store_backend be;
	uint8_t data[512], back[512];

	rpmb_client_store_backend(f->client, &be);
	fill(data, sizeof(data), 11);
	assert_int_equal(be.write(be.ctx, 256 * 7, data, sizeof(data)), 0);
	assert_int_equal(be.read(be.ctx, 256 * 7, back, sizeof(back)), 0);
	assert_memory_equal(back, data, sizeof(data));
	assert_int_equal(be.write(be.ctx, 100, data, 256), -EINVAL);
	assert_int_equal(be.read(be.ctx, 0, back, 100), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(derive_key_default_vector),
		cmocka_unit_test(derive_key_ignores_prv_and_crc),
		cmocka_unit_test_setup_teardown(init_programs_key, setup, teardown),
		cmocka_unit_test_setup_teardown(init_without_write_key_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(counter_syncs_to_device, setup, teardown),
		cmocka_unit_test_setup_teardown(write_one_block_per_request, setup, teardown),
		cmocka_unit_test_setup_teardown(read_large_spans_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(read_rejects_bad_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(read_rejects_bad_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(counter_read_rejects_bad_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(counter_read_rejects_bad_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_huk_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(write_rejects_counter_not_advancing, setup, teardown),
		cmocka_unit_test_setup_teardown(write_lost_response_goes_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(write_not_reaching_device_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(write_ten_failures_go_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(write_bad_mac_resends_with_answered_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(setup_rewrites_block0, setup, teardown),
		cmocka_unit_test_setup_teardown(range_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(store_backend_blocks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
