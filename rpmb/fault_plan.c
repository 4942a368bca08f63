/* SPDX-License-Identifier: MIT */
#include "fault_plan.h"

#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "fault.h"
#include "fault_count.h"
#include "rpmb_host.h"
#include "gcov_flush.h"

static struct fault_table faults;
static struct rpmb_store *key_store;

void rpmb_fault_set_store(struct rpmb_store *store)
{
	key_store = store;
}

int rpmb_fault_handle(int fd, const struct emu_msg *msg)
{
	return fault_ctrl_handle(&faults, FAULT_DAEMON_RPMBD, fd, msg);
}

/* Which request types the sequence carries (first frame of each CMD25). */
static void classify(const struct rpmb_seq *seq, bool *ret_write, bool *ret_read)
{
	*ret_write = *ret_read = false;
	for (size_t i = 0; i < seq->n_xfers; i++) {
		if (!seq->xfers[i].write)
			continue;
		uint16_t type = get_be16(seq->xfers[i].in[0].req_resp);
		*ret_write |= type == RPMB_REQ_DATA_WRITE;
		*ret_read |= type == RPMB_REQ_DATA_READ;
	}
}

/*
 * RESULT: answer every CMD18 as the card answers a failed request, without executing
 * anything.  The response type is the one of the last request (a RESULT_READ answers for
 * the write before it, as JEDEC's result register does); a data write's and a counter
 * read's result carry the counter; everything is MACed when a key is programmed
 * (rpmb/device.c does the same for real failures).
 */
static void answer_result(struct rpmb_seq *seq, uint16_t result)
{
	struct rpmb_store_meta meta = { 0 };
	if (!key_store || rpmb_store_load(key_store, &meta) < 0)
		g_warning("fault: cannot read the key and counter; RESULT frames are not MACed");
	if (meta.write_counter == RPMB_WRITE_COUNTER_MAX)
		result |= RPMB_RESULT_WR_CNT_EXPIRED;

	uint16_t resp = 0, address = 0, count = 0;
	const uint8_t *nonce = NULL;
	for (size_t i = 0; i < seq->n_xfers; i++) {
		struct rpmb_xfer *x = &seq->xfers[i];
		if (x->write) {
			struct rpmb_frame_info fi;
			rpmb_frame_get_info(&x->in[0], &fi);
			if (fi.req_resp == RPMB_REQ_RESULT_READ)
				continue; /* answers for the request before it */
			resp = fi.req_resp <= 0xff ? RPMB_RESP(fi.req_resp) : 0;
			address = fi.req_resp == RPMB_REQ_DATA_WRITE ||
						  fi.req_resp == RPMB_REQ_DATA_READ
					  ? fi.address
					  : 0;
			count = fi.req_resp == RPMB_REQ_DATA_READ ? x->blocks : 0;
			nonce = fi.req_resp == RPMB_REQ_DATA_READ ||
						fi.req_resp == RPMB_REQ_WRITE_COUNTER
					? x->in[0].nonce
					: NULL;
			continue;
		}
		uint32_t counter = resp == RPMB_RESP_DATA_READ ? 0 : meta.write_counter;
		for (uint16_t j = 0; j < x->blocks; j++) {
			rpmb_frame_init(&x->out[j], resp, address,
					resp == RPMB_RESP_DATA_READ ? x->blocks : count, counter, nonce);
			put_be16(x->out[j].result, result);
		}
		if (meta.key_set && resp != RPMB_RESP_PROGRAM_KEY &&
		    rpmb_sign_frames(meta.key, x->out, x->blocks) < 0)
			g_warning("fault: cannot MAC the RESULT frames");
	}
	explicit_bzero(meta.key, sizeof(meta.key));
}

int rpmb_fault_run(struct rpmb_device *dev, struct rpmb_seq *seq, bool *ret_lost)
{
	uint16_t triggers[3];
	size_t n = 0;
	bool write, read;
	struct fault_fired ff;

	*ret_lost = false;
	classify(seq, &write, &read);
	if (write)
		triggers[n++] = EMU_FAULT_AT_RPMB_WRITE;
	if (read)
		triggers[n++] = EMU_FAULT_AT_RPMB_READ;
	triggers[n++] = EMU_FAULT_AT_RPMB_SEQ;
	if (!fault_table_event(&faults, triggers, n, 0, &ff))
		return rpmb_device_run(dev, seq->xfers, seq->n_xfers);

	fault_log_fired(&ff, fault_trigger_name(ff.f.trigger));
	switch (ff.f.action) {
	case EMU_FAULT_POWER_CUT:
		g_message("fault #%u: power cut before the sequence commits", ff.id);
		gcov_flush_before_exit();
		_exit(RPMBD_EXIT_POWER_CUT);
	case EMU_FAULT_RESULT:
		answer_result(seq, (uint16_t)ff.f.value);
		return 0;
	default:
		break;
	}
	int r = rpmb_device_run(dev, seq->xfers, seq->n_xfers);
	if (r < 0)
		return r;
	switch (ff.f.action) {
	case EMU_FAULT_DROP_RESPONSE:
		*ret_lost = true;
		break;
	case EMU_FAULT_DELAY:
		g_usleep((gulong)ff.f.value * 1000);
		break;
	case EMU_FAULT_CORRUPT:
		if (ff.f.value < seq->out_frames * RPMB_FRAME_SIZE)
			((uint8_t *)seq->out)[ff.f.value] ^= (uint8_t)(ff.f.value2 ? ff.f.value2 : 0xff);
		break;
	default:
		break;
	}
	return 0;
}
