/* SPDX-License-Identifier: MIT */
/*
 * RPMB client of the secure world (see rpmb_client.h).  Every request travels as one
 * OPTEE_RPC_CMD_RPMB: struct rpmb_req (host-endian) + 512-byte frames (big-endian fields)
 * in, response frames out.  Facts from research/rpmb-and-supplicant.md §1.4-§1.6, §2.8.
 */
#include "rpmb_client.h"

#include <errno.h>
#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "bytes.h"
#include "emu_ipc.h"
#include "optee_rpmb.h"
#include "rpmb_frame.h"
#include "rpmb_host.h"

/* Blocks per DATA_READ request: keeps one RPC (request + 512-byte frames) well inside an IPC message. */
#define RPMB_CLIENT_MAX_READ_BLOCKS 64u
/* The address field is 16 bits wide: 65536 blocks = 16 MiB at most. */
#define RPMB_MAX_BLOCKS 65536u

struct rpmb_client {
	struct rpmb_client_config cfg;
	struct rpmb_client_transport transport;
	bool have_dev_info;
	bool key_programmed;
	bool counter_synced;
	bool setup_done;   /* rpmb_fs_setup's read / rewrite / read of block 0 done this boot */
	bool dead;         /* OP-TEE's rpmb_dead: every operation fails until a reset */
	bool kernel_route; /* !legacy_operation: requests go as FRAMES, without struct rpmb_req */
	uint32_t write_counter;
	uint32_t size_blocks;
	uint8_t key[RPMB_KEY_SIZE];
	struct rpmb_client_failure last_failure; /* of a write; error 0 = none yet */
	gint64 dead_since;  /* g_get_real_time() when dead was set */
	uint64_t writes, retries;
};

int rpmb_client_new(const struct rpmb_client_config *cfg,
		    const struct rpmb_client_transport *transport, struct rpmb_client **ret_client)
{
	g_return_val_if_fail(cfg && transport && transport->call && ret_client, -EINVAL);
	struct rpmb_client *c = g_new0(struct rpmb_client, 1);
	c->cfg = *cfg;
	c->transport = *transport;
	*ret_client = c;
	return 0;
}

void rpmb_client_free(struct rpmb_client *client)
{
	if (!client)
		return;
	OPENSSL_cleanse(client, sizeof(*client));
	g_free(client);
}

int rpmb_client_derive_key(const uint8_t huk[16], const uint8_t cid[16], uint8_t ret_key[32])
{
	/* HMAC-SHA256(key = HUK, msg = LE32(HUK_SUBKEY_RPMB) || CID'), CID' = PRV and CRC zeroed. */
	uint8_t usage[4] = { OPTEE_HUK_SUBKEY_RPMB & 0xff, (OPTEE_HUK_SUBKEY_RPMB >> 8) & 0xff,
			     (OPTEE_HUK_SUBKEY_RPMB >> 16) & 0xff, (OPTEE_HUK_SUBKEY_RPMB >> 24) & 0xff };
	uint8_t cid_z[16];
	memcpy(cid_z, cid, sizeof(cid_z));
	cid_z[RPMB_CID_PRV_BYTE] = 0;
	cid_z[RPMB_CID_CRC_BYTE] = 0;
	struct iovec iov[2] = { { usage, sizeof(usage) }, { cid_z, sizeof(cid_z) } };
	return hmac_sha256(huk, RPMB_CLIENT_HUK_SIZE, iov, 2, ret_key);
}

/*
 * One RPC: header + nfrm frames in, rsp_len bytes out -- or, on the kernel route, the
 * frames alone as OPTEE_RPC_CMD_RPMB_FRAMES (optee_os tee_rpmb_invoke(): the request
 * header exists only with legacy_operation).  The only place the routes differ.
 */
