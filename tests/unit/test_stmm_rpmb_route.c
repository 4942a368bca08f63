/* SPDX-License-Identifier: MIT */
/*
 * The RPMB route decision of stmmd's RPMB client (rpmb_route.h; optee_os tee_rpmb_init()):
 * PROBE_RESET first, legacy on NOT_SUPPORTED / NOT_IMPLEMENTED (NOT_IMPLEMENTED fatal with
 * the quirk), any other error fatal; on the kernel route PROBE_NEXT per device until the
 * counter read's MAC verifies, then every request as FRAMES.  Up to three REAL devices
 * (rpmb/device.c over in-memory stores) behind a fake normal world that answers each RPC
 * kind and counts them.
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
#include "emu_ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_client.h"
#include "rpmb_host.h"
#include "rpmb_route.h"

#define NDEV 3

struct fixture {
	struct mem_store store[NDEV];
	struct rpmb_device *dev[NDEV];
	unsigned ndev;
	int probe_reset_result;   /* what PROBE_RESET answers (0 = success) */
	int selected;             /* the device PROBE_NEXT selected; -1 none */
	unsigned legacy_rpcs, probe_resets, probe_nexts, frames_rpcs;
	unsigned frames_to[NDEV]; /* FRAMES per device */
	struct rpmb_client *client;
};

/* Run one request's frames on `dev` as tee-supplicant / the kernel's mmc driver do. */
static int run_frames(struct rpmb_device *dev, const uint8_t *req, size_t req_len, void *rsp,
		      size_t rsp_len)
{
	size_t req_nfrm = req_len / RPMB_FRAME_SIZE, rsp_nfrm = rsp_len / RPMB_FRAME_SIZE;
	assert_int_equal(req_len, req_nfrm * RPMB_FRAME_SIZE);
	assert_int_equal(rsp_len, rsp_nfrm * RPMB_FRAME_SIZE);
	g_autofree struct rpmb_frame *in = g_new0(struct rpmb_frame, req_nfrm);
	memcpy(in, req, req_len);
	struct rpmb_frame_info fi;
	rpmb_frame_get_info(&in[0], &fi);
	struct rpmb_frame result_read = { 0 };
	put_be16(result_read.req_resp, RPMB_REQ_RESULT_READ);
	struct rpmb_xfer x[3];
	size_t nx;
	if (fi.req_resp == RPMB_REQ_PROGRAM_KEY || fi.req_resp == RPMB_REQ_DATA_WRITE) {
		x[0] = (struct rpmb_xfer){ .write = true, .reliable = true, .blocks = (uint16_t)req_nfrm, .in = in };
		x[1] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = &result_read };
		x[2] = (struct rpmb_xfer){ .blocks = 1, .out = rsp };
		nx = 3;
	} else {
		x[0] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = in };
		x[1] = (struct rpmb_xfer){ .blocks = (uint16_t)rsp_nfrm, .out = rsp };
		nx = 2;
	}
	return rpmb_device_run(dev, x, nx);
}

/* Legacy OPTEE_RPC_CMD_RPMB: always device 0 (CFG_RPMB_FS_DEV_ID 0, one device). */
static int fake_legacy(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len)
{
	struct fixture *f = ctx;
	struct rpmb_req hdr;

	f->legacy_rpcs++;
	assert_true(req_len >= RPMB_REQ_HEADER_SIZE);
	memcpy(&hdr, req, RPMB_REQ_HEADER_SIZE);
	if (hdr.cmd == RPMB_CMD_GET_DEV_INFO) {
		struct rpmb_dev_info info;
		assert_int_equal(rsp_len, sizeof(info));
		fake_dev_info(f->dev[0], &info);
		memcpy(rsp, &info, sizeof(info));
		return 0;
	}
	assert_int_equal(hdr.cmd, RPMB_CMD_DATA_REQ);
	return run_frames(f->dev[0], (const uint8_t *)req + RPMB_REQ_HEADER_SIZE,
			  req_len - RPMB_REQ_HEADER_SIZE, rsp, rsp_len);
}

