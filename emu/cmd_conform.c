/* SPDX-License-Identifier: MIT */
/* stmm-emu conform: run the conformance suite (emu/conform/conform.h) and report it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_conform.h"
#include "config.h"
#include "conform.h"
#include "edk2_store.h"
#include "efi_util.h"
#include "mm.h"
#include "report.h"
#include "scratch.h"
#include "stack.h"
#include "state.h"

const struct cf_group *const conform_groups[] = {
	&cf_group_get,       &cf_group_getnext,       &cf_group_set_attributes,
	&cf_group_set_size,  &cf_group_append,        &cf_group_delete,
	&cf_group_query,     &cf_group_payload,       &cf_group_raw_malformed,
	&cf_group_stress,    &cf_group_properties,    &cf_group_phases,
	&cf_group_reset,     &cf_group_store_full,    &cf_group_auth,
	&cf_group_secure_boot,
	&cf_group_varcheck_uefi,
};
const size_t conform_n_groups = G_N_ELEMENTS(conform_groups);

_Static_assert(CF_PASS == EMU_REPORT_PASS && CF_FAIL == EMU_REPORT_FAIL &&
		       CF_SKIP == EMU_REPORT_SKIP, "conform outcomes are report outcomes");


bool conform_group_selected(const struct conform_args *a, const struct cf_group *g)
{
	if (!a->groups)
		return true;
	for (char **p = a->groups; *p; p++) {
		g_auto(GStrv) parts = g_strsplit(*p, ",", -1);
		for (char **q = parts; *q; q++)
			if (strcmp(g_strstrip(*q), g->name) == 0)
				return true;
	}
	return false;
}

static int check_group_names(const struct conform_args *a)
{
	if (!a->groups)
		return 0;
	for (char **p = a->groups; *p; p++) {
		g_auto(GStrv) parts = g_strsplit(*p, ",", -1);
		for (char **q = parts; *q; q++) {
			bool known = false;
			for (size_t i = 0; i < conform_n_groups; i++)
				known |= strcmp(g_strstrip(*q), conform_groups[i]->name) == 0;
			if (!known) {
				emu_cli_err("conform: unknown group '%s' (see --list)", *q);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static void list_cases(const struct conform_args *a)
{
	for (size_t gi = 0; gi < conform_n_groups; gi++) {
		const struct cf_group *g = conform_groups[gi];
		if (!conform_group_selected(a, g))
			continue;
		for (size_t i = 0; i < g->n_cases; i++)
			printf("%-52s %-6s %-18s %s%s%s\n", g->cases[i].id,
			       g->cases[i].mode == CF_RAW ? "raw" : "client",
			       g->cases[i].profiles ? g->cases[i].profiles : "optee-stmm,strict",
			       (g->flags & CF_GROUP_DESTRUCTIVE) ? "[destructive] " : "",
			       (g->flags & CF_GROUP_NEEDS_KEYS) ? "[keys] " : "", g->cases[i].source);
	}
}

/* ---- running ------------------------------------------------------------------------------ */

/* The profile of the stack under test (STATE/stmm-emu.conf, default optee-stmm): the
 * scratch stacks run it too. */
void conform_stack_profile(const struct emu_state *st, char profile[CONFORM_PROFILE_SIZE])
{
	struct emu_config cfg;

	g_strlcpy(profile, "optee-stmm", CONFORM_PROFILE_SIZE);
	if (emu_config_load(st, &cfg, NULL) == 0 && cfg.profile[0])
		g_strlcpy(profile, cfg.profile, CONFORM_PROFILE_SIZE);
}

