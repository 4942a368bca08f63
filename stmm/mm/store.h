/* SPDX-License-Identifier: MIT */
/*
 * The non-volatile variable store in EDK2's on-flash format (include/edk2_store.h):
 * FV header + VARIABLE_STORE_HEADER + 60-byte authenticated variable records, followed by
 * the FTW working and spare areas, kept as a RAM mirror that is loaded once and indexed
 * by (GUID, name).  Every change is written through `store_backend` as whole, aligned
 * 256-byte blocks (one RPMB block each), only the blocks it touched.
 */
#ifndef STMM_EMU_STMM_STORE_H
#define STMM_EMU_STMM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "varindex.h"

#define STORE_BLOCK_SIZE 256u

/* Where the bytes live.  off and len are multiples of STORE_BLOCK_SIZE.  0 or -errno. */
struct store_backend {
	void *ctx;
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
};

struct store_layout {
	uint64_t base_offset;       /* byte offset on the backend */
	uint32_t var_store_size;    /* FV header + variable store: default 16 KiB */
	uint32_t ftw_working_size;  /* default 16 KiB */
	uint32_t ftw_spare_size;    /* default 16 KiB */
};

struct store_stats {
	uint64_t total_size;        /* bytes of the whole region */
	uint64_t variable_space;    /* usable bytes for records */
	uint64_t used;              /* bytes occupied by live (ADDED) records */
	uint64_t free;              /* bytes after the last record */
	uint32_t live_variables;
	uint64_t region_offset;     /* free space starts here (offset in the region) */
	uint8_t ftw_working_valid;  /* 1 if the FTW working block header is valid */
	uint32_t reclaims;          /* reclaims done since store_open (incl. completed at open) */
};

/* What is wrong with an on-flash store, by area (store_check.h finds them all). */
enum store_problem_code {
	/* FV header */
	STORE_PROBLEM_FV_SIGNATURE = 1,
	STORE_PROBLEM_FV_REVISION,
	STORE_PROBLEM_FV_HEADER_LENGTH,
	STORE_PROBLEM_FV_CHECKSUM,
	STORE_PROBLEM_FV_GUID,
	STORE_PROBLEM_FV_LENGTH,
	STORE_PROBLEM_FV_BLOCK_MAP,
	/* variable store header */
	STORE_PROBLEM_STORE_SIGNATURE,
	STORE_PROBLEM_STORE_FORMAT,
	STORE_PROBLEM_STORE_STATE,
	STORE_PROBLEM_STORE_SIZE,
	/* variable records */
	STORE_PROBLEM_RECORD_START_ID,  /* not 0x55AA: the walk (and the store) ends here */
	STORE_PROBLEM_RECORD_OVERRUN,   /* NameSize/DataSize run past the variable store */
	STORE_PROBLEM_RECORD_STATE,
	STORE_PROBLEM_RECORD_ATTRIBUTES,
	STORE_PROBLEM_RECORD_NAME,
	STORE_PROBLEM_RECORD_TAIL,      /* non-erased bytes after the last record */
	/* FTW working area and spare */
	STORE_PROBLEM_FTW_SIGNATURE,
	STORE_PROBLEM_FTW_CRC,
	STORE_PROBLEM_FTW_STATE,
	STORE_PROBLEM_FTW_QUEUE_SIZE,
	STORE_PROBLEM_FTW_WRITE,        /* write header / record not one stmmd could finish */
	STORE_PROBLEM_FTW_SPARE,        /* a spare marked complete that holds no valid store */
};

/*
 * What store_open did to the store it found (edk2's behaviour, made visible).  Modules do
 * not log: the program reads this after store_open and logs / displays it.
 */
enum store_boot_event_kind {
	STORE_BOOT_FORMATTED_EMPTY = 1, /* no store yet (FV header erased or zeroed): formatted */
	STORE_BOOT_FORMATTED,           /* a damaged FV or store header: formatted, all lost */
	STORE_BOOT_RECORDS_DROPPED,     /* a damaged record: it and every later one erased */
	STORE_BOOT_TAIL_ERASED,         /* an interrupted write's leftovers after the last record */
	STORE_BOOT_RECLAIM_COMPLETED,   /* a reclaim interrupted after its spare copy: finished */
	STORE_BOOT_RECLAIM_ABORTED,     /* a pending FTW write without a complete spare: dropped */
};
struct store_boot_event {
	enum store_boot_event_kind kind;
	enum store_problem_code reason; /* FORMATTED, RECORDS_DROPPED; 0 otherwise */
	uint32_t offset;                /* in the region: the first bad byte / record / FTW write */
	uint32_t bytes_lost;            /* from offset (FORMATTED: the first record) to the last
					 * non-erased byte of the variable store */
	uint32_t records_lost;          /* records recognisable in those bytes
					 * (store_count_records_from) */
	uint32_t variables_lost;        /* ... of which ADDED or in transition (visible before) */
	char detail[128];               /* what was wrong, one line */
};
#define STORE_BOOT_MAX_EVENTS 4
struct store_boot_report {
	unsigned n_events;              /* 0: the store was clean */
	struct store_boot_event events[STORE_BOOT_MAX_EVENTS];
};

