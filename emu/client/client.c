/* SPDX-License-Identifier: MIT */
#include "client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "bytes.h"
#include "efi_util.h"
#include "ffa_client.h"
#include "mm.h"
#include "mmvar.h"
#include "pta_stmm.h"
#include "tee_client.h"
#include "uboot.h"

struct emu_client {
	struct emu_teec *teec;
	uint32_t session;
	uint64_t max_payload;   /* after the quirk; 0 until GET_PAYLOAD_SIZE answered */
	enum emu_client_persona persona;
	struct uboot_state *uboot;  /* UBOOT persona only */
	struct ffa_client *ffa;     /* FF-A transport (no session, no shm registration) */
	char last_error[256];
	uint64_t mm_round_trips; /* MM buffers sent to the secure world */
};

const char *emu_client_last_error(const struct emu_client *c)
{
	return c->last_error;
}

uint64_t emu_client_mm_round_trips(const struct emu_client *c)
{
	return c->mm_round_trips;
}

void emu_client_set_error(struct emu_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
}

static const char *tee_ret_name(uint32_t ret)
{
	switch (ret) {
	case TEE_SUCCESS: return "TEE_SUCCESS";
	case TEE_ERROR_GENERIC: return "TEE_ERROR_GENERIC";
	case TEE_ERROR_ACCESS_DENIED: return "TEE_ERROR_ACCESS_DENIED";
	case TEE_ERROR_EXCESS_DATA: return "TEE_ERROR_EXCESS_DATA";
	case TEE_ERROR_BAD_FORMAT: return "TEE_ERROR_BAD_FORMAT";
	case TEE_ERROR_BAD_PARAMETERS: return "TEE_ERROR_BAD_PARAMETERS";
	case TEE_ERROR_BAD_STATE: return "TEE_ERROR_BAD_STATE";
	case TEE_ERROR_ITEM_NOT_FOUND: return "TEE_ERROR_ITEM_NOT_FOUND";
	case TEE_ERROR_NOT_IMPLEMENTED: return "TEE_ERROR_NOT_IMPLEMENTED";
	case TEE_ERROR_NOT_SUPPORTED: return "TEE_ERROR_NOT_SUPPORTED";
	case TEE_ERROR_OUT_OF_MEMORY: return "TEE_ERROR_OUT_OF_MEMORY";
	case TEE_ERROR_BUSY: return "TEE_ERROR_BUSY";
	case TEE_ERROR_COMMUNICATION: return "TEE_ERROR_COMMUNICATION";
	case TEE_ERROR_SECURITY: return "TEE_ERROR_SECURITY";
	case TEE_ERROR_SHORT_BUFFER: return "TEE_ERROR_SHORT_BUFFER";
	case TEE_ERROR_TIMEOUT: return "TEE_ERROR_TIMEOUT";
	case TEE_ERROR_TARGET_DEAD: return "TEE_ERROR_TARGET_DEAD";
	case TEE_ERROR_STORAGE_NOT_AVAILABLE: return "TEE_ERROR_STORAGE_NOT_AVAILABLE";
	default: return "TEE error";
	}
}

int emu_client_persona_from_name(const char *name, enum emu_client_persona *ret)
{
	if (!name)
		return -EINVAL;
	if (strcmp(name, "linux") == 0)
		*ret = EMU_CLIENT_PERSONA_LINUX;
	else if (strcmp(name, "uboot") == 0 || strcmp(name, "u-boot") == 0)
		*ret = EMU_CLIENT_PERSONA_UBOOT;
	else
		return -EINVAL;
	return 0;
}

const char *emu_client_persona_name(enum emu_client_persona p)
{
	return p == EMU_CLIENT_PERSONA_UBOOT ? "uboot" : "linux";
}

enum emu_client_persona emu_client_persona(const struct emu_client *c)
{
	return c->persona;
}

int emu_client_open(const char *tee_socket, int timeout_ms, struct emu_client **ret_client)
{
	return emu_client_open_persona(tee_socket, timeout_ms, EMU_CLIENT_PERSONA_LINUX, ret_client);
}

int emu_client_transport_from_name(const char *name, enum emu_client_transport *ret)
{
	if (g_strcmp0(name, "optee") == 0)
		*ret = EMU_CLIENT_TRANSPORT_OPTEE;
	else if (g_strcmp0(name, "ffa") == 0)
		*ret = EMU_CLIENT_TRANSPORT_FFA;
	else
		return -EINVAL;
	return 0;
}

