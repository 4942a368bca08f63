/* SPDX-License-Identifier: MIT */
/*
 * rpmbd's real device (rpmb/device.c) over the in-memory store of the unit tests
 * (tests/unit/test_rpmb_memstore.h), for the harnesses that reach rpmbd.  The device and
 * its blocks persist between inputs; fuzz_rpmbdev_get() rebuilds both every
 * FUZZ_RESET_EVERY calls.  Every second rebuild starts with FUZZ_RPMB_KEY programmed, so
 * a harness can MAC its write frames with fuzz_rpmb_sign() and reach the paths behind the
 * MAC check (a fuzzer cannot forge an HMAC).
 */
#ifndef STMM_EMU_FUZZ_RPMBDEV_H
#define STMM_EMU_FUZZ_RPMBDEV_H

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "rpmb_host.h"
#include "test_rpmb_memstore.h"

static const uint8_t FUZZ_RPMB_KEY[RPMB_KEY_SIZE] = "stmm-emu fuzz RPMB key 32 bytes";

static struct mem_store *fuzz_rpmb_store;
static struct rpmb_device *fuzz_rpmb_dev;

static inline struct rpmb_device *fuzz_rpmbdev_get(void)
{
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	static unsigned calls, cycles;

	(void)fake_dev_info; /* the memstore header's, for the unit tests */

	if (calls++ % FUZZ_RESET_EVERY)
		return fuzz_rpmb_dev;
	rpmb_device_free(fuzz_rpmb_dev);
	g_free(fuzz_rpmb_store);
	fuzz_rpmb_store = g_new0(struct mem_store, 1);
	fuzz_rpmb_store->base.ops = &mem_ops;
	memcpy(fuzz_rpmb_store->meta.cid, cid, sizeof(cid));
	fuzz_rpmb_store->meta.size_mult = MEM_SIZE_MULT;
	fuzz_rpmb_store->meta.rel_wr_sec_c = 1;
	if (cycles++ % 2) {
		memcpy(fuzz_rpmb_store->meta.key, FUZZ_RPMB_KEY, RPMB_KEY_SIZE);
		fuzz_rpmb_store->meta.key_set = true;
	}
	if (rpmb_device_new(&fuzz_rpmb_store->base, 0, &fuzz_rpmb_dev) < 0) {
		fprintf(stderr, "fuzz: cannot create the RPMB device\n");
		abort();
	}
	return fuzz_rpmb_dev;
}

/* MAC n request frames with FUZZ_RPMB_KEY, as a host holding the key would. */
static inline void fuzz_rpmb_sign(struct rpmb_frame *frames, size_t n)
{
	if (n && rpmb_sign_frames(FUZZ_RPMB_KEY, frames, n) < 0)
		abort();
}

#endif
