/* SPDX-License-Identifier: MIT */
/* `stmm-emu fault`: arm or clear run-time faults in the running daemons (fault_cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fault_cli.h"
#include "fault_count.h"
#include "ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_frame.h"
#include "rpmb_host.h"
#include "state.h"

#define FAULT_CALL_TIMEOUT_MS 5000

static const struct {
	const char *name;
	uint32_t value;
} tee_names[] = {
	{ "SUCCESS", TEE_SUCCESS },
	{ "ERROR_GENERIC", TEE_ERROR_GENERIC },
	{ "ERROR_ACCESS_DENIED", TEE_ERROR_ACCESS_DENIED },
	{ "ERROR_CANCEL", TEE_ERROR_CANCEL },
	{ "ERROR_ACCESS_CONFLICT", TEE_ERROR_ACCESS_CONFLICT },
	{ "ERROR_EXCESS_DATA", TEE_ERROR_EXCESS_DATA },
	{ "ERROR_BAD_FORMAT", TEE_ERROR_BAD_FORMAT },
	{ "ERROR_BAD_PARAMETERS", TEE_ERROR_BAD_PARAMETERS },
	{ "ERROR_BAD_STATE", TEE_ERROR_BAD_STATE },
	{ "ERROR_ITEM_NOT_FOUND", TEE_ERROR_ITEM_NOT_FOUND },
	{ "ERROR_NOT_IMPLEMENTED", TEE_ERROR_NOT_IMPLEMENTED },
	{ "ERROR_NOT_SUPPORTED", TEE_ERROR_NOT_SUPPORTED },
	{ "ERROR_NO_DATA", TEE_ERROR_NO_DATA },
	{ "ERROR_OUT_OF_MEMORY", TEE_ERROR_OUT_OF_MEMORY },
	{ "ERROR_BUSY", TEE_ERROR_BUSY },
	{ "ERROR_COMMUNICATION", TEE_ERROR_COMMUNICATION },
	{ "ERROR_SECURITY", TEE_ERROR_SECURITY },
	{ "ERROR_SHORT_BUFFER", TEE_ERROR_SHORT_BUFFER },
	{ "ERROR_TIMEOUT", TEE_ERROR_TIMEOUT },
	{ "ERROR_TARGET_DEAD", TEE_ERROR_TARGET_DEAD },
	{ "ERROR_STORAGE_NOT_AVAILABLE", TEE_ERROR_STORAGE_NOT_AVAILABLE },
};

static bool parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* TEE_ERROR_X, TEEC_ERROR_X, ERROR_X, X or a number (TEEC results equal the TEE ones). */
static bool parse_tee(const char *s, uint32_t *ret)
{
	if (parse_u32(s, ret))
		return true;
	const char *n = s;
	if (g_str_has_prefix(n, "TEEC_"))
		n += 5;
	else if (g_str_has_prefix(n, "TEE_"))
		n += 4;
	for (size_t i = 0; i < G_N_ELEMENTS(tee_names); i++)
		if (g_ascii_strcasecmp(n, tee_names[i].name) == 0 ||
		    g_ascii_strcasecmp(n, tee_names[i].name + 6) == 0) {
			*ret = tee_names[i].value;
			return true;
		}
	return false;
}

/* OK, GENERAL_FAILURE ... NO_AUTH_KEY (include/rpmb_frame.h), with RPMB_RESULT_ or not. */
static bool parse_rpmb_result(const char *s, uint32_t *ret)
{
	if (parse_u32(s, ret))
		return *ret <= 0xff;
	if (g_str_has_prefix(s, "RPMB_RESULT_"))
		s += 12;
	for (uint16_t code = RPMB_RESULT_OK; code <= RPMB_RESULT_NO_AUTH_KEY; code++) {
		char buf[64];
		if (g_ascii_strcasecmp(s, rpmb_result_name(code, buf, sizeof(buf))) == 0) {
			*ret = code;
			return true;
		}
	}
	return false;
}

static int bad(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int bad(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, text);
	return -EINVAL;
}

