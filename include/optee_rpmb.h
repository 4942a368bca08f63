/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's RPMB RPC to tee-supplicant (optee_os core/include/optee_rpc_cmd.h,
 * tee_rpmb_fs.c; optee_client tee-supplicant/src/rpmb.c).  Host-endian fields, as on the
 * real board where both ends share one CPU.  Source: rpmb-and-supplicant.md §2.1-§2.2.
 */
#ifndef STMM_EMU_OPTEE_RPMB_H
#define STMM_EMU_OPTEE_RPMB_H

#include <stddef.h>
#include <stdint.h>

/* RPC command ids. */
#define OPTEE_RPC_CMD_RPMB             1  /* legacy: rpmb_req + frames in, frames out */
#define OPTEE_RPC_CMD_SHM_ALLOC        6
#define OPTEE_RPC_CMD_SHM_FREE         7
#define OPTEE_RPC_CMD_RPMB_PROBE_RESET 22
#define OPTEE_RPC_CMD_RPMB_PROBE_NEXT  23
#define OPTEE_RPC_CMD_RPMB_FRAMES      24

/* struct rpmb_req: 6 bytes, followed by the request frames. */
struct rpmb_req {
	uint16_t cmd;         /* RPMB_CMD_* */
	uint16_t dev_id;      /* selects /dev/mmcblk<dev_id>rpmb */
	uint16_t block_count; /* set by OP-TEE for reads only */
	uint8_t frames[];
};
#define RPMB_REQ_HEADER_SIZE 6u
_Static_assert(offsetof(struct rpmb_req, cmd) == 0, "cmd");
_Static_assert(offsetof(struct rpmb_req, dev_id) == 2, "dev_id");
_Static_assert(offsetof(struct rpmb_req, block_count) == 4, "block_count");
_Static_assert(offsetof(struct rpmb_req, frames) == RPMB_REQ_HEADER_SIZE, "frames");
_Static_assert(sizeof(struct rpmb_req) == 6, "struct rpmb_req is 6 bytes");

#define RPMB_CMD_DATA_REQ     0x00
#define RPMB_CMD_GET_DEV_INFO 0x01

/* struct rpmb_dev_info: 19 bytes. */
struct rpmb_dev_info {
	uint8_t cid[16];
	uint8_t rpmb_size_mult; /* EXT_CSD[168] */
	uint8_t rel_wr_sec_c;   /* EXT_CSD[222] */
	uint8_t ret_code;       /* RPMB_CMD_GET_DEV_INFO_RET_* */
};
_Static_assert(offsetof(struct rpmb_dev_info, cid) == 0, "cid");
_Static_assert(offsetof(struct rpmb_dev_info, rpmb_size_mult) == 16, "rpmb_size_mult");
_Static_assert(offsetof(struct rpmb_dev_info, rel_wr_sec_c) == 17, "rel_wr_sec_c");
_Static_assert(offsetof(struct rpmb_dev_info, ret_code) == 18, "ret_code");
_Static_assert(sizeof(struct rpmb_dev_info) == 19, "struct rpmb_dev_info is 19 bytes");

#define RPMB_CMD_GET_DEV_INFO_RET_OK    0x00
#define RPMB_CMD_GET_DEV_INFO_RET_ERROR 0x01

/* CID bytes OP-TEE zeroes before deriving the RPMB key (PRV and CRC7, changed by FFU). */
#define RPMB_CID_PRV_BYTE 9
#define RPMB_CID_CRC_BYTE 15
/* HUK subkey usage for the RPMB key (HUK_SUBKEY_RPMB). */
#define OPTEE_HUK_SUBKEY_RPMB 0u
/* The Micron "MMC04G" test CID tee-supplicant's RPMB_EMU reports. */
#define RPMB_EMU_DEFAULT_CID                                                                \
	{ 0xfe, 0x01, 0x4e, 0x4d, 0x4d, 0x43, 0x30, 0x34,                                   \
	  0x47, 0x42, 0xc8, 0xf6, 0x55, 0x2a, 0x61, 0x15 }

#endif
