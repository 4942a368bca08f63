/* SPDX-License-Identifier: MIT */
/*
 * Host side of JEDEC RPMB: build request frames, compute and check MACs, read response
 * fields.  Used by tests, the device (MAC checks are the same computation) and stmmd's
 * RPMB client.  HMAC-SHA256 through OpenSSL 3 EVP_MAC.
 */
#ifndef STMM_EMU_RPMB_HOST_H
#define STMM_EMU_RPMB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "rpmb_frame.h"

#define RPMB_KEY_SIZE 32u

/* HMAC-SHA256 over the concatenation of iov[0..n).  0 or -EIO (OpenSSL failure). */
__attribute__((warn_unused_result)) int hmac_sha256(const uint8_t *key, size_t key_len,
						    const struct iovec *iov, size_t n,
						    uint8_t ret_mac[32]);

/* The RPMB MAC: HMAC-SHA256 over bytes 228..511 of each of n frames, in order. */
__attribute__((warn_unused_result)) int rpmb_mac_frames(const uint8_t key[RPMB_KEY_SIZE],
							const struct rpmb_frame *frames, size_t n,
							uint8_t ret_mac[32]);
/* Compute the MAC of n frames and store it in the last frame's key_mac. */
__attribute__((warn_unused_result)) int rpmb_sign_frames(const uint8_t key[RPMB_KEY_SIZE],
							 struct rpmb_frame *frames, size_t n);
/* Does the last frame's key_mac match (constant-time compare)?  false also on error. */
bool rpmb_verify_frames(const uint8_t key[RPMB_KEY_SIZE], const struct rpmb_frame *frames,
			size_t n);

/* Host-order view of a frame's trailer fields. */
struct rpmb_frame_info {
	uint32_t write_counter;
	uint16_t address;
	uint16_t block_count;
	uint16_t result;
	uint16_t req_resp;
};
void rpmb_frame_get_info(const struct rpmb_frame *f, struct rpmb_frame_info *ret_info);
/* Zero the frame and set the trailer fields (nonce may be NULL: zeros). */
void rpmb_frame_init(struct rpmb_frame *f, uint16_t req_resp, uint16_t address,
		     uint16_t block_count, uint32_t write_counter, const uint8_t *nonce);

/* Human name of a result code ("AUTH_FAILURE", with " | WR_CNT_EXPIRED" when set). */
const char *rpmb_result_name(uint16_t result, char *buf, size_t size);

#endif
