/* SPDX-License-Identifier: MIT */
/* The variable service: MM buffers built byte by byte, exact ReturnStatus values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "test_stmm_mm.h"

#define BS_RT 0x6u

/* ---- golden buffers ------------------------------------------------------------------- */

static void payload_size_golden(void **state)
{
	struct fx *f = *state;
	uint8_t b[48] = {
		0x33, 0xd5, 0x32, 0xed, 0xe6, 0x99, 0x09, 0x42, 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9,
		0x98, 0xa7,                                     /* HeaderGuid */
		0x18, 0, 0, 0, 0, 0, 0, 0,                      /* MessageLength 24 */
		0x0b, 0, 0, 0, 0, 0, 0, 0,                      /* GET_PAYLOAD_SIZE */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* ReturnStatus */
		0, 0, 0, 0, 0, 0, 0, 0,                         /* VariablePayloadSize */
	};
	static const uint8_t want_tail[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
					       0xf4, 0x27, 0, 0, 0, 0, 0, 0 };

	assert_int_equal(varsvc_communicate(f->svc, b, sizeof(b)), 0);
	assert_memory_equal(b + 32, want_tail, 16); /* EFI_SUCCESS, 10228 */
	assert_int_equal(varsvc_payload_size(f->svc), 10228);
}

static void set_get_golden(void **state)
{
	struct fx *f = *state;
	uint8_t set[84] = {
		0x33, 0xd5, 0x32, 0xed, 0xe6, 0x99, 0x09, 0x42, 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9,
		0x98, 0xa7,                                     /* HeaderGuid */
		0x3c, 0, 0, 0, 0, 0, 0, 0,                      /* MessageLength 60 */
		0x03, 0, 0, 0, 0, 0, 0, 0,                      /* SET_VARIABLE */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* ReturnStatus */
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03,
		0x2b, 0x8c,                                     /* gEfiGlobalVariableGuid */
		0x02, 0, 0, 0, 0, 0, 0, 0,                      /* DataSize 2 */
		0x06, 0, 0, 0, 0, 0, 0, 0,                      /* NameSize 6 */
		0x07, 0, 0, 0,                                  /* NV|BS|RT */
		0x41, 0, 0x42, 0, 0, 0,                         /* L"AB" */
		0x12, 0x34,                                     /* data */
	};
	uint8_t get[98] = {
		0x33, 0xd5, 0x32, 0xed, 0xe6, 0x99, 0x09, 0x42, 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9,
		0x98, 0xa7,
		0x4a, 0, 0, 0, 0, 0, 0, 0,                      /* MessageLength 74 */
		0x01, 0, 0, 0, 0, 0, 0, 0,                      /* GET_VARIABLE */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03,
		0x2b, 0x8c,
		0x10, 0, 0, 0, 0, 0, 0, 0,                      /* DataSize 16 (room) */
		0x06, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0, 0, 0,
		0x41, 0, 0x42, 0, 0, 0,
		/* 16 bytes of room, zero */
	};
	uint8_t want_set[84], want_get[98];

	memcpy(want_set, set, sizeof(set));
	memset(want_set + 32, 0, 8); /* only ReturnStatus changes */
	assert_int_equal(varsvc_communicate(f->svc, set, sizeof(set)), 0);
	assert_memory_equal(set, want_set, sizeof(set));

	memcpy(want_get, get, sizeof(get));
	memset(want_get + 32, 0, 8);
	want_get[56] = 0x02;        /* DataSize 2 */
	want_get[72] = 0x07;        /* Attributes */
	want_get[82] = 0x12;        /* data */
	want_get[83] = 0x34;
	assert_int_equal(varsvc_communicate(f->svc, get, sizeof(get)), 0);
	assert_memory_equal(get, want_get, sizeof(get));
}

/* ---- MM header and silent drops ----------------------------------------------------------- */

