/* SPDX-License-Identifier: MIT */
/*
 * TEE_IOC_SUPPL_RECV / TEE_IOC_SUPPL_SEND on /dev/teeprivN, as Linux's OP-TEE driver serves
 * them (drivers/tee/optee/supp.c; research/next-wave-anchors.md §2.1-2.3), fed by stmmd's
 * EMU_MSG_SUPP_RPC_REQ and answered with EMU_MSG_SUPP_RPC_RSP.
 *
 * tee-supplicant resolves a memref only in shared memory it allocated itself, so the shim
 * first plays OP-TEE's part: its first RECV returns OPTEE_RPC_CMD_SHM_ALLOC (value a =
 * OPTEE_RPC_SHM_TYPE_APPL, b = size) and the SEND's value c names the buffer, which every
 * later RPC uses (OP-TEE keeps its RPC payload buffer per thread).  An RPMB RPC then comes
 * as memref[0] INPUT {offset 0, in_len} and memref[1] OUTPUT {offset in_len, out_len} in
 * that buffer, as OP-TEE's tee_rpmb_invoke() sends it.  A META parameter 0 in RECV gets
 * VALUE_INOUT|META with a = the request id back, and SEND must return it.
 */
#ifndef STMM_EMU_TEESHIM_SUPP_H
#define STMM_EMU_TEESHIM_SUPP_H

#include "teedev.h"

/* 0 or -errno. */
TEESHIM_HIDDEN int teeshim_supp_recv(struct teeshim_dev *dev, void *arg);
TEESHIM_HIDDEN int teeshim_supp_send(struct teeshim_dev *dev, void *arg);
/* The size asked for in the synthetic SHM_ALLOC: the largest request plus reply. */
#define TEESHIM_RPC_SHM_SIZE (2u * EMU_MSG_MAX_SIZE)

#endif
