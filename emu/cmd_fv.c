/* SPDX-License-Identifier: MIT */
/*
 * stmm-emu import / export: EDK2 variable files (OVMF_VARS*.fd, AAVMF_VARS*.fd) in and out.
 *
 * Import (stopped stack only; `up --import` on a fresh state):
 *   1. `stmmd --check-fv FILE` validates the whole file (nothing is touched yet) and says
 *      what the store needs: the layout (variable store, FTW working, FTW spare).
 *   2. A private stack in a staging directory STATE/import.XXXXXX: a new rpmbd device of
 *      the RPMB size the layout needs, stmmd started with that layout and --import-fv FILE,
 *      which writes the live variables through the normal RPMB path when StMM boots.  The
 *      first GET_PAYLOAD_SIZE round trip proves the store loads; then it is stopped.
 *   3. Commit: the staging rpmb.db replaces STATE/rpmb.db, then the staging stmm-emu.conf
 *      (the layout and size-mult, other keys kept) replaces STATE/stmm-emu.conf.
 *   Any failure before step 3 leaves STATE as it was; the staging directory is removed.
 *
 * Export: the store as a standalone FV, read from stmmd with EMU_MSG_CTRL_EXPORT_REQ in
 * chunks.  A running stack is read as it runs; a stopped one is started for the export
 * and stopped again (only the daemons that were started).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fvcheck.h"
#include "stack.h"
#include "state.h"
#include "tee_client.h"

#define RPMB_MULT_BYTES (128u * 1024u)
#define RPMB_DEFAULT_SIZE_MULT 2u /* rpmbd's default */
#define FV_BLOCK 4096u

/* ---- import ------------------------------------------------------------------------ */

struct import_plan {
	struct emu_config cfg;
	uint32_t live_variables;
	uint32_t records;
	uint64_t bytes_needed;
};

/* stmmd --check-fv FILE: the file's verdict and the layout it needs. */
static int check_file(const char *bin_dir, const char *file, uint32_t var_store_size,
		      struct import_plan *ret, GString *err)
{
	g_autofree char *stmmd = g_build_filename(bin_dir, "stmmd", NULL);
	char *argv[] = { stmmd, "--check-fv", (char *)file, NULL };
	g_autofree char *out = NULL, *errout = NULL;
	g_autoptr(GError) gerr = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout, &status,
			  &gerr)) {
		g_string_append_printf(err, "%s: %s", stmmd, gerr->message);
		return -ENOENT;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		const char *msg = g_str_has_prefix(errout, "stmmd: ") ? errout + 7 : errout;
		g_string_append(err, g_strchomp((char *)msg));
		/* stmmd exits 1 for an invalid file, 2 when it could not read it. */
		return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? -EINVAL : -ENOENT;
	}
	struct fvcheck_result fc;
	g_autofree char *why = NULL;
	if (fvcheck_parse(out, out ? strlen(out) : 0, &fc, &why) < 0) {
		g_string_append_printf(err, "stmmd --check-fv answered nonsense: %s", why);
		return -EPROTO;
	}
	struct import_plan p = {
		.cfg.var_store_size = fc.var_store_size,
		.cfg.ftw_working_size = fc.ftw_working_size,
		.cfg.ftw_spare_size = fc.ftw_spare_size,
		.live_variables = fc.live_variables,
		.records = fc.records,
		.bytes_needed = fc.bytes_needed,
	};
	if (var_store_size) {
		if (var_store_size % FV_BLOCK || var_store_size > (16u << 20)) {
			g_string_append_printf(err, "--var-store-size %u: a multiple of 4096 up to 16 MiB",
					       var_store_size);
			return -EINVAL;
		}
		if (var_store_size < p.bytes_needed) {
			g_string_append_printf(err, "%s: its %u live variables need a variable store of "
					       "%" PRIu64 " bytes; --var-store-size %u is too small",
					       file, p.live_variables, p.bytes_needed, var_store_size);
			return -ENOSPC;
		}
		p.cfg.var_store_size = var_store_size;
		p.cfg.ftw_spare_size = MAX(var_store_size, p.cfg.ftw_working_size);
	}
	uint64_t total = (uint64_t)p.cfg.var_store_size + p.cfg.ftw_working_size + p.cfg.ftw_spare_size;
	p.cfg.rpmb_size_mult = (uint32_t)MAX((uint64_t)RPMB_DEFAULT_SIZE_MULT,
					     (total + RPMB_MULT_BYTES - 1) / RPMB_MULT_BYTES);
	if (p.cfg.rpmb_size_mult > 128) {
		g_string_append_printf(err, "%s: the store needs %" PRIu64 " bytes of RPMB, more than "
				       "16 MiB", file, total);
		return -ENOSPC;
	}
	*ret = p;
	return 0;
}