/* "--opt value" or "--opt=value": the value, advancing *i; NULL when argv[*i] is not opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int emu_fault_parse(int argc, char **argv, char **ret_daemon, struct emu_ctrl_fault *ret,
		    GError **error)
{
	struct emu_ctrl_fault f = { .count = 1, .repeat = 1 };
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	const char *at = NULL, *rpc = NULL;

	for (int i = 0; i < argc; i++) {
		bool missing = false;
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--at", &missing))) {
			at = v;
		} else if ((v = opt_value(argc, argv, &i, "--rpc", &missing))) {
			rpc = v;
		} else if ((v = opt_value(argc, argv, &i, "--nth", &missing))) {
			if (!parse_u32(v, &f.count) || f.count < 1)
				return bad(error, "--nth %s: want a number >= 1", v);
		} else if ((v = opt_value(argc, argv, &i, "--repeat", &missing))) {
			if (strcmp(v, "forever") == 0)
				f.repeat = EMU_FAULT_REPEAT_FOREVER;
			else if (!parse_u32(v, &f.repeat) || f.repeat < 1)
				return bad(error, "--repeat %s: want a number >= 1 or forever", v);
		} else if (missing) {
			return bad(error, "%s needs a value", argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return bad(error, "unknown option %s", argv[i]);
		} else {
			g_ptr_array_add(words, argv[i]);
		}
	}
	if (words->len < 2)
		return bad(error, "want DAEMON ACTION (e.g. `rpmbd drop-response`)");
	const char *daemon = words->pdata[0], *action = words->pdata[1];
	const char *arg = words->len > 2 ? words->pdata[2] : NULL;
	guint want_words = 2;

	if (strcmp(daemon, EMU_FAULT_DAEMON_RPMBD) == 0) {
		if (rpc)
			return bad(error, "--rpc is for the supplicant");
		if (!at || strcmp(at, "write") == 0)
			f.trigger = EMU_FAULT_AT_RPMB_WRITE;
		else if (strcmp(at, "read") == 0)
			f.trigger = EMU_FAULT_AT_RPMB_READ;
		else if (strcmp(at, "seq") == 0)
			f.trigger = EMU_FAULT_AT_RPMB_SEQ;
		else
			return bad(error, "--at %s: want write, read or seq", at);
		if (strcmp(action, "power-cut") == 0) {
			f.action = EMU_FAULT_POWER_CUT;
		} else if (strcmp(action, "drop-response") == 0) {
			f.action = EMU_FAULT_DROP_RESPONSE;
		} else if (strcmp(action, "delay") == 0) {
			f.action = EMU_FAULT_DELAY;
			want_words = 3;
			if (!parse_u32(arg, &f.value))
				return bad(error, "delay MS: want milliseconds");
		} else if (strcmp(action, "result") == 0) {
			f.action = EMU_FAULT_RESULT;
			want_words = 3;
			if (!arg || !parse_rpmb_result(arg, &f.value))
				return bad(error, "result NAME: want OK, GENERAL_FAILURE, AUTH_FAILURE, "
						  "COUNTER_FAILURE, ADDRESS_FAILURE, WRITE_FAILURE, "
						  "READ_FAILURE, NO_AUTH_KEY or a number");
		} else if (strcmp(action, "corrupt") == 0) {
			f.action = EMU_FAULT_CORRUPT;
			want_words = 3;
			g_auto(GStrv) parts = arg ? g_strsplit(arg, ":", 2) : NULL;
			if (!parts || !parse_u32(parts[0], &f.value) ||
			    (parts[1] && !parse_u32(parts[1], &f.value2)))
				return bad(error, "corrupt OFF[:MASK]: want a byte offset and a mask");
		} else {
			return bad(error, "rpmbd action %s: want power-cut, drop-response, delay, "
					  "result or corrupt", action);
		}
	} else if (strcmp(daemon, EMU_FAULT_DAEMON_SUPPLICANT) == 0) {
		if (at)
			return bad(error, "--at is for rpmbd");
		f.trigger = EMU_FAULT_AT_RPC;
		f.rpc_cmd = EMU_FAULT_ANY_RPC;
		if (rpc && strcmp(rpc, "rpmb") == 0)
			f.rpc_cmd = OPTEE_RPC_CMD_RPMB;
		else if (rpc && strcmp(rpc, "any") != 0 && !parse_u32(rpc, &f.rpc_cmd))
			return bad(error, "--rpc %s: want rpmb, any or a number", rpc);
		if (strcmp(action, "exit") == 0) {
			f.action = EMU_FAULT_SUPP_EXIT;
		} else if (strcmp(action, "stall") == 0) {
			f.action = EMU_FAULT_SUPP_STALL;
		} else if (strcmp(action, "drop") == 0) {
			f.action = EMU_FAULT_SUPP_DROP;
		} else if (strcmp(action, "error") == 0) {
			f.action = EMU_FAULT_SUPP_ERROR;
			want_words = 3;
			if (!arg || !parse_tee(arg, &f.value))
				return bad(error, "error TEEC_NAME_OR_HEX: e.g. TEEC_ERROR_COMMUNICATION "
						  "or 0xffff000e");
		} else {
			return bad(error, "supplicant action %s: want exit, stall, drop or error",
				   action);
		}
	} else if (strcmp(daemon, EMU_FAULT_DAEMON_STMMD) == 0) {
		if (at || rpc)
			return bad(error, "--at and --rpc are not for stmmd");
		f.trigger = EMU_FAULT_AT_MM_CALL;
		if (strcmp(action, "crash") == 0) {
			f.action = EMU_FAULT_STMM_CRASH;
		} else if (strcmp(action, "tee-error") == 0) {
			f.action = EMU_FAULT_STMM_TEE_ERROR;
			want_words = 3;
			if (!arg || !parse_tee(arg, &f.value))
				return bad(error, "tee-error NAME_OR_HEX: e.g. TEE_ERROR_TARGET_DEAD");
		} else {
			return bad(error, "stmmd action %s: want crash or tee-error", action);
		}
	} else {
		return bad(error, "daemon %s: want rpmbd, supplicant or stmmd", daemon);
	}
	if (words->len != want_words)
		return bad(error, "%s %s: %s", daemon, action,
			   words->len < want_words ? "missing argument" : "too many arguments");
	const char *why = NULL;
	enum fault_daemon fd = f.trigger == EMU_FAULT_AT_RPC	   ? FAULT_DAEMON_SUPPLICANTD
			       : f.trigger == EMU_FAULT_AT_MM_CALL ? FAULT_DAEMON_STMMD
								   : FAULT_DAEMON_RPMBD;
	if (fault_check(fd, &f, &why) < 0)
		return bad(error, "%s %s: %s", daemon, action, why);
	*ret_daemon = g_strdup(daemon);
	*ret = f;
	return 0;
}

static char *daemon_socket(const char *state_dir, const char *daemon)
{
	struct emu_state st;
	char *path = NULL;

	emu_state_init(&st, state_dir);
	if (strcmp(daemon, EMU_FAULT_DAEMON_RPMBD) == 0)
		path = g_strdup(st.mmc_sock);
	else if (strcmp(daemon, EMU_FAULT_DAEMON_STMMD) == 0)
		path = g_strdup(st.tee_sock);
	else if (strcmp(daemon, EMU_FAULT_DAEMON_SUPPLICANT) == 0)
		path = emu_state_path(&st, EMU_STATE_SUPP_SOCK);
	emu_state_clear(&st);
	return path;
}

/* One request/reply on the daemon's socket. */
static int call(const char *state_dir, const char *daemon, uint16_t type, const void *payload,
		size_t len, uint16_t want, struct emu_msg **ret_reply, GError **error)
{
	g_autofree char *path = daemon_socket(state_dir, daemon);
	if (!path)
		return bad(error, "daemon %s: want rpmbd, supplicant or stmmd", daemon);
	int fd;
	int r = emu_ipc_connect(path, &fd);
	if (r < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "%s at %s: %s", daemon,
			    path, g_strerror(-r));
		return r;
	}
	uint32_t next_id = 1;
	g_autofree char *text = NULL;
	struct iovec iov = { (void *)payload, len };
	r = emu_ipc_call(fd, &next_id, FAULT_CALL_TIMEOUT_MS, type, &iov, len ? 1 : 0, -1, want,
			 ret_reply, &text);
	close(fd);
	if (r < 0)
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "%s: %s", daemon,
			    text ? text : g_strerror(-r));
	return r;
}

