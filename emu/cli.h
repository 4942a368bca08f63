/* SPDX-License-Identifier: MIT */
/* The stmm-emu command line: one function per subcommand, shared helpers. */
#ifndef STMM_EMU_EMU_CLI_H
#define STMM_EMU_EMU_CLI_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "efi.h"
#include "state.h"

/* Exit codes (also in `stmm-emu --help`). */
#define EMU_EXIT_OK     0 /* success */
#define EMU_EXIT_EFI    1 /* the variable service answered an EFI error (printed by name) */
#define EMU_EXIT_USAGE  2 /* bad command line */
#define EMU_EXIT_STACK  3 /* the stack is not up / could not be started / not all running */
#define EMU_EXIT_IMPORT 4 /* import/export: not a valid EDK2 variable store, or does not fit;
			   * export: the output file cannot be written */

/* The --state option's help, the same for every command. */
#define EMU_STATE_HELP "state directory (default: $STMM_EMU_STATE, else ./.stmm-emu)"

#define EMU_EXIT_CODES_HELP                                                                 \
	"Exit status: 0 success; 1 the variable service answered an EFI error (its name is\n" \
	"printed on stderr, e.g. EFI_NOT_FOUND; a transport failure is EFI_DEVICE_ERROR);\n"  \
	"2 usage error; 3 the stack is not up, could not be started, or is not fully running."

/* "stmm-emu: " + message + newline on stderr. */
/* "2026-11-25 14:26:54": local time of a unix timestamp in µs (g_free). */
char *emu_format_time(int64_t us);

/*
 * The one way every command names the payload size (issue 15, defect 13): the client's
 * budget "N bytes (GET_PAYLOAD_SIZE N+2 - 2)" (g_free); JSON's max_payload is the same N.
 */
char *emu_payload_text(uint64_t max_payload);

/* User input echoed in a message: at most EMU_CLI_ECHO_MAX characters, then "…" (g_free). */
#define EMU_CLI_ECHO_MAX 64
char *emu_cli_shorten(const char *s);

void emu_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse with `ctx` (which gets a --help); prints errors.  true when parsing succeeded.
 * Refuses, for every command, a --timeout/-t that is not positive and an empty --state/-s.
 */
bool emu_cli_parse(GOptionContext *ctx, int *argc, char ***argv);

/* Per-command timeout: --timeout, else $STMM_EMU_TIMEOUT_MS, else 30 s. */
int emu_cli_timeout_ms(int opt_timeout_ms);

struct emu_client;

/*
 * A client on the stack of state directory `opt_state` (NULL: the default), with the
 * timeout of emu_cli_timeout_ms(opt_timeout_ms).  When it cannot connect, prints
 * "WHAT: ..." and returns EMU_EXIT_STACK; else EMU_EXIT_OK and *ret.
 */
int emu_cli_open_client(const char *opt_state, int opt_timeout_ms, const char *what,
			struct emu_client **ret);
/* The same as one persona's driver (enum emu_client_persona, emu/client/client.h). */
int emu_cli_open_client_persona(const char *opt_state, int opt_timeout_ms, int persona,
				const char *what, struct emu_client **ret);

/* Print "WHAT: EFI_NOT_FOUND (what went wrong below, if anything)"; returns EMU_EXIT_EFI. */
int emu_cli_efi_err(const struct emu_client *c, const char *what, efi_status_t s);

/*
 * --json errors (issue 15): between _begin and _end every emu_cli_err message is also
 * kept; _end(rc), for a failed command that printed no JSON document of its own, prints
 * {"error": first message, "messages": [...], "exit": rc} on stdout.  Returns rc.
 * main() brackets every command whose arguments hold --json.
 */
void emu_cli_json_errors_begin(void);
int emu_cli_json_errors_end(int rc);
/* A command that prints a JSON document other than through emu_json_print says so. */
void emu_cli_json_printed(void);

/*
 * --json output: every JSON document the CLI prints is built with json-glib.
 * emu_json_add_string adds "key": s (s made valid UTF-8: a byte that is not becomes
 * U+FFFD, so a non-UTF-8 path or name still gives valid JSON); emu_json_add_hex adds
 * "key": "<lower-case hex of the bytes>"; emu_json_print writes the builder's root and a
 * newline to stdout (pretty: two-space indentation, else one line).
 */
void emu_json_add_string(JsonBuilder *b, const char *key, const char *s);
void emu_json_add_hex(JsonBuilder *b, const char *key, const uint8_t *data, size_t size);
void emu_json_add_int(JsonBuilder *b, const char *key, gint64 v);
void emu_json_add_bool(JsonBuilder *b, const char *key, bool v);
void emu_json_print(JsonBuilder *b, bool pretty);

/* Subcommands. */
int emu_cmd_up(int argc, char **argv);
int emu_cmd_down(int argc, char **argv);
int emu_cmd_status(int argc, char **argv);
int emu_cmd_run(int argc, char **argv);
int emu_cmd_mount(int argc, char **argv);
int emu_cmd_var(int argc, char **argv);
int emu_cmd_raw(int argc, char **argv);
int emu_cmd_conform(int argc, char **argv);
int emu_cmd_scenario(int argc, char **argv);
int emu_cmd_event(int argc, char **argv);
int emu_cmd_reset(int argc, char **argv);
int emu_cmd_import(int argc, char **argv);
int emu_cmd_export(int argc, char **argv);
int emu_cmd_check(int argc, char **argv);
int emu_cmd_rpmb(int argc, char **argv);
int emu_cmd_trace(int argc, char **argv);
int emu_cmd_seeds(int argc, char **argv);
int emu_cmd_ps(int argc, char **argv);

/*
 * Import an EDK2 variable file into the stopped state `st` (cmd_fv.c; also `up --import`).
 * var_store_size 0 = computed.  Prints errors; returns an exit code.
 */
int emu_import_file(const struct emu_state *st, const char *file, uint32_t var_store_size,
		    int wait_ms, bool quiet);
/* The same, with json: one JSON object on success instead of the text line. */
int emu_import_file_out(const struct emu_state *st, const char *file, uint32_t var_store_size,
			int wait_ms, bool quiet, bool json);

/* Attribute list "nv,bs,rt" or a number -> bits.  0 or -EINVAL. */
__attribute__((warn_unused_result)) int emu_attrs_parse(const char *s, uint32_t *ret);
/* "nv,bs,rt" for the bits (g_free); "0" for none; unknown bits as hex. */
char *emu_attrs_format(uint32_t attrs);
/* GUID text or alias (global, security).  0 or -EINVAL. */
__attribute__((warn_unused_result)) int emu_guid_arg(const char *s, efi_guid_t *ret);
/*
 * Hex text of an option (hex_decode rules) -> bytes.  Prints "WHAT: not a hex digit at
 * position N ('c')" (N from 1) or "WHAT: an odd number of hex digits".  0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int emu_hex_arg(const char *what, const char *s,
						    GByteArray **ret);
/*
 * Text from a peer or a store, safe on one terminal line (g_free): \n, \t and \\ escaped,
 * other control bytes as \xNN; everything else (UTF-8 included) as it is.
 */
char *emu_text_escape(const char *s);
/* Classic hex dump (offset, 16 bytes, ASCII) appended to out. */
void emu_hexdump(GString *out, const uint8_t *data, size_t size);

/*
 * The build profile a stmmd runs, from its CTRL_STATUS flags (EMU_CTRL_STATUS_VAR_CHECK_UEFI
 * ...): "optee-stmm", "strict" or "custom" (a mix of single switches).
 */
const char *emu_status_profile(uint32_t flags);

#endif
