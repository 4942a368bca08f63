/* SPDX-License-Identifier: MIT */
/*
 * librpmb-shim.so: the libc entry points an RPMB tool reaches /dev/mmcblkNrpmb through
 * (open & co., close, ioctl: lib/shim/shim_interpose.c) hand paths that name an emulated
 * RPMB device and descriptors we handed out to device.c.
 */
#include "shim/shim_interpose.h"

#include "device.h"

const struct shim_hooks shim_hooks = {
	.path_match = shim_dev_path_match,
	.open = shim_dev_open,
	.owns = shim_dev_owns,
	.forget = shim_dev_forget,
	.ioctl = shim_dev_ioctl,
};