static int fake_probe_reset(void *ctx)
{
	struct fixture *f = ctx;
	f->probe_resets++;
	if (f->probe_reset_result == 0)
		f->selected = -1;
	return f->probe_reset_result;
}

static int fake_probe_next(void *ctx, struct rpmb_route_dev *ret)
{
	struct fixture *f = ctx;
	struct emu_mmc_info mi;

	f->probe_nexts++;
	int next = f->selected + 1;
	if (next >= (int)f->ndev) {
		f->selected = -1;
		return -ENOENT; /* TEEC_ERROR_ITEM_NOT_FOUND */
	}
	f->selected = next;
	rpmb_device_get_info(f->dev[next], &mi);
	*ret = (struct rpmb_route_dev){ .type = OPTEE_RPC_RPMB_EMMC,
					.rpmb_size_mult = mi.rpmb_size_mult,
					.rel_wr_sec_c = mi.rel_wr_sec_c };
	memcpy(ret->cid, mi.cid, sizeof(ret->cid));
	return 0;
}

static int fake_frames(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len)
{
	struct fixture *f = ctx;
	f->frames_rpcs++;
	if (f->selected < 0)
		return -ENOENT;
	f->frames_to[f->selected]++;
	/* raw frames: the first one is a frame, not a struct rpmb_req */
	assert_int_equal(req_len % RPMB_FRAME_SIZE, 0);
	return run_frames(f->dev[f->selected], req, req_len, rsp, rsp_len) < 0 ? -EINVAL : 0;
}

static const struct rpmb_route_ops fake_route = {
	.probe_reset = fake_probe_reset, .probe_next = fake_probe_next, .frames = fake_frames,
};

static int make_client(struct fixture *f, enum rpmb_route route, bool write_key, bool quirk)
{
	struct rpmb_client_config cfg = { .huk = RPMB_CLIENT_TEST_HUK, .write_key = write_key,
					  .route = route, .probe_not_impl_fatal = quirk };
	struct rpmb_client_transport tr = { .ctx = f, .call = fake_legacy, .route = &fake_route };
	/* the devices read their store (key, counter) when created: after the test set it up */
	for (unsigned i = 0; i < NDEV; i++)
		if (!f->dev[i])
			assert_int_equal(rpmb_device_new(&f->store[i].base, 0, &f->dev[i]), 0);
	rpmb_client_free(f->client);
	f->client = NULL;
	return rpmb_client_new(&cfg, &tr, &f->client);
}

static void cid_for(unsigned i, uint8_t cid[16])
{
	static const uint8_t base[16] = RPMB_EMU_DEFAULT_CID;
	memcpy(cid, base, 16);
	cid[10] = (uint8_t)(0xa0 + i); /* product serial number: differs per device */
}

