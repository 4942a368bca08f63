/* SPDX-License-Identifier: MIT */
/* stmm-emu var list|get|set|delete|info: the UEFI variable services as a command line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "efi_util.h"
#include "esl_owner.h"
#include "mmvar.h"

#define GUID_HELP "vendor GUID, or an alias: global (8be4df61-...), security (d719b2cb-...); " \
	"default: security for db, dbx, dbt, dbr, else global"
#define DEFAULT_ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | \
		       EFI_VARIABLE_RUNTIME_ACCESS)
#define ATTRS_HELP "comma list of nv,bs,rt,hr,aw,at,append,ea or a number"

struct common_args {
	char *state;
	int timeout_ms;
	char *persona_s;
	enum emu_client_persona persona;
};

/* Parse `entries`, then --state and --timeout into `c`; prints errors. */
static bool parse_opts(const char *usage, const GOptionEntry *entries, struct common_args *c,
		       int *argc, char ***argv)
{
	GOptionEntry common[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &c->state, EMU_STATE_HELP, "DIR" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &c->timeout_ms,
		  "per request (default $STMM_EMU_TIMEOUT_MS or 30000)", "MS" },
		{ "persona", 'p', 0, G_OPTION_ARG_STRING, &c->persona_s,
		  "client to behave as: linux (tee_stmm_efi, default) or uboot (efi_variable_tee.c: "
		  "a TEE session per call, PROPERTY_GET around get/set, its secure-boot state written at "
		  "init; $STMM_EMU_UBOOT_SECURE_BOOT=y for CONFIG_EFI_SECURE_BOOT; README: Client personas)",
		  "linux|uboot" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(usage);

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, common, NULL);
	g_option_context_set_description(ctx, EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, argc, argv))
		return false;
	c->persona = EMU_CLIENT_PERSONA_LINUX;
	if (c->persona_s && emu_client_persona_from_name(c->persona_s, &c->persona) < 0) {
		emu_cli_err("--persona %s: not linux or uboot", c->persona_s);
		g_clear_pointer(&c->persona_s, g_free);
		g_clear_pointer(&c->state, g_free);
		return false;
	}
	return true;
}

/* emu_cli_open_client() with the --persona chosen. */
static int open_client(const struct common_args *c, const char *what, struct emu_client **ret)
{
	return emu_cli_open_client_persona(c->state, c->timeout_ms, c->persona, what, ret);
}

/* open_client(), then the variable payload budget (GET_PAYLOAD_SIZE - 2). */
static int open_client_budget(const struct common_args *c, const char *what,
			      struct emu_client **ret, uint64_t *ret_max)
{
	int rc = open_client(c, what, ret);
	if (rc)
		return rc;
	efi_status_t s = emu_client_get_payload_size(*ret, ret_max);
	return s == EFI_SUCCESS ? EMU_EXIT_OK : emu_cli_efi_err(*ret, what, s);
}

/*
 * The one NAME argument and its vendor GUID: --guid `guid_s`, or without it the image-security
 * GUID for db, dbx, dbt, dbr and the global one for all else.
 */