int emu_client_transport_from_env(enum emu_client_transport *ret)
{
	const char *v = g_getenv(EMU_CLIENT_TRANSPORT_ENV);
	if (!v || !*v) {
		*ret = EMU_CLIENT_TRANSPORT_OPTEE;
		return 0;
	}
	return emu_client_transport_from_name(v, ret);
}

int emu_client_uboot_secure_boot_from_env(bool *ret)
{
	const char *v = g_getenv(EMU_CLIENT_UBOOT_SECURE_BOOT_ENV);
	if (!v || !*v || !strcmp(v, "n") || !strcmp(v, "0"))
		*ret = false;
	else if (!strcmp(v, "y") || !strcmp(v, "1"))
		*ret = true;
	else
		return -EINVAL;
	return 0;
}

enum emu_client_transport emu_client_transport(const struct emu_client *c)
{
	return c->ffa ? EMU_CLIENT_TRANSPORT_FFA : EMU_CLIENT_TRANSPORT_OPTEE;
}

/* ---- FF-A over the tee socket (include/emu_ipc.h EMU_MSG_FFA_*) ------------------------- */

static int ffa_sock_call(void *ctx, const struct ffa_regs *in, int fd, struct ffa_regs *ret_out)
{
	struct emu_teec *t = ctx;
	g_autoptr(emu_msg) reply = NULL;
	int r = emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_FFA_REQ, in, sizeof(*in),
			      fd, EMU_MSG_FFA_RSP, &reply, NULL);
	if (r < 0)
		return r;
	if (reply->hdr.length != sizeof(*ret_out))
		return -EPROTO;
	memcpy(ret_out, reply->payload, sizeof(*ret_out));
	emu_log_hexdump("ffa call", in, sizeof(*in));
	emu_log_hexdump("ffa reply", ret_out, sizeof(*ret_out));
	return 0;
}

static int ffa_sock_mm_buf(void *ctx, int fd, uint64_t base, uint64_t size)
{
	struct emu_teec *t = ctx;
	struct emu_ffa_mm_buf req = { .base = base, .size = size };
	g_autoptr(emu_msg) reply = NULL;
	return emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_FFA_MM_BUF_REQ, &req,
			     sizeof(req), fd, EMU_MSG_FFA_MM_BUF_RSP, &reply, NULL);
}

/* The FF-A client's board: STMM_EMU_FFA_BUF_SIZE (default: smm-gateway's 8-page carveout),
 * STMM_EMU_FFA_X3=address for an edk2 StMM target. */
static int ffa_open(struct emu_client *c)
{
	struct ffa_client_config cfg = {
		.mm_buf_size = EMU_CLIENT_FFA_DEFAULT_BUF_SIZE,
		.mm_buf_addr = FFA_EMU_MM_BUF_ADDR,
		.mm_buf_offset = FFA_EMU_MM_BUF_OFFSET,
	};
	const char *v = g_getenv("STMM_EMU_FFA_BUF_SIZE");
	if (v && *v) {
		char *end;
		guint64 n = g_ascii_strtoull(v, &end, 0);
		if (*end || n < MM_COMMUNICATE_HEADER_SIZE || n > FFA_EMU_MM_BUF_MAX)
			return -EINVAL;
		cfg.mm_buf_size = n;
	}
	v = g_getenv("STMM_EMU_FFA_X3");
	if (v && *v) {
		if (strcmp(v, "address") == 0)
			cfg.x3_address = true;
		else if (strcmp(v, "offset") != 0)
			return -EINVAL;
	}
	struct ffa_client_ops ops = { .ctx = c->teec, .call = ffa_sock_call,
				      .declare_mm_buf = ffa_sock_mm_buf };
	int r = ffa_client_new(&ops, &cfg, &c->ffa);
	if (r < 0)
		return r;
	r = ffa_client_probe(c->ffa);
	if (r < 0)
		emu_client_set_error(c, "FF-A probe/discovery: %s", g_strerror(-r));
	return r;
}

int emu_client_open_persona(const char *tee_socket, int timeout_ms,
			    enum emu_client_persona persona, struct emu_client **ret_client)
{
	static const uint8_t uuid[TEE_UUID_SIZE] = PTA_STMM_UUID_BYTES;
	g_autoptr(emu_teec) t = NULL;
	struct emu_tee_result res;
	enum emu_client_transport transport;

