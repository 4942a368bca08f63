/* SPDX-License-Identifier: MIT */
/*
 * The card's user data area: a small array of 512-byte blocks the OS's block I/O reads
 * and writes (CMD17/18/24/25 on partition 0), kept in rpmbd's SQLite database as its own
 * table, created when missing (the RPMB tables and their schema version are untouched):
 *
 *   user_area(lba INTEGER PRIMARY KEY, data BLOB(512))   -- absent row = block of zeros
 *
 * It has its own connection to the database, so the RPMB store (and its fault wrappers)
 * need not know about it.  Each write is one transaction.
 */
#ifndef RPMBD_USERAREA_H
#define RPMBD_USERAREA_H

#include <glib.h>
#include <stdint.h>

#define RPMB_USERAREA_BLOCK 512u
#define RPMB_USERAREA_DEFAULT_BLOCKS 2048u /* 1 MiB */
#define RPMB_USERAREA_MAX_BLOCKS (1u << 24)

struct rpmb_userarea;
typedef struct rpmb_userarea rpmb_userarea;

/*
 * Open `path` (":memory:" for a throw-away area) and create the table if missing.
 * `blocks` 1..RPMB_USERAREA_MAX_BLOCKS.  -EINVAL, -EIO; a one-line reason in ret_error.
 */
__attribute__((warn_unused_result)) int rpmb_userarea_open(const char *path, uint32_t blocks,
							   struct rpmb_userarea **ret_ua,
							   char **ret_error);
void rpmb_userarea_free(struct rpmb_userarea *ua);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpmb_userarea, rpmb_userarea_free)

uint32_t rpmb_userarea_blocks(const struct rpmb_userarea *ua);
/* n blocks from lba: -ERANGE beyond the area, -EIO. */
__attribute__((warn_unused_result)) int rpmb_userarea_read(struct rpmb_userarea *ua, uint32_t lba,
							   uint32_t n, uint8_t *ret_data);
__attribute__((warn_unused_result)) int rpmb_userarea_write(struct rpmb_userarea *ua, uint32_t lba,
							    uint32_t n, const uint8_t *data);

#endif
