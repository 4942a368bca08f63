/* SPDX-License-Identifier: MIT */
#include "fault.h"

#include <glib.h>
#include <unistd.h>

#include "fault_count.h"
#include "pta_stmm.h"
#include "gcov_flush.h"

static struct fault_table faults;

int stmm_fault_handle(int fd, const struct emu_msg *msg)
{
	return fault_ctrl_handle(&faults, FAULT_DAEMON_STMMD, fd, msg);
}

bool stmm_fault_mm_call(uint32_t *ret_ret, uint32_t *ret_origin)
{
	static const uint16_t trigger[] = { EMU_FAULT_AT_MM_CALL };
	struct fault_fired ff;

	if (!fault_table_event(&faults, trigger, 1, 0, &ff))
		return false;
	fault_log_fired(&ff, "MM call");
	if (ff.f.action == EMU_FAULT_STMM_CRASH) {
		g_message("fault #%u: the secure world dies before StMM runs (exit %d)", ff.id,
			  STMMD_EXIT_CRASH);
		gcov_flush_before_exit();
		_exit(STMMD_EXIT_CRASH);
	}
	*ret_ret = ff.f.value;
	*ret_origin = TEE_ORIGIN_TEE;
	return true;
}
