/* SPDX-License-Identifier: MIT */
/*
 * Destructive groups phases (READY_TO_BOOT, EXIT_BOOT_SERVICE), properties (VAR_CHECK,
 * LOCK_VARIABLE and EndOfDxe) and reset (ResetSystem).  Every case starts with a platform
 * reset so that it begins at boot time.
 */
#include <inttypes.h>
#include <string.h>

#include "conform.h"
#include "efi_util.h"
#include "mm.h"

#define RTB SMM_VARIABLE_FUNCTION_READY_TO_BOOT
#define EBS SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE
#define RO  VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY
#define REV VAR_CHECK_VARIABLE_PROPERTY_REVISION

static const uint8_t other[10] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };

/* Reset, create one variable per SCT attribute set, then READY_TO_BOOT + EXIT_BOOT_SERVICE. */
static int to_runtime(struct cf *cf)
{
	static const char *const names[4] = { "RtBs", "RtNvBs", "RtBsRt", "RtNvBsRt" };
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	for (size_t i = 0; i < 4; i++)
		CF_SETUP(cf_set(cf, names[i], &cf_guid_own, cf_attr_sets[i], cf_data10, 10));
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, EBS), EFI_SUCCESS);
	return CF_PASS;
}

/* ---- phases ------------------------------------------------------------------------------ */

static int ph_rtb(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	/* Still boot time: a BS-only variable can be written and read. */
	CF_EXPECT_ST(cf_set(cf, "AfterRtb", &cf_guid_own, A_BS, cf_data10, 10), EFI_SUCCESS);
	return cf_check_var(cf, "AfterRtb", &cf_guid_own, A_BS, cf_data10, 10);
}

static int ph_ebs(struct cf *cf)
{
	return to_runtime(cf);
}

static int ph_rtb_after_ebs(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_UNSUPPORTED);
	return CF_PASS;
}

static int ph_bs_invisible(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	if (cf_check_absent(cf, "RtBs", &cf_guid_own) != CF_PASS ||
	    cf_check_absent(cf, "RtNvBs", &cf_guid_own) != CF_PASS)
		return CF_FAIL;
	return CF_PASS;
}

static int ph_rt_visible(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	if (cf_check_var(cf, "RtBsRt", &cf_guid_own, A_BS | A_RT, cf_data10, 10) != CF_PASS ||
	    cf_check_var(cf, "RtNvBsRt", &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, 10) != CF_PASS)
		return CF_FAIL;
	return CF_PASS;
}

static int ph_getnext_rt_only(struct cf *cf)
{
	static const char *const names[4] = { "RtBs", "RtNvBs", "RtBsRt", "RtNvBsRt" };
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	for (size_t i = 0; i < 4; i++) {
		bool listed;
		if (cf_listed(cf, names[i], &cf_guid_own, &listed) != CF_PASS)
			return CF_FAIL;
		bool want = (cf_attr_sets[i] & A_RT) != 0;
		CF_EXPECT(listed == want, "%s (0x%x) %s enumerated at runtime", names[i], cf_attr_sets[i],
			  listed ? "is" : "is not");
	}
	return CF_PASS;
}

static int ph_nv_rt_writable(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	const uint32_t a = A_NV | A_BS | A_RT;
	CF_EXPECT_ST(cf_set(cf, "RtNew", &cf_guid_own, a, cf_data10, 10), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "RtNvBsRt", &cf_guid_own, a, other, 10), EFI_SUCCESS);
	if (cf_check_var(cf, "RtNvBsRt", &cf_guid_own, a, other, 10) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "RtNew", &cf_guid_own, a | A_APPEND, other, 10), EFI_SUCCESS);
	CF_EXPECT_ST(cf_del(cf, "RtNew", &cf_guid_own), EFI_SUCCESS);
	return cf_check_absent(cf, "RtNew", &cf_guid_own);
}

