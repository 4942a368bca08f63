/* SPDX-License-Identifier: MIT */
/*
 * Trace record decoding (see trace_decode.h).  Layouts: include/emu_ipc.h (messages),
 * include/mm.h + include/efi.h (MM buffers, edk2 SmmVariableCommon.h), include/optee_rpmb.h
 * (OP-TEE's RPMB RPC, optee_os core/include/optee_rpc_cmd.h), include/rpmb_frame.h (JEDEC
 * frames).  Everything is read with memcpy from bounded offsets.
 */
#include "trace_decode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "efi_util.h"
#include "emu_ipc.h"
#include "ffa.h"
#include "mm.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_frame.h"
#include "rpmb_host.h"

struct pending_rpc {
	uint32_t cmd;      /* OPTEE_RPC_CMD_* */
	uint16_t rpmb_cmd; /* RPMB_CMD_* (cmd RPMB) */
};

struct trace_dec {
	bool have_key;
	uint8_t key[RPMB_KEY_SIZE];
	GHashTable *pending; /* (recorder pid << 32 | req_id) -> struct pending_rpc */
	GHashTable *ctrl;    /* same key -> request type, for control replies */
};

struct trace_dec *trace_dec_new(const uint8_t *key)
{
	struct trace_dec *d = g_new0(struct trace_dec, 1);
	if (key) {
		d->have_key = true;
		memcpy(d->key, key, RPMB_KEY_SIZE);
	}
	d->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	d->ctrl = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	return d;
}

void trace_dec_free(struct trace_dec *d)
{
	if (!d)
		return;
	g_hash_table_destroy(d->pending);
	g_hash_table_destroy(d->ctrl);
	g_free(d);
}

static void item_free(gpointer p)
{
	struct trace_item *it = p;
	g_string_free(it->text, TRUE);
	json_object_unref(it->fields);
	g_free(it->var);
	g_free(it);
}

static struct trace_item *item_new(GPtrArray *items, const char *layer)
{
	struct trace_item *it = g_new0(struct trace_item, 1);
	it->layer = layer;
	it->text = g_string_new("");
	it->fields = json_object_new();
	json_object_set_string_member(it->fields, "layer", layer);
	g_ptr_array_add(items, it);
	return it;
}

