/* SPDX-License-Identifier: MIT */
/*
 * efitools and the openssl CLI for the stmm auth unit tests: the keys in fixtures/keys
 * ($STMM_EMU_KEYS overrides; made by fixtures/make-keys.sh), a scratch directory made by the
 * group setup and removed by its teardown, command lines that must succeed, and the files
 * they make there.  Header-only so each test_*.c stays one translation unit; include it
 * after <cmocka.h>.
 */
#ifndef STMM_EMU_TEST_EFITOOLS_H
#define STMM_EMU_TEST_EFITOOLS_H

#include <stdlib.h>

#include <glib.h>

/* The SignatureOwner of every list made by efitools_group_setup. */
#define EFITOOLS_OWNER "11111111-2222-3333-4444-555555555555"

static char *tmpdir;     /* the group's scratch directory */
static const char *keys; /* fixtures/keys */

/* CMDLINE must exit 0; otherwise the test fails with its stderr. */
static void run(const char *cmdline)
{
	g_autofree char *out = NULL, *err = NULL;
	gint status = -1;
	g_autoptr(GError) e = NULL;
	gboolean ok = g_spawn_command_line_sync(cmdline, &out, &err, &status, &e);
	if (!ok || !g_spawn_check_wait_status(status, NULL))
		fail_msg("command failed: %s\n%s", cmdline, err ? err : (e ? e->message : ""));
}

/* The bytes of TMPDIR/NAME. */
static GBytes *slurp(const char *name)
{
	g_autofree char *path = g_build_filename(tmpdir, name, NULL);
	char *data = NULL;
	gsize len = 0;
	assert_true(g_file_get_contents(path, &data, &len, NULL));
	return g_bytes_new_take(data, len);
}

/* sign-efi-sig-list OPTS -t TS -k KEYS/KEY.key -c KEYS/KEY.crt VAR TMPDIR/ESL TMPDIR/OUT */
static void sign(const char *opts, const char *key, const char *var, const char *esl,
		 const char *ts, const char *out)
{
	g_autofree char *cmd = g_strdup_printf(
		"sign-efi-sig-list %s -t \"%s\" -k %s/%s.key -c %s/%s.crt %s %s/%s %s/%s", opts, ts,
		keys, key, keys, key, var, tmpdir, esl, tmpdir, out);
	run(cmd);
}

/* keys and tmpdir (from TEMPLATE); for each of CERTS, KEYS/C.crt -> TMPDIR/C.esl. */
static void efitools_group_setup(const char *template, const char *const *certs, size_t n)
{
	keys = getenv("STMM_EMU_KEYS") ? getenv("STMM_EMU_KEYS") : "fixtures/keys";
	tmpdir = g_dir_make_tmp(template, NULL);
	assert_non_null(tmpdir);
	for (size_t i = 0; i < n; i++) {
		g_autofree char *cmd = g_strdup_printf("cert-to-efi-sig-list -g " EFITOOLS_OWNER
						       " %s/%s.crt %s/%s.esl",
						       keys, certs[i], tmpdir, certs[i]);
		run(cmd);
	}
}

static void efitools_group_teardown(void)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf %s", tmpdir);
	run(cmd);
	g_clear_pointer(&tmpdir, g_free);
}

#endif