static void mm_header_checks(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->buf;
	size_t n = hdr(b, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	uint8_t copy[64];

	assert_int_equal(varsvc_communicate(f->svc, b, 23), ARM_SPM_MM_RET_DENIED);
	assert_int_equal(varsvc_communicate(f->svc, b, n - 1), ARM_SPM_MM_RET_DENIED);
	put_le64(b + O_MSGLEN, UINT64_MAX);
	assert_int_equal(varsvc_communicate(f->svc, b, n), ARM_SPM_MM_RET_DENIED);
	put_le64(b + O_MSGLEN, UINT64_MAX - 23); /* + 24 wraps to 0 */
	assert_int_equal(varsvc_communicate(f->svc, b, n), ARM_SPM_MM_RET_DENIED);
	assert_int_equal(status(b), SENTINEL);

	/* Another HeaderGuid: no handler, MM success, buffer untouched. */
	n = hdr(b, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	b[0] ^= 0xff;
	memcpy(copy, b, n);
	assert_int_equal(varsvc_communicate(f->svc, b, n), ARM_SPM_MM_RET_SUCCESS);
	assert_memory_equal(b, copy, n);

	/* A buffer larger than MessageLength needs is fine; the tail is not touched. */
	n = hdr(b, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	b[n] = 0x77;
	assert_int_equal(varsvc_communicate(f->svc, b, n + 1), ARM_SPM_MM_RET_SUCCESS);
	assert_int_equal(status(b), EFI_SUCCESS);
	assert_int_equal(b[n], 0x77);
}

/* Send `fn` with MessageLength = 16 + psize and expect no change at all. */
static void expect_dropped(struct fx *f, uint64_t fn, size_t psize)
{
	size_t n = hdr(f->buf, fn, psize);
	g_autofree uint8_t *copy = g_memdup2(f->buf, n);

	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_SUCCESS);
	assert_memory_equal(f->buf, copy, n);
}

static void silent_drops(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->buf;

	/* MessageLength < 16: not even a variable header. */
	hdr(b, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 0);
	put_le64(b + O_MSGLEN, 15);
	assert_int_equal(varsvc_communicate(f->svc, b, 24 + 15), ARM_SPM_MM_RET_SUCCESS);
	assert_int_equal(status(b), SENTINEL);

	expect_dropped(f, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 10229); /* > payload size */
	expect_dropped(f, SMM_VARIABLE_FUNCTION_GET_VARIABLE, 10229);
	expect_dropped(f, SMM_VARIABLE_FUNCTION_GET_VARIABLE, 35);
	expect_dropped(f, SMM_VARIABLE_FUNCTION_SET_VARIABLE, 35);
	expect_dropped(f, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, 23);
	expect_dropped(f, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO, 31);
	expect_dropped(f, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 7);
	expect_dropped(f, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, 47);

	/* Exactly the payload size is served. */
	hdr(b, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 10228);
	assert_int_equal(varsvc_communicate(f->svc, b, 40 + 10228), 0);
	assert_int_equal(status(b), EFI_SUCCESS);
}

static void unsupported_functions(void **state)
{
	struct fx *f = *state;
	const uint64_t fns[] = { 0, 7, 12, 13, 14, 0x100000001ULL, UINT64_MAX };

	for (size_t i = 0; i < G_N_ELEMENTS(fns); i++) {
		size_t n = hdr(f->buf, fns[i], 64);
		assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_SUCCESS);
		assert_int_equal(status(f->buf), EFI_UNSUPPORTED);
	}
}

/* ---- GetVariable ----------------------------------------------------------------------- */

static void get_variable_round_trip(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "\x01\x02\x03\x04", 4), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "Foo", 4), EFI_SUCCESS);
	assert_int_equal(REPLY_DATA_SIZE(f->buf), 4);
	assert_int_equal(REPLY_ATTRS(f->buf), NV_BS_RT);
	assert_memory_equal(REPLY_DATA(f->buf, "Foo"), "\x01\x02\x03\x04", 4);
	assert_int_equal(get_var(f, &guid_g, "Foo", 4), EFI_NOT_FOUND);
	assert_int_equal(get_var(f, &guid_v, "Fo", 4), EFI_NOT_FOUND);
	assert_int_equal(get_var(f, &guid_v, "", 4), EFI_NOT_FOUND);
}

