/* SPDX-License-Identifier: MIT */
/*
 * The StMM pseudo-TA behind the tee core: boots the variable service on an NV store that
 * lives in RPMB (RPMB client -> RPC -> supplicant -> rpmbd), runs MM communicate calls and
 * keeps a status snapshot.  boot/communicate run on the StMM worker only; the snapshot is
 * read from any thread.
 */
#ifndef STMM_EMU_STMM_TEE_STMM_H
#define STMM_EMU_STMM_TEE_STMM_H

#include "rpc.h"
#include "rpmb_client.h"
#include "store.h"
#include "tee.h"
#include "varsvc.h"
#include "varsvc_auth.h"

struct tee_stmm_config {
	struct rpmb_client_config rpmb;
	struct store_layout layout;
	bool optee_fs;               /* the store is the file EFI_VARS of OP-TEE's RPMB FS (rpmb_fs.h),
				      * else raw bytes at layout.base_offset */
	struct varsvc_config vars;
	struct authvar_config auth;  /* AuthVariableLib: the quirks */
	GBytes *import_image;        /* stmmd --import-fv: written at boot (fvio.h); borrowed */
};

struct tee_stmm;

/* Borrows rpc, which must outlive the PTA. */
__attribute__((warn_unused_result)) int tee_stmm_new(const struct tee_stmm_config *cfg,
						     struct rpc *rpc, struct tee_stmm **ret_stmm);
void tee_stmm_free(struct tee_stmm *stmm);
/* The tee core's view of this PTA. */
void tee_stmm_pta_ops(struct tee_stmm *stmm, struct tee_pta_ops *ret_ops);

#endif