/* rm -r of a staging directory we made (flat: daemons' files only). */
static void remove_tree(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			remove_tree(p);
		else
			(void)unlink(p);
	}
	(void)rmdir(dir);
}

static void stop_all(const struct emu_state *st)
{
	for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--)
		(void)emu_stack_stop(st, (enum emu_daemon)d, 5000);
}

static bool any_running(const struct emu_state *st)
{
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		if (emu_stack_pid(st, (enum emu_daemon)d))
			return true;
	return false;
}

/* Move staging/<name> over STATE/<name> (or remove STATE/<name> if staging has none). */
static int move_in(const struct emu_state *stage, const struct emu_state *st, const char *name,
		   GString *err)
{
	g_autofree char *from = emu_state_path(stage, name), *to = emu_state_path(st, name);

	if (!g_file_test(from, G_FILE_TEST_EXISTS)) {
		if (unlink(to) < 0 && errno != ENOENT) {
			g_string_append_printf(err, "%s: %s", to, g_strerror(errno));
			return -errno;
		}
		return 0;
	}
	if (rename(from, to) < 0) {
		int r = -errno;
		g_string_append_printf(err, "rename %s -> %s: %s", from, to, g_strerror(-r));
		return r;
	}
	return 0;
}

/* Steps 2 and 3 of the import (the caller holds STATE's lock; nothing of STATE runs). */
static int import_staged(const struct emu_state *st, const char *bin_dir, const char *file,
			 const struct import_plan *plan, int wait_ms, GString *err)
{
	g_autofree char *tmpl = g_build_filename(st->dir, "import.XXXXXX", NULL);
	g_autofree char *base_conf = emu_state_path(st, EMU_CONFIG_FILE);
	struct emu_state stage = { 0 };
	struct emu_up_result res;
	int r, lock_fd = -1;

	if (!g_mkdtemp(tmpl)) {
		g_string_append_printf(err, "%s: %s", tmpl, g_strerror(errno));
		return -errno;
	}
	emu_state_init(&stage, tmpl);
	g_autofree char *stage_conf = emu_state_path(&stage, EMU_CONFIG_FILE);
	r = emu_config_save(base_conf, stage_conf, &plan->cfg, err);
	if (r < 0)
		goto out;
	r = emu_stack_lock(&stage, &lock_fd);
	if (r < 0) {
		g_string_append_printf(err, "%s: %s", stage.dir, g_strerror(-r));
		goto out;
	}
	const struct emu_up_options opt = {
		.bin_dir = bin_dir,
		.wait_ms = wait_ms,
		.import_fv = file,
	};
	r = emu_stack_up(&stage, &opt, &res, err);
	if (r == 0) {
		struct emu_ctrl_status cs;
		r = emu_stack_ctrl_status(&stage, wait_ms, &cs);
		if (r == 0 && (!(cs.flags & EMU_CTRL_STATUS_STORE_OPEN) ||
			       cs.live_variables < plan->live_variables)) {
			g_string_append_printf(err, "the provisioned store holds %u variables, expected %u",
					       cs.live_variables, plan->live_variables);
			r = -EIO;
		} else if (r < 0) {
			g_string_append_printf(err, "stmmd status: %s", g_strerror(-r));
		}
	}
	stop_all(&stage);
	if (r < 0)
		goto out;
	/* Commit: an old WAL must never meet the new database. */
	if ((r = move_in(&stage, st, "rpmb.db-wal", err)) < 0 ||
	    (r = move_in(&stage, st, "rpmb.db-shm", err)) < 0 ||
	    (r = move_in(&stage, st, "rpmb.db", err)) < 0 ||
	    (r = move_in(&stage, st, EMU_CONFIG_FILE, err)) < 0)
		goto out;
out:
	if (lock_fd >= 0)
		close(lock_fd);
	remove_tree(stage.dir);
	emu_state_clear(&stage);
	return r;
}

