/* SPDX-License-Identifier: MIT */
/* stmm-emu mount: the store as an efivarfs-compatible FUSE file system (emu/efivarfs). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "efivarfs.h"
#include "mount_cli.h"
#include "state.h"

int emu_efivarfs_preflight(const char *what)
{
	if (access("/dev/fuse", R_OK | W_OK) != 0) {
		emu_cli_err("%s: /dev/fuse: %s (FUSE is needed: load the fuse module, or give the "
			    "container --device /dev/fuse)",
			    what, g_strerror(errno));
		return EMU_EXIT_STACK;
	}
	return EMU_EXIT_OK;
}

int emu_efivarfs_start(const char *state_dir, const char *tee_sock, enum efivarfs_kernel kernel,
		       const char *mountpoint, struct efivarfs_mount **ret)
{
	struct emu_client *c = NULL;
	struct efivarfs_config cfg = {
		.tee_sock = tee_sock,
		.timeout_ms = emu_cli_timeout_ms(0),
		.kernel = kernel,
	};

	if (emu_cli_open_client_persona(state_dir, 0, EMU_CLIENT_PERSONA_LINUX, "mount", &c) !=
	    EMU_EXIT_OK)
		return EMU_EXIT_STACK;
	int r = efivarfs_mount_new(&cfg, c, mountpoint, ret);
	if (r < 0) {
		emu_cli_err("mount: cannot mount the store on %s (%s)", mountpoint,
			    geteuid() == 0 ? "see libfuse's message above" : "not root? fusermount3?");
		return EMU_EXIT_STACK;
	}
	return EMU_EXIT_OK;
}

/* The server: serve until unmounted or SIGTERM, then unmount and drop the record. */
static int serve(struct efivarfs_mount *m, const char *state_dir)
{
	int r = efivarfs_mount_loop(m, true);
	efivarfs_mount_free(m);
	efivarfs_record_remove(state_dir, getpid());
	return r < 0 ? EMU_EXIT_STACK : EMU_EXIT_OK;
}

int emu_cmd_mount(int argc, char **argv)
{
	g_autofree char *state = NULL, *kernel_s = NULL;
	gboolean foreground = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "kernel", 'k', 0, G_OPTION_ARG_STRING, &kernel_s,
		  "efivarfs of this Linux version where versions differ (default 6.14+)",
		  EFIVARFS_KERNEL_NAMES },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
		  "serve in this process until unmounted or SIGTERM", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("DIR - mount the variable store as efivarfs");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Mounts the running stack's UEFI variables on DIR with efivarfs's semantics\n"
		     "(FUSE type fuse.efivarfs), every file operation becoming the MM calls of\n"
		     "Linux's tee_stmm_efi.  Read-only while StMM has no working store.  `stmm-emu\n"
		     "down` or SIGTERM to the server unmounts it.  Use with tools:\n"
		     "EFIVARFS_PATH=DIR/ efibootmgr, or `stmm-emu run --efivarfs -- CMD`.\n\n"
		     EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	enum efivarfs_kernel kernel = EFIVARFS_KERNEL_6_14;
	if (kernel_s && efivarfs_kernel_from_name(kernel_s, &kernel) < 0) {
		emu_cli_err("mount: --kernel %s: not one of %s", kernel_s, EFIVARFS_KERNEL_NAMES);
		return EMU_EXIT_USAGE;
	}
	if (argc != 2) {
		emu_cli_err("mount: give one directory (see --help)");
		return EMU_EXIT_USAGE;
	}
	g_autofree char *mnt = g_canonicalize_filename(argv[1], NULL);
	if (!g_file_test(mnt, G_FILE_TEST_IS_DIR)) {
		emu_cli_err("mount: %s: not a directory", mnt);
		return EMU_EXIT_USAGE;
	}
	int rc = emu_efivarfs_preflight("mount");
	if (rc != EMU_EXIT_OK)
		return rc;

	struct emu_state st;
	emu_state_init(&st, state);
	struct efivarfs_mount *m = NULL;
	if (foreground) {
		rc = emu_efivarfs_start(st.dir, st.tee_sock, kernel, mnt, &m);
		if (rc == EMU_EXIT_OK && efivarfs_record_add(st.dir, getpid(), mnt) < 0)
			emu_cli_err("mount: cannot record the mount in %s", st.dir);
		if (rc == EMU_EXIT_OK)
			rc = serve(m, st.dir);
		emu_state_clear(&st);
		return rc;
	}

	/* The server is one more process of the stack; the parent returns once it serves. */
	int pfd[2];
	if (pipe(pfd) < 0) {
		emu_cli_err("mount: pipe: %s", g_strerror(errno));
		emu_state_clear(&st);
		return EMU_EXIT_STACK;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		emu_cli_err("mount: fork: %s", g_strerror(errno));
		emu_state_clear(&st);
		return EMU_EXIT_STACK;
	}
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		rc = emu_efivarfs_start(st.dir, st.tee_sock, kernel, mnt, &m);
		if (rc == EMU_EXIT_OK && efivarfs_record_add(st.dir, getpid(), mnt) < 0)
			emu_cli_err("mount: cannot record the mount in %s", st.dir);
		unsigned char status = (unsigned char)rc;
		if (rc == EMU_EXIT_OK) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
				if (null > 2)
					close(null);
			}
			if (chdir("/") < 0) {
				/* nothing to do: the mount does not need a cwd */
			}
		}
		if (write(pfd[1], &status, 1) != 1) {
			/* the parent is gone; serve anyway */
		}
		close(pfd[1]);
		if (rc == EMU_EXIT_OK)
			rc = serve(m, st.dir);
		emu_state_clear(&st);
		_exit(rc);
	}
	close(pfd[1]);
	unsigned char status = EMU_EXIT_STACK;
	ssize_t n;
	do
		n = read(pfd[0], &status, 1);
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n != 1) {
		(void)waitpid(pid, NULL, 0);
		status = EMU_EXIT_STACK;
	} else if (status != EMU_EXIT_OK) {
		(void)waitpid(pid, NULL, 0);
	}
	emu_state_clear(&st);
	return status;
}
