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

/* Free *dev and *store (either may be NULL) and replace them with a new device over an
 * empty in-memory store, with FUZZ_RPMB_KEY programmed when `keyed`. */
static inline void fuzz_rpmbdev_renew(bool keyed, struct mem_store **store,
				      struct rpmb_device **dev)
{
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;

	(void)fake_dev_info; /* the memstore header's, for the unit tests */
	rpmb_device_free(*dev);
	*dev = NULL;
	g_free(*store);
	*store = g_new0(struct mem_store, 1);
	(*store)->base.ops = &mem_ops;
	memcpy((*store)->meta.cid, cid, sizeof(cid));
	(*store)->meta.size_mult = MEM_SIZE_MULT;
	(*store)->meta.rel_wr_sec_c = 1;
	if (keyed) {
		memcpy((*store)->meta.key, FUZZ_RPMB_KEY, RPMB_KEY_SIZE);
		(*store)->meta.key_set = true;
	}
	if (rpmb_device_new(&(*store)->base, 0, dev) < 0) {
		fprintf(stderr, "fuzz: cannot create the RPMB device\n");
		abort();
	}
}

static inline struct rpmb_device *fuzz_rpmbdev_get(void)
{
	static unsigned calls, cycles;

	if (calls++ % FUZZ_RESET_EVERY)
		return fuzz_rpmb_dev;
	fuzz_rpmbdev_renew(cycles++ % 2, &fuzz_rpmb_store, &fuzz_rpmb_dev);
	return fuzz_rpmb_dev;
}

/* MAC n request frames with FUZZ_RPMB_KEY, as a host holding the key would. */
static inline void fuzz_rpmb_sign(struct rpmb_frame *frames, size_t n)
{
	if (n && rpmb_sign_frames(FUZZ_RPMB_KEY, frames, n) < 0)
		abort();
}

#endif