int conform_open_session(struct cf *cf, GString *err)
{
	g_clear_pointer(&cf->c, emu_client_free);
	int r = emu_client_open(cf->st->tee_sock, cf->timeout_ms, &cf->c);
	if (r < 0) {
		g_string_printf(err, "%s: %s (is the stack up? `stmm-emu up`)", cf->st->tee_sock,
				g_strerror(-r));
		return r;
	}
	efi_status_t s = emu_client_get_payload_size(cf->c, &cf->max_payload);
	if (s != EFI_SUCCESS) {
		char b[64];
		g_string_printf(err, "GET_PAYLOAD_SIZE: %s", efi_status_str(s, b, sizeof(b)));
		return -EIO;
	}
	cf->payload_size = cf->max_payload + MM_CLIENT_PAYLOAD_QUIRK;
	/* The sizes the store under test was started with (issue 15 #3: a state made by
	 * `up --import OVMF_VARS_4M.fd` has a 256 KiB store, not stmmd's default). */
	struct emu_config cfg;
	r = emu_config_load(cf->st, &cfg, err);
	if (r < 0)
		return r;
	uint64_t vs = cfg.var_store_size ? cfg.var_store_size : CF_DEFAULT_VAR_STORE_SIZE;
	cf->nv_storage = vs - EDK2_FV_HEADER_LENGTH - CF_STORE_HEADER;
	return 0;
}

static const char *case_mode(const struct cf_case *k)
{
	return k->mode == CF_RAW ? "raw" : "client";
}

static void report_case(GArray *results, const struct cf_group *g, const struct cf_case *k,
			int outcome, const char *message, double seconds)
{
	emu_report_add(results, g->name, k->id, k->source, case_mode(k), outcome, message, seconds);
}

/* Every case of a group that cannot run, reported as skipped (or failed) with the reason. */
void conform_skip_group(const struct cf_group *g, GArray *results, FILE *progress, int outcome,
		       const char *why)
{
	for (size_t i = 0; i < g->n_cases; i++)
		report_case(results, g, &g->cases[i], outcome, why, 0);
	fprintf(progress, "%-15s %3zu %s: %s\n", g->name, g->n_cases,
		outcome == CF_SKIP ? "skipped" : "failed", why);
	fflush(progress);
}

void conform_run_group(struct cf *cf, const struct cf_group *g, GArray *results, FILE *progress)
{
	unsigned pass = 0, fail = 0;
	gint64 t0 = g_get_monotonic_time();
	bool destructive = g->flags & CF_GROUP_DESTRUCTIVE;

	if (destructive) {
		g_string_truncate(cf->why, 0);
		(void)cf_reset(cf);
	}
	enum emu_client_transport transport = EMU_CLIENT_TRANSPORT_OPTEE;
	if (emu_client_transport_from_env(&transport) < 0)
		transport = EMU_CLIENT_TRANSPORT_OPTEE;
	unsigned skip = 0;
	for (size_t i = 0; i < g->n_cases; i++) {
		const struct cf_case *k = &g->cases[i];
		struct { int outcome; double seconds; char *message; } r;
		gint64 c0 = g_get_monotonic_time();

		if (transport == EMU_CLIENT_TRANSPORT_FFA && k->mode == CF_RAW) {
			/* Raw mode sets PTA_STMM's memref size itself: no such thing over FF-A. */
			report_case(results, g, k, CF_SKIP,
				    "PTA-specific (raw MM buffer with its own memref size); not on --transport ffa", 0);
			skip++;
			continue;
		}

		g_string_truncate(cf->why, 0);
		if (!cf->c) {
			g_autoptr(GString) err = g_string_new("");
			if (conform_open_session(cf, err) < 0)
				g_string_printf(cf->why, "no session: %s", err->str);
		}
		if (k->profiles && !strstr(k->profiles, cf->profile)) {
			/* Another build's expectation (README "Which EDK2 build this is"). */
			g_autofree char *m = g_strdup_printf("for profile %s, the stack is %s",
							     k->profiles, cf->profile);
			report_case(results, g, k, CF_SKIP, m, 0);
			continue;
		}
		r.outcome = cf->c ? k->run(cf) : CF_FAIL;
		r.seconds = (double)(g_get_monotonic_time() - c0) / 1e6;
		r.message = g_strdup(cf->why->len ? cf->why->str : "failed");
		g_ptr_array_set_size(cf->keep, 0);
		if (destructive) {
			g_string_truncate(cf->why, 0);
			if (cf_reset(cf) != CF_PASS && r.outcome == CF_PASS) {
				r.outcome = CF_FAIL;
				g_free(r.message);
				r.message = g_strdup(cf->why->str);
			}
		}
		if (g->cleanup && cf->c)
			g->cleanup(cf);
		cf_cleanup(cf);
		g_ptr_array_set_size(cf->keep, 0);
		if (r.outcome == CF_PASS)
			pass++;
		else
			fail++;
		report_case(results, g, k, r.outcome, r.message, r.seconds);
		g_free(r.message);
	}
	fprintf(progress, "%-15s %3u passed, %3u failed  (%.1f s)%s", g->name, pass, fail,
		(double)(g_get_monotonic_time() - t0) / 1e6, destructive ? "  [destructive]" : "");
	if (skip)
		fprintf(progress, "  %u skipped (PTA-specific)", skip);
	fputc('\n', progress);
	for (guint i = results->len - (pass + fail + skip); i < results->len; i++) {
		const struct emu_report_case *r = &g_array_index(results, struct emu_report_case, i);
		if (r->outcome == CF_FAIL)
			fprintf(progress, "  FAIL %s: %s\n       (%s)\n", r->id, r->message, r->source);
	}
	fflush(progress);
}

