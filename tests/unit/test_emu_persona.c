/* SPDX-License-Identifier: MIT */
/*
 * The client personas (emu/client/uboot.[ch], client.h).
 *
 * Without arguments: the U-Boot runtime snapshot machinery on fake variable services
 * (efi_var_collect, efi_get_variable_mem, efi_get_next_variable_name_mem as U-Boot's
 * lib/efi_loader/efi_var_common.c and efi_var_mem.c behave) and the persona names.
 *
 * With STMM_EMU_PERSONA_STATE=DIR (set by tests/system/emu_persona.sh on a running stack):
 * scenario S8 instead (next-wave-anchors.md §3): a U-Boot client A takes its snapshot at
 * ExitBootServices, a Linux client B writes a runtime variable, A still reads the old value
 * and cannot write (EFI_UNSUPPORTED), a fresh U-Boot client after a platform reset reads the
 * new value; and the U-Boot persona keeps no TEE session open between calls.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "bytes.h"
#include "client.h"
#include "efi.h"
#include "efi_util.h"
#include "emu_ipc.h"
#include "reset.h"
#include "stack.h"
#include "state.h"
#include "uboot.h"

static const efi_guid_t guid_a =
	EFI_GUID_INIT(0x11111111, 0x2222, 0x3333, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55);
static const efi_guid_t guid_b =
	EFI_GUID_INIT(0xaaaaaaaa, 0xbbbb, 0xcccc, 0xdd, 0xdd, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee);

#define NV_BS_RT (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | \
		  EFI_VARIABLE_RUNTIME_ACCESS)
#define NV_BS    (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS)

/* UCS-2LE of an ASCII name, with its NUL (g_free). */
static uint8_t *u16(const char *s, size_t *ret_size)
{
	uint8_t *name;
	size_t size;
	assert_int_equal(ucs2_from_utf8(s, &name, &size), 0);
	if (ret_size)
		*ret_size = size;
	return name;
}

/* ---- fake variable services ------------------------------------------------------------ */

struct fake_var {
	const char *name;
	const efi_guid_t *guid;
	uint32_t attr;
	const char *data;
};

struct fake {
	const struct fake_var *vars;
	size_t n;
	efi_status_t fail_get;     /* returned by get for vars[fail_at] */
	size_t fail_at;
	unsigned gets, get_nexts;
};

static bool name_is(const uint8_t *name, const char *s)
{
	size_t size;
	g_autofree uint8_t *want = u16(s, &size);
	return memcmp(name, want, size) == 0;
}

static efi_status_t fake_get_next(void *ctx, uint64_t *io_name_size, uint8_t *name,
				  efi_guid_t *io_guid)
{
	struct fake *f = ctx;
	size_t i = 0;

	f->get_nexts++;
	if (name[0] || name[1]) {
		for (i = 0; i < f->n; i++)
			if (name_is(name, f->vars[i].name) &&
			    memcmp(io_guid, f->vars[i].guid, sizeof(*io_guid)) == 0)
				break;
		if (i == f->n)
			return EFI_INVALID_PARAMETER;
		i++;
	}
	if (i >= f->n)
		return EFI_NOT_FOUND;
	size_t size;
	g_autofree uint8_t *n = u16(f->vars[i].name, &size);
	uint64_t old = *io_name_size;
	*io_name_size = size;
	if (old < size)
		return EFI_BUFFER_TOO_SMALL;
	memcpy(name, n, size);
	*io_guid = *f->vars[i].guid;
	return EFI_SUCCESS;
}

static efi_status_t fake_get(void *ctx, const uint8_t *name, size_t name_size,
			     const efi_guid_t *guid, uint32_t *io_attributes, uint64_t *io_data_size,
			     uint8_t *data)
{
	struct fake *f = ctx;
	(void)name_size;

	f->gets++;
	for (size_t i = 0; i < f->n; i++) {
		if (!name_is(name, f->vars[i].name) || memcmp(guid, f->vars[i].guid, sizeof(*guid)))
			continue;
		if (f->fail_get && i == f->fail_at)
			return f->fail_get;
		size_t len = strlen(f->vars[i].data);
		uint64_t old = *io_data_size;
		*io_data_size = len;
		if (io_attributes)
			*io_attributes = f->vars[i].attr;
		if (old < len)
			return EFI_BUFFER_TOO_SMALL;
		memcpy(data, f->vars[i].data, len);
		return EFI_SUCCESS;
	}
	return EFI_NOT_FOUND;
}

