/* SPDX-License-Identifier: MIT */
#include "mmvar.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "bytes.h"
#include "pta_stmm.h"

/* Nothing we build is larger than this, known budget or not. */
#define MMVAR_MAX_BUFFER (16u * 1024u * 1024u)

#define HDRS MM_VARIABLE_PAYLOAD_OFFSET

/* Bytes of a UCS-2 name up to and including its NUL, looking at most max_chars. */
static int name_bytes(const uint8_t *name, size_t avail, uint64_t max_chars, uint64_t *ret)
{
	uint64_t n = avail / 2 < max_chars ? avail / 2 : max_chars;

	if (!name)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++)
		if (get_le16(name + 2 * i) == 0) {
			*ret = (i + 1) * 2;
			return 0;
		}
	return -EINVAL;
}

static uint8_t *new_buffer(uint64_t function, size_t payload_size, size_t *ret_buf_size)
{
	static const efi_guid_t mm_var_guid = SMM_VARIABLE_GUID;
	size_t size = HDRS + payload_size;
	uint8_t *buf = g_malloc0(size);

	memcpy(buf + offsetof(struct mm_communicate_header, header_guid), mm_var_guid.b,
	       sizeof(mm_var_guid.b));
	put_le64(buf + offsetof(struct mm_communicate_header, message_length),
		 SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + payload_size);
	put_le64(buf + MM_COMMUNICATE_HEADER_SIZE +
			 offsetof(struct smm_variable_communicate_header, function),
		 function);
	/* ReturnStatus stays 0. */
	*ret_buf_size = size;
	return buf;
}

/* Payload size, fixed part plus a variable part, with overflow and budget checks. */
static int payload_fits(uint64_t fixed, uint64_t a, uint64_t b, uint64_t max_payload,
			size_t *ret)
{
	uint64_t p = fixed;

	if (a > MMVAR_MAX_BUFFER || b > MMVAR_MAX_BUFFER)
		return -E2BIG;
	p += a + b;
	if (p + HDRS > MMVAR_MAX_BUFFER)
		return -E2BIG;
	/* Linux/U-Boot setup_mm_hdr: the whole buffer must fit max_buffer_size. */
	if (max_payload && p > max_payload)
		return -E2BIG;
	*ret = (size_t)p;
	return 0;
}

static int build_access(const struct mmvar_req *req, uint64_t max_payload, uint8_t **ret_buf,
			struct mmvar_layout *l)
{
	uint64_t name_size, data_size = req->data_size;
	int r = name_bytes(req->name, req->name_size, UINT64_MAX, &name_size);
	if (r < 0)
		return r;

	if (req->function == SMM_VARIABLE_FUNCTION_GET_VARIABLE) {
		if (max_payload) {
			if (max_payload < MMVAR_ACCESS_HEADER_SIZE ||
			    name_size > max_payload - MMVAR_ACCESS_HEADER_SIZE)
				return -E2BIG;
			/* Trim the output buffer to what the budget leaves. */
			uint64_t room = max_payload - MMVAR_ACCESS_HEADER_SIZE - name_size;
			if (data_size > room)
				data_size = room;
		}
	} else if (data_size && !req->data) {
		return -EINVAL;
	}

	size_t payload;
	r = payload_fits(MMVAR_ACCESS_HEADER_SIZE, name_size, data_size, max_payload, &payload);
	if (r < 0)
		return r;

	uint8_t *buf = new_buffer(req->function, payload, &l->buf_size);
	uint8_t *p = buf + HDRS;
	memcpy(p + offsetof(struct smm_variable_access, guid), req->guid.b, sizeof(req->guid.b));
	put_le64(p + offsetof(struct smm_variable_access, data_size), data_size);
	put_le64(p + offsetof(struct smm_variable_access, name_size), name_size);
	put_le32(p + offsetof(struct smm_variable_access, attributes), req->attributes);
	memcpy(p + offsetof(struct smm_variable_access, name), req->name, name_size);
	if (req->function == SMM_VARIABLE_FUNCTION_SET_VARIABLE && data_size)
		memcpy(p + offsetof(struct smm_variable_access, name) + name_size, req->data,
		       data_size);

	l->payload_size = payload;
	l->name_size = name_size;
	l->data_size = data_size;
	*ret_buf = buf;
	return 0;
}

