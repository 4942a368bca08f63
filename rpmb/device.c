/* SPDX-License-Identifier: MIT */
#include "device.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "debug_gate.h"
#include "bytes.h"
#include "warn_limit.h"
#include "rpmb_host.h"

enum pending_kind {
	PENDING_NONE,
	PENDING_FRAME,     /* one prepared response frame */
	PENDING_DATA_READ, /* runs when the CMD18 tells how many blocks */
};

struct rpmb_device {
	struct rpmb_store *store; /* borrowed */
	struct rpmb_store_meta meta;
	uint32_t total_blocks;
	unsigned max_write_blocks;

	bool have_result; /* last PROGRAM_KEY / DATA_WRITE (or unknown request) result */
	struct rpmb_frame result;

	enum pending_kind pending;
	struct rpmb_frame pending_frame;
	uint8_t read_nonce[RPMB_NONCE_SIZE];
	uint16_t read_address;
	uint16_t read_block_count;

	struct warn_limit storage_warn; /* storage failures, rate-limited */
};

int rpmb_device_new(struct rpmb_store *store, unsigned max_write_blocks,
		    struct rpmb_device **ret_dev)
{
	g_autoptr(rpmb_device) d = g_new0(struct rpmb_device, 1);

	d->store = store;
	d->storage_warn = (struct warn_limit)WARN_LIMIT_INIT(WARN_LIMIT_EVERY);
	int r = rpmb_store_load(store, &d->meta);
	if (r < 0)
		return r;
	if (d->meta.size_mult < 1 || d->meta.size_mult > RPMB_SIZE_MULT_MAX)
		return -EINVAL;
	d->total_blocks = (uint32_t)d->meta.size_mult * RPMB_BLOCKS_PER_MULT;
	if (max_write_blocks == 0)
		max_write_blocks = CLAMP(2u * d->meta.rel_wr_sec_c, 1u, RPMBD_WRITE_BLOCKS_LIMIT);
	if (max_write_blocks > RPMBD_WRITE_BLOCKS_LIMIT)
		return -EINVAL;
	d->max_write_blocks = max_write_blocks;
	*ret_dev = g_steal_pointer(&d);
	return 0;
}

void rpmb_device_free(struct rpmb_device *dev)
{
	if (!dev)
		return;
	explicit_bzero(dev->meta.key, sizeof(dev->meta.key));
	warn_limit_clear(&dev->storage_warn);
	g_free(dev);
}

void rpmb_device_get_info(const struct rpmb_device *dev, struct emu_mmc_info *ret_info)
{
	memset(ret_info, 0, sizeof(*ret_info));
	memcpy(ret_info->cid, dev->meta.cid, sizeof(ret_info->cid));
	ret_info->rpmb_size_mult = dev->meta.size_mult;
	ret_info->rel_wr_sec_c = dev->meta.rel_wr_sec_c;
}

unsigned rpmb_device_max_write_blocks(const struct rpmb_device *dev)
{
	return dev->max_write_blocks;
}

uint32_t rpmb_device_total_blocks(const struct rpmb_device *dev)
{
	return dev->total_blocks;
}

void rpmb_device_get_state(const struct rpmb_device *dev, bool *ret_key_set,
			   uint32_t *ret_counter)
{
	if (ret_key_set)
		*ret_key_set = dev->meta.key_set;
	if (ret_counter)
		*ret_counter = dev->meta.write_counter;
}

/* ---- helpers ---------------------------------------------------------------------- */

static bool expired(const struct rpmb_device *d)
{
	return d->meta.write_counter == RPMB_WRITE_COUNTER_MAX;
}

/* Every result carries the expired bit once the counter is at its maximum. */
static uint16_t with_expiry(const struct rpmb_device *d, uint16_t result)
{
	return expired(d) ? (uint16_t)(result | RPMB_RESULT_WR_CNT_EXPIRED) : result;
}

static uint16_t resp_type_of(uint16_t req)
{
	return req <= 0xff ? RPMB_RESP(req) : 0;
}