static int ph_create_refused(struct cf *cf)
{
	static const uint32_t sets[] = { A_BS, A_NV | A_BS, A_BS | A_RT };
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
		efi_status_t s = cf_set(cf, "RtRefused", &cf_guid_own, sets[i], cf_data10, 10);
		if (s != EFI_INVALID_PARAMETER)
			return cf_fail_status(cf, "runtime create without NV|RT", s, EFI_INVALID_PARAMETER);
		if (cf_check_absent(cf, "RtRefused", &cf_guid_own) != CF_PASS)
			return CF_FAIL;
	}
	return CF_PASS;
}

static int ph_volatile_rt_ro(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "RtBsRt", &cf_guid_own, A_BS | A_RT, other, 10), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, "RtBsRt", &cf_guid_own, A_BS | A_RT | A_APPEND, other, 10),
		     EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_del(cf, "RtBsRt", &cf_guid_own), EFI_WRITE_PROTECTED);
	return cf_check_var(cf, "RtBsRt", &cf_guid_own, A_BS | A_RT, cf_data10, 10);
}

static int ph_bs_write_protected(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "RtNvBs", &cf_guid_own, A_NV | A_BS, other, 10), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_del(cf, "RtNvBs", &cf_guid_own), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, "RtBs", &cf_guid_own, A_BS, other, 10), EFI_WRITE_PROTECTED);
	return CF_PASS;
}

static int ph_query(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS, NULL, NULL, NULL), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_query(cf, A_BS, NULL, NULL, NULL), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT, NULL, NULL, NULL), EFI_SUCCESS);
	CF_EXPECT_ST(cf_query(cf, A_BS | A_RT, NULL, NULL, NULL), EFI_SUCCESS);
	return CF_PASS;
}

static int ph_remaining(struct cf *cf)
{
	uint64_t r1, r2, r3;
	size_t ns;
	(void)cf_name(cf, "RtAcct", &ns);
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, NULL, &r1, NULL));
	CF_SETUP(cf_set(cf, "RtAcct", &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, NULL, &r2, NULL));
	CF_SETUP(cf_del(cf, "RtAcct", &cf_guid_own));
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, NULL, &r3, NULL));
	CF_EXPECT(r1 - r2 == CF_RECORD_SIZE(ns, 10), "runtime create: remaining fell by %" PRId64
		  ", want %u", (int64_t)(r1 - r2), CF_RECORD_SIZE(ns, 10));
	CF_EXPECT(r3 == r2, "runtime delete: remaining %" PRIu64 " -> %" PRIu64 ", want unchanged "
		  "(deleted space is not reclaimable at runtime)", r2, r3);
	return CF_PASS;
}