static int build_get_next(const struct mmvar_req *req, uint64_t max_payload, uint8_t **ret_buf,
			  struct mmvar_layout *l)
{
	uint64_t out_size = req->name_buf_size, in_size;
	int r = name_bytes(req->name, req->name_size, out_size / 2, &in_size);
	if (r < 0)
		return r; /* no NUL within the caller's buffer: it is smaller than the name */

	if (max_payload) {
		if (max_payload < MMVAR_GET_NEXT_HEADER_SIZE ||
		    in_size > max_payload - MMVAR_GET_NEXT_HEADER_SIZE)
			return -E2BIG;
		if (out_size > max_payload - MMVAR_GET_NEXT_HEADER_SIZE)
			out_size = max_payload - MMVAR_GET_NEXT_HEADER_SIZE;
	}

	size_t payload;
	r = payload_fits(MMVAR_GET_NEXT_HEADER_SIZE, out_size, 0, max_payload, &payload);
	if (r < 0)
		return r;

	uint8_t *buf = new_buffer(req->function, payload, &l->buf_size);
	uint8_t *p = buf + HDRS;
	memcpy(p + offsetof(struct smm_variable_get_next_name, guid), req->guid.b,
	       sizeof(req->guid.b));
	put_le64(p + offsetof(struct smm_variable_get_next_name, name_size), out_size);
	/* The name, then zeroes up to the end of the buffer (already zero). */
	memcpy(p + offsetof(struct smm_variable_get_next_name, name), req->name, in_size);

	l->payload_size = payload;
	l->name_size = in_size;
	l->data_size = 0;
	l->name_buf_size = out_size;
	*ret_buf = buf;
	return 0;
}

static int build_fixed(const struct mmvar_req *req, size_t payload, uint64_t max_payload,
		       uint8_t **ret_buf, struct mmvar_layout *l)
{
	if (max_payload && payload > max_payload)
		return -E2BIG;
	uint8_t *buf = new_buffer(req->function, payload, &l->buf_size);
	if (req->function == SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO)
		put_le32(buf + HDRS + offsetof(struct smm_variable_query_info, attributes),
			 req->attributes);
	l->payload_size = payload;
	*ret_buf = buf;
	return 0;
}

int mmvar_build(const struct mmvar_req *req, uint64_t max_payload, uint8_t **ret_buf,
		struct mmvar_layout *ret_layout)
{
	struct mmvar_layout l = { 0 };
	uint8_t *buf = NULL;
	int r;

	switch (req->function) {
	case SMM_VARIABLE_FUNCTION_GET_VARIABLE:
	case SMM_VARIABLE_FUNCTION_SET_VARIABLE:
		r = build_access(req, max_payload, &buf, &l);
		break;
	case SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME:
		r = build_get_next(req, max_payload, &buf, &l);
		break;
	case SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO:
		r = build_fixed(req, sizeof(struct smm_variable_query_info), max_payload, &buf, &l);
		break;
	case SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE:
		r = build_fixed(req, sizeof(struct smm_variable_payload_size), 0, &buf, &l);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0)
		return r;
	*ret_buf = buf;
	if (ret_layout)
		*ret_layout = l;
	return 0;
}