/* A stack of our own in a temporary directory, for the destructive groups. */
int conform_scratch_up(struct emu_state *st, const char *profile,
		       const struct emu_state *conf_from, GString *err)
{
	int r = emu_scratch_new("stmm-emu-conform", st, err);
	if (r < 0)
		return r;
	if (conf_from) {
		/* The start options of the stack under test, as its stmm-emu.conf records them. */
		g_autofree char *src = g_build_filename(conf_from->dir, EMU_CONFIG_FILE, NULL);
		g_autofree char *dst = g_build_filename(st->dir, EMU_CONFIG_FILE, NULL);
		struct emu_config cfg;
		if (g_file_test(src, G_FILE_TEST_EXISTS)) {
			r = emu_config_load(conf_from, &cfg, err);
			if (r == 0)
				r = emu_config_save(src, dst, &cfg, err);
			if (r < 0)
				return r;
		}
	}
	g_autofree char *bin_dir = emu_daemon_dir();
	struct emu_up_options opt = { .bin_dir = bin_dir, .wait_ms = 20000, .profile = profile };
	struct emu_up_result res;
	int lock_fd;
	r = emu_stack_lock(st, &lock_fd);
	if (r < 0) {
		g_string_printf(err, "%s: %s", st->dir, g_strerror(-r));
		return r;
	}
	r = emu_stack_up(st, &opt, &res, err);
	close(lock_fd);
	return r;
}

void conform_scratch_down(struct emu_state *st, bool keep)
{
	emu_scratch_remove(st, keep, "conform: scratch");
}

/*
 * The keys directory: --keys, else $STMM_EMU_KEYS, else <dir of stmm-emu>/../fixtures/keys,
 * else ./fixtures/keys.  NULL keys and the reason when none loads.
 */
struct cf_keys *conform_find_keys(const struct conform_args *a, GString *why)
{
	g_autofree char *self = emu_self_dir();
	g_autofree char *beside = self ? g_build_filename(self, "..", "fixtures", "keys", NULL) : NULL;
	const char *env = g_getenv("STMM_EMU_KEYS");
	const char *dir = a->keys;
	struct cf_keys *k = NULL;

	if (!dir && env && *env)
		dir = env;
	if (!dir && beside && g_file_test(beside, G_FILE_TEST_IS_DIR))
		dir = beside;
	if (!dir && g_file_test("fixtures/keys", G_FILE_TEST_IS_DIR))
		dir = "fixtures/keys";
	if (!dir) {
		g_string_assign(why, "no signing keys: no --keys, no $STMM_EMU_KEYS, no fixtures/keys "
				     "beside stmm-emu or here (fixtures/make-keys.sh makes them)");
		return NULL;
	}
	g_autoptr(GString) err = g_string_new("");
	if (cf_keys_load(dir, &k, err) < 0) {
		g_string_printf(why, "no signing keys: %s", err->str);
		return NULL;
	}
	return k;
}