static void say(struct trace_item *it, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(struct trace_item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (it->text->len)
		g_string_append_c(it->text, ' ');
	g_string_append_vprintf(it->text, fmt, ap);
	va_end(ap);
}

static void f_str(struct trace_item *it, const char *k, const char *v)
{
	/* JSON needs valid UTF-8. */
	g_autofree char *valid = g_utf8_make_valid(v, -1);
	json_object_set_string_member(it->fields, k, valid);
}

static void f_int(struct trace_item *it, const char *k, gint64 v)
{
	json_object_set_int_member(it->fields, k, v);
}

static void f_hex(struct trace_item *it, const char *k, const uint8_t *p, size_t n)
{
	g_autoptr(GString) s = g_string_new("");
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", p[i]);
	json_object_set_string_member(it->fields, k, s->str);
}

static void undecodable(GPtrArray *items, const char *layer, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static void undecodable(GPtrArray *items, const char *layer, const char *fmt, ...)
{
	struct trace_item *it = item_new(items, layer);
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	say(it, "undecodable: %s", why);
	f_str(it, "undecodable", why);
}

/* ---- names ----------------------------------------------------------------------------- */

const char *trace_tee_result_name(uint32_t ret)
{
	switch (ret) {
	case TEE_SUCCESS: return "SUCCESS";
	case TEE_ERROR_GENERIC: return "ERROR_GENERIC";
	case TEE_ERROR_ACCESS_DENIED: return "ERROR_ACCESS_DENIED";
	case TEE_ERROR_CANCEL: return "ERROR_CANCEL";
	case TEE_ERROR_ACCESS_CONFLICT: return "ERROR_ACCESS_CONFLICT";
	case TEE_ERROR_EXCESS_DATA: return "ERROR_EXCESS_DATA";
	case TEE_ERROR_BAD_FORMAT: return "ERROR_BAD_FORMAT";
	case TEE_ERROR_BAD_PARAMETERS: return "ERROR_BAD_PARAMETERS";
	case TEE_ERROR_BAD_STATE: return "ERROR_BAD_STATE";
	case TEE_ERROR_ITEM_NOT_FOUND: return "ERROR_ITEM_NOT_FOUND";
	case TEE_ERROR_NOT_IMPLEMENTED: return "ERROR_NOT_IMPLEMENTED";
	case TEE_ERROR_NOT_SUPPORTED: return "ERROR_NOT_SUPPORTED";
	case TEE_ERROR_NO_DATA: return "ERROR_NO_DATA";
	case TEE_ERROR_OUT_OF_MEMORY: return "ERROR_OUT_OF_MEMORY";
	case TEE_ERROR_BUSY: return "ERROR_BUSY";
	case TEE_ERROR_COMMUNICATION: return "ERROR_COMMUNICATION";
	case TEE_ERROR_SECURITY: return "ERROR_SECURITY";
	case TEE_ERROR_SHORT_BUFFER: return "ERROR_SHORT_BUFFER";
	case TEE_ERROR_TIMEOUT: return "ERROR_TIMEOUT";
	case TEE_ERROR_TARGET_DEAD: return "ERROR_TARGET_DEAD";
	case TEE_ERROR_STORAGE_NOT_AVAILABLE: return "ERROR_STORAGE_NOT_AVAILABLE";
	default: return "?";
	}
}

const char *trace_mm_ret_name(int32_t ret)
{
	switch (ret) {
	case ARM_SPM_MM_RET_SUCCESS: return "SUCCESS";
	case ARM_SPM_MM_RET_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case ARM_SPM_MM_RET_INVALID_PARAMS: return "INVALID_PARAMS";
	case ARM_SPM_MM_RET_DENIED: return "DENIED";
	case ARM_SPM_MM_RET_NO_MEMORY: return "NO_MEMORY";
	default: return "?";
	}
}

static const char *origin_name(uint32_t o)
{
	switch (o) {
	case TEE_ORIGIN_API: return "API";
	case TEE_ORIGIN_COMMS: return "COMMS";
	case TEE_ORIGIN_TEE: return "TEE";
	case TEE_ORIGIN_TRUSTED_APP: return "TRUSTED_APP";
	default: return "?";
	}
}

static const char *mm_function_name(uint64_t f)
{
	switch (f) {
	case SMM_VARIABLE_FUNCTION_GET_VARIABLE: return "GET_VARIABLE";
	case SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME: return "GET_NEXT_VARIABLE_NAME";
	case SMM_VARIABLE_FUNCTION_SET_VARIABLE: return "SET_VARIABLE";
	case SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO: return "QUERY_VARIABLE_INFO";
	case SMM_VARIABLE_FUNCTION_READY_TO_BOOT: return "READY_TO_BOOT";
	case SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE: return "EXIT_BOOT_SERVICE";
	case SMM_VARIABLE_FUNCTION_GET_STATISTICS: return "GET_STATISTICS";
	case SMM_VARIABLE_FUNCTION_LOCK_VARIABLE: return "LOCK_VARIABLE";
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET: return "VAR_CHECK_VARIABLE_PROPERTY_SET";
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET: return "VAR_CHECK_VARIABLE_PROPERTY_GET";
	case SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE: return "GET_PAYLOAD_SIZE";
	case SMM_VARIABLE_FUNCTION_INIT_RUNTIME_VARIABLE_CACHE_CONTEXT: return "INIT_RUNTIME_VARIABLE_CACHE_CONTEXT";
	case SMM_VARIABLE_FUNCTION_SYNC_RUNTIME_CACHE: return "SYNC_RUNTIME_CACHE";
	case SMM_VARIABLE_FUNCTION_GET_RUNTIME_CACHE_INFO: return "GET_RUNTIME_CACHE_INFO";
	default: return NULL;
	}
}

static const char *guid_name(const efi_guid_t *g)
{
	static const struct { efi_guid_t g; const char *name; } known[] = {
		{ SMM_VARIABLE_GUID, "gEfiSmmVariableProtocolGuid" },
		{ EFI_END_OF_DXE_EVENT_GROUP_GUID, "gEfiEndOfDxeEventGroupGuid" },
		{ EFI_EVENT_READY_TO_BOOT_GUID, "gEfiEventReadyToBootGuid" },
		{ EFI_EVENT_EXIT_BOOT_SERVICES_GUID, "gEfiEventExitBootServicesGuid" },
		{ EFI_GLOBAL_VARIABLE_GUID, "EFI_GLOBAL_VARIABLE" },
		{ EFI_IMAGE_SECURITY_DATABASE_GUID, "EFI_IMAGE_SECURITY_DATABASE" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
		if (efi_guid_equal(&known[i].g, g))
			return known[i].name;
	return NULL;
}

static const char *rpc_cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case OPTEE_RPC_CMD_RPMB: return "RPMB";
	case OPTEE_RPC_CMD_SHM_ALLOC: return "SHM_ALLOC";
	case OPTEE_RPC_CMD_SHM_FREE: return "SHM_FREE";
	case OPTEE_RPC_CMD_RPMB_PROBE_RESET: return "RPMB_PROBE_RESET";
	case OPTEE_RPC_CMD_RPMB_PROBE_NEXT: return "RPMB_PROBE_NEXT";
	case OPTEE_RPC_CMD_RPMB_FRAMES: return "RPMB_FRAMES";
	default: return "?";
	}
}

static const char *frame_type_name(uint16_t t)
{
	switch (t) {
	case RPMB_REQ_PROGRAM_KEY: return "PROGRAM_KEY";
	case RPMB_REQ_WRITE_COUNTER: return "GET_WRITE_COUNTER";
	case RPMB_REQ_DATA_WRITE: return "DATA_WRITE";
	case RPMB_REQ_DATA_READ: return "DATA_READ";
	case RPMB_REQ_RESULT_READ: return "RESULT_READ";
	case RPMB_REQ_CONF_WRITE: return "CONF_WRITE";
	case RPMB_REQ_CONF_READ: return "CONF_READ";
	case RPMB_RESP_PROGRAM_KEY: return "PROGRAM_KEY_RESP";
	case RPMB_RESP_WRITE_COUNTER: return "GET_WRITE_COUNTER_RESP";
	case RPMB_RESP_DATA_WRITE: return "DATA_WRITE_RESP";
	case RPMB_RESP_DATA_READ: return "DATA_READ_RESP";
	case RPMB_RESP_CONF_WRITE: return "CONF_WRITE_RESP";
	case RPMB_RESP_CONF_READ: return "CONF_READ_RESP";
	default: return NULL;
	}
}

static const char *msg_type_name(uint16_t t)
{
	switch (t) {
	case EMU_MSG_ERROR: return "ERROR";
	case EMU_MSG_MMC_INFO_REQ: return "MMC_INFO_REQ";
	case EMU_MSG_MMC_INFO_RSP: return "MMC_INFO_RSP";
	case EMU_MSG_MMC_SEQ_REQ: return "MMC_SEQ_REQ";
	case EMU_MSG_MMC_SEQ_RSP: return "MMC_SEQ_RSP";
	case EMU_MSG_MMC_CMD_REQ: return "MMC_CMD_REQ";
	case EMU_MSG_MMC_CMD_RSP: return "MMC_CMD_RSP";
	case EMU_MSG_SUPP_REGISTER_RPMB_REQ: return "SUPP_REGISTER_RPMB";
	case EMU_MSG_SUPP_REGISTER_RPMB_RSP: return "SUPP_REGISTER_RPMB_RSP";
	case EMU_MSG_TEE_OPEN_SESSION_REQ: return "OPEN_SESSION";
	case EMU_MSG_TEE_OPEN_SESSION_RSP: return "OPEN_SESSION_RSP";
	case EMU_MSG_TEE_CLOSE_SESSION_REQ: return "CLOSE_SESSION";
	case EMU_MSG_TEE_CLOSE_SESSION_RSP: return "CLOSE_SESSION_RSP";
	case EMU_MSG_TEE_REGISTER_SHM_REQ: return "REGISTER_SHM";
	case EMU_MSG_TEE_REGISTER_SHM_RSP: return "REGISTER_SHM_RSP";
	case EMU_MSG_TEE_UNREGISTER_SHM_REQ: return "UNREGISTER_SHM";
	case EMU_MSG_TEE_UNREGISTER_SHM_RSP: return "UNREGISTER_SHM_RSP";
	case EMU_MSG_TEE_INVOKE_REQ: return "INVOKE";
	case EMU_MSG_TEE_INVOKE_RSP: return "INVOKE_RSP";
	case EMU_MSG_SUPP_REGISTER_REQ: return "SUPP_REGISTER";
	case EMU_MSG_SUPP_REGISTER_RSP: return "SUPP_REGISTER_RSP";
	case EMU_MSG_SUPP_RPC_REQ: return "RPC";
	case EMU_MSG_SUPP_RPC_RSP: return "RPC_RSP";
	case EMU_MSG_CTRL_STATUS_REQ: return "CTRL_STATUS";
	case EMU_MSG_CTRL_STATUS_RSP: return "CTRL_STATUS_RSP";
	case EMU_MSG_CTRL_RESET_REQ: return "CTRL_RESET";
	case EMU_MSG_CTRL_RESET_RSP: return "CTRL_RESET_RSP";
	case EMU_MSG_CTRL_EXPORT_REQ: return "CTRL_EXPORT";
	case EMU_MSG_CTRL_EXPORT_RSP: return "CTRL_EXPORT_RSP";
	case EMU_MSG_CTRL_FAULT_REQ: return "CTRL_FAULT";
	case EMU_MSG_CTRL_FAULT_RSP: return "CTRL_FAULT_RSP";
	case EMU_MSG_CTRL_FAULT_CLEAR_REQ: return "CTRL_FAULT_CLEAR";
	case EMU_MSG_CTRL_FAULT_CLEAR_RSP: return "CTRL_FAULT_CLEAR_RSP";
	case EMU_MSG_FFA_REQ: return "FFA";
	case EMU_MSG_FFA_RSP: return "FFA_RSP";
	case EMU_MSG_FFA_MM_BUF_REQ: return "FFA_MM_BUF";
	case EMU_MSG_FFA_MM_BUF_RSP: return "FFA_MM_BUF_RSP";
	default: return NULL;
	}
}

static void attrs_text(uint32_t a, char *buf, size_t size)
{
	static const struct { uint32_t bit; const char *n; } bits[] = {
		{ EFI_VARIABLE_NON_VOLATILE, "NV" },
		{ EFI_VARIABLE_BOOTSERVICE_ACCESS, "BS" },
		{ EFI_VARIABLE_RUNTIME_ACCESS, "RT" },
		{ EFI_VARIABLE_HARDWARE_ERROR_RECORD, "HR" },
		{ EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS, "AW" },
		{ EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS, "AT" },
		{ EFI_VARIABLE_APPEND_WRITE, "AP" },
		{ EFI_VARIABLE_ENHANCED_AUTHENTICATED_ACCESS, "EA" },
	};
	g_autoptr(GString) s = g_string_new("");
	uint32_t rest = a;
	for (size_t i = 0; i < G_N_ELEMENTS(bits); i++)
		if (a & bits[i].bit) {
			g_string_append_printf(s, "%s%s", s->len ? "|" : "", bits[i].n);
			rest &= ~bits[i].bit;
		}
	if (rest)
		g_string_append_printf(s, "%s0x%x", s->len ? "|" : "", rest);
	g_strlcpy(buf, s->len ? s->str : "0", size);
}

static void guid_field(struct trace_item *it, const char *key, const efi_guid_t *g, bool show)
{
	char buf[EFI_GUID_STRING_SIZE];
	efi_guid_format(g, buf);
	const char *n = guid_name(g);
	f_str(it, key, buf);
	if (n) {
		g_autofree char *k = g_strdup_printf("%s_name", key);
		f_str(it, k, n);
	}
	if (show)
		say(it, "%s", n ? n : buf);
}

/* ---- mm layer -------------------------------------------------------------------------- */

/* A UCS-2 name of name_size bytes at p (avail bytes present). */
static void mm_name(struct trace_item *it, const uint8_t *p, size_t avail, uint64_t name_size)
{
	if (name_size > avail || name_size % 2) {
		say(it, "name: (%" PRIu64 " bytes, %zu present)", name_size, avail);
		f_int(it, "name_size", (gint64)name_size);
		return;
	}
	/* Up to the first NUL. */
	size_t n = 0;
	while (n + 1 < name_size && (p[n] | p[n + 1]))
		n += 2;
	g_autofree char *utf8 = NULL;
	if (ucs2_to_utf8(p, n, &utf8) < 0 || !utf8) {
		g_free(utf8);
		utf8 = g_strdup("?");
	}
	say(it, "%s", utf8);
	f_str(it, "name", utf8);
	f_int(it, "name_size", (gint64)name_size);
	g_free(it->var);
	it->var = g_strdup(utf8);
}

static void decode_mm(GPtrArray *items, const struct emu_trace_rec *rec, const uint8_t *data)
{
	struct emu_trace_mm mm;
	bool rsp = rec->kind == EMU_TRACE_MM_RSP;

	if (rec->length < sizeof(mm)) {
		undecodable(items, "mm", "MM record of %u bytes, shorter than its %zu-byte header",
			    rec->length, sizeof(mm));
		return;
	}
	memcpy(&mm, data, sizeof(mm));
	const uint8_t *b = data + sizeof(mm);
	size_t len = rec->length - sizeof(mm);
	if (mm.memref_size < len)
		len = (size_t)mm.memref_size;

	struct trace_item *it = item_new(items, "mm");
	say(it, "%s", rsp ? "MM_RSP" : "MM_REQ");
	f_str(it, "kind", rsp ? "MM_RSP" : "MM_REQ");
	f_int(it, "session", mm.session);
	f_int(it, "req_id", mm.req_id);
	f_int(it, "memref_size", (gint64)mm.memref_size);
	if (len < MM_COMMUNICATE_HEADER_SIZE) {
		say(it, "undecodable: buffer of %zu bytes, shorter than EFI_MM_COMMUNICATE_HEADER", len);
		f_str(it, "undecodable", "buffer shorter than EFI_MM_COMMUNICATE_HEADER");
		goto ret;
	}
	efi_guid_t hg;
	uint64_t msg_len;
	memcpy(&hg, b, sizeof(hg));
	memcpy(&msg_len, b + 16, sizeof(msg_len));
	const char *gn = guid_name(&hg);
	guid_field(it, "header_guid", &hg, !(gn && efi_guid_equal(&hg, &(efi_guid_t)SMM_VARIABLE_GUID)));
	f_int(it, "message_length", (gint64)msg_len);
	if (!efi_guid_equal(&hg, &(efi_guid_t)SMM_VARIABLE_GUID)) {
		say(it, "MessageLength %" PRIu64, msg_len);
		goto ret;
	}
	if (len < MM_VARIABLE_PAYLOAD_OFFSET) {
		say(it, "undecodable: no SMM_VARIABLE_COMMUNICATE_HEADER (%zu bytes)", len);
		f_str(it, "undecodable", "buffer shorter than SMM_VARIABLE_COMMUNICATE_HEADER");
		goto ret;
	}
	uint64_t fn, status;
	memcpy(&fn, b + 24, 8);
	memcpy(&status, b + 32, 8);
	const char *fname = mm_function_name(fn);
	if (fname)
		say(it, "%s", fname);
	else
		say(it, "function 0x%" PRIx64, fn);
	f_str(it, "function", fname ? fname : "?");
	f_int(it, "function_id", (gint64)fn);
	const uint8_t *p = b + MM_VARIABLE_PAYLOAD_OFFSET;
	size_t plen = len - MM_VARIABLE_PAYLOAD_OFFSET;
	switch (fn) {
	case SMM_VARIABLE_FUNCTION_GET_VARIABLE:
	case SMM_VARIABLE_FUNCTION_SET_VARIABLE: {
		if (plen < SMM_VARIABLE_ACCESS_NAME_OFFSET) {
			say(it, "(access header truncated)");
			break;
		}
		efi_guid_t g;
		uint64_t dsz, nsz;
		uint32_t attrs;
		memcpy(&g, p, 16);
		memcpy(&dsz, p + 16, 8);
		memcpy(&nsz, p + 24, 8);
		memcpy(&attrs, p + 32, 4);
		mm_name(it, p + 36, plen - 36, nsz);
		guid_field(it, "guid", &g, true);
		char ab[64];
		attrs_text(attrs, ab, sizeof(ab));
		say(it, "attrs %s DataSize %" PRIu64, ab, dsz);
		f_str(it, "attributes", ab);
		f_int(it, "attributes_value", attrs);
		f_int(it, "data_size", (gint64)dsz);
		/* The data: what SetVariable writes, what GetVariable answered. */
		if ((fn == SMM_VARIABLE_FUNCTION_SET_VARIABLE) != rsp && nsz <= plen - 36 &&
		    dsz <= plen - 36 - nsz)
			f_hex(it, "data", p + 36 + nsz, (size_t)dsz);
		break;
	}
	case SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME:
	case SMM_VARIABLE_FUNCTION_LOCK_VARIABLE: {
		if (plen < SMM_VARIABLE_GET_NEXT_NAME_OFFSET) {
			say(it, "(header truncated)");
			break;
		}
		efi_guid_t g;
		uint64_t nsz;
		memcpy(&g, p, 16);
		memcpy(&nsz, p + 16, 8);
		/* GET_NEXT: the name buffer is name_size bytes; an empty name starts the walk. */
		mm_name(it, p + 24, plen - 24, MIN(nsz, (uint64_t)(plen - 24)));
		guid_field(it, "guid", &g, true);
		say(it, "NameSize %" PRIu64, nsz);
		break;
	}
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET:
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET: {
		if (plen < SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET) {
			say(it, "(header truncated)");
			break;
		}
		efi_guid_t g;
		uint64_t nsz, mn, mx;
		uint16_t prop;
		uint32_t attrs;
		memcpy(&g, p, 16);
		memcpy(&nsz, p + 16, 8);
		memcpy(&prop, p + 26, 2);
		memcpy(&attrs, p + 28, 4);
		memcpy(&mn, p + 32, 8);
		memcpy(&mx, p + 40, 8);
		mm_name(it, p + 48, plen - 48, nsz);
		guid_field(it, "guid", &g, true);
		char ab[64];
		attrs_text(attrs, ab, sizeof(ab));
		say(it, "property 0x%x attrs %s size %" PRIu64 "..%" PRIu64, prop, ab, mn, mx);
		f_int(it, "property", prop);
		f_str(it, "attributes", ab);
		f_int(it, "min_size", (gint64)mn);
		f_int(it, "max_size", (gint64)mx);
		break;
	}
	case SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO:
		if (plen >= sizeof(struct smm_variable_query_info)) {
			struct smm_variable_query_info q;
			memcpy(&q, p, sizeof(q));
			char ab[64];
			attrs_text(q.attributes, ab, sizeof(ab));
			say(it, "attrs %s", ab);
			f_str(it, "attributes", ab);
			if (rsp) {
				say(it, "max %" PRIu64 " remaining %" PRIu64 " max var %" PRIu64,
				    q.maximum_variable_storage_size, q.remaining_variable_storage_size,
				    q.maximum_variable_size);
				f_int(it, "maximum_variable_storage_size", (gint64)q.maximum_variable_storage_size);
				f_int(it, "remaining_variable_storage_size", (gint64)q.remaining_variable_storage_size);
				f_int(it, "maximum_variable_size", (gint64)q.maximum_variable_size);
			}
		}
		break;
	case SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE:
		if (rsp && plen >= 8) {
			uint64_t v;
			memcpy(&v, p, 8);
			say(it, "VariablePayloadSize %" PRIu64, v);
			f_int(it, "variable_payload_size", (gint64)v);
		}
		break;
	default:
		break;
	}
	if (rsp) {
		const char *sn = efi_status_name((efi_status_t)status);
		char sb[64];
		if (!sn)
			sn = efi_status_str((efi_status_t)status, sb, sizeof(sb));
		say(it, "-> %s", sn);
		f_str(it, "return_status", sn);
	}
ret:
	if (rsp) {
		say(it, "mm %s tee %s", trace_mm_ret_name((int32_t)mm.mm_ret),
		    trace_tee_result_name(mm.tee_ret));
		f_int(it, "mm_ret", (int32_t)mm.mm_ret);
		f_str(it, "mm_ret_name", trace_mm_ret_name((int32_t)mm.mm_ret));
		f_int(it, "tee_ret", mm.tee_ret);
	}
}

/* ---- rpmb layer ------------------------------------------------------------------------ */

static bool frame_is_macced(uint16_t t, uint16_t result)
{
	if (t == RPMB_REQ_DATA_WRITE || t == RPMB_REQ_CONF_WRITE)
		return true;
	/* The key programming result carries no MAC (mmc-utils' do_rpmb_write_key does not
	 * check one; OP-TEE's tee_rpmb_write_and_verify_key only checks the result). */
	if (t > RPMB_RESP_PROGRAM_KEY && t <= RPMB_RESP_CONF_READ && !(t & 0xff))
		return (result & RPMB_RESULT_MASK) != RPMB_RESULT_NO_AUTH_KEY;
	return false;
}

/* n frames at p (a group: one MAC, in the last). */
static void decode_frames(struct trace_dec *d, GPtrArray *items, const uint8_t *p, size_t n,
			  const char *where)
{
	if (n == 0)
		return;
	g_autofree struct rpmb_frame *fr = g_new(struct rpmb_frame, n);
	memcpy(fr, p, n * RPMB_FRAME_SIZE);
	for (size_t i = 0; i < n; i++) {
		struct rpmb_frame_info fi;
		rpmb_frame_get_info(&fr[i], &fi);
		struct trace_item *it = item_new(items, "rpmb");
		const char *tn = frame_type_name(fi.req_resp);
		char rb[64];
		const char *rn = rpmb_result_name(fi.result, rb, sizeof(rb));
		if (n > 1)
			say(it, "[%zu/%zu]", i + 1, n);
		if (tn)
			say(it, "%s", tn);
		else
			say(it, "type 0x%04x", fi.req_resp);
		bool is_rsp = fi.req_resp >= 0x100;
		say(it, "addr %u blocks %u wc %u", fi.address, fi.block_count, fi.write_counter);
		if (is_rsp)
			say(it, "result %s", rn);
		f_str(it, "where", where);
		f_str(it, "type", tn ? tn : "?");
		f_int(it, "req_resp", fi.req_resp);
		f_int(it, "address", fi.address);
		f_int(it, "block_count", fi.block_count);
		f_int(it, "write_counter", fi.write_counter);
		f_int(it, "result", fi.result);
		f_str(it, "result_name", rn);
		f_hex(it, "nonce", fr[i].nonce, sizeof(fr[i].nonce));
		if (i + 1 < n)
			continue;
		if (fi.req_resp == RPMB_REQ_PROGRAM_KEY) {
			say(it, "key: (in frame)");
			f_str(it, "mac", "key");
		} else if (!frame_is_macced(fi.req_resp, fi.result)) {
			f_str(it, "mac", "none");
		} else if (!d->have_key) {
			say(it, "mac: not checked");
			f_str(it, "mac", "not checked");
		} else {
			bool ok = rpmb_verify_frames(d->key, fr, n);
			say(it, "%s", ok ? "mac ok" : "mac BAD");
			f_str(it, "mac", ok ? "ok" : "BAD");
		}
	}
}

/* ---- rpc layer ------------------------------------------------------------------------- */

static gint64 *pend_key(const struct emu_trace_rec *rec, uint32_t req_id)
{
	gint64 *k = g_new(gint64, 1);
	*k = (gint64)(((guint64)rec->pid << 32) | req_id); /* pid and id as the file has them */
	return k;
}

static void decode_rpc_req(struct trace_dec *d, GPtrArray *items, const struct emu_trace_rec *rec,
			   const struct emu_msg_hdr *h, const uint8_t *p, size_t len)
{
	struct emu_supp_rpc rpc;
	if (len < sizeof(rpc)) {
		undecodable(items, "rpc", "SUPP_RPC_REQ of %zu bytes, no emu_supp_rpc", len);
		return;
	}
	memcpy(&rpc, p, sizeof(rpc));
	struct trace_item *it = item_new(items, "rpc");
	say(it, "RPC %s in %u out %u", rpc_cmd_name(rpc.cmd), rpc.in_len, rpc.out_len);
	f_str(it, "msg", "SUPP_RPC_REQ");
	f_int(it, "req_id", h->req_id);
	f_str(it, "cmd", rpc_cmd_name(rpc.cmd));
	f_int(it, "cmd_id", rpc.cmd);
	f_int(it, "in_len", rpc.in_len);
	f_int(it, "out_len", rpc.out_len);
	struct pending_rpc *pr = g_new0(struct pending_rpc, 1);
	pr->cmd = rpc.cmd;
	pr->rpmb_cmd = 0xffff;
	const uint8_t *in = p + sizeof(rpc);
	size_t in_avail = MIN((size_t)rpc.in_len, len - sizeof(rpc));
	if ((rpc.cmd == OPTEE_RPC_CMD_RPMB) && in_avail >= RPMB_REQ_HEADER_SIZE) {
		uint16_t cmd, dev, cnt;
		memcpy(&cmd, in, 2);
		memcpy(&dev, in + 2, 2);
		memcpy(&cnt, in + 4, 2);
		size_t nfr = (in_avail - RPMB_REQ_HEADER_SIZE) / RPMB_FRAME_SIZE;
		const char *cn = cmd == RPMB_CMD_DATA_REQ ? "DATA_REQ" : cmd == RPMB_CMD_GET_DEV_INFO ? "GET_DEV_INFO" : "?";
		say(it, "rpmb_req %s dev %u block_count %u frames %zu", cn, dev, cnt, nfr);
		f_str(it, "rpmb_cmd", cn);
		f_int(it, "dev_id", dev);
		f_int(it, "block_count", cnt);
		f_int(it, "frames", (gint64)nfr);
		pr->rpmb_cmd = cmd;
		if (cmd == RPMB_CMD_DATA_REQ)
			decode_frames(d, items, in + RPMB_REQ_HEADER_SIZE, nfr, "rpc request");
	} else if (rpc.cmd == OPTEE_RPC_CMD_RPMB_FRAMES && in_avail) {
		size_t nfr = in_avail / RPMB_FRAME_SIZE;
		decode_frames(d, items, in, nfr, "rpc request");
	}
	g_hash_table_replace(d->pending, pend_key(rec, h->req_id), pr);
}

static void decode_rpc_rsp(struct trace_dec *d, GPtrArray *items, const struct emu_trace_rec *rec,
			   const struct emu_msg_hdr *h, const uint8_t *p, size_t len)
{
	struct emu_supp_rpc_rsp rr;
	if (len < sizeof(rr)) {
		undecodable(items, "rpc", "SUPP_RPC_RSP of %zu bytes, no emu_supp_rpc_rsp", len);
		return;
	}
	memcpy(&rr, p, sizeof(rr));
	g_autofree gint64 *k = pend_key(rec, h->req_id);
	struct pending_rpc pr = { .cmd = 0xffffffffu, .rpmb_cmd = 0xffff };
	struct pending_rpc *p_pr = g_hash_table_lookup(d->pending, k);
	bool found = p_pr != NULL;
	if (found) {
		pr = *p_pr;
		g_hash_table_remove(d->pending, k);
	}
	struct trace_item *it = item_new(items, "rpc");
	g_autofree char *rn = g_strdup_printf("TEEC_%s", trace_tee_result_name(rr.ret));
	if (strchr(rn, '?')) {
		g_free(rn);
		rn = g_strdup_printf("0x%08x", rr.ret);
	}
	say(it, "RPC_RSP %s %s out %u", found ? rpc_cmd_name(pr.cmd) : "(unmatched)", rn,
	    rr.out_len);
	f_str(it, "ret_name", rn);
	f_str(it, "msg", "SUPP_RPC_RSP");
	f_int(it, "req_id", h->req_id);
	f_int(it, "ret", rr.ret);
	f_int(it, "out_len", rr.out_len);
	if (found)
		f_str(it, "cmd", rpc_cmd_name(pr.cmd));
	const uint8_t *out = p + sizeof(rr);
	size_t avail = MIN((size_t)rr.out_len, len - sizeof(rr));
	if (pr.cmd == OPTEE_RPC_CMD_RPMB && pr.rpmb_cmd == RPMB_CMD_GET_DEV_INFO &&
	    avail >= sizeof(struct rpmb_dev_info)) {
		struct rpmb_dev_info di;
		memcpy(&di, out, sizeof(di));
		g_autoptr(GString) cid = g_string_new("");
		for (size_t i = 0; i < 16; i++)
			g_string_append_printf(cid, "%02x", di.cid[i]);
		say(it, "dev_info cid %s size_mult %u rel_wr_sec_c %u ret_code %u", cid->str,
		    di.rpmb_size_mult, di.rel_wr_sec_c, di.ret_code);
		f_str(it, "cid", cid->str);
		f_int(it, "rpmb_size_mult", di.rpmb_size_mult);
		f_int(it, "rel_wr_sec_c", di.rel_wr_sec_c);
		f_int(it, "ret_code", di.ret_code);
	} else if ((pr.cmd == OPTEE_RPC_CMD_RPMB && pr.rpmb_cmd == RPMB_CMD_DATA_REQ) ||
		   pr.cmd == OPTEE_RPC_CMD_RPMB_FRAMES) {
		decode_frames(d, items, out, avail / RPMB_FRAME_SIZE, "rpc response");
	}
}

/* ---- mmc layer ------------------------------------------------------------------------- */

static void decode_mmc_seq(struct trace_dec *d, GPtrArray *items, const uint8_t *p, size_t len)
{
	struct emu_mmc_seq seq;
	if (len < sizeof(seq)) {
		undecodable(items, "mmc", "MMC_SEQ_REQ of %zu bytes, no emu_mmc_seq", len);
		return;
	}
	memcpy(&seq, p, sizeof(seq));
	struct trace_item *it = item_new(items, "mmc");
	g_autoptr(GString) ct = g_string_new("");
	f_str(it, "msg", "MMC_SEQ_REQ");
	f_int(it, "num_cmds", seq.num_cmds);
	JsonArray *cmds = json_array_new();
	size_t off = sizeof(seq);
	g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(size_t) * 2);
	for (uint32_t i = 0; i < seq.num_cmds && i < EMU_MMC_MAX_CMDS; i++) {
		struct emu_mmc_cmd c;
		if (len - off < sizeof(c)) {
			g_string_append_printf(ct, " (truncated at command %u)", i);
			break;
		}
		memcpy(&c, p + off, sizeof(c));
		off += sizeof(c);
		JsonObject *o = json_object_new();
		json_object_set_int_member(o, "opcode", c.opcode);
		json_object_set_int_member(o, "arg", c.arg);
		json_object_set_int_member(o, "blocks", c.blocks);
		json_array_add_object_element(cmds, o);
		if (c.opcode == MMC_SET_BLOCK_COUNT)
			g_string_append_printf(ct, "%sCMD23 count %u%s", i ? ", " : "",
					       c.arg & MMC_CMD23_COUNT_MASK,
					       c.arg & MMC_CMD23_RELIABLE_WRITE ? " reliable" : "");
		else if (c.opcode == MMC_WRITE_MULTIPLE_BLOCK)
			g_string_append_printf(ct, "%sCMD25 %u blocks", i ? ", " : "", c.blocks);
		else if (c.opcode == MMC_READ_MULTIPLE_BLOCK)
			g_string_append_printf(ct, "%sCMD18 %u blocks", i ? ", " : "", c.blocks);
		else
			g_string_append_printf(ct, "%sCMD%u arg 0x%x blocks %u", i ? ", " : "",
					       c.opcode, c.arg, c.blocks);
		if (c.opcode == MMC_WRITE_MULTIPLE_BLOCK) {
			size_t want = (size_t)c.blocks * RPMB_FRAME_SIZE;
			if (c.blocks > 64 || len - off < want) {
				g_string_append(ct, " (data truncated)");
				break;
			}
			size_t g[2] = { off, c.blocks };
			g_array_append_val(groups, g);
			off += want;
		}
	}
	json_object_set_array_member(it->fields, "cmds", cmds);
	say(it, "SEQ %u cmds: %s", seq.num_cmds, ct->str);
	for (guint i = 0; i < groups->len; i++) {
		size_t *g = &g_array_index(groups, size_t, i * 2);
		decode_frames(d, items, p + g[0], g[1], "mmc write");
	}
}

static void decode_mmc_rsp(struct trace_dec *d, GPtrArray *items, const uint8_t *p, size_t len)
{
	struct emu_mmc_seq_rsp rsp;
	if (len < sizeof(rsp)) {
		undecodable(items, "mmc", "MMC_SEQ_RSP of %zu bytes, no emu_mmc_seq_rsp", len);
		return;
	}
	memcpy(&rsp, p, sizeof(rsp));
	struct trace_item *it = item_new(items, "mmc");
	size_t avail = MIN((size_t)rsp.data_len, len - sizeof(rsp));
	say(it, "SEQ_RSP %u data bytes (%zu frames)", rsp.data_len, avail / RPMB_FRAME_SIZE);
	f_str(it, "msg", "MMC_SEQ_RSP");
	f_int(it, "data_len", rsp.data_len);
	decode_frames(d, items, p + sizeof(rsp), avail / RPMB_FRAME_SIZE, "mmc read");
}

/* One single command (EMU_MSG_MMC_CMD_REQ) and its answer. */
static const char *part_name(uint16_t part)
{
	return part == EMU_MMC_PART_USER ? "user" : part == EMU_MMC_PART_RPMB ? "rpmb" :
	       part == EMU_MMC_PART_KEEP ? "keep" : "?";
}

static void decode_mmc_single(struct trace_dec *d, GPtrArray *items, const uint8_t *p, size_t len)
{
	struct emu_mmc_single c;
	if (len < sizeof(c)) {
		undecodable(items, "mmc", "MMC_CMD_REQ of %zu bytes, no emu_mmc_single", len);
		return;
	}
	memcpy(&c, p, sizeof(c));
	struct trace_item *it = item_new(items, "mmc");
	say(it, "CMD%u arg 0x%x blocks %u part %s", c.opcode, c.arg, c.blocks, part_name(c.part));
	if (c.flags)
		say(it, "flags 0x%x repeat %u", c.flags, c.repeat);
	f_str(it, "msg", "MMC_CMD_REQ");
	f_int(it, "opcode", c.opcode);
	f_int(it, "arg", c.arg);
	f_int(it, "blocks", c.blocks);
	f_str(it, "part", part_name(c.part));
	f_int(it, "flags", c.flags);
	size_t avail = (len - sizeof(c)) / RPMB_FRAME_SIZE;
	if (c.part == EMU_MMC_PART_RPMB && (c.opcode == MMC_WRITE_MULTIPLE_BLOCK || c.opcode == MMC_WRITE_BLOCK))
		decode_frames(d, items, p + sizeof(c), MIN((size_t)c.blocks, avail), "mmc write");
}

static void decode_mmc_single_rsp(struct trace_dec *d, GPtrArray *items, const uint8_t *p, size_t len)
{
	struct emu_mmc_single_rsp r;
	if (len < sizeof(r)) {
		undecodable(items, "mmc", "MMC_CMD_RSP of %zu bytes, no emu_mmc_single_rsp", len);
		return;
	}
	memcpy(&r, p, sizeof(r));
	struct trace_item *it = item_new(items, "mmc");
	say(it, "CMD_RSP status 0x%08x data %u part %u runs %u", r.status, r.data_len, r.part, r.runs);
	f_str(it, "msg", "MMC_CMD_RSP");
	f_int(it, "status", r.status);
	f_int(it, "data_len", r.data_len);
	f_int(it, "part", r.part);
	f_int(it, "runs", r.runs);
	size_t avail = MIN((size_t)r.data_len, len - sizeof(r));
	if (r.part == EMU_MMC_PART_RPMB)
		decode_frames(d, items, p + sizeof(r), avail / RPMB_FRAME_SIZE, "mmc read");
}

/* ---- tee layer (and control) ----------------------------------------------------------- */

static void param_types_text(uint32_t pt, char *buf, size_t size)
{
	static const char *const n[16] = { "NONE", "VALUE_IN", "VALUE_OUT", "VALUE_INOUT", "?4",
					   "MEMREF_IN", "MEMREF_OUT", "MEMREF_INOUT" };
	g_snprintf(buf, size, "%s,%s,%s,%s", n[pt & 0xf] ? n[pt & 0xf] : "?",
		   n[(pt >> 4) & 0xf] ? n[(pt >> 4) & 0xf] : "?",
		   n[(pt >> 8) & 0xf] ? n[(pt >> 8) & 0xf] : "?",
		   n[(pt >> 12) & 0xf] ? n[(pt >> 12) & 0xf] : "?");
}

static void tee_result(struct trace_item *it, const uint8_t *p, size_t len)
{
	struct emu_tee_result r;
	if (len < sizeof(r)) {
		say(it, "(short result)");
		return;
	}
	memcpy(&r, p, sizeof(r));
	say(it, "%s origin %s id %u", trace_tee_result_name(r.ret), origin_name(r.origin), r.id);
	f_int(it, "ret", r.ret);
	f_str(it, "ret_name", trace_tee_result_name(r.ret));
	f_str(it, "origin", origin_name(r.origin));
	f_int(it, "id", r.id);
}

static void decode_fault(struct trace_item *it, const uint8_t *p, size_t len)
{
	struct emu_ctrl_fault f;
	if (len < sizeof(f)) {
		say(it, "(short fault)");
		return;
	}
	memcpy(&f, p, sizeof(f));
	static const struct { uint16_t v; const char *n; } trig[] = {
		{ EMU_FAULT_AT_RPMB_WRITE, "rpmb-write" }, { EMU_FAULT_AT_RPMB_READ, "rpmb-read" },
		{ EMU_FAULT_AT_RPMB_SEQ, "rpmb-seq" }, { EMU_FAULT_AT_RPC, "rpc" },
		{ EMU_FAULT_AT_MM_CALL, "mm-call" },
	}, act[] = {
		{ EMU_FAULT_POWER_CUT, "power-cut" }, { EMU_FAULT_DROP_RESPONSE, "drop-response" },
		{ EMU_FAULT_DELAY, "delay" }, { EMU_FAULT_RESULT, "result" },
		{ EMU_FAULT_CORRUPT, "corrupt" }, { EMU_FAULT_SUPP_EXIT, "supp-exit" },
		{ EMU_FAULT_SUPP_STALL, "supp-stall" }, { EMU_FAULT_SUPP_DROP, "supp-drop" },
		{ EMU_FAULT_SUPP_ERROR, "supp-error" }, { EMU_FAULT_STMM_CRASH, "stmm-crash" },
		{ EMU_FAULT_STMM_TEE_ERROR, "stmm-tee-error" },
	};
	const char *tn = "?", *an = "?";
	for (size_t i = 0; i < G_N_ELEMENTS(trig); i++)
		if (trig[i].v == f.trigger)
			tn = trig[i].n;
	for (size_t i = 0; i < G_N_ELEMENTS(act); i++)
		if (act[i].v == f.action)
			an = act[i].n;
	say(it, "trigger %s action %s count %u repeat %u rpc_cmd %u value 0x%x value2 0x%x", tn, an,
	    f.count, f.repeat, f.rpc_cmd, f.value, f.value2);
	f_str(it, "trigger", tn);
	f_str(it, "action", an);
	f_int(it, "count", f.count);
	f_int(it, "repeat", f.repeat);
	f_int(it, "rpc_cmd", f.rpc_cmd);
	f_int(it, "value", f.value);
	f_int(it, "value2", f.value2);
}

/* FF-A function ids (include/ffa.h) by their names in U-Boot's arm_ffa_priv.h. */
static const char *ffa_fid_name(uint64_t x0)
{
	switch (x0) {
	case FFA_ERROR: return "FFA_ERROR";
	case FFA_SUCCESS_32: return "FFA_SUCCESS_32";
	case FFA_SUCCESS_64: return "FFA_SUCCESS_64";
	case FFA_INTERRUPT: return "FFA_INTERRUPT";
	case FFA_VERSION: return "FFA_VERSION";
	case FFA_FEATURES: return "FFA_FEATURES";
	case FFA_RX_RELEASE: return "FFA_RX_RELEASE";
	case FFA_RXTX_MAP_32: return "FFA_RXTX_MAP_32";
	case FFA_RXTX_MAP_64: return "FFA_RXTX_MAP_64";
	case FFA_RXTX_UNMAP: return "FFA_RXTX_UNMAP";
	case FFA_PARTITION_INFO_GET: return "FFA_PARTITION_INFO_GET";
	case FFA_ID_GET: return "FFA_ID_GET";
	case FFA_RUN: return "FFA_RUN";
	case FFA_MSG_SEND_DIRECT_REQ_32: return "FFA_MSG_SEND_DIRECT_REQ_32";
	case FFA_MSG_SEND_DIRECT_REQ_64: return "FFA_MSG_SEND_DIRECT_REQ_64";
	case FFA_MSG_SEND_DIRECT_RESP_32: return "FFA_MSG_SEND_DIRECT_RESP_32";
	case FFA_MSG_SEND_DIRECT_RESP_64: return "FFA_MSG_SEND_DIRECT_RESP_64";
	default: return NULL;
	}
}

static const char *ffa_error_name(int32_t e)
{
	static const char *const n[] = { "NOT_SUPPORTED", "INVALID_PARAMETERS", "NO_MEMORY", "BUSY",
					 "INTERRUPTED", "DENIED", "RETRY", "ABORTED" };
	return e <= -1 && e >= -8 ? n[-e - 1] : "?";
}

/* One FF-A register message: the function by name, its arguments, what they mean. */
static void decode_ffa(struct trace_item *it, bool reply, const uint8_t *p, size_t len)
{
	struct ffa_regs r;
	if (len < sizeof(r)) {
		say(it, "(short)");
		return;
	}
	memcpy(&r, p, sizeof(r));
	const char *fn = ffa_fid_name(r.x[0]);
	/* FFA_VERSION's reply is a bare version number (or NOT_SUPPORTED) in w0. */
	if (!fn && reply && r.x[0] <= UINT32_MAX && !(r.x[0] & 0x80000000u)) {
		say(it, "version %u.%u", (unsigned)(r.x[0] >> 16), (unsigned)(r.x[0] & 0xffff));
		f_str(it, "ffa", "VERSION_RESULT");
	} else {
		say(it, "%s", fn ? fn : "?");
		f_str(it, "ffa", fn ? fn : "?");
	}
	for (unsigned i = 0; i < 8; i++) {
		char k[4] = { 'x', (char)('0' + i), 0 };
		f_int(it, k, (gint64)r.x[i]);
	}
	switch ((uint32_t)r.x[0]) {
	case FFA_ERROR:
		say(it, "%s", ffa_error_name((int32_t)(uint32_t)r.x[2]));
		f_str(it, "error", ffa_error_name((int32_t)(uint32_t)r.x[2]));
		break;
	case FFA_VERSION:
	case FFA_FEATURES:
		say(it, "w1 0x%08x", (uint32_t)r.x[1]);
		break;
	case FFA_SUCCESS_32:
		say(it, "w2 0x%08x", (uint32_t)r.x[2]);
		break;
	case FFA_RXTX_MAP_64:
		say(it, "tx 0x%" PRIx64 " rx 0x%" PRIx64 " pages %u", r.x[1], r.x[2], (unsigned)(r.x[3] & 0x3f));
		break;
	case FFA_PARTITION_INFO_GET: {
		bool mm = (uint32_t)r.x[1] == FFA_MM_SP_UUID_W1 && (uint32_t)r.x[2] == FFA_MM_SP_UUID_W2 &&
			  (uint32_t)r.x[3] == FFA_MM_SP_UUID_W3 && (uint32_t)r.x[4] == FFA_MM_SP_UUID_W4;
		bool nil = !(uint32_t)r.x[1] && !(uint32_t)r.x[2] && !(uint32_t)r.x[3] && !(uint32_t)r.x[4];
		say(it, "uuid %08x %08x %08x %08x%s", (uint32_t)r.x[1], (uint32_t)r.x[2],
		    (uint32_t)r.x[3], (uint32_t)r.x[4], nil ? " (nil: all)" : mm ? " (MM SP)" : "");
		break;
	}
	case FFA_MSG_SEND_DIRECT_REQ_32:
	case FFA_MSG_SEND_DIRECT_REQ_64:
		say(it, "0x%04x -> 0x%04x x3 0x%" PRIx64 " (MM buffer)", FFA_SENDER(r.x[1]),
		    FFA_RECEIVER(r.x[1]), r.x[3]);
		break;
	case FFA_MSG_SEND_DIRECT_RESP_32:
	case FFA_MSG_SEND_DIRECT_RESP_64: {
		int32_t mm = (int32_t)(uint32_t)r.x[3];
		say(it, "0x%04x -> 0x%04x mm %s", FFA_SENDER(r.x[1]), FFA_RECEIVER(r.x[1]),
		    trace_mm_ret_name(mm));
		f_int(it, "mm_ret", mm);
		break;
	}
	default:
		break;
	}
}

static void decode_msg(struct trace_dec *d, GPtrArray *items, const struct emu_trace_rec *rec,
		       const uint8_t *data)
{
	const char *sock_layer = rec->recorder == EMU_TRACE_ROLE_RPMBD ? "mmc" : "tee";
	struct emu_msg_hdr h;

	if (rec->length < sizeof(h)) {
		undecodable(items, sock_layer, "message of %u bytes, shorter than its header", rec->length);
		return;
	}
	memcpy(&h, data, sizeof(h));
	if (h.magic != EMU_MSG_MAGIC || h.length != rec->length - sizeof(h)) {
		undecodable(items, sock_layer, "message header: magic 0x%08x, length %u for %zu bytes",
			    h.magic, h.length, rec->length - sizeof(h));
		return;
	}
	const uint8_t *p = data + sizeof(h);
	size_t len = h.length;
	const char *tn = msg_type_name(h.type);

	switch (h.type) {
	case EMU_MSG_SUPP_RPC_REQ:
		decode_rpc_req(d, items, rec, &h, p, len);
		return;
	case EMU_MSG_SUPP_RPC_RSP:
		decode_rpc_rsp(d, items, rec, &h, p, len);
		return;
	case EMU_MSG_MMC_SEQ_REQ:
		decode_mmc_seq(d, items, p, len);
		return;
	case EMU_MSG_MMC_SEQ_RSP:
		decode_mmc_rsp(d, items, p, len);
		return;
	case EMU_MSG_MMC_CMD_REQ:
		decode_mmc_single(d, items, p, len);
		return;
	case EMU_MSG_MMC_CMD_RSP:
		decode_mmc_single_rsp(d, items, p, len);
		return;
	default:
		break;
	}
	const char *layer = (h.type & 0xff00) == 0x0100 ? "mmc" : h.type == EMU_MSG_ERROR ? sock_layer : "tee";
	struct trace_item *it = item_new(items, layer);
	if (tn)
		say(it, "%s", tn);
	else
		say(it, "type 0x%04x", h.type);
	f_str(it, "msg", tn ? tn : "?");
	f_int(it, "type", h.type);
	f_int(it, "req_id", h.req_id);
	f_int(it, "length", h.length);
	switch (h.type) {
	case EMU_MSG_ERROR: {
		struct emu_msg_error e;
		if (len < sizeof(e)) {
			say(it, "(short)");
			break;
		}
		memcpy(&e, p, sizeof(e));
		g_autofree char *text = g_strndup((const char *)p + sizeof(e), len - sizeof(e));
		say(it, "%d (%s) \"%s\"", e.error,
		    e.error < 0 && e.error > -4096 ? g_strerror(-e.error) : "?", text);
		f_int(it, "error", e.error);
		f_str(it, "text", text);
		break;
	}
	case EMU_MSG_MMC_INFO_RSP:
		if (len >= sizeof(struct emu_mmc_info)) {
			struct emu_mmc_info mi;
			memcpy(&mi, p, sizeof(mi));
			say(it, "size_mult %u rel_wr_sec_c %u", mi.rpmb_size_mult, mi.rel_wr_sec_c);
			f_hex(it, "cid", mi.cid, 16);
			f_int(it, "rpmb_size_mult", mi.rpmb_size_mult);
			f_int(it, "rel_wr_sec_c", mi.rel_wr_sec_c);
		}
		break;
	case EMU_MSG_FFA_REQ:
	case EMU_MSG_FFA_RSP:
		decode_ffa(it, h.type == EMU_MSG_FFA_RSP, p, len);
		break;
	case EMU_MSG_FFA_MM_BUF_REQ:
		if (len >= sizeof(struct emu_ffa_mm_buf)) {
			struct emu_ffa_mm_buf b;
			memcpy(&b, p, sizeof(b));
			say(it, "base 0x%" PRIx64 " size %" PRIu64, b.base, b.size);
			f_int(it, "base", (gint64)b.base);
			f_int(it, "size", (gint64)b.size);
		}
		break;
	case EMU_MSG_TEE_OPEN_SESSION_REQ:
		if (len >= TEE_UUID_SIZE) {
			static const uint8_t pta[TEE_UUID_SIZE] = PTA_STMM_UUID_BYTES;
			const uint8_t *u = p;
			char us[40];
			g_snprintf(us, sizeof(us),
				   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				   u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
				   u[11], u[12], u[13], u[14], u[15]);
			bool is_pta = memcmp(u, pta, TEE_UUID_SIZE) == 0;
			say(it, "%s%s", us, is_pta ? " (PTA_STMM)" : "");
			f_str(it, "uuid", us);
			if (is_pta)
				f_str(it, "uuid_name", "PTA_STMM");
		}
		break;
	case EMU_MSG_TEE_CLOSE_SESSION_REQ:
	case EMU_MSG_TEE_UNREGISTER_SHM_REQ:
		if (len >= 4) {
			uint32_t v;
			memcpy(&v, p, 4);
			say(it, "%s %u", h.type == EMU_MSG_TEE_CLOSE_SESSION_REQ ? "session" : "shm", v);
			f_int(it, "id", v);
		}
		break;
	case EMU_MSG_TEE_REGISTER_SHM_REQ:
		if (len >= sizeof(struct emu_tee_register_shm)) {
			uint64_t sz;
			memcpy(&sz, p, 8);
			say(it, "size %" PRIu64, sz);
			f_int(it, "size", (gint64)sz);
		}
		break;
	case EMU_MSG_TEE_OPEN_SESSION_RSP:
	case EMU_MSG_TEE_CLOSE_SESSION_RSP:
	case EMU_MSG_TEE_REGISTER_SHM_RSP:
	case EMU_MSG_TEE_UNREGISTER_SHM_RSP:
	case EMU_MSG_SUPP_REGISTER_RSP:
	case EMU_MSG_SUPP_REGISTER_RPMB_RSP:
		tee_result(it, p, len);
		break;
	case EMU_MSG_TEE_INVOKE_REQ:
		if (len >= sizeof(struct emu_tee_invoke)) {
			struct emu_tee_invoke iv;
			memcpy(&iv, p, sizeof(iv));
			char pt[80];
			param_types_text(iv.param_types, pt, sizeof(pt));
			say(it, "session %u cmd %s params %s memref0 shm %" PRIu64 " off %" PRIu64
			    " size %" PRIu64, iv.session,
			    iv.cmd == PTA_STMM_CMD_COMMUNICATE ? "COMMUNICATE" : "?", pt,
			    iv.params[0].a, iv.params[0].b, iv.params[0].c);
			f_int(it, "session", iv.session);
			f_int(it, "cmd", iv.cmd);
			f_str(it, "param_types", pt);
			f_int(it, "memref_shm", (gint64)iv.params[0].a);
			f_int(it, "memref_offset", (gint64)iv.params[0].b);
			f_int(it, "memref_size", (gint64)iv.params[0].c);
		}
		break;
	case EMU_MSG_TEE_INVOKE_RSP:
		if (len >= sizeof(struct emu_tee_invoke_rsp)) {
			struct emu_tee_invoke_rsp ir;
			memcpy(&ir, p, sizeof(ir));
			int32_t mm = (int32_t)(int64_t)ir.params[1].a;
			say(it, "%s origin %s memref size %" PRIu64 " mm %s", trace_tee_result_name(ir.ret),
			    origin_name(ir.origin), ir.params[0].c,
			    ir.ret == TEE_SUCCESS ? trace_mm_ret_name(mm) : "-");
			f_int(it, "ret", ir.ret);
			f_str(it, "ret_name", trace_tee_result_name(ir.ret));
			f_str(it, "origin", origin_name(ir.origin));
			f_int(it, "memref_size", (gint64)ir.params[0].c);
			f_int(it, "mm_ret", mm);
		}
		break;
	case EMU_MSG_CTRL_STATUS_RSP:
		if (len >= sizeof(struct emu_ctrl_status)) {
			struct emu_ctrl_status st;
			memcpy(&st, p, sizeof(st));
			say(it, "flags 0x%x sessions %u wc %u live %u", st.flags, st.sessions,
			    st.rpmb_write_counter, st.live_variables);
			f_int(it, "flags", st.flags);
			f_int(it, "write_counter", st.rpmb_write_counter);
			f_int(it, "live_variables", st.live_variables);
		}
		break;
	case EMU_MSG_CTRL_EXPORT_REQ:
		if (len >= sizeof(struct emu_ctrl_export_req)) {
			struct emu_ctrl_export_req er;
			memcpy(&er, p, sizeof(er));
			say(it, "offset %" PRIu64 " max %u", er.offset, er.max_length);
			f_int(it, "offset", (gint64)er.offset);
			f_int(it, "max_length", er.max_length);
		}
		break;
	case EMU_MSG_CTRL_EXPORT_RSP:
		if (len >= sizeof(struct emu_ctrl_export_rsp)) {
			struct emu_ctrl_export_rsp er;
			memcpy(&er, p, sizeof(er));
			say(it, "total %" PRIu64 " offset %" PRIu64 " length %u generation %u",
			    er.total, er.offset, er.length, er.generation);
			f_int(it, "total", (gint64)er.total);
			f_int(it, "length", er.length);
		}
		break;
	case EMU_MSG_CTRL_FAULT_REQ:
		decode_fault(it, p, len);
		break;
	case EMU_MSG_CTRL_FAULT_RSP:
		if (len >= sizeof(struct emu_ctrl_fault_rsp)) {
			struct emu_ctrl_fault_rsp fr;
			memcpy(&fr, p, sizeof(fr));
			say(it, "id %u armed %u", fr.id, fr.armed);
			f_int(it, "id", fr.id);
			f_int(it, "armed", fr.armed);
		}
		break;
	default:
		break;
	}
}

GPtrArray *trace_dec_record(struct trace_dec *d, const struct emu_trace_rec *rec,
			    const uint8_t *data)
{
	GPtrArray *items = g_ptr_array_new_with_free_func(item_free);
	const char *sock_layer = rec->recorder == EMU_TRACE_ROLE_RPMBD ? "mmc" : "tee";

	switch (rec->kind) {
	case EMU_TRACE_MSG_RX:
	case EMU_TRACE_MSG_TX:
		decode_msg(d, items, rec, data);
		break;
	case EMU_TRACE_CONNECT:
	case EMU_TRACE_DISCONNECT: {
		struct trace_item *it = item_new(items, sock_layer);
		bool con = rec->kind == EMU_TRACE_CONNECT;
		say(it, "%s conn %u", con ? "CONNECT" : "DISCONNECT", rec->conn);
		f_str(it, "msg", con ? "CONNECT" : "DISCONNECT");
		if (con) {
			g_autofree char *comm = g_strndup((const char *)data, rec->length);
			say(it, "comm %s", comm[0] ? comm : "?");
			f_str(it, "comm", comm);
		}
		break;
	}
	case EMU_TRACE_MM_REQ:
	case EMU_TRACE_MM_RSP:
		decode_mm(items, rec, data);
		break;
	case EMU_TRACE_NOTE: {
		struct trace_item *it = item_new(items, "note");
		g_autofree char *text = g_strndup((const char *)data, rec->length);
		say(it, "%s", text);
		f_str(it, "text", text);
		break;
	}
	default:
		undecodable(items, "note", "record kind 0x%04x unknown", rec->kind);
		break;
	}
	for (guint i = 0; i < items->len; i++) {
		struct trace_item *it = items->pdata[i];
		f_str(it, "summary", it->text->str);
	}
	return items;
}
