/* SPDX-License-Identifier: MIT */
/* stmm-emu scenario: run scenario files (emu/scenario/scenario.h) and report them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "scenario.h"
#include "scenario_run.h"
#include "stack.h"

#define SCENARIO_HELP                                                                        \
	"Runs each FILE on a fresh private stack (a temporary state directory, removed\n"     \
	"afterwards unless --keep) and reports every expectation: PASS/FAIL per file, with\n" \
	"the decoded trace around a failure, and --junit / --tap for a CI as `conform`.\n"   \
	"Files are checked whole before anything runs.  fixtures/scenarios/ has one file\n"  \
	"per field bug; README \"Reproducing field bugs\" explains the format:\n\n"           \
	"  name: / source: / pins:   what it shows, where from, what it pins\n"             \
	"  up [UP-OPTION…] | down | reset | start | kill DAEMON [SIG]\n"                     \
	"  fault ARG… | cli ARG…     (stmm-emu fault / any stmm-emu command)\n"             \
	"  client NAME [linux|uboot] | close NAME\n"                                        \
	"  set NAME VAR GUID ATTRS VALUE | get NAME VAR GUID | delete NAME VAR GUID\n"     \
	"  query NAME ATTRS | event NAME ready-to-boot|exit-boot-services\n"                \
	"  status | wait PATH OP VALUE [MS] | trace\n"                                      \
	"  … expect STATUS [VALUE] | expect PATH OP VALUE | expect exit N\n"                \
	"  … expect contains TEXT | expect lacks TEXT\n\n"                                  \
	"Exit status: 0 every file passed; 1 an expectation failed; 2 usage error or a\n"    \
	"file that does not parse."

int emu_cmd_scenario(int argc, char **argv)
{
	g_autofree char *junit = NULL;
	gboolean tap = FALSE, keep = FALSE, check = FALSE;
	int timeout = 0, trace_lines = 30;
	GOptionEntry entries[] = {
		{ "junit", 'j', 0, G_OPTION_ARG_FILENAME, &junit, "write JUnit XML to FILE", "FILE" },
		{ "tap", 0, 0, G_OPTION_ARG_NONE, &tap, "TAP 13 on stdout (progress goes to stderr)", NULL },
		{ "keep", 'k', 0, G_OPTION_ARG_NONE, &keep, "keep each scenario's state directory (printed)", NULL },
		{ "check", 'n', 0, G_OPTION_ARG_NONE, &check, "only parse the files and list their steps", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per client call (default 30000)", "MS" },
		{ "trace-lines", 0, 0, G_OPTION_ARG_INT, &trace_lines,
		  "decoded trace lines shown after a failure (default 30; 0 = none)", "N" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("FILE… - reproduce field bugs from scenario files");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, SCENARIO_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (argc < 2) {
		emu_cli_err("scenario: give one or more scenario files (see --help)");
		return EMU_EXIT_USAGE;
	}
	g_autoptr(GPtrArray) scs = g_ptr_array_new_with_free_func((GDestroyNotify)scenario_free);
	g_autoptr(GString) err = g_string_new("");
	for (int i = 1; i < argc; i++) {
		struct scenario *sc;
		if (scenario_load(argv[i], &sc, err) < 0) {
			emu_cli_err("scenario: %s", err->str);
			return EMU_EXIT_USAGE;
		}
		g_ptr_array_add(scs, sc);
	}
	if (check) {
		for (guint i = 0; i < scs->len; i++) {
			const struct scenario *sc = g_ptr_array_index(scs, i);
			printf("%s: %u steps%s%s\n", sc->path, sc->steps->len, *sc->name ? " — " : "",
			       sc->name);
		}
		return EMU_EXIT_OK;
	}
	g_autofree char *dir = emu_self_dir();
	g_autofree char *self = g_build_filename(dir ? dir : ".", "stmm-emu", NULL);
	g_autoptr(GArray) report = emu_report_new();
	FILE *progress = tap ? stderr : stdout;
	struct scen_run_options opt = {
		.self = self, .keep = keep, .timeout_ms = emu_cli_timeout_ms(timeout),
		.progress = progress, .trace_lines = trace_lines,
	};
	gint64 t0 = g_get_monotonic_time();
	unsigned failed_files = 0;
	for (guint i = 0; i < scs->len; i++)
		failed_files += !scenario_run(g_ptr_array_index(scs, i), &opt, report);
	double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
	unsigned fails = emu_report_count(report, EMU_REPORT_FAIL);
	fprintf(progress, "scenario: %u files, %u failed; %u expectations, %u failed (%.1f s)\n",
		scs->len, failed_files, report->len, fails, secs);
	int rc = failed_files ? EMU_EXIT_EFI : EMU_EXIT_OK;
	if (junit && emu_report_write_junit(report, junit, "stmm-emu scenario", "scenario", secs,
					    err) < 0) {
		emu_cli_err("scenario: --junit: %s", err->str);
		rc = rc ? rc : EMU_EXIT_USAGE;
	}
	if (tap)
		emu_report_print_tap(report);
	return rc;
}