int emu_import_file(const struct emu_state *st, const char *file, uint32_t var_store_size,
		    int wait_ms, bool quiet)
{
	return emu_import_file_out(st, file, var_store_size, wait_ms, quiet, false);
}

int emu_import_file_out(const struct emu_state *st, const char *file, uint32_t var_store_size,
			int wait_ms, bool quiet, bool json)
{
	g_autofree char *bin_dir = emu_daemon_dir();
	g_autofree char *abs = g_canonicalize_filename(file, NULL);
	g_autoptr(GString) err = g_string_new("");
	struct import_plan plan;
	int lock_fd;

	int r = check_file(bin_dir, abs, var_store_size, &plan, err);
	if (r < 0) {
		emu_cli_err("import: %s", err->str);
		return r == -EINVAL || r == -ENOSPC ? EMU_EXIT_IMPORT :
		       r == -ENOENT ? EMU_EXIT_USAGE : EMU_EXIT_STACK;
	}
	r = emu_stack_lock(st, &lock_fd);
	if (r < 0) {
		emu_cli_err("import: %s: %s", st->dir, g_strerror(-r));
		return EMU_EXIT_STACK;
	}
	if (any_running(st)) {
		close(lock_fd);
		emu_cli_err("import: the stack of %s is running; stop it first (stmm-emu down): "
			    "import replaces the whole RPMB device", st->dir);
		return EMU_EXIT_STACK;
	}
	r = import_staged(st, bin_dir, abs, &plan, wait_ms, err);
	close(lock_fd);
	if (r < 0) {
		emu_cli_err("import: %s: %s\n(state %s unchanged)", abs, err->str, st->dir);
		return EMU_EXIT_STACK;
	}
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		emu_json_add_string(b, "file", abs);
		emu_json_add_string(b, "state", st->dir);
		emu_json_add_int(b, "live_variables", plan.live_variables);
		emu_json_add_int(b, "records", plan.records);
		emu_json_add_int(b, "var_store_size", plan.cfg.var_store_size);
		emu_json_add_int(b, "ftw_working_size", plan.cfg.ftw_working_size);
		emu_json_add_int(b, "ftw_spare_size", plan.cfg.ftw_spare_size);
		emu_json_add_int(b, "rpmb_size", (gint64)plan.cfg.rpmb_size_mult * 128 * 1024);
		json_builder_end_object(b);
		emu_json_print(b, false);
	} else if (!quiet)
		printf("stmm-emu: imported %u live variables (%u records) from %s into %s: variable "
		       "store %u bytes, FTW working %u, FTW spare %u, RPMB %u x 128 KiB\n",
		       plan.live_variables, plan.records, abs, st->dir, plan.cfg.var_store_size,
		       plan.cfg.ftw_working_size, plan.cfg.ftw_spare_size, plan.cfg.rpmb_size_mult);
	return EMU_EXIT_OK;
}

