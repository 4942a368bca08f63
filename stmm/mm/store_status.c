/* SPDX-License-Identifier: MIT */
#include "store_status.h"

#include <errno.h>

efi_status_t store_err_to_efi_status(int r)
{
	switch (r) {
	case 0:
		return EFI_SUCCESS;
	case -ENOSPC:
		return EFI_OUT_OF_RESOURCES;
	case -EINVAL:
		return EFI_INVALID_PARAMETER;
	case -ENOENT:
		return EFI_NOT_FOUND;
	default:
		return EFI_DEVICE_ERROR; /* the backend failed a write */
	}
}