static void get_variable_buffer_too_small(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_v, "Foo", BS_RT, "abcdef", 6), EFI_SUCCESS);
	size_t n = access_req(f->buf, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0,
			      "zzzzz", 5);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	assert_int_equal(status(f->buf), EFI_BUFFER_TOO_SMALL);
	assert_int_equal(REPLY_DATA_SIZE(f->buf), 6);
	assert_int_equal(REPLY_ATTRS(f->buf), BS_RT); /* attributes on BUFFER_TOO_SMALL too */
	assert_memory_equal(REPLY_DATA(f->buf, "Foo"), "zzzzz", 5);
	assert_int_equal(get_var(f, &guid_v, "Foo", 0), EFI_BUFFER_TOO_SMALL);
	assert_int_equal(REPLY_DATA_SIZE(f->buf), 6);
}

static void get_variable_name_checks(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->buf;
	size_t n;

	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "x", 1), EFI_SUCCESS);

	/* NameSize 0 and 1. */
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 24, 0);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	put_le64(b + O_P + 24, 1);
	put_le64(b + O_STATUS, SENTINEL);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);

	/* Odd NameSize 7: the CHAR16 at index 7/2-1 = 2 is 'o', not NUL. */
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 24, 7);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	/* Odd NameSize 9: index 3 is the NUL, the name is "Foo"; data follows at 36 + 9. */
	put_le64(b + O_P + 24, 9);
	put_le64(b + O_P + 16, 1);
	put_le32(b + O_P + 32, 0);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_SUCCESS);
	assert_int_equal(b[O_P + 36 + 9], 'x');

	/* No NUL at the end of the name. */
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 24, 6);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);

	/* NameSize / DataSize SIZE_MAX: InfoSize overflow. */
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 24, UINT64_MAX);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 16, UINT64_MAX);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 16, UINT64_MAX - 40); /* sums wrap only past the first check */
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);

	/* DataSize one byte more than the payload holds. */
	n = access_req(b, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 8);
	put_le64(b + O_P + 16, 9);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	assert_int_equal(REPLY_DATA_SIZE(b), 9); /* nothing copied back */
}

/* ---- SetVariable ----------------------------------------------------------------------- */