static int run_all(const struct conform_args *a, GArray *results, double *ret_seconds)
{
	struct emu_state st = { 0 }, scratch = { 0 };
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(GString) why = g_string_new("");
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	FILE *progress = a->tap || a->json ? stderr : stdout;
	g_autoptr(GString) no_keys = g_string_new("");
	bool need_live = false, need_destructive = false, need_keys = false;
	struct cf_keys *keys = NULL;
	int rc = EMU_EXIT_OK;
	gint64 t0 = g_get_monotonic_time();

	if (a->parallel > 1 && !a->in_place)
		return conform_run_parallel(a, results, ret_seconds);
	for (size_t gi = 0; gi < conform_n_groups; gi++)
		if (conform_group_selected(a, conform_groups[gi]) && (conform_groups[gi]->flags & CF_GROUP_NEEDS_KEYS))
			need_keys = true;
	if (need_keys) {
		keys = conform_find_keys(a, no_keys);
		if (!keys && a->require_auth)
			emu_cli_err("conform: --require-auth: %s", no_keys->str);
	}
	for (size_t gi = 0; gi < conform_n_groups; gi++) {
		if (!conform_group_selected(a, conform_groups[gi]))
			continue;
		if ((conform_groups[gi]->flags & CF_GROUP_NEEDS_KEYS) && !keys)
			continue;
		if (conform_groups[gi]->flags & CF_GROUP_DESTRUCTIVE)
			need_destructive = true;
		else
			need_live = true;
	}
	emu_state_init(&st, a->state);
	char profile[CONFORM_PROFILE_SIZE];
	conform_stack_profile(&st, profile);
	struct cf live = { .st = &st, .timeout_ms = emu_cli_timeout_ms(a->timeout_ms), .why = why,
			   .reset_wait_ms = 20000, .keep = keep, .keys = keys, .profile = profile };
	struct cf dest = live;
	if (need_live || (need_destructive && a->in_place)) {
		if (conform_open_session(&live, err) < 0) {
			emu_cli_err("conform: %s", err->str);
			emu_state_clear(&st);
			cf_keys_free(keys);
			return EMU_EXIT_STACK;
		}
		g_autofree char *pl = emu_payload_text(live.max_payload);
		fprintf(progress, "stmm-emu conform: stack %s, profile %s, max payload %s\n", st.dir,
			profile, pl);
	}
	if (need_destructive && !a->in_place) {
		if (conform_scratch_up(&scratch, profile, NULL, err) < 0) {
			emu_cli_err("conform: scratch stack: %s", err->str);
			conform_scratch_down(&scratch, a->keep_scratch);
			g_clear_pointer(&live.c, emu_client_free);
			emu_state_clear(&st);
			cf_keys_free(keys);
			return EMU_EXIT_STACK;
		}
		dest.st = &scratch;
		dest.c = NULL;
		if (conform_open_session(&dest, err) < 0) {
			emu_cli_err("conform: scratch stack: %s", err->str);
			rc = EMU_EXIT_STACK;
		} else {
			fprintf(progress, "stmm-emu conform: destructive groups on a scratch stack in %s "
				"(profile %s)\n", scratch.dir, profile);
		}
	} else {
		dest.c = NULL; /* shares live's session below */
	}

	for (size_t gi = 0; gi < conform_n_groups && rc == EMU_EXIT_OK; gi++) {
		const struct cf_group *g = conform_groups[gi];
		if (!conform_group_selected(a, g))
			continue;
		if ((g->flags & CF_GROUP_NEEDS_KEYS) && !keys) {
			conform_skip_group(g, results, progress, a->require_auth ? CF_FAIL : CF_SKIP,
				   no_keys->str);
			continue;
		}
		if (!(g->flags & CF_GROUP_DESTRUCTIVE)) {
			conform_run_group(&live, g, results, progress);
		} else if (a->in_place) {
			conform_run_group(&live, g, results, progress);
		} else {
			conform_run_group(&dest, g, results, progress);
		}
	}
	g_clear_pointer(&dest.c, emu_client_free);
	g_clear_pointer(&live.c, emu_client_free);
	if (need_destructive && !a->in_place)
		conform_scratch_down(&scratch, a->keep_scratch);
	emu_state_clear(&st);
	cf_keys_free(keys);
	*ret_seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
	return rc;
}

