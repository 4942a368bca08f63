/* SPDX-License-Identifier: MIT */
/*
 * stmm-emu seeds: per-layer seed corpora for the fuzz harnesses (emu/seeds.h), harvested
 * from traces: given ones (--from), else traces of its own: every shipped scenario (each
 * runs traced on a private stack, `stmm-emu scenario --keep`) and the conformance suite
 * on a scratch stack started with `up --trace` (its auth and secure-boot groups when
 * signing keys are found, as `conform` finds them), whose store is exported at the end
 * for the fv layer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "emu_trace.h"
#include "scratch.h"
#include "seeds.h"
#include "stack.h"
#include "state.h"

#define SEEDS_HELP                                                                             \
	"One input per message per layer, each in the input format of the matching harness\n"  \
	"of tests/fuzz (a directory per layer, file name = sha1 of the content):\n\n"           \
	"  mm    fuzz_mm        the whole MM communicate buffer of each call (MM_REQ)\n"        \
	"  pta   (own harness)  the tee socket's INVOKE messages stmmd received; the\n"         \
	"                       framing of fuzz_ipc, whose dispatch is rpmbd's\n"              \
	"  rpc   fuzz_supp_rpc  u16 LE out size + rpmb_req + frames of each RPMB RPC\n"         \
	"  rpmb  fuzz_rpmb_seq  flags byte + each EMU_MSG_MMC_SEQ_REQ payload\n"               \
	"  mmc   (own harness)  each whole EMU_MSG_MMC_CMD_REQ message (single commands);\n"  \
	"                       fuzz_ipc's framing, but its dispatch refuses them\n"        \
	"  ipc   fuzz_ipc       every whole message rpmbd received\n"                          \
	"  auth  fuzz_auth      EFI_VARIABLE_AUTHENTICATION_2 data of AT SetVariable calls\n"   \
	"  fv    fuzz_fv        the conformance stack's store (`stmm-emu export`)\n\n"         \
	"Beside each DIR/<layer>/: DIR/<layer>.dict (tests/fuzz/dict's) and\n"                 \
	"DIR/<layer>.manifest (per input: size, byte order, what it is, which trace and\n"    \
	"record produced it).  Then a table: layer, files, bytes, inputs left out.\n\n"      \
	"RPMB frames carry counters, nonces and MACs, so nearly every recorded write is new:\n" \
	"--max-per-kind keeps N per kind of message (its decoded summary, numbers aside).\n\n"                         \
	"Without --from: runs every scenario of --scenarios (default fixtures/scenarios\n"     \
	"beside stmm-emu, else ./fixtures/scenarios), then `conform` (--group G… only those\n" \
	"groups; --quick skips it) on a scratch stack, all traced, and harvests the traces.\n" \
	"A scenario or case that fails still gives its trace (a warning is printed).\n\n"      \
	"  stmm-emu seeds --out corpora\n"                                                    \
	"  fuzz_mm corpora/mm -dict=corpora/mm.dict          (a libFuzzer build, make fuzz)\n\n" \
	"Exit status: 0 success; 2 usage error, unreadable trace or output directory;\n"       \
	"3 the conformance stack could not be started."

struct seeds_args {
	char *out, *scenarios, *keys;
	char **layers, **from, **groups;
	gboolean quick, verbose;
	int max_per_kind;
};

static void args_clear(struct seeds_args *a)
{
	g_free(a->out);
	g_free(a->scenarios);
	g_free(a->keys);
	g_strfreev(a->layers);
	g_strfreev(a->from);
	g_strfreev(a->groups);
}

/* `stmm-emu ARGS…` (this binary); its exit status and output.  0 or -EIO (why in err). */
static int run_self(const char *self, GPtrArray *args, bool verbose, int *ret_exit,
		    char **ret_out, char **ret_err, GString *err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) e = NULL;
	int status = 0;

	g_ptr_array_add(argv, (char *)self);
	for (guint i = 0; i < args->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(args, i));
	g_ptr_array_add(argv, NULL);
	if (verbose) {
		g_autofree char *line = g_strjoinv(" ", (char **)argv->pdata);
		fprintf(stderr, "stmm-emu seeds: + %s\n", line);
	}
	if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out,
			  ret_err, &status, &e)) {
		g_string_printf(err, "cannot run %s: %s", self, e->message);
		return -EIO;
	}
	*ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (verbose) {
		if (ret_out && *ret_out)
			fputs(*ret_out, stderr);
		if (ret_err && *ret_err)
			fputs(*ret_err, stderr);
	}
	return 0;
}