static int name_guid_args(int argc, char **argv, const char *cmd, const char *guid_s,
			  uint8_t **ret_name, size_t *ret_size, efi_guid_t *ret_guid)
{
	static const char *const security_names[] = { "db", "dbx", "dbt", "dbr" };
	g_autofree uint8_t *name = NULL;
	size_t size;

	if (argc != 2) {
		emu_cli_err("var %s: expected exactly one variable NAME (see --help)", cmd);
		return EMU_EXIT_USAGE;
	}
	/* GUID-NAME as `var list` prints it, or NAME-GUID as efivarfs names its files, when
	 * no --guid is given. */
	size_t len = strlen(argv[1]);
	efi_guid_t split;
	char head[EFI_GUID_STRING_SIZE];
	if (!guid_s && len > EFI_GUID_STRING_SIZE) {
		g_strlcpy(head, argv[1], sizeof(head));
		if (argv[1][EFI_GUID_STRING_SIZE - 1] == '-' && efi_guid_parse(head, &split) == 0) {
			guid_s = head;
			argv[1] += EFI_GUID_STRING_SIZE;
		} else if (argv[1][len - EFI_GUID_STRING_SIZE] == '-' &&
			   efi_guid_parse(argv[1] + len - EFI_GUID_STRING_SIZE + 1, &split) == 0) {
			argv[1][len - EFI_GUID_STRING_SIZE] = '\0';
			guid_s = argv[1] + len - EFI_GUID_STRING_SIZE + 1;
		}
	}
	if (!*argv[1] || ucs2_from_utf8(argv[1], &name, &size) < 0) {
		g_autofree char *shown = emu_cli_shorten(argv[1]);
		emu_cli_err("var %s: %s: not a valid variable name (UTF-8, BMP only, not empty)", cmd,
			    shown);
		return EMU_EXIT_USAGE;
	}
	if (!guid_s)
		for (size_t i = 0; i < G_N_ELEMENTS(security_names); i++)
			if (strcmp(argv[1], security_names[i]) == 0)
				guid_s = "security";
	if (emu_guid_arg(guid_s, ret_guid) < 0) {
		emu_cli_err("var %s: --guid %s: not a GUID or alias (global, security)", cmd, guid_s);
		return EMU_EXIT_USAGE;
	}
	*ret_name = g_steal_pointer(&name);
	*ret_size = size;
	return EMU_EXIT_OK;
}

/*
 * Which of edk2's SetVariable rules most likely answered EFI_INVALID_PARAMETER (issue 15):
 * checked in edk2's order with what the caller can see (attributes; the variable as it
 * exists; QueryVariableInfo's MaximumVariableSize).  NULL when none fits.
 */
static char *invalid_parameter_hint(struct emu_client *cl, const uint8_t *name, size_t name_size,
				    const efi_guid_t *guid, uint32_t attrs, uint64_t size)
{
	const uint32_t BS = EFI_VARIABLE_BOOTSERVICE_ACCESS, RT = EFI_VARIABLE_RUNTIME_ACCESS,
		       NV = EFI_VARIABLE_NON_VOLATILE, HR = EFI_VARIABLE_HARDWARE_ERROR_RECORD,
		       APPEND = EFI_VARIABLE_APPEND_WRITE;

	if ((attrs & RT) && !(attrs & BS))
		return g_strdup("RUNTIME_ACCESS without BOOTSERVICE_ACCESS (rt needs bs)");
	if ((attrs & HR) && !(attrs & NV))
		return g_strdup("HARDWARE_ERROR_RECORD without NON_VOLATILE");
	uint32_t cur = 0;
	uint64_t cur_size = 0;
	efi_status_t g = emu_client_get_variable(cl, name, name_size, guid, &cur, &cur_size, NULL);
	if ((g == EFI_BUFFER_TOO_SMALL || g == EFI_SUCCESS) && size && (attrs & ~APPEND) &&
	    (cur & ~APPEND) != (attrs & ~APPEND)) {
		g_autofree char *had = emu_attrs_format(cur);
		g_autofree char *want = emu_attrs_format(attrs & ~APPEND);
		return g_strdup_printf("the variable exists with attributes %s, not %s: edk2 refuses "
				       "changed attributes (delete it first)", had, want);
	}
	uint64_t mv = 0;
	uint32_t q = attrs & ~(APPEND | EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS);
	if ((q & BS) &&
	    emu_client_query_variable_info(cl, q, NULL, NULL, &mv) == EFI_SUCCESS && mv &&
	    size + name_size > mv)
		return g_strdup_printf("name + data are %" PRIu64 " bytes, above the maximum variable "
				       "size %" PRIu64 " (QueryVariableInfo)", size + name_size, mv);
	return NULL;
}