static void set_variable_attribute_checks(void **state)
{
	struct fx *f = *state;
	const struct {
		uint32_t attrs;
		uint64_t want;
	} cases[] = {
		{ 0x80 | NV_BS_RT, EFI_INVALID_PARAMETER },        /* reserved bit */
		{ 0x100 | BS_RT, EFI_INVALID_PARAMETER },
		{ EFI_VARIABLE_RUNTIME_ACCESS, EFI_INVALID_PARAMETER }, /* RT without BS */
		{ EFI_VARIABLE_RUNTIME_ACCESS | 0x10, EFI_UNSUPPORTED },
		{ EFI_VARIABLE_NON_VOLATILE, EFI_INVALID_PARAMETER },   /* NV only */
		{ EFI_VARIABLE_NON_VOLATILE | 0x10, EFI_UNSUPPORTED },
		{ NV_BS_RT | 0x20, EFI_INVALID_PARAMETER },   /* AT: no AuthVariableLib yet */
		{ NV_BS_RT | 0x10, EFI_INVALID_PARAMETER },   /* AW likewise */
		{ NV_BS_RT | 0x30, EFI_INVALID_PARAMETER },
		{ NV_BS_RT | 0x08, EFI_INVALID_PARAMETER },   /* HR: no HwErr storage */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_int_equal(set_var(f, &guid_v, "Foo", cases[i].attrs, "x", 1), cases[i].want);
	assert_int_equal(set_var(f, &guid_v, "", NV_BS_RT, "x", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(f->m->writes, 2); /* the format only */
}

static void set_variable_size_limits(void **state)
{
	struct fx *f = *state;
	g_autofree uint8_t *d = g_malloc0(8192);

	/* name "Foo" = 8 bytes: NV limit 0x2000 - 60 - 8 = 8124 bytes of data. */
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, d, 8125), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, d, 8124), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Vol", BS_RT, d, 8125), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "Vol", BS_RT, d, 8124), EFI_SUCCESS);
	/* Payload larger than GET_PAYLOAD_SIZE allows is dropped before any check. */
	size_t n = access_req(f->buf, SMM_VARIABLE_FUNCTION_SET_VARIABLE, &guid_v, "Big", NV_BS_RT,
			      NULL, 10228 - 36 - 8 + 1);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	assert_int_equal(status(f->buf), SENTINEL);
	/* DataSize SIZE_MAX. */
	n = access_req(f->buf, SMM_VARIABLE_FUNCTION_SET_VARIABLE, &guid_v, "Foo", NV_BS_RT, "x", 1);
	put_le64(f->buf + O_P + 16, UINT64_MAX);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	assert_int_equal(status(f->buf), EFI_ACCESS_DENIED);
}

static void set_variable_update_delete(void **state)
{
	struct fx *f = *state;
	unsigned w;

	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "one", 3), EFI_SUCCESS);
	/* Different attributes on an existing variable. */
	assert_int_equal(set_var(f, &guid_v, "Foo", BS_RT, "two", 3), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT | 0x20, "two", 3),
			 EFI_INVALID_PARAMETER);
	/* Identical rewrite: success, nothing written. */
	w = f->m->writes;
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "one", 3), EFI_SUCCESS);
	assert_int_equal(f->m->writes, w);
	/* Update. */
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "three", 5), EFI_SUCCESS);
	assert_int_equal(f->m->writes, w + 4);
	assert_int_equal(get_var(f, &guid_v, "Foo", 16), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "Foo"), "three", 5);
	/* Delete by DataSize 0. */
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, NULL, 0), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "Foo", 16), EFI_NOT_FOUND);
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, NULL, 0), EFI_NOT_FOUND);
	/* Delete by attributes 0 (data ignored). */
	assert_int_equal(set_var(f, &guid_v, "Bar", NV_BS_RT, "b", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Bar", 0, "zz", 2), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "Bar", 16), EFI_NOT_FOUND);
	assert_int_equal(set_var(f, &guid_v, "Bar", 0, "zz", 2), EFI_NOT_FOUND);
	/* Creating with no access attributes is a delete of nothing. */
	assert_int_equal(set_var(f, &guid_v, "Baz", EFI_VARIABLE_APPEND_WRITE, "z", 1),
			 EFI_NOT_FOUND);
}

static void set_variable_append(void **state)
{
	struct fx *f = *state;
	const uint32_t app = NV_BS_RT | EFI_VARIABLE_APPEND_WRITE;
	unsigned w;

	/* Empty append to a missing variable: success, nothing created. */
	assert_int_equal(set_var(f, &guid_v, "App", app, NULL, 0), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "App", 16), EFI_NOT_FOUND);
	/* Append to a missing variable creates it, without APPEND_WRITE stored. */
	assert_int_equal(set_var(f, &guid_v, "App", app, "ab", 2), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "App", app, "cd", 2), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "App", 16), EFI_SUCCESS);
	assert_int_equal(REPLY_DATA_SIZE(f->buf), 4);
	assert_memory_equal(REPLY_DATA(f->buf, "App"), "abcd", 4);
	assert_int_equal(REPLY_ATTRS(f->buf), NV_BS_RT);
	/* Empty append to an existing variable: success, no delete, nothing written. */
	w = f->m->writes;
	assert_int_equal(set_var(f, &guid_v, "App", app, NULL, 0), EFI_SUCCESS);
	assert_int_equal(f->m->writes, w);
	assert_int_equal(get_var(f, &guid_v, "App", 16), EFI_SUCCESS);
	/* Appending past MaxVariableSize - (60 + NameSize). */
	g_autofree uint8_t *d = g_malloc0(8192);
	assert_int_equal(set_var(f, &guid_v, "App", app, d, 8192 - 60 - 8 - 4 + 1),
			 EFI_INVALID_PARAMETER);
	/* Volatile append. */
	assert_int_equal(set_var(f, &guid_v, "VApp", BS_RT | EFI_VARIABLE_APPEND_WRITE, "x", 1),
			 EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "VApp", BS_RT | EFI_VARIABLE_APPEND_WRITE, "y", 1),
			 EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "VApp", 16), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "VApp"), "xy", 2);
}

