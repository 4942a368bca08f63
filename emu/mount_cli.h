/* SPDX-License-Identifier: MIT */
/* What `mount` (cmd_mount.c) shares with `run --efivarfs` (cmd_run.c) and `down`. */
#ifndef STMM_EMU_EMU_MOUNT_CLI_H
#define STMM_EMU_EMU_MOUNT_CLI_H

#include "efivarfs.h"

/* /dev/fuse usable?  EMU_EXIT_OK, or the error printed ("WHAT: /dev/fuse: ...") and 3. */
int emu_efivarfs_preflight(const char *what);
/* Connect (Linux persona) and mount on `mountpoint`.  EMU_EXIT_OK or printed + 3. */
int emu_efivarfs_start(const char *state_dir, const char *tee_sock, enum efivarfs_kernel kernel,
		       const char *mountpoint, struct efivarfs_mount **ret);
/* `run --efivarfs` possible here: root and /dev/fuse?  EMU_EXIT_OK, or printed + 3. */
int emu_run_efivarfs_preflight(void);
/*
 * `run --efivarfs`: CMD in a private mount namespace with the store at
 * /sys/firmware/efi/efivars (tmpfs over /sys/firmware), EFIVARFS_PATH and STMM_EMU_STATE
 * set, and `mount -l` reporting it as type efivarfs (for efitools).  CMD's exit status,
 * 128+N when killed by signal N, 127 when it could not be run; 3 when the namespace or
 * the mount could not be made (the reason printed).
 */
int emu_run_efivarfs(char **cmd, const char *state_dir, const char *tee_sock,
		     enum efivarfs_kernel kernel);

#endif
