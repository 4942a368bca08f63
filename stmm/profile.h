/* SPDX-License-Identifier: MIT */
/*
 * Build profiles: the PCDs and linked libraries of one real StMM build, as a name
 * (stmmd --profile, `stmm-emu up --profile`).  README "Which EDK2 build this is".
 *
 *   optee-stmm (default)  edk2-platforms Platform/StandaloneMm/PlatformStandaloneMmPkg/
 *                         PlatformStandaloneMmRpmb.dsc: PcdUserPhysicalPresence TRUE,
 *                         NULL|VarCheckUefiLib linked, no VarCheckPolicyLib,
 *                         PcdRequireSelfSignedPk unset (FALSE, SecurityPkg.dec/
 *                         MdeModulePkg.dec), PcdMaxVariableSize 0x2000,
 *                         PcdMaxAuthVariableSize 0x2800, three 16 KiB flash areas,
 *                         PcdVariableStoreSize 0x4000.
 *   strict                the same sizes and VarCheckUefiLib; physical presence off, the
 *                         variable-policy engine on, PK self-signed in setup mode (what an
 *                         OVMF Secure Boot build, or edk2 before 566cdfc675, does).
 *
 * Single switches (stmmd --physical-presence, --variable-policy, --require-self-signed-pk,
 * --var-check-uefi, each on|off) override a profile's value afterwards.
 */
#ifndef STMM_EMU_STMMD_PROFILE_H
#define STMM_EMU_STMMD_PROFILE_H

#include <stdbool.h>

#include "authvar.h"
#include "varsvc.h"

#define STMM_PROFILE_DEFAULT "optee-stmm"

/* "optee-stmm" and "strict" (NULL: no). */
bool stmm_profile_valid(const char *name);
/* The names, comma separated (static string). */
const char *stmm_profile_names(void);

/*
 * Set the profile's switches in both configurations (sizes are left alone: both profiles
 * use the dsc's, varsvc_config_defaults()).  0, or -EINVAL for an unknown name.
 */
__attribute__((warn_unused_result)) int stmm_profile_apply(const char *name,
							    struct varsvc_config *vars,
							    struct authvar_config *auth);

/* The profile whose switches these are, or NULL (a mix from single switches). */
const char *stmm_profile_of(const struct varsvc_config *vars, const struct authvar_config *auth);

#endif
