/* SPDX-License-Identifier: MIT */
/*
 * The StMM variable service: handles one MM communicate buffer for the variable
 * HeaderGuid as edk2's VariableSmm.c SmmVariableHandler does.
 */
#ifndef STMM_EMU_STMM_VARSVC_H
#define STMM_EMU_STMM_VARSVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct varsvc_config {
	uint32_t max_variable_size;          /* PcdMaxVariableSize, default 0x2000 */
	uint32_t max_auth_variable_size;     /* PcdMaxAuthVariableSize, default 0x2800 */
	uint32_t max_volatile_variable_size; /* PcdMaxVolatileVariableSize, default = max_variable_size */
	uint32_t volatile_store_size;        /* PcdVariableStoreSize, default 0x4000 */
	uint32_t hwerr_storage_size;         /* PcdHwErrStorageSize, default 0 = no HR variables */
	uint32_t max_hwerr_variable_size;    /* PcdMaxHardwareErrorVariableSize, default 0x8000 */
	bool var_check_uefi;  /* VarCheckUefiLib linked (varcheck_uefi.h); default true */
	bool policy_engine;   /* VarCheckPolicyLib linked: LOCK_VARIABLE works; default false */
};
void varsvc_config_defaults(struct varsvc_config *cfg);

struct varsvc;
/* The service takes no ownership of nv_store. */
__attribute__((warn_unused_result)) int varsvc_new(const struct varsvc_config *cfg,
						   struct store *nv_store, struct varsvc **ret_svc);
void varsvc_free(struct varsvc *svc);

struct authvar_config;
struct varsvc_auth;
/*
 * Enable authenticated variables on a service (once, at boot: AuthVariableLibInitialize,
 * see varsvc_auth.h).  0, -EINVAL (no service, or already enabled), or as varsvc_auth_new.
 */
__attribute__((warn_unused_result)) int varsvc_enable_auth(struct varsvc *svc,
							   const struct authvar_config *cfg);
/* The service's policy, or NULL when authenticated variables are not enabled. */
struct varsvc_auth *varsvc_get_auth(struct varsvc *svc);
/* The boot phase: edk2's mEndOfDxe and mAtRuntime. */
void varsvc_get_phase(const struct varsvc *svc, bool *end_of_dxe, bool *at_runtime);

/*
 * Handle one MM communicate buffer in place.  `buf` holds the whole buffer (24-byte
 * EFI_MM_COMMUNICATE_HEADER first), `size` is its size.  The caller has already copied
 * it out of shared memory and copies it back afterwards.  Returns the MM return code for
 * value[1].a (ARM_SPM_MM_RET_*); the EFI status goes into the variable header's
 * ReturnStatus as edk2 writes it.
 *
 * MM return codes (edk2 ArmStandaloneMmCoreEntryPoint.c + StandaloneMmCpu/EventHandle.c):
 *  - ARM_SPM_MM_RET_DENIED (-3): size < 24, or MessageLength + 24 > size (or overflows).
 *    ValidateMmCommBufferAddr returns EFI_ACCESS_DENIED and EfiStatusToSpmMmStatus maps
 *    it to DENIED — what the SPM_MM-style reply (and the 2021 StMM OP-TEE reads x4 from)
 *    carries.  Current edk2 answers FFA_ERROR there, which OP-TEE turns into a StMM panic
 *    (TEE_ERROR_TARGET_DEAD); we do not emulate the panic.
 *  - ARM_SPM_MM_RET_SUCCESS (0) in every other case: once the buffer is valid the CPU
 *    driver (PiMmStandaloneMmCpuDriverEntry) returns EFI_SUCCESS whatever the handler did.
 *    That includes a HeaderGuid other than SMM_VARIABLE_GUID (no handler: buffer left
 *    untouched) and requests the variable handler drops silently (ReturnStatus untouched):
 *    MessageLength < 16, payload > varsvc_payload_size(), payload below the function's
 *    fixed part.  The EFI status of a handled request is only in ReturnStatus.
 *
 * Boot phases (edk2 VariableSmm.c): 5 READY_TO_BOOT (EndOfDxe if not yet: VarCheck
 * properties and locks enforced, no more PROPERTY_SET / LOCK_VARIABLE; then ReclaimForOS;
 * EFI_UNSUPPORTED after 6), 6 EXIT_BOOT_SERVICE (runtime: BS-only variables invisible, only
 * NV|BS|RT writable, volatile variables read-only, no reclaim).  An MM buffer with HeaderGuid
 * gEfiEndOfDxeEventGroupGuid (the MM core's EndOfDxe event) also enters EndOfDxe.
 * 8 LOCK_VARIABLE and 9 VAR_CHECK_VARIABLE_PROPERTY_SET: before EndOfDxe only (else
 * EFI_ACCESS_DENIED); RAM only.  edk2 reads their name without bounds checks; here a name
 * not NUL-terminated inside the payload, or a payload below the fixed part, is
 * EFI_ACCESS_DENIED as for PROPERTY_GET.
 *
 * Functions: 1 GET_VARIABLE, 2 GET_NEXT_VARIABLE_NAME, 3 SET_VARIABLE (authenticated
 * variables once varsvc_enable_auth() ran, see varsvc_auth.h; before that AT/AW writes ->
 * EFI_INVALID_PARAMETER as edk2 without AuthVariableLib), 4 QUERY_VARIABLE_INFO,
 * 10 VAR_CHECK_VARIABLE_PROPERTY_GET (a property from PROPERTY_SET, else those
 * AuthVariableLib registers, else EFI_NOT_FOUND), 11 GET_PAYLOAD_SIZE, and 5, 6, 8, 9 above;
 * any other -> EFI_UNSUPPORTED.
 */
int32_t varsvc_communicate(struct varsvc *svc, uint8_t *buf, size_t size);

/*
 * Whether the MM buffer `buf` (as varsvc_communicate takes it) only reads the service's
 * memory: the variable handler with 1 GET_VARIABLE, 2 GET_NEXT_VARIABLE_NAME,
 * 4 QUERY_VARIABLE_INFO, 10 VAR_CHECK_VARIABLE_PROPERTY_GET or 11 GET_PAYLOAD_SIZE.  Such a
 * call changes no state and never reaches the NV store's backend (no RPMB access).
 */
bool varsvc_call_is_read_only(const uint8_t *buf, size_t size);

/*
 * mVariableBufferPayloadSize = max(MaxVariableSize, MaxAuthVariableSize,
 * MaxVolatileVariableSize) + 48 - 60: what GET_PAYLOAD_SIZE answers (10228 by default).
 */
uint64_t varsvc_payload_size(const struct varsvc *svc);

#endif
