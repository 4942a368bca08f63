/* SPDX-License-Identifier: MIT */
/*
 * The interposed libc entry points of a device shim (see shim_interpose.h).  Paths the
 * shim's hooks claim and descriptors it handed out go to those hooks; everything else
 * goes straight to the next definition via dlsym(RTLD_NEXT) -- libc, or the other shim
 * when both are preloaded (LD_PRELOAD="libtee-shim.so librpmb-shim.so").
 *
 * Covered: open, open64, openat, openat64, their _FORTIFY_SOURCE forms __open_2,
 * __open64_2, __openat_2, __openat64_2, close and ioctl (Debian's mmc imports open64,
 * close and ioctl).  Not covered: fopen() of a device path, which opens inside libc;
 * mmap, poll, read (the shims' descriptors are real ones: sockets, memfds).
 * No constructors: nothing runs until the program calls one of these.
 */

/* fcntl.h's fortify wrappers would clash with our definitions of open() & co. */
#undef _FORTIFY_SOURCE

#include "shim_interpose.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

static mode_t mode_of(int flags, va_list ap)
{
	return wants_mode(flags) ? va_arg(ap, mode_t) : 0;
}

#define OPEN_LIKE(name)                                                   \
	SHIM_EXPORT int name(const char *path, int flags, ...)            \
	{                                                                 \
		va_list ap;                                               \
		va_start(ap, flags);                                      \
		mode_t mode = mode_of(flags, ap);                         \
		va_end(ap);                                               \
		if (shim_hooks.path_match(path))                          \
			return shim_hooks.open(path, flags);              \
		static void *next;                                        \
		open_fn f = (open_fn)next_sym(&next, #name);              \
		return f ? f(path, flags, mode) : no_next();              \
	}
#define OPENAT_LIKE(name)                                                 \
	SHIM_EXPORT int name(int dirfd, const char *path, int flags, ...) \
	{                                                                 \
		va_list ap;                                               \
		va_start(ap, flags);                                      \
		mode_t mode = mode_of(flags, ap);                         \
		va_end(ap);                                               \
		if (shim_hooks.path_match(path))                          \
			return shim_hooks.open(path, flags);              \
		static void *next;                                        \
		openat_fn f = (openat_fn)next_sym(&next, #name);          \
		return f ? f(dirfd, path, flags, mode) : no_next();       \
	}
#define OPEN2_LIKE(name)                                                  \
	SHIM_EXPORT int name(const char *path, int flags)                 \
	{                                                                 \
		if (shim_hooks.path_match(path))                          \
			return shim_hooks.open(path, flags);              \
		static void *next;                                        \
		open2_fn f = (open2_fn)next_sym(&next, #name);            \
		return f ? f(path, flags) : no_next();                    \
	}
#define OPENAT2_LIKE(name)                                                \
	SHIM_EXPORT int name(int dirfd, const char *path, int flags)      \
	{                                                                 \
		if (shim_hooks.path_match(path))                          \
			return shim_hooks.open(path, flags);              \
		static void *next;                                        \
		openat2_fn f = (openat2_fn)next_sym(&next, #name);        \
		return f ? f(dirfd, path, flags) : no_next();             \
	}

OPEN_LIKE(open)
OPEN_LIKE(open64)
/* An absolute path ignores dirfd; relative ones are never ours. */
OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)
OPEN2_LIKE(__open_2)
OPEN2_LIKE(__open64_2)
OPENAT2_LIKE(__openat_2)
OPENAT2_LIKE(__openat64_2)

SHIM_EXPORT int close(int fd)
{
	shim_hooks.forget(fd);
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

	if (shim_hooks.owns(fd))
		return shim_hooks.ioctl(fd, request, arg);
	static void *next;
	ioctl_fn f = (ioctl_fn)next_sym(&next, "ioctl");
	return f ? f(fd, request, arg) : no_next();
}