int emu_fault_arm(const char *state_dir, const char *daemon, const struct emu_ctrl_fault *f,
		  uint32_t *ret_id, GError **error)
{
	g_autoptr(emu_msg) reply = NULL;
	int r = call(state_dir, daemon, EMU_MSG_CTRL_FAULT_REQ, f, sizeof(*f),
		     EMU_MSG_CTRL_FAULT_RSP, &reply, error);
	if (r < 0)
		return r;
	struct emu_ctrl_fault_rsp rsp;
	if (reply->hdr.length != sizeof(rsp))
		return bad(error, "%s: bad FAULT_RSP size %u", daemon, reply->hdr.length);
	memcpy(&rsp, reply->payload, sizeof(rsp));
	*ret_id = rsp.id;
	return 0;
}

int emu_fault_clear(const char *state_dir, const char *daemon, GError **error)
{
	g_autoptr(emu_msg) reply = NULL;
	return call(state_dir, daemon, EMU_MSG_CTRL_FAULT_CLEAR_REQ, NULL, 0,
		    EMU_MSG_CTRL_FAULT_CLEAR_RSP, &reply, error);
}

static const char fault_help[] =
	"Arm a fault in a running daemon, keyed on protocol events counted from now (never on\n"
	"time), or clear them:\n"
	"  stmm-emu fault rpmbd power-cut|drop-response|delay MS|result NAME|corrupt OFF[:MASK]\n"
	"                 [--at write|read|seq] [--nth N] [--repeat N|forever]\n"
	"  stmm-emu fault supplicant exit|stall|drop|error TEEC_NAME_OR_HEX\n"
	"                 [--rpc rpmb|any|NUM] [--nth N] [--repeat N|forever]\n"
	"  stmm-emu fault stmmd crash|tee-error NAME_OR_HEX [--nth N] [--repeat N|forever]\n"
	"  stmm-emu fault clear [rpmbd|supplicant|stmmd|all]\n"
	"\n"
	"rpmbd (events: --at write = a sequence with an authenticated data write, the default;\n"
	"read = one with a data read; seq = any RPMB sequence):\n"
	"  power-cut      rpmbd exits (status 75) before the sequence commits; no answer\n"
	"  drop-response  the sequence commits, the host's transfer fails (-EIO)\n"
	"  delay MS       the answer leaves MS ms late (rpmbd blocks meanwhile)\n"
	"  result NAME    not executed; frames answer OK GENERAL_FAILURE AUTH_FAILURE\n"
	"                 COUNTER_FAILURE ADDRESS_FAILURE WRITE_FAILURE READ_FAILURE NO_AUTH_KEY\n"
	"                 (or a number), MACed as the device would\n"
	"  corrupt OFF[:MASK]  executed; response byte OFF (0..511) XOR MASK (default 0xff)\n"
	"supplicant (events: RPCs of --rpc kind: rpmb, any (default) or an OPTEE_RPC_CMD number):\n"
	"  exit           supplicantd exits before answering (stmmd loses it mid-RPC)\n"
	"  stall          it stops reading and answering anything, stays connected\n"
	"  drop           this RPC is never answered; later ones are\n"
	"  error NAME     answer TEEC result NAME (TEEC_ERROR_COMMUNICATION, 0xffff000e...)\n"
	"stmmd (events: PTA_STMM_CMD_COMMUNICATE invokes, i.e. MM calls):\n"
	"  crash          the secure world dies: stmmd aborts before StMM runs\n"
	"  tee-error NAME the invoke answers TEE result NAME (origin TEE), StMM not run\n"
	"\n"
	"--nth N: fire at the N-th event from now (default 1); --repeat N: on N consecutive\n"
	"events (default 1; forever: until cleared).  Prints the fault's id.\n"
	"\n"
	"Examples:\n"
	"  stmm-emu fault rpmbd drop-response --at write\n"
	"  stmm-emu fault rpmbd result GENERAL_FAILURE --repeat 9\n"
	"  stmm-emu fault supplicant error TEEC_ERROR_COMMUNICATION --rpc rpmb\n"
	"  stmm-emu fault stmmd tee-error TEE_ERROR_TARGET_DEAD --nth 2\n"
	"  stmm-emu fault clear";

