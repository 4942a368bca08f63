/* SPDX-License-Identifier: MIT */
/*
 * The one version of every program (`stmm-emu --version`, `rpmbd --version`, ...):
 * STMM_EMU_VERSION, and `git describe` of the tree it was built from when the Makefile
 * knew it (-DSTMM_EMU_GIT_DESCRIBE="...").
 */
#ifndef STMM_EMU_LIB_VERSION_H
#define STMM_EMU_LIB_VERSION_H

#define STMM_EMU_VERSION "0.1"

#ifdef STMM_EMU_GIT_DESCRIBE
#define STMM_EMU_VERSION_FULL STMM_EMU_VERSION " (git " STMM_EMU_GIT_DESCRIBE ")"
#else
#define STMM_EMU_VERSION_FULL STMM_EMU_VERSION
#endif

/* "PROG 0.1 (git 3ba4379)": what --version prints, with a newline. */
#define STMM_EMU_VERSION_LINE(prog) prog " " STMM_EMU_VERSION_FULL "\n"

#endif