/* SetVariable on the stack (through `cl`, else a client opened here); `what` ("var set Foo")
 * heads any error. */
static int set_variable(const struct common_args *c, struct emu_client *opened, const char *what,
			const uint8_t *name, size_t name_size, const efi_guid_t *guid,
			uint32_t attrs, uint64_t size, const void *data)
{
	g_autoptr(emu_client) own = NULL;
	struct emu_client *cl = opened;
	if (!cl) {
		int rc = open_client(c, what, &own);
		if (rc)
			return rc;
		cl = own;
	}
	efi_status_t s = emu_client_set_variable(cl, name, name_size, guid, attrs, size, data);
	if (s != EFI_SUCCESS) {
		int rc = emu_cli_efi_err(cl, what, s);
		/* Only for StMM's own answer, not a refusal of the client before sending. */
		g_autofree char *hint = s == EFI_INVALID_PARAMETER && !*emu_client_last_error(cl) ?
			invalid_parameter_hint(cl, name, name_size, guid, attrs, size) : NULL;
		if (hint)
			emu_cli_err("%s: hint: %s", what, hint);
		return rc;
	}
	return EMU_EXIT_OK;
}

/* ---- list --------------------------------------------------------------------------- */

static int var_list(int argc, char **argv)
{
	struct common_args c = { 0 };
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array of {name, guid}", NULL },
		G_OPTION_ENTRY_NULL
	};
	if (!parse_opts("- list every variable (GetNextVariableName walk), one GUID-Name a line: "
			"in names \\n, \\t, \\\\ and other control bytes (\\xNN) are escaped", entries, &c, &argc,
			&argv))
		return EMU_EXIT_USAGE;
	g_autofree char *state_owned = c.state;
	g_autofree char *persona_owned = c.persona_s;
	if (argc != 1) {
		g_autofree char *shown = emu_cli_shorten(argv[1]);
		emu_cli_err("var list: unexpected argument %s", shown);
		return EMU_EXIT_USAGE;
	}
	g_autoptr(emu_client) cl = NULL;
	int rc = open_client(&c, "var list", &cl);
	if (rc)
		return rc;

	/* The walk as Linux efivarfs does it: a 1024-byte name buffer, from L"". */
	uint64_t buf_size = MMVAR_LINUX_NAME_BUF_SIZE;
	g_autofree uint8_t *name = g_malloc0(buf_size);
	efi_guid_t guid = { { 0 } };
	g_autoptr(GString) out = g_string_new("");
	g_autoptr(JsonBuilder) jb = json_builder_new();
	unsigned n = 0;

	json_builder_begin_array(jb);

	for (;;) {
		uint64_t size = buf_size;
		efi_status_t s = emu_client_get_next_variable_name(cl, &size, name, &guid);
		if (s == EFI_NOT_FOUND)
			break;
		if (s == EFI_BUFFER_TOO_SMALL && size > buf_size && size < (1u << 20)) {
			name = g_realloc(name, size);
			memset(name + buf_size, 0, size - buf_size);
			buf_size = size;
			continue;
		}
		if (s != EFI_SUCCESS)
			return emu_cli_efi_err(cl, "var list", s);
		g_autofree char *utf8 = NULL;
		if (ucs2_to_utf8(name, size, &utf8) < 0)
			utf8 = g_strdup("?");
		char gbuf[EFI_GUID_STRING_SIZE];
		efi_guid_format(&guid, gbuf);
		if (json) {
			json_builder_begin_object(jb);
			emu_json_add_string(jb, "name", utf8);
			emu_json_add_string(jb, "guid", gbuf);
			json_builder_end_object(jb);
		} else {
			/* efivar -l style: GUID-Name, one line each (the name escaped) */
			g_autofree char *esc = emu_text_escape(utf8);
			g_string_append_printf(out, "%s-%s\n", gbuf, esc);
		}
		if (++n > 100000) {
			emu_cli_err("var list: more than 100000 names; the walk does not end");
			return EMU_EXIT_EFI;
		}
	}
	json_builder_end_array(jb);
	if (json)
		emu_json_print(jb, true);
	else
		fputs(out->str, stdout);
	return EMU_EXIT_OK;
}

