/* SPDX-License-Identifier: MIT */
/*
 * The StMM variable service: handles one MM communicate buffer for the variable
 * HeaderGuid as edk2's VariableSmm.c SmmVariableHandler does.
 */
#ifndef STMM_EMU_STMM_VARSVC_H
#define STMM_EMU_STMM_VARSVC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct varsvc_config {
	uint32_t max_variable_size;          /* PcdMaxVariableSize, default 0x2000 */
	uint32_t max_auth_variable_size;     /* PcdMaxAuthVariableSize, default 0x2800 */
	uint32_t max_volatile_variable_size; /* PcdMaxVolatileVariableSize, default = max_variable_size */
	uint32_t volatile_store_size;        /* PcdVariableStoreSize, default 0x4000 */
};
void varsvc_config_defaults(struct varsvc_config *cfg);

struct varsvc;
/* The service takes no ownership of nv_store. */
__attribute__((warn_unused_result)) int varsvc_new(const struct varsvc_config *cfg,
						   struct store *nv_store, struct varsvc **ret_svc);
void varsvc_free(struct varsvc *svc);

/*
 * Handle one MM communicate buffer in place.  `buf` holds the whole buffer (24-byte
 * EFI_MM_COMMUNICATE_HEADER first), `size` is its size.  The caller has already copied
 * it out of shared memory and copies it back afterwards.  Returns the MM return code for
 * value[1].a (ARM_SPM_MM_RET_*); the EFI status goes into the variable header's
 * ReturnStatus as edk2 writes it.
 */
int32_t varsvc_communicate(struct varsvc *svc, uint8_t *buf, size_t size);

#endif
