/* SPDX-License-Identifier: MIT */
/* stmm-emu: start/stop the emulated board and talk to its UEFI variable store. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fault_cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "up", emu_cmd_up, "start rpmbd, stmmd, supplicantd (or restart the missing ones)" },
	{ "down", emu_cmd_down, "stop them" },
	{ "status", emu_cmd_status, "processes, sockets, RPMB counter, store use" },
	{ "run", emu_cmd_run, "up, run a command with STMM_EMU_STATE set, down" },
	{ "var", emu_cmd_var, "list | get | set | delete | info: the UEFI variable services" },
	{ "raw", emu_cmd_raw, "send arbitrary bytes as the MM communicate buffer" },
	{ "event", emu_cmd_event, "ready-to-boot | exit-boot-services: boot phases to StMM (--persona uboot)" },
	{ "reset", emu_cmd_reset, "platform reset: volatile variables gone, boot time again" },
	{ "conform", emu_cmd_conform, "run the conformance suite (JUnit, TAP)" },
	{ "scenario", emu_cmd_scenario, "reproduce field bugs from scenario files (JUnit, TAP)" },
	{ "import", emu_cmd_import, "load an EDK2 variable file (OVMF_VARS.fd) into a stopped state" },
	{ "export", emu_cmd_export, "write the store as an EDK2 variable file" },
	{ "check", emu_cmd_check, "validate the NV store at rest in rpmb.db (offsets of damage)" },
	{ "trace", emu_cmd_trace, "decode the trace (up --trace) | replay its MM calls" },
	{ "rpmb", emu_cmd_rpmb, "inspect | image: OP-TEE's RPMB file system in a partition image" },
	{ "fault", emu_cmd_fault, "arm | clear run-time faults in rpmbd, supplicantd, stmmd" },
	{ "seeds", emu_cmd_seeds, "seed corpora for the fuzzers, harvested from traces" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: stmm-emu COMMAND [OPTIONS]\n\n"
		"A user-space OP-TEE + StandaloneMM board keeping UEFI variables in an emulated\n"
		"eMMC RPMB, reached through an emulated tee-supplicant.\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\n`stmm-emu COMMAND --help` for its options.  Every command works on one state\n"
		"directory: --state DIR, else $STMM_EMU_STATE, else ./.stmm-emu.\n\n"
		"Example:\n"
		"  stmm-emu up\n"
		"  stmm-emu var set Foo --string hello\n"
		"  stmm-emu var get Foo\n"
		"  stmm-emu down\n\n%s\n",
		EMU_EXIT_CODES_HELP);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EMU_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EMU_EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (strcmp(argv[1], "var") != 0) {
				g_autofree char *prog = g_strdup_printf("stmm-emu %s", argv[1]);
				g_set_prgname(prog);
			}
			return commands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "stmm-emu: unknown command %s\n\n", argv[1]);
	usage(stderr);
	return EMU_EXIT_USAGE;
}