static const struct fake_var three[] = {
	{ "Alpha", &guid_a, NV_BS_RT, "one" },
	{ "BsOnly", &guid_a, NV_BS, "hidden" },
	{ "Gamma", &guid_b, EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS, "" },
};

/* A snapshot of `three` in a full-size runtime buffer. */
static uint8_t *snapshot_three(size_t *ret_len)
{
	struct fake f = { .vars = three, .n = G_N_ELEMENTS(three) };
	struct uboot_collect_ops ops = { .ctx = &f, .get_next = fake_get_next, .get = fake_get };
	uint8_t *buf = NULL;
	assert_int_equal(uboot_var_collect(&ops, EFI_VARIABLE_RUNTIME_ACCESS, UBOOT_EFI_VAR_BUF_SIZE,
					   &buf, ret_len),
			 EFI_SUCCESS);
	/* every variable was read, the walk ended on NOT_FOUND */
	assert_int_equal(f.gets, 3);
	assert_int_equal(f.get_nexts, 4);
	uint8_t *full = g_malloc0(UBOOT_EFI_VAR_BUF_SIZE);
	memcpy(full, buf, UBOOT_EFI_VAR_BUF_SIZE);
	g_free(buf);
	return full;
}

static void var_collect_keeps_runtime_variables_only(void **state)
{
	(void)state;
	size_t len;
	g_autofree uint8_t *buf = snapshot_three(&len);

	/* header: magic, length; entries 8-byte aligned: Alpha (32 + 12 + 3 -> 48), Gamma */
	assert_int_equal(get_le64(buf + 8), UBOOT_EFI_VAR_FILE_MAGIC);
	assert_int_equal(get_le32(buf + 16), len);
	assert_int_equal(len, 24 + 48 + 48);

	size_t nsz;
	g_autofree uint8_t *alpha = u16("Alpha", &nsz);
	uint8_t data[16];
	uint64_t size = sizeof(data);
	uint32_t attr = 0;
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, alpha, nsz, &guid_a, &attr,
					   &size, data, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_SUCCESS);
	assert_int_equal(size, 3);
	assert_memory_equal(data, "one", 3);
	assert_int_equal(attr, NV_BS_RT);

	g_autofree uint8_t *bs = u16("BsOnly", &nsz);
	size = sizeof(data);
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, bs, nsz, &guid_a, NULL, &size,
					   data, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_NOT_FOUND);
	/* right name, wrong GUID */
	size = sizeof(data);
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, alpha, sizeof("Alpha") * 2,
					   &guid_b, NULL, &size, data, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_NOT_FOUND);
}

static void var_get_mem_sizes_and_parameters(void **state)
{
	(void)state;
	size_t len, nsz;
	g_autofree uint8_t *buf = snapshot_three(&len);
	g_autofree uint8_t *alpha = u16("Alpha", &nsz);
	uint8_t data[4];
	uint32_t attr = 0;

	uint64_t size = 2;
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, alpha, nsz, &guid_a, &attr,
					   &size, data, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_BUFFER_TOO_SMALL);
	assert_int_equal(size, 3);
	assert_int_equal(attr, NV_BS_RT);   /* attributes even on BUFFER_TOO_SMALL */
	size = 3;
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, alpha, nsz, &guid_a, NULL,
					   &size, NULL, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_INVALID_PARAMETER);
	/* zero-length data with no buffer: U-Boot only checks size first */
	g_autofree uint8_t *gamma = u16("Gamma", &nsz);
	size = 0;
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, gamma, nsz, &guid_b, NULL,
					   &size, NULL, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_INVALID_PARAMETER);
	g_autofree uint8_t *empty = u16("", &nsz);
	size = sizeof(data);
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, empty, nsz, &guid_a, NULL,
					   &size, data, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_NOT_FOUND);
	assert_int_equal(uboot_var_get_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, alpha, 4, &guid_a, NULL,
					   &size, data, EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_INVALID_PARAMETER);   /* no NUL in the name */
}

