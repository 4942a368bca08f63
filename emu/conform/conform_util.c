/* SPDX-License-Identifier: MIT */
/* Helpers every conformance group uses: variable calls by ASCII name, raw buffers, cleanup. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "bytes.h"
#include "conform.h"
#include "efi_util.h"
#include "mm.h"
#include "mmvar.h"
#include "reset.h"
#include "stack.h"

/* SCT VariableServicesBBTestMain.h TEST_VENDOR1_GUID / TEST_VENDOR2_GUID. */
const efi_guid_t cf_vendor1 =
	EFI_GUID_INIT(0xf6fab04f, 0xacaf, 0x4af3, 0xb9, 0xfa, 0xdc, 0xf9, 0x7f, 0xb4, 0x42, 0x6f);
const efi_guid_t cf_vendor2 =
	EFI_GUID_INIT(0x49b08eba, 0xa56c, 0x4015, 0xb7, 0x03, 0xe7, 0x73, 0xc3, 0x32, 0x62, 0x8b);
/* stmm-emu conform's own namespace (random). */
const efi_guid_t cf_guid_own =
	EFI_GUID_INIT(0x3d1e07c5, 0x5b0a, 0x4c6e, 0x9f, 0x31, 0x62, 0x0b, 0x8e, 0x4d, 0x17, 0xa2);
