/* SPDX-License-Identifier: MIT */
/*
 * What `stmmd --check-fv FILE` prints on stdout when FILE is a valid EDK2 variable file
 * (exit status 0), read by `stmm-emu up --import` / `import` (emu/cmd_fv.c): a GKeyFile
 * with one group, every key present, every value a decimal unsigned integer without sign.
 *
 *   [import]
 *   fv-length=540672
 *   ...
 *
 * On an invalid file stmmd prints nothing here and "stmmd: FILE: offset 0x...: why" on
 * stderr (exit 1), or exits 2 when it could not read the file.
 */
#ifndef STMM_EMU_FV_CHECK_H
#define STMM_EMU_FV_CHECK_H

/* The one group. */
#define FV_CHECK_GROUP "import"

/* uint64: FvLength of the file's firmware volume, in bytes. */
#define FV_CHECK_KEY_FV_LENGTH "fv-length"
/* uint32: size of the file's variable store (VARIABLE_STORE_HEADER.Size), in bytes. */
#define FV_CHECK_KEY_STORE_SIZE "store-size"
/* uint32: variable record headers walked in the store (live and history). */
#define FV_CHECK_KEY_RECORDS "records"
/* uint32: live variables (state VAR_ADDED): what an import writes. */
#define FV_CHECK_KEY_LIVE_VARIABLES "live-variables"
/* uint64: bytes of variable store the live variables need (FV and store headers, records). */
#define FV_CHECK_KEY_BYTES_NEEDED "bytes-needed"
/* uint32, > 0: the emulator's variable store size (FV header + store) for this file. */
#define FV_CHECK_KEY_VAR_STORE_SIZE "var-store-size"
/* uint32, > 0: the FTW working block size that goes with it. */
#define FV_CHECK_KEY_FTW_WORKING_SIZE "ftw-working-size"
/* uint32, > 0: the FTW spare area size that goes with it. */
#define FV_CHECK_KEY_FTW_SPARE_SIZE "ftw-spare-size"

#endif