static int cmd_clear(const char *state, char **argv, int argc)
{
	static const char *const all[] = { EMU_FAULT_DAEMON_RPMBD, EMU_FAULT_DAEMON_SUPPLICANT,
					   EMU_FAULT_DAEMON_STMMD };
	const char *which = argc > 1 ? argv[1] : "all";
	int rc = EMU_EXIT_OK;

	if (argc > 2) {
		emu_cli_err("fault clear takes one daemon name at most");
		return EMU_EXIT_USAGE;
	}
	bool every = strcmp(which, "all") == 0;
	bool known = every;
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		if (!every && strcmp(which, all[i]) != 0)
			continue;
		known = true;
		g_autoptr(GError) err = NULL;
		if (emu_fault_clear(state, all[i], &err) < 0) {
			emu_cli_err("%s", err->message);
			rc = EMU_EXIT_STACK;
		} else {
			printf("cleared faults on %s\n", all[i]);
		}
	}
	if (!known) {
		emu_cli_err("fault clear %s: want rpmbd, supplicant, stmmd or all", which);
		return EMU_EXIT_USAGE;
	}
	return rc;
}

int emu_cmd_fault(int argc, char **argv)
{
	g_autofree char *state = NULL;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("DAEMON ACTION [ARG] [--at ...] [--nth N] [--repeat N] [--rpc ...]");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_ignore_unknown_options(ctx, TRUE);
	g_option_context_set_description(ctx, fault_help);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	/* argv[0] is the command's name. */
	if (argc >= 2 && strcmp(argv[1], "clear") == 0)
		return cmd_clear(state, argv + 1, argc - 1);

	g_autoptr(GError) err = NULL;
	g_autofree char *daemon = NULL;
	struct emu_ctrl_fault f;
	if (emu_fault_parse(argc - 1, argv + 1, &daemon, &f, &err) < 0) {
		emu_cli_err("%s (see stmm-emu fault --help)", err->message);
		return EMU_EXIT_USAGE;
	}
	uint32_t id;
	if (emu_fault_arm(state, daemon, &f, &id, &err) < 0) {
		emu_cli_err("%s", err->message);
		return EMU_EXIT_STACK;
	}
	g_autofree char *text = fault_describe(&f);
	printf("armed fault #%u on %s: %s\n", id, daemon, text);
	return EMU_EXIT_OK;
}
