/* SPDX-License-Identifier: MIT */
/*
 * An efivarfs-compatible FUSE file system over the MM client (Linux persona), so that
 * unmodified efibootmgr, efivar, mokutil and efitools work against the emulator (issue 13;
 * research/next-wave-anchors.md §1).  Each file operation becomes the MM calls the
 * kernel's efivarfs would make through tee_stmm_efi:
 *
 *   Name-guid files (GUID lowercase when listed, case-insensitive on lookup); read = u32
 *   attributes (LE) || data; one write() = one SetVariable (attributes in the first 4
 *   bytes, 0x40 = APPEND_WRITE); a 4-byte write or unlink deletes; create makes no
 *   firmware call; size changes are ignored; FS_IOC_GETFLAGS/SETFLAGS carry the immutable
 *   flag (set unless the kernel's whitelist says the variable may be removed), enforced
 *   here with EPERM; statfs from QueryVariableInfo; EFI status -> errno as the kernel.
 */
#ifndef STMM_EMU_EMU_EFIVARFS_H
#define STMM_EMU_EMU_EFIVARFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "efi.h"

struct emu_client;

/*
 * Where Linux versions differ on files that never reached firmware (§1.1/§1.2):
 *  6.13      a deleting write drops the file at once; a created file never written, or
 *            whose first write failed, stays as a 0-byte entry that reads as EOF.
 *  6.14-rc1  908af31f4896: a file whose size is 0 at its last close is removed (never
 *            written, failed first write, deleting write: size 0 until the last close).
 *            What tools/testing/selftests/efivarfs expects.
 *  6.14+     the fwupdate workaround kept up to the newest kernels: a deleting write sets
 *            the size to 1 and the file goes at its last close; never-written files stay.
 */
enum efivarfs_kernel {
	EFIVARFS_KERNEL_6_13,
	EFIVARFS_KERNEL_6_14_RC1,
	EFIVARFS_KERNEL_6_14,
};
#define EFIVARFS_KERNEL_NAMES "6.13 | 6.14-rc1 (alias: selftests) | 6.14+"
__attribute__((warn_unused_result)) int efivarfs_kernel_from_name(const char *s,
								   enum efivarfs_kernel *ret);
const char *efivarfs_kernel_name(enum efivarfs_kernel k);

/* ---- names.c: file names <-> (UCS-2 name, GUID) ------------------------------------- */

/* The kernel's efivarfs_valid_name(): >= 38 bytes, '-' before the last 36, a GUID. */
bool efivarfs_valid_name(const char *s, size_t len);
/*
 * File name -> UCS-2LE name with NUL (g_free) and GUID.  -EINVAL: not a valid name or a
 * name part that is not UTF-8 within the BMP.
 */
__attribute__((warn_unused_result)) int efivarfs_parse_name(const char *fname, uint8_t **ret_name,
							     size_t *ret_name_size,
							     efi_guid_t *ret_guid);
/* (UCS-2 name, GUID) -> "Name-guid" with the GUID lowercase (g_free); NULL when the name
 * cannot be a file name (not valid UCS-2, empty, or holding '/'). */
char *efivarfs_file_name(const uint8_t *name, size_t name_size, const efi_guid_t *guid);
/* LINUX_EFI_RANDOM_SEED_TABLE_GUID: hidden from the listing, creating one is EPERM. */
bool efivarfs_guid_hidden(const efi_guid_t *guid);

/* ---- policy.c: what the kernel checks before firmware sees a write ------------------- */

/* efivar_variable_is_removable(): in the kernel's variable_validate[] whitelist. */
bool efivarfs_is_removable(const char *name, const efi_guid_t *guid);
/* efivar_validate(): the whitelist's content check for `name` (true when none applies). */
bool efivarfs_validate(const char *name, const efi_guid_t *guid, const uint8_t *data, size_t size);
/* efi_status_to_err() as a positive errno (0 for EFI_SUCCESS). */
int efivarfs_status_to_errno(efi_status_t status);

/* ---- mount.c: the FUSE session -------------------------------------------------------- */

struct efivarfs_config {
	const char *tee_sock;   /* reconnect here when the session is lost */
	int timeout_ms;
	enum efivarfs_kernel kernel;
};

struct efivarfs_mount;

/*
 * Mount the file system at `mountpoint` (type fuse.efivarfs, source "efivarfs"), served
 * through `client` (taken; NULL: connect when first needed).  0 or -errno.
 */
__attribute__((warn_unused_result)) int efivarfs_mount_new(const struct efivarfs_config *cfg,
							    struct emu_client *client,
							    const char *mountpoint,
							    struct efivarfs_mount **ret);
/* Serve requests until unmounted or (handle_signals) SIGTERM/SIGINT/SIGHUP.  0 or -errno. */
int efivarfs_mount_loop(struct efivarfs_mount *m, bool handle_signals);
/* Unmount (if still mounted) and free.  NULL is fine. */
void efivarfs_mount_free(struct efivarfs_mount *m);
/* Is the store writable now (the S6 state)? */
bool efivarfs_mount_writable(const struct efivarfs_mount *m);

/* ---- record.c: mounts recorded in the state directory, for `stmm-emu down` ---------- */

/* STATE/efivarfs/<pid> holding the mount point.  0 or -errno. */
__attribute__((warn_unused_result)) int efivarfs_record_add(const char *state_dir, pid_t pid,
							     const char *mountpoint);
void efivarfs_record_remove(const char *state_dir, pid_t pid);
/*
 * SIGTERM to every recorded mount's server, wait for it to exit (it unmounts), lazily
 * unmount what a dead server left behind.  Returns how many mounts were taken down.
 */
int efivarfs_record_unmount_all(const char *state_dir);

#endif
