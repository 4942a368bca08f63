/* SPDX-License-Identifier: MIT */
/*
 * The NV store as it sits on the emulated device (STATE/rpmb.db, read-only; fine while
 * rpmbd runs): its bytes in either layout, and the layout its own headers describe — so
 * that `up` can refuse to start stmmd with a layout that would make StMM format over it.
 */
#ifndef STMM_EMU_EMU_STORE_AT_REST_H
#define STMM_EMU_EMU_STORE_AT_REST_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"

/*
 * The first `len` bytes of the NV region: in the raw layout the blocks from RPMB block 0;
 * in the optee-fs layout the decrypted file EFI_VARS of OP-TEE's RPMB file system (the
 * stack runs stmmd with the all-zero test HUK), which must hold them.  0 and *ret (g_free),
 * or -errno with the reason in err (-ENOENT: no EFI_VARS file yet).
 */
__attribute__((warn_unused_result)) int emu_store_read_at_rest(const char *db_path, bool optee_fs,
							       uint32_t len, uint8_t **ret,
							       GString *err);

/* What the store's FV and variable store headers say. */
struct emu_store_at_rest {
	bool found;              /* a valid FV header (_FVH, revision 2) and store header */
	uint64_t fv_length;      /* FvLength: store + FTW areas */
	uint32_t var_store_size; /* HeaderLength + the store header's Size */
};
__attribute__((warn_unused_result)) int emu_store_layout_at_rest(const char *db_path,
								 bool optee_fs,
								 struct emu_store_at_rest *ret,
								 GString *err);

/*
 * Before stmmd starts on an existing device: does the store there match the layout
 * STATE/stmm-emu.conf gives stmmd?  0 when it does, or there is no store yet; -EEXIST
 * with both layouts and the way out in err when StMM would format over it (EDK2 formats a
 * store whose headers do not fit its PCDs: every variable lost); another -errno when the
 * device cannot be read.
 */
__attribute__((warn_unused_result)) int emu_store_layout_guard(const struct emu_state *st,
							       GString *err);

#endif
