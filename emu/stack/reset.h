/* SPDX-License-Identifier: MIT */
/*
 * A platform reset of one state directory, as UEFI's ResetSystem looks to the variable
 * store: volatile variables gone, non-volatile kept, the service back at boot time (no
 * READY_TO_BOOT / EXIT_BOOT_SERVICE seen, VAR_CHECK properties forgotten).  Sent to stmmd
 * as EMU_MSG_CTRL_RESET_REQ (include/emu_ipc.h: StMM rebuilt from the NV store, sessions
 * kept).  An stmmd that does not serve it is restarted instead: supplicantd and stmmd are
 * stopped and started again (rpmbd, the device, keeps running), with the quirks saved in
 * STATE/quirks.
 */
#ifndef STMM_EMU_EMU_RESET_H
#define STMM_EMU_EMU_RESET_H

#include <glib.h>

#include "state.h"

/*
 * Reset and wait until a GET_PAYLOAD_SIZE round trip works again (at most wait_ms).
 * Takes the state lock.  0, or -errno with the reason in `err`.
 */
__attribute__((warn_unused_result)) int emu_platform_reset(const struct emu_state *st, int wait_ms,
							    GString *err);

#endif
