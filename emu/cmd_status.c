/* SPDX-License-Identifier: MIT */
/* stmm-emu status: the daemons, the RPMB and supplicant health, the store (text or JSON). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cli.h"
#include "client.h"
#include "efi_util.h"
#include "rpmb_host.h"
#include "config.h"
#include "emu_trace.h"
#include "stack.h"
#include "state.h"

struct status_info {
	pid_t pid[EMU_DAEMON_COUNT];
	bool mmc_listening, tee_listening;
	int ctrl_r;                   /* CTRL_STATUS result */
	struct emu_ctrl_status ctrl;
	efi_status_t payload_status;  /* GET_PAYLOAD_SIZE */
	uint64_t max_payload;
	efi_status_t query_status;    /* QueryVariableInfo(NV|BS|RT) */
	uint64_t q_max, q_remaining, q_max_var;
	char error[256];
};

static void collect_status(const struct emu_state *st, int timeout_ms, struct status_info *si)
{
	memset(si, 0, sizeof(*si));
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		si->pid[d] = emu_stack_pid(st, (enum emu_daemon)d);
	si->mmc_listening = emu_socket_listening(st->mmc_sock);
	si->tee_listening = emu_socket_listening(st->tee_sock);
	si->ctrl_r = si->tee_listening ? emu_stack_ctrl_status(st, timeout_ms, &si->ctrl) : -ENOENT;
	si->payload_status = EFI_NOT_STARTED;
	si->query_status = EFI_NOT_STARTED;
	if (!si->tee_listening)
		return;
	g_autoptr(emu_client) c = NULL;
	int r = emu_client_open(st->tee_sock, timeout_ms, &c);
	if (r < 0) {
		g_strlcpy(si->error, g_strerror(-r), sizeof(si->error));
		return;
	}
	si->payload_status = emu_client_get_payload_size(c, &si->max_payload);
	if (si->payload_status == EFI_SUCCESS)
		si->query_status = emu_client_query_variable_info(
			c,
			EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
				EFI_VARIABLE_RUNTIME_ACCESS,
			&si->q_max, &si->q_remaining, &si->q_max_var);
	g_strlcpy(si->error, emu_client_last_error(c), sizeof(si->error));
}

static bool all_running(const struct status_info *si)
{
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		if (!si->pid[d])
			return false;
	return si->payload_status == EFI_SUCCESS;
}

/* The name of an errno ("ETIMEDOUT"), or its number when glibc has none. */
static const char *errno_name(int e, char *buf, size_t size)
{
	const char *n = strerrorname_np(e < 0 ? -e : e);
	if (n)
		return n;
	g_snprintf(buf, size, "%d", e);
	return buf;
}

/* The supplicant answers unless a call has waited >= 1 s or the last one timed out. */
static bool supplicant_answering(const struct emu_ctrl_status *c)
{
	if (!(c->flags & EMU_CTRL_STATUS_SUPPLICANT) || c->rpc_pending_ms >= 1000)
		return false;
	return !(c->rpc_fail_errno == -ETIMEDOUT && c->rpc_fail_time > c->rpc_ok_time);
}

/* The RPMB route StMM's RPMB client took at init (rpmb_route.h): kernel = PROBE_RESET was
 * answered and PROBE_NEXT found a device whose key verifies; legacy = OPTEE_RPC_CMD_RPMB. */
/* StMM's boot phase (EMU_CTRL_STATUS_END_OF_DXE / _AT_RUNTIME): JSON name and text. */
static const char *boot_phase_name(uint32_t flags)
{
	if (flags & EMU_CTRL_STATUS_AT_RUNTIME)
		return "runtime";
	return (flags & EMU_CTRL_STATUS_END_OF_DXE) ? "ready-to-boot" : "boot";
}

static const char *boot_phase_text(uint32_t flags)
{
	if (flags & EMU_CTRL_STATUS_AT_RUNTIME)
		return "runtime (ReadyToBoot and ExitBootServices signalled)";
	if (flags & EMU_CTRL_STATUS_END_OF_DXE)
		return "ReadyToBoot signalled (EndOfDxe: VarCheck enforcing), ExitBootServices not";
	return "boot time (neither ReadyToBoot nor ExitBootServices signalled)";
}

static const char *route_name(const struct emu_ctrl_status *c)
{
	return (c->flags & EMU_CTRL_STATUS_ROUTE_KERNEL) ? "kernel" : "legacy";
}

