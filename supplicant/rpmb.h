/* SPDX-License-Identifier: MIT */
/*
 * OPTEE_RPC_CMD_RPMB as tee-supplicant handles it (research/rpmb-and-supplicant.md §2.2,
 * §2.4): GET_DEV_INFO from the device, DATA_REQ relayed to the device as one multi-command
 * sequence (here: one EMU_MSG_MMC_SEQ_REQ to rpmbd instead of MMC_IOC_MULTI_CMD).  Frames
 * are relayed, never interpreted: result codes are the secure world's business.
 */
#ifndef STMM_EMU_SUPPLICANT_RPMB_H
#define STMM_EMU_SUPPLICANT_RPMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The device (rpmbd's mmc socket); connected lazily and again after rpmbd restarts. */
struct rpmb_mmc;

__attribute__((warn_unused_result)) int rpmb_mmc_new(const char *socket_path, int timeout_ms,
						     struct rpmb_mmc **ret_mmc);
void rpmb_mmc_free(struct rpmb_mmc *mmc);
/*
 * Send each data command of a sequence as its own EMU_MSG_MMC_CMD_REQ on the RPMB
 * partition, as tee-supplicant did before MMC_IOC_MULTI_CMD (one MMC_IOC_CMD ioctl per
 * CMD25/CMD18, the kernel adding CMD23): other clients' commands can reach the card in
 * between (optee_client commit 5da4da9).  Default off (one EMU_MSG_MMC_SEQ_REQ).
 */
void rpmb_mmc_set_no_multi_cmd(struct rpmb_mmc *mmc, bool on);

/*
 * One RPMB RPC: req = memref[0] (struct rpmb_req + frames), rsp = memref[1].  Returns the
 * TEEC result for the RPC (TEE_SUCCESS, TEE_ERROR_BAD_PARAMETERS for a malformed request,
 * TEE_ERROR_GENERIC when the device cannot be reached, as for a failed ioctl).
 */
uint32_t rpmb_process_request(struct rpmb_mmc *mmc, const void *req, size_t req_size, void *rsp,
			      size_t rsp_size);

#endif