static void set_variable_volatile_is_not_persisted(void **state)
{
	struct fx *f = *state;
	unsigned w = f->m->writes;

	assert_int_equal(set_var(f, &guid_v, "Vol", BS_RT, "v", 1), EFI_SUCCESS);
	assert_int_equal(f->m->writes, w);
	assert_int_equal(set_var(f, &guid_v, "Nv", NV_BS_RT, "n", 1), EFI_SUCCESS);
	/* Same name under the same GUID in the other store: attributes differ. */
	assert_int_equal(set_var(f, &guid_v, "Vol", NV_BS_RT, "v", 1), EFI_INVALID_PARAMETER);
	fx_close(f); /* "reset" */
	fx_open(f);
	assert_int_equal(get_var(f, &guid_v, "Vol", 16), EFI_NOT_FOUND);
	assert_int_equal(get_var(f, &guid_v, "Nv", 16), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "Nv"), "n", 1);
}

static void set_variable_store_full(void **state)
{
	struct fx *f = *state;
	g_autofree uint8_t *d = g_malloc0(8100);

	assert_int_equal(set_var(f, &guid_v, "A", NV_BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "B", NV_BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "C", NV_BS_RT, d, 8000), EFI_OUT_OF_RESOURCES);
	/* Volatile: 0x4000 - 28 = 16356 bytes. */
	assert_int_equal(set_var(f, &guid_v, "A", BS_RT | 0, d, 8000), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "VA", BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "VB", BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "VC", BS_RT, d, 8000), EFI_OUT_OF_RESOURCES);
	/* Replacing counts only the other variables (edk2 reclaims the volatile store). */
	assert_int_equal(set_var(f, &guid_v, "VB", BS_RT, d, 8100), EFI_SUCCESS);
}

static void set_variable_device_error_keeps_old_value(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "old", 3), EFI_SUCCESS);
	membackend_reset_counts(f->m);
	f->m->fail_at = 2; /* the new record */
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "new", 3), EFI_DEVICE_ERROR);
	f->m->fail_at = 0;
	assert_int_equal(get_var(f, &guid_v, "Foo", 16), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "Foo"), "old", 3);
	fx_close(f);
	fx_open(f);
	assert_int_equal(get_var(f, &guid_v, "Foo", 16), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "Foo"), "old", 3);
	/* And a delete that fails. */
	membackend_reset_counts(f->m);
	f->m->fail_at = 1;
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, NULL, 0), EFI_DEVICE_ERROR);
	assert_int_equal(get_var(f, &guid_v, "Foo", 16), EFI_SUCCESS);
}

/* ---- GetNextVariableName --------------------------------------------------------------- */

/* GetNext request with a name buffer of `room` bytes holding `name`. */
static size_t next_req(uint8_t *b, const efi_guid_t *g, const char *name, uint64_t name_size,
		       size_t room)
{
	size_t total = hdr(b, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, 24 + room);

	memcpy(b + O_P, g->b, 16);
	put_le64(b + O_P + 16, name_size);
	for (size_t i = 0; name[i]; i++)
		b[O_P + 24 + 2 * i] = (uint8_t)name[i];
	return total;
}

