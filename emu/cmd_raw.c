/* SPDX-License-Identifier: MIT */
/* stmm-emu raw: any bytes as the MM buffer, any memref size; the answer as it came. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "efi_util.h"
#include "state.h"

int emu_cmd_raw(int argc, char **argv)
{
	g_autofree char *state = NULL, *hex = NULL, *file = NULL, *out_file = NULL;
	gint64 memref = -1;
	int timeout = 0;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state,
		  EMU_STATE_HELP, "DIR" },
		{ "hex", 'x', 0, G_OPTION_ARG_STRING, &hex, "the MM buffer as hex digits", "HEX" },
		{ "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "the MM buffer from a file", "FILE" },
		{ "memref-size", 'm', 0, G_OPTION_ARG_INT64, &memref,
		  "memref[0].size to send (default: the buffer's length)", "N" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_file,
		  "write the answer bytes (as many as the memref size that came back) to FILE", "FILE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object, answer as hex", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per request (default 30000)", "MS" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
		"- send raw bytes to PTA_STMM_CMD_COMMUNICATE");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Nothing is checked or fixed up: the bytes go into shared memory as they are,\n"
		     "memref[0] = {offset 0, size N} (MEMREF_INOUT), value[1] (OUTPUT).  Prints the\n"
		     "TEE result, its origin, value[1].a (the MM return code), the memref size that\n"
		     "came back and the shared buffer afterwards, up to that size (the TEE's answer).\n\n"
		     "Exit status: 0 the invoke went through (whatever the TEE answered); 2 usage;\n"
		     "3 the stack is not up or the tee socket failed.");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (!!hex + !!file != 1) {
		emu_cli_err("raw: give exactly one of --hex, --file");
		return EMU_EXIT_USAGE;
	}
	g_autoptr(GByteArray) buf = NULL;
	if (hex) {
		if (emu_hex_arg("raw: --hex", hex, &buf) < 0)
			return EMU_EXIT_USAGE;
	} else {
		g_autoptr(GError) error = NULL;
		g_autofree char *contents = NULL;
		gsize len;
		if (!g_file_get_contents(file, &contents, &len, &error)) {
			emu_cli_err("raw: %s", error->message);
			return EMU_EXIT_USAGE;
		}
		buf = g_byte_array_new();
		g_byte_array_append(buf, (const uint8_t *)contents, (guint)len);
	}
	if (memref < 0)
		memref = buf->len;
	if (memref > 64 * 1024 * 1024) {
		emu_cli_err("raw: --memref-size %" G_GINT64_FORMAT ": at most 64 MiB", memref);
		return EMU_EXIT_USAGE;
	}

	g_autoptr(emu_client) c = NULL;
	int r = emu_cli_open_client(state, timeout, "raw", &c);
	if (r)
		return r;
	struct emu_client_raw_result res;
	r = emu_client_raw(c, buf->data, buf->len, (uint64_t)memref, &res);
	if (r < 0) {
		emu_cli_err("raw: %s", emu_client_last_error(c));
		return EMU_EXIT_STACK;
	}
	/* Only what the TEE answered: the memref size as it came back (OP-TEE updates it;
	 * a refused 64 MiB memref comes back as 16 KiB), never more than was shared. */
	size_t shown = res.memref_size < res.answer_size ? (size_t)res.memref_size : res.answer_size;
	if (out_file) {
		g_autoptr(GError) error = NULL;
		if (!g_file_set_contents(out_file, (const char *)res.answer, (gssize)shown,
					 &error)) {
			emu_cli_err("raw: %s", error->message);
			emu_client_raw_result_clear(&res);
			return EMU_EXIT_USAGE;
		}
	}
	g_autoptr(GString) out = g_string_new("");
	if (json) {
		g_autoptr(JsonBuilder) jb = json_builder_new();
		json_builder_begin_object(jb);
		emu_json_add_int(jb, "tee_ret", res.tee_ret);
		emu_json_add_int(jb, "tee_origin", res.tee_origin);
		emu_json_add_int(jb, "mm_code", (gint64)res.mm_code);
		emu_json_add_int(jb, "memref_size", (gint64)res.memref_size);
		emu_json_add_int(jb, "shared_size", (gint64)res.answer_size);
		emu_json_add_hex(jb, "answer", res.answer, shown);
		json_builder_end_object(jb);
		emu_json_print(jb, false);
	} else {
		g_string_append_printf(out, "tee ret:     0x%08x\ntee origin:  %u\nmm code:     %" PRId64
				       " (value[1].a = 0x%" PRIx64 ")\nmemref size: %" PRIu64 "\n",
				       res.tee_ret, res.tee_origin, (int64_t)res.mm_code, res.mm_code,
				       res.memref_size);
		if (shown < res.answer_size)
			g_string_append_printf(out, "(the first %zu of the %zu shared bytes: what the TEE "
					       "answered)\n", shown, res.answer_size);
		if (!out_file)
			emu_hexdump(out, res.answer, shown);
	}
	fputs(out->str, stdout);
	emu_client_raw_result_clear(&res);
	return EMU_EXIT_OK;
}
