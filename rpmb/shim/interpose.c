/* SPDX-License-Identifier: MIT */
/*
 * librpmb-shim.so: the libc entry points an RPMB tool reaches /dev/mmcblkNrpmb through.
 * Paths that name an emulated RPMB device and descriptors we handed out go to device.c;
 * everything else goes straight to the next definition (libc) via dlsym(RTLD_NEXT).
 *
 * Covered: open, open64, openat, openat64, their _FORTIFY_SOURCE forms __open_2,
 * __open64_2, __openat_2, __openat64_2, close and ioctl (Debian's mmc imports open64,
 * close and ioctl).  Not covered: fopen() of a device path, which opens inside libc.
 * No constructors: nothing runs until the program calls one of these.
 */

/* fcntl.h's fortify wrappers would clash with our definitions of open() & co. */
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "device.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* glibc's fortify entry points; not declared without _FORTIFY_SOURCE. */
SHIM_EXPORT int __open_2(const char *path, int flags);
SHIM_EXPORT int __open64_2(const char *path, int flags);
SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags);
SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags);

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);

/*
 * The next definition of `name`, looked up once into *slot.  A benign race: two threads
 * may both look it up and store the same pointer.
 */
static void *next_sym(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

static int no_next(void)
{
	errno = ENOSYS;
	return -1;
}

/* open(2) takes a mode only with O_CREAT or O_TMPFILE. */
static int wants_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define MODE_ARG(flags, mode)                        \
	do {                                         \
		if (wants_mode(flags)) {             \
			va_list ap_;                 \
			va_start(ap_, flags);        \
			mode = va_arg(ap_, mode_t);  \
			va_end(ap_);                 \
		}                                    \
	} while (0)

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	open_fn f = (open_fn)next_sym(&next, "open");
	return f ? f(path, flags, mode) : no_next();
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	open_fn f = (open_fn)next_sym(&next, "open64");
	return f ? f(path, flags, mode) : no_next();
}

/* An absolute path ignores dirfd; relative ones are never ours. */
SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	openat_fn f = (openat_fn)next_sym(&next, "openat");
	return f ? f(dirfd, path, flags, mode) : no_next();
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	openat_fn f = (openat_fn)next_sym(&next, "openat64");
	return f ? f(dirfd, path, flags, mode) : no_next();
}

SHIM_EXPORT int __open_2(const char *path, int flags)
{
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	open2_fn f = (open2_fn)next_sym(&next, "__open_2");
	return f ? f(path, flags) : no_next();
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	open2_fn f = (open2_fn)next_sym(&next, "__open64_2");
	return f ? f(path, flags) : no_next();
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	openat2_fn f = (openat2_fn)next_sym(&next, "__openat_2");
	return f ? f(dirfd, path, flags) : no_next();
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	if (shim_dev_path_match(path))
		return shim_dev_open(path, flags);
	static void *next;
	openat2_fn f = (openat2_fn)next_sym(&next, "__openat64_2");
	return f ? f(dirfd, path, flags) : no_next();
}

SHIM_EXPORT int close(int fd)
{
	shim_dev_forget(fd);
	static void *next;
	close_fn f = (close_fn)next_sym(&next, "close");
	return f ? f(fd) : no_next();
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);

	if (shim_dev_owns(fd))
		return shim_dev_ioctl(fd, request, arg);
	static void *next;
	ioctl_fn f = (ioctl_fn)next_sym(&next, "ioctl");
	return f ? f(fd, request, arg) : no_next();
}
