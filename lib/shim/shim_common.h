/* SPDX-License-Identifier: MIT */
/*
 * Small pieces both LD_PRELOAD device shims use (librpmb-shim.so, libtee-shim.so): device
 * path matching, the identity of a descriptor we handed out, the debug line on stderr.
 * Hidden: nothing here leaves a shim (exports.map).
 */
#ifndef STMM_EMU_SHIM_COMMON_H
#define STMM_EMU_SHIM_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#define SHIM_COMMON_HIDDEN __attribute__((visibility("hidden")))

/* Is path exactly `prefix`, one or more decimal digits, then `suffix`?  false for NULL. */
SHIM_COMMON_HIDDEN bool shim_path_numbered(const char *path, const char *prefix,
					   const char *suffix);

/* The identity (st_dev, st_ino) of the file behind fd, to notice a descriptor that was
 * closed behind our back and reused.  0 or a negative errno (outputs untouched then). */
SHIM_COMMON_HIDDEN int shim_fd_identify(int fd, dev_t *ret_dev, ino_t *ret_ino);

/* One line "<who>: <message>" on stderr; errno is preserved. */
SHIM_COMMON_HIDDEN void shim_debug_line(const char *who, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
