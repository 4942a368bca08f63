/* SPDX-License-Identifier: MIT */
/*
 * stmm-emu check: validate the NV store at rest.  The region's blocks are read straight
 * from STATE/rpmb.db (SQLite, read-only: fine while rpmbd runs, a WAL reader sees the last
 * committed write), assembled per STATE/stmm-emu.conf's layout into a temporary file, and
 * checked by `stmmd --check-store` -- the validator lives with the store code in stmm/mm,
 * which the CLI does not link, and stmmd is the program that would act on the same bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "cli.h"
#include "rpmbdb.h"
#include "config.h"
#include "edk2_store.h"
#include "rpmb_frame.h"
#include "stack.h"
#include "store_at_rest.h"


struct check_layout {
	uint32_t var_store_size, ftw_working_size, ftw_spare_size;
};

static uint32_t layout_total(const struct check_layout *l)
{
	return l->var_store_size + l->ftw_working_size + l->ftw_spare_size;
}

struct problem {
	uint32_t offset;
	char *code;
	char *what;
};

static void problem_clear(gpointer p)
{
	g_free(((struct problem *)p)->code);
	g_free(((struct problem *)p)->what);
}

/* "offset 0x1a8: record-start-id: what" lines from stmmd --check-store.  false on nonsense. */
static bool parse_problems(const char *out, GArray *problems)
{
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

	for (char **l = lines; *l; l++) {
		struct problem p = { 0 };
		unsigned off = 0;
		int n = 0;

		if (!**l)
			continue;
		if (sscanf(*l, "offset 0x%x: %n", &off, &n) != 1 || n == 0)
			return false;
		const char *code = *l + n, *colon = strstr(code, ": ");
		if (!colon)
			return false;
		p.offset = off;
		p.code = g_strndup(code, (gsize)(colon - code));
		p.what = g_strdup(colon + 2);
		g_array_append_val(problems, p);
	}
	return true;
}

static const char *area_of(const struct check_layout *l, uint32_t off)
{
	if (off < l->var_store_size)
		return "variable-store";
	if (off < l->var_store_size + l->ftw_working_size)
		return "ftw-working";
	return "ftw-spare";
}

static void print_json(const struct emu_state *st, const struct check_layout *l, GArray *problems)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, st->dir);
	json_builder_set_member_name(b, "layout");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "var_store_size");
	json_builder_add_int_value(b, l->var_store_size);
	json_builder_set_member_name(b, "ftw_working_size");
	json_builder_add_int_value(b, l->ftw_working_size);
	json_builder_set_member_name(b, "ftw_spare_size");
	json_builder_add_int_value(b, l->ftw_spare_size);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "clean");
	json_builder_add_boolean_value(b, problems->len == 0);
	json_builder_set_member_name(b, "problems");
	json_builder_begin_array(b);
	for (guint i = 0; i < problems->len; i++) {
		const struct problem *p = &g_array_index(problems, struct problem, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "offset");
		json_builder_add_int_value(b, p->offset);
		json_builder_set_member_name(b, "area");
		json_builder_add_string_value(b, area_of(l, p->offset));
		json_builder_set_member_name(b, "code");
		json_builder_add_string_value(b, p->code);
		json_builder_set_member_name(b, "what");
		json_builder_add_string_value(b, p->what);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	emu_cli_json_printed();
}

/* Write the region to a temporary file and run stmmd --check-store on it. */
static int run_check(const struct check_layout *l, const uint8_t *region, char **ret_out,
		     GString *err)
{
	g_autofree char *bin_dir = emu_daemon_dir();
	g_autofree char *stmmd = g_build_filename(bin_dir, "stmmd", NULL);
	g_autofree char *tmp = NULL, *out = NULL, *errout = NULL;
	g_autofree char *vs = g_strdup_printf("--var-store-size=%u", l->var_store_size);
	g_autofree char *fw = g_strdup_printf("--ftw-working-size=%u", l->ftw_working_size);
	g_autofree char *fs = g_strdup_printf("--ftw-spare-size=%u", l->ftw_spare_size);
	g_autoptr(GError) gerr = NULL;
	int fd, status = 0;

	fd = g_file_open_tmp("stmm-emu-check-XXXXXX", &tmp, &gerr);
	if (fd < 0) {
		g_string_append_printf(err, "temporary file: %s", gerr->message);
		return -EIO;
	}
	close(fd);
	if (!g_file_set_contents(tmp, (const char *)region, layout_total(l), &gerr)) {
		g_string_append_printf(err, "%s: %s", tmp, gerr->message);
		g_unlink(tmp);
		return -EIO;
	}
	char *argv[] = { stmmd, "--check-store", tmp, vs, fw, fs, NULL };
	bool ran = g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
				&status, &gerr);
	g_unlink(tmp);
	if (!ran) {
		g_string_append_printf(err, "%s: %s", stmmd, gerr->message);
		return -ENOENT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		g_string_append_printf(err, "stmmd --check-store failed: %s",
				       errout && *errout ? g_strchomp(errout) : "(no message)");
		return -EIO;
	}
	*ret_out = g_steal_pointer(&out);
	return 0;
}