const uint8_t cf_data10[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
const uint32_t cf_attr_sets[4] = { A_BS, A_NV | A_BS, A_BS | A_RT, A_NV | A_BS | A_RT };

static const efi_guid_t *const test_guids[] = { &cf_vendor1, &cf_vendor2, &cf_guid_own };

int cf_fail(struct cf *cf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(cf->why, fmt, ap);
	va_end(ap);
	return CF_FAIL;
}

int cf_fail_status(struct cf *cf, const char *what, efi_status_t got, efi_status_t want)
{
	char g[64], w[64];
	const char *detail = cf->c ? emu_client_last_error(cf->c) : "";

	return cf_fail(cf, "%s: got %s, want %s%s%s%s", what, efi_status_str(got, g, sizeof(g)),
		       efi_status_str(want, w, sizeof(w)), *detail ? " (" : "", detail,
		       *detail ? ")" : "");
}

const uint8_t *cf_name(struct cf *cf, const char *ascii, size_t *ret_size)
{
	size_t n = strlen(ascii);
	uint8_t *b = g_malloc0(2 * n + 2);

	for (size_t i = 0; i < n; i++)
		b[2 * i] = (uint8_t)ascii[i];
	g_ptr_array_add(cf->keep, b);
	if (ret_size)
		*ret_size = 2 * n + 2;
	return b;
}

/*
 * The suite checks the variable service, not a driver's own refusals: its SET and GET go
 * down the bare MM path (what Linux tee_stmm_efi sends for the service itself, without
 * the VAR_CHECK_VARIABLE_PROPERTY_GET it adds around them), so a READ_ONLY variable before
 * EndOfDxe reaches StMM as the rule under test needs.
 */
efi_status_t cf_set(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs,
		    const void *data, size_t size)
{
	size_t ns;
	const uint8_t *n = cf_name(cf, name, &ns);
	return emu_client_mm_set_variable(cf->c, n, ns, g, attrs, size, data);
}

efi_status_t cf_get(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t *attrs,
		    uint64_t *io_size, void *data)
{
	size_t ns;
	const uint8_t *n = cf_name(cf, name, &ns);
	return emu_client_mm_get_variable(cf->c, n, ns, g, 0, attrs, io_size, data);
}

efi_status_t cf_del(struct cf *cf, const char *name, const efi_guid_t *g)
{
	return cf_set(cf, name, g, 0, NULL, 0);
}

int cf_check_var(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs,
		 const void *data, size_t size)
{
	uint8_t buf[CF_MAX_AUTH_VARIABLE_SIZE];
	uint64_t got_size = sizeof(buf);
	uint32_t got_attrs = 0;

	efi_status_t s = cf_get(cf, name, g, &got_attrs, &got_size, buf);
	if (s != EFI_SUCCESS)
		return cf_fail_status(cf, name, s, EFI_SUCCESS);
	if (got_attrs != attrs)
		return cf_fail(cf, "%s: attributes 0x%x, want 0x%x", name, got_attrs, attrs);
	if (got_size != size)
		return cf_fail(cf, "%s: %" PRIu64 " bytes, want %zu", name, got_size, size);
	if (size && memcmp(buf, data, size) != 0)
		return cf_fail(cf, "%s: data differs from what was written", name);
	return CF_PASS;
}

int cf_check_absent(struct cf *cf, const char *name, const efi_guid_t *g)
{
	uint8_t buf[16];
	uint64_t size = sizeof(buf);
	efi_status_t s = cf_get(cf, name, g, NULL, &size, buf);
	if (s != EFI_NOT_FOUND)
		return cf_fail_status(cf, name, s, EFI_NOT_FOUND);
	return CF_PASS;
}

efi_status_t cf_query(struct cf *cf, uint32_t attrs, uint64_t *max_storage, uint64_t *remaining,
		      uint64_t *max_var)
{
	uint64_t a, b, c;
	return emu_client_query_variable_info(cf->c, attrs, max_storage ? max_storage : &a,
					      remaining ? remaining : &b, max_var ? max_var : &c);
}

efi_status_t cf_walk(struct cf *cf, bool (*fn)(void *ud, const efi_guid_t *g, const uint8_t *name,
					       uint64_t name_size),
		     void *ud, unsigned *ret_count)
{
	uint8_t name[1024] = { 0 };
	efi_guid_t g = { { 0 } };
	unsigned count = 0;
	efi_status_t s;

	for (;;) {
		uint64_t size = sizeof(name);
		s = emu_client_get_next_variable_name(cf->c, &size, name, &g);
		if (s != EFI_SUCCESS)
			break;
		if (++count > 10000) {
			s = EFI_ABORTED; /* never ending */
			break;
		}
		if (fn && !fn(ud, &g, name, size))
			break;
	}
	if (ret_count)
		*ret_count = count;
	return s;
}

struct listed_ud {
	const uint8_t *name;
	size_t name_size;
	const efi_guid_t *g;
	unsigned hits;
};

static bool listed_cb(void *ud, const efi_guid_t *g, const uint8_t *name, uint64_t name_size)
{
	struct listed_ud *l = ud;
	if (efi_guid_equal(g, l->g) && name_size == l->name_size &&
	    memcmp(name, l->name, name_size) == 0)
		l->hits++;
	return true;
}

int cf_listed(struct cf *cf, const char *name, const efi_guid_t *g, bool *ret_listed)
{
	struct listed_ud l = { .g = g };
	l.name = cf_name(cf, name, &l.name_size);
	efi_status_t s = cf_walk(cf, listed_cb, &l, NULL);
	if (s != EFI_NOT_FOUND)
		return cf_fail_status(cf, "GetNextVariableName walk", s, EFI_NOT_FOUND);
	if (l.hits > 1)
		return cf_fail(cf, "%s listed %u times", name, l.hits);
	*ret_listed = l.hits == 1;
	return CF_PASS;
}

int cf_rpmb_counter(struct cf *cf, uint32_t *ret)
{
	struct emu_ctrl_status cs;
	int r = emu_stack_ctrl_status(cf->st, cf->timeout_ms, &cs);
	if (r < 0)
		return r;
	if (!(cs.flags & EMU_CTRL_STATUS_COUNTER_SYNCED))
		return -EAGAIN;
	*ret = cs.rpmb_write_counter;
	return 0;
}

efi_status_t cf_event(struct cf *cf, uint64_t function)
{
	return emu_client_call(cf->c, function, NULL, 0);
}

/* VAR_CHECK_VARIABLE_PROPERTY message: guid, NameSize, property, name at 48. */
static uint8_t *property_msg(struct cf *cf, const char *name, const efi_guid_t *g, size_t *ret_size)
{
	size_t ns;
	const uint8_t *n = cf_name(cf, name, &ns);
	size_t size = SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + ns;
	uint8_t *p = g_malloc0(size);

	memcpy(p, g->b, 16);
	put_le64(p + 16, ns);
	memcpy(p + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET, n, ns);
	g_ptr_array_add(cf->keep, p);
	*ret_size = size;
	return p;
}

efi_status_t cf_property_set(struct cf *cf, const char *name, const efi_guid_t *g,
			     uint16_t revision, uint16_t property, uint32_t attrs,
			     uint64_t min_size, uint64_t max_size)
{
	size_t size;
	uint8_t *p = property_msg(cf, name, g, &size);

	mmvar_property_write(p, &(struct var_check_variable_property){
		.revision = revision, .property = property, .attributes = attrs,
		.min_size = min_size, .max_size = max_size });
	return emu_client_call(cf->c, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET, p, size);
}

efi_status_t cf_property_get(struct cf *cf, const char *name, const efi_guid_t *g,
			     uint16_t *ret_property, uint32_t *ret_attrs, uint64_t *ret_min,
			     uint64_t *ret_max)
{
	size_t size;
	uint8_t *p = property_msg(cf, name, g, &size);
	struct var_check_variable_property prop;

	efi_status_t s =
		emu_client_call(cf->c, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, p, size);
	if (s == EFI_SUCCESS) {
		mmvar_property_read(p, &prop);
		if (ret_property)
			*ret_property = prop.property;
		if (ret_attrs)
			*ret_attrs = prop.attributes;
		if (ret_min)
			*ret_min = prop.min_size;
		if (ret_max)
			*ret_max = prop.max_size;
	}
	return s;
}

efi_status_t cf_lock_variable(struct cf *cf, const char *name, const efi_guid_t *g)
{
	size_t ns;
	const uint8_t *n = cf_name(cf, name, &ns);
	size_t size = SMM_VARIABLE_GET_NEXT_NAME_OFFSET + ns;
	g_autofree uint8_t *p = g_malloc0(size);

	memcpy(p, g->b, 16);
	put_le64(p + 16, ns);
	memcpy(p + SMM_VARIABLE_GET_NEXT_NAME_OFFSET, n, ns);
	return emu_client_call(cf->c, SMM_VARIABLE_FUNCTION_LOCK_VARIABLE, p, size);
}

int cf_reset(struct cf *cf)
{
	g_autoptr(GString) err = g_string_new("");

	g_clear_pointer(&cf->c, emu_client_free);
	int r = emu_platform_reset(cf->st, cf->reset_wait_ms, err);
	if (r < 0)
		return cf_fail(cf, "platform reset: %s", err->str);
	r = emu_client_open(cf->st->tee_sock, cf->timeout_ms, &cf->c);
	if (r < 0)
		return cf_fail(cf, "reopening the session after the reset: %s", g_strerror(-r));
	efi_status_t s = emu_client_get_payload_size(cf->c, &cf->max_payload);
	if (s != EFI_SUCCESS)
		return cf_fail_status(cf, "GET_PAYLOAD_SIZE after the reset", s, EFI_SUCCESS);
	return CF_PASS;
}

/* ---- cleanup ---------------------------------------------------------------------------- */

struct victim {
	efi_guid_t g;
	uint8_t *name;
	size_t name_size;
};

static bool collect_cb(void *ud, const efi_guid_t *g, const uint8_t *name, uint64_t name_size)
{
	GArray *v = ud;
	for (size_t i = 0; i < G_N_ELEMENTS(test_guids); i++)
		if (efi_guid_equal(g, test_guids[i])) {
			struct victim x = { *g, g_memdup2(name, name_size), name_size };
			g_array_append_val(v, x);
		}
	return true;
}

void cf_cleanup(struct cf *cf)
{
	if (!cf->c)
		return;
	g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(struct victim));
	(void)cf_walk(cf, collect_cb, v, NULL);
	for (guint i = 0; i < v->len; i++) {
		struct victim *x = &g_array_index(v, struct victim, i);
		efi_status_t s = emu_client_mm_set_variable(cf->c, x->name, x->name_size, &x->g, 0, 0, NULL);
		(void)s; /* best effort: at runtime BS-only variables cannot be deleted */
		g_free(x->name);
	}
}

