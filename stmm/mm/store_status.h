/* SPDX-License-Identifier: MIT */
/*
 * The one mapping from what the variable stores return (0 or a negative errno: store.h,
 * volatile.h) to the EFI status SetVariable reports.  Used by the variable service
 * (varsvc.c) and by the writes AuthVariableLib asks for (varsvc_auth.c).
 */
#ifndef STMM_EMU_STMM_STORE_STATUS_H
#define STMM_EMU_STMM_STORE_STATUS_H

#include "efi.h"

/*
 * 0 -> EFI_SUCCESS, -ENOSPC -> EFI_OUT_OF_RESOURCES, -EINVAL -> EFI_INVALID_PARAMETER,
 * -ENOENT -> EFI_NOT_FOUND, anything else (the backend failed a write) -> EFI_DEVICE_ERROR.
 */
efi_status_t store_err_to_efi_status(int r);

#endif
