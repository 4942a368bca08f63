/* SPDX-License-Identifier: MIT */
/*
 * The secure world's RPMB client, behaving like OP-TEE's tee_rpmb_fs RPMB layer
 * (research/rpmb-and-supplicant.md §2.2, §2.8): device info through the supplicant,
 * key = HMAC-SHA256(HUK, LE32(HUK_SUBKEY_RPMB) || CID with PRV and CRC zeroed), counter
 * read with a fresh nonce, optional key programming (CFG_RPMB_WRITE_KEY), a cached write
 * counter that must advance by exactly one per authenticated write, one 256-byte block per
 * write request, MAC + nonce checks on every read.
 *
 * Not thread-safe: one thread (stmmd's StMM worker) uses a client.  Errors are -errno:
 *   -ENOKEY   key not programmed and key writing disabled
 *   -EBADMSG  response failed MAC, nonce, type or address checks
 *   -ESTALE   write counter did not advance by one (counter resynced on the next call)
 *   -ECOMM    the RPMB is dead (below): every operation fails until rpmb_client_reset()
 *   -EIO      device result code not OK
 *   -ERANGE   block address outside the partition
 *   transport errors as the transport returned them (-ETIMEDOUT, -ENOTCONN, ...)
 */
#ifndef STMM_EMU_STMM_RPMB_CLIENT_H
#define STMM_EMU_STMM_RPMB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "rpmb_route.h"
#include "store.h"

#define RPMB_CLIENT_HUK_SIZE 16u

/*
 * optee_os core/tee/tee_rpmb_fs.c RPMB_MAX_RETRIES: write_req() sends an authenticated write
 * at most this many times in all (the identical frame again unless a response carried
 * another counter), then sets rpmb_dead and answers TEE_ERROR_COMMUNICATION "since we don't
 * know if the data to be written has been committed"; tee_rpmb_init() then fails every
 * RPMB operation until the next boot.
 */
#define RPMB_CLIENT_MAX_RETRIES 10u

/*
 * The fixed test HUK stmmd uses without --huk-file: sixteen zero bytes, which is what
 * OP-TEE's weak default tee_otp_get_hw_unique_key() hands out on platforms that have no
 * HUK (QEMU among them).  The derived RPMB key is therefore reproducible from the CID.
 */
#define RPMB_CLIENT_TEST_HUK { 0 }

/*
 * One OPTEE_RPC_CMD_RPMB round trip: req (struct rpmb_req + frames) to the supplicant,
 * exactly rsp_len bytes back.  0 or -errno (non-success TEEC results already mapped).
 * `route` (same ctx) carries the kernel route; NULL: as a supplicant that answers
 * PROBE_RESET with NOT_SUPPORTED.
 */
struct rpmb_client_transport {
	void *ctx;
	int (*call)(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len);
	const struct rpmb_route_ops *route;
};

struct rpmb_client_config {
	uint8_t huk[RPMB_CLIENT_HUK_SIZE];
	bool write_key;  /* CFG_RPMB_WRITE_KEY: program the key when the device has none */
	uint16_t dev_id; /* CFG_RPMB_FS_DEV_ID */
	enum rpmb_route route;      /* probe (CFG_RPMB_ANNOUNCE_PROBE_CAP=y, the default) or legacy */
	bool probe_not_impl_fatal;  /* quirk: OP-TEE before 96e8f740b (rpmb_route_decide) */
};

/* The last authenticated write attempt that failed. */
struct rpmb_client_failure {
	int error;              /* -errno of that attempt; 0: no failure yet */
	uint16_t result;        /* the device's result (RPMB_RESULT_*), 0xffff: no response */
	uint16_t address;       /* block written */
	uint32_t write_counter; /* counter in the frame sent */
	unsigned attempts;      /* attempts of that write so far, 1..RPMB_CLIENT_MAX_RETRIES */
	gint64 when;            /* g_get_real_time() */
};

struct rpmb_client_status {
	bool initialized;    /* device info read and key derived */
	bool key_programmed; /* a counter read succeeded with our key */
	bool counter_synced;
	bool dead;           /* rpmb_dead: see RPMB_CLIENT_MAX_RETRIES */
	bool kernel_route;   /* data goes as OPTEE_RPC_CMD_RPMB_FRAMES (probe succeeded) */
	uint32_t write_counter;
	uint32_t size_blocks; /* 256-byte blocks of the partition */
	gint64 dead_since;    /* g_get_real_time() when it went dead, 0 when not dead */
	struct rpmb_client_failure last_failure;
	uint64_t writes, retries; /* authenticated block writes, and resends among them */
};

struct rpmb_client;

__attribute__((warn_unused_result)) int
rpmb_client_new(const struct rpmb_client_config *cfg,
		const struct rpmb_client_transport *transport, struct rpmb_client **ret_client);
void rpmb_client_free(struct rpmb_client *client);

/*
 * optee_os tee_rpmb_init(): with route probe and key writing off, PROBE_RESET, then
 * PROBE_NEXT per device -- derive the key from its CID, read the counter with MAC -- until
 * one verifies (every later request as FRAMES); no device verifies: the PROBE_NEXT error
 * (-ENOENT).  PROBE_RESET answered NOT_SUPPORTED / NOT_IMPLEMENTED (rpmb_route_decide),
 * route legacy, or key writing on (CFG_RPMB_WRITE_KEY forces legacy_rpmb_init): GET_DEV_INFO,
 * key derivation, counter read (and key programming when allowed).  Called implicitly by
 * read/write; calling it again after success is a no-op.
 */
__attribute__((warn_unused_result)) int rpmb_client_init(struct rpmb_client *client);

/* Authenticated read of n blocks starting at block addr (several requests if large). */
__attribute__((warn_unused_result)) int rpmb_client_read(struct rpmb_client *client,
							 uint32_t addr, void *buf, size_t n);
/* Authenticated write of n blocks, one reliable-write request per block. */
__attribute__((warn_unused_result)) int rpmb_client_write(struct rpmb_client *client,
							  uint32_t addr, const void *buf,
							  size_t n);

/*
 * OP-TEE's rpmb_fs_setup() sequence, once per boot before the store is read: read block 0,
 * write it back (the counter moves, so a request held back earlier is stale), read it again.
 */
__attribute__((warn_unused_result)) int rpmb_client_setup(struct rpmb_client *client);

/* A reboot of the secure world: forget device info, key, counter and the dead state. */
void rpmb_client_reset(struct rpmb_client *client);

void rpmb_client_get_status(const struct rpmb_client *client,
			    struct rpmb_client_status *ret_status);

/* The key this client derived (valid once initialized); for tests. */
__attribute__((warn_unused_result)) int rpmb_client_get_key(const struct rpmb_client *client,
							    uint8_t ret_key[32]);

/* The store's backend on top of the client: byte offsets/lengths in 256-byte blocks. */
void rpmb_client_store_backend(struct rpmb_client *client, struct store_backend *ret_backend);

/* Derive the RPMB key from a HUK and a raw CID as OP-TEE does.  0 or -EIO. */
__attribute__((warn_unused_result)) int rpmb_client_derive_key(const uint8_t huk[16],
							       const uint8_t cid[16],
							       uint8_t ret_key[32]);

#endif