/* ---- get ---------------------------------------------------------------------------- */

static int var_get(int argc, char **argv)
{
	struct common_args c = { 0 };
	g_autofree char *guid_s = NULL;
	gboolean raw = FALSE, json = FALSE, as_string = FALSE, as_ucs2 = FALSE;
	GOptionEntry entries[] = {
		{ "guid", 'g', 0, G_OPTION_ARG_STRING, &guid_s, GUID_HELP, "GUID" },
		{ "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "write only the data bytes to stdout", NULL },
		{ "string", 0, 0, G_OPTION_ARG_NONE, &as_string,
		  "write the data as UTF-8 text and a newline (what `set --string` stored)", NULL },
		{ "ucs2", 0, 0, G_OPTION_ARG_NONE, &as_ucs2,
		  "decode the data as UCS-2LE (up to its NUL; what `set --ucs2` stored) to UTF-8 text", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "one JSON object: name, guid, attributes, size, data (hex)", NULL },
		G_OPTION_ENTRY_NULL
	};
	if (!parse_opts("NAME - read a variable (GetVariable)", entries, &c, &argc, &argv))
		return EMU_EXIT_USAGE;
	g_autofree char *state_owned = c.state;
	g_autofree char *persona_owned = c.persona_s;
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	efi_guid_t guid;
	int rc = name_guid_args(argc, argv, "get", guid_s, &name, &name_size, &guid);
	if (!rc && raw + json + as_string + as_ucs2 > 1) {
		emu_cli_err("var get: --raw, --json, --string and --ucs2 exclude each other");
		rc = EMU_EXIT_USAGE;
	}
	if (rc)
		return rc;
	g_autofree char *shown = emu_cli_shorten(argv[1]);
	g_autofree char *what = g_strdup_printf("var get %s", shown);
	g_autoptr(emu_client) cl = NULL;
	uint64_t max;
	rc = open_client_budget(&c, what, &cl, &max);
	if (rc)
		return rc;
	/* Ask for everything the budget allows; the client trims it as Linux does. */
	uint64_t size = max;
	g_autofree uint8_t *data = g_malloc0(max);
	uint32_t attrs = 0;
	efi_status_t s = emu_client_get_variable(cl, name, name_size, &guid, &attrs, &size, data);
	if (s != EFI_SUCCESS)
		return emu_cli_efi_err(cl, what, s);

	char gbuf[EFI_GUID_STRING_SIZE];
	efi_guid_format(&guid, gbuf);
	g_autofree char *attr_s = emu_attrs_format(attrs);
	g_autoptr(GString) out = g_string_new("");
	if (raw) {
		if (size && fwrite(data, 1, size, stdout) != size)
			return EMU_EXIT_EFI;
		return EMU_EXIT_OK;
	} else if (as_string || as_ucs2) {
		g_autofree char *text = NULL;
		if (as_ucs2 ? (size % 2 || ucs2_to_utf8(data, size, &text) < 0)
			    : !g_utf8_validate((const char *)data, (gssize)size, NULL) ||
				      memchr(data, 0, size)) {
			emu_cli_err("%s: its %" PRIu64 " bytes are not %s (see them with --raw or the "
				    "hex dump)", what, size, as_ucs2 ? "UCS-2LE text" : "UTF-8 text");
			return EMU_EXIT_USAGE;
		}
		if (!text)
			text = g_strndup((const char *)data, size);
		printf("%s\n", text);
		return EMU_EXIT_OK;
	} else if (json) {
		g_autoptr(JsonBuilder) jb = json_builder_new();
		json_builder_begin_object(jb);
		emu_json_add_string(jb, "name", argv[1]);
		emu_json_add_string(jb, "guid", gbuf);
		emu_json_add_int(jb, "attributes", attrs);
		emu_json_add_string(jb, "attrs", attr_s);
		emu_json_add_int(jb, "size", (gint64)size);
		emu_json_add_hex(jb, "data", data, size);
		json_builder_end_object(jb);
		emu_json_print(jb, false);
		return EMU_EXIT_OK;
	} else {
		g_string_append_printf(out, "name:       %s\nguid:       %s\n", argv[1], gbuf);
		g_string_append_printf(out, "attributes: 0x%08x (%s)\nsize:       %" PRIu64 "\n",
				       attrs, attr_s, size);
		emu_hexdump(out, data, size);
	}
	fputs(out->str, stdout);
	return EMU_EXIT_OK;
}

/* ---- set / delete ------------------------------------------------------------------- */

/*
 * FILE ('-': stdin) into *ret, at most `max` bytes: reading stops at max + 1, which is an
 * error naming the limit (issue 15, defect 12).  0, or -errno with the reason in `err`.
 */
static int read_data_file(const char *file, uint64_t max, GByteArray **ret, GString *err)
{
	bool is_stdin = strcmp(file, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(file, "rb");
	if (!f) {
		int e = errno;
		g_string_printf(err, "%s: %s", file, g_strerror(e));
		return -e;
	}
	g_autoptr(GByteArray) data = g_byte_array_new();
	uint8_t chunk[4096];
	size_t n;
	while (data->len <= max && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		g_byte_array_append(data, chunk, (guint)n);
	int r = ferror(f) ? -EIO : 0;
	if (!is_stdin)
		fclose(f);
	if (r < 0) {
		g_string_printf(err, "%s: read error", file);
		return r;
	}
	if (data->len > max) {
		g_autofree char *pl = emu_payload_text(max);
		g_string_printf(err, "%s: more than the max payload of this stack, %s", file, pl);
		return -E2BIG;
	}
	*ret = g_steal_pointer(&data);
	return 0;
}

static int var_set(int argc, char **argv)
{
	struct common_args c = { 0 };
	g_autofree char *guid_s = NULL, *attrs_s = NULL, *hex = NULL, *file = NULL, *str = NULL,
		       *ucs2 = NULL;
	GOptionEntry entries[] = {
		{ "guid", 'g', 0, G_OPTION_ARG_STRING, &guid_s, GUID_HELP, "GUID" },
		{ "attrs", 'a', 0, G_OPTION_ARG_STRING, &attrs_s, ATTRS_HELP " (default nv,bs,rt)",
		  "LIST" },
		{ "data", 'd', 0, G_OPTION_ARG_STRING, &hex, "the data as hex digits (spaces and ':' ignored)",
		  "HEX" },
		{ "data-file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "the data from a file ('-' = stdin)",
		  "FILE" },
		/* FILENAME: the argument's bytes as given, never converted from the locale's
		 * charset (GLib would refuse non-ASCII text under the C locale). */
		{ "string", 0, 0, G_OPTION_ARG_FILENAME, &str,
		  "the data is S's UTF-8 bytes exactly as given: no terminating NUL, no UCS-2", "S" },
		{ "ucs2", 0, 0, G_OPTION_ARG_FILENAME, &ucs2,
		  "the data is S as UCS-2LE with its terminating NUL (as UEFI strings are kept)", "S" },
		G_OPTION_ENTRY_NULL
	};
	if (!parse_opts("NAME - write a variable (SetVariable)", entries, &c, &argc, &argv))
		return EMU_EXIT_USAGE;
	g_autofree char *state_owned = c.state;
	g_autofree char *persona_owned = c.persona_s;
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	efi_guid_t guid;
	uint32_t attrs = DEFAULT_ATTRS;
	int rc = name_guid_args(argc, argv, "set", guid_s, &name, &name_size, &guid);
	if (rc)
		return rc;
	if (attrs_s && emu_attrs_parse(attrs_s, &attrs) < 0) {
		emu_cli_err("var set: --attrs %s: expected " ATTRS_HELP, attrs_s);
		return EMU_EXIT_USAGE;
	}
	if (!!hex + !!file + !!str + !!ucs2 != 1) {
		emu_cli_err("var set: give exactly one of --data, --data-file, --string, --ucs2");
		return EMU_EXIT_USAGE;
	}
	g_autoptr(GByteArray) data = NULL;
	g_autoptr(emu_client) cl = NULL;
	g_autofree char *shown = emu_cli_shorten(argv[1]);
	g_autofree char *what = g_strdup_printf("var set %s", shown);
	if (hex) {
		if (emu_hex_arg("var set: --data", hex, &data) < 0)
			return EMU_EXIT_USAGE;
	} else if (file) {
		/* Bounded by what the stack accepts: stdin or /dev/zero never end. */
		uint64_t max;
		rc = open_client_budget(&c, what, &cl, &max);
		if (rc)
			return rc;
		g_autoptr(GString) err = g_string_new("");
		if (read_data_file(file, max, &data, err) < 0) {
			emu_cli_err("var set: --data-file %s", err->str);
			return EMU_EXIT_USAGE;
		}
	} else if (str) {
		if (!g_utf8_validate(str, -1, NULL)) {
			emu_cli_err("var set: --string: not valid UTF-8 (give other bytes with --data)");
			return EMU_EXIT_USAGE;
		}
		data = g_byte_array_new();
		g_byte_array_append(data, (const uint8_t *)str, (guint)strlen(str));
	} else {
		g_autofree uint8_t *u = NULL;
		size_t usize;
		if (ucs2_from_utf8(ucs2, &u, &usize) < 0) {
			emu_cli_err("var set: --ucs2: not valid UTF-8 inside the BMP");
			return EMU_EXIT_USAGE;
		}
		data = g_byte_array_new();
		g_byte_array_append(data, u, (guint)usize);
	}

	unsigned zeros = (attrs & EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS) ?
				 esl_zero_owners(data->data, data->len) : 0;
	if (zeros)
		emu_cli_err("%s: warning: %u signature%s with an all-zero owner GUID (made by "
			    "cert-to-efi-sig-list -g \"\"? give it a GUID)", what, zeros,
			    zeros == 1 ? "" : "s");
	return set_variable(&c, cl, what, name, name_size, &guid, attrs, data->len,
			    data->len ? data->data : NULL);
}

static int var_delete(int argc, char **argv)
{
	struct common_args c = { 0 };
	g_autofree char *guid_s = NULL;
	GOptionEntry entries[] = {
		{ "guid", 'g', 0, G_OPTION_ARG_STRING, &guid_s, GUID_HELP, "GUID" },
		G_OPTION_ENTRY_NULL
	};
	if (!parse_opts("NAME - delete a variable (SetVariable with attributes 0 and no data)",
			entries, &c, &argc, &argv))
		return EMU_EXIT_USAGE;
	g_autofree char *state_owned = c.state;
	g_autofree char *persona_owned = c.persona_s;
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	efi_guid_t guid;
	int rc = name_guid_args(argc, argv, "delete", guid_s, &name, &name_size, &guid);
	if (rc)
		return rc;
	g_autofree char *shown = emu_cli_shorten(argv[1]);
	g_autofree char *what = g_strdup_printf("var delete %s", shown);
	return set_variable(&c, NULL, what, name, name_size, &guid, 0, 0, NULL);
}

/* ---- info --------------------------------------------------------------------------- */

static int var_info(int argc, char **argv)
{
	struct common_args c = { 0 };
	g_autofree char *attrs_s = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "attrs", 'a', 0, G_OPTION_ARG_STRING, &attrs_s, ATTRS_HELP " (default nv,bs,rt)",
		  "LIST" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL },
		G_OPTION_ENTRY_NULL
	};
	if (!parse_opts("- storage figures (QueryVariableInfo) and the payload size", entries, &c,
			&argc, &argv))
		return EMU_EXIT_USAGE;
	g_autofree char *state_owned = c.state;
	g_autofree char *persona_owned = c.persona_s;
	uint32_t attrs = DEFAULT_ATTRS;
	if (argc != 1) {
		g_autofree char *shown = emu_cli_shorten(argv[1]);
		emu_cli_err("var info: unexpected argument %s", shown);
		return EMU_EXIT_USAGE;
	}
	if (attrs_s && emu_attrs_parse(attrs_s, &attrs) < 0) {
		emu_cli_err("var info: --attrs %s: expected " ATTRS_HELP, attrs_s);
		return EMU_EXIT_USAGE;
	}
	g_autoptr(emu_client) cl = NULL;
	int rc = open_client(&c, "var info", &cl);
	if (rc)
		return rc;
	uint64_t max_payload, max, remaining, max_var;
	efi_status_t s = emu_client_get_payload_size(cl, &max_payload);
	if (s == EFI_SUCCESS)
		s = emu_client_query_variable_info(cl, attrs, &max, &remaining, &max_var);
	if (s != EFI_SUCCESS)
		return emu_cli_efi_err(cl, "var info", s);
	g_autofree char *attr_s = emu_attrs_format(attrs);
	if (json) {
		g_autoptr(JsonBuilder) jb = json_builder_new();
		json_builder_begin_object(jb);
		emu_json_add_int(jb, "attributes", attrs);
		emu_json_add_string(jb, "attrs", attr_s);
		emu_json_add_int(jb, "max_storage", (gint64)max);
		emu_json_add_int(jb, "remaining_storage", (gint64)remaining);
		emu_json_add_int(jb, "max_variable_size", (gint64)max_var);
		emu_json_add_int(jb, "max_payload", (gint64)max_payload);
		json_builder_end_object(jb);
		emu_json_print(jb, false);
	} else {
		g_autofree char *pl = emu_payload_text(max_payload);
		printf("attributes:        0x%08x (%s)\n"
		       "max storage:       %" PRIu64 "\n"
		       "remaining storage: %" PRIu64 "\n"
		       "max variable size: %" PRIu64 "\n"
		       "max payload:       %s\n",
		       attrs, attr_s, max, remaining, max_var, pl);
	}
	return EMU_EXIT_OK;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} var_cmds[] = {
	{ "list", var_list, "list every variable (GUID-Name per line)" },
	{ "get", var_get, "read a variable: attributes and a hex dump" },
	{ "set", var_set, "write a variable" },
	{ "delete", var_delete, "delete a variable" },
	{ "info", var_info, "QueryVariableInfo and the payload size" },
};

static void var_usage(FILE *f)
{
	fprintf(f, "Usage: stmm-emu var COMMAND [OPTIONS] [NAME]\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(var_cmds); i++)
		fprintf(f, "  %-8s %s\n", var_cmds[i].name, var_cmds[i].help);
	fprintf(f, "\n`stmm-emu var COMMAND --help` for its options.\n\n%s\n", EMU_EXIT_CODES_HELP);
}

int emu_cmd_var(int argc, char **argv)
{
	if (argc < 2) {
		var_usage(stderr);
		return EMU_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		var_usage(stdout);
		return EMU_EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(var_cmds); i++)
		if (strcmp(argv[1], var_cmds[i].name) == 0) {
			g_autofree char *prog = g_strdup_printf("stmm-emu var %s", argv[1]);
			g_set_prgname(prog);
			return var_cmds[i].fn(argc - 1, argv + 1);
		}
	g_autofree char *shown = emu_cli_shorten(argv[1]);
	emu_cli_err("var: unknown command %s", shown);
	var_usage(stderr);
	return EMU_EXIT_USAGE;
}