static void set_result(struct rpmb_frame *f, const struct rpmb_device *d, uint16_t result)
{
	put_be16(f->result, with_expiry(d, result));
}

static const char *result_str(uint16_t result)
{
	static char buf[64];
	return rpmb_result_name(result, buf, sizeof(buf));
}

/* MAC response frames with the device key; a device without key sends no MAC. */
static void sign_response(const struct rpmb_device *d, struct rpmb_frame *f, size_t n)
{
	if (!d->meta.key_set)
		return;
	if (rpmb_sign_frames(d->meta.key, f, n) < 0) {
		/* OpenSSL failed: the host will see a MAC mismatch, which is what it is. */
		g_debug("cannot compute response MAC");
		memset(f[n - 1].key_mac, 0, sizeof(f[n - 1].key_mac));
	}
}

/*
 * The store failed: one WARNING naming the operation and the store's own account of the
 * failure (SQLite's text, block address), rate-limited so that a host retrying the same
 * write cannot flood the log.
 */
static G_GNUC_PRINTF(3, 4) void storage_failed(struct rpmb_device *d, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *op = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	const char *why = rpmb_store_last_error(d->store);
	g_autofree char *text = g_strdup_printf("storage failure: %s: %s", op,
						why ? why : g_strerror(-r));
	warn_limit_warn(&d->storage_warn, text);
}

static void storage_worked(struct rpmb_device *d)
{
	warn_limit_ok(&d->storage_warn, "storage");
}

/* ---- requests (CMD25) ------------------------------------------------------------- */

static uint16_t program_key(struct rpmb_device *d, const struct rpmb_xfer *x)
{
	if (x->blocks != 1 || !x->reliable)
		return RPMB_RESULT_GENERAL_FAILURE;
	if (d->meta.key_set)
		return RPMB_RESULT_WRITE_FAILURE;
	int r = rpmb_store_program_key(d->store, x->in[0].key_mac);
	if (r < 0) {
		storage_failed(d, r, "PROGRAM_KEY -> WRITE_FAILURE, no key stored");
		return RPMB_RESULT_WRITE_FAILURE;
	}
	storage_worked(d);
	memcpy(d->meta.key, x->in[0].key_mac, RPMB_KEY_SIZE);
	d->meta.key_set = true;
	return RPMB_RESULT_OK;
}

/* Every frame of a write carries the same type, start address, count and counter. */
static bool write_frames_consistent(const struct rpmb_xfer *x, const struct rpmb_frame_info *first)
{
	for (uint16_t i = 1; i < x->blocks; i++) {
		struct rpmb_frame_info fi;
		rpmb_frame_get_info(&x->in[i], &fi);
		if (fi.req_resp != first->req_resp || fi.address != first->address ||
		    fi.block_count != first->block_count || fi.write_counter != first->write_counter)
			return false;
	}
	return true;
}

static uint16_t data_write(struct rpmb_device *d, const struct rpmb_xfer *x,
			   const struct rpmb_frame_info *req)
{
	/* JEDEC order: no key -> block count -> expired -> address -> MAC -> counter. */
	if (!d->meta.key_set)
		return RPMB_RESULT_NO_AUTH_KEY;
	if (req->block_count == 0 || req->block_count > d->max_write_blocks ||
	    req->block_count != x->blocks || !x->reliable || !write_frames_consistent(x, req))
		return RPMB_RESULT_GENERAL_FAILURE;
	if (expired(d))
		return RPMB_RESULT_WRITE_FAILURE; /* | 0x80 added with every result */
	if ((uint32_t)req->address + req->block_count > d->total_blocks)
		return RPMB_RESULT_ADDRESS_FAILURE;
	if (!rpmb_verify_frames(d->meta.key, x->in, x->blocks))
		return RPMB_RESULT_AUTH_FAILURE;
	if (req->write_counter != d->meta.write_counter)
		return RPMB_RESULT_COUNTER_FAILURE;

	g_autofree uint8_t *data = g_malloc((size_t)x->blocks * RPMB_DATA_SIZE);
	for (uint16_t i = 0; i < x->blocks; i++)
		memcpy(data + (size_t)i * RPMB_DATA_SIZE, x->in[i].data, RPMB_DATA_SIZE);
	uint32_t next = d->meta.write_counter + 1;
	int r = rpmb_store_write(d->store, req->address, x->blocks, data, next);
	if (r < 0) {
		storage_failed(d, r,
			       "DATA_WRITE of %u block(s) at address %u, counter %u -> "
			       "WRITE_FAILURE, nothing written, counter unchanged",
			       x->blocks, req->address, d->meta.write_counter);
		return RPMB_RESULT_WRITE_FAILURE;
	}
	storage_worked(d);
	d->meta.write_counter = next;
	return RPMB_RESULT_OK;
}