/* A directory beside the binary (<bindir>/../REL), else ./REL; NULL when neither exists. */
static char *find_beside(const char *rel)
{
	g_autofree char *self = emu_self_dir();
	g_autofree char *beside = self ? g_build_filename(self, "..", rel, NULL) : NULL;

	if (beside && g_file_test(beside, G_FILE_TEST_IS_DIR))
		return g_steal_pointer(&beside);
	if (g_file_test(rel, G_FILE_TEST_IS_DIR))
		return g_strdup(rel);
	return NULL;
}

static void warn(const GString *w)
{
	if (w->len)
		fprintf(stderr, "stmm-emu seeds: warning: %s\n", w->str);
}

/* Harvest STATE/trace.bin of `dir`, then stop what runs there and remove it. */
static int harvest_state(struct seeds *s, const char *dir, const char *origin, GString *err)
{
	struct emu_state st;
	g_autofree char *trace = g_build_filename(dir, EMU_TRACE_FILE_NAME, NULL);
	g_autoptr(GString) w = g_string_new("");
	int r = 0;

	emu_state_init(&st, dir);
	for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--) /* the trace complete */
		emu_stack_stop(&st, (enum emu_daemon)d, 5000);
	if (!g_file_test(trace, G_FILE_TEST_EXISTS))
		fprintf(stderr, "stmm-emu seeds: warning: %s: no trace (the stack never came up)\n", origin);
	else if ((r = seeds_add_trace(s, trace, origin, w)) < 0)
		g_string_assign(err, w->str);
	else
		warn(w);
	emu_scratch_remove(&st, false, "seeds");
	return r;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every *.scen of dir, by name, each traced on its own stack. */
static int run_scenarios(struct seeds *s, const char *self, const char *dir, bool verbose,
			 GString *err)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &e);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *n;

	if (!d) {
		g_string_printf(err, "--scenarios: %s", e->message);
		return -ENOENT;
	}
	while ((n = g_dir_read_name(d)))
		if (g_str_has_suffix(n, ".scen"))
			g_ptr_array_add(names, g_strdup(n));
	if (!names->len) {
		g_string_printf(err, "--scenarios: no *.scen in %s", dir);
		return -ENOENT;
	}
	g_ptr_array_sort(names, by_name);
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autoptr(GPtrArray) args = g_ptr_array_new();
		g_autofree char *out = NULL, *errs = NULL;
		int status;

		g_ptr_array_add(args, (char *)"scenario");
		g_ptr_array_add(args, (char *)"--keep");
		g_ptr_array_add(args, (char *)"--trace-lines=0");
		g_ptr_array_add(args, path);
		int r = run_self(self, args, verbose, &status, &out, &errs, err);
		if (r < 0)
			return r;
		/* emu_scratch_remove's line: "stmm-emu: scenario: state kept in DIR" */
		const char *kept = errs ? strstr(errs, "state kept in ") : NULL;
		if (!kept) {
			fprintf(stderr, "stmm-emu seeds: warning: scenario %s: no state kept (exit %d)\n%s",
				name, status, errs ? errs : "");
			continue;
		}
		g_autofree char *state = g_strndup(kept + strlen("state kept in "),
						   strcspn(kept + strlen("state kept in "), "\n"));
		if (status != 0)
			fprintf(stderr, "stmm-emu seeds: warning: scenario %s failed (exit %d); harvesting its trace\n",
				name, status);
		g_autofree char *origin = g_strdup_printf("scenario %s", name);
		if (harvest_state(s, state, origin, err) < 0)
			return -EIO;
		fprintf(stderr, "stmm-emu seeds: scenario %s harvested\n", name);
	}
	return 0;
}

