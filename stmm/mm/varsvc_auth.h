/* SPDX-License-Identifier: MIT */
/*
 * The variable service's side of AuthVariableLib (authvar.c): `authvar_ops` over the two
 * stores, the EFI_VARIABLE_AUTHENTICATION_2 pre-check VariableServiceSetVariable does
 * before its size limits, the hand-off of authenticated writes to the policy, the
 * VarCheck properties AuthVariableLib registers, and the platform mode for `status`.
 * Source: shared/research/mm-variable-protocol.md §3, §4.1.
 *
 * varsvc.c owns one `struct varsvc_auth` once varsvc_enable_auth() (varsvc.h) ran (at StMM boot,
 * after the NV store is loaded); without it the service answers as edk2 without
 * AuthVariableLib (AT writes EFI_INVALID_PARAMETER, AT queries EFI_UNSUPPORTED).
 */
#ifndef STMM_EMU_STMM_VARSVC_AUTH_H
#define STMM_EMU_STMM_VARSVC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authvar.h"
#include "mm.h"
#include "store.h"
#include "volatile.h"

struct varsvc;
struct varsvc_auth;

/* ---- named quirks (stmmd --quirk) ------------------------------------------------------ */

/*
 * Parse a comma list of quirk names into `cfg` (repeatable: bits accumulate).  Known:
 * "optee-stmm".  0, or -EINVAL with the offending name in *ret_bad (g_free).
 */
__attribute__((warn_unused_result)) int varsvc_auth_parse_quirks(const char *list,
								  struct authvar_config *cfg,
								  char **ret_bad);
/* The names varsvc_auth_parse_quirks() knows, comma separated (static string). */
const char *varsvc_auth_quirk_names(void);

/* ---- wiring (varsvc.c) ------------------------------------------------------------------ */

/*
 * Create the policy over the stores and run authvar_init (the mode variables).  Neither
 * store is owned.  0, -EINVAL, or -EIO when the mode variables could not be written.
 */
__attribute__((warn_unused_result)) int varsvc_auth_new(const struct authvar_config *cfg,
							 struct store *nv,
							 struct volatile_store *vol,
							 struct varsvc_auth **ret_auth);
void varsvc_auth_free(struct varsvc_auth *va);

/*
 * edk2's descriptor pre-check for SetVariable (after the attribute checks, before the size
 * limits).  AW|AT together or AW alone -> EFI_UNSUPPORTED (AW only passes here as a legacy
 * AUTHINFO_SIZE delete, refused later); AT with DataSize < 40, dwLength < 24 or beyond the
 * data -> EFI_SECURITY_VIOLATION.  On success *ret_payload_size = DataSize without the
 * descriptor (what the size limits count).
 */
efi_status_t varsvc_auth_precheck(uint32_t attributes, const uint8_t *data, uint64_t data_size,
				  uint64_t *ret_payload_size);

/*
 * After the generic checks (and the existing-variable attribute check): if the write goes
 * through AuthVariableLib, do it and return true with *ret_status; false = the plain path.
 * `existing_attributes` is that of the variable found, if `exists`.
 */
bool varsvc_auth_process(struct varsvc_auth *va, bool at_runtime, const efi_guid_t *guid,
			 const uint8_t *name, size_t name_size, uint32_t attributes,
			 const uint8_t *data, uint64_t data_size, bool exists,
			 uint32_t existing_attributes, efi_status_t *ret_status);

/*
 * The VarCheck properties AuthVariableLib registers (SecureBootEnable, CustomMode: size 1,
 * NV|BS; VendorKeysNv, certdb, certdbv: READ_ONLY).  0 and the property, or -ENOENT.
 */
int varsvc_auth_property(const efi_guid_t *guid, const uint8_t *name, size_t name_size,
			 struct var_check_variable_property *ret_prop);

/*
 * VAR_CHECK_VARIABLE_PROPERTY_GET for those: `p` is a checked
 * SMM_VARIABLE_COMMUNICATE_VAR_CHECK_VARIABLE_PROPERTY payload; fills VariableProperty.
 * EFI_SUCCESS or EFI_NOT_FOUND.
 */
efi_status_t varsvc_auth_property_get(uint8_t *p);

/* ---- status ------------------------------------------------------------------------------ */

struct varsvc_auth_status {
	bool setup_mode;      /* no PK */
	bool secure_boot;     /* SecureBoot == 1 */
	bool setup_mode_var;  /* the SetupMode variable == 1 (a client may have rewritten it) */
	bool quirk_optee_stmm; /* physical presence on, no policy engine (as --quirk optee-stmm) */
	bool user_physical_presence, policy_engine, require_self_signed_pk;
};
void varsvc_auth_get_status(struct varsvc_auth *va, struct varsvc_auth_status *ret);

#endif
