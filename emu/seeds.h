/* SPDX-License-Identifier: MIT */
/*
 * Seed corpora harvested from traces (`stmm-emu seeds`, include/emu_trace.h): one input per
 * message per layer, each in exactly the input format of the matching harness of
 * tests/fuzz/ (see seeds.c's layer table), deduplicated by content.  Output:
 *
 *   OUT/<layer>/<sha1 hex of the content>   one input per file (as tests/fuzz/corpus/)
 *   OUT/<layer>.dict                         the harness's dictionary (tests/fuzz/dict/)
 *   OUT/<layer>.manifest                     one line per input: name, size, byte order,
 *                                            what it is, which trace/record produced it
 *
 * The manifest sits beside the directory, not in it, so a corpus directory holds inputs
 * only (a replay driver and libFuzzer feed every file of it).
 */
#ifndef STMM_EMU_EMU_SEEDS_H
#define STMM_EMU_EMU_SEEDS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum seeds_layer {
	SEEDS_MM,   /* fuzz_mm: the whole MM communicate buffer of each MM_REQ */
	SEEDS_PTA,  /* the tee socket's INVOKE_REQ messages (framing of fuzz_ipc) */
	SEEDS_RPC,  /* fuzz_supp_rpc: u16 LE out size ‖ struct rpmb_req + frames */
	SEEDS_RPMB, /* fuzz_rpmb_seq: flags byte ‖ EMU_MSG_MMC_SEQ_REQ payload */
	SEEDS_MMC,  /* whole EMU_MSG_MMC_CMD_REQ messages (framing of fuzz_ipc) */
	SEEDS_IPC,  /* fuzz_ipc: every whole message rpmbd received */
	SEEDS_AUTH, /* fuzz_auth: EFI_VARIABLE_AUTHENTICATION_2 data of AT SetVariable calls */
	SEEDS_FV,   /* fuzz_fv: an EDK2 variable store image (`stmm-emu export`) */
	SEEDS_LAYER_COUNT
};

#define SEEDS_ALL_LAYERS ((1u << SEEDS_LAYER_COUNT) - 1u)

const char *seeds_layer_name(enum seeds_layer l);
/* The harness that takes the layer's inputs ("fuzz_mm"), or a note when none does. */
const char *seeds_layer_harness(enum seeds_layer l);

/* "mm,pta,…" -> bit mask of (1 << enum seeds_layer).  0 or -EINVAL (why in err). */
__attribute__((warn_unused_result)) int seeds_layers_parse(const char *list, unsigned *ret_mask,
							   GString *err);

struct seeds;
typedef struct seeds seeds;

/* Harvest into `out_dir` (created) for the layers of `mask`.  0 or -errno (why in err). */
__attribute__((warn_unused_result)) int seeds_new(const char *out_dir, unsigned mask,
						  struct seeds **ret, GString *err);
void seeds_free(struct seeds *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(seeds, seeds_free)

/*
 * Every record of the trace file `path`; `origin` names what produced it in the manifest
 * (e.g. "scenario s3-rpmb-dead.scen").  A trace that ends in a bad or truncated record
 * keeps what came before (a warning in err, return 0).  0 or -errno / -EBADMSG (not a
 * trace), why in err.
 */
__attribute__((warn_unused_result)) int seeds_add_trace(struct seeds *s, const char *path,
							const char *origin, GString *err);
/* The same over a trace in memory. */
__attribute__((warn_unused_result)) int seeds_add_trace_data(struct seeds *s, const void *data,
							     size_t len, const char *origin,
							     GString *err);

/*
 * Keep at most n distinct inputs of one kind per layer (kind: the decoded description with
 * its numbers blanked, e.g. every "rpmb DATA_WRITE addr # wc #"); 0 = no limit (default).
 * Frames carry counters, nonces and MACs, so without a limit each RPMB write is new.
 */
void seeds_set_max_per_kind(struct seeds *s, unsigned n);

/* One input of layer l (if selected): written unless present or over the kind's limit.  0 or -errno (why in err). */
__attribute__((warn_unused_result)) int seeds_add(struct seeds *s, enum seeds_layer l,
						  const void *data, size_t len, const char *what,
						  const char *origin, GString *err);

/*
 * Write OUT/<layer>.manifest and OUT/<layer>.dict for every selected layer; the
 * dictionaries are copied from `dict_dir` (tests/fuzz/dict) when it has the harness's,
 * else a small one is generated.  0 or -errno (why in err).
 */
__attribute__((warn_unused_result)) int seeds_finish(struct seeds *s, const char *dict_dir,
						     GString *err);

/* Inputs and bytes of a layer so far. */
void seeds_count(const struct seeds *s, enum seeds_layer l, unsigned *ret_files,
		 uint64_t *ret_bytes);
/* The table "layer files bytes left-out harness" on f. */
void seeds_print_summary(const struct seeds *s, FILE *f);

#endif