static const struct cf_case ph_cases[] = {
	{ "phases.ready-to-boot", CF_LIB, "edk2 SmmVariableHandler READY_TO_BOOT: EFI_SUCCESS (also twice), still boot time afterwards", ph_rtb, NULL },
	{ "phases.exit-boot-services", CF_LIB, "edk2 SmmVariableHandler EXIT_BOOT_SERVICE: EFI_SUCCESS, runtime from then on", ph_ebs, NULL },
	{ "phases.ready-to-boot-at-runtime", CF_LIB, "edk2 SmmVariableHandler: READY_TO_BOOT after EXIT_BOOT_SERVICE -> EFI_UNSUPPORTED", ph_rtb_after_ebs, NULL },
	{ "phases.bs-only-invisible", CF_LIB, "checklist §5.5 / edk2 FindVariable at runtime: BS and NV|BS variables -> EFI_NOT_FOUND", ph_bs_invisible, NULL },
	{ "phases.rt-visible", CF_LIB, "checklist §5.5: BS|RT and NV|BS|RT variables still read at runtime", ph_rt_visible, NULL },
	{ "phases.getnext-rt-only", CF_LIB, "edk2 VariableServiceGetNextVariableName at runtime: variables without RT are skipped", ph_getnext_rt_only, NULL },
	{ "phases.nv-rt-writable", CF_LIB, "edk2 / UEFI: at runtime NV|BS|RT variables can be created, updated, appended, deleted", ph_nv_rt_writable, NULL },
	{ "phases.create-refused", CF_LIB, "fwts setvariable_test6 / edk2 UpdateVariable: runtime create of BS, NV|BS, BS|RT -> EFI_INVALID_PARAMETER, not created", ph_create_refused, NULL },
	{ "phases.volatile-rt-read-only", CF_LIB, "edk2 UpdateVariable: at runtime an existing volatile variable -> EFI_WRITE_PROTECTED (update, append, delete), kept", ph_volatile_rt_ro, NULL },
	{ "phases.bs-write-protected", CF_LIB, "edk2 VariableServiceSetVariable: at runtime an existing variable without RT -> EFI_WRITE_PROTECTED", ph_bs_write_protected, NULL },
	{ "phases.query-needs-rt", CF_LIB, "edk2 QueryVariableInfo: at runtime attributes without RT -> EFI_INVALID_PARAMETER; with RT EFI_SUCCESS", ph_query, NULL },
	{ "phases.remaining-keeps-deleted", CF_LIB, "edk2 QueryVariableInfo at runtime: deleted records still count (no reclaim at runtime)", ph_remaining, NULL },
};
CF_GROUP(cf_group_phases, "phases", "READY_TO_BOOT and EXIT_BOOT_SERVICE", CF_GROUP_DESTRUCTIVE, ph_cases);

/* ---- properties -------------------------------------------------------------------------- */

static int pr_set_get(struct cf *cf)
{
	uint16_t prop = 0;
	uint32_t attrs = 0;
	uint64_t mn = 0, mx = 0;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_property_set(cf, "PropVar", &cf_guid_own, REV, RO, A_NV | A_BS | A_RT, 1, 100),
		     EFI_SUCCESS);
	CF_EXPECT_ST(cf_property_get(cf, "PropVar", &cf_guid_own, &prop, &attrs, &mn, &mx), EFI_SUCCESS);
	CF_EXPECT(prop == RO && attrs == (A_NV | A_BS | A_RT) && mn == 1 && mx == 100,
		  "property read back: 0x%x attrs 0x%x min %" PRIu64 " max %" PRIu64, prop, attrs, mn, mx);
	return CF_PASS;
}

static int pr_get_absent(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_property_get(cf, "NoProperty", &cf_guid_own, NULL, NULL, NULL, NULL),
		     EFI_NOT_FOUND);
	return CF_PASS;
}

static int pr_revision(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_property_set(cf, "PropVar", &cf_guid_own, 2, RO, 0, 0, 100), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_property_get(cf, "PropVar", &cf_guid_own, NULL, NULL, NULL, NULL), EFI_NOT_FOUND);
	return CF_PASS;
}

static int pr_empty_name(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_property_set(cf, "", &cf_guid_own, REV, RO, 0, 0, 100), EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int pr_ro_not_yet(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_property_set(cf, "PropRo", &cf_guid_own, REV, RO, 0, 0, UINT64_MAX));
	CF_EXPECT_ST(cf_set(cf, "PropRo", &cf_guid_own, A_BS | A_RT, cf_data10, 10), EFI_SUCCESS);
	return cf_check_var(cf, "PropRo", &cf_guid_own, A_BS | A_RT, cf_data10, 10);
}

static int pr_ro_enforced(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_set(cf, "PropRo", &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_SETUP(cf_property_set(cf, "PropRo", &cf_guid_own, REV, RO, 0, 0, UINT64_MAX));
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "PropRo", &cf_guid_own, A_NV | A_BS | A_RT, other, 10), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_del(cf, "PropRo", &cf_guid_own), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, "PropRo", &cf_guid_own, A_NV | A_BS | A_RT | A_APPEND, other, 1),
		     EFI_WRITE_PROTECTED);
	return cf_check_var(cf, "PropRo", &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, 10);
}