static int rpmb_call(struct rpmb_client *c, uint16_t cmd, uint16_t block_count,
		     const struct rpmb_frame *frames, size_t nfrm, void *rsp, size_t rsp_len)
{
	if (c->kernel_route) {
		if (cmd != RPMB_CMD_DATA_REQ || !nfrm)
			return -EINVAL; /* GET_DEV_INFO exists only on the legacy route */
		return c->transport.route->frames(c->transport.ctx, frames, nfrm * RPMB_FRAME_SIZE,
						  rsp, rsp_len);
	}
	size_t req_len = RPMB_REQ_HEADER_SIZE + nfrm * RPMB_FRAME_SIZE;
	g_autofree uint8_t *req = g_malloc0(req_len);
	struct rpmb_req hdr = { .cmd = cmd, .dev_id = c->cfg.dev_id, .block_count = block_count };

	memcpy(req, &hdr, RPMB_REQ_HEADER_SIZE);
	if (nfrm)
		memcpy(req + RPMB_REQ_HEADER_SIZE, frames, nfrm * RPMB_FRAME_SIZE);
	int r = c->transport.call(c->transport.ctx, req, req_len, rsp, rsp_len);
	OPENSSL_cleanse(req, req_len); /* may hold the key (PROGRAM_KEY) */
	return r;
}

/* Device result code -> errno: the one mapping for this direction. */
static int rpmb_result_to_errno(uint16_t result)
{
	switch (result & RPMB_RESULT_MASK) {
	case RPMB_RESULT_OK:
		return 0;
	case RPMB_RESULT_NO_AUTH_KEY:
		return -ENOKEY;
	case RPMB_RESULT_ADDRESS_FAILURE:
		return -ERANGE;
	default:
		return -EIO;
	}
}

/*
 * What a response must match, checked in the order of optee_os tee_rpmb_resp_unpack_verify():
 * result, type, address, write counter, nonce, MAC.  NULL members are not checked.
 */
struct rpmb_expect {
	uint16_t type;
	const uint16_t *address;
	uint32_t *write_counter;  /* in: the counter sent; out: the one answered (see below) */
	const uint8_t *nonce;
	bool mac;
	uint16_t *ret_result;     /* the device's result, whatever it was */
	bool *ret_advanced;       /* a write response carried the counter sent + 1 */
};

/*
 * The one response check.  As OP-TEE does, the answered write counter is copied out once
 * result, type and address passed, before it is compared (a write response must carry the
 * counter sent + 1: -ESTALE otherwise) and before nonce and MAC are verified, so a caller
 * that retries re-packs with the counter the device answered.
 */
static int check_response(const struct rpmb_client *c, const struct rpmb_frame *rsp, size_t n,
			  const struct rpmb_expect *e)
{
	const struct rpmb_frame *last = &rsp[n - 1];
	struct rpmb_frame_info info;

	rpmb_frame_get_info(last, &info);
	if (e->ret_result)
		*e->ret_result = info.result;
	int r = rpmb_result_to_errno(info.result);
	if (r < 0)
		return r;
	if (info.req_resp != e->type)
		return -EBADMSG;
	if (e->address && info.address != *e->address)
		return -EBADMSG;
	if (e->write_counter) {
		uint32_t sent = *e->write_counter;
		*e->write_counter = info.write_counter;
		if (e->type == RPMB_RESP_DATA_WRITE) {
			if (info.write_counter != sent + 1)
				return -ESTALE;
			if (e->ret_advanced)
				*e->ret_advanced = true;
		}
	}
	if (e->nonce && CRYPTO_memcmp(last->nonce, e->nonce, RPMB_NONCE_SIZE) != 0)
		return -EBADMSG;
	if (e->mac && !rpmb_verify_frames(c->key, rsp, n))
		return -EBADMSG;
	return 0;
}