/* ---- raw buffers ----------------------------------------------------------------------- */

void cf_raw_init(struct cf_raw *r, uint64_t function, size_t payload)
{
	static const efi_guid_t mm_var_guid = SMM_VARIABLE_GUID;

	memset(r, 0, sizeof(*r));
	r->len = MM_VARIABLE_PAYLOAD_OFFSET + payload;
	r->buf = g_malloc0(r->len);
	r->memref = r->len;
	memcpy(r->buf + offsetof(struct mm_communicate_header, header_guid), mm_var_guid.b,
	       sizeof(mm_var_guid.b));
	put_le64(r->buf + offsetof(struct mm_communicate_header, message_length),
		 SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + payload);
	put_le64(r->buf + MM_COMMUNICATE_HEADER_SIZE +
			 offsetof(struct smm_variable_communicate_header, function),
		 function);
	put_le64(r->buf + MM_COMMUNICATE_HEADER_SIZE +
			 offsetof(struct smm_variable_communicate_header, return_status),
		 CF_SENTINEL);
}

void cf_raw_clear(struct cf_raw *r)
{
	g_free(r->buf);
	g_free(r->ans);
	memset(r, 0, sizeof(*r));
}

uint8_t *cf_raw_payload(struct cf_raw *r)
{
	return r->buf + MM_VARIABLE_PAYLOAD_OFFSET;
}

const uint8_t *cf_raw_answer_payload(const struct cf_raw *r)
{
	return r->ans + MM_VARIABLE_PAYLOAD_OFFSET;
}

static void put_ascii_ucs2(uint8_t *p, const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		p[2 * i] = (uint8_t)s[i];
		p[2 * i + 1] = 0;
	}
}

