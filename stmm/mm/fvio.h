/* SPDX-License-Identifier: MIT */
/*
 * stmmd's whole-store import and export (provisioning), on top of fvimage.h:
 *
 *   stmmd --check-fv FILE        one-shot: validate an EDK2 variable file and print what
 *                                the emulator needs to hold it (the key file of
 *                                include/fv_check.h), or the error naming the offset;
 *                                exit 0 / 1.
 *   stmmd --import-fv FILE ...   validate FILE at start-up (exit 2 on any error, before
 *                                anything is written) and, when StMM boots, write its live
 *                                variables as a fresh store through the RPMB backend --
 *                                only onto a region that holds no valid variable FV.
 *   EMU_MSG_CTRL_EXPORT_REQ      the running store as a standalone FV (live records only).
 */
#ifndef STMM_EMU_STMM_FVIO_H
#define STMM_EMU_STMM_FVIO_H

#include <stdio.h>

#include <glib.h>

#include "emu_ipc.h"
#include "fvimage.h"
#include "store.h"

/* --check-fv: print the fv_check.h key file to `out`, errors to `err`.  Exit status 0/1/2. */
int fvio_check_main(const char *path, FILE *out, FILE *err);

/*
 * Read and validate `path` and build the store image for `layout` (no gap).  0 and
 * *ret_image; -EINVAL (invalid file) / -ENOSPC (does not fit) / -errno (read) with
 * *ret_error (g_free) naming the file and what was wrong.
 */
__attribute__((warn_unused_result)) int fvio_load_import(const char *path,
							 const struct store_layout *layout,
							 GBytes **ret_image, char **ret_error);

/*
 * Write `image` (the whole region) through `backend` at layout->base_offset: everything
 * but the first 256-byte block, then that block (the FV header: the commit point).
 * -EEXIST if the region already holds a valid variable FV; a backend error otherwise.
 */
__attribute__((warn_unused_result)) int fvio_import_to_backend(const struct store_layout *layout,
							       const struct store_backend *backend,
							       GBytes *image);

/*
 * The live variables of `store` as an FV for `req`'s layout (all sizes 0: `own`, no gap).
 * 0 and *ret_image; -EINVAL bad layout (or over EMU_CTRL_EXPORT_MAX_IMAGE bytes); -ENOSPC
 * the variables do not fit.
 */
__attribute__((warn_unused_result)) int fvio_export(const struct store *store,
						    const struct store_layout *own,
						    const struct emu_ctrl_export_req *req,
						    GBytes **ret_image);

#endif