static void var_get_next_mem_walks_the_snapshot(void **state)
{
	(void)state;
	size_t len;
	g_autofree uint8_t *buf = snapshot_three(&len);
	uint8_t name[64] = { 0 };
	efi_guid_t g = { 0 };
	uint64_t size = sizeof(name);

	assert_int_equal(uboot_var_get_next_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, &size, name, &g,
						EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_SUCCESS);
	assert_true(name_is(name, "Alpha"));
	assert_int_equal(size, 12);
	assert_memory_equal(&g, &guid_a, sizeof(g));

	/* buffer too small for the next name: its size, nothing else changed */
	uint64_t small = 8;
	uint8_t copy[64];
	memcpy(copy, name, sizeof(copy));
	assert_int_equal(uboot_var_get_next_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, &small, name, &g,
						EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_INVALID_PARAMETER);   /* "Alpha\0" (12 bytes) has no NUL in 8 */
	small = 12;
	assert_int_equal(uboot_var_get_next_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, &small, name, &g,
						EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_SUCCESS);             /* "Gamma" is 12 bytes too */
	assert_true(name_is(name, "Gamma"));
	assert_memory_equal(&g, &guid_b, sizeof(g));

	size = sizeof(name);
	assert_int_equal(uboot_var_get_next_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, &size, name, &g,
						EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_NOT_FOUND);

	/* a previous name that is not in the store */
	size_t nsz;
	g_autofree uint8_t *bs = u16("BsOnly", &nsz);
	memcpy(name, bs, nsz);
	g = guid_a;
	size = sizeof(name);
	assert_int_equal(uboot_var_get_next_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, &size, name, &g,
						EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_INVALID_PARAMETER);

	/* BUFFER_TOO_SMALL from the start: the size needed */
	memset(name, 0, sizeof(name));
	size = 4;
	assert_int_equal(uboot_var_get_next_mem(buf, UBOOT_EFI_VAR_BUF_SIZE, &size, name, &g,
						EFI_VARIABLE_RUNTIME_ACCESS),
			 EFI_BUFFER_TOO_SMALL);
	assert_int_equal(size, 12);
}

static void var_collect_fails_when_full_or_on_error(void **state)
{
	(void)state;
	struct fake f = { .vars = three, .n = G_N_ELEMENTS(three) };
	struct uboot_collect_ops ops = { .ctx = &f, .get_next = fake_get_next, .get = fake_get };
	uint8_t *buf = NULL;
	size_t len = 0;

	/* room for the header and Alpha's name but not its data */
	assert_int_equal(uboot_var_collect(&ops, EFI_VARIABLE_RUNTIME_ACCESS, 24 + 32 + 12 + 2,
					   &buf, &len),
			 EFI_BUFFER_TOO_SMALL);
	assert_null(buf);

	f = (struct fake){ .vars = three, .n = G_N_ELEMENTS(three), .fail_get = EFI_DEVICE_ERROR,
			   .fail_at = 2 };
	assert_int_equal(uboot_var_collect(&ops, EFI_VARIABLE_RUNTIME_ACCESS, UBOOT_EFI_VAR_BUF_SIZE,
					   &buf, &len),
			 EFI_DEVICE_ERROR);
	assert_null(buf);

	/* an empty store collects to the header alone */
	f = (struct fake){ .vars = three, .n = 0 };
	assert_int_equal(uboot_var_collect(&ops, EFI_VARIABLE_RUNTIME_ACCESS, UBOOT_EFI_VAR_BUF_SIZE,
					   &buf, &len),
			 EFI_SUCCESS);
	assert_int_equal(len, 24);
	g_free(buf);
}

static void persona_from_name_known_and_unknown(void **state)
{
	(void)state;
	enum emu_client_persona p = EMU_CLIENT_PERSONA_UBOOT;
	assert_int_equal(emu_client_persona_from_name("linux", &p), 0);
	assert_int_equal(p, EMU_CLIENT_PERSONA_LINUX);
	assert_int_equal(emu_client_persona_from_name("uboot", &p), 0);
	assert_int_equal(p, EMU_CLIENT_PERSONA_UBOOT);
	assert_int_equal(emu_client_persona_from_name("u-boot", &p), 0);
	assert_int_equal(emu_client_persona_from_name("edk2", &p), -EINVAL);
	assert_int_equal(emu_client_persona_from_name(NULL, &p), -EINVAL);
	assert_string_equal(emu_client_persona_name(EMU_CLIENT_PERSONA_UBOOT), "uboot");
	assert_string_equal(emu_client_persona_name(EMU_CLIENT_PERSONA_LINUX), "linux");
}

