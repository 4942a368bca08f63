/* SPDX-License-Identifier: MIT */
/* The FUSE session of the efivarfs room: mount, serve, unmount. */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse_lowlevel.h>
#include <unistd.h>

#include <glib.h>

#include "client.h"
#include "efivarfs.h"
#include "fs.h"

struct efivarfs_mount {
	struct efivarfs_fs *fs;
	struct fuse_session *se;
	bool mounted;
};

int efivarfs_mount_new(const struct efivarfs_config *cfg, struct emu_client *client,
		       const char *mountpoint, struct efivarfs_mount **ret)
{
	/*
	 * fsname efivarfs and subtype efivarfs: /proc/mounts says "efivarfs <dir>
	 * fuse.efivarfs".  No attribute or entry caching by the kernel (the ops answer with
	 * timeouts 0), other users may read as on efivarfs (0644) with the kernel checking
	 * the modes.
	 */
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_ptr_array_add(args, (gpointer) "stmm-emu-efivarfs");
	g_ptr_array_add(args, (gpointer) "-o");
	g_ptr_array_add(args, geteuid() == 0
				      ? (gpointer) "fsname=efivarfs,subtype=efivarfs,allow_other,default_permissions"
				      : (gpointer) "fsname=efivarfs,subtype=efivarfs,default_permissions");
	struct fuse_args fa = FUSE_ARGS_INIT((int)args->len, (char **)args->pdata);
	struct efivarfs_mount *m = g_new0(struct efivarfs_mount, 1);

	m->fs = efivarfs_fs_new(cfg, client);
	m->se = fuse_session_new(&fa, &efivarfs_fs_ops, sizeof(efivarfs_fs_ops), m->fs);
	fuse_opt_free_args(&fa); /* the parser may have copied them */
	if (!m->se) {
		efivarfs_mount_free(m);
		return -EIO;
	}
	if (fuse_session_mount(m->se, mountpoint) != 0) {
		efivarfs_mount_free(m);
		return -EPERM;
	}
	m->mounted = true;
	*ret = m;
	return 0;
}

int efivarfs_mount_loop(struct efivarfs_mount *m, bool handle_signals)
{
	if (handle_signals && fuse_set_signal_handlers(m->se) != 0)
		return -EIO;
	int r = fuse_session_loop(m->se);
	if (handle_signals)
		fuse_remove_signal_handlers(m->se);
	return r < 0 ? r : 0;
}

bool efivarfs_mount_writable(const struct efivarfs_mount *m)
{
	return efivarfs_fs_writable(m->fs);
}

void efivarfs_mount_free(struct efivarfs_mount *m)
{
	if (!m)
		return;
	if (m->se) {
		if (m->mounted)
			fuse_session_unmount(m->se);
		fuse_session_destroy(m->se);
	}
	efivarfs_fs_free(m->fs);
	g_free(m);
}
