/* SPDX-License-Identifier: MIT */
/*
 * `stmm-emu conform`: the conformance suite.  Every case derives from one assertion of a
 * public suite (UEFI SCT VariableServices, fwts uefirtvariable, Trusted Services' service
 * and attack tests, U-Boot's efi_selftest) or from edk2's own rules, restated in our
 * words with its source (shared/research/clients-conformance.md §1, §5;
 * mm-variable-protocol.md §2, §4), and asserts the exact EFI status edk2's VariableSmm
 * gives.  No code of those suites is used.
 *
 * A case runs either through the client library (what a caller of the Linux driver sees)
 * or with raw MM buffers (the bytes StMM answers); `mode` says which.  Cases leave nothing
 * behind: after each one the runner deletes every variable under the test GUIDs.
 * Groups marked destructive (phases, properties, reset, a full store) change the phase or
 * fill the store; they start and end with a platform reset and run on a scratch stack
 * unless --in-place.
 */
#ifndef STMM_EMU_EMU_CONFORM_H
#define STMM_EMU_EMU_CONFORM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client.h"
#include "efi.h"
#include "state.h"

/* ---- the running context ---------------------------------------------------------- */

struct cf {
	emu_client *c;                /* the session cases use (reopened after a reset) */
	const struct emu_state *st;   /* the stack under test */
	int timeout_ms;
	uint64_t max_payload;         /* the client's budget: GET_PAYLOAD_SIZE - 2 */
	uint64_t payload_size;        /* what GET_PAYLOAD_SIZE answered */
	/* NV MaximumVariableStorageSize expected of this stack: its var-store-size (the
	 * state's stmm-emu.conf, else stmmd's default) - FV header - store header. */
	uint64_t nv_storage;
	GString *why;                 /* failure message of the running case */
	int reset_wait_ms;
	GPtrArray *keep;               /* allocations that live until the case ends */
	struct cf_keys *keys;          /* signing keys (--keys); NULL: auth groups skipped */
	const char *profile;           /* the stack's build profile (README "Which EDK2 build
					* this is"): "optee-stmm" or "strict" */
};
/* Is the stack under test the optee-stmm profile (PlatformStandaloneMmRpmb.dsc)? */
#define CF_OPTEE_STMM(cf) (strcmp((cf)->profile, "optee-stmm") == 0)

/* Case outcome. */
#define CF_PASS 0
#define CF_FAIL (-1)
#define CF_SKIP 1 /* reported, never run: the group's prerequisite is missing */

enum cf_mode { CF_LIB, CF_RAW };

struct cf_case {
	const char *id;      /* group.name */
	enum cf_mode mode;
	const char *source;  /* the assertion it derives from, with its suite */
	int (*run)(struct cf *cf);
	/*
	 * The profiles whose status the case expects, comma list; NULL = both (and a case that
	 * asks cf->profile expects each profile's own status, citing it in `source`).  A case
	 * for another profile is reported skipped.
	 */
	const char *profiles;
};

#define CF_GROUP_DESTRUCTIVE 0x1u
#define CF_GROUP_NEEDS_KEYS  0x2u /* signs payloads: skipped without --keys (cf.keys) */

struct cf_group {
	const char *name;
	const char *title;
	unsigned flags;
	const struct cf_case *cases;
	size_t n_cases;
	/* Runs after each case (after its reset, before cf_cleanup); may be NULL. */
	void (*cleanup)(struct cf *cf);
};

#define CF_GROUP(var, nm, ttl, fl, arr)                                                     \
	const struct cf_group var = { .name = nm, .title = ttl, .flags = fl, .cases = arr,  \
				      .n_cases = G_N_ELEMENTS(arr) }

extern const struct cf_group cf_group_get, cf_group_getnext, cf_group_set_attributes,
	cf_group_set_size, cf_group_append, cf_group_delete, cf_group_query, cf_group_payload,
	cf_group_raw_malformed, cf_group_stress, cf_group_properties, cf_group_phases,
	cf_group_reset, cf_group_store_full, cf_group_auth, cf_group_secure_boot,
	cf_group_varcheck_uefi;

/* ---- keys for the authenticated groups (conform_auth.c) ------------------------------- */

/*
 * Load the PEM keys and certificates the auth groups sign with (PK, KEK, KEK2, db, priv1,
 * priv2, other: fixtures/make-keys.sh) from `dir`.  0, or -errno with the reason in `err`.
 */
