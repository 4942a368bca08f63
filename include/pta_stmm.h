/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE StMM pseudo-TA as a normal-world client sees it (optee_os
 * core/arch/arm/include/pta_stmm.h, stmm_sp.c; mm-variable-protocol.md §1.8) and the
 * GlobalPlatform TEE Client API values that cross the tee socket.
 */
#ifndef STMM_EMU_PTA_STMM_H
#define STMM_EMU_PTA_STMM_H

#include <stdint.h>

/*
 * UUID ed32d533-99e6-4209-9cc0-2d72cdd998a7 in OP-TEE's byte order: the RFC 4122
 * big-endian octets (time_low, time_mid, time_hi as big-endian numbers).  Note the same
 * value as an EFI_GUID (SMM_VARIABLE_GUID) is byte-swapped in its first three fields.
 */
#define PTA_STMM_UUID_BYTES                                                                 \
	{ 0xed, 0x32, 0xd5, 0x33, 0x99, 0xe6, 0x42, 0x09,                                   \
	  0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7 }
#define TEE_UUID_SIZE 16

/* Commands. */
#define PTA_STMM_CMD_COMMUNICATE 0x0

/* Default size of the NS communication buffer OP-TEE hands StMM: 4 pages. */
#define PTA_STMM_NS_COMM_BUF_SIZE (4u * 4096u)

/* TEE parameter types (TEEC_PARAM_TYPE_*), 4 bits each, parameter 0 in the low nibble. */
#define TEE_PARAM_TYPE_NONE          0x0
#define TEE_PARAM_TYPE_VALUE_INPUT   0x1
#define TEE_PARAM_TYPE_VALUE_OUTPUT  0x2
#define TEE_PARAM_TYPE_VALUE_INOUT   0x3
#define TEE_PARAM_TYPE_MEMREF_INPUT  0x5
#define TEE_PARAM_TYPE_MEMREF_OUTPUT 0x6
#define TEE_PARAM_TYPE_MEMREF_INOUT  0x7
#define TEE_PARAM_TYPES(t0, t1, t2, t3)                                                     \
	((uint32_t)(t0) | ((uint32_t)(t1) << 4) | ((uint32_t)(t2) << 8) | ((uint32_t)(t3) << 12))
#define TEE_PARAM_TYPE_GET(types, i) (((types) >> ((i) * 4)) & 0xf)
#define TEE_NUM_PARAMS 4

/* What PTA_STMM_CMD_COMMUNICATE insists on. */
#define PTA_STMM_COMMUNICATE_PARAM_TYPES                                                    \
	TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT, TEE_PARAM_TYPE_VALUE_OUTPUT,           \
			TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)

/* TEE result codes (GlobalPlatform TEE Client API). */
#define TEE_SUCCESS                    0x00000000u
#define TEE_ERROR_GENERIC              0xFFFF0000u
#define TEE_ERROR_ACCESS_DENIED        0xFFFF0001u
#define TEE_ERROR_CANCEL               0xFFFF0002u
#define TEE_ERROR_ACCESS_CONFLICT      0xFFFF0003u
#define TEE_ERROR_EXCESS_DATA          0xFFFF0004u
#define TEE_ERROR_BAD_FORMAT           0xFFFF0005u
#define TEE_ERROR_BAD_PARAMETERS       0xFFFF0006u
#define TEE_ERROR_BAD_STATE            0xFFFF0007u
#define TEE_ERROR_ITEM_NOT_FOUND       0xFFFF0008u
#define TEE_ERROR_NOT_IMPLEMENTED      0xFFFF0009u
#define TEE_ERROR_NOT_SUPPORTED        0xFFFF000Au
#define TEE_ERROR_NO_DATA              0xFFFF000Bu
#define TEE_ERROR_OUT_OF_MEMORY        0xFFFF000Cu
#define TEE_ERROR_BUSY                 0xFFFF000Du
#define TEE_ERROR_COMMUNICATION        0xFFFF000Eu
#define TEE_ERROR_SECURITY             0xFFFF000Fu
#define TEE_ERROR_SHORT_BUFFER         0xFFFF0010u
#define TEE_ERROR_TIMEOUT              0xFFFF3001u
#define TEE_ERROR_TARGET_DEAD          0xFFFF3024u
#define TEE_ERROR_STORAGE_NOT_AVAILABLE 0xF0100003u

/* Where an error came from (TEEC_ORIGIN_*). */
#define TEE_ORIGIN_API         0x1
#define TEE_ORIGIN_COMMS       0x2
#define TEE_ORIGIN_TEE         0x3
#define TEE_ORIGIN_TRUSTED_APP 0x4

/*
 * MM return codes StMM leaves in value[1].a (ARM_SPM_MM_RET_*; edk2 ArmMmSvc.h).  Signed
 * 32-bit values carried in a 64-bit value field.
 */
#define ARM_SPM_MM_RET_SUCCESS        0
#define ARM_SPM_MM_RET_NOT_SUPPORTED  (-1)
#define ARM_SPM_MM_RET_INVALID_PARAMS (-2)
#define ARM_SPM_MM_RET_DENIED         (-3)
#define ARM_SPM_MM_RET_NO_MEMORY      (-5)

#endif
