/* SPDX-License-Identifier: MIT */
#include "cli.h"
#include "emu_ipc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "efi_util.h"
#include "mm.h"

/* --json error reporting (emu_cli_json_errors_begin/_end): the messages, and whether the
 * command printed a JSON document itself. */
static GPtrArray *json_errors;
static bool json_printed;

void emu_cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("stmm-emu: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (json_errors) {
		va_start(ap, fmt);
		g_ptr_array_add(json_errors, g_strdup_vprintf(fmt, ap));
		va_end(ap);
	}
}

void emu_cli_json_printed(void)
{
	json_printed = true;
}

void emu_cli_json_errors_begin(void)
{
	if (!json_errors)
		json_errors = g_ptr_array_new_with_free_func(g_free);
}

int emu_cli_json_errors_end(int rc)
{
	if (!json_errors)
		return rc;
	if (rc != EMU_EXIT_OK && !json_printed) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		emu_json_add_string(b, "error", json_errors->len ? (const char *)json_errors->pdata[0]
								 : "failed (see stderr)");
		json_builder_set_member_name(b, "messages");
		json_builder_begin_array(b);
		for (guint i = 0; i < json_errors->len; i++)
			emu_json_add_string(b, NULL, json_errors->pdata[i]);
		json_builder_end_array(b);
		emu_json_add_int(b, "exit", rc);
		json_builder_end_object(b);
		emu_json_print(b, false);
	}
	g_clear_pointer(&json_errors, g_ptr_array_unref);
	return rc;
}

char *emu_payload_text(uint64_t max_payload)
{
	/* Linux tee_stmm_efi (drivers/firmware/efi/stmm/tee_stmm_efi.c) budgets its buffers
	 * with the GET_PAYLOAD_SIZE answer minus 2 (include/mm.h MM_CLIENT_PAYLOAD_QUIRK). */
	return g_strdup_printf("%" PRIu64 " bytes (GET_PAYLOAD_SIZE %" PRIu64 " - %u)", max_payload,
			       max_payload + MM_CLIENT_PAYLOAD_QUIRK, MM_CLIENT_PAYLOAD_QUIRK);
}

char *emu_cli_shorten(const char *s)
{
	if (!s)
		return g_strdup("(null)");
	if (!g_utf8_validate(s, -1, NULL)) {
		/* Bytes: cut at 64 of them. */
		return strlen(s) <= EMU_CLI_ECHO_MAX ? g_strdup(s)
						     : g_strdup_printf("%.*s…", EMU_CLI_ECHO_MAX, s);
	}
	if (g_utf8_strlen(s, -1) <= EMU_CLI_ECHO_MAX)
		return g_strdup(s);
	const char *end = g_utf8_offset_to_pointer(s, EMU_CLI_ECHO_MAX);
	return g_strdup_printf("%.*s…", (int)(end - s), s);
}

/*
 * The options every command shares, checked once for all of them before the command's own
 * parse (issue 15, defect 18): --timeout/-t must be a positive number of milliseconds and
 * --state/-s a non-empty path.  A probe parse of a copy of argv that knows only these two
 * and ignores the rest; an argument that does not parse here is left to the real parse.
 */
static bool common_options_ok(GOptionContext *real, int argc, char **argv)
{
	gint timeout = G_MININT;
	g_autofree char *state = NULL;
	GOptionEntry probe[] = {
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, NULL, NULL },
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, NULL, NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	/* A copy of the array (GOption removes what it parsed); the strings stay the caller's. */
	g_autofree char **copy = g_memdup2(argv, sizeof(char *) * ((size_t)argc + 1));
	char **v = copy;
	int n = argc;

	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_set_ignore_unknown_options(ctx, TRUE);
	/* `run CMD ARGS` stops at CMD: the probe must not read CMD's own -t or -s. */
	g_option_context_set_strict_posix(ctx, g_option_context_get_strict_posix(real));
	g_option_context_add_main_entries(ctx, probe, NULL);
	if (!g_option_context_parse(ctx, &n, &v, NULL))
		return true;
	if (timeout != G_MININT && timeout <= 0) {
		emu_cli_err("--timeout %d: a positive number of milliseconds", timeout);
		return false;
	}
	if (state && !*state) {
		emu_cli_err("--state: an empty directory name (leave the option out for "
			    "$STMM_EMU_STATE, else ./.stmm-emu)");
		return false;
	}
	return true;
}

bool emu_cli_parse(GOptionContext *ctx, int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;

	if (!common_options_ok(ctx, *argc, *argv))
		return false;
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		emu_cli_err("%s (see --help)", error->message);
		return false;
	}
	return true;
}

