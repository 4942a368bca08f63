/* SPDX-License-Identifier: MIT */
/*
 * Arm FF-A (Firmware Framework for A-profile) as the MM communication transport: what
 * U-Boot's arm-ffa driver and efi_variable_tee.c send, what an SPMC with an MM secure
 * partition (Trusted Services smm-gateway or edk2 StandaloneMm) answers.
 * Values: FF-A v1.0 (DEN0077A) as U-Boot's include/arm_ffa{,_priv}.h names them
 * (../shared/research/next-wave-anchors.md §4).
 *
 * A call is a fixed 8 x u64 register message, x0 (function id) .. x7, carried over the tee
 * socket as EMU_MSG_FFA_REQ / EMU_MSG_FFA_RSP (include/emu_ipc.h).  An SMC32 call uses the
 * low 32 bits of each register (w0..w7); the SPMC ignores the upper halves and answers with
 * them zero.
 */
#ifndef STMM_EMU_FFA_H
#define STMM_EMU_FFA_H

#include <stddef.h>
#include <stdint.h>

/* ---- function ids: 0x84000000 | fn (SMC32), 0xC4000000 | fn (SMC64) ------------------- */
#define FFA_SMC32(fn) (0x84000000u | (uint32_t)(fn))
#define FFA_SMC64(fn) (0xC4000000u | (uint32_t)(fn))
#define FFA_FN_ERROR               0x60
#define FFA_FN_SUCCESS             0x61
#define FFA_FN_INTERRUPT           0x62
#define FFA_FN_VERSION             0x63
#define FFA_FN_FEATURES            0x64
#define FFA_FN_RX_RELEASE          0x65
#define FFA_FN_RXTX_MAP            0x66
#define FFA_FN_RXTX_UNMAP          0x67
#define FFA_FN_PARTITION_INFO_GET  0x68
#define FFA_FN_ID_GET              0x69
#define FFA_FN_RUN                 0x6D
#define FFA_FN_MSG_SEND_DIRECT_REQ  0x6F
#define FFA_FN_MSG_SEND_DIRECT_RESP 0x70

#define FFA_ERROR                  FFA_SMC32(FFA_FN_ERROR)              /* 0x84000060 */
#define FFA_SUCCESS_32             FFA_SMC32(FFA_FN_SUCCESS)            /* 0x84000061 */
#define FFA_SUCCESS_64             FFA_SMC64(FFA_FN_SUCCESS)            /* 0xC4000061 */
#define FFA_INTERRUPT              FFA_SMC32(FFA_FN_INTERRUPT)          /* 0x84000062 */
#define FFA_VERSION                FFA_SMC32(FFA_FN_VERSION)            /* 0x84000063 */
#define FFA_FEATURES               FFA_SMC32(FFA_FN_FEATURES)           /* 0x84000064 */
#define FFA_RX_RELEASE             FFA_SMC32(FFA_FN_RX_RELEASE)         /* 0x84000065 */
#define FFA_RXTX_MAP_32            FFA_SMC32(FFA_FN_RXTX_MAP)           /* 0x84000066 */
#define FFA_RXTX_MAP_64            FFA_SMC64(FFA_FN_RXTX_MAP)           /* 0xC4000066 */
#define FFA_RXTX_UNMAP             FFA_SMC32(FFA_FN_RXTX_UNMAP)         /* 0x84000067 */
#define FFA_PARTITION_INFO_GET     FFA_SMC32(FFA_FN_PARTITION_INFO_GET) /* 0x84000068 */
#define FFA_ID_GET                 FFA_SMC32(FFA_FN_ID_GET)             /* 0x84000069 */
#define FFA_RUN                    FFA_SMC32(FFA_FN_RUN)                /* 0x8400006D */
#define FFA_MSG_SEND_DIRECT_REQ_32 FFA_SMC32(FFA_FN_MSG_SEND_DIRECT_REQ)  /* 0x8400006F */
#define FFA_MSG_SEND_DIRECT_REQ_64 FFA_SMC64(FFA_FN_MSG_SEND_DIRECT_REQ)  /* 0xC400006F */
#define FFA_MSG_SEND_DIRECT_RESP_32 FFA_SMC32(FFA_FN_MSG_SEND_DIRECT_RESP) /* 0x84000070 */
#define FFA_MSG_SEND_DIRECT_RESP_64 FFA_SMC64(FFA_FN_MSG_SEND_DIRECT_RESP) /* 0xC4000070 */

/* ---- FFA_ERROR: w2 holds the code (U-Boot's errno mapping in the comment) ------------- */
#define FFA_RET_NOT_SUPPORTED      (-1) /* EOPNOTSUPP */
#define FFA_RET_INVALID_PARAMETERS (-2) /* EINVAL */
#define FFA_RET_NO_MEMORY          (-3) /* ENOMEM */
#define FFA_RET_BUSY               (-4) /* EBUSY */
#define FFA_RET_INTERRUPTED        (-5) /* EINTR */
#define FFA_RET_DENIED             (-6) /* EACCES */
#define FFA_RET_RETRY              (-7) /* EAGAIN */
#define FFA_RET_ABORTED            (-8) /* ECANCELED */