int emu_cmd_check(int argc, char **argv)
{
	g_autofree char *state = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print one JSON object", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- validate the NV store in rpmb.db");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Reads the store's RPMB blocks from STATE/rpmb.db (read-only; the stack may be\n"
		     "running or stopped), lays them out as STATE/stmm-emu.conf says and checks the\n"
		     "FV header, variable store header, every record, the FTW working area and the\n"
		     "spare (stmmd --check-store).  One line per problem with its offset in the\n"
		     "store region.  Exit status 0 clean, 1 problems found, 2 usage, 3 the state\n"
		     "could not be read.");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (argc > 1) {
		emu_cli_err("unexpected argument %s", argv[1]);
		return EMU_EXIT_USAGE;
	}

	struct emu_state st;
	struct emu_config cfg;
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(GArray) problems = g_array_new(FALSE, TRUE, sizeof(struct problem));
	g_autofree uint8_t *region = NULL;
	g_autofree char *out = NULL;
	int rc = EMU_EXIT_STACK;

	g_array_set_clear_func(problems, problem_clear);
	emu_state_init(&st, state);
	if (emu_config_load(&st, &cfg, err) < 0) {
		emu_cli_err("%s", err->str);
		goto out;
	}
	const struct check_layout l = {
		cfg.var_store_size ? cfg.var_store_size : STMM_DEFAULT_VARIABLE_STORE_SIZE,
		cfg.ftw_working_size ? cfg.ftw_working_size : STMM_DEFAULT_FTW_WORKING_SIZE,
		cfg.ftw_spare_size ? cfg.ftw_spare_size : STMM_DEFAULT_FTW_SPARE_SIZE,
	};
	if (!g_file_test(st.rpmb_db, G_FILE_TEST_IS_REGULAR)) {
		emu_cli_err("%s: no RPMB device (the stack was never started here)", st.rpmb_db);
		goto out;
	}
	if ((uint64_t)l.var_store_size + l.ftw_working_size + l.ftw_spare_size > 48u << 20) {
		emu_cli_err("%s: store layout too large", st.dir);
		goto out;
	}
	if (emu_store_read_at_rest(st.rpmb_db, !strcmp(cfg.rpmb_layout, "optee-fs"), layout_total(&l), &region,
		       err) < 0 ||
	    run_check(&l, region, &out, err) < 0) {
		emu_cli_err("%s", err->str);
		goto out;
	}
	if (!parse_problems(out, problems)) {
		emu_cli_err("stmmd --check-store answered nonsense: %s", out);
		goto out;
	}
	if (json) {
		print_json(&st, &l, problems);
	} else {
		for (guint i = 0; i < problems->len; i++) {
			const struct problem *p = &g_array_index(problems, struct problem, i);
			printf("offset 0x%x (%s): %s\n", p->offset, area_of(&l, p->offset), p->what);
		}
		if (problems->len)
			printf("%s: %u problem%s in the NV store\n", st.dir, problems->len,
			       problems->len == 1 ? "" : "s");
		else
			printf("%s: NV store clean (variable store %u, FTW working %u, FTW spare %u "
			       "bytes)\n", st.dir, l.var_store_size, l.ftw_working_size,
			       l.ftw_spare_size);
	}
	rc = problems->len ? EMU_EXIT_EFI : EMU_EXIT_OK;
out:
	emu_state_clear(&st);
	return rc;
}