static uint64_t get_next(struct fx *f, efi_guid_t *g, char *name, size_t room)
{
	size_t n = next_req(f->buf, g, name, room, room);
	uint64_t st;

	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	st = status(f->buf);
	if (st == EFI_SUCCESS) {
		uint64_t ns = get_le64(f->buf + O_P + 16);
		memcpy(g->b, f->buf + O_P, 16);
		for (size_t i = 0; i < ns / 2; i++)
			name[i] = (char)f->buf[O_P + 24 + 2 * i];
	}
	return st;
}

static void get_next_iterates_volatile_then_nv(void **state)
{
	struct fx *f = *state;
	efi_guid_t g = { { 0 } };
	char name[64] = "";
	GString *seen = g_string_new(NULL);

	assert_int_equal(get_next(f, &g, name, 64), EFI_NOT_FOUND); /* empty */
	assert_int_equal(set_var(f, &guid_g, "Same", NV_BS_RT, "1", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Vol", BS_RT, "v", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Same", NV_BS_RT, "2", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "Last", NV_BS_RT, "3", 1), EFI_SUCCESS);

	name[0] = 0;
	while (get_next(f, &g, name, 64) == EFI_SUCCESS)
		g_string_append_printf(seen, "%s/%02x ", name, g.b[0]);
	assert_int_equal(status(f->buf), EFI_NOT_FOUND);
	/* The same name under two GUIDs is listed twice. */
	assert_string_equal(seen->str, "Vol/78 Same/61 Same/78 Last/61 ");
	g_string_free(seen, TRUE);
}

static void get_next_errors(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->buf;
	size_t n;

	assert_int_equal(set_var(f, &guid_v, "LongName", NV_BS_RT, "1", 1), EFI_SUCCESS);

	/* Too small for L"LongName": BUFFER_TOO_SMALL with the size needed; name kept. */
	n = next_req(b, &guid_g, "", 4, 4);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_BUFFER_TOO_SMALL);
	assert_int_equal(get_le64(b + O_P + 16), 18);
	assert_int_equal(b[O_P + 24], 0);

	/* Unknown name / wrong GUID: INVALID_PARAMETER. */
	n = next_req(b, &guid_v, "Nope", 64, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_INVALID_PARAMETER);
	n = next_req(b, &guid_g, "LongName", 64, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_INVALID_PARAMETER);
	/* The last one: NOT_FOUND. */
	n = next_req(b, &guid_v, "LongName", 64, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_NOT_FOUND);

	/* NameSize 0 or 1: no room for a NUL within NameSize/2 characters. */
	n = next_req(b, &guid_g, "", 0, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_INVALID_PARAMETER);
	n = next_req(b, &guid_g, "", 1, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_INVALID_PARAMETER);
	/* A NUL only after NameSize/2 characters. */
	n = next_req(b, &guid_v, "LongName", 6, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_INVALID_PARAMETER);
	/* Odd NameSize 3: one character of room, which is the NUL of L"". */
	n = next_req(b, &guid_g, "", 3, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_BUFFER_TOO_SMALL);

	/* NameSize beyond the payload, or SIZE_MAX: ACCESS_DENIED. */
	n = next_req(b, &guid_g, "", 65, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	n = next_req(b, &guid_g, "", UINT64_MAX, 64);
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	/* The whole name buffer must end with a NUL CHAR16, even past NameSize. */
	n = next_req(b, &guid_g, "", 4, 64);
	b[n - 1] = 'x';
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
	n = next_req(b, &guid_g, "", 2, 3); /* odd name buffer: last whole CHAR16 checked */
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_BUFFER_TOO_SMALL);
	n = next_req(b, &guid_g, "", 1, 1); /* name buffer of one byte */
	assert_int_equal(varsvc_communicate(f->svc, b, n), 0);
	assert_int_equal(status(b), EFI_ACCESS_DENIED);
}

/* ---- QueryVariableInfo ----------------------------------------------------------------- */