/* $STMM_EMU_UBOOT_SECURE_BOOT: U-Boot's CONFIG_EFI_SECURE_BOOT, off unless y or 1. */
static void uboot_secure_boot_from_env(void **state)
{
	(void)state;
	static const struct { const char *v; int r; bool on; } cases[] = {
		{ NULL, 0, false }, { "", 0, false }, { "n", 0, false }, { "0", 0, false },
		{ "y", 0, true }, { "1", 0, true }, { "yes", -EINVAL, false }, { "Y", -EINVAL, false },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (cases[i].v)
			g_setenv(EMU_CLIENT_UBOOT_SECURE_BOOT_ENV, cases[i].v, TRUE);
		else
			g_unsetenv(EMU_CLIENT_UBOOT_SECURE_BOOT_ENV);
		bool on = !cases[i].on;
		assert_int_equal(emu_client_uboot_secure_boot_from_env(&on), cases[i].r);
		if (cases[i].r == 0)
			assert_int_equal(on, cases[i].on);
	}
	g_unsetenv(EMU_CLIENT_UBOOT_SECURE_BOOT_ENV);
}

/* ---- S8 on a running stack -------------------------------------------------------------- */

static struct emu_state s8_state;

static struct emu_client *open_as(enum emu_client_persona p)
{
	struct emu_client *c = NULL;
	assert_int_equal(emu_client_open_persona(s8_state.tee_sock, 20000, p, &c), 0);
	return c;
}

static uint32_t sessions_now(void)
{
	struct emu_ctrl_status st;
	assert_int_equal(emu_stack_ctrl_status(&s8_state, 20000, &st), 0);
	return st.sessions;
}

static void set_str(struct emu_client *c, const char *name, uint32_t attr, const char *value)
{
	size_t nsz;
	g_autofree uint8_t *n = u16(name, &nsz);
	efi_status_t s = emu_client_set_variable(c, n, nsz, &guid_a, attr, strlen(value),
						 (const uint8_t *)value);
	if (s != EFI_SUCCESS)
		fail_msg("set %s: 0x%" G_GINT64_MODIFIER "x (%s)", name, (guint64)s,
			 emu_client_last_error(c));
}

/* GetVariable as a string; the status. */
static efi_status_t get_str(struct emu_client *c, const char *name, char *out, size_t out_size)
{
	size_t nsz;
	g_autofree uint8_t *n = u16(name, &nsz);
	uint64_t size = out_size - 1;
	uint32_t attr = 0;
	efi_status_t s = emu_client_get_variable(c, n, nsz, &guid_a, &attr, &size, (uint8_t *)out);
	out[s == EFI_SUCCESS ? size : 0] = '\0';
	return s;
}