	if (persona != EMU_CLIENT_PERSONA_LINUX && persona != EMU_CLIENT_PERSONA_UBOOT)
		return -EINVAL;
	bool uboot_secure_boot;
	if (emu_client_transport_from_env(&transport) < 0 ||
	    emu_client_uboot_secure_boot_from_env(&uboot_secure_boot) < 0)
		return -EINVAL;
	int r = emu_teec_connect(tee_socket, timeout_ms, &t);
	if (r < 0)
		return r;
	if (transport == EMU_CLIENT_TRANSPORT_FFA) {
		/* U-Boot's FF-A path: no session; probe and discovery once, at open. */
		struct emu_client *c = g_new0(struct emu_client, 1);
		c->teec = g_steal_pointer(&t);
		c->persona = persona;
		if (persona == EMU_CLIENT_PERSONA_UBOOT)
			c->uboot = uboot_state_new(uboot_secure_boot);
		r = ffa_open(c);
		if (r < 0) {
			emu_client_free(c);
			return r;
		}
		*ret_client = c;
		return 0;
	}
	if (persona == EMU_CLIENT_PERSONA_UBOOT) {
		/* U-Boot opens a session per MM call (uboot_mm_communicate). */
		struct emu_client *c = g_new0(struct emu_client, 1);
		c->teec = g_steal_pointer(&t);
		c->persona = persona;
		c->uboot = uboot_state_new(uboot_secure_boot);
		*ret_client = c;
		return 0;
	}
	r = emu_teec_open_session(t, uuid, &res);
	if (r < 0)
		return r;
	if (res.ret != TEE_SUCCESS)
		return -EACCES;
	struct emu_client *c = g_new0(struct emu_client, 1);
	c->teec = g_steal_pointer(&t);
	c->session = res.id;
	*ret_client = c;
	return 0;
}

void emu_client_free(struct emu_client *c)
{
	if (!c)
		return;
	ffa_client_free(c->ffa);
	emu_teec_free(c->teec);
	uboot_state_free(c->uboot);
	g_free(c);
}

void emu_client_raw_result_clear(struct emu_client_raw_result *r)
{
	if (!r)
		return;
	g_free(r->answer);
	memset(r, 0, sizeof(*r));
}

/* One PTA_STMM_CMD_COMMUNICATE with the first `len` bytes of shm, memref size as given. */
static int invoke_communicate(struct emu_client *c, uint64_t memref_size,
			      struct emu_tee_invoke_rsp *ret_rsp)
{
	struct emu_tee_invoke req = {
		.session = c->session,
		.cmd = PTA_STMM_CMD_COMMUNICATE,
		.param_types = PTA_STMM_COMMUNICATE_PARAM_TYPES,
		.params[0] = { .a = c->teec->shm_id, .b = 0, .c = memref_size },
	};
	return emu_teec_invoke(c->teec, &req, ret_rsp);
}

int emu_client_raw(struct emu_client *c, const uint8_t *buf, size_t len, uint64_t memref_size,
		   struct emu_client_raw_result *ret_result)
{
	size_t need = len > memref_size ? len : (size_t)memref_size;
	struct emu_tee_invoke_rsp rsp;

	if (c->uboot || c->ffa)
		return -EOPNOTSUPP;  /* raw mode needs the Linux persona's PTA session */
	if (memref_size > SIZE_MAX / 2)
		return -E2BIG;
	int r = emu_teec_shm_reserve(c->teec, need);
	if (r < 0) {
		emu_client_set_error(c, "shared memory: %s", g_strerror(-r));
		return r;
	}
	memset(c->teec->shm, 0, need);
	if (len)
		memcpy(c->teec->shm, buf, len);
	r = invoke_communicate(c, memref_size, &rsp);
	if (r < 0) {
		emu_client_set_error(c, "tee socket: %s", g_strerror(-r));
		return r;
	}
	memset(ret_result, 0, sizeof(*ret_result));
	ret_result->tee_ret = rsp.ret;
	ret_result->tee_origin = rsp.origin;
	ret_result->mm_code = rsp.params[1].a;
	ret_result->memref_size = rsp.params[0].c;
	ret_result->answer_size = (size_t)memref_size;
	ret_result->answer = g_memdup2(c->teec->shm, (size_t)memref_size);
	return 0;
}

