/* SPDX-License-Identifier: MIT */
#include "fault_count.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

void fault_table_init(struct fault_table *t)
{
	memset(t, 0, sizeof(*t));
}

static bool action_of(uint16_t trigger, uint16_t action)
{
	switch (trigger) {
	case EMU_FAULT_AT_RPMB_WRITE:
	case EMU_FAULT_AT_RPMB_READ:
	case EMU_FAULT_AT_RPMB_SEQ:
		return action >= EMU_FAULT_POWER_CUT && action <= EMU_FAULT_CORRUPT;
	case EMU_FAULT_AT_RPC:
		return action >= EMU_FAULT_SUPP_EXIT && action <= EMU_FAULT_SUPP_ERROR;
	case EMU_FAULT_AT_MM_CALL:
		return action == EMU_FAULT_STMM_CRASH || action == EMU_FAULT_STMM_TEE_ERROR;
	default:
		return false;
	}
}

static bool trigger_of(enum fault_daemon daemon, uint16_t trigger)
{
	switch (daemon) {
	case FAULT_DAEMON_RPMBD:
		return trigger == EMU_FAULT_AT_RPMB_WRITE || trigger == EMU_FAULT_AT_RPMB_READ ||
		       trigger == EMU_FAULT_AT_RPMB_SEQ;
	case FAULT_DAEMON_SUPPLICANTD:
		return trigger == EMU_FAULT_AT_RPC;
	case FAULT_DAEMON_STMMD:
		return trigger == EMU_FAULT_AT_MM_CALL;
	}
	return false;
}

int fault_check(enum fault_daemon daemon, const struct emu_ctrl_fault *f, const char **ret_why)
{
	const char *why = NULL;

	if (!trigger_of(daemon, f->trigger))
		why = "this daemon does not take that trigger";
	else if (!action_of(f->trigger, f->action))
		why = "action not valid for the trigger";
	else if (f->count < 1)
		why = "count must be >= 1";
	else if (f->reserved[0] || f->reserved[1])
		why = "reserved fields must be zero";
	else if (f->trigger != EMU_FAULT_AT_RPC && f->rpc_cmd != 0)
		why = "rpc_cmd is only for EMU_FAULT_AT_RPC";
	else if (f->action == EMU_FAULT_RESULT && f->value > 0xff)
		why = "RESULT value must be an RPMB result code (0..0xff)";
	else if (f->action == EMU_FAULT_CORRUPT && (f->value >= 512 || f->value2 > 0xff))
		why = "CORRUPT needs a byte offset < 512 and a mask <= 0xff";
	else if (f->action == EMU_FAULT_DELAY && f->value > 600000)
		why = "DELAY is at most 600000 ms";
	if (why) {
		*ret_why = why;
		return -EINVAL;
	}
	return 0;
}

unsigned fault_table_armed(const struct fault_table *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < EMU_FAULT_MAX; i++)
		n += t->slot[i].armed;
	return n;
}

int fault_table_arm(struct fault_table *t, const struct emu_ctrl_fault *f, uint32_t *ret_id,
		    uint32_t *ret_armed)
{
	for (size_t i = 0; i < EMU_FAULT_MAX; i++) {
		struct fault_slot *s = &t->slot[i];
		if (s->armed)
			continue;
		*s = (struct fault_slot){ .armed = true, .id = ++t->next_id, .f = *f };
		*ret_id = s->id;
		*ret_armed = fault_table_armed(t);
		return 0;
	}
	return -ENOSPC;
}

void fault_table_clear(struct fault_table *t)
{
	for (size_t i = 0; i < EMU_FAULT_MAX; i++)
		t->slot[i].armed = false;
}

static bool matches(const struct fault_slot *s, const uint16_t *triggers, size_t n,
		    uint32_t rpc_cmd)
{
	for (size_t i = 0; i < n; i++) {
		if (s->f.trigger != triggers[i])
			continue;
		if (s->f.trigger == EMU_FAULT_AT_RPC && s->f.rpc_cmd != EMU_FAULT_ANY_RPC &&
		    s->f.rpc_cmd != rpc_cmd)
			return false;
		return true;
	}
	return false;
}

/* Events at which the fault fires: count .. count + repeat - 1. */
static bool due(const struct fault_slot *s)
{
	uint32_t repeat = s->f.repeat ? s->f.repeat : 1;
	if (s->seen < s->f.count)
		return false;
	return repeat == EMU_FAULT_REPEAT_FOREVER || s->seen - s->f.count < repeat;
}

static bool spent(const struct fault_slot *s)
{
	uint32_t repeat = s->f.repeat ? s->f.repeat : 1;
	return repeat != EMU_FAULT_REPEAT_FOREVER && s->seen >= s->f.count &&
	       s->seen - s->f.count + 1 >= repeat;
}

bool fault_table_event(struct fault_table *t, const uint16_t *triggers, size_t n,
		       uint32_t rpc_cmd, struct fault_fired *ret)
{
	struct fault_slot *oldest = NULL;

	for (size_t i = 0; i < EMU_FAULT_MAX; i++) {
		struct fault_slot *s = &t->slot[i];
		if (!s->armed || !matches(s, triggers, n, rpc_cmd))
			continue;
		if (s->seen < UINT32_MAX)
			s->seen++;
		if (due(s) && (!oldest || s->id < oldest->id))
			oldest = s;
	}
	if (oldest) {
		oldest->fired++;
		*ret = (struct fault_fired){ .id = oldest->id, .nth = oldest->fired,
					     .event = oldest->seen, .f = oldest->f };
	}
	/* A fault whose last event has passed is disarmed, fired or not. */
	for (size_t i = 0; i < EMU_FAULT_MAX; i++) {
		struct fault_slot *s = &t->slot[i];
		if (s->armed && matches(s, triggers, n, rpc_cmd) && spent(s))
			s->armed = false;
	}
	return oldest != NULL;
}

