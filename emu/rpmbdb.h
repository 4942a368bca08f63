/* SPDX-License-Identifier: MIT */
/*
 * rpmbd's database read directly, read-only (SQLite: fine while rpmbd runs, a WAL reader sees
 * the last committed write): the device's blocks as a raw partition image, and its key.  Columns are
 * selected by name, so a newer schema with more columns reads the same.
 */
#ifndef STMM_EMU_EMU_RPMBDB_H
#define STMM_EMU_EMU_RPMBDB_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* Blocks [0, len / 256) (an absent row reads as zeros, as rpmbd reads it).  0 or -errno + err. */
__attribute__((warn_unused_result)) int emu_rpmbdb_read_blocks(const char *db_path, uint32_t len,
							       uint8_t **ret, GString *err);
/* The whole partition (RPMB_SIZE_MULT x 128 KiB).  0 or -errno + err. */
__attribute__((warn_unused_result)) int emu_rpmbdb_read_image(const char *db_path, uint8_t **ret,
							      size_t *ret_len, GString *err);
/* The device's authentication key (RPMB_KEY_SIZE bytes).  0, -ENOENT when none is programmed
 * (or no rpmb.db), or -errno + err. */
__attribute__((warn_unused_result)) int emu_rpmbdb_read_key(const char *db_path, uint8_t *key,
							    GString *err);

#endif