/*
 * The Linux driver's mm_communicate(): send the buffer, map transport and MM errors,
 * else return ReturnStatus.  On return `buf` holds the answer.
 */
static efi_status_t mm_communicate(struct emu_client *c, uint8_t *buf, size_t size,
				   bool *ret_answered)
{
	struct emu_tee_invoke_rsp rsp;

	*ret_answered = false;

	/* MessageLength + 24 must be the size we pass (as both drivers check). */
	if (size < MM_VARIABLE_PAYLOAD_OFFSET ||
	    get_le64(buf + 16) + MM_COMMUNICATE_HEADER_SIZE != size) {
		emu_client_set_error(c, "MessageLength does not match the buffer size");
		return EFI_INVALID_PARAMETER;
	}

	int r;
	emu_log_hexdump("mm request", buf, size);
	c->mm_round_trips++;
	if (c->ffa) {
		/* U-Boot's ffa_mm_communicate: its own size rules and error tables. */
		const char *what = "";
		efi_status_t fs = ffa_client_mm_communicate(c->ffa, buf, size, &what);
		if (fs != EFI_SUCCESS) {
			emu_client_set_error(c, "FF-A: %s", what);
			return fs;
		}
		emu_log_hexdump("mm answer", buf, size);
		*ret_answered = true;
		return get_le64(buf + MM_COMMUNICATE_HEADER_SIZE + 8);
	}
	if (c->uboot) {
		r = uboot_mm_communicate(c->teec, buf, size, &rsp);
		if (r == -EACCES || r == -ENOBUFS) {
			emu_client_set_error(c, r == -EACCES ? "unable to open OP-TEE session"
							     : "unable to register shared memory");
			return EFI_UNSUPPORTED;
		}
	} else {
		r = emu_teec_shm_reserve(c->teec, size);
		if (r < 0) {
			emu_client_set_error(c, "shared memory: %s", g_strerror(-r));
			return EFI_DEVICE_ERROR;
		}
		memcpy(c->teec->shm, buf, size);
		r = invoke_communicate(c, size, &rsp);
	}
	if (r < 0) {
		emu_client_set_error(c, "tee socket: %s", g_strerror(-r));
		return EFI_DEVICE_ERROR;
	}
	if (rsp.ret != TEE_SUCCESS) {
		if (rsp.ret == TEE_ERROR_EXCESS_DATA)
			emu_client_set_error(c, "%s: variable payload too large (memref %zu, TEE max %" PRIu64 ")",
				  tee_ret_name(rsp.ret), size, rsp.params[0].c);
		else
			emu_client_set_error(c, "%s (0x%08x, origin %u)", tee_ret_name(rsp.ret), rsp.ret,
				  rsp.origin);
		return EFI_DEVICE_ERROR;
	}
	if (!c->uboot)
		memcpy(buf, c->teec->shm, size);
	emu_log_hexdump("mm answer", buf, size);

	efi_status_t s = mmvar_mm_code_to_efi(rsp.params[1].a);
	if (s != EFI_SUCCESS) {
		emu_client_set_error(c, "MM return code %" PRId64, (int64_t)rsp.params[1].a);
		return s;
	}
	*ret_answered = true;
	return get_le64(buf + MM_COMMUNICATE_HEADER_SIZE + 8);
}

/* Build, send, parse.  The reply points into *ret_buf (g_free). */
static efi_status_t communicate(struct emu_client *c, const struct mmvar_req *req,
				uint8_t **ret_buf, struct mmvar_reply *ret_reply)
{
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout layout;
	bool answered;

	memset(ret_reply, 0, sizeof(*ret_reply));
	*ret_buf = NULL;
	c->last_error[0] = '\0';
	int r = mmvar_build(req, c->max_payload, &buf, &layout);
	if (r < 0) {
		emu_client_set_error(c, "request refused before sending: %s",
			  r == -E2BIG ? "larger than the variable payload size" : "malformed");
		return mmvar_errno_to_efi(r);
	}
	efi_status_t s = mm_communicate(c, buf, layout.buf_size, &answered);
	if (!answered)
		return s == EFI_SUCCESS ? EFI_DEVICE_ERROR : s;
	/* The variable service answered: parse even an error (sizes on BUFFER_TOO_SMALL). */
	r = mmvar_parse(req, &layout, buf, layout.buf_size, ret_reply);
	if (r < 0) {
		emu_client_set_error(c, "malformed answer from the secure world");
		return EFI_DEVICE_ERROR;
	}
	*ret_buf = g_steal_pointer(&buf);
	return s;
}

