/* SPDX-License-Identifier: MIT */
/*
 * MM buffers built byte by byte for the variable-service unit tests: a fixture (in-memory
 * flash, store, service, one MM buffer), the MM and variable headers, ACCESS_VARIABLE
 * requests, and the few calls every such test makes.  Every request is sent with the
 * expectation of MM success; what the tests check is the EFI ReturnStatus.
 * Header-only so each test_stmm_*.c stays one translation unit.
 */
#ifndef STMM_EMU_TEST_STMM_MM_H
#define STMM_EMU_TEST_STMM_MM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "bytes.h"
#include "mm.h"
#include "pta_stmm.h"
#include "store.h"
#include "test_stmm_membackend.h"
#include "varsvc.h"

#define NV_BS_RT 0x7u
#define SENTINEL 0xa5a5a5a5a5a5a5a5ULL /* ReturnStatus before the call */
#define BUF_MAX  (24 + 16 + 10228 + 64)

/* Offsets inside a whole MM buffer. */
#define O_MSGLEN 16
#define O_FN     24
#define O_STATUS 32
#define O_P      40 /* payload */

static const efi_guid_t guid_g = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t guid_v =
	EFI_GUID_INIT(0x12345678, 0x1234, 0x5678, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04);

struct fx {
	struct membackend *m;
	struct store *store;
	struct varsvc *svc;
	struct varsvc_config cfg; /* what fx_open() hands the service */
	uint8_t buf[BUF_MAX];
};

/* Open the store on f->m and the service over it with f->cfg. */
static inline void fx_open(struct fx *f)
{
	struct store_layout l = default_layout();
	struct store_backend be = membackend_ops(f->m);

	assert_int_equal(store_open(&l, &be, &f->store), 0);
	assert_int_equal(varsvc_new(&f->cfg, f->store, &f->svc), 0);
}

static inline void fx_close(struct fx *f)
{
	varsvc_free(f->svc);
	store_free(f->store);
	f->svc = NULL;
	f->store = NULL;
}

/* Erased flash and the default config; not opened yet. */
static inline struct fx *fx_new(void)
{
	struct fx *f = g_new0(struct fx, 1);

	f->m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	varsvc_config_defaults(&f->cfg);
	return f;
}

static inline int fx_setup(void **state)
{
	struct fx *f = fx_new();

	fx_open(f);
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	fx_close(f);
	membackend_free(f->m);
	g_free(f);
	return 0;
}

/* MM header + variable header for `fn` with a payload of `psize` bytes (zeroed). */
static inline size_t hdr(uint8_t *b, uint64_t fn, size_t psize)
{
	const efi_guid_t g = SMM_VARIABLE_GUID;

	memset(b, 0, 40 + psize);
	memcpy(b, g.b, 16);
	put_le64(b + O_MSGLEN, 16 + psize);
	put_le64(b + O_FN, fn);
	put_le64(b + O_STATUS, SENTINEL);
	return 40 + psize;
}

static inline uint64_t status(const uint8_t *b)
{
	return get_le64(b + O_STATUS);
}

/* Send the first `n` bytes of f->buf, expect MM success, return the ReturnStatus. */
static inline uint64_t call(struct fx *f, size_t n)
{
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_SUCCESS);
	return status(f->buf);
}

/* ASCII `name` as UCS-2 (the terminator is left to the zeroed buffer). */
static inline void put_name(uint8_t *dst, const char *name)
{
	for (size_t i = 0; name[i]; i++)
		dst[2 * i] = (uint8_t)name[i];
}

/* ACCESS_VARIABLE request: name is ASCII turned UCS-2; payload = 36 + name + data room. */
static inline size_t access_req(uint8_t *b, uint64_t fn, const efi_guid_t *g, const char *name,
				uint32_t attrs, const void *data, uint64_t data_size)
{
	size_t ns = 2 * strlen(name) + 2;
	size_t total = hdr(b, fn, 36 + ns + data_size);

	memcpy(b + O_P, g->b, 16);
	put_le64(b + O_P + 16, data_size);
	put_le64(b + O_P + 24, ns);
	put_le32(b + O_P + 32, attrs);
	put_name(b + O_P + 36, name);
	if (data && data_size)
		memcpy(b + O_P + 36 + ns, data, data_size);
	return total;
}

static inline uint64_t set_var(struct fx *f, const efi_guid_t *g, const char *name,
			       uint32_t attrs, const void *data, uint64_t size)
{
	return call(f, access_req(f->buf, SMM_VARIABLE_FUNCTION_SET_VARIABLE, g, name, attrs, data,
				  size));
}

/* GetVariable with a data buffer of `room` bytes; the reply stays in f->buf. */
static inline uint64_t get_var(struct fx *f, const efi_guid_t *g, const char *name,
			       uint64_t room)
{
	return call(f, access_req(f->buf, SMM_VARIABLE_FUNCTION_GET_VARIABLE, g, name, 0, NULL,
				  room));
}

#define REPLY_DATA_SIZE(b)  get_le64((b) + O_P + 16)
#define REPLY_ATTRS(b)      get_le32((b) + O_P + 32)
#define REPLY_DATA(b, name) ((b) + O_P + 36 + 2 * strlen(name) + 2)

/* QueryVariableInfo for `attrs`: maximum storage, remaining, maximum variable size. */
static inline uint64_t query(struct fx *f, uint32_t attrs, uint64_t *max, uint64_t *rem,
			     uint64_t *maxv)
{
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO, 32);
	uint64_t st;

	put_le32(f->buf + O_P + 24, attrs);
	st = call(f, n);
	*max = get_le64(f->buf + O_P);
	*rem = get_le64(f->buf + O_P + 8);
	*maxv = get_le64(f->buf + O_P + 16);
	return st;
}

#endif
