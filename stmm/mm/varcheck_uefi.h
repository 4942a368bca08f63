/* SPDX-License-Identifier: MIT */
/*
 * edk2's VarCheckUefiLib (MdeModulePkg/Library/VarCheckUefiLib/VarCheckUefiLibNullClass.c),
 * which OP-TEE's StMM build links into VariableStandaloneMm as a NULL library class: the
 * VAR_CHECK_VARIABLE_PROPERTY of every variable UEFI defines (VariablePropertySetUefiDefined)
 * and the SetVariable check handler it registers with VarCheckLib
 * (SetVariableCheckHandlerUefiDefined).  Both apply only after EndOfDxe, as VarCheckLib
 * enforces them; varsvc.c calls this in VarCheckLibSetVariableCheck's order.
 */
#ifndef STMM_EMU_STMM_VARCHECK_UEFI_H
#define STMM_EMU_STMM_VARCHECK_UEFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "mm.h"

/*
 * The property VarCheckUefiLib registered for a variable, as VarCheckLib's
 * VariablePropertyGetFunction (WildcardMatch TRUE) finds it: an exact name of
 * mGlobalVariableList, db/dbx/dbt under gEfiImageSecurityDatabaseGuid, or a wildcard name
 * (Boot####, Driver####, SysPrep####, Key####, PlatformRecovery#### under the global GUID,
 * HwErrRec#### under gEfiHardwareErrorVariableGuid) whose #### are four UPPER-case hex
 * digits (VarCheckInternalIsHexaDecimalDigitCharacter).  `name` is UCS-2LE with its NUL,
 * name_size = StrSize.  True and *ret_prop (host order), or false.
 */
bool varcheck_uefi_property(const efi_guid_t *guid, const uint8_t *name, size_t name_size,
			    struct var_check_variable_property *ret_prop);

/*
 * SetVariableCheckHandlerUefiDefined for one SetVariable (data = the payload without an
 * authentication descriptor, as VariableServiceSetVariable passes it).  `has_property` =
 * whether VarCheckLibVariablePropertyGet finds any property for the variable (ours, one from
 * PROPERTY_SET or AuthVariableLib's): the global-namespace rule refuses a name in a
 * UEFI-defined GUID namespace that has none.  EFI_SUCCESS or EFI_INVALID_PARAMETER.
 */
efi_status_t varcheck_uefi_check(const efi_guid_t *guid, const uint8_t *name, size_t name_size,
				 uint32_t attributes, const uint8_t *data, uint64_t data_size,
				 bool has_property);

/* IsDevicePathValid (MdePkg UefiDevicePathLib, PcdMaximumDevicePathNodeCount 0). */
bool varcheck_uefi_device_path_valid(const uint8_t *dp, uint64_t max_size);

#endif