static void s8_stale_snapshot_after_exit_boot_services(void **state)
{
	(void)state;
	char v[64];

	/* boot time: the Linux client (standing in for the firmware) writes "old" */
	{
		g_autoptr(emu_client) b = open_as(EMU_CLIENT_PERSONA_LINUX);
		set_str(b, "S8Var", NV_BS_RT, "old");
		set_str(b, "S8BsOnly", NV_BS, "bs");
	}
	assert_int_equal(sessions_now(), 0);

	g_autoptr(emu_client) a = open_as(EMU_CLIENT_PERSONA_UBOOT);
	assert_int_equal(emu_client_persona(a), EMU_CLIENT_PERSONA_UBOOT);
	assert_int_equal(get_str(a, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "old");
	/* U-Boot closed its session after the call: none open while A lives */
	assert_int_equal(sessions_now(), 0);
	/* the boot-time API refuses EFI_VARIABLE_READ_ONLY in Attributes */
	{
		size_t nsz;
		g_autofree uint8_t *n = u16("S8Ro", &nsz);
		assert_int_equal(emu_client_set_variable(a, n, nsz, &guid_a,
							 NV_BS_RT | UBOOT_EFI_VARIABLE_READ_ONLY, 1,
							 (const uint8_t *)"x"),
				 EFI_INVALID_PARAMETER);
	}

	/* ExitBootServices: EXIT_BOOT_SERVICE, then the snapshot */
	assert_false(emu_client_at_runtime(a));
	assert_int_equal(emu_client_exit_boot_services(a), EFI_SUCCESS);
	assert_true(emu_client_at_runtime(a));
	assert_true(emu_client_runtime_variables(a) >= 1);
	assert_int_equal(sessions_now(), 0);

	/* the OS's client B writes at runtime */
	g_autoptr(emu_client) b = open_as(EMU_CLIENT_PERSONA_LINUX);
	set_str(b, "S8Var", NV_BS_RT, "new");
	set_str(b, "S8Later", NV_BS_RT, "later");
	assert_int_equal(get_str(b, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "new");

	/* A serves its snapshot: the old value, nothing written since, no BS-only variable */
	assert_int_equal(get_str(a, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "old");
	assert_int_equal(get_str(a, "S8Later", v, sizeof(v)), EFI_NOT_FOUND);
	assert_int_equal(get_str(a, "S8BsOnly", v, sizeof(v)), EFI_NOT_FOUND);

	/* A at runtime cannot write or query */
	{
		size_t nsz;
		g_autofree uint8_t *n = u16("S8Var", &nsz);
		assert_int_equal(emu_client_set_variable(a, n, nsz, &guid_a, NV_BS_RT, 3,
							 (const uint8_t *)"bad"),
				 EFI_UNSUPPORTED);
		uint64_t m, r, mv;
		assert_int_equal(emu_client_query_variable_info(a, NV_BS_RT, &m, &r, &mv),
				 EFI_UNSUPPORTED);
		assert_int_equal(emu_client_exit_boot_services(a), EFI_UNSUPPORTED);
	}
	/* A's GetNextVariableName walk is the snapshot: S8Var in it, S8Later not */
	{
		uint8_t name[1024] = { 0 };
		efi_guid_t g = { 0 };
		bool seen_var = false, seen_later = false;
		size_t n = 0;
		for (;;) {
			uint64_t size = sizeof(name);
			efi_status_t s = emu_client_get_next_variable_name(a, &size, name, &g);
			if (s == EFI_NOT_FOUND)
				break;
			assert_int_equal(s, EFI_SUCCESS);
			n++;
			seen_var |= name_is(name, "S8Var");
			seen_later |= name_is(name, "S8Later");
		}
		assert_true(seen_var);
		assert_false(seen_later);
		assert_int_equal(n, emu_client_runtime_variables(a));
	}
	/* the store really holds the new value */
	assert_int_equal(get_str(b, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "new");

	/* a platform reset: a fresh U-Boot sees the new value */
	g_autoptr(GString) err = g_string_new("");
	int r = emu_platform_reset(&s8_state, 20000, err);
	if (r < 0)
		fail_msg("reset: %s", err->str);
	g_autoptr(emu_client) c = open_as(EMU_CLIENT_PERSONA_UBOOT);
	assert_int_equal(get_str(c, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "new");
	assert_int_equal(get_str(c, "S8Later", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "later");
	/* and can still write at boot time */
	set_str(c, "S8Var", NV_BS_RT, "boot");
	assert_int_equal(get_str(c, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "boot");
	/* A (an older boot's runtime) still answers from its snapshot */
	assert_int_equal(get_str(a, "S8Var", v, sizeof(v)), EFI_SUCCESS);
	assert_string_equal(v, "old");
	/* B keeps its session across the calls; the U-Boot clients none */
	assert_int_equal(sessions_now(), 1);
}

int main(void)
{
	const char *dir = getenv("STMM_EMU_PERSONA_STATE");
	if (dir && *dir) {
		emu_state_init(&s8_state, dir);
		const struct CMUnitTest s8[] = {
			cmocka_unit_test(s8_stale_snapshot_after_exit_boot_services),
		};
		int r = cmocka_run_group_tests_name("persona S8", s8, NULL, NULL);
		emu_state_clear(&s8_state);
		return r;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(var_collect_keeps_runtime_variables_only),
		cmocka_unit_test(var_get_mem_sizes_and_parameters),
		cmocka_unit_test(var_get_next_mem_walks_the_snapshot),
		cmocka_unit_test(var_collect_fails_when_full_or_on_error),
		cmocka_unit_test(persona_from_name_known_and_unknown),
		cmocka_unit_test(uboot_secure_boot_from_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
