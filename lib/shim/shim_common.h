/* SPDX-License-Identifier: MIT */
/*
 * Small pieces both LD_PRELOAD device shims use (librpmb-shim.so, libtee-shim.so): device
 * path matching, the identity of a descriptor we handed out, the table of those
 * descriptors, the debug line on stderr.  Hidden: nothing here leaves a shim (exports.map).
 */
#ifndef STMM_EMU_SHIM_COMMON_H
#define STMM_EMU_SHIM_COMMON_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SHIM_COMMON_HIDDEN __attribute__((visibility("hidden")))

/* Is path exactly `prefix`, one or more decimal digits, then `suffix`?  false for NULL. */
SHIM_COMMON_HIDDEN bool shim_path_numbered(const char *path, const char *prefix,
					   const char *suffix);

/* The identity (st_dev, st_ino) of the file behind fd, to notice a descriptor that was
 * closed behind our back and reused.  0 or a negative errno (outputs untouched then). */
SHIM_COMMON_HIDDEN int shim_fd_identify(int fd, dev_t *ret_dev, ino_t *ret_ino);

/*
 * The descriptors one shim handed out (its fd -> device table).  The shim owns the storage:
 * a static array of its own entry type, each beginning (offset 0) with a struct
 * shim_fd_entry; the table stores a copy of the whole entry.  An entry's address stays valid
 * for the life of the process, so a shim may keep using what shim_fd_table_lookup() gave it
 * after the lock is released (the tee shim does; the rpmb shim copies out and back).
 *
 * The lock guards the array and is never held across I/O: lib/ipc.c's close() calls come
 * back through the shim's close() (its forget hook), which takes the lock.  The count of
 * entries in use is read without the lock, so that close() and ioctl() on other programs'
 * descriptors cost one atomic load while no device is open.
 *
 * Entries are keyed by descriptor number, checked by identity: a dup() of ours is a new
 * number and so not ours (a plain socket to the kernel's ioctl: ENOTTY); a fork()ed child
 * inherits the table with the descriptors; a number closed behind our back (close_range,
 * dup2 onto it, a raw syscall) and reused no longer matches the identity we noted.
 */
struct shim_fd_entry {
	bool used;
	int fd;
	dev_t st_dev; /* identity of the file behind fd when we handed it out */
	ino_t st_ino;
};

struct shim_fd_table {
	pthread_mutex_t lock;
	int nused;         /* entries in use; atomic, read without the lock */
	void *entries;     /* cap entries of entry_size bytes */
	size_t cap;
	size_t entry_size;
};

/* A table over `array`, a static array of a struct whose first member is a shim_fd_entry. */
#define SHIM_FD_TABLE_INIT(array)                                                      \
	{                                                                              \
		.lock = PTHREAD_MUTEX_INITIALIZER, .nused = 0, .entries = (array),     \
		.cap = sizeof(array) / sizeof((array)[0]), .entry_size = sizeof((array)[0]) \
	}

/* What shim_fd_table_lookup() does with an entry whose descriptor is no longer ours. */
enum shim_fd_stale {
	SHIM_FD_KEEP_STALE, /* leave it: it is replaced by the next open of that number or
			     * removed by its close() (what the entry holds is released there) */
	SHIM_FD_DROP_STALE, /* remove it at once */
};

/*
 * Enter `entry` (entry_size bytes; its shim_fd_entry's fd and identity set) in the first
 * slot that is free or holds a stale entry for the same number.  0 or -ENFILE (full).
 */
SHIM_COMMON_HIDDEN int shim_fd_table_insert(struct shim_fd_table *t, const void *entry)
	__attribute__((warn_unused_result));
/* fd's entry if fd is still the file we handed out (same identity), else NULL. */
SHIM_COMMON_HIDDEN void *shim_fd_table_lookup(struct shim_fd_table *t, int fd,
					      enum shim_fd_stale stale);
/* Copy fd's entry to ret_entry (no identity check): true, or false if fd has none. */
SHIM_COMMON_HIDDEN bool shim_fd_table_get(struct shim_fd_table *t, int fd, void *ret_entry);
/* Copy `entry` over the entry of its fd, if that fd still has one (not re-entered). */
SHIM_COMMON_HIDDEN void shim_fd_table_put(struct shim_fd_table *t, const void *entry);
/* Remove fd's entry, copied first to ret_entry unless NULL.  false if fd has none. */
SHIM_COMMON_HIDDEN bool shim_fd_table_take(struct shim_fd_table *t, int fd, void *ret_entry);

/* One line "<who>: <message>" on stderr; errno is preserved. */
SHIM_COMMON_HIDDEN void shim_debug_line(const char *who, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
