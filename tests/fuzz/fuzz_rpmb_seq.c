/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rpmb_seq: one input = byte 0 (flags) ‖ an EMU_MSG_MMC_SEQ_REQ payload (struct
 * emu_mmc_seq, its commands, the CMD25 frames) as lib/mmc_seq.c builds it and rpmbd's
 * server receives it: rpmb_seq_parse, then rpmb_device_run over the in-memory store
 * (fuzz_rpmbdev.h), the device persisting between inputs.  Flag bit 0: MAC each CMD25's
 * frames with the known key before running (reaches the data-write and key paths behind
 * the MAC check).  Checked besides memory safety: a parsed sequence always runs.
 */
#include <string.h>

#include "fuzz_rpmbdev.h"
#include "sequence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpmb_seq seq;
	g_autofree char *why = NULL;

	fuzz_quiet();
	struct rpmb_device *dev = fuzz_rpmbdev_get();
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	/* The parser's frames point into the payload: a writable exact-size copy. */
	g_autofree uint8_t *payload = g_malloc(size - 1); /* NULL when empty */
	if (size > 1)
		memcpy(payload, data + 1, size - 1);
	if (rpmb_seq_parse(payload, size - 1, &seq, &why) < 0)
		return 0;
	if (flags & 1)
		for (size_t i = 0; i < seq.n_xfers; i++)
			if (seq.xfers[i].write)
				fuzz_rpmb_sign((struct rpmb_frame *)seq.xfers[i].in, seq.xfers[i].blocks);
	if (rpmb_device_run(dev, seq.xfers, seq.n_xfers) < 0) {
		fprintf(stderr, "fuzz_rpmb_seq: a parsed sequence did not run\n");
		abort();
	}
	rpmb_seq_clear(&seq);
	return 0;
}