int emu_cmd_import(int argc, char **argv)
{
	g_autofree char *state = NULL;
	gint64 var_store_size = 0;
	int wait_ms = 0;
	gboolean quiet = FALSE, json = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "one JSON object: file, state, live_variables, records, the layout", NULL },
		{ "var-store-size", 0, 0, G_OPTION_ARG_INT64, &var_store_size,
		  "variable store size instead of the computed one (multiple of 4096)", "BYTES" },
		{ "wait", 0, 0, G_OPTION_ARG_INT, &wait_ms,
		  "bound on the provisioning stack's start (default 20000)", "MS" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing on success", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("FILE.fd - load an EDK2 variable store into a stopped state");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx,
		"Loads every live variable of an EDK2 firmware-volume variable store (OVMF_VARS*.fd,\n"
		"AAVMF_VARS*.fd: the FV at the start of the file) as edk2 would see it (ADDED\n"
		"records, and IN_DELETED_TRANSITION ones without an ADDED twin), keeping attributes,\n"
		"timestamps, MonotonicCount and PubKeyIndex.  The whole file is validated first; an\n"
		"invalid one is refused with the offset and what is wrong, and the state is left\n"
		"as it was.  The store is laid out to hold the variables (variable store = needed\n"
		"+ 10 KiB, at least 16 KiB; FTW working 16 KiB; FTW spare = store) on a new RPMB\n"
		"device large enough for it; STATE/stmm-emu.conf keeps that layout for later `up`.\n"
		"The stack must be stopped (`stmm-emu down`).\n\n"
		"Exit status: 0 imported; 2 usage; 3 the stack runs or could not be started;\n"
		"4 the file is not a valid EDK2 variable store (or does not fit).");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (argc != 2) {
		emu_cli_err("import: expected exactly one FILE (see --help)");
		return EMU_EXIT_USAGE;
	}
	if (var_store_size < 0 || var_store_size > (16 << 20)) {
		emu_cli_err("import: --var-store-size: 4096..16777216");
		return EMU_EXIT_USAGE;
	}
	struct emu_state st;
	emu_state_init(&st, state);
	int rc = emu_import_file_out(&st, argv[1], (uint32_t)var_store_size,
				     wait_ms > 0 ? wait_ms : 20000, quiet, json);
	emu_state_clear(&st);
	return rc;
}

/* ---- export ------------------------------------------------------------------------ */

/* Read the whole image in chunks; start again if the store changed in between. */
static int export_read(const struct emu_state *st, const struct emu_ctrl_export_req *layout,
		       int timeout_ms, GByteArray **ret, uint32_t *ret_live, GString *err)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		g_autoptr(GByteArray) img = g_byte_array_new();
		uint64_t total = 0;
		uint32_t gen = 0;
		bool restart = false;
		int fd, r = emu_ipc_connect(st->tee_sock, &fd);
		uint32_t id = 1;

		if (r < 0) {
			g_string_append_printf(err, "%s: %s", st->tee_sock, g_strerror(-r));
			return r;
		}
		do {
			struct emu_ctrl_export_req req = *layout;
			g_autoptr(emu_msg) reply = NULL;
			g_autofree char *text = NULL;
			struct emu_ctrl_export_rsp rsp;

			req.offset = img->len;
			req.max_length = EMU_CTRL_EXPORT_MAX_CHUNK;
			r = emu_teec_call(fd, &id, timeout_ms, EMU_MSG_CTRL_EXPORT_REQ, &req, sizeof(req),
					  -1, EMU_MSG_CTRL_EXPORT_RSP, &reply, &text);
			if (r < 0) {
				close(fd);
				g_string_append_printf(err, "stmmd: %s", text ? text : g_strerror(-r));
				return r;
			}
			if (reply->hdr.length < sizeof(rsp)) {
				close(fd);
				g_string_append(err, "stmmd: short CTRL_EXPORT reply");
				return -EPROTO;
			}
			memcpy(&rsp, reply->payload, sizeof(rsp));
			if (rsp.length != reply->hdr.length - sizeof(rsp) || rsp.offset != img->len ||
			    (img->len && (rsp.total != total)) || rsp.total > (64u << 20) ||
			    (rsp.length == 0 && rsp.offset < rsp.total)) {
				close(fd);
				g_string_append(err, "stmmd: inconsistent CTRL_EXPORT reply");
				return -EPROTO;
			}
			if (img->len && rsp.generation != gen) {
				restart = true;
				break;
			}
			total = rsp.total;
			gen = rsp.generation;
			*ret_live = rsp.live_variables;
			g_byte_array_append(img, reply->payload + sizeof(rsp), rsp.length);
		} while (img->len < total);
		close(fd);
		if (restart)
			continue;
		*ret = g_steal_pointer(&img);
		return 0;
	}
	g_string_append(err, "the store kept changing while it was read");
	return -EAGAIN;
}

static bool layout_arg_ok(gint64 v)
{
	return v >= 0 && v % 256 == 0 && v <= (16 << 20);
}

/*
 * Can `file` be written?  Checked before a stack is started for it, so a mistyped path is
 * a file error naming the user's path (issue 15, defect 15).  0, or -errno and the reason.
 */