int mmvar_parse(const struct mmvar_req *req, const struct mmvar_layout *layout,
		const uint8_t *buf, size_t size, struct mmvar_reply *ret_reply)
{
	struct mmvar_reply rep = { 0 };

	if (size < layout->buf_size || layout->buf_size < HDRS + layout->payload_size)
		return -EBADMSG;
	const uint8_t *p = buf + HDRS;
	size_t psize = layout->payload_size;

	rep.function = get_le64(buf + MM_COMMUNICATE_HEADER_SIZE +
				offsetof(struct smm_variable_communicate_header, function));
	rep.return_status = get_le64(buf + MM_COMMUNICATE_HEADER_SIZE +
				     offsetof(struct smm_variable_communicate_header,
					      return_status));

	switch (req->function) {
	case SMM_VARIABLE_FUNCTION_GET_VARIABLE: {
		rep.data_size = get_le64(p + offsetof(struct smm_variable_access, data_size));
		uint64_t name_size = get_le64(p + offsetof(struct smm_variable_access, name_size));
		rep.attributes = get_le32(p + offsetof(struct smm_variable_access, attributes));
		if (rep.return_status != EFI_SUCCESS)
			break;
		/* Data sits after the name the answer describes; it must stay inside. */
		if (name_size > psize || rep.data_size > psize ||
		    SMM_VARIABLE_ACCESS_NAME_OFFSET + name_size + rep.data_size > psize ||
		    rep.data_size > layout->data_size)
			return -EBADMSG;
		rep.data = p + SMM_VARIABLE_ACCESS_NAME_OFFSET + name_size;
		break;
	}
	case SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME:
		memcpy(rep.guid.b, p + offsetof(struct smm_variable_get_next_name, guid),
		       sizeof(rep.guid.b));
		rep.name_size = get_le64(p + offsetof(struct smm_variable_get_next_name, name_size));
		if (rep.return_status != EFI_SUCCESS)
			break;
		if (rep.name_size > layout->name_buf_size ||
		    SMM_VARIABLE_GET_NEXT_NAME_OFFSET + rep.name_size > psize)
			return -EBADMSG;
		rep.name = p + SMM_VARIABLE_GET_NEXT_NAME_OFFSET;
		break;
	case SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO:
		rep.max_storage = get_le64(
			p + offsetof(struct smm_variable_query_info, maximum_variable_storage_size));
		rep.remaining_storage = get_le64(
			p + offsetof(struct smm_variable_query_info, remaining_variable_storage_size));
		rep.max_variable_size =
			get_le64(p + offsetof(struct smm_variable_query_info, maximum_variable_size));
		break;
	case SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE:
		rep.payload_size =
			get_le64(p + offsetof(struct smm_variable_payload_size, variable_payload_size));
		break;
	case SMM_VARIABLE_FUNCTION_SET_VARIABLE:
		break;
	default:
		return -EINVAL;
	}
	*ret_reply = rep;
	return 0;
}

int mmvar_max_payload(uint64_t answered, uint64_t *ret_max_payload)
{
	if (answered < MMVAR_MIN_PAYLOAD_SIZE)
		return -EPROTO;
	*ret_max_payload = answered - MM_CLIENT_PAYLOAD_QUIRK;
	return 0;
}

efi_status_t mmvar_mm_code_to_efi(uint64_t value_a)
{
	int64_t v = (int64_t)value_a;
	int32_t code;

	if (v >= INT32_MIN && v <= INT32_MAX)
		code = (int32_t)v;              /* sign-extended, as Linux compares */
	else if (value_a <= UINT32_MAX)
		code = (int32_t)(uint32_t)value_a; /* a 32-bit TEE_Param value, zero-extended */
	else
		return EFI_ACCESS_DENIED;
	switch (code) {
	case ARM_SPM_MM_RET_SUCCESS:
		return EFI_SUCCESS;
	case ARM_SPM_MM_RET_INVALID_PARAMS:
		return EFI_INVALID_PARAMETER;
	case ARM_SPM_MM_RET_DENIED:
		return EFI_ACCESS_DENIED;
	case ARM_SPM_MM_RET_NO_MEMORY:
		return EFI_OUT_OF_RESOURCES;
	default:
		return EFI_ACCESS_DENIED;
	}
}

efi_status_t mmvar_errno_to_efi(int r)
{
	switch (r) {
	case 0:
		return EFI_SUCCESS;
	case -EINVAL:
	case -E2BIG:
		return EFI_INVALID_PARAMETER;
	case -ENOMEM:
		return EFI_OUT_OF_RESOURCES;
	default:
		return EFI_DEVICE_ERROR;
	}
}

#define MMVAR_PROP(field)                                                                   \
	(offsetof(struct smm_variable_var_check_property, variable_property) +              \
	 offsetof(struct var_check_variable_property, field))

void mmvar_property_read(const uint8_t *payload, struct var_check_variable_property *ret)
{
	*ret = (struct var_check_variable_property){
		.revision = get_le16(payload + MMVAR_PROP(revision)),
		.property = get_le16(payload + MMVAR_PROP(property)),
		.attributes = get_le32(payload + MMVAR_PROP(attributes)),
		.min_size = get_le64(payload + MMVAR_PROP(min_size)),
		.max_size = get_le64(payload + MMVAR_PROP(max_size)),
	};
}

void mmvar_property_write(uint8_t *payload, const struct var_check_variable_property *prop)
{
	put_le16(payload + MMVAR_PROP(revision), prop->revision);
	put_le16(payload + MMVAR_PROP(property), prop->property);
	put_le32(payload + MMVAR_PROP(attributes), prop->attributes);
	put_le64(payload + MMVAR_PROP(min_size), prop->min_size);
	put_le64(payload + MMVAR_PROP(max_size), prop->max_size);
}