static void counter_read(struct rpmb_device *d, const struct rpmb_xfer *x)
{
	struct rpmb_frame *f = &d->pending_frame;
	uint16_t result = RPMB_RESULT_OK;

	if (!d->meta.key_set)
		result = RPMB_RESULT_NO_AUTH_KEY;
	else if (x->blocks != 1)
		result = RPMB_RESULT_GENERAL_FAILURE;
	rpmb_frame_init(f, RPMB_RESP_WRITE_COUNTER, 0, 0, d->meta.write_counter, x->in[0].nonce);
	set_result(f, d, result);
	sign_response(d, f, 1);
	d->pending = PENDING_FRAME;
	emu_debug("GET_WRITE_COUNTER -> %s, counter %u", result_str(get_be16(f->result)),
		d->meta.write_counter);
}

static void result_read(struct rpmb_device *d, const struct rpmb_xfer *x)
{
	struct rpmb_frame *f = &d->pending_frame;

	if (x->blocks == 1 && d->have_result) {
		*f = d->result;
	} else {
		rpmb_frame_init(f, 0, 0, 0, 0, NULL);
		set_result(f, d, RPMB_RESULT_GENERAL_FAILURE);
	}
	d->pending = PENDING_FRAME;
	emu_debug("RESULT_READ -> type 0x%04x %s", get_be16(f->req_resp),
		result_str(get_be16(f->result)));
}

static void run_request(struct rpmb_device *d, const struct rpmb_xfer *x)
{
	struct rpmb_frame_info req;
	uint16_t result;

	rpmb_frame_get_info(&x->in[0], &req);
	d->pending = PENDING_NONE;
	if (req.req_resp != RPMB_REQ_RESULT_READ)
		d->have_result = false;

	switch (req.req_resp) {
	case RPMB_REQ_PROGRAM_KEY:
		result = program_key(d, x);
		rpmb_frame_init(&d->result, RPMB_RESP_PROGRAM_KEY, 0, 0, d->meta.write_counter, NULL);
		set_result(&d->result, d, result);
		d->have_result = true;
		emu_debug("PROGRAM_KEY -> %s", result_str(get_be16(d->result.result)));
		break;
	case RPMB_REQ_DATA_WRITE:
		result = data_write(d, x, &req);
		rpmb_frame_init(&d->result, RPMB_RESP_DATA_WRITE, req.address, 0,
				d->meta.write_counter, NULL);
		set_result(&d->result, d, result);
		sign_response(d, &d->result, 1);
		d->have_result = true;
		emu_debug("DATA_WRITE %u block(s) at %u -> %s, counter %u", req.block_count,
			req.address, result_str(get_be16(d->result.result)), d->meta.write_counter);
		break;
	case RPMB_REQ_WRITE_COUNTER:
		counter_read(d, x);
		break;
	case RPMB_REQ_DATA_READ:
		if (x->blocks != 1) {
			rpmb_frame_init(&d->pending_frame, RPMB_RESP_DATA_READ, req.address, 0, 0,
					x->in[0].nonce);
			set_result(&d->pending_frame, d, RPMB_RESULT_GENERAL_FAILURE);
			sign_response(d, &d->pending_frame, 1);
			d->pending = PENDING_FRAME;
			break;
		}
		memcpy(d->read_nonce, x->in[0].nonce, sizeof(d->read_nonce));
		d->read_address = req.address;
		d->read_block_count = req.block_count;
		d->pending = PENDING_DATA_READ;
		break;
	case RPMB_REQ_RESULT_READ:
		result_read(d, x);
		break;
	default:
		/* Not supported (incl. the eMMC 5.1 configuration requests 6 and 7). */
		rpmb_frame_init(&d->result, resp_type_of(req.req_resp), 0, 0, 0, NULL);
		set_result(&d->result, d, RPMB_RESULT_GENERAL_FAILURE);
		d->have_result = true;
		d->pending_frame = d->result;
		d->pending = PENDING_FRAME;
		g_debug("request type 0x%04x not supported -> GENERAL_FAILURE", req.req_resp);
		break;
	}
}