static int pr_sizes(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_property_set(cf, "PropSize", &cf_guid_own, REV, 0, 0, 2, 8));
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "PropSize", &cf_guid_own, A_BS | A_RT, cf_data10, 9), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "PropSize", &cf_guid_own, A_BS | A_RT, cf_data10, 1), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "PropSize", &cf_guid_own, A_BS | A_RT, cf_data10, 8), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "PropSize", &cf_guid_own, A_BS | A_RT, cf_data10, 2), EFI_SUCCESS);
	CF_EXPECT_ST(cf_del(cf, "PropSize", &cf_guid_own), EFI_SUCCESS);
	return CF_PASS;
}

static int pr_attributes(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_property_set(cf, "PropAttr", &cf_guid_own, REV, 0, A_NV | A_BS | A_RT, 0, UINT64_MAX));
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "PropAttr", &cf_guid_own, A_BS | A_RT, cf_data10, 10), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "PropAttr", &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, 10), EFI_SUCCESS);
	return CF_PASS;
}

static int pr_set_denied(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_property_set(cf, "PropLate", &cf_guid_own, REV, RO, 0, 0, 100), EFI_ACCESS_DENIED);
	CF_EXPECT_ST(cf_property_get(cf, "PropLate", &cf_guid_own, NULL, NULL, NULL, NULL), EFI_NOT_FOUND);
	return CF_PASS;
}

static int pr_lock_denied(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_lock_variable(cf, "LockLate", &cf_guid_own), EFI_ACCESS_DENIED);
	CF_EXPECT_ST(cf_set(cf, "LockLate", &cf_guid_own, A_BS | A_RT, cf_data10, 10), EFI_SUCCESS);
	return CF_PASS;
}

static int pr_get_after(struct cf *cf)
{
	uint16_t prop = 0;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_property_set(cf, "PropKept", &cf_guid_own, REV, RO, 0, 0, 100));
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, EBS), EFI_SUCCESS);
	CF_EXPECT_ST(cf_property_get(cf, "PropKept", &cf_guid_own, &prop, NULL, NULL, NULL), EFI_SUCCESS);
	CF_EXPECT(prop == RO, "property 0x%x, want READ_ONLY", prop);
	return CF_PASS;
}

static int pr_forgotten(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_property_set(cf, "PropGone", &cf_guid_own, REV, RO, 0, 0, 100));
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_property_get(cf, "PropGone", &cf_guid_own, NULL, NULL, NULL, NULL), EFI_NOT_FOUND);
	return CF_PASS;
}

static const struct cf_case pr_cases[] = {
	{ "properties.set-get", CF_LIB, "edk2 VarCheckVariablePropertySet/Get: before EndOfDxe a property is set and read back", pr_set_get, NULL },
	{ "properties.get-absent", CF_LIB, "edk2 VarCheckVariablePropertyGet: no property -> EFI_NOT_FOUND", pr_get_absent, NULL },
	{ "properties.revision", CF_LIB, "edk2 VarCheckVariablePropertySet: Revision != 1 -> EFI_INVALID_PARAMETER", pr_revision, NULL },
	{ "properties.empty-name", CF_LIB, "edk2 VarCheckVariablePropertySet: empty name -> EFI_INVALID_PARAMETER", pr_empty_name, NULL },
	{ "properties.read-only-before-end-of-dxe", CF_LIB, "edk2 VarCheckLibSetVariableCheck: no checks before EndOfDxe (a READ_ONLY variable is still written)", pr_ro_not_yet, NULL },
	{ "properties.read-only", CF_LIB, "checklist §5.8 / edk2 VarCheckLib: after READY_TO_BOOT a READ_ONLY variable -> EFI_WRITE_PROTECTED (update, delete, append)", pr_ro_enforced, NULL },
	{ "properties.min-max-size", CF_LIB, "edk2 VarCheckLib: DataSize outside [MinSize, MaxSize] -> EFI_INVALID_PARAMETER; deletion not size-checked", pr_sizes, NULL },
	{ "properties.attributes", CF_LIB, "edk2 VarCheckLib: attributes other than the property's -> EFI_INVALID_PARAMETER", pr_attributes, NULL },
	{ "properties.set-after-end-of-dxe", CF_LIB, "edk2 SmmVariableHandler PROPERTY_SET after READY_TO_BOOT (EndOfDxe) -> EFI_ACCESS_DENIED", pr_set_denied, NULL },
	{ "properties.lock-after-end-of-dxe", CF_LIB, "edk2 SmmVariableHandler LOCK_VARIABLE after READY_TO_BOOT -> EFI_ACCESS_DENIED", pr_lock_denied, NULL },
	{ "properties.get-at-runtime", CF_LIB, "edk2 SmmVariableHandler PROPERTY_GET works in every phase", pr_get_after, NULL },
	{ "properties.forgotten-on-reset", CF_LIB, "edk2 VarCheckLib: properties are RAM-only; after a reset -> EFI_NOT_FOUND", pr_forgotten, NULL },
};
CF_GROUP(cf_group_properties, "properties", "VAR_CHECK properties and LOCK_VARIABLE", CF_GROUP_DESTRUCTIVE, pr_cases);