/* ---- FFA_VERSION: w1 in = caller's version, w0 out = (major << 16) | minor ------------- */
#define FFA_VERSION_MAJOR_SHIFT 16
#define FFA_MAKE_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define FFA_VERSION_1_0 FFA_MAKE_VERSION(1, 0) /* 0x00010000, what U-Boot sends */

/* FFA_FEATURES(RXTX_MAP): w2[1:0] = minimum RX/TX buffer size and alignment. */
#define FFA_RXTX_MIN_4K  0u
#define FFA_RXTX_MIN_64K 1u
#define FFA_RXTX_MIN_16K 2u
#define FFA_PAGE_SIZE    4096u

/* FFA_RXTX_MAP: w3[5:0] = page count of each of RX and TX (v1.0). */
#define FFA_RXTX_PAGE_COUNT_MASK 0x3fu

/* Direct messages: w1 = (sender id << 16) | receiver id. */
#define FFA_ENDPOINTS(sender, receiver) (((uint32_t)(sender) << 16) | (uint16_t)(receiver))
#define FFA_SENDER(w1)   ((uint16_t)((uint32_t)(w1) >> 16))
#define FFA_RECEIVER(w1) ((uint16_t)(w1))

/* ---- the fixed register message -------------------------------------------------------- */
struct ffa_regs {
	uint64_t x[8]; /* x0 = function id, x1..x7 arguments / results */
};
_Static_assert(sizeof(struct ffa_regs) == 64, "ffa_regs");
_Static_assert(offsetof(struct ffa_regs, x) == 0, "x");

/* ---- FFA_PARTITION_INFO_GET: v1.0 descriptors in the caller's RX buffer ----------------- */
struct ffa_partition_info {
	uint16_t id;         /* endpoint id */
	uint16_t exec_ctxt;  /* execution contexts (vCPUs) */
	uint32_t properties; /* FFA_PART_PROP_* */
};
_Static_assert(sizeof(struct ffa_partition_info) == 8, "v1.0 partition descriptor is 8 bytes");
_Static_assert(offsetof(struct ffa_partition_info, id) == 0, "id");
_Static_assert(offsetof(struct ffa_partition_info, exec_ctxt) == 2, "exec_ctxt");
_Static_assert(offsetof(struct ffa_partition_info, properties) == 4, "properties");
#define FFA_PART_PROP_DIRECT_RECV  0x1u
#define FFA_PART_PROP_DIRECT_SEND  0x2u
#define FFA_PART_PROP_INDIRECT     0x4u

/*
 * UUIDs in w1..w4: the 16 RFC octets read as four little-endian u32 (Linux arm_ffa and
 * U-Boot's uuid_str_to_le_bin of "33d532ed-e699-0942-c09c-a798d9cd722d").
 * The MM SP (smm-gateway, edk2 StMM): ed32d533-99e6-4209-9cc0-2d72cdd998a7, = PTA_STMM's UUID.
 */
#define FFA_MM_SP_UUID_OCTETS \
	{ 0xed, 0x32, 0xd5, 0x33, 0x99, 0xe6, 0x42, 0x09, \
	  0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7 }
#define FFA_MM_SP_UUID_W1 0x33d532edu
#define FFA_MM_SP_UUID_W2 0x0942e699u
#define FFA_MM_SP_UUID_W3 0x722dc09cu
#define FFA_MM_SP_UUID_W4 0xa798d9cdu
/* OP-TEE as an SP (optee_ffa): 486178e0-e7f8-11e3-bc5e-0002a5d5c51b. */
#define FFA_OPTEE_UUID_OCTETS \
	{ 0x48, 0x61, 0x78, 0xe0, 0xe7, 0xf8, 0x11, 0xe3, \
	  0xbc, 0x5e, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b }

/* ---- MM communicate over a direct request: the return code in x3 of DIRECT_RESP -------- */
#define FFA_MM_RET_SUCCESS            0
#define FFA_MM_RET_NOT_SUPPORTED      (-1)
#define FFA_MM_RET_INVALID_PARAMETERS (-2)
#define FFA_MM_RET_DENIED             (-3)
#define FFA_MM_RET_NO_MEMORY          (-5)

/* ---- this emulator's board (U-Boot corstone1000_defconfig values) ----------------------- */
#define FFA_EMU_NS_ID          0x0000u /* the normal world's endpoint id (no hypervisor) */
#define FFA_EMU_OPTEE_ID       0x8001u
#define FFA_EMU_MM_SP_ID       0x8002u
#define FFA_EMU_MM_BUF_ADDR    0x02000000u /* CONFIG_FFA_SHARED_MM_BUF_ADDR */
#define FFA_EMU_MM_BUF_OFFSET  0u          /* CONFIG_FFA_SHARED_MM_BUF_OFFSET */
#define FFA_EMU_MM_BUF_MAX     (1u << 20)  /* largest carveout stmmd maps */
#define FFA_EMU_RXTX_MAX_PAGES 16u         /* largest RX (and TX) stmmd maps */

#endif