/* The conformance suite on a scratch stack with `up --trace`; its store for the fv layer. */
static int run_conform(struct seeds *s, const char *self, const struct seeds_args *a,
		       GString *err)
{
	struct emu_state st = { 0 };
	g_autofree char *out = NULL, *errs = NULL;
	int status, r;

	if (emu_scratch_new("stmm-emu-seeds", &st, err) < 0)
		return EMU_EXIT_STACK;
	g_autofree char *dir = g_strdup(st.dir);
	emu_state_clear(&st);
	g_autofree char *state_opt = g_strdup_printf("--state=%s", dir);
	g_autoptr(GPtrArray) up = g_ptr_array_new();
	g_ptr_array_add(up, (char *)"up");
	g_ptr_array_add(up, state_opt);
	g_ptr_array_add(up, (char *)"--trace");
	r = run_self(self, up, a->verbose, &status, &out, &errs, err);
	if (r < 0 || status != 0) {
		if (r == 0)
			g_string_printf(err, "conform stack: `up --trace` failed (exit %d): %s", status,
					errs ? errs : "");
		emu_state_init(&st, dir);
		emu_scratch_remove(&st, false, "seeds");
		return EMU_EXIT_STACK;
	}
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&errs, g_free);

	g_autoptr(GPtrArray) cf = g_ptr_array_new_with_free_func(NULL);
	g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(cf, (char *)"conform");
	g_ptr_array_add(cf, state_opt);
	g_ptr_array_add(cf, (char *)"--in-place"); /* the scratch stack is ours: trace it all */
	for (char **g = a->groups; g && *g; g++) {
		char *opt = g_strdup_printf("--group=%s", *g);
		g_ptr_array_add(owned, opt);
		g_ptr_array_add(cf, opt);
	}
	if (a->keys) {
		char *opt = g_strdup_printf("--keys=%s", a->keys);
		g_ptr_array_add(owned, opt);
		g_ptr_array_add(cf, opt);
	}
	r = run_self(self, cf, a->verbose, &status, &out, &errs, err);
	if (r == 0 && status != 0)
		fprintf(stderr, "stmm-emu seeds: warning: conform exit %d (%s); harvesting its trace\n",
			status, status == EMU_EXIT_EFI ? "a case failed" : "see `stmm-emu conform`");
	const char *last = out ? g_strrstr(out, "conform: ") : NULL;
	if (last)
		fprintf(stderr, "stmm-emu seeds: %.*s\n", (int)strcspn(last, "\n"), last);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&errs, g_free);

	/* The store the suite left, as an EDK2 variable FV (fuzz_fv's input). */
	g_autofree char *fd_path = g_build_filename(dir, "store.fd", NULL);
	g_autoptr(GPtrArray) ex = g_ptr_array_new();
	g_ptr_array_add(ex, (char *)"export");
	g_ptr_array_add(ex, state_opt);
	g_ptr_array_add(ex, (char *)"--quiet");
	g_ptr_array_add(ex, fd_path);
	if (r == 0)
		r = run_self(self, ex, a->verbose, &status, &out, &errs, err);
	g_autofree char *fv = NULL;
	gsize fv_len = 0;
	if (r == 0 && status == 0 && g_file_get_contents(fd_path, &fv, &fv_len, NULL))
		r = seeds_add(s, SEEDS_FV, fv, fv_len, "EDK2 variable FV: the store after conform",
			      "conform (stmm-emu export)", err);
	else if (r == 0)
		fprintf(stderr, "stmm-emu seeds: warning: export failed (exit %d): %s", status,
			errs ? errs : "\n");
	if (r < 0) {
		emu_state_init(&st, dir);
		emu_scratch_remove(&st, false, "seeds");
		return EMU_EXIT_USAGE;
	}
	if (harvest_state(s, dir, "conform", err) < 0)
		return EMU_EXIT_USAGE;
	fprintf(stderr, "stmm-emu seeds: conform harvested\n");
	return EMU_EXIT_OK;
}