efi_status_t emu_client_get_payload_size(struct emu_client *c, uint64_t *ret_max_payload)
{
	if (c->uboot) {
		efi_status_t s = uboot_init_obj_list(c, c->uboot);
		if (s != EFI_SUCCESS)
			return s;
	}
	return emu_client_mm_get_payload_size(c, ret_max_payload);
}

efi_status_t emu_client_mm_get_payload_size(struct emu_client *c, uint64_t *ret_max_payload)
{
	struct mmvar_req req = { .function = SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE };
	struct mmvar_reply rep;
	g_autofree uint8_t *buf = NULL;

	if (c->max_payload) {
		if (ret_max_payload)
			*ret_max_payload = c->max_payload;
		return EFI_SUCCESS;
	}
	efi_status_t s = communicate(c, &req, &buf, &rep);
	if (s != EFI_SUCCESS)
		return s;
	uint64_t max;
	if (mmvar_max_payload(rep.payload_size, &max) < 0) {
		emu_client_set_error(c, "GET_PAYLOAD_SIZE answered %" PRIu64 ", below %u", rep.payload_size,
			  MMVAR_MIN_PAYLOAD_SIZE);
		return EFI_DEVICE_ERROR;
	}
	c->max_payload = max;
	if (ret_max_payload)
		*ret_max_payload = max;
	return EFI_SUCCESS;
}

/* Every variable call starts from a known budget, as the driver does after probe. */
static efi_status_t ensure_budget(struct emu_client *c)
{
	return c->max_payload ? EFI_SUCCESS : emu_client_mm_get_payload_size(c, NULL);
}

/*
 * One PROPERTY_GET or PROPERTY_SET: the budget (48 + name above it is EFI_INVALID_PARAMETER
 * without a call), the payload (GUID, NameSize, `in` or a zero property, the name), the
 * call, and on success the property the answer holds into `out`.
 */
static efi_status_t property_call(struct emu_client *c, uint64_t function, const uint8_t *name,
				  size_t name_size, const efi_guid_t *guid,
				  const struct var_check_variable_property *in,
				  struct var_check_variable_property *out)
{
	uint64_t max;

	efi_status_t s = emu_client_mm_get_payload_size(c, &max);
	if (s != EFI_SUCCESS)
		return s;
	size_t size = SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + name_size;
	if (size > max)
		return EFI_INVALID_PARAMETER;
	g_autofree uint8_t *p = g_malloc0(size);
	memcpy(p, guid->b, sizeof(guid->b));
	put_le64(p + offsetof(struct smm_variable_var_check_property, name_size), name_size);
	memcpy(p + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET, name, name_size);
	if (in)
		mmvar_property_write(p, in);
	s = emu_client_mm_call(c, function, p, size);
	if (s == EFI_SUCCESS && out)
		mmvar_property_read(p, out);
	return s;
}

efi_status_t emu_client_mm_get_property(struct emu_client *c, const uint8_t *name,
					size_t name_size, const efi_guid_t *guid,
					struct var_check_variable_property *ret)
{
	memset(ret, 0, sizeof(*ret));
	efi_status_t s = property_call(c, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET,
				       name, name_size, guid, NULL, ret);
	return s == EFI_NOT_FOUND ? EFI_SUCCESS : s;
}

efi_status_t emu_client_mm_set_property(struct emu_client *c, const uint8_t *name,
					size_t name_size, const efi_guid_t *guid,
					const struct var_check_variable_property *prop)
{
	return property_call(c, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET, name,
			     name_size, guid, prop, NULL);
}

/*
 * Linux tee_get_variable(): GET (Attributes 0); on success also the variable's property
 * (get_property_int), whose failure is the call's.
 */
efi_status_t emu_client_get_variable(struct emu_client *c, const uint8_t *name, size_t name_size,
				     const efi_guid_t *guid, uint32_t *ret_attributes,
				     uint64_t *io_data_size, uint8_t *data)
{
	if (c->uboot)
		return uboot_get_variable(c, c->uboot, name, name_size, guid, ret_attributes,
					  io_data_size, data);
	efi_status_t s = emu_client_mm_get_variable(c, name, name_size, guid, 0, ret_attributes,
						    io_data_size, data);
	if (s != EFI_SUCCESS)
		return s;
	struct var_check_variable_property property;
	return emu_client_mm_get_property(c, name, name_size, guid, &property);
}

