/* SPDX-License-Identifier: MIT */
/*
 * MM communicate buffers for the variable service, built and parsed as the Linux
 * tee_stmm_efi driver and U-Boot's efi_variable_tee.c do (include/mm.h for the layouts,
 * shared/research/mm-variable-protocol.md §1-§2 and clients-conformance.md §3.3 for the
 * behaviour).  Pure functions: no I/O, no global state, so that every request can be
 * compared byte for byte with a golden copy.
 *
 * What the builder reproduces from those clients:
 *  - the buffer is zeroed before it is filled (kzalloc / calloc);
 *  - HeaderGuid = SMM_VARIABLE_GUID, MessageLength = 16 + payload size;
 *  - the payload size of each function: GET/SET 40 + name + data (sizeof the access
 *    struct, 4 bytes more than edk2's OFFSET_OF(Name)), GET_NEXT 24 + name buffer,
 *    QUERY 32, GET_PAYLOAD_SIZE 8;
 *  - the budget against the session's max payload (GET_PAYLOAD_SIZE minus
 *    MM_CLIENT_PAYLOAD_QUIRK): SET refuses 40 + name + data > max, GET trims the
 *    requested DataSize to max - 40 - name, GET_NEXT trims the name buffer to max - 24
 *    (the unused tail of the name stays zero), and any buffer larger than
 *    24 + 16 + max is refused.  With max_payload = 0 (not yet known) nothing is checked.
 */
#ifndef STMM_EMU_EMU_MMVAR_H
#define STMM_EMU_EMU_MMVAR_H

#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "mm.h"

#define MMVAR_WUR __attribute__((warn_unused_result))

/* The fixed part of a GET/SET payload as Linux/U-Boot budget it: sizeof, not edk2's 36. */
#define MMVAR_ACCESS_HEADER_SIZE   ((uint32_t)sizeof(struct smm_variable_access))
/* The fixed part of a GET_NEXT payload (the name starts there). */
#define MMVAR_GET_NEXT_HEADER_SIZE ((uint32_t)sizeof(struct smm_variable_get_next_name))
/* Linux rejects a GET_PAYLOAD_SIZE answer below this (before the -2 quirk). */
#define MMVAR_MIN_PAYLOAD_SIZE     (MMVAR_ACCESS_HEADER_SIZE + 0x20u)
/* The name buffer Linux efivarfs enumerates with (bytes). */
#define MMVAR_LINUX_NAME_BUF_SIZE  1024u

/* One request, in host terms. */
struct mmvar_req {
	uint64_t function;       /* SMM_VARIABLE_FUNCTION_* */
	efi_guid_t guid;         /* GET, SET, GET_NEXT (the previous GUID) */
	const uint8_t *name;     /* UCS-2LE; GET/SET/GET_NEXT; read up to the first NUL */
	size_t name_size;        /* bytes available at name (NUL must be inside) */
	const uint8_t *data;     /* SET: the data (may be NULL when data_size is 0) */
	uint64_t data_size;      /* SET: bytes of data; GET: the caller's buffer size */
	uint32_t attributes;     /* SET, QUERY; GET: what goes into the request (0) */
	uint64_t name_buf_size;  /* GET_NEXT: the caller's name buffer in bytes */
};

/*
 * What the builder decided, needed to read the answer and for tests: the sizes after
 * trimming.
 */
struct mmvar_layout {
	size_t buf_size;         /* whole buffer: 24 + 16 + payload_size */
	size_t payload_size;     /* bytes after the two headers */
	uint64_t name_size;      /* GET/SET: bytes of name incl. NUL; GET_NEXT: input name */
	uint64_t data_size;      /* GET: requested (trimmed) DataSize; SET: data bytes */
	uint64_t name_buf_size;  /* GET_NEXT: NameSize sent (trimmed buffer) */
};

/*
 * Build the whole MM buffer for `req` (g_free).  Returns 0; -EINVAL for a request no
 * client would send (no NUL in the name, GET_NEXT buffer smaller than the name, unknown
 * function); -E2BIG when the request does not fit max_payload (SET, a name larger than
 * the budget, or the whole buffer).  Both become EFI_INVALID_PARAMETER, as in Linux.
 */
MMVAR_WUR int mmvar_build(const struct mmvar_req *req, uint64_t max_payload,
			  uint8_t **ret_buf, struct mmvar_layout *ret_layout);

/* The answer, pointing into the buffer it was parsed from. */
struct mmvar_reply {
	uint64_t function;
	efi_status_t return_status;  /* SMM_VARIABLE_COMMUNICATE_HEADER.ReturnStatus */
	/* GET_VARIABLE */
	uint32_t attributes;
	uint64_t data_size;          /* DataSize as answered (needed size on TOO_SMALL) */
	const uint8_t *data;         /* valid for data_size bytes when return_status is 0 */
	/* GET_NEXT_VARIABLE_NAME */
	efi_guid_t guid;
	uint64_t name_size;          /* NameSize as answered */
	const uint8_t *name;         /* valid for name_size bytes when return_status is 0 */
	/* QUERY_VARIABLE_INFO */
	uint64_t max_storage;
	uint64_t remaining_storage;
	uint64_t max_variable_size;
	/* GET_PAYLOAD_SIZE (raw value, before the client's -2) */
	uint64_t payload_size;
};

/*
 * Parse the answer to a request built with `layout`.  `buf` is the whole buffer as it
 * came back (layout->buf_size bytes).  Sizes the secure world wrote are checked against
 * the buffer: -EBADMSG when they point outside it.
 */
MMVAR_WUR int mmvar_parse(const struct mmvar_req *req, const struct mmvar_layout *layout,
			  const uint8_t *buf, size_t size, struct mmvar_reply *ret_reply);

/* The session's budget from a GET_PAYLOAD_SIZE answer: -EPROTO below Linux's minimum. */
MMVAR_WUR int mmvar_max_payload(uint64_t answered, uint64_t *ret_max_payload);

/*
 * MM return code (value[1].a) -> EFI status as the clients map it: 0 -> EFI_SUCCESS
 * (the caller then uses ReturnStatus), -2 INVALID_PARAMETER, -3 ACCESS_DENIED,
 * -5 OUT_OF_RESOURCES, anything else ACCESS_DENIED.  The low 32 bits are read as a signed
 * number, so both a sign-extended and a zero-extended -2 count.
 */
efi_status_t mmvar_mm_code_to_efi(uint64_t value_a);

/* A local refusal (-errno from mmvar_build and friends) -> EFI status. */
efi_status_t mmvar_errno_to_efi(int r);

/*
 * The VAR_CHECK_VARIABLE_PROPERTY of a PROPERTY_GET/SET payload (functions 9 and 10),
 * `payload` pointing at its start (the GUID): read into host order, or written from it.
 */
void mmvar_property_read(const uint8_t *payload, struct var_check_variable_property *ret);
void mmvar_property_write(uint8_t *payload, const struct var_check_variable_property *prop);

#endif