/* ---- responses (CMD18) ------------------------------------------------------------ */

static void data_read(struct rpmb_device *d, struct rpmb_xfer *x)
{
	uint16_t n = x->blocks;
	uint16_t result = RPMB_RESULT_OK;
	g_autofree uint8_t *data = NULL;

	if (!d->meta.key_set)
		result = RPMB_RESULT_NO_AUTH_KEY;
	else if (d->read_block_count != 0 && d->read_block_count != n)
		result = RPMB_RESULT_GENERAL_FAILURE;
	else if ((uint32_t)d->read_address + n > d->total_blocks)
		result = RPMB_RESULT_ADDRESS_FAILURE;
	else {
		data = g_malloc((size_t)n * RPMB_DATA_SIZE);
		int r = rpmb_store_read(d->store, d->read_address, n, data);
		if (r < 0) {
			storage_failed(d, r, "DATA_READ of %u block(s) at address %u -> READ_FAILURE",
				       n, d->read_address);
			result = RPMB_RESULT_READ_FAILURE;
			g_clear_pointer(&data, g_free);
		} else {
			storage_worked(d);
		}
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rpmb_frame *f = &x->out[i];
		rpmb_frame_init(f, RPMB_RESP_DATA_READ, d->read_address, n, 0, d->read_nonce);
		set_result(f, d, result);
		if (data)
			memcpy(f->data, data + (size_t)i * RPMB_DATA_SIZE, RPMB_DATA_SIZE);
	}
	sign_response(d, x->out, n);
	emu_debug("DATA_READ %u block(s) at %u -> %s", n, d->read_address,
		result_str(get_be16(x->out[0].result)));
}

static void run_response(struct rpmb_device *d, struct rpmb_xfer *x)
{
	switch (d->pending) {
	case PENDING_DATA_READ:
		data_read(d, x);
		break;
	case PENDING_FRAME:
		if (x->blocks == 1) {
			x->out[0] = d->pending_frame;
			break;
		}
		/* A one-frame response read as several frames: refuse in every frame. */
		for (uint16_t i = 0; i < x->blocks; i++) {
			x->out[i] = d->pending_frame;
			memset(x->out[i].key_mac, 0, sizeof(x->out[i].key_mac));
			set_result(&x->out[i], d, RPMB_RESULT_GENERAL_FAILURE);
		}
		break;
	case PENDING_NONE:
		for (uint16_t i = 0; i < x->blocks; i++) {
			rpmb_frame_init(&x->out[i], 0, 0, 0, 0, NULL);
			set_result(&x->out[i], d, RPMB_RESULT_GENERAL_FAILURE);
		}
		g_debug("CMD18 without a prepared response -> GENERAL_FAILURE");
		break;
	}
	d->pending = PENDING_NONE;
}

int rpmb_device_run(struct rpmb_device *dev, struct rpmb_xfer *xfers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct rpmb_xfer *x = &xfers[i];
		if (x->blocks == 0 || (x->write && !x->in) || (!x->write && !x->out))
			return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (xfers[i].write)
			run_request(dev, &xfers[i]);
		else
			run_response(dev, &xfers[i]);
	}
	return 0;
}

bool rpmb_device_interrupt(struct rpmb_device *dev)
{
	bool lost = dev->pending != PENDING_NONE || dev->have_result;

	dev->pending = PENDING_NONE;
	dev->have_result = false;
	return lost;
}