int emu_cli_timeout_ms(int opt_timeout_ms)
{
	if (opt_timeout_ms > 0)
		return opt_timeout_ms;
	const char *env = getenv("STMM_EMU_TIMEOUT_MS");
	if (env && *env) {
		gint64 v = g_ascii_strtoll(env, NULL, 10);
		if (v > 0 && v < INT32_MAX)
			return (int)v;
	}
	return 30000;
}

int emu_cli_open_client(const char *opt_state, int opt_timeout_ms, const char *what,
			struct emu_client **ret)
{
	return emu_cli_open_client_persona(opt_state, opt_timeout_ms, EMU_CLIENT_PERSONA_LINUX,
					   what, ret);
}

int emu_cli_open_client_persona(const char *opt_state, int opt_timeout_ms, int persona,
				const char *what, struct emu_client **ret)
{
	struct emu_state st;
	enum emu_client_transport transport;
	if (emu_client_transport_from_env(&transport) < 0) {
		emu_cli_err("%s: $%s=%s: not optee or ffa", what, EMU_CLIENT_TRANSPORT_ENV,
			    g_getenv(EMU_CLIENT_TRANSPORT_ENV));
		return EMU_EXIT_USAGE;
	}
	bool uboot_secure_boot;
	if (emu_client_uboot_secure_boot_from_env(&uboot_secure_boot) < 0) {
		emu_cli_err("%s: $%s=%s: not y, n, 1 or 0", what, EMU_CLIENT_UBOOT_SECURE_BOOT_ENV,
			    g_getenv(EMU_CLIENT_UBOOT_SECURE_BOOT_ENV));
		return EMU_EXIT_USAGE;
	}
	emu_state_init(&st, opt_state);
	int r = emu_client_open_persona(st.tee_sock, emu_cli_timeout_ms(opt_timeout_ms),
					(enum emu_client_persona)persona, ret);
	if (r == -ENOENT || r == -ECONNREFUSED)
		emu_cli_err("%s: the stack is not up (nothing listens on %s); run `stmm-emu up`",
			    what, st.tee_sock);
	else if (r < 0 && transport == EMU_CLIENT_TRANSPORT_FFA)
		emu_cli_err("%s: %s: FF-A probe or MM SP discovery failed: %s", what, st.tee_sock,
			    g_strerror(-r));
	else if (r < 0)
		emu_cli_err("%s: %s: %s", what, st.tee_sock, g_strerror(-r));
	emu_state_clear(&st);
	return r < 0 ? EMU_EXIT_STACK : EMU_EXIT_OK;
}

int emu_cli_efi_err(const struct emu_client *c, const char *what, efi_status_t s)
{
	char buf[64];
	const char *detail = c ? emu_client_last_error(c) : "";

	if (*detail)
		emu_cli_err("%s: %s (%s)", what, efi_status_str(s, buf, sizeof(buf)), detail);
	else
		emu_cli_err("%s: %s", what, efi_status_str(s, buf, sizeof(buf)));
	return EMU_EXIT_EFI;
}

void emu_json_add_string(JsonBuilder *b, const char *key, const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);

	if (key)
		json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, valid);
}

void emu_json_add_hex(JsonBuilder *b, const char *key, const uint8_t *data, size_t size)
{
	g_autoptr(GString) hex = g_string_sized_new(size * 2 + 1);

	for (size_t i = 0; i < size; i++)
		g_string_append_printf(hex, "%02x", data[i]);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, hex->str);
}

void emu_json_add_int(JsonBuilder *b, const char *key, gint64 v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, v);
}

void emu_json_add_bool(JsonBuilder *b, const char *key, bool v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_boolean_value(b, v);
}

void emu_json_print(JsonBuilder *b, bool pretty)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autoptr(JsonGenerator) gen = json_generator_new();

	json_generator_set_pretty(gen, pretty);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	g_autofree char *text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	json_printed = true;
}

static const struct {
	const char *name;
	uint32_t bit;
} attr_names[] = {
	{ "nv", EFI_VARIABLE_NON_VOLATILE },
	{ "bs", EFI_VARIABLE_BOOTSERVICE_ACCESS },
	{ "rt", EFI_VARIABLE_RUNTIME_ACCESS },
	{ "hr", EFI_VARIABLE_HARDWARE_ERROR_RECORD },
	{ "aw", EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS },
	{ "at", EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS },
	{ "append", EFI_VARIABLE_APPEND_WRITE },
	{ "ea", EFI_VARIABLE_ENHANCED_AUTHENTICATED_ACCESS },
};