/* optee_os rpmb_set_dev_info() + tee_rpmb_key_gen(): size and key from one device's info. */
static int set_dev_info(struct rpmb_client *c, const uint8_t cid[16], uint8_t rpmb_size_mult)
{
	if (rpmb_size_mult == 0 || rpmb_size_mult > RPMB_SIZE_MULT_MAX)
		return -EIO;
	uint8_t key[RPMB_KEY_SIZE];
	int r = rpmb_client_derive_key(c->cfg.huk, cid, key);
	if (r < 0)
		return r;
	memcpy(c->key, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	c->size_blocks = MIN((uint32_t)rpmb_size_mult * RPMB_BLOCKS_PER_MULT, RPMB_MAX_BLOCKS);
	c->have_dev_info = true;
	return 0;
}

static int get_dev_info(struct rpmb_client *c)
{
	struct rpmb_dev_info info;
	int r = rpmb_call(c, RPMB_CMD_GET_DEV_INFO, 0, NULL, 0, &info, sizeof(info));
	if (r < 0)
		return r;
	if (info.ret_code != RPMB_CMD_GET_DEV_INFO_RET_OK)
		return -EIO;
	return set_dev_info(c, info.cid, info.rpmb_size_mult);
}

static int read_counter(struct rpmb_client *c)
{
	struct rpmb_frame req, rsp;
	uint8_t nonce[RPMB_NONCE_SIZE];
	uint32_t counter = 0;

	c->counter_synced = false;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -EIO;
	rpmb_frame_init(&req, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, nonce);
	int r = rpmb_call(c, RPMB_CMD_DATA_REQ, 0, &req, 1, &rsp, sizeof(rsp));
	if (r < 0)
		return r;
	r = check_response(c, &rsp, 1, &(struct rpmb_expect){ .type = RPMB_RESP_WRITE_COUNTER,
		.write_counter = &counter, .nonce = nonce, .mac = true });
	if (r < 0)
		return r;
	c->write_counter = counter;
	c->counter_synced = true;
	c->key_programmed = true;
	return 0;
}

static int program_key(struct rpmb_client *c)
{
	struct rpmb_frame req, rsp;

	rpmb_frame_init(&req, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memcpy(req.key_mac, c->key, RPMB_KEY_SIZE);
	int r = rpmb_call(c, RPMB_CMD_DATA_REQ, 0, &req, 1, &rsp, sizeof(rsp));
	OPENSSL_cleanse(&req, sizeof(req));
	if (r < 0)
		return r;
	/* OP-TEE checks only result and type of the key-programming response. */
	r = check_response(c, &rsp, 1, &(struct rpmb_expect){ .type = RPMB_RESP_PROGRAM_KEY });
	return r == -ENOKEY ? -EIO : r;
}

static int read_counter(struct rpmb_client *c);

/*
 * The probe half of optee_os tee_rpmb_init(): 1 = fall back to legacy, 0 = a device
 * verified (kernel route from now on), -errno = init fails.
 */
static int probe(struct rpmb_client *c)
{
	const struct rpmb_route_ops *ops = c->transport.route;
	int r = ops ? ops->probe_reset(c->transport.ctx) : -EOPNOTSUPP;

	switch (rpmb_route_decide(r, c->cfg.probe_not_impl_fatal)) {
	case RPMB_ROUTE_FALL_BACK:
		return 1;
	case RPMB_ROUTE_FATAL:
		return r;
	case RPMB_ROUTE_USE_PROBE:
		break;
	}
	c->kernel_route = true;
	for (unsigned i = 0; i < RPMB_ROUTE_MAX_DEVICES; i++) {
		struct rpmb_route_dev dev;
		r = ops->probe_next(c->transport.ctx, &dev);
		if (r < 0)
			break; /* ITEM_NOT_FOUND: no device verified; init fails with it */
		/* Linux only reports the types it maps; the CID/key scheme here is eMMC's. */
		if (dev.type != OPTEE_RPC_RPMB_EMMC)
			continue;
		/* "Invalid device info, looking for another device" */
		if (set_dev_info(c, dev.cid, dev.rpmb_size_mult) < 0)
			continue;
		/* the counter read with MAC tells whether the key is this device's */
		if (read_counter(c) == 0)
			return 0; /* "Found working RPMB device" */
		c->have_dev_info = false;
		r = -ENOENT;
	}
	c->kernel_route = false;
	OPENSSL_cleanse(c->key, sizeof(c->key));
	return r < 0 ? r : -ENOENT;
}

int rpmb_client_init(struct rpmb_client *c)
{
	int r;

	if (c->dead)
		return -ECOMM; /* tee_rpmb_init: TEE_ERROR_COMMUNICATION once rpmb_dead */
	/* IS_ENABLED(CFG_RPMB_WRITE_KEY) -> legacy_rpmb_init() before any probe */
	if (!c->have_dev_info && c->cfg.route == RPMB_ROUTE_PROBE && !c->cfg.write_key) {
		r = probe(c);
		if (r <= 0)
			return r;
	}
	if (!c->have_dev_info) {
		r = get_dev_info(c);
		if (r < 0)
			return r;
	}
	if (c->counter_synced)
		return 0;
	r = read_counter(c);
	if (r == -ENOKEY && c->cfg.write_key) {
		r = program_key(c);
		if (r < 0)
			return r;
		r = read_counter(c);
	}
	return r;
}

static int check_range(const struct rpmb_client *c, uint32_t addr, size_t n)
{
	if (n == 0 || addr >= c->size_blocks || n > c->size_blocks - addr)
		return -ERANGE;
	return 0;
}

/* What every read and write does first: tee_rpmb_init() (fails at once while dead), bounds. */
static int init_and_check_range(struct rpmb_client *c, uint32_t addr, size_t n)
{
	int r = rpmb_client_init(c);
	return r < 0 ? r : check_range(c, addr, n);
}

static int read_blocks(struct rpmb_client *c, uint16_t addr, uint8_t *buf, uint16_t n)
{
	struct rpmb_frame req;
	g_autofree struct rpmb_frame *rsp = g_new0(struct rpmb_frame, n);
	uint8_t nonce[RPMB_NONCE_SIZE];

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -EIO;
	/* block_count 0 in the frame: on eMMC the count comes from CMD23 (rpmb_req.block_count). */
	rpmb_frame_init(&req, RPMB_REQ_DATA_READ, addr, 0, 0, nonce);
	int r = rpmb_call(c, RPMB_CMD_DATA_REQ, n, &req, 1, rsp, (size_t)n * RPMB_FRAME_SIZE);
	if (r < 0)
		return r;
	r = check_response(c, rsp, n, &(struct rpmb_expect){ .type = RPMB_RESP_DATA_READ,
		.address = &addr, .nonce = nonce, .mac = true });
	if (r < 0)
		return r;
	for (uint16_t i = 0; i < n; i++)
		memcpy(buf + (size_t)i * RPMB_DATA_SIZE, rsp[i].data, RPMB_DATA_SIZE);
	return 0;
}

int rpmb_client_read(struct rpmb_client *c, uint32_t addr, void *buf, size_t n)
{
	int r = init_and_check_range(c, addr, n);
	if (r < 0)
		return r;
	uint8_t *p = buf;
	while (n) {
		uint16_t chunk = (uint16_t)MIN(n, RPMB_CLIENT_MAX_READ_BLOCKS);
		r = read_blocks(c, (uint16_t)addr, p, chunk);
		if (r < 0)
			return r;
		addr += chunk;
		p += (size_t)chunk * RPMB_DATA_SIZE;
		n -= chunk;
	}
	return 0;
}

static void record_failure(struct rpmb_client *c, int error, uint16_t result, uint16_t addr,
			   uint32_t counter, unsigned attempts)
{
	c->last_failure = (struct rpmb_client_failure){
		.error = error, .result = result, .address = addr, .write_counter = counter,
		.attempts = attempts, .when = g_get_real_time(),
	};
}

/*
 * One authenticated write of one block, as optee_os write_req() does it: the frame is
 * packed from a local copy of the cached counter and sent; whatever fails (transport,
 * result, type, address, counter, MAC) is retried by packing again from that local counter
 * -- the identical frame unless a response carried another counter -- up to
 * RPMB_CLIENT_MAX_RETRIES attempts in all.  Then the RPMB is dead for the rest of the boot
 * (-ECOMM): nobody knows whether the device committed, so nothing may be written before
 * the store is read again after a reset.
 */
static int write_block(struct rpmb_client *c, uint16_t addr, const uint8_t *data)
{
	struct rpmb_frame req, rsp;
	uint32_t wr_cnt = c->write_counter;
	unsigned attempts = 0;
	int r;

	if (c->write_counter == RPMB_WRITE_COUNTER_MAX)
		return -EIO; /* expired: the device rejects every further write */
	c->writes++;
	for (;;) {
		uint16_t result = 0xffff;
		bool advanced = false;

		rpmb_frame_init(&req, RPMB_REQ_DATA_WRITE, addr, 1, wr_cnt, NULL);
		memcpy(req.data, data, RPMB_DATA_SIZE);
		r = rpmb_sign_frames(c->key, &req, 1);
		if (r < 0 && attempts == 0)
			return r; /* nothing sent yet: no stale request can exist */
		if (r == 0) {
			r = rpmb_call(c, RPMB_CMD_DATA_REQ, 0, &req, 1, &rsp, sizeof(rsp));
			if (r == 0) {
				r = check_response(c, &rsp, 1, &(struct rpmb_expect){
					.type = RPMB_RESP_DATA_WRITE, .address = &addr,
					.write_counter = &wr_cnt, .mac = true, .ret_result = &result,
					.ret_advanced = &advanced });
				if (advanced)
					c->write_counter++; /* as OP-TEE, before nonce and MAC are checked */
			}
		}
		attempts++;
		if (r == 0) {
			c->counter_synced = true;
			return 0;
		}
		c->counter_synced = false; /* wr_cnt_synced = false */
		record_failure(c, r, result, addr, get_be32(req.write_counter), attempts);
		if (attempts >= RPMB_CLIENT_MAX_RETRIES)
			break;
		c->retries++;
	}
	c->dead = true;
	c->dead_since = g_get_real_time();
	return -ECOMM;
}

int rpmb_client_write(struct rpmb_client *c, uint32_t addr, const void *buf, size_t n)
{
	int r = init_and_check_range(c, addr, n);
	if (r < 0)
		return r;
	const uint8_t *p = buf;
	for (size_t i = 0; i < n; i++) {
		r = write_block(c, (uint16_t)(addr + i), p + i * RPMB_DATA_SIZE);
		if (r < 0)
			return r;
	}
	return 0;
}

int rpmb_client_setup(struct rpmb_client *c)
{
	uint8_t block[RPMB_DATA_SIZE];

	if (c->setup_done && !c->dead)
		return 0;
	/*
	 * optee_os rpmb_fs_setup(): read block 0, write it back so that the counter moves (a
	 * request held back earlier with a then-valid counter is stale from now on), read it
	 * again in case such a stale request was committed instead of ours.
	 */
	int r = rpmb_client_read(c, 0, block, 1);
	if (r == 0)
		r = rpmb_client_write(c, 0, block, 1);
	if (r == 0)
		r = rpmb_client_read(c, 0, block, 1);
	OPENSSL_cleanse(block, sizeof(block));
	c->setup_done = r == 0;
	return r;
}

void rpmb_client_reset(struct rpmb_client *c)
{
	/* A reboot of the secure world: OP-TEE's rpmb_ctx and rpmb_dead start afresh. */
	c->have_dev_info = false;
	c->key_programmed = false;
	c->counter_synced = false;
	c->setup_done = false;
	c->dead = false;
	c->kernel_route = false;
	c->dead_since = 0;
	OPENSSL_cleanse(c->key, sizeof(c->key));
}

void rpmb_client_get_status(const struct rpmb_client *c, struct rpmb_client_status *ret_status)
{
	*ret_status = (struct rpmb_client_status){
		.initialized = c->have_dev_info,
		.key_programmed = c->key_programmed,
		.counter_synced = c->counter_synced,
		.dead = c->dead,
		.kernel_route = c->kernel_route,
		.write_counter = c->write_counter,
		.size_blocks = c->size_blocks,
		.dead_since = c->dead_since,
		.last_failure = c->last_failure,
		.writes = c->writes,
		.retries = c->retries,
	};
}

int rpmb_client_get_key(const struct rpmb_client *c, uint8_t ret_key[32])
{
	if (!c->have_dev_info)
		return -ENODATA;
	memcpy(ret_key, c->key, RPMB_KEY_SIZE);
	return 0;
}

/* ---- store backend ------------------------------------------------------------------ */

static int backend_split(uint64_t off, size_t len, uint32_t *ret_addr, size_t *ret_n)
{
	if (off % RPMB_DATA_SIZE || len % RPMB_DATA_SIZE || len == 0)
		return -EINVAL;
	if (off / RPMB_DATA_SIZE >= RPMB_MAX_BLOCKS)
		return -ERANGE;
	*ret_addr = (uint32_t)(off / RPMB_DATA_SIZE);
	*ret_n = len / RPMB_DATA_SIZE;
	return 0;
}

static int backend_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	uint32_t addr;
	size_t n;
	int r = backend_split(off, len, &addr, &n);
	return r < 0 ? r : rpmb_client_read(ctx, addr, buf, n);
}

static int backend_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	uint32_t addr;
	size_t n;
	int r = backend_split(off, len, &addr, &n);
	return r < 0 ? r : rpmb_client_write(ctx, addr, buf, n);
}

void rpmb_client_store_backend(struct rpmb_client *client, struct store_backend *ret_backend)
{
	*ret_backend = (struct store_backend){
		.ctx = client,
		.read = backend_read,
		.write = backend_write,
	};
}
