/* SPDX-License-Identifier: MIT */
/* The scenario file reader: steps, quoting, continuation, expectations, errors with lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "efi.h"
#include "scenario.h"

static struct scenario *parse_ok(const char *text)
{
	struct scenario *s = NULL;
	g_autoptr(GString) err = g_string_new("");
	int r = scenario_parse("t.scen", text, strlen(text), &s, err);
	if (r != 0)
		fail_msg("parse failed: %s", err->str);
	return s;
}

static char *parse_err(const char *text)
{
	struct scenario *s = NULL;
	GString *err = g_string_new("");
	assert_int_equal(scenario_parse("t.scen", text, strlen(text), &s, err), -EINVAL);
	assert_null(s);
	return g_string_free(err, FALSE);
}

static void scenario_parse_steps_and_meta(void **state)
{
	(void)state;
	g_autoptr(scenario) s = parse_ok("# comment\n"
					 "name: first\n"
					 "name: part\n"
					 "source: optee_os\n"
					 "\n"
					 "  client A linux\n"
					 "set A Foo global nv,bs,rt \"two words\" expect EFI_SUCCESS\n"
					 "get A Foo global expect NOT_FOUND\n"
					 "status expect ctrl.rpmb.dead = true\n"
					 "wait ctrl.live_variables >= 3 500\n");
	assert_string_equal(s->name, "first part");
	assert_string_equal(s->source, "optee_os");
	assert_string_equal(s->pins, "");
	assert_int_equal(s->steps->len, 5);
	const struct scen_step *st = g_ptr_array_index(s->steps, 1);
	assert_int_equal(st->line, 7);
	assert_int_equal(st->verb, SCEN_SET);
	assert_string_equal(st->argv[4], "two words");
	assert_null(st->argv[5]);
	assert_int_equal(st->expect.kind, SCEN_EXPECT_EFI);
	assert_true(st->expect.efi_status == EFI_SUCCESS);
	st = g_ptr_array_index(s->steps, 2);
	assert_true(st->expect.efi_status == EFI_NOT_FOUND);
	assert_null(st->expect.value);
	st = g_ptr_array_index(s->steps, 3);
	assert_int_equal(st->expect.kind, SCEN_EXPECT_JSON);
	assert_string_equal(st->expect.path, "ctrl.rpmb.dead");
	assert_int_equal(st->expect.op, SCEN_OP_EQ);
	assert_string_equal(st->expect.value, "true");
	st = g_ptr_array_index(s->steps, 4);
	assert_int_equal(st->verb, SCEN_WAIT);
	assert_int_equal(st->expect.op, SCEN_OP_GE);
}

static void scenario_parse_continuation_keeps_first_line(void **state)
{
	(void)state;
	g_autoptr(scenario) s = parse_ok("client A\n"
					 "set A Foo global \\\n"
					 "    nv,bs,rt hex:00 \\\n"
					 "    expect EFI_SUCCESS\n"
					 "trace expect contains \"SET_VARIABLE\"");
	assert_int_equal(s->steps->len, 3);
	const struct scen_step *st = g_ptr_array_index(s->steps, 1);
	assert_int_equal(st->line, 2);
	assert_string_equal(st->argv[3], "nv,bs,rt");
	st = g_ptr_array_index(s->steps, 2);
	assert_int_equal(st->expect.kind, SCEN_EXPECT_CONTAINS);
	assert_string_equal(st->expect.value, "SET_VARIABLE");
}

static void scenario_parse_cli_passes_words_through(void **state)
{
	(void)state;
	g_autoptr(scenario) s = parse_ok("cli var get Foo --json expect exit 1\n"
					 "fault rpmbd drop-response --at write\n");
	const struct scen_step *st = g_ptr_array_index(s->steps, 0);
	assert_int_equal(st->verb, SCEN_CLI);
	assert_string_equal(st->argv[3], "--json");
	assert_null(st->argv[4]);
	assert_int_equal(st->expect.kind, SCEN_EXPECT_EXIT);
	assert_int_equal(st->expect.exit_status, 1);
	st = g_ptr_array_index(s->steps, 1);
	assert_int_equal(st->expect.kind, SCEN_EXPECT_NONE);
	assert_string_equal(st->argv[2], "--at");
}

static void scenario_parse_errors_name_the_line(void **state)
{
	(void)state;
	g_autofree char *e1 = parse_err("client A\n\nfrobnicate\n");
	assert_non_null(strstr(e1, "t.scen:3: unknown step 'frobnicate'"));
	g_autofree char *e2 = parse_err("get A Foo\n");
	assert_non_null(strstr(e2, "t.scen:1: `get` takes 3 argument(s), not 2"));
	g_autofree char *e3 = parse_err("client A\nget A Foo global expect EFI_BOGUS\n");
	assert_non_null(strstr(e3, "t.scen:2:"));
	g_autofree char *e4 = parse_err("status\n");
	assert_non_null(strstr(e4, "`status` needs an `expect"));
	g_autofree char *e5 = parse_err("status expect a.b ~ 1\n");
	assert_non_null(strstr(e5, "OP one of"));
	g_autofree char *e6 = parse_err("set A \"unterminated\n");
	assert_non_null(strstr(e6, "t.scen:1: cannot split"));
	g_autofree char *e7 = parse_err("# only a comment\n");
	assert_non_null(strstr(e7, "no steps"));
	g_autofree char *e8 = parse_err("kill rpmbd expect exit 0\n");
	assert_non_null(strstr(e8, "takes no expectation"));
}

static void scenario_parse_refuses_binary_and_long_lines(void **state)
{
	(void)state;
	struct scenario *s = NULL;
	g_autoptr(GString) err = g_string_new("");
	const char bin[] = "client A\0x\n";
	assert_int_equal(scenario_parse("t.scen", bin, sizeof(bin) - 1, &s, err), -EINVAL);
	g_autofree char *longline = g_strnfill(9000, 'a');
	g_autofree char *text = g_strdup_printf("cli %s\n", longline);
	g_autofree char *e = parse_err(text);
	assert_non_null(strstr(e, "longer than"));
	const char bad_utf8[] = "name: \xff\xfe\nclient A\n";
	assert_int_equal(scenario_parse("t.scen", bad_utf8, sizeof(bad_utf8) - 1, &s, err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scenario_parse_steps_and_meta),
		cmocka_unit_test(scenario_parse_continuation_keeps_first_line),
		cmocka_unit_test(scenario_parse_cli_passes_words_through),
		cmocka_unit_test(scenario_parse_errors_name_the_line),
		cmocka_unit_test(scenario_parse_refuses_binary_and_long_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