efi_status_t emu_client_mm_get_variable(struct emu_client *c, const uint8_t *name,
					size_t name_size, const efi_guid_t *guid, uint32_t attributes,
					uint32_t *ret_attributes, uint64_t *io_data_size,
					uint8_t *data)
{
	if (!name || !guid || !io_data_size)
		return EFI_INVALID_PARAMETER;
	efi_status_t s = ensure_budget(c);
	if (s != EFI_SUCCESS)
		return s;

	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_VARIABLE,
		.guid = *guid,
		.name = name,
		.name_size = name_size,
		.data_size = *io_data_size,
		.attributes = attributes,
	};
	struct mmvar_reply rep;
	g_autofree uint8_t *buf = NULL;
	s = communicate(c, &req, &buf, &rep);
	if (!buf)
		return s;
	if (s == EFI_SUCCESS || s == EFI_BUFFER_TOO_SMALL) {
		*io_data_size = rep.data_size;
		if (ret_attributes)
			*ret_attributes = rep.attributes;
	}
	if (s != EFI_SUCCESS)
		return s;
	if (!data && rep.data_size)
		return EFI_INVALID_PARAMETER;
	if (rep.data_size)
		memcpy(data, rep.data, rep.data_size);
	return EFI_SUCCESS;
}

efi_status_t emu_client_get_next_variable_name(struct emu_client *c, uint64_t *io_name_size,
					       uint8_t *name, efi_guid_t *io_guid)
{
	if (c->uboot)
		return uboot_get_next_variable_name(c, c->uboot, io_name_size, name, io_guid);
	return emu_client_mm_get_next_variable_name(c, io_name_size, name, io_guid);
}

efi_status_t emu_client_mm_get_next_variable_name(struct emu_client *c, uint64_t *io_name_size,
						  uint8_t *name, efi_guid_t *io_guid)
{
	if (!io_name_size || !name || !io_guid)
		return EFI_INVALID_PARAMETER;
	efi_status_t s = ensure_budget(c);
	if (s != EFI_SUCCESS)
		return s;

	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
		.guid = *io_guid,
		.name = name,
		.name_size = (size_t)*io_name_size,
		.name_buf_size = *io_name_size,
	};
	struct mmvar_reply rep;
	g_autofree uint8_t *buf = NULL;
	s = communicate(c, &req, &buf, &rep);
	if (!buf)
		return s;
	if (s == EFI_SUCCESS || s == EFI_BUFFER_TOO_SMALL)
		*io_name_size = rep.name_size;
	if (s != EFI_SUCCESS)
		return s;
	*io_guid = rep.guid;
	memcpy(name, rep.name, rep.name_size);
	return EFI_SUCCESS;
}

efi_status_t emu_client_set_variable(struct emu_client *c, const uint8_t *name, size_t name_size,
				     const efi_guid_t *guid, uint32_t attributes,
				     uint64_t data_size, const uint8_t *data)
{
	if (c->uboot)
		return uboot_set_variable(c, c->uboot, name, name_size, guid, attributes, data_size,
					  data);
	/* Linux tee_set_variable(): local checks, then the property, READ_ONLY refused. */
	if (!name || name_size < 2 || (!name[0] && !name[1]) || !guid || (data_size && !data))
		return EFI_INVALID_PARAMETER;
	efi_status_t s = ensure_budget(c);
	if (s != EFI_SUCCESS)
		return s;
	if (data_size > c->max_payload ||
	    MMVAR_ACCESS_HEADER_SIZE + name_size + data_size > c->max_payload) {
		emu_client_set_error(c, "request refused before sending: %" G_GUINT64_FORMAT " bytes, above the "
				     "variable payload budget (%" G_GUINT64_FORMAT ")",
				     (guint64)(MMVAR_ACCESS_HEADER_SIZE + name_size + data_size),
				     (guint64)c->max_payload);
		return EFI_INVALID_PARAMETER;
	}
	struct var_check_variable_property property;
	s = emu_client_mm_get_property(c, name, name_size, guid, &property);
	if (s != EFI_SUCCESS)
		return s;
	if (property.property & VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY)
		return EFI_WRITE_PROTECTED;
	return emu_client_mm_set_variable(c, name, name_size, guid, attributes, data_size, data);
}

