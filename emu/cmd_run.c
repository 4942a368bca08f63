/* SPDX-License-Identifier: MIT */
/*
 * `stmm-emu run --efivarfs -- CMD`: CMD sees the store where Linux puts efivarfs.  A
 * child makes a private mount namespace (CLONE_NEWNS, / made private so nothing leaks
 * out), a tmpfs over /sys/firmware holding efi/efivars, and serves the FUSE mount there
 * from a thread while CMD runs in a grandchild; when CMD ends the namespace, and with it
 * the mount, goes away.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli.h"
#include "efivarfs.h"
#include "mount_cli.h"

#define EFIVARS_DIR "/sys/firmware/efi/efivars"

/*
 * efitools find efivarfs only in `mount -l` (type exactly "efivarfs", no override) and
 * take the first such line; a FUSE mount says fuse.efivarfs.  A `mount` first in CMD's
 * PATH that renames the type of our mount only (the one at EFIVARS_DIR) for `mount -l` and
 * hands everything else to the real one.
 */
static char *write_mount_wrapper(const char *state_dir, const char *path_env)
{
	g_autofree char *dir = g_build_filename(state_dir, "efivarfs-bin", NULL);
	g_autofree char *file = g_build_filename(dir, "mount", NULL);
	g_autofree char *qpath = g_shell_quote(path_env ? path_env : "/usr/sbin:/usr/bin:/sbin:/bin");
	g_autofree char *script = g_strdup_printf(
		"#!/bin/sh\n"
		"# stmm-emu run --efivarfs: `mount -l` as efitools read it, the emulator's\n"
		"# FUSE mount reported as type efivarfs; anything else to the real mount.\n"
		"PATH=%s\n"
		"if [ \"$#\" -eq 1 ] && [ \"$1\" = -l ]; then\n"
		"\tout=$(mount -l) || exit $?\n"
		"\tprintf '%%s\\n' \"$out\" | sed 's#^\\([^ ]* on " EFIVARS_DIR "\\) type fuse\\.efivarfs #\\1 type efivarfs #'\n"
		"\texit 0\n"
		"fi\n"
		"exec mount \"$@\"\n",
		qpath);
	if (g_mkdir_with_parents(dir, 0755) < 0 || !g_file_set_contents(file, script, -1, NULL) ||
	    chmod(file, 0755) < 0)
		return NULL;
	return g_steal_pointer(&dir);
}

/*
 * The namespace starts as a copy of ours, with every `stmm-emu mount` of other stacks in
 * it (another test's, another user's).  A board has one efivarfs; tools that pick the
 * first one they see (efitools) must find ours, and a copy must not keep another server's
 * superblock alive.  Detaching them here touches only this private namespace.
 */
static void detach_other_efivarfs(void)
{
	g_autofree char *info = NULL;
	if (!g_file_get_contents("/proc/self/mountinfo", &info, NULL, NULL))
		return;
	g_auto(GStrv) lines = g_strsplit(info, "\n", -1);
	for (char **l = lines; *l; l++) {
		/* id parent maj:min root MOUNTPOINT opts [optional...] - FSTYPE source superopts */
		const char *sep = strstr(*l, " - ");
		g_auto(GStrv) f = g_strsplit(*l, " ", 6);
		if (!sep || g_strv_length(f) < 6 || !g_str_has_prefix(sep + 3, "fuse.efivarfs "))
			continue;
		g_autofree char *mnt = g_strcompress(f[4]); /* \040 and friends */
		if (umount2(mnt, MNT_DETACH) < 0) {
			/* gone with a parent detached before it */
		}
	}
}

static int ns_setup(void)
{
	if (unshare(CLONE_NEWNS) < 0) {
		emu_cli_err("run --efivarfs: unshare(CLONE_NEWNS): %s (a private mount namespace "
			    "needs root / CAP_SYS_ADMIN%s)",
			    g_strerror(errno), geteuid() != 0 ? "; you are not root" : "");
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		emu_cli_err("run --efivarfs: making / private: %s", g_strerror(errno));
		return -1;
	}
	detach_other_efivarfs();
	if (mount("tmpfs", "/sys/firmware", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755") < 0) {
		emu_cli_err("run --efivarfs: tmpfs on /sys/firmware: %s (is sysfs mounted on /sys?)",
			    g_strerror(errno));
		return -1;
	}
	if (g_mkdir_with_parents(EFIVARS_DIR, 0755) < 0) {
		emu_cli_err("run --efivarfs: mkdir %s: %s", EFIVARS_DIR, g_strerror(errno));
		return -1;
	}
	return 0;
}

static void *serve_thread(void *arg)
{
	(void)efivarfs_mount_loop(arg, false);
	return NULL;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 127;
}

/* Child A: namespace, mount, CMD; exits with CMD's status. */
static int namespace_child(char **cmd, const char *state_dir, const char *tee_sock,
			   enum efivarfs_kernel kernel)
{
	struct efivarfs_mount *m = NULL;
	pthread_t th;

	if (ns_setup() < 0)
		return EMU_EXIT_STACK;
	if (emu_efivarfs_start(state_dir, tee_sock, kernel, EFIVARS_DIR, &m) != EMU_EXIT_OK)
		return EMU_EXIT_STACK;
	if (pthread_create(&th, NULL, serve_thread, m) != 0) {
		emu_cli_err("run --efivarfs: cannot start the server thread");
		return EMU_EXIT_STACK;
	}
	const char *path_env = g_getenv("PATH");
	g_autofree char *wrapdir = write_mount_wrapper(state_dir, path_env);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		emu_cli_err("run --efivarfs: fork: %s", g_strerror(errno));
		return EMU_EXIT_STACK;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setenv("EFIVARFS_PATH", EFIVARS_DIR "/", 1);
		setenv("STMM_EMU_STATE", state_dir, 1);
		if (wrapdir) {
			g_autofree char *p = g_strdup_printf("%s:%s", wrapdir,
							     path_env ? path_env : "/usr/sbin:/usr/bin:/sbin:/bin");
			setenv("PATH", p, 1);
		}
		execvp(cmd[0], cmd);
		fprintf(stderr, "stmm-emu: run: %s: %s\n", cmd[0], g_strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Leaving the namespace (the last process in it) unmounts; no need to join. */
	return exit_code(status);
}

int emu_run_efivarfs_preflight(void)
{
	if (geteuid() != 0) {
		emu_cli_err("run --efivarfs: not root (a private mount namespace and a mount on "
			    "/sys/firmware/efi/efivars need root; `stmm-emu mount DIR` with "
			    "EFIVARFS_PATH=DIR/ may work without)");
		return EMU_EXIT_STACK;
	}
	return emu_efivarfs_preflight("run --efivarfs");
}

int emu_run_efivarfs(char **cmd, const char *state_dir, const char *tee_sock,
		     enum efivarfs_kernel kernel)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int rc = emu_run_efivarfs_preflight();
	if (rc != EMU_EXIT_OK)
		return rc;

	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		emu_cli_err("run --efivarfs: fork: %s", g_strerror(errno));
		rc = EMU_EXIT_STACK;
	} else if (pid == 0) {
		rc = namespace_child(cmd, state_dir, tee_sock, kernel);
		fflush(NULL);
		_exit(rc);
	} else {
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = exit_code(status);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return rc;
}