int emu_cmd_seeds(int argc, char **argv)
{
	struct seeds_args a = { .max_per_kind = 8 };
	GOptionEntry entries[] = {
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &a.out,
		  "write the corpora under DIR (created; existing inputs are kept)", "DIR" },
		{ "layer", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &a.layers,
		  "only these layers (repeatable, comma list of mm,pta,rpc,rpmb,mmc,ipc,auth,fv; "
		  "default all)", "L" },
		{ "from", 'f', 0, G_OPTION_ARG_FILENAME_ARRAY, &a.from,
		  "harvest this trace file (repeatable) instead of running anything", "TRACE" },
		{ "quick", 'q', 0, G_OPTION_ARG_NONE, &a.quick,
		  "only the scenarios, no conformance run", NULL },
		{ "group", 'g', 0, G_OPTION_ARG_STRING_ARRAY, &a.groups,
		  "run only these conform groups (repeatable, comma list; `conform --list`)", "G" },
		{ "scenarios", 0, 0, G_OPTION_ARG_FILENAME, &a.scenarios,
		  "scenario files to run (default: fixtures/scenarios beside stmm-emu, else "
		  "./fixtures/scenarios)", "DIR" },
		{ "keys", 'k', 0, G_OPTION_ARG_FILENAME, &a.keys,
		  "signing keys for conform's auth groups (default: as `conform` finds them)", "DIR" },
		{ "max-per-kind", 'm', 0, G_OPTION_ARG_INT, &a.max_per_kind,
		  "keep at most N distinct inputs per layer and kind of message (kind: its decoded "
		  "summary, numbers aside; default 8, 0 = all)", "N" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &a.verbose,
		  "show the commands run and their output", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- seed corpora for the fuzzers, from traces");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, SEEDS_HELP);
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(seeds) s = NULL;
	g_autofree char *dict_dir = NULL;
	unsigned mask = SEEDS_ALL_LAYERS;
	int rc = EMU_EXIT_USAGE;

	if (!emu_cli_parse(ctx, &argc, &argv))
		goto out;
	if (argc > 1) {
		emu_cli_err("seeds: unexpected argument %s (traces go with --from)", argv[1]);
		goto out;
	}
	if (!a.out) {
		emu_cli_err("seeds: --out DIR is required (see --help)");
		goto out;
	}
	if (a.from && (a.quick || a.groups || a.scenarios || a.keys)) {
		emu_cli_err("seeds: --from harvests given traces; --quick, --group, --scenarios and "
			    "--keys are for its own runs");
		goto out;
	}
	if (a.max_per_kind < 0) {
		emu_cli_err("seeds: --max-per-kind %d: give 0 (all) or more", a.max_per_kind);
		goto out;
	}
	if (a.layers) {
		g_autofree char *joined = g_strjoinv(",", a.layers);
		if (seeds_layers_parse(joined, &mask, err) < 0) {
			emu_cli_err("seeds: --layer: %s", err->str);
			goto out;
		}
	}
	if (seeds_new(a.out, mask, &s, err) < 0) {
		emu_cli_err("seeds: --out: %s", err->str);
		goto out;
	}
	seeds_set_max_per_kind(s, (unsigned)a.max_per_kind);

	if (a.from) {
		for (char **f = a.from; *f; f++) {
			g_autoptr(GString) w = g_string_new("");
			if (seeds_add_trace(s, *f, *f, w) < 0) {
				emu_cli_err("seeds: --from %s", w->str);
				goto out;
			}
			warn(w);
		}
	} else {
		g_autofree char *dir = g_strdup(a.scenarios);
		if (!dir)
			dir = find_beside("fixtures/scenarios");
		if (!dir) {
			emu_cli_err("seeds: no fixtures/scenarios beside stmm-emu or here (--scenarios DIR)");
			goto out;
		}
		g_autofree char *bindir = emu_self_dir();
		g_autofree char *self = g_build_filename(bindir ? bindir : ".", "stmm-emu", NULL);
		if (run_scenarios(s, self, dir, a.verbose, err) < 0) {
			emu_cli_err("seeds: %s", err->str);
			goto out;
		}
		if (!a.quick) {
			int r = run_conform(s, self, &a, err);
			if (r != EMU_EXIT_OK) {
				emu_cli_err("seeds: %s", err->str);
				rc = r;
				goto out;
			}
		}
	}
	dict_dir = find_beside("tests/fuzz/dict");
	if (seeds_finish(s, dict_dir, err) < 0) {
		emu_cli_err("seeds: %s", err->str);
		goto out;
	}
	seeds_print_summary(s, stdout);
	rc = EMU_EXIT_OK;
out:
	args_clear(&a);
	return rc;
}
