/* SPDX-License-Identifier: MIT */
/*
 * The libc entry points an LD_PRELOAD device shim interposes (lib/shim/shim_interpose.c),
 * shared by librpmb-shim.so and libtee-shim.so.  Each shim links that file and defines one
 * `shim_hooks` table: which paths name its device, and what open, close and ioctl do on the
 * descriptors it handed out.  Everything else goes to the next definition (dlsym RTLD_NEXT).
 *
 * It sits below lib/ rather than among lib/'s sources on purpose: it defines open() & co.,
 * so it must never be in the static library the programs link.
 */
#ifndef STMM_EMU_SHIM_INTERPOSE_H
#define STMM_EMU_SHIM_INTERPOSE_H

#include <stdbool.h>

struct shim_hooks {
	/* Does `path` name a device this shim emulates? */
	bool (*path_match)(const char *path);
	/* Open one (open(2) flags).  A descriptor, or -1 with errno set. */
	int (*open)(const char *path, int flags);
	/* Is fd one of ours, still the descriptor we handed out? */
	bool (*owns)(int fd);
	/* Stop tracking fd (before it is closed).  No-op for other descriptors. */
	void (*forget)(int fd);
	/* ioctl(2) on one of ours: >= 0, or -1 with errno set. */
	int (*ioctl)(int fd, unsigned long request, void *arg);
};

/* Defined by each shim. */
extern const struct shim_hooks shim_hooks __attribute__((visibility("hidden")));

#endif