/* Program the key OP-TEE derives for device i's CID (or a foreign one). */
static void program_key(struct fixture *f, unsigned i, bool foreign)
{
	uint8_t key[32];
	assert_int_equal(rpmb_client_derive_key((uint8_t[16]){ 0 }, f->store[i].meta.cid, key), 0);
	if (foreign)
		key[0] ^= 0x5a;
	memcpy(f->store[i].meta.key, key, sizeof(key));
	f->store[i].meta.key_set = true;
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	for (unsigned i = 0; i < NDEV; i++) {
		f->store[i].base.ops = &mem_ops;
		cid_for(i, f->store[i].meta.cid);
		f->store[i].meta.size_mult = MEM_SIZE_MULT;
		f->store[i].meta.rel_wr_sec_c = 1;
	}
	f->ndev = 1;
	f->selected = -1;
	program_key(f, 0, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rpmb_client_free(f->client);
	for (unsigned i = 0; i < NDEV; i++)
		rpmb_device_free(f->dev[i]);
	g_free(f);
	return 0;
}

static void write_read_back(struct fixture *f)
{
	uint8_t data[RPMB_DATA_SIZE], back[RPMB_DATA_SIZE];
	memset(data, 0x3c, sizeof(data));
	assert_int_equal(rpmb_client_write(f->client, 5, data, 1), 0);
	assert_int_equal(rpmb_client_read(f->client, 5, back, 1), 0);
	assert_memory_equal(data, back, sizeof(data));
}

/* ---- rpmb_route_decide ------------------------------------------------------------- */

static void decide_table(void **state)
{
	(void)state;
	assert_int_equal(rpmb_route_decide(0, false), RPMB_ROUTE_USE_PROBE);
	assert_int_equal(rpmb_route_decide(-EOPNOTSUPP, false), RPMB_ROUTE_FALL_BACK);
	assert_int_equal(rpmb_route_decide(-EOPNOTSUPP, true), RPMB_ROUTE_FALL_BACK);
	assert_int_equal(rpmb_route_decide(-ENOSYS, false), RPMB_ROUTE_FALL_BACK);
	assert_int_equal(rpmb_route_decide(-ENOSYS, true), RPMB_ROUTE_FATAL);
	assert_int_equal(rpmb_route_decide(-ENOENT, false), RPMB_ROUTE_FATAL);
	assert_int_equal(rpmb_route_decide(-EIO, false), RPMB_ROUTE_FATAL);
	assert_int_equal(rpmb_route_decide(-ECOMM, false), RPMB_ROUTE_FATAL);
	assert_int_equal(rpmb_route_decide(-ETIMEDOUT, false), RPMB_ROUTE_FATAL);
}

static void route_parse_names(void **state)
{
	enum rpmb_route r;
	(void)state;
	assert_int_equal(rpmb_route_parse(NULL, &r), 0);
	assert_int_equal(r, RPMB_ROUTE_PROBE);
	assert_int_equal(rpmb_route_parse("legacy", &r), 0);
	assert_int_equal(r, RPMB_ROUTE_LEGACY);
	assert_int_equal(rpmb_route_parse("probe", &r), 0);
	assert_int_equal(r, RPMB_ROUTE_PROBE);
	assert_int_equal(rpmb_route_parse("kernel", &r), -EINVAL);
}

/* ---- the client's init -------------------------------------------------------------- */

static void probe_kernel_route_uses_frames_only(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;

	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	write_read_back(f);
	rpmb_client_get_status(f->client, &st);
	assert_true(st.kernel_route);
	assert_true(st.key_programmed);
	assert_int_equal(f->probe_resets, 1);
	assert_int_equal(f->probe_nexts, 1);
	assert_int_equal(f->legacy_rpcs, 0);
	assert_int_equal(f->frames_rpcs, 3); /* counter read, write, read */
}

static void probe_not_supported_falls_back(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;

	f->probe_reset_result = -EOPNOTSUPP; /* tee-supplicant */
	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, true), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	write_read_back(f);
	rpmb_client_get_status(f->client, &st);
	assert_false(st.kernel_route);
	assert_int_equal(f->probe_resets, 1);
	assert_int_equal(f->probe_nexts, 0);
	assert_int_equal(f->frames_rpcs, 0);
	assert_int_equal(f->legacy_rpcs, 4); /* GET_DEV_INFO, counter, write, read */
}

static void probe_not_implemented_falls_back(void **state)
{
	struct fixture *f = *state;

	f->probe_reset_result = -ENOSYS; /* U-Boot <= v2025.01, optee_os >= 96e8f740b */
	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(f->legacy_rpcs, 2);
	assert_int_equal(f->frames_rpcs, 0);
}

static void probe_not_implemented_fatal_with_quirk(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[RPMB_DATA_SIZE];

	f->probe_reset_result = -ENOSYS;
	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, true), 0);
	assert_int_equal(rpmb_client_init(f->client), -ENOSYS);
	assert_int_equal(rpmb_client_read(f->client, 0, buf, 1), -ENOSYS); /* every time */
	assert_int_equal(f->probe_resets, 2);
	assert_int_equal(f->legacy_rpcs, 0);
}

static void probe_other_error_fatal(void **state)
{
	struct fixture *f = *state;

	f->probe_reset_result = -ECOMM; /* e.g. no normal world answering */
	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), -ECOMM);
	assert_int_equal(f->legacy_rpcs, 0);
}