static int export_dest_check(const char *file, GString *why)
{
	g_autofree char *dir = g_path_get_dirname(file);

	if (g_file_test(file, G_FILE_TEST_IS_DIR)) {
		g_string_assign(why, "is a directory");
		return -EISDIR;
	}
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_string_printf(why, "no such directory %s", dir);
		return -ENOENT;
	}
	if (access(dir, W_OK) < 0) {
		int e = errno;
		g_string_printf(why, "cannot create a file in %s: %s", dir, g_strerror(e));
		return -e;
	}
	return 0;
}

/* A GFileError of g_file_set_contents as text about the user's file (its message names the
 * temporary file it writes first). */
static const char *file_error_text(const GError *e)
{
	switch (e->code) {
	case G_FILE_ERROR_NOENT: return "no such directory";
	case G_FILE_ERROR_ACCES:
	case G_FILE_ERROR_PERM: return "permission denied";
	case G_FILE_ERROR_NOSPC: return "no space left on the device";
	case G_FILE_ERROR_ISDIR: return "is a directory";
	case G_FILE_ERROR_ROFS: return "read-only file system";
	default: return e->message;
	}
}

int emu_cmd_export(int argc, char **argv)
{
	g_autofree char *state = NULL;
	gint64 size = 0, vs = 0, work = 0, spare = 0, gap = 0, file_size = 0;
	int timeout = 0, wait_ms = 0;
	gboolean quiet = FALSE, json = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object: file, variables, size", NULL },
		{ "size", 0, 0, G_OPTION_ARG_INT64, &size,
		  "FV size in OVMF's layout (540672 = OVMF_VARS_4M.fd, 131072 = OVMF_VARS.fd)", "BYTES" },
		{ "var-store-size", 0, 0, G_OPTION_ARG_INT64, &vs, "variable store (with --ftw-*)", "BYTES" },
		{ "ftw-working-size", 0, 0, G_OPTION_ARG_INT64, &work, "FTW working area", "BYTES" },
		{ "ftw-spare-size", 0, 0, G_OPTION_ARG_INT64, &spare, "FTW spare area", "BYTES" },
		{ "gap-size", 0, 0, G_OPTION_ARG_INT64, &gap,
		  "erased bytes between store and FTW working (OVMF: 4096)", "BYTES" },
		{ "file-size", 0, 0, G_OPTION_ARG_INT64, &file_size,
		  "pad the file with zeros to this size (AAVMF flash: 67108864)", "BYTES" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per request (default 30000)", "MS" },
		{ "wait", 0, 0, G_OPTION_ARG_INT, &wait_ms, "bound on starting a stopped stack", "MS" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing on success", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("FILE.fd - write the store as a standalone EDK2 variable FV");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx,
		"Writes the live non-volatile variables as a fresh EDK2 firmware volume that EDK2\n"
		"firmware can use as its variable file: FV header (block map of 4 KiB blocks,\n"
		"checksum), authenticated variable store header, the records (attributes,\n"
		"timestamps, MonotonicCount, PubKeyIndex kept; compacted, no history), a valid FTW\n"
		"working block header, an erased spare.  Layout: the emulator's own by default;\n"
		"--size BYTES uses OVMF's (spare = half, store = half - 8 KiB, 4 KiB gap, 4 KiB FTW\n"
		"working); or give --var-store-size, --ftw-working-size, --ftw-spare-size\n"
		"(and --gap-size).  A running stack is read through stmmd as it runs; a stopped\n"
		"one is started for the export and stopped again.\n\n"
		"Exit status: 0 written; 2 usage; 3 the stack could not be started or read;\n"
		"4 the variables do not fit the layout asked for, or FILE cannot be written\n"
		"(checked before a stopped stack is started).");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (argc != 2) {
		emu_cli_err("export: expected exactly one FILE (see --help)");
		return EMU_EXIT_USAGE;
	}
	struct emu_ctrl_export_req layout = { 0 };
	if (size) {
		if (vs || work || spare || gap || size < 0 || size % 8192 || size < 32768 ||
		    size > (32 << 20)) {
			emu_cli_err("export: --size is a multiple of 8192 from 32768 to 32 MiB and "
				    "excludes the other size options");
			return EMU_EXIT_USAGE;
		}
		layout.var_store_size = (uint32_t)(size / 2 - 8192);
		layout.gap_size = 4096;
		layout.ftw_working_size = 4096;
		layout.ftw_spare_size = (uint32_t)(size / 2);
	} else if (vs || work || spare || gap) {
		if (!vs || !work || !spare || !layout_arg_ok(vs) || !layout_arg_ok(work) ||
		    !layout_arg_ok(spare) || !layout_arg_ok(gap) || (vs + work + spare + gap) % 4096) {
			emu_cli_err("export: --var-store-size, --ftw-working-size and --ftw-spare-size go "
				    "together, multiples of 256 up to 16 MiB, summing (with --gap-size) "
				    "to a multiple of 4096");
			return EMU_EXIT_USAGE;
		}
		layout = (struct emu_ctrl_export_req){ .var_store_size = (uint32_t)vs,
						      .gap_size = (uint32_t)gap,
						      .ftw_working_size = (uint32_t)work,
						      .ftw_spare_size = (uint32_t)spare };
	}
	if (file_size < 0 || file_size > (1ll << 30)) {
		emu_cli_err("export: --file-size: up to 1 GiB");
		return EMU_EXIT_USAGE;
	}
	g_autoptr(GString) why = g_string_new("");
	if (export_dest_check(argv[1], why) < 0) {
		emu_cli_err("export: %s: %s", argv[1], why->str);
		return EMU_EXIT_IMPORT;
	}

	struct emu_state st;
	emu_state_init(&st, state);
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(GByteArray) img = NULL;
	g_autoptr(GError) gerr = NULL;
	uint32_t live = 0;
	int rc = EMU_EXIT_OK, r, lock_fd = -1;
	struct emu_up_result res;
	g_autofree char *bin_dir = emu_daemon_dir();
	g_autofree char *db = emu_state_path(&st, "rpmb.db");
	bool private_stack = !emu_stack_pid(&st, EMU_DAEMON_STMMD) ||
			     !emu_socket_listening(st.tee_sock);
	bool was_running[EMU_DAEMON_COUNT];

	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		was_running[d] = emu_stack_pid(&st, (enum emu_daemon)d) != 0;

	if (private_stack) {
		if (!g_file_test(db, G_FILE_TEST_EXISTS)) {
			emu_cli_err("export: %s has no RPMB device yet (never started): nothing to export",
				    st.dir);
			rc = EMU_EXIT_STACK;
			goto out;
		}
		r = emu_stack_lock(&st, &lock_fd);
		if (r < 0) {
			emu_cli_err("export: %s: %s", st.dir, g_strerror(-r));
			rc = EMU_EXIT_STACK;
			goto out;
		}
		const struct emu_up_options opt = { .bin_dir = bin_dir,
						    .wait_ms = wait_ms > 0 ? wait_ms : 20000 };
		r = emu_stack_up(&st, &opt, &res, err);
		if (r < 0) {
			emu_cli_err("export: starting the stack: %s", err->str);
			rc = EMU_EXIT_STACK;
			goto out;
		}
	}
	r = export_read(&st, &layout, emu_cli_timeout_ms(timeout), &img, &live, err);
	if (r < 0) {
		emu_cli_err("export: %s", err->str);
		rc = r == -ENOSPC ? EMU_EXIT_IMPORT : EMU_EXIT_STACK;
		goto out;
	}
	if ((gint64)img->len < file_size) {
		guint old = img->len;
		g_byte_array_set_size(img, (guint)file_size);
		memset(img->data + old, 0, img->len - old);
	}
	if (!g_file_set_contents(argv[1], (const char *)img->data, img->len, &gerr)) {
		emu_cli_err("export: %s: %s", argv[1], file_error_text(gerr));
		rc = EMU_EXIT_IMPORT;
		goto out;
	}
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		emu_json_add_string(b, "file", argv[1]);
		emu_json_add_int(b, "variables", live);
		emu_json_add_int(b, "size", img->len);
		json_builder_end_object(b);
		emu_json_print(b, false);
	} else if (!quiet)
		printf("stmm-emu: exported %u variables to %s (%u bytes)\n", live, argv[1], img->len);
out:
	if (private_stack && lock_fd >= 0) {
		for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--)
			if (!was_running[d])
				(void)emu_stack_stop(&st, (enum emu_daemon)d, 5000);
		close(lock_fd);
	}
	emu_state_clear(&st);
	return rc;
}