struct store;

/*
 * Load the store from the backend: first complete a reclaim the FTW working area shows as
 * interrupted after its spare copy was complete (or mark one that was not as done: the
 * variable store is then untouched), then check the FV; format it (as OpTeeRpmbFvb does)
 * if it is not valid.
 */
__attribute__((warn_unused_result)) int store_open(const struct store_layout *layout,
						   const struct store_backend *backend,
						   struct store **ret_store);
void store_free(struct store *store);
/* Whether store_open accepts the layout (block multiples, sizes, total <= 2 GiB). */
bool store_layout_valid(const struct store_layout *layout);
/* What store_open did (valid as long as the store). */
const struct store_boot_report *store_get_boot_report(const struct store *store);
/* One line for a person, e.g. "offset 0x1a4: ...: 2 variables dropped ..." (g_free). */
char *store_boot_event_message(const struct store_boot_event *event);
/* Whether the event means data was lost to damage (a warning), not a routine recovery. */
bool store_boot_event_is_damage(const struct store_boot_event *event);
void store_get_stats(const struct store *store, struct store_stats *ret_stats);

/*
 * Lookups and iteration in store (record) order over the live variables.  Entries are
 * owned by the store and stay valid until the next store_set / store_delete / store_free.
 * `name` is UCS-2LE incl. its NUL, name_size bytes.
 */
const struct var_entry *store_find(const struct store *store, const efi_guid_t *guid,
				   const uint8_t *name, size_t name_size);
const struct var_entry *store_first(const struct store *store);
const struct var_entry *store_next(const struct store *store, const struct var_entry *e);

/*
 * Create or replace a variable with edk2's record transitions: old copy
 * IN_DELETED_TRANSITION, new record written as HEADER_VALID_ONLY, new record ADDED (the
 * commit point), then the old copy DELETED.  Each step writes only the 256-byte blocks it
 * touched, so any prefix of the writes leaves a store that reads back the old value or the
 * new one.  0; -ENOSPC if the record does not fit after the last record and reclaim is off
 * or cannot make room (store_reclaim);
 * -EINVAL on nonsense sizes; a backend error (negative errno) if a write failed — the RAM
 * view is then rolled back to what the backend holds.
 */
__attribute__((warn_unused_result)) int store_set(struct store *store, const struct var_write *w);
/*
 * Reclaim (edk2 Reclaim() through FaultTolerantWrite): compact the store to its visible
 * variables (ADDED records in store order, then lone IN_DELETED_TRANSITION records promoted
 * to ADDED), with `merge` (may be NULL) replacing its old copy at the end, and write the
 * image fault-tolerantly:
 *
 *   1. FTW working area, first block: working block header + one write header (CallerId
 *      STMM_EMU_FTW_CALLER_GUID, HeaderAllocated|WritesAllocated) + one write record
 *      (Lba 0, Offset = FV HeaderLength, Length = VARIABLE_STORE_HEADER.Size,
 *      RelativeOffset = -(offset of the spare area)) — one 256-byte block, atomic;
 *   2. the whole compacted variable-store image (FV header included) into the spare area;
 *   3. record SpareComplete;
 *   4. spare image -> variable store;
 *   5. record DestinationComplete + header Complete.
 *
 * A crash after any prefix of the block writes leaves either the old store (1-3: the
 * variable store is untouched) or a pending write that store_open completes from the spare
 * (4-5).  0; -ENOSPC when the live variables plus `merge` do not fit (nothing written), or
 * the spare area is smaller than the variable store; -EINVAL; or a backend error (the RAM
 * view is then reloaded from the backend, so it shows what a restart would).
 */
__attribute__((warn_unused_result)) int store_reclaim(struct store *store,
						      const struct var_write *merge);
/*
 * Whether store_set reclaims (and retries) when a record does not fit after the last one.
 * On by default; the variable service turns it off at ExitBootServices (edk2 never reclaims
 * at runtime).
 */
void store_set_reclaim_enabled(struct store *store, bool enabled);
/* Delete (state DELETED).  0, -ENOENT, or a backend error (RAM == backend as above). */
__attribute__((warn_unused_result)) int store_delete(struct store *store, const efi_guid_t *guid,
						     const uint8_t *name, size_t name_size);

#endif
