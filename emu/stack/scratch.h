/* SPDX-License-Identifier: MIT */
/*
 * Private state directories for runs that must not touch the user's stack (`conform`'s
 * destructive groups, every `scenario`): made under $TMPDIR, stopped and removed after.
 */
#ifndef STMM_EMU_EMU_SCRATCH_H
#define STMM_EMU_EMU_SCRATCH_H

#include <glib.h>
#include <stdbool.h>

#include "state.h"

/* A new empty directory $TMPDIR/<prefix>.XXXXXX as *ret.  0 or -EIO with the reason in err. */
__attribute__((warn_unused_result)) int emu_scratch_new(const char *prefix, struct emu_state *ret,
							GString *err);
/*
 * Stop every daemon of `st`, then remove the directory and its files — unless `keep`, when
 * "stmm-emu: WHO: state kept in DIR" is printed on stderr instead.  Clears `st`.
 */
void emu_scratch_remove(struct emu_state *st, bool keep, const char *who);

#endif
