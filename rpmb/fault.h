/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for rpmbd: a store wrapper that cuts the device's power at a chosen
 * durable write, for crash-consistency tests of everything above the device.
 */
#ifndef RPMBD_FAULT_H
#define RPMBD_FAULT_H

#include <stdint.h>

#include "storage.h"

/* Exit status of an rpmbd whose power was cut (sysexits EX_TEMPFAIL). */
#define RPMBD_EXIT_POWER_CUT 75

struct rpmb_fault_plan {
	/*
	 * >= 0: the first N durable writes (key programming, authenticated data writes)
	 * commit; the next one does not — the device loses power before committing it and
	 * the process exits with RPMBD_EXIT_POWER_CUT, answering nothing.
	 */
	int64_t fail_after_writes;
	/*
	 * >= 1: the N-th durable write commits, then the power goes before the answer
	 * leaves (the host sees no response to a write the device did make).
	 */
	int64_t lose_response_at_write;
};
#define RPMB_FAULT_PLAN_NONE { .fail_after_writes = -1, .lose_response_at_write = -1 }

/* Wrap `inner` (ownership passes to the wrapper) when the plan has a fault, else return it. */
__attribute__((warn_unused_result)) int rpmb_store_fault_wrap(struct rpmb_store *inner,
							      const struct rpmb_fault_plan *plan,
							      struct rpmb_store **ret_store);

#endif
