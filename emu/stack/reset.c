/* SPDX-License-Identifier: MIT */
#include "reset.h"

#include <errno.h>
#include <unistd.h>

#include "ipc.h"
#include "stack.h"
#include "tee_client.h"

/* CTRL_RESET to stmmd: 0, -EOPNOTSUPP when it does not serve it, or -errno. */
static int ctrl_reset(const struct emu_state *st, int timeout_ms, GString *err)
{
	g_autoptr(emu_msg) reply = NULL;
	g_autofree char *text = NULL;
	uint32_t id = 1;
	int fd, r = emu_ipc_connect(st->tee_sock, &fd);

	if (r < 0) {
		g_string_append_printf(err, "%s: %s", st->tee_sock, g_strerror(-r));
		return r;
	}
	r = emu_teec_call(fd, &id, timeout_ms, EMU_MSG_CTRL_RESET_REQ, NULL, 0, -1,
			  EMU_MSG_CTRL_RESET_RSP, &reply, &text);
	close(fd);
	if (r == -EPROTO || r == -ENOSYS || r == -EOPNOTSUPP || r == -EBADMSG)
		return -EOPNOTSUPP;
	if (r < 0)
		g_string_append_printf(err, "CTRL_RESET: %s%s%s", g_strerror(-r), text ? ": " : "",
				       text ? text : "");
	return r;
}

int emu_platform_reset(const struct emu_state *st, int wait_ms, GString *err)
{
	g_autofree char *bin_dir = emu_daemon_dir();
	g_autofree char *quirks_path = emu_state_path(st, "quirks");
	g_autofree char *quirks = NULL;
	struct emu_up_result res;
	int lock_fd;

	if (!emu_stack_pid(st, EMU_DAEMON_STMMD)) {
		g_string_append_printf(err, "stmmd is not running (state %s)", st->dir);
		return -ESRCH;
	}
	int r = ctrl_reset(st, wait_ms > 0 ? wait_ms : 20000, err);
	if (r != -EOPNOTSUPP)
		return r;
	g_string_truncate(err, 0);

	if (!g_file_get_contents(quirks_path, &quirks, NULL, NULL))
		quirks = g_strdup("");
	struct emu_up_options opt = {
		.bin_dir = bin_dir,
		.wait_ms = wait_ms > 0 ? wait_ms : 20000,
		.quirks = g_strstrip(quirks),
	};
	r = emu_stack_lock(st, &lock_fd);
	if (r < 0) {
		g_string_append_printf(err, "%s: %s", st->dir, g_strerror(-r));
		return r;
	}
	/* The supplicant first (it holds stmmd's socket), then the secure world. */
	emu_stack_stop(st, EMU_DAEMON_SUPPLICANTD, 5000);
	emu_stack_stop(st, EMU_DAEMON_STMMD, 5000);
	r = emu_stack_up(st, &opt, &res, err);
	close(lock_fd);
	return r;
}
