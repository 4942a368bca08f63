/* SPDX-License-Identifier: MIT */
/* `stmm-emu ps`: the daemons of every state directory running on this machine (procscan.h). */
#include <stdio.h>

#include "cli.h"
#include "procscan.h"

int emu_cmd_ps(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print a JSON array", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- list running stacks");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Every rpmbd, stmmd and supplicantd of this user, found by a process scan\n"
		     "(/proc), with the state directory their command line names; \"(gone)\" when\n"
		     "that directory no longer exists.  `stmm-emu down --all` stops them all.\n\n"
		     EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	g_autoptr(GArray) procs = emu_procscan();
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_array(b);
		for (guint i = 0; i < procs->len; i++) {
			const struct emu_proc *e = &g_array_index(procs, struct emu_proc, i);
			json_builder_begin_object(b);
			emu_json_add_int(b, "pid", e->pid);
			emu_json_add_string(b, "program", emu_daemon_name(e->daemon));
			emu_json_add_string(b, "state", e->state_dir);
			emu_json_add_string(b, "socket", e->socket);
			emu_json_add_bool(b, "state_exists", e->dir_exists);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		emu_json_print(b, true);
		return EMU_EXIT_OK;
	}
	if (!procs->len) {
		printf("stmm-emu: no rpmbd, stmmd or supplicantd running\n");
		return EMU_EXIT_OK;
	}
	printf("%-8s %-12s %s\n", "PID", "PROGRAM", "STATE");
	for (guint i = 0; i < procs->len; i++) {
		const struct emu_proc *e = &g_array_index(procs, struct emu_proc, i);
		printf("%-8d %-12s %s%s\n", (int)e->pid, emu_daemon_name(e->daemon), e->state_dir,
		       e->dir_exists ? "" : " (gone)");
	}
	return EMU_EXIT_OK;
}