static void legacy_route_never_probes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(make_client(f, RPMB_ROUTE_LEGACY, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(f->probe_resets, 0);
	assert_int_equal(f->legacy_rpcs, 2);
}

/* optee_os tee_rpmb_init(): IS_ENABLED(CFG_RPMB_WRITE_KEY) -> legacy_rpmb_init() */
static void write_key_forces_legacy(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, true, false), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(f->probe_resets, 0);
	assert_int_equal(f->legacy_rpcs, 2);
}

static void probe_picks_the_device_whose_key_verifies(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;
	uint8_t key[32], want[32];

	/* device 0 keyless, device 1 a foreign key, device 2 the right key */
	f->ndev = 3;
	f->store[0].meta.key_set = false;
	program_key(f, 1, true);
	program_key(f, 2, false);
	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(f->probe_nexts, 3);
	assert_int_equal(f->selected, 2);
	assert_int_equal(rpmb_client_get_key(f->client, key), 0);
	assert_int_equal(rpmb_client_derive_key((uint8_t[16]){ 0 }, f->store[2].meta.cid, want), 0);
	assert_memory_equal(key, want, sizeof(key));
	write_read_back(f);
	rpmb_client_get_status(f->client, &st);
	assert_int_equal(st.write_counter, 1);
	/* the others saw one counter read each and nothing was written to them */
	assert_int_equal(f->frames_to[0], 1);
	assert_int_equal(f->frames_to[1], 1);
	bool key_set;
	uint32_t counter;
	rpmb_device_get_state(f->dev[0], &key_set, &counter);
	assert_false(key_set);
	rpmb_device_get_state(f->dev[1], &key_set, &counter);
	assert_true(key_set);
	assert_int_equal(counter, 0);
	assert_int_equal(f->store[0].writes + f->store[1].writes, 0);
	rpmb_device_get_state(f->dev[2], &key_set, &counter);
	assert_int_equal(counter, 1);
	assert_int_equal(f->legacy_rpcs, 0);
}

static void probe_no_device_verifies(void **state)
{
	struct fixture *f = *state;
	struct rpmb_client_status st;

	f->ndev = 2;
	f->store[0].meta.key_set = false;
	program_key(f, 1, true);
	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), -ENOENT); /* ITEM_NOT_FOUND */
	rpmb_client_get_status(f->client, &st);
	assert_false(st.initialized);
	assert_false(st.kernel_route);
	assert_int_equal(f->legacy_rpcs, 0);
	bool key_set;
	rpmb_device_get_state(f->dev[0], &key_set, NULL);
	assert_false(key_set); /* never programs a key on this route */
}

/* The dead state is the same on both routes: 10 attempts, then -ECOMM until a reset. */
static void kernel_route_goes_dead_like_legacy(void **state)
{
	struct fixture *f = *state;
	uint8_t data[RPMB_DATA_SIZE] = { 0 };
	struct rpmb_client_status st;

	assert_int_equal(make_client(f, RPMB_ROUTE_PROBE, false, false), 0);
	assert_int_equal(rpmb_client_init(f->client), 0);
	f->store[0].cut_at = f->store[0].writes + 1; /* every write fails from now on */
	unsigned before = f->frames_rpcs;
	assert_int_equal(rpmb_client_write(f->client, 1, data, 1), -ECOMM);
	assert_int_equal(f->frames_rpcs - before, RPMB_CLIENT_MAX_RETRIES);
	rpmb_client_get_status(f->client, &st);
	assert_true(st.dead);
	assert_int_equal(rpmb_client_read(f->client, 1, data, 1), -ECOMM);
	rpmb_client_reset(f->client);
	f->store[0].cut_at = 0;
	f->store[0].off = false;
	assert_int_equal(rpmb_client_init(f->client), 0);
	assert_int_equal(f->probe_resets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decide_table),
		cmocka_unit_test(route_parse_names),
		cmocka_unit_test_setup_teardown(probe_kernel_route_uses_frames_only, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_not_supported_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_not_implemented_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_not_implemented_fatal_with_quirk, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_other_error_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(legacy_route_never_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(write_key_forces_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_picks_the_device_whose_key_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_no_device_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_route_goes_dead_like_legacy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
