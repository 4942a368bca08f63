/* SPDX-License-Identifier: MIT */
/* Mounts recorded in the state directory (STATE/efivarfs/<pid>), for `stmm-emu down`. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "efivarfs.h"

#define RECORD_DIR "efivarfs"
#define STOP_TIMEOUT_MS 5000

static char *record_path(const char *state_dir, pid_t pid)
{
	g_autofree char *pid_s = g_strdup_printf("%ld", (long)pid);
	return g_build_filename(state_dir, RECORD_DIR, pid_s, NULL);
}

int efivarfs_record_add(const char *state_dir, pid_t pid, const char *mountpoint)
{
	g_autofree char *dir = g_build_filename(state_dir, RECORD_DIR, NULL);
	g_autofree char *path = record_path(state_dir, pid);
	g_autoptr(GError) error = NULL;

	if (g_mkdir_with_parents(dir, 0700) < 0)
		return -errno;
	if (!g_file_set_contents(path, mountpoint, -1, &error))
		return -EIO;
	return 0;
}

void efivarfs_record_remove(const char *state_dir, pid_t pid)
{
	g_autofree char *path = record_path(state_dir, pid);
	(void)g_unlink(path);
}

/* Wait for `pid` to exit, at most timeout_ms (pidfd: no polling).  true when it has. */
static bool wait_exit(pid_t pid, int timeout_ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == ESRCH;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);
	close(fd);
	return r == 1;
}

/* Is `pid` still a stmm-emu (not a reused pid)? */
static bool is_ours(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%ld/comm", (long)pid);
	g_autofree char *comm = NULL;
	if (!g_file_get_contents(path, &comm, NULL, NULL))
		return false;
	return g_str_has_prefix(comm, "stmm-emu");
}

int efivarfs_record_unmount_all(const char *state_dir)
{
	g_autofree char *dir = g_build_filename(state_dir, RECORD_DIR, NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *ent;
	int n = 0;

	if (!d)
		return 0;
	while ((ent = g_dir_read_name(d))) {
		char *end = NULL;
		long pid = strtol(ent, &end, 10);
		if (!end || *end || pid <= 1)
			continue;
		g_autofree char *path = g_build_filename(dir, ent, NULL);
		g_autofree char *mnt = NULL;
		(void)g_file_get_contents(path, &mnt, NULL, NULL);
		if (is_ours((pid_t)pid) && kill((pid_t)pid, SIGTERM) == 0 && !wait_exit((pid_t)pid, STOP_TIMEOUT_MS))
			(void)kill((pid_t)pid, SIGKILL);
		/* A server killed or dead before: its mount is left; detach it. */
		if (mnt && *mnt)
			(void)umount2(mnt, MNT_DETACH);
		(void)g_unlink(path);
		n++;
	}
	return n;
}