__attribute__((warn_unused_result)) int cf_keys_load(const char *dir, struct cf_keys **ret_keys,
						     GString *err);
void cf_keys_free(struct cf_keys *k);

/* ---- failing with a message -------------------------------------------------------- */

int cf_fail(struct cf *cf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "what: got EFI_X, want EFI_Y" (plus the client's last error). */
int cf_fail_status(struct cf *cf, const char *what, efi_status_t got, efi_status_t want);

#define CF_EXPECT_ST(expr, want)                                                            \
	do {                                                                                \
		efi_status_t s_ = (expr);                                                   \
		if (s_ != (want))                                                           \
			return cf_fail_status(cf, #expr, s_, (want));                       \
	} while (0)
#define CF_EXPECT(cond, ...)                                                                \
	do {                                                                                \
		if (!(cond))                                                                \
			return cf_fail(cf, __VA_ARGS__);                                    \
	} while (0)
/* A step that must work for the case to mean anything (set-up). */
#define CF_SETUP(expr) CF_EXPECT_ST(expr, EFI_SUCCESS)

/* ---- test data (SCT VariableServicesBBTestMain.h, fwts uefirtvariable) ---------------- */

extern const efi_guid_t cf_vendor1;   /* SCT TEST_VENDOR1_GUID */
extern const efi_guid_t cf_vendor2;   /* SCT TEST_VENDOR2_GUID */
extern const efi_guid_t cf_guid_own;  /* this suite's own GUID */
extern const uint8_t cf_data10[10];   /* 0..9 */

#define A_NV     EFI_VARIABLE_NON_VOLATILE
#define A_BS     EFI_VARIABLE_BOOTSERVICE_ACCESS
#define A_RT     EFI_VARIABLE_RUNTIME_ACCESS
#define A_HR     EFI_VARIABLE_HARDWARE_ERROR_RECORD
#define A_AW     EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS
#define A_AT     EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS
#define A_APPEND EFI_VARIABLE_APPEND_WRITE
#define A_EA     EFI_VARIABLE_ENHANCED_AUTHENTICATED_ACCESS

/* The four attribute sets SCT uses almost everywhere. */
extern const uint32_t cf_attr_sets[4];

/* OP-TEE StMM RPMB build (PlatformStandaloneMmRpmb.dsc) and edk2 format constants. */
#define CF_MAX_VARIABLE_SIZE      0x2000u /* PcdMaxVariableSize */
#define CF_MAX_AUTH_VARIABLE_SIZE 0x2800u /* PcdMaxAuthVariableSize */
#define CF_VAR_HDR                60u     /* AUTHENTICATED_VARIABLE_HEADER */
#define CF_NV_STORAGE             16284u  /* default: 0x4000 - FV header 0x48 - store header 28 */
#define CF_DEFAULT_VAR_STORE_SIZE 0x4000u /* stmmd --var-store-size default */
#define CF_STORE_HEADER           28u     /* VARIABLE_STORE_HEADER */
#define CF_VOLATILE_STORAGE       16356u  /* PcdVariableStoreSize 0x4000 - 28 */
#define CF_PAYLOAD_SIZE           10228u  /* 0x2800 + 48 - 60 */
#define CF_NS_BUF_SIZE            16384u  /* OP-TEE stmm_ns_comm_buf_size */
/* Space a record takes: header, name, data, aligned to 4 (HEADER_ALIGN). */
#define CF_RECORD_SIZE(name_size, data_size) \
	((uint32_t)((CF_VAR_HDR + (name_size) + (data_size) + 3u) & ~(size_t)3u))

/* ---- the variable services by ASCII name (client library) ----------------------------- */

/* UCS-2 bytes of an ASCII name incl. NUL; the result lives until the case ends. */
const uint8_t *cf_name(struct cf *cf, const char *ascii, size_t *ret_size);

efi_status_t cf_set(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs,
		    const void *data, size_t size);
/* GetVariable with a buffer of *io_size bytes (data may be NULL); attrs optional. */
efi_status_t cf_get(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t *attrs,
		    uint64_t *io_size, void *data);
/* Delete (attributes 0, size 0); the status of that call. */
efi_status_t cf_del(struct cf *cf, const char *name, const efi_guid_t *g);
/* Read the variable and compare attributes and bytes; CF_PASS or a failure. */
int cf_check_var(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs,
		 const void *data, size_t size);
int cf_check_absent(struct cf *cf, const char *name, const efi_guid_t *g);
efi_status_t cf_query(struct cf *cf, uint32_t attrs, uint64_t *max_storage, uint64_t *remaining,
		      uint64_t *max_var);

/* One GetNextVariableName walk from L"": calls fn for each; the final status (NOT_FOUND at the end). */
efi_status_t cf_walk(struct cf *cf, bool (*fn)(void *ud, const efi_guid_t *g, const uint8_t *name,
					       uint64_t name_size),
		     void *ud, unsigned *ret_count);
/* Whether (name, guid) is enumerated. */
int cf_listed(struct cf *cf, const char *name, const efi_guid_t *g, bool *ret_listed);

/* The RPMB write counter (CTRL_STATUS); -errno when not available. */
int cf_rpmb_counter(struct cf *cf, uint32_t *ret);

/* MM functions without a client call of their own (events, properties, lock). */
efi_status_t cf_event(struct cf *cf, uint64_t function);
efi_status_t cf_property_set(struct cf *cf, const char *name, const efi_guid_t *g,
			     uint16_t revision, uint16_t property, uint32_t attrs,
			     uint64_t min_size, uint64_t max_size);
/* PROPERTY_GET; on success the property's fields are returned (optional pointers). */
efi_status_t cf_property_get(struct cf *cf, const char *name, const efi_guid_t *g,
			     uint16_t *ret_property, uint32_t *ret_attrs, uint64_t *ret_min,
			     uint64_t *ret_max);
efi_status_t cf_lock_variable(struct cf *cf, const char *name, const efi_guid_t *g);

/* Platform reset (volatile gone, NV kept, boot time); reopens the session.  CF_PASS or fail. */
int cf_reset(struct cf *cf);

/* Delete every variable under the test GUIDs (best effort); the runner calls it after each case. */
void cf_cleanup(struct cf *cf);

/* ---- raw MM buffers --------------------------------------------------------------------- */

/* ReturnStatus pre-filled into every raw request: still there = the request was dropped. */
#define CF_SENTINEL 0x5a5a5a5a5a5a5a5aULL

struct cf_raw {
	uint8_t *buf;        /* the whole MM buffer (g_free) */
	size_t len;          /* bytes of buf */
	uint64_t memref;     /* memref[0].size to send (default len) */
	/* the answer */
	uint32_t tee_ret;
	int64_t mm_code;
	uint64_t memref_back;
	uint8_t *ans;        /* memref bytes after the call (g_free) */
};

/* A zeroed buffer: HeaderGuid, MessageLength = 16 + payload, Function, ReturnStatus = sentinel. */
void cf_raw_init(struct cf_raw *r, uint64_t function, size_t payload);
void cf_raw_clear(struct cf_raw *r);
/* Payload pointer (offset 40) of the request / of the answer. */
uint8_t *cf_raw_payload(struct cf_raw *r);
const uint8_t *cf_raw_answer_payload(const struct cf_raw *r);
/*
 * ACCESS_VARIABLE payload: guid, DataSize, NameSize fields as given; the ASCII name as
 * UCS-2 with its NUL at offset 36 (name may be NULL); data after the *actual* name bytes
 * plus `data_gap` bytes.  The payload must be large enough (checked with g_assert: a
 * programming error in a case).
 */
void cf_raw_access(struct cf_raw *r, const efi_guid_t *g, uint64_t data_size, uint64_t name_size,
		   uint32_t attrs, const char *name, const void *data, size_t data_len);
/* GET_NEXT payload: guid, NameSize field, the name (ASCII -> UCS-2 + NUL) at 24. */
void cf_raw_get_next(struct cf_raw *r, const efi_guid_t *g, uint64_t name_size, const char *name);
/* Send through raw mode.  CF_PASS or a transport failure. */
int cf_raw_send(struct cf *cf, struct cf_raw *r);
uint64_t cf_raw_return_status(const struct cf_raw *r);
/* The answer must be a handled MM call (TEE success, MM code 0) with this ReturnStatus. */
int cf_raw_expect(struct cf *cf, const struct cf_raw *r, efi_status_t want);
/* The answer must be a silent drop: MM success, ReturnStatus still the sentinel, payload unchanged. */
int cf_raw_expect_dropped(struct cf *cf, const struct cf_raw *r);

#endif