efi_status_t emu_client_mm_set_variable(struct emu_client *c, const uint8_t *name,
					size_t name_size, const efi_guid_t *guid,
					uint32_t attributes, uint64_t data_size,
					const uint8_t *data)
{
	if (!name || !guid)
		return EFI_INVALID_PARAMETER;
	efi_status_t s = ensure_budget(c);
	if (s != EFI_SUCCESS)
		return s;

	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_SET_VARIABLE,
		.guid = *guid,
		.name = name,
		.name_size = name_size,
		.data = data,
		.data_size = data_size,
		.attributes = attributes,
	};
	struct mmvar_reply rep;
	g_autofree uint8_t *buf = NULL;
	return communicate(c, &req, &buf, &rep);
}

efi_status_t emu_client_query_variable_info(struct emu_client *c, uint32_t attributes,
					    uint64_t *ret_max_storage, uint64_t *ret_remaining,
					    uint64_t *ret_max_variable_size)
{
	if (c->uboot)
		return uboot_query_variable_info(c, c->uboot, attributes, ret_max_storage,
						 ret_remaining, ret_max_variable_size);
	return emu_client_mm_query_variable_info(c, attributes, ret_max_storage, ret_remaining,
						 ret_max_variable_size);
}

efi_status_t emu_client_mm_query_variable_info(struct emu_client *c, uint32_t attributes,
					       uint64_t *ret_max_storage, uint64_t *ret_remaining,
					       uint64_t *ret_max_variable_size)
{
	efi_status_t s = ensure_budget(c);
	if (s != EFI_SUCCESS)
		return s;

	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO,
		.attributes = attributes,
	};
	struct mmvar_reply rep;
	g_autofree uint8_t *buf = NULL;
	s = communicate(c, &req, &buf, &rep);
	if (s != EFI_SUCCESS)
		return s;
	if (ret_max_storage)
		*ret_max_storage = rep.max_storage;
	if (ret_remaining)
		*ret_remaining = rep.remaining_storage;
	if (ret_max_variable_size)
		*ret_max_variable_size = rep.max_variable_size;
	return EFI_SUCCESS;
}

efi_status_t emu_client_call(struct emu_client *c, uint64_t function, uint8_t *payload,
			     size_t payload_size)
{
	if (uboot_at_runtime(c->uboot)) {
		emu_client_set_error(c, "U-Boot at runtime has no MM path");
		return EFI_UNSUPPORTED;
	}
	return emu_client_mm_call(c, function, payload, payload_size);
}

efi_status_t emu_client_exit_boot_services(struct emu_client *c)
{
	if (c->uboot)
		return uboot_exit_boot_services(c, c->uboot);
	return emu_client_mm_call(c, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE, NULL, 0);
}

bool emu_client_at_runtime(const struct emu_client *c)
{
	return uboot_at_runtime(c->uboot);
}

size_t emu_client_runtime_variables(const struct emu_client *c)
{
	return uboot_runtime_count(c->uboot);
}

efi_status_t emu_client_mm_call(struct emu_client *c, uint64_t function, uint8_t *payload,
				size_t payload_size)
{
	static const efi_guid_t mm_var_guid = SMM_VARIABLE_GUID;
	bool answered;

	if (payload_size && !payload)
		return EFI_INVALID_PARAMETER;
	efi_status_t s = ensure_budget(c);
	if (s != EFI_SUCCESS)
		return s;
	c->last_error[0] = '\0';
	if (payload_size > c->max_payload) {
		emu_client_set_error(c, "request refused before sending: larger than the variable payload size");
		return EFI_INVALID_PARAMETER;
	}
	size_t size = MM_VARIABLE_PAYLOAD_OFFSET + payload_size;
	g_autofree uint8_t *buf = g_malloc0(size);
	memcpy(buf, mm_var_guid.b, sizeof(mm_var_guid.b));
	put_le64(buf + 16, SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + payload_size);
	put_le64(buf + MM_COMMUNICATE_HEADER_SIZE, function);
	if (payload_size)
		memcpy(buf + MM_VARIABLE_PAYLOAD_OFFSET, payload, payload_size);
	s = mm_communicate(c, buf, size, &answered);
	if (!answered)
		return s == EFI_SUCCESS ? EFI_DEVICE_ERROR : s;
	if (payload_size)
		memcpy(payload, buf + MM_VARIABLE_PAYLOAD_OFFSET, payload_size);
	return s;
}
