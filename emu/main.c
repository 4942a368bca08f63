/* SPDX-License-Identifier: MIT */
/* stmm-emu: start/stop the emulated board and talk to its UEFI variable store. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "crypto_init.h"
#include "cli.h"
#include "client.h"
#include "fault_cli.h"
#include "version.h"

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
	{ "mount", emu_cmd_mount, "the store as an efivarfs-compatible FUSE mount (efibootmgr, efivar...)" },
	{ "ps", emu_cmd_ps, "list the stacks running on this machine (process scan)" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: stmm-emu [--state DIR] [--transport optee|ffa] COMMAND [OPTIONS]\n"
		"       stmm-emu --version\n\n"
		"A user-space OP-TEE + StandaloneMM board keeping UEFI variables in an emulated\n"
		"eMMC RPMB, reached through an emulated tee-supplicant.\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\n`stmm-emu COMMAND --help` for its options.  Every command works on one state\n"
		"directory: --state DIR (-s DIR; before or after the command), else\n"
		"$STMM_EMU_STATE, else ./.stmm-emu.\n\n"
		"Example:\n"
		"  stmm-emu up\n"
		"  stmm-emu var set Foo --string hello\n"
		"  stmm-emu var get Foo\n"
		"  stmm-emu down\n\n"
		"Environment:\n"
		"  STMM_EMU_STATE              the state directory (default ./.stmm-emu)\n"
		"  STMM_EMU_TIMEOUT_MS         per-request timeout of the client (default 30000)\n"
		"  STMM_EMU_TRANSPORT          optee (default) or ffa, as --transport\n"
		"  STMM_EMU_FFA_BUF_SIZE       FF-A MM shared buffer size (default 32768)\n"
		"  STMM_EMU_FFA_X3=address     FF-A door bell with an address, not an offset\n"
		"  STMM_EMU_UBOOT_SECURE_BOOT  y: the U-Boot persona is built with\n"
		"                              CONFIG_EFI_SECURE_BOOT (default n)\n"
		"  STMM_EMU_KEYS               signing keys for `conform` (default fixtures/keys)\n\n"
		"%s\n",
		EMU_EXIT_CODES_HELP);
}

/*
 * Options before the command: --state DIR / -s DIR / --state=DIR (handed to the command as
 * $STMM_EMU_STATE, so its own --state still wins), --version, --help.  Returns the index
 * of the command, or -1 with *ret_exit set when there is nothing more to do.
 */
static int global_options(int argc, char **argv, int *ret_exit)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *dir = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			*ret_exit = EMU_EXIT_OK;
			return -1;
		}
		if (strcmp(a, "--version") == 0) {
			fputs(STMM_EMU_VERSION_LINE("stmm-emu"), stdout);
			*ret_exit = EMU_EXIT_OK;
			return -1;
		}
		if (strcmp(a, "--transport") == 0 || g_str_has_prefix(a, "--transport=")) {
			/* Handed to the client library as $STMM_EMU_TRANSPORT (README "Transports"). */
			const char *name = a[strlen("--transport")] == '=' ? a + strlen("--transport=") :
					   (i + 1 < argc ? argv[++i] : NULL);
			enum emu_client_transport t;
			if (!name || emu_client_transport_from_name(name, &t) < 0) {
				emu_cli_err("--transport: optee or ffa");
				*ret_exit = EMU_EXIT_USAGE;
				return -1;
			}
			g_setenv(EMU_CLIENT_TRANSPORT_ENV, name, TRUE);
			continue;
		}
		if (strcmp(a, "--state") == 0 || strcmp(a, "-s") == 0) {
			if (++i == argc) {
				emu_cli_err("%s: needs a directory", a);
				*ret_exit = EMU_EXIT_USAGE;
				return -1;
			}
			dir = argv[i];
		} else if (g_str_has_prefix(a, "--state=")) {
			dir = a + strlen("--state=");
		} else if (g_str_has_prefix(a, "-s")) {
			dir = a + 2;
		} else {
			g_autofree char *shown = emu_cli_shorten(a);
			emu_cli_err("unknown option %s before the command (see --help)", shown);
			*ret_exit = EMU_EXIT_USAGE;
			return -1;
		}
		if (!*dir) {
			emu_cli_err("--state: an empty directory name");
			*ret_exit = EMU_EXIT_USAGE;
			return -1;
		}
		g_setenv(EMU_STATE_ENV, dir, TRUE);
	}
	return i;
}

int main(int argc, char **argv)
{
	int rc = EMU_EXIT_USAGE;

	signal(SIGPIPE, SIG_IGN);
	if (emu_crypto_init(0) < 0) { /* without openssl.cnf, as the daemons (crypto_init.h) */
		fprintf(stderr, "stmm-emu: OpenSSL initialisation failed\n");
		return EMU_EXIT_STACK;
	}
	int first = global_options(argc, argv, &rc);
	if (first < 0)
		return rc;
	argc -= first - 1;
	argv += first - 1;
	if (argc < 2) {
		usage(stderr);
		return EMU_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EMU_EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (strcmp(argv[1], "var") != 0) {
				g_autofree char *prog = g_strdup_printf("stmm-emu %s", argv[1]);
				g_set_prgname(prog);
			}
			bool json = false;
			for (int k = 2; k < argc && strcmp(argv[k], "--") != 0; k++)
				json = json || strcmp(argv[k], "--json") == 0;
			if (json)
				emu_cli_json_errors_begin();
			int r = commands[i].fn(argc - 1, argv + 1);
			return json ? emu_cli_json_errors_end(r) : r;
		}
	g_autofree char *shown = emu_cli_shorten(argv[1]);
	fprintf(stderr, "stmm-emu: unknown command %s\n\n", shown);
	usage(stderr);
	return EMU_EXIT_USAGE;
}