int emu_attrs_parse(const char *s, uint32_t *ret)
{
	uint32_t bits = 0;

	if (!s || !*s)
		return -EINVAL;
	if (g_ascii_isdigit(s[0])) {
		char *end;
		errno = 0;
		guint64 v = g_ascii_strtoull(s, &end, 0);
		if (errno || *end || v > UINT32_MAX)
			return -EINVAL;
		*ret = (uint32_t)v;
		return 0;
	}
	g_auto(GStrv) parts = g_strsplit_set(s, ",|+", -1);
	for (char **p = parts; *p; p++) {
		g_autofree char *w = g_ascii_strdown(g_strstrip(*p), -1);
		bool found = false;
		if (!*w)
			continue;
		for (size_t i = 0; i < G_N_ELEMENTS(attr_names); i++)
			if (strcmp(w, attr_names[i].name) == 0) {
				bits |= attr_names[i].bit;
				found = true;
			}
		if (!found)
			return -EINVAL;
	}
	*ret = bits;
	return 0;
}

char *emu_attrs_format(uint32_t attrs)
{
	GString *s = g_string_new("");
	uint32_t left = attrs;

	for (size_t i = 0; i < G_N_ELEMENTS(attr_names); i++)
		if (attrs & attr_names[i].bit) {
			g_string_append_printf(s, "%s%s", s->len ? "," : "", attr_names[i].name);
			left &= ~attr_names[i].bit;
		}
	if (left)
		g_string_append_printf(s, "%s0x%x", s->len ? "," : "", left);
	if (!s->len)
		g_string_append(s, "0");
	return g_string_free(s, FALSE);
}

int emu_guid_arg(const char *s, efi_guid_t *ret)
{
	static const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	static const efi_guid_t security = EFI_IMAGE_SECURITY_DATABASE_GUID;

	if (!s || g_ascii_strcasecmp(s, "global") == 0) {
		*ret = global;
		return 0;
	}
	if (g_ascii_strcasecmp(s, "security") == 0 || g_ascii_strcasecmp(s, "db") == 0) {
		*ret = security;
		return 0;
	}
	return efi_guid_parse(s, ret);
}

void emu_hexdump(GString *out, const uint8_t *data, size_t size)
{
	for (size_t off = 0; off < size; off += 16) {
		size_t n = size - off < 16 ? size - off : 16;
		g_string_append_printf(out, "%08zx ", off);
		for (size_t i = 0; i < 16; i++) {
			if (i == 8)
				g_string_append_c(out, ' ');
			if (i < n)
				g_string_append_printf(out, " %02x", data[off + i]);
			else
				g_string_append(out, "   ");
		}
		g_string_append(out, "  |");
		for (size_t i = 0; i < n; i++) {
			uint8_t c = data[off + i];
			g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char)c : '.');
		}
		g_string_append(out, "|\n");
	}
}

char *emu_format_time(int64_t us)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(us / G_USEC_PER_SEC);
	return t ? g_date_time_format(t, "%F %T") : g_strdup("?");
}

int emu_hex_arg(const char *what, const char *s, GByteArray **ret)
{
	size_t bad = 0;

	if (hex_decode_at(s, ret, &bad) == 0)
		return 0;
	if (!s[bad]) {
		emu_cli_err("%s: an odd number of hex digits (each byte is two)", what);
		return -EINVAL;
	}
	/* Position as the user counts: characters from 1 (bytes when not UTF-8). */
	size_t pos = g_utf8_validate(s, -1, NULL) ? (size_t)g_utf8_pointer_to_offset(s, s + bad) : bad;
	uint8_t c = (uint8_t)s[bad];
	if (c >= 0x20 && c < 0x7f)
		emu_cli_err("%s: not a hex digit at position %zu ('%c')", what, pos + 1, c);
	else
		emu_cli_err("%s: not a hex digit at position %zu (byte 0x%02x)", what, pos + 1, c);
	return -EINVAL;
}

char *emu_text_escape(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\n': g_string_append(out, "\\n"); break;
		case '\t': g_string_append(out, "\\t"); break;
		case '\\': g_string_append(out, "\\\\"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(out, "\\x%02x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	return g_string_free(out, FALSE);
}

const char *emu_status_profile(uint32_t flags)
{
	const uint32_t mask = EMU_CTRL_STATUS_VAR_CHECK_UEFI | EMU_CTRL_STATUS_POLICY_ENGINE |
			      EMU_CTRL_STATUS_PHYSICAL_PRESENCE | EMU_CTRL_STATUS_SELF_SIGNED_PK;

	if ((flags & mask) == (EMU_CTRL_STATUS_VAR_CHECK_UEFI | EMU_CTRL_STATUS_PHYSICAL_PRESENCE))
		return "optee-stmm";
	if ((flags & mask) == (EMU_CTRL_STATUS_VAR_CHECK_UEFI | EMU_CTRL_STATUS_POLICY_ENGINE |
			       EMU_CTRL_STATUS_SELF_SIGNED_PK))
		return "strict";
	return "custom";
}