static void add_time_or_null(JsonBuilder *b, const char *key, bool have, int64_t us)
{
	json_builder_set_member_name(b, key);
	if (have)
		json_builder_add_double_value(b, (double)us / 1e6);
	else
		json_builder_add_null_value(b);
}

/* "rpmb", "supplicant" and "store_boot" members of the ctrl object. */
static void add_health_json(JsonBuilder *b, const struct emu_ctrl_status *c)
{
	char buf[64];

	json_builder_set_member_name(b, "rpmb");
	json_builder_begin_object(b);
	emu_json_add_string(b, "layout", (c->flags & EMU_CTRL_STATUS_LAYOUT_OPTEE_FS) ? "optee-fs" : "raw");
	emu_json_add_string(b, "route", route_name(c)); /* README "The kernel RPMB route" */
	emu_json_add_bool(b, "kernel_rpmb_handler", c->flags & EMU_CTRL_STATUS_RPMB_HANDLER);
	emu_json_add_bool(b, "dead", c->flags & EMU_CTRL_STATUS_RPMB_DEAD);
	add_time_or_null(b, "dead_since", c->flags & EMU_CTRL_STATUS_RPMB_DEAD, (int64_t)c->rpmb_dead_since);
	emu_json_add_int(b, "writes", (gint64)c->rpmb_writes);
	emu_json_add_int(b, "retries", (gint64)c->rpmb_retries);
	json_builder_set_member_name(b, "last_failure");
	if (c->fail_time) {
		json_builder_begin_object(b);
		add_time_or_null(b, "time", true, c->fail_time);
		emu_json_add_string(b, "error", errno_name(c->fail_errno, buf, sizeof(buf)));
		json_builder_set_member_name(b, "result");
		if (c->fail_result == 0xffff)
			json_builder_add_null_value(b);
		else
			json_builder_add_string_value(b, rpmb_result_name(c->fail_result, buf, sizeof(buf)));
		emu_json_add_int(b, "block", c->fail_address);
		emu_json_add_int(b, "write_counter", c->fail_write_counter);
		emu_json_add_int(b, "attempts", c->fail_attempts);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_end_object(b);

	json_builder_set_member_name(b, "supplicant");
	json_builder_begin_object(b);
	emu_json_add_bool(b, "registered", c->flags & EMU_CTRL_STATUS_SUPPLICANT);
	emu_json_add_bool(b, "answering", supplicant_answering(c));
	emu_json_add_int(b, "rpc_pending_ms", c->rpc_pending_ms);
	json_builder_set_member_name(b, "last_rpc_error");
	if (c->rpc_fail_time)
		json_builder_add_string_value(b, errno_name(c->rpc_fail_errno, buf, sizeof(buf)));
	else
		json_builder_add_null_value(b);
	add_time_or_null(b, "last_rpc_error_time", c->rpc_fail_time, c->rpc_fail_time);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "store_boot");
	json_builder_begin_object(b);
	emu_json_add_bool(b, "records_dropped", c->store_boot_events & EMU_CTRL_BOOT_RECORDS_DROPPED);
	emu_json_add_bool(b, "reformatted", c->store_boot_events & EMU_CTRL_BOOT_REFORMATTED);
	emu_json_add_bool(b, "reclaim_finished", c->store_boot_events & EMU_CTRL_BOOT_RECLAIM_FINISHED);
	json_builder_set_member_name(b, "damage");
	if (c->store_boot_report[0]) {
		g_autofree char *d = g_strndup(c->store_boot_report, sizeof(c->store_boot_report));
		g_autofree char *v = g_utf8_make_valid(d, -1);
		json_builder_add_string_value(b, v);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_end_object(b);
}

static void print_health_text(const struct emu_ctrl_status *c)
{
	char buf[64], rbuf[64];

	printf("rpmb route:   %s%s\n", route_name(c),
	       (c->flags & EMU_CTRL_STATUS_ROUTE_KERNEL) ?
		       " (PROBE_NEXT found the device; requests go as OPTEE_RPC_CMD_RPMB_FRAMES)" :
		       " (OPTEE_RPC_CMD_RPMB to the supplicant)");
	printf("rpmb layout:  %s\n", (c->flags & EMU_CTRL_STATUS_LAYOUT_OPTEE_FS) ?
		       "optee-fs (EFI_VARS, a file in OP-TEE's RPMB file system, encrypted)" :
		       "raw (the store's bytes from RPMB block 0)");
	if (c->flags & EMU_CTRL_STATUS_RPMB_DEAD) {
		g_autofree char *since = emu_format_time((int64_t)c->rpmb_dead_since);
		printf("rpmb state:   DEAD since %s: NV writes fail (EFI_DEVICE_ERROR) until `stmm-emu reset`\n",
		       since);
	} else {
		printf("rpmb state:   ok\n");
	}
	if (c->fail_time) {
		g_autofree char *when = emu_format_time(c->fail_time);
		printf("last failure: %s: write of block %u (counter %u), attempt %u of 10: %s, device result %s\n",
		       when, c->fail_address, c->fail_write_counter, c->fail_attempts,
		       errno_name(c->fail_errno, buf, sizeof(buf)),
		       c->fail_result == 0xffff ? "none (no response)" :
						  rpmb_result_name(c->fail_result, rbuf, sizeof(rbuf)));
	}
	if (c->rpc_fail_time) {
		g_autofree char *when = emu_format_time(c->rpc_fail_time);
		printf("last rpc err: %s: %s\n", when, errno_name(c->rpc_fail_errno, buf, sizeof(buf)));
	}
	if (c->store_boot_report[0])
		printf("store damage: at the last boot StMM %s: %.*s (see stmmd.log, `stmm-emu check`)\n",
		       (c->store_boot_events & EMU_CTRL_BOOT_REFORMATTED) ? "formatted the store afresh" :
									      "dropped records",
		       (int)sizeof(c->store_boot_report), c->store_boot_report);
}

/* `up --trace` was given: the trace file (g_free) and its size, else NULL. */
static char *trace_file(const struct emu_state *st, gint64 *ret_size)
{
	struct emu_config cfg;
	if (emu_config_load(st, &cfg, NULL) < 0 || !cfg.trace)
		return NULL;
	char *path = emu_state_path(st, EMU_TRACE_FILE_NAME);
	GStatBuf sb;
	*ret_size = g_stat(path, &sb) == 0 ? (gint64)sb.st_size : 0;
	return path;
}

/* `up --durability`: "full" or "process" (STATE/stmm-emu.conf; absent = full). */
static const char *durability_name(const struct emu_state *st)
{
	struct emu_config cfg;

	if (emu_config_load(st, &cfg, NULL) < 0 || !cfg.durability[0])
		return EMU_DURABILITY_DEFAULT;
	return strcmp(cfg.durability, "process") == 0 ? "process" : "full";
}

static const char *durability_text(const struct emu_state *st)
{
	return strcmp(durability_name(st), "process") == 0
		       ? "process (an acknowledged write survives kill -9, not a host power loss)"
		       : "full (an acknowledged write is on disk before rpmbd answers)";
}

static void print_status_text(const struct emu_state *st, const struct status_info *si)
{
	char sbuf[64];

	printf("state:        %s\n", st->dir);
	gint64 tsize;
	g_autofree char *tpath = trace_file(st, &tsize);
	if (tpath)
		printf("trace:        on (%s, %" G_GINT64_FORMAT " bytes)\n", tpath, tsize);
	printf("durability:   %s\n", durability_text(st));
	for (int d = 0; d < EMU_DAEMON_COUNT; d++) {
		char label[32];
		g_snprintf(label, sizeof(label), "%s:", emu_daemon_name((enum emu_daemon)d));
		if (si->pid[d])
			printf("%-13s running (pid %d)", label, (int)si->pid[d]);
		else
			printf("%-13s not running", label);
		if (d == EMU_DAEMON_RPMBD)
			printf(", %s %s", st->mmc_sock, si->mmc_listening ? "listening" : "not listening");
		else if (d == EMU_DAEMON_STMMD)
			printf(", %s %s", st->tee_sock, si->tee_listening ? "listening" : "not listening");
		else if (si->ctrl_r == 0)
			printf(", %s", (si->ctrl.flags & EMU_CTRL_STATUS_RPMB_HANDLER) &&
					       !(si->ctrl.flags & EMU_CTRL_STATUS_SUPPLICANT) ?
				       "registered with stmmd as the in-kernel RPMB handler (--normal-world kernel)" :
				       !(si->ctrl.flags & EMU_CTRL_STATUS_SUPPLICANT) ? "not registered with stmmd" :
				       supplicant_answering(&si->ctrl) ? "registered with stmmd, answering" :
				       "registered with stmmd, NOT ANSWERING (an RPC is pending or timed out)");
		printf("\n");
	}
	if (si->ctrl_r == 0) {
		const struct emu_ctrl_status *c = &si->ctrl;
		if (c->flags & EMU_CTRL_STATUS_COUNTER_SYNCED)
			printf("rpmb counter: %u\n", c->rpmb_write_counter);
		else
			printf("rpmb counter: unknown (not synced yet)\n");
		printf("rpmb key:     %s\n",
		       (c->flags & EMU_CTRL_STATUS_KEY_PROGRAMMED) ? "programmed" : "not known");
		print_health_text(c);
		if (c->flags & EMU_CTRL_STATUS_STORE_OPEN)
			printf("store:        %u variables, %" PRIu64 " bytes used, %" PRIu64
			       " free, %" PRIu64 " bytes region\n",
			       c->live_variables, c->store_used, c->store_free, c->store_total);
		else
			printf("store:        not loaded yet\n");
		if (c->flags & EMU_CTRL_STATUS_AUTH) {
			bool mode = c->flags & EMU_CTRL_STATUS_SETUP_MODE;
			bool var = c->flags & EMU_CTRL_STATUS_SETUP_MODE_VAR;
			printf("secure boot:  %s, SetupMode %d, SecureBoot %d%s\n",
			       mode ? "setup mode" : "user mode", mode,
			       !!(c->flags & EMU_CTRL_STATUS_SECURE_BOOT),
			       (c->flags & EMU_CTRL_STATUS_QUIRK_OPTEE_STMM) ? "; quirk optee-stmm" : "");
			if (var != mode)
				printf("              but the SetupMode variable reads %d: a client "
				       "rewrote it (U-Boot's efi_init_secure_state does at every boot)\n",
				       var);
		}
		if (c->flags & EMU_CTRL_STATUS_STORE_OPEN)
			printf("boot phase:   %s\n", boot_phase_text(c->flags));
		printf("profile:      %s (VarCheckUefiLib %s, variable policy %s, physical presence "
		       "%s, PK self-signed %s)\n", emu_status_profile(c->flags),
		       (c->flags & EMU_CTRL_STATUS_VAR_CHECK_UEFI) ? "on" : "off",
		       (c->flags & EMU_CTRL_STATUS_POLICY_ENGINE) ? "on" : "off",
		       (c->flags & EMU_CTRL_STATUS_PHYSICAL_PRESENCE) ? "on" : "off",
		       (c->flags & EMU_CTRL_STATUS_SELF_SIGNED_PK) ? "on" : "off");
		printf("sessions:     %u\n", c->sessions);
	} else if (si->tee_listening) {
		printf("control:      CTRL_STATUS not available (%s)\n", g_strerror(-si->ctrl_r));
	}
	if (si->payload_status == EFI_SUCCESS) {
		g_autofree char *pl = emu_payload_text(si->max_payload);
		printf("max payload:  %s\n", pl);
	} else if (si->payload_status != EFI_NOT_STARTED)
		printf("max payload:  %s%s%s%s\n", efi_status_str(si->payload_status, sbuf, sizeof(sbuf)),
		       *si->error ? " (" : "", si->error, *si->error ? ")" : "");
	if (si->query_status == EFI_SUCCESS)
		printf("query nv:     max storage %" PRIu64 ", remaining %" PRIu64
		       ", max variable %" PRIu64 "\n",
		       si->q_max, si->q_remaining, si->q_max_var);
}

static void print_status_json(const struct emu_state *st, const struct status_info *si)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	char sbuf[64];

	json_builder_begin_object(b);
	emu_json_add_string(b, "state", st->dir);
	emu_json_add_bool(b, "running", all_running(si));
	gint64 tsize;
	g_autofree char *tpath = trace_file(st, &tsize);
	if (tpath) {
		json_builder_set_member_name(b, "trace");
		json_builder_begin_object(b);
		emu_json_add_string(b, "path", tpath);
		emu_json_add_int(b, "bytes", tsize);
		json_builder_end_object(b);
	}
	emu_json_add_string(b, "durability", durability_name(st));
	json_builder_set_member_name(b, "daemons");
	json_builder_begin_object(b);
	for (int d = 0; d < EMU_DAEMON_COUNT; d++) {
		json_builder_set_member_name(b, emu_daemon_name((enum emu_daemon)d));
		json_builder_begin_object(b);
		emu_json_add_int(b, "pid", si->pid[d]);
		emu_json_add_bool(b, "alive", si->pid[d] != 0);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sockets");
	json_builder_begin_object(b);
	const struct { const char *name, *path; bool listening; } socks[] = {
		{ "mmc", st->mmc_sock, si->mmc_listening },
		{ "tee", st->tee_sock, si->tee_listening },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(socks); i++) {
		json_builder_set_member_name(b, socks[i].name);
		json_builder_begin_object(b);
		emu_json_add_string(b, "path", socks[i].path);
		emu_json_add_bool(b, "listening", socks[i].listening);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "ctrl");
	if (si->ctrl_r == 0) {
		const struct emu_ctrl_status *c = &si->ctrl;
		json_builder_begin_object(b);
		emu_json_add_bool(b, "supplicant_registered", c->flags & EMU_CTRL_STATUS_SUPPLICANT);
		emu_json_add_bool(b, "key_programmed", c->flags & EMU_CTRL_STATUS_KEY_PROGRAMMED);
		emu_json_add_bool(b, "counter_synced", c->flags & EMU_CTRL_STATUS_COUNTER_SYNCED);
		emu_json_add_int(b, "rpmb_write_counter", c->rpmb_write_counter);
		emu_json_add_bool(b, "store_open", c->flags & EMU_CTRL_STATUS_STORE_OPEN);
		emu_json_add_int(b, "live_variables", c->live_variables);
		emu_json_add_int(b, "store_total", (gint64)c->store_total);
		emu_json_add_int(b, "store_used", (gint64)c->store_used);
		emu_json_add_int(b, "store_free", (gint64)c->store_free);
		emu_json_add_int(b, "sessions", c->sessions);
		emu_json_add_string(b, "boot_phase", boot_phase_name(c->flags));
		emu_json_add_string(b, "profile", emu_status_profile(c->flags));
		json_builder_set_member_name(b, "secure_boot");
		if (c->flags & EMU_CTRL_STATUS_AUTH) {
			json_builder_begin_object(b);
			emu_json_add_string(b, "mode", (c->flags & EMU_CTRL_STATUS_SETUP_MODE) ?
							       "setup" : "user");
			emu_json_add_int(b, "setup_mode", !!(c->flags & EMU_CTRL_STATUS_SETUP_MODE));
			emu_json_add_int(b, "secure_boot", !!(c->flags & EMU_CTRL_STATUS_SECURE_BOOT));
			emu_json_add_int(b, "setup_mode_variable",
					 !!(c->flags & EMU_CTRL_STATUS_SETUP_MODE_VAR));
			json_builder_set_member_name(b, "quirks");
			json_builder_begin_array(b);
			if (c->flags & EMU_CTRL_STATUS_QUIRK_OPTEE_STMM)
				json_builder_add_string_value(b, "optee-stmm");
			json_builder_end_array(b);
			json_builder_end_object(b);
		} else {
			json_builder_add_null_value(b);
		}
		add_health_json(b, c);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	if (si->payload_status != EFI_NOT_STARTED) {
		emu_json_add_string(b, "payload_status",
				    efi_status_str(si->payload_status, sbuf, sizeof(sbuf)));
		emu_json_add_int(b, "max_payload", (gint64)si->max_payload);
	}
	if (si->query_status == EFI_SUCCESS) {
		json_builder_set_member_name(b, "query_nv");
		json_builder_begin_object(b);
		emu_json_add_int(b, "max_storage", (gint64)si->q_max);
		emu_json_add_int(b, "remaining", (gint64)si->q_remaining);
		emu_json_add_int(b, "max_variable_size", (gint64)si->q_max_var);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	emu_json_print(b, false);
}

int emu_cmd_status(int argc, char **argv)
{
	g_autofree char *state = NULL;
	gboolean json = FALSE;
	int timeout = 0;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print one JSON object", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per request (default 30000)", "MS" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- show the daemons and the store");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Processes (pid, alive), sockets, the RPMB write counter and store use (from\n"
		     "stmmd's CTRL_STATUS), the variable payload size and QueryVariableInfo for\n"
		     "nv,bs,rt.  Exit status 0 when all three run and a round trip works, else 3.");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;

	struct emu_state st;
	struct status_info si;
	emu_state_init(&st, state);
	collect_status(&st, emu_cli_timeout_ms(timeout), &si);
	if (json)
		print_status_json(&st, &si);
	else
		print_status_text(&st, &si);
	int rc = all_running(&si) ? EMU_EXIT_OK : EMU_EXIT_STACK;
	emu_state_clear(&st);
	return rc;
}