int emu_cmd_conform(int argc, char **argv)
{
	struct conform_args a = { .parallel = 1 };
	g_autoptr(GArray) results = NULL;
	g_autoptr(GString) jerr = g_string_new("");
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &a.state,
		  "state directory of the running stack (default: $STMM_EMU_STATE, else ./.stmm-emu)", "DIR" },
		{ "group", 'g', 0, G_OPTION_ARG_STRING_ARRAY, &a.groups,
		  "run only these groups (repeatable, comma list; see --list)", "G" },
		{ "list", 'l', 0, G_OPTION_ARG_NONE, &a.list, "list the cases (one per line) and exit", NULL },
		{ "junit", 'j', 0, G_OPTION_ARG_FILENAME, &a.junit, "write JUnit XML to FILE", "FILE" },
		{ "tap", 0, 0, G_OPTION_ARG_NONE, &a.tap, "TAP 13 on stdout (progress goes to stderr)", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a.json,
		  "the summary as one JSON object on stdout: cases, passed, failed, skipped, seconds, "
		  "failures [{id, message}] (progress goes to stderr)", NULL },
		{ "in-place", 0, 0, G_OPTION_ARG_NONE, &a.in_place,
		  "run destructive groups on the given stack too (resets it, fills its store)", NULL },
		{ "parallel", 'P', 0, G_OPTION_ARG_INT, &a.parallel,
		  "run the destructive groups' cases on N scratch stacks at once (each a fresh "
		  "state started with the options of the stack under test's stmm-emu.conf, removed "
		  "afterwards), the other groups on the stack meanwhile; same results, in the same "
		  "order (default 1: one scratch stack, one case after the other)", "N" },
		{ "keep-scratch", 0, 0, G_OPTION_ARG_NONE, &a.keep_scratch,
		  "keep the scratch state directory (logs) for debugging", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &a.timeout_ms, "per request (default 30000)", "MS" },
		{ "keys", 'k', 0, G_OPTION_ARG_FILENAME, &a.keys,
		  "PEM keys and certificates for the auth groups (default: $STMM_EMU_KEYS, else "
		  "fixtures/keys beside stmm-emu, else ./fixtures/keys); a DIR given here that does "
		  "not load is an error (exit 2)", "DIR" },
		{ "require-auth", 0, 0, G_OPTION_ARG_NONE, &a.require_auth,
		  "fail the auth groups when no keys are found (default: skip them)", NULL },
		{ "transport", 0, 0, G_OPTION_ARG_STRING, &a.transport,
		  "how the client reaches StMM: optee (default, PTA_STMM) or ffa (U-Boot's FF-A MM "
		  "transport; raw-mode cases are skipped as PTA-specific); default $STMM_EMU_TRANSPORT",
		  "optee|ffa" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- run the UEFI variable conformance suite");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx,
		"Cases derive from UEFI SCT VariableServices (conformance, function, stress), fwts\n"
		"uefirtvariable, Trusted Services' service and attack tests, U-Boot's efi_selftest and\n"
		"edk2's own rules; each names its assertion and expects the exact EFI status edk2's\n"
		"VariableSmm answers (OP-TEE StMM RPMB build).  Modes: 'client' goes through the client\n"
		"library as the Linux driver does, 'raw' sends hand-made MM buffers.\n\n"
		"Non-destructive groups run against the running stack and delete what they create\n"
		"(only variables under the test GUIDs).  Destructive groups (phases, properties,\n"
		"reset, store-full, secure-boot) start a scratch stack in a temporary directory and\n"
		"take it down afterwards, unless --in-place.  A line per group, then a summary.\n"
		"--parallel N starts N such stacks (with the stack's own stmm-emu.conf) and shares\n"
		"the destructive cases out among them (each between two resets, as always) while\n"
		"the other groups run on the stack; the lines, reports and exit status are those\n"
		"of a run without it, in the same order.\n\n"
		"The auth and secure-boot groups sign EFI_VARIABLE_AUTHENTICATION_2 payloads\n"
		"themselves (OpenSSL, as efitools does) with the keys of --keys; without keys they\n"
		"are reported as skipped (TAP '# SKIP', JUnit <skipped/>) unless --require-auth.\n\n"
		"Exit status: 0 every case passed; 1 a case failed; 2 usage; 3 the stack is not up.");
	if (!emu_cli_parse(ctx, &argc, &argv))
		goto usage;
	if (argc > 1) {
		emu_cli_err("conform: unexpected argument %s", argv[1]);
		goto usage;
	}
	if (check_group_names(&a) < 0)
		goto usage;
	if (a.parallel < 1 || a.parallel > 64) {
		emu_cli_err("conform: --parallel %d: not 1..64", a.parallel);
		goto usage;
	}
	if (a.parallel > 1 && a.in_place) {
		emu_cli_err("conform: --parallel and --in-place exclude each other "
			    "(--in-place runs every group on the one stack)");
		goto usage;
	}
	if (a.transport) {
		enum emu_client_transport t;
		if (emu_client_transport_from_name(a.transport, &t) < 0) {
			emu_cli_err("conform: --transport %s: not optee or ffa", a.transport);
			goto usage;
		}
		g_setenv(EMU_CLIENT_TRANSPORT_ENV, a.transport, TRUE);
	}
	if (a.keys && !a.list) {
		/* An explicit --keys that does not load is the user's mistake, not "no keys". */
		struct cf_keys *k = NULL;
		g_autoptr(GString) kerr = g_string_new("");
		if (!g_file_test(a.keys, G_FILE_TEST_IS_DIR)) {
			emu_cli_err("conform: --keys %s: not a directory", a.keys);
			goto usage;
		}
		if (cf_keys_load(a.keys, &k, kerr) < 0) {
			emu_cli_err("conform: --keys %s: %s", a.keys, kerr->str);
			goto usage;
		}
		cf_keys_free(k);
	}
	if (a.list) {
		list_cases(&a);
		g_free(a.state);
		g_free(a.junit);
		g_free(a.keys);
		g_free(a.transport);
		g_strfreev(a.groups);
		return EMU_EXIT_OK;
	}

	results = emu_report_new();
	double seconds = 0;
	int rc = run_all(&a, results, &seconds);
	unsigned fails = emu_report_count(results, CF_FAIL), skips = emu_report_count(results, CF_SKIP);
	FILE *progress = a.tap || a.json ? stderr : stdout;
	fprintf(progress, "conform: %u cases, %u passed, %u failed, %u skipped (%.1f s)\n",
		results->len, results->len - fails - skips, fails, skips, seconds);
	if (a.junit &&
	    emu_report_write_junit(results, a.junit, "stmm-emu conform", "conform", seconds, jerr) < 0) {
		emu_cli_err("conform: --junit: %s", jerr->str);
		if (rc == EMU_EXIT_OK)
			rc = EMU_EXIT_USAGE;
	}
	if (a.tap && a.json) {
		emu_cli_err("conform: --tap and --json exclude each other");
		rc = EMU_EXIT_USAGE;
	} else if (a.tap) {
		emu_report_print_tap(results);
	} else if (a.json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		emu_json_add_int(b, "cases", results->len);
		emu_json_add_int(b, "passed", results->len - fails - skips);
		emu_json_add_int(b, "failed", fails);
		emu_json_add_int(b, "skipped", skips);
		json_builder_set_member_name(b, "seconds");
		json_builder_add_double_value(b, seconds);
		json_builder_set_member_name(b, "failures");
		json_builder_begin_array(b);
		for (guint i = 0; i < results->len; i++) {
			const struct emu_report_case *r = &g_array_index(results, struct emu_report_case, i);
			if (r->outcome != CF_FAIL)
				continue;
			json_builder_begin_object(b);
			emu_json_add_string(b, "id", r->id);
			emu_json_add_string(b, "message", r->message);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		emu_json_print(b, false);
	}
	if (rc == EMU_EXIT_OK && fails)
		rc = EMU_EXIT_EFI;
	g_free(a.state);
	g_free(a.junit);
	g_free(a.keys);
	g_free(a.transport);
	g_strfreev(a.groups);
	return rc;
usage:
	g_free(a.state);
	g_free(a.junit);
	g_free(a.keys);
	g_free(a.transport);
	g_strfreev(a.groups);
	return EMU_EXIT_USAGE;
}
