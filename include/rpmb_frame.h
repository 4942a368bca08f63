/* SPDX-License-Identifier: MIT */
/*
 * The JEDEC eMMC RPMB data frame: 512 bytes, one CMD25/CMD18 data block, every multi-byte
 * field big-endian.  Source: shared/research/rpmb-and-supplicant.md §1.1-§1.4 (mmc-utils
 * struct rpmb_frame, Linux include/linux/rpmb.h, optee_os tee_rpmb_fs.c).
 */
#ifndef STMM_EMU_RPMB_FRAME_H
#define STMM_EMU_RPMB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define RPMB_FRAME_SIZE     512u
#define RPMB_STUFF_SIZE     196u
#define RPMB_KEY_MAC_SIZE   32u
#define RPMB_DATA_SIZE      256u /* one RPMB block = half a 512-byte sector */
#define RPMB_NONCE_SIZE     16u
/* Bytes 228..511 of every frame are MACed: 512 - 196 - 32 = 284. */
#define RPMB_MAC_OFFSET     228u
#define RPMB_MAC_DATA_SIZE  284u
/* RPMB_SIZE_MULT unit: 128 KiB = 512 blocks. */
#define RPMB_SIZE_MULT_UNIT (128u * 1024u)
#define RPMB_BLOCKS_PER_MULT (RPMB_SIZE_MULT_UNIT / RPMB_DATA_SIZE)
#define RPMB_SIZE_MULT_MAX  128u

struct rpmb_frame {
	uint8_t stuff[196];   /* JEDEC [511:316], ignored */
	uint8_t key_mac[32];  /* [315:284] key in PROGRAM_KEY, else HMAC-SHA256 */
	uint8_t data[256];    /* [283:28] */
	uint8_t nonce[16];    /* [27:12] */
	uint8_t write_counter[4]; /* [11:8] be32 */
	uint8_t address[2];   /* [7:6]  be16, in 256-byte units */
	uint8_t block_count[2]; /* [5:4] be16 */
	uint8_t result[2];    /* [3:2]  be16, RPMB_RESULT_* */
	uint8_t req_resp[2];  /* [1:0]  be16, RPMB_REQ_* / RPMB_RESP_* */
};
_Static_assert(sizeof(struct rpmb_frame) == RPMB_FRAME_SIZE, "RPMB frame is 512 bytes");
_Static_assert(offsetof(struct rpmb_frame, stuff) == 0, "stuff");
_Static_assert(offsetof(struct rpmb_frame, key_mac) == 196, "key_mac");
_Static_assert(offsetof(struct rpmb_frame, data) == RPMB_MAC_OFFSET, "data");
_Static_assert(offsetof(struct rpmb_frame, nonce) == 484, "nonce");
_Static_assert(offsetof(struct rpmb_frame, write_counter) == 500, "write_counter");
_Static_assert(offsetof(struct rpmb_frame, address) == 504, "address");
_Static_assert(offsetof(struct rpmb_frame, block_count) == 506, "block_count");
_Static_assert(offsetof(struct rpmb_frame, result) == 508, "result");
_Static_assert(offsetof(struct rpmb_frame, req_resp) == 510, "req_resp");
_Static_assert(RPMB_FRAME_SIZE - RPMB_MAC_OFFSET == RPMB_MAC_DATA_SIZE, "MAC coverage");

/* req_resp: requests ... */
#define RPMB_REQ_PROGRAM_KEY   0x0001
#define RPMB_REQ_WRITE_COUNTER 0x0002
#define RPMB_REQ_DATA_WRITE    0x0003
#define RPMB_REQ_DATA_READ     0x0004
#define RPMB_REQ_RESULT_READ   0x0005
#define RPMB_REQ_CONF_WRITE    0x0006 /* eMMC 5.1 authenticated device configuration */
#define RPMB_REQ_CONF_READ     0x0007
/* ... and responses: request << 8. */
#define RPMB_RESP(req)          ((uint16_t)((req) << 8))
#define RPMB_RESP_PROGRAM_KEY   0x0100
#define RPMB_RESP_WRITE_COUNTER 0x0200
#define RPMB_RESP_DATA_WRITE    0x0300
#define RPMB_RESP_DATA_READ     0x0400
#define RPMB_RESP_CONF_WRITE    0x0600
#define RPMB_RESP_CONF_READ     0x0700

/* result */
#define RPMB_RESULT_OK                 0x0000
#define RPMB_RESULT_GENERAL_FAILURE    0x0001
#define RPMB_RESULT_AUTH_FAILURE       0x0002
#define RPMB_RESULT_COUNTER_FAILURE    0x0003
#define RPMB_RESULT_ADDRESS_FAILURE    0x0004
#define RPMB_RESULT_WRITE_FAILURE      0x0005
#define RPMB_RESULT_READ_FAILURE       0x0006
#define RPMB_RESULT_NO_AUTH_KEY        0x0007
#define RPMB_RESULT_MASK               0x007F
#define RPMB_RESULT_WR_CNT_EXPIRED     0x0080 /* ORed in once the counter is 0xFFFFFFFF */
#define RPMB_WRITE_COUNTER_MAX         0xFFFFFFFFu

/* MMC commands of an RPMB sequence (JEDEC; Linux MMC_IOC_MULTI_CMD). */
#define MMC_SET_BLOCK_COUNT        23 /* arg: count | MMC_CMD23_RELIABLE_WRITE */
#define MMC_READ_MULTIPLE_BLOCK    18
#define MMC_WRITE_MULTIPLE_BLOCK   25
#define MMC_CMD23_RELIABLE_WRITE   0x80000000u
#define MMC_CMD23_COUNT_MASK       0x0000FFFFu

#endif
