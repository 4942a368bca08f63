/* SPDX-License-Identifier: MIT */
/* stmm-emu event / reset: the boot phases of the variable service and a platform reset. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "efi_util.h"
#include "mm.h"
#include "reset.h"
#include "state.h"


int emu_cmd_event(int argc, char **argv)
{
	g_autofree char *state = NULL;
	g_autofree char *persona_s = NULL;
	int timeout = 0;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing on success", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per request (default 30000)", "MS" },
		{ "persona", 'p', 0, G_OPTION_ARG_STRING, &persona_s,
		  "linux (default: the bare MM call) or uboot (exit-boot-services as U-Boot's "
		  "efi_variables_boot_exit_notify: the call, then the runtime-variable snapshot)",
		  "linux|uboot" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("ready-to-boot|exit-boot-services - signal a boot phase to StMM");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Sends SMM_VARIABLE_FUNCTION_READY_TO_BOOT (5) or EXIT_BOOT_SERVICE (6) through the\n"
		     "normal MM path, as edk2's DXE variable driver does at ReadyToBoot and\n"
		     "ExitBootServices.  READY_TO_BOOT ends EndOfDxe (VAR_CHECK properties enforced,\n"
		     "PROPERTY_SET and LOCK_VARIABLE refused afterwards) and may reclaim the store;\n"
		     "EXIT_BOOT_SERVICE switches to runtime (BS-only variables invisible, only NV|BS|RT\n"
		     "variables writable).  `stmm-emu reset` returns to boot time.\n\n"
		     "--persona uboot: U-Boot never sends READY_TO_BOOT; at exit-boot-services it\n"
		     "then walks GetNextVariableName/GetVariable (+ PROPERTY_GET) to snapshot the\n"
		     "runtime variables.  The snapshot lives only in this process (the library's\n"
		     "emu_client_exit_boot_services() keeps it for later calls; README: Client personas).\n\n"
		     EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	uint64_t fn;
	if (argc != 2) {
		emu_cli_err("event: give one of ready-to-boot, exit-boot-services");
		return EMU_EXIT_USAGE;
	}
	if (strcmp(argv[1], "ready-to-boot") == 0)
		fn = SMM_VARIABLE_FUNCTION_READY_TO_BOOT;
	else if (strcmp(argv[1], "exit-boot-services") == 0)
		fn = SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE;
	else {
		emu_cli_err("event: %s: not ready-to-boot or exit-boot-services", argv[1]);
		return EMU_EXIT_USAGE;
	}
	enum emu_client_persona persona = EMU_CLIENT_PERSONA_LINUX;
	if (persona_s && emu_client_persona_from_name(persona_s, &persona) < 0) {
		emu_cli_err("event: --persona %s: not linux or uboot", persona_s);
		return EMU_EXIT_USAGE;
	}
	if (persona == EMU_CLIENT_PERSONA_UBOOT && fn == SMM_VARIABLE_FUNCTION_READY_TO_BOOT) {
		emu_cli_err("event: U-Boot never sends READY_TO_BOOT (efi_variable_tee.c)");
		return EMU_EXIT_USAGE;
	}
	g_autoptr(emu_client) c = NULL;
	int rc = emu_cli_open_client_persona(state, timeout, persona, "event", &c);
	if (rc)
		return rc;
	efi_status_t s = fn == SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE ?
				 emu_client_exit_boot_services(c) : emu_client_call(c, fn, NULL, 0);
	if (persona == EMU_CLIENT_PERSONA_UBOOT && *emu_client_last_error(c) && s == EFI_SUCCESS)
		emu_cli_err("event: %s", emu_client_last_error(c));
	if (persona == EMU_CLIENT_PERSONA_UBOOT)
		printf("stmm-emu: U-Boot runtime snapshot: %zu variables\n",
		       emu_client_runtime_variables(c));
	if (s != EFI_SUCCESS) {
		g_autofree char *what = g_strdup_printf("event %s", argv[1]);
		return emu_cli_efi_err(c, what, s);
	}
	if (!quiet)
		printf("stmm-emu: %s signalled to StMM (`stmm-emu status`: boot phase)\n", argv[1]);
	return EMU_EXIT_OK;
}

int emu_cmd_reset(int argc, char **argv)
{
	g_autofree char *state = NULL;
	int wait_ms = 0;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "wait", 0, 0, G_OPTION_ARG_INT, &wait_ms, "how long to wait for the round trip (default 20000)", "MS" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing on success", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- platform reset (ResetSystem)");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "What the variable store sees of a cold reset: volatile variables are gone,\n"
		     "non-volatile ones kept, the service is back at boot time (no READY_TO_BOOT or\n"
		     "EXIT_BOOT_SERVICE seen, VAR_CHECK properties forgotten), via stmmd's CTRL_RESET\n"
		     "(an stmmd without it is restarted with supplicantd); rpmbd keeps running.\n\n" EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	struct emu_state st;
	emu_state_init(&st, state);
	g_autoptr(GString) err = g_string_new("");
	int r = emu_platform_reset(&st, wait_ms, err);
	if (r < 0) {
		emu_cli_err("reset: %s", err->str);
		emu_state_clear(&st);
		return EMU_EXIT_STACK;
	}
	if (!quiet)
		printf("stmm-emu: reset (state %s): volatile variables dropped, boot time again\n", st.dir);
	emu_state_clear(&st);
	return EMU_EXIT_OK;
}