void cf_raw_access(struct cf_raw *r, const efi_guid_t *g, uint64_t data_size, uint64_t name_size,
		   uint32_t attrs, const char *name, const void *data, size_t data_len)
{
	uint8_t *p = cf_raw_payload(r);
	size_t nbytes = name ? 2 * strlen(name) + 2 : 0;

	g_assert(r->len >= MM_VARIABLE_PAYLOAD_OFFSET + SMM_VARIABLE_ACCESS_NAME_OFFSET + nbytes +
				   data_len);
	memcpy(p + offsetof(struct smm_variable_access, guid), g->b, sizeof(g->b));
	put_le64(p + offsetof(struct smm_variable_access, data_size), data_size);
	put_le64(p + offsetof(struct smm_variable_access, name_size), name_size);
	put_le32(p + offsetof(struct smm_variable_access, attributes), attrs);
	if (name)
		put_ascii_ucs2(p + SMM_VARIABLE_ACCESS_NAME_OFFSET, name);
	if (data_len)
		memcpy(p + SMM_VARIABLE_ACCESS_NAME_OFFSET + nbytes, data, data_len);
}

void cf_raw_get_next(struct cf_raw *r, const efi_guid_t *g, uint64_t name_size, const char *name)
{
	uint8_t *p = cf_raw_payload(r);

	g_assert(r->len >= MM_VARIABLE_PAYLOAD_OFFSET + SMM_VARIABLE_GET_NEXT_NAME_OFFSET +
				   (name ? 2 * strlen(name) + 2 : 0));
	memcpy(p + offsetof(struct smm_variable_get_next_name, guid), g->b, sizeof(g->b));
	put_le64(p + offsetof(struct smm_variable_get_next_name, name_size), name_size);
	if (name)
		put_ascii_ucs2(p + SMM_VARIABLE_GET_NEXT_NAME_OFFSET, name);
}

int cf_raw_send(struct cf *cf, struct cf_raw *r)
{
	struct emu_client_raw_result res;

	int e = emu_client_raw(cf->c, r->buf, r->len, r->memref, &res);
	if (e < 0)
		return cf_fail(cf, "raw invoke failed: %s", emu_client_last_error(cf->c));
	g_free(r->ans);
	r->ans = g_steal_pointer(&res.answer);
	r->tee_ret = res.tee_ret;
	r->mm_code = (int64_t)res.mm_code;
	r->memref_back = res.memref_size;
	emu_client_raw_result_clear(&res);
	return CF_PASS;
}

uint64_t cf_raw_return_status(const struct cf_raw *r)
{
	return get_le64(r->ans + MM_COMMUNICATE_HEADER_SIZE +
			offsetof(struct smm_variable_communicate_header, return_status));
}

static int raw_handled(struct cf *cf, const struct cf_raw *r)
{
	if (r->tee_ret != 0)
		return cf_fail(cf, "TEE result 0x%08x, want TEE_SUCCESS", r->tee_ret);
	if ((int32_t)r->mm_code != 0)
		return cf_fail(cf, "MM return code %" PRId64 ", want 0 (success)", r->mm_code);
	if (r->memref < MM_VARIABLE_PAYLOAD_OFFSET)
		return cf_fail(cf, "answer shorter than the headers");
	return CF_PASS;
}

int cf_raw_expect(struct cf *cf, const struct cf_raw *r, efi_status_t want)
{
	if (raw_handled(cf, r) != CF_PASS)
		return CF_FAIL;
	uint64_t got = cf_raw_return_status(r);
	if (got == CF_SENTINEL) {
		char w[64];
		return cf_fail(cf, "request dropped (ReturnStatus untouched), want %s",
			       efi_status_str(want, w, sizeof(w)));
	}
	if (got != want)
		return cf_fail_status(cf, "ReturnStatus", got, want);
	return CF_PASS;
}

int cf_raw_expect_dropped(struct cf *cf, const struct cf_raw *r)
{
	if (raw_handled(cf, r) != CF_PASS)
		return CF_FAIL;
	uint64_t got = cf_raw_return_status(r);
	if (got != CF_SENTINEL) {
		char g[64];
		return cf_fail(cf, "ReturnStatus written (%s), want a silent drop (untouched)",
			       efi_status_str(got, g, sizeof(g)));
	}
	size_t n = r->len < r->memref ? r->len : (size_t)r->memref;
	if (memcmp(r->ans + MM_VARIABLE_PAYLOAD_OFFSET, r->buf + MM_VARIABLE_PAYLOAD_OFFSET,
		   n - MM_VARIABLE_PAYLOAD_OFFSET) != 0)
		return cf_fail(cf, "payload changed by a dropped request");
	return CF_PASS;
}
