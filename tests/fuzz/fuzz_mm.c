/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mm: one input = one whole MM communicate buffer (24-byte EFI_MM_COMMUNICATE_HEADER
 * first) as the PTA_STMM communicate op hands it to StMM: varsvc_communicate() with
 * authenticated variables enabled, over the in-memory flash of the stmm unit tests
 * (tests/unit/test_stmm_membackend.h).  The store and the service's boot phase persist
 * between inputs, so sequences (SetVariable then GetNextVariableName, EXIT_BOOT_SERVICE,
 * reclaim when the store fills) are reached; every FUZZ_RESET_EVERY inputs everything is
 * torn down and rebuilt on erased flash, alternating spec-strict and the optee-stmm quirk.
 * Checked besides memory safety: the MM return code is SUCCESS or DENIED.
 *
 * Speed: an input (and libFuzzer's re-run of it) that leaves heap blocks behind costs a
 * LeakSanitizer scan of the whole heap, 10-160 ms as the corpus grows.  What the store
 * keeps is rare; errors left on OpenSSL's error queue were not (stmm/mm/authvar.c drops
 * them per SetVariable): 25-55 scans in CI's 10 s, 8k instead of 25k exec/s.  To count the
 * scans: a uprobe on __lsan_do_recoverable_leak_check; to see what an input keeps:
 * -trace_malloc=2 on a few hundred runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authvar.h"
#include "fuzz.h"
#include "mm.h"
#include "pta_stmm.h"
#include "store.h"
#include "test_stmm_membackend.h"
#include "varsvc.h"

static struct membackend *mem;
static struct store *store;
static struct varsvc *svc;
static unsigned inputs, cycles;

static void mm_down(void)
{
	varsvc_free(svc);
	store_free(store);
	membackend_free(mem);
	svc = NULL;
	store = NULL;
	mem = NULL;
}

static void mm_up(void)
{
	struct store_layout l = default_layout();
	struct varsvc_config cfg;
	/* Alternate the two profiles (stmm/profile.h): strict, then optee-stmm. */
	bool optee = cycles++ % 2 == 1;
	struct authvar_config acfg = { .user_physical_presence = optee, .policy_engine = !optee,
				       .require_self_signed_pk = !optee };

	mem = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store_backend be = membackend_ops(mem);
	varsvc_config_defaults(&cfg);
	cfg.policy_engine = !optee;
	if (store_open(&l, &be, &store) < 0 || varsvc_new(&cfg, store, &svc) < 0 ||
	    varsvc_enable_auth(svc, &acfg) < 0) {
		fprintf(stderr, "fuzz_mm: cannot set up the variable service\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	if (inputs++ % FUZZ_RESET_EVERY == 0) {
		mm_down();
		mm_up();
	}
	/* The service works in place on the caller's copy: an exact-size one. */
	uint8_t *buf = g_malloc(size ? size : 1);
	memcpy(buf, data, size);
	int32_t r = varsvc_communicate(svc, buf, size);
	g_free(buf);
	if (r != ARM_SPM_MM_RET_SUCCESS && r != ARM_SPM_MM_RET_DENIED) {
		fprintf(stderr, "fuzz_mm: MM return code %d\n", r);
		abort();
	}
	return 0;
}