const char *fault_action_name(uint16_t action)
{
	switch (action) {
	case EMU_FAULT_POWER_CUT: return "power-cut";
	case EMU_FAULT_DROP_RESPONSE: return "drop-response";
	case EMU_FAULT_DELAY: return "delay";
	case EMU_FAULT_RESULT: return "result";
	case EMU_FAULT_CORRUPT: return "corrupt";
	case EMU_FAULT_SUPP_EXIT: return "exit";
	case EMU_FAULT_SUPP_STALL: return "stall";
	case EMU_FAULT_SUPP_DROP: return "drop";
	case EMU_FAULT_SUPP_ERROR: return "error";
	case EMU_FAULT_STMM_CRASH: return "crash";
	case EMU_FAULT_STMM_TEE_ERROR: return "tee-error";
	default: return "unknown";
	}
}

const char *fault_trigger_name(uint16_t trigger)
{
	switch (trigger) {
	case EMU_FAULT_AT_RPMB_WRITE: return "RPMB write";
	case EMU_FAULT_AT_RPMB_READ: return "RPMB read";
	case EMU_FAULT_AT_RPMB_SEQ: return "RPMB sequence";
	case EMU_FAULT_AT_RPC: return "RPC";
	case EMU_FAULT_AT_MM_CALL: return "MM call";
	default: return "unknown event";
	}
}

static const char *ordinal_suffix(uint32_t n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1: return "st";
	case 2: return "nd";
	case 3: return "rd";
	default: return "th";
	}
}

char *fault_describe(const struct emu_ctrl_fault *f)
{
	g_autofree char *arg = NULL;
	g_autofree char *rep = NULL;
	g_autofree char *rpc = NULL;

	switch (f->action) {
	case EMU_FAULT_DELAY: arg = g_strdup_printf(" %u ms", f->value); break;
	case EMU_FAULT_RESULT: arg = g_strdup_printf(" 0x%02x", f->value); break;
	case EMU_FAULT_CORRUPT:
		arg = g_strdup_printf(" byte %u ^ 0x%02x", f->value, f->value2 ? f->value2 : 0xff);
		break;
	case EMU_FAULT_SUPP_ERROR:
	case EMU_FAULT_STMM_TEE_ERROR: arg = g_strdup_printf(" 0x%08x", f->value); break;
	default: break;
	}
	if (f->trigger == EMU_FAULT_AT_RPC)
		rpc = f->rpc_cmd == EMU_FAULT_ANY_RPC ? g_strdup(" (any kind)")
						      : g_strdup_printf(" (cmd %u)", f->rpc_cmd);
	if (f->repeat == EMU_FAULT_REPEAT_FOREVER)
		rep = g_strdup(" and every one after");
	else if (f->repeat > 1)
		rep = g_strdup_printf(" and the %u after", f->repeat - 1);
	return g_strdup_printf("%s%s at the %u%s %s%s from now%s", fault_action_name(f->action),
			       arg ? arg : "", f->count, ordinal_suffix(f->count),
			       fault_trigger_name(f->trigger), rpc ? rpc : "", rep ? rep : "");
}

int fault_ctrl_handle(struct fault_table *t, enum fault_daemon daemon, int fd,
		      const struct emu_msg *msg)
{
	if (msg->hdr.type == EMU_MSG_CTRL_FAULT_CLEAR_REQ) {
		if (msg->hdr.length != 0)
			return emu_ipc_send_error(fd, msg->hdr.req_id, -EINVAL,
						  "FAULT_CLEAR_REQ carries no payload");
		unsigned n = fault_table_armed(t);
		fault_table_clear(t);
		g_message("faults cleared (%u were armed)", n);
		return emu_ipc_send(fd, EMU_MSG_CTRL_FAULT_CLEAR_RSP, msg->hdr.req_id, NULL, 0);
	}
	struct emu_ctrl_fault f;
	if (msg->hdr.type != EMU_MSG_CTRL_FAULT_REQ || msg->hdr.length != sizeof(f))
		return emu_ipc_send_error(fd, msg->hdr.req_id, -EINVAL,
					  "FAULT_REQ takes a %zu-byte struct emu_ctrl_fault",
					  sizeof(f));
	memcpy(&f, msg->payload, sizeof(f));
	const char *why = NULL;
	int r = fault_check(daemon, &f, &why);
	if (r < 0)
		return emu_ipc_send_error(fd, msg->hdr.req_id, r, "fault refused: %s", why);
	struct emu_ctrl_fault_rsp rsp;
	r = fault_table_arm(t, &f, &rsp.id, &rsp.armed);
	if (r < 0)
		return emu_ipc_send_error(fd, msg->hdr.req_id, r, "%u faults are armed already",
					  EMU_FAULT_MAX);
	g_autofree char *text = fault_describe(&f);
	g_message("fault #%u armed: %s", rsp.id, text);
	return emu_ipc_send(fd, EMU_MSG_CTRL_FAULT_RSP, msg->hdr.req_id, &rsp, sizeof(rsp));
}

__attribute__((weak)) void fault_fired_note(const char *text)
{
	(void)text;
}

void fault_log_fired(const struct fault_fired *ff, const char *event_text)
{
	g_autofree char *text = g_strdup_printf(
		"fault #%u fired: %s at %s %u since armed (firing %u)", ff->id,
		fault_action_name(ff->f.action), event_text ? event_text
							     : fault_trigger_name(ff->f.trigger),
		ff->event, ff->nth);
	g_message("%s", text);
	fault_fired_note(text);
}
