/* SPDX-License-Identifier: MIT */
/* The FUSE operations of the efivarfs room (fs.c), for mount.c. */
#ifndef STMM_EMU_EMU_EFIVARFS_FS_H
#define STMM_EMU_EMU_EFIVARFS_FS_H

#include <stdbool.h>

#include "efivarfs.h"

struct fuse_lowlevel_ops;
struct efivarfs_fs;

/* The state behind the operations; `client` is taken (NULL: connect when needed). */
struct efivarfs_fs *efivarfs_fs_new(const struct efivarfs_config *cfg, struct emu_client *client);
void efivarfs_fs_free(struct efivarfs_fs *fs);
/* QueryVariableInfo answers: the store is writable (S6).  Updates and returns the state. */
bool efivarfs_fs_probe(struct efivarfs_fs *fs);
bool efivarfs_fs_writable(const struct efivarfs_fs *fs);

extern const struct fuse_lowlevel_ops efivarfs_fs_ops;

#endif