/* ---- reset -------------------------------------------------------------------------------- */

static int rs_nv(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor2, A_NV | A_BS | A_RT, other, 10));
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	if (cf_check_var(cf, "TestVariable", &cf_vendor1, A_NV | A_BS, cf_data10, 10) != CF_PASS ||
	    cf_check_var(cf, "TestVariable", &cf_vendor2, A_NV | A_BS | A_RT, other, 10) != CF_PASS)
		return CF_FAIL;
	return CF_PASS;
}

static int rs_volatile(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_BS, cf_data10, 10));
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor2, A_BS | A_RT, other, 10));
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	if (cf_check_absent(cf, "TestVariable", &cf_vendor1) != CF_PASS ||
	    cf_check_absent(cf, "TestVariable", &cf_vendor2) != CF_PASS)
		return CF_FAIL;
	return CF_PASS;
}

static int rs_phase(struct cf *cf)
{
	if (to_runtime(cf) != CF_PASS)
		return CF_FAIL;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	if (cf_check_var(cf, "RtNvBs", &cf_guid_own, A_NV | A_BS, cf_data10, 10) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "RtBs", &cf_guid_own, A_BS, cf_data10, 10), EFI_SUCCESS);
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS, NULL, NULL, NULL), EFI_SUCCESS);
	CF_EXPECT_ST(cf_property_set(cf, "PropAgain", &cf_guid_own, REV, RO, 0, 0, 10), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	return CF_PASS;
}

static int rs_query(struct cf *cf)
{
	uint64_t r1, r2;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	CF_SETUP(cf_query(cf, A_NV | A_BS, NULL, &r1, NULL));
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_query(cf, A_NV | A_BS, NULL, &r2, NULL));
	CF_EXPECT(r1 == r2, "NV remaining %" PRIu64 " before the reset, %" PRIu64 " after", r1, r2);
	return CF_PASS;
}

static const struct cf_case rs_cases[] = {
	{ "reset.nv-survives", CF_LIB, "SCT SetVariable_Func Sub6: non-volatile variables survive ResetSystem", rs_nv, NULL },
	{ "reset.volatile-gone", CF_LIB, "SCT SetVariable_Func Sub7: volatile variables are gone after ResetSystem", rs_volatile, NULL },
	{ "reset.boot-time-again", CF_LIB, "UEFI ResetSystem / edk2: after a reset the service is at boot time (BS writes, Query without RT, PROPERTY_SET, READY_TO_BOOT)", rs_phase, NULL },
	{ "reset.remaining-stable", CF_LIB, "edk2 QueryVariableInfo: NV remaining storage is the same after a reset", rs_query, NULL },
};
CF_GROUP(cf_group_reset, "reset", "ResetSystem", CF_GROUP_DESTRUCTIVE, rs_cases);
