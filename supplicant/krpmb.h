/* SPDX-License-Identifier: MIT */
/*
 * The kernel's RPMB route as the normal world serves it (README "The kernel RPMB route"; research
 * rpmb-and-supplicant.md §2.6): what linux drivers/tee/optee/rpc.c does with
 * OPTEE_RPC_CMD_RPMB_PROBE_RESET (22), _PROBE_NEXT (23) and _FRAMES (24) when it routes RPMB
 * in the kernel, over one or more rpmbd devices (one mmc socket each, in the order given:
 * the enumeration order).
 *  - PROBE_RESET: value a = OPTEE_RPC_SHM_TYPE_KERNEL; drops the selected device.
 *  - PROBE_NEXT: the device after the selected one becomes selected and is reported (EMMC,
 *    CID, EXT_CSD RPMB size mult and rel. write sector count from EMU_MSG_MMC_INFO_REQ);
 *    past the last one: TEEC_ERROR_ITEM_NOT_FOUND and nothing selected.
 *  - FRAMES: raw frames to the selected device as one EMU_MSG_MMC_SEQ_REQ (the sequence
 *    the kernel's mmc block driver issues); any failure TEEC_ERROR_BAD_PARAMETERS, nothing
 *    selected TEEC_ERROR_ITEM_NOT_FOUND.
 */
#ifndef STMM_EMU_SUPPLICANT_KRPMB_H
#define STMM_EMU_SUPPLICANT_KRPMB_H

#include <stddef.h>
#include <stdint.h>

struct krpmb;

/* One device per socket path (NULL-terminated list, at least one).  0 or -errno. */
__attribute__((warn_unused_result)) int krpmb_new(char *const *mmc_sockets, int timeout_ms,
						  struct krpmb **ret_krpmb);
void krpmb_free(struct krpmb *k);

/*
 * One RPC of the kernel route: `cmd` OPTEE_RPC_CMD_RPMB_*, memref[0] in, out_len bytes out
 * (emu_ipc.h: struct emu_supp_rpc_value first for PROBE_RESET / PROBE_NEXT).  Returns the
 * TEEC result; other commands: TEEC_ERROR_NOT_SUPPORTED.
 */
uint32_t krpmb_process(struct krpmb *k, uint32_t cmd, const void *in, size_t in_len, void *out,
		       size_t out_len);

#endif