static void query_variable_info(void **state)
{
	struct fx *f = *state;
	uint64_t max, rem, maxv;
	g_autofree uint8_t *d = g_malloc0(8000);
	const struct {
		uint32_t attrs;
		uint64_t want;
	} bad[] = {
		{ 0, EFI_INVALID_PARAMETER },
		{ NV_BS_RT | 0x10, EFI_UNSUPPORTED },
		{ 0x80, EFI_UNSUPPORTED },
		{ EFI_VARIABLE_NON_VOLATILE, EFI_INVALID_PARAMETER },
		{ EFI_VARIABLE_RUNTIME_ACCESS, EFI_INVALID_PARAMETER },
		{ EFI_VARIABLE_HARDWARE_ERROR_RECORD | BS_RT, EFI_INVALID_PARAMETER },
		{ EFI_VARIABLE_HARDWARE_ERROR_RECORD | NV_BS_RT, EFI_UNSUPPORTED },
		{ NV_BS_RT | 0x20, EFI_UNSUPPORTED },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_int_equal(query(f, bad[i].attrs, &max, &rem, &maxv), bad[i].want);
		assert_int_equal(max, 0); /* outputs untouched */
	}

	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(max, 16284);
	assert_int_equal(rem, 16284);
	assert_int_equal(maxv, 0x2000 - 60);
	assert_int_equal(query(f, BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(max, 0x4000 - 28);
	assert_int_equal(rem, 0x4000 - 28);
	assert_int_equal(maxv, 0x2000 - 60);

	/* 60 + 8 + 3 = 71 -> 72 bytes used; deleted records do not count at boot time. */
	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "abc", 3), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Tmp", NV_BS_RT, "abc", 3), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Tmp", NV_BS_RT, NULL, 0), EFI_SUCCESS);
	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(max, 16284);
	assert_int_equal(rem, 16284 - 72);
	/* MaximumVariableSize clamps to Remaining - 60. */
	assert_int_equal(set_var(f, &guid_v, "Big", NV_BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(rem, 16284 - 72 - 8068);
	assert_int_equal(maxv, 16284 - 72 - 8068 - 60);
	/* Volatile accounting. */
	assert_int_equal(set_var(f, &guid_v, "V", BS_RT, "abc", 3), EFI_SUCCESS);
	assert_int_equal(query(f, BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(rem, 0x4000 - 28 - 68);
}

/* ---- VAR_CHECK_VARIABLE_PROPERTY_GET ------------------------------------------------------- */

static void property_get_not_found(void **state)
{
	struct fx *f = *state;
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, 48 + 8);

	put_le64(f->buf + O_P + 16, 8);
	memcpy(f->buf + O_P + 48, "F\0o\0o\0\0\0", 8);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	assert_int_equal(status(f->buf), EFI_NOT_FOUND);
	put_le64(f->buf + O_P + 16, 7);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	assert_int_equal(status(f->buf), EFI_ACCESS_DENIED);
	put_le64(f->buf + O_P + 16, 2);
	memset(f->buf + O_P + 48, 0, 2);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), 0);
	assert_int_equal(status(f->buf), EFI_INVALID_PARAMETER);
}

static void varsvc_new_rejects_bad_config(void **state)
{
	struct fx *f = *state;
	struct varsvc_config cfg;
	struct varsvc *svc = NULL;

	varsvc_config_defaults(&cfg);
	assert_int_equal(cfg.max_variable_size, 0x2000);
	assert_int_equal(cfg.max_auth_variable_size, 0x2800);
	assert_int_equal(cfg.max_volatile_variable_size, 0x2000);
	assert_int_equal(cfg.volatile_store_size, 0x4000);
	assert_int_equal(varsvc_new(&cfg, NULL, &svc), -EINVAL);
	cfg.max_variable_size = 10;
	assert_int_equal(varsvc_new(&cfg, f->store, &svc), -EINVAL);
	/* Zero auth/volatile maxima default to MaxVariableSize, as the PCDs do. */
	varsvc_config_defaults(&cfg);
	cfg.max_auth_variable_size = 0;
	cfg.max_volatile_variable_size = 0;
	assert_int_equal(varsvc_new(&cfg, f->store, &svc), 0);
	assert_int_equal(varsvc_payload_size(svc), 0x2000 + 48 - 60);
	varsvc_free(svc);
	varsvc_free(NULL);
}

