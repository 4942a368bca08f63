/* SPDX-License-Identifier: MIT */
/*
 * libtee-shim.so: the libc entry points a TEE client or tee-supplicant reaches /dev/teeN
 * and /dev/teeprivN through (open & co., close, ioctl: lib/shim/shim_interpose.c) hand
 * paths that name an emulated TEE device and descriptors we handed out to teedev.c;
 * everything else goes to the next definition -- libc, or librpmb-shim.so when both are
 * preloaded (LD_PRELOAD="libtee-shim.so librpmb-shim.so" for a tee-supplicant that
 * reaches the RPMB through /dev/mmcblkNrpmb).
 */
#include "shim/shim_interpose.h"

#include "teedev.h"

const struct shim_hooks shim_hooks = {
	.path_match = teeshim_path_match,
	.open = teeshim_open,
	.owns = teeshim_owns,
	.forget = teeshim_forget,
	.ioctl = teeshim_ioctl,
};
