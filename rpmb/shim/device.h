/* SPDX-License-Identifier: MIT */
/*
 * The emulated /dev/mmcblkNrpmb character devices of one process: which descriptors are
 * ours, their link to rpmbd (env RPMB_SHIM_SOCKET), and the MMC ioctls on them.
 *
 * An opened device is a real descriptor: an AF_UNIX SOCK_SEQPACKET socket, connected to
 * rpmbd on the first ioctl (and again after a transport failure, dup3()ed onto the same
 * number), so read/write/poll on it behave like on any socket and close() frees it.
 *
 * Environment: RPMB_SHIM_SOCKET  rpmbd's --socket path (required to open a device);
 *              RPMB_SHIM_DEBUG   set: one "rpmb-shim:" line on stderr per failure;
 *                                "2": also one line per ioctl sequence.
 */
#ifndef STMM_EMU_SHIM_DEVICE_H
#define STMM_EMU_SHIM_DEVICE_H

#include <stdbool.h>

#include "ioc.h"

/* Does `path` name an RPMB device we emulate ("/dev/mmcblk<digits>rpmb")? */
SHIM_HIDDEN bool shim_dev_path_match(const char *path);
/* Open one (open(2) flags; O_CLOEXEC honoured).  A descriptor, or -1 with errno set. */
SHIM_HIDDEN int shim_dev_open(const char *path, int flags);
/* Is fd one of ours, still the socket we handed out? */
SHIM_HIDDEN bool shim_dev_owns(int fd);
/* Stop tracking fd (before it is closed).  No-op for other descriptors. */
SHIM_HIDDEN void shim_dev_forget(int fd);
/* ioctl(2) on one of ours: 0, or -1 with errno set. */
SHIM_HIDDEN int shim_dev_ioctl(int fd, unsigned long request, void *arg);

#endif
