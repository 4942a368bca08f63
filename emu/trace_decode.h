/* SPDX-License-Identifier: MIT */
/*
 * Decoding trace records (include/emu_trace.h) for `stmm-emu trace`: each record becomes
 * one or more items, each of one layer (tee, mm, rpc, rpmb, mmc, note) with a one-line
 * summary and a JSON object of every decoded field.  Bounded on every length: what does not
 * decode becomes an item "undecodable: <reason>", never a crash.
 */
#ifndef STMM_EMU_EMU_TRACE_DECODE_H
#define STMM_EMU_EMU_TRACE_DECODE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu_trace.h"

struct trace_item {
	const char *layer;  /* "tee", "mm", "rpc", "rpmb", "mmc", "note" */
	GString *text;      /* the summary */
	JsonObject *fields; /* "layer", "summary" and every decoded field */
	char *var;          /* mm: the variable name (UTF-8) if the call names one */
};

/* The decoder's memory across records (RPC requests awaiting their replies, the key). */
struct trace_dec;
typedef struct trace_dec trace_dec;

/* key: the RPMB authentication key to verify MACs with, NULL for none. */
struct trace_dec *trace_dec_new(const uint8_t *key /* 32 bytes or NULL */);
void trace_dec_free(struct trace_dec *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(trace_dec, trace_dec_free)

/* The items of one record (struct trace_item *, freed with the array). */
GPtrArray *trace_dec_record(struct trace_dec *d, const struct emu_trace_rec *rec,
			    const uint8_t *data);

/* Names used in summaries (static strings; "?" when unknown). */
const char *trace_tee_result_name(uint32_t ret);
const char *trace_mm_ret_name(int32_t ret);

#endif