/*
 * varsvc_call_is_read_only names exactly the functions that only read the service's
 * memory (stmmd answers those on its main thread, tee.h): each of them leaves the backend
 * untouched -- not one read or write -- and the others are not named.
 */
static void call_is_read_only_functions(void **state)
{
	struct fx *f = *state;
	const efi_guid_t other = EFI_GLOBAL_VARIABLE_GUID;
	size_t n;

	for (uint64_t fn = 0; fn <= 12; fn++) {
		bool want = fn == SMM_VARIABLE_FUNCTION_GET_VARIABLE ||
			    fn == SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME ||
			    fn == SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO ||
			    fn == SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET ||
			    fn == SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE;
		n = hdr(f->buf, fn, 64);
		assert_int_equal(varsvc_call_is_read_only(f->buf, n), want);
		assert_false(varsvc_call_is_read_only(f->buf, MM_VARIABLE_PAYLOAD_OFFSET - 1));
		memcpy(f->buf, other.b, 16); /* no handler for that GUID: not ours to judge */
		assert_false(varsvc_call_is_read_only(f->buf, n));
	}
	assert_false(varsvc_call_is_read_only(NULL, 64));

	assert_int_equal(set_var(f, &guid_v, "Foo", NV_BS_RT, "\x01\x02\x03\x04", 4), EFI_SUCCESS);
	unsigned reads = f->m->reads, attempts = f->m->attempts;
	n = access_req(f->buf, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, "Foo", 0, NULL, 4);
	assert_true(varsvc_call_is_read_only(f->buf, n));
	assert_int_equal(call(f, n), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "Foo"), "\x01\x02\x03\x04", 4);
	n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, 16 + 8 + 64);
	put_le64(f->buf + O_P + 16, 64);
	assert_true(varsvc_call_is_read_only(f->buf, n));
	assert_int_equal(call(f, n), EFI_SUCCESS);
	uint64_t max, rem, maxv;
	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_true(rem > 0 && rem < max);
	n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	assert_true(varsvc_call_is_read_only(f->buf, n));
	assert_int_equal(call(f, n), EFI_SUCCESS);
	n = hdr(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, 64);
	put_le64(f->buf + O_P + 16, 8);
	put_name(f->buf + O_P + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET, "Foo");
	assert_true(varsvc_call_is_read_only(f->buf, n));
	assert_int_equal(call(f, n), EFI_NOT_FOUND);
	assert_int_equal(f->m->reads, reads);
	assert_int_equal(f->m->attempts, attempts);
	/* A write is not one of them: it reaches the device. */
	n = access_req(f->buf, SMM_VARIABLE_FUNCTION_SET_VARIABLE, &guid_v, "Foo", NV_BS_RT, "x", 1);
	assert_false(varsvc_call_is_read_only(f->buf, n));
	assert_int_equal(call(f, n), EFI_SUCCESS);
	assert_true(f->m->attempts > attempts);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(payload_size_golden),
		T(set_get_golden),
		T(mm_header_checks),
		T(silent_drops),
		T(unsupported_functions),
		T(get_variable_round_trip),
		T(get_variable_buffer_too_small),
		T(get_variable_name_checks),
		T(set_variable_attribute_checks),
		T(set_variable_size_limits),
		T(set_variable_update_delete),
		T(set_variable_append),
		T(set_variable_volatile_is_not_persisted),
		T(set_variable_store_full),
		T(set_variable_device_error_keeps_old_value),
		T(get_next_iterates_volatile_then_nv),
		T(get_next_errors),
		T(query_variable_info),
		T(property_get_not_found),
		T(varsvc_new_rejects_bad_config),
		T(call_is_read_only_functions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
