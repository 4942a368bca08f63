/* SPDX-License-Identifier: MIT */
/* The StMM pseudo-TA: variable service on the RPMB-backed NV store (see tee_stmm.h). */
#include "tee_stmm.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "fvio.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_fs.h"
#include "rpmb_host.h"
#include "rpmb_route.h"

struct tee_stmm {
	struct tee_stmm_config cfg;
	struct rpc *rpc;
	struct rpmb_client *rpmb;
	struct rpmb_fs *fs;     /* with cfg.optee_fs */
	struct store *store;    /* NULL until booted */
	struct varsvc *svc;
	uint32_t boot_events;   /* EMU_CTRL_BOOT_* of the last store_open (worker) */
	char boot_report[128];  /* its damage, one line (worker) */
	GMutex lock;            /* guards snap */
	struct emu_ctrl_status snap;
	bool dead_logged;       /* the warning for the current dead state was given */
};

/* Worker: refresh what a status request reports. */
static void update_snapshot(struct tee_stmm *s)
{
	struct emu_ctrl_status st = { 0 };
	struct rpmb_client_status rs;

	rpmb_client_get_status(s->rpmb, &rs);
	if (rs.key_programmed)
		st.flags |= EMU_CTRL_STATUS_KEY_PROGRAMMED;
	if (rs.counter_synced)
		st.flags |= EMU_CTRL_STATUS_COUNTER_SYNCED;
	st.rpmb_write_counter = rs.write_counter;
	st.flags |= EMU_CTRL_STATUS_STMM_SEEN;
	if (s->fs)
		st.flags |= EMU_CTRL_STATUS_LAYOUT_OPTEE_FS;
	if (rs.kernel_route)
		st.flags |= EMU_CTRL_STATUS_ROUTE_KERNEL;
	if (rs.dead) {
		st.flags |= EMU_CTRL_STATUS_RPMB_DEAD;
		st.rpmb_dead_since = (uint64_t)rs.dead_since;
	}
	st.rpmb_writes = rs.writes;
	st.rpmb_retries = rs.retries;
	if (rs.last_failure.error) {
		st.fail_time = rs.last_failure.when;
		st.fail_errno = rs.last_failure.error;
		st.fail_result = rs.last_failure.result;
		st.fail_address = rs.last_failure.address;
		st.fail_write_counter = rs.last_failure.write_counter;
		st.fail_attempts = rs.last_failure.attempts;
	}
	if (s->store) {
		struct store_stats ss;
		store_get_stats(s->store, &ss);
		st.flags |= EMU_CTRL_STATUS_STORE_OPEN;
		st.store_total = ss.total_size;
		st.store_used = ss.used;
		st.store_free = ss.free;
		st.live_variables = ss.live_variables;
	}
	if (s->svc) {
		bool eod, rt;
		varsvc_get_phase(s->svc, &eod, &rt);
		if (eod)
			st.flags |= EMU_CTRL_STATUS_END_OF_DXE;
		if (rt)
			st.flags |= EMU_CTRL_STATUS_AT_RUNTIME;
	}
	st.store_boot_events = s->boot_events;
	g_strlcpy(st.store_boot_report, s->boot_report, sizeof(st.store_boot_report));
	struct varsvc_auth *auth = varsvc_get_auth(s->svc);
	if (auth) {
		struct varsvc_auth_status as;
		varsvc_auth_get_status(auth, &as);
		st.flags |= EMU_CTRL_STATUS_AUTH;
		if (as.setup_mode)
			st.flags |= EMU_CTRL_STATUS_SETUP_MODE;
		if (as.secure_boot)
			st.flags |= EMU_CTRL_STATUS_SECURE_BOOT;
		if (as.setup_mode_var)
			st.flags |= EMU_CTRL_STATUS_SETUP_MODE_VAR;
		if (as.quirk_optee_stmm)
			st.flags |= EMU_CTRL_STATUS_QUIRK_OPTEE_STMM;
		if (as.user_physical_presence)
			st.flags |= EMU_CTRL_STATUS_PHYSICAL_PRESENCE;
		if (as.require_self_signed_pk)
			st.flags |= EMU_CTRL_STATUS_SELF_SIGNED_PK;
	}
	if (s->cfg.vars.var_check_uefi)
		st.flags |= EMU_CTRL_STATUS_VAR_CHECK_UEFI;
	if (s->cfg.vars.policy_engine)
		st.flags |= EMU_CTRL_STATUS_POLICY_ENGINE;
	g_mutex_lock(&s->lock);
	s->snap = st;
	g_mutex_unlock(&s->lock);
}

int tee_stmm_new(const struct tee_stmm_config *cfg, struct rpc *rpc, struct tee_stmm **ret_stmm)
{
	struct rpmb_client_transport tr;
	struct tee_stmm *s = g_new0(struct tee_stmm, 1);

	rpmb_route_rpc_transport(rpc, &tr); /* legacy RPC 1 and the kernel route's 22/23/24 */
	s->cfg = *cfg;
	s->rpc = rpc;
	g_mutex_init(&s->lock);
	int r = rpmb_client_new(&cfg->rpmb, &tr, &s->rpmb);
	if (r == 0 && cfg->optee_fs)
		r = rpmb_fs_new(s->rpmb, cfg->rpmb.huk, &s->fs);
	if (r < 0) {
		tee_stmm_free(s);
		return r;
	}
	*ret_stmm = s;
	return 0;
}

void tee_stmm_free(struct tee_stmm *s)
{
	if (!s)
		return;
	varsvc_free(s->svc);
	store_free(s->store);
	rpmb_fs_free(s->fs);
	rpmb_client_free(s->rpmb);
	g_mutex_clear(&s->lock);
	g_free(s);
}

/* Worker: say once, at warning level, that the RPMB went dead and why. */
static void log_dead_transition(struct tee_stmm *s)
{
	struct rpmb_client_status rs;

	rpmb_client_get_status(s->rpmb, &rs);
	if (!rs.dead) {
		s->dead_logged = false;
		return;
	}
	if (s->dead_logged)
		return;
	s->dead_logged = true;
	char name[64] = "no response";
	if (rs.last_failure.result != 0xffff)
		rpmb_result_name(rs.last_failure.result, name, sizeof(name));
	g_warning("RPMB dead: the write of block %u (counter %u) failed %u times, last with %s "
		  "(device result %s); as OP-TEE, every RPMB operation now fails and NV variable "
		  "writes answer EFI_DEVICE_ERROR until a reset (stmm-emu reset) reads the store again",
		  rs.last_failure.address, rs.last_failure.write_counter, rs.last_failure.attempts,
		  g_strerror(-rs.last_failure.error), name);
}

/*
 * Worker: say what StMM did to the store at boot, as EDK2 does it silently: dropped records
 * and a reformatted store are damage (warning, and `status` shows it), a first format, a
 * completed or aborted reclaim and erased leftovers are routine (message).
 */
static void report_boot(struct tee_stmm *s, const struct store *store)
{
	const struct store_boot_report *rep = store_get_boot_report(store);

	s->boot_events = 0;
	s->boot_report[0] = 0;
	for (unsigned i = 0; i < rep->n_events; i++) {
		const struct store_boot_event *ev = &rep->events[i];
		g_autofree char *msg = store_boot_event_message(ev);
		if (ev->kind == STORE_BOOT_RECORDS_DROPPED)
			s->boot_events |= EMU_CTRL_BOOT_RECORDS_DROPPED;
		else if (ev->kind == STORE_BOOT_FORMATTED)
			s->boot_events |= EMU_CTRL_BOOT_REFORMATTED;
		else if (ev->kind == STORE_BOOT_RECLAIM_COMPLETED)
			s->boot_events |= EMU_CTRL_BOOT_RECLAIM_FINISHED;
		if (store_boot_event_is_damage(ev)) {
			g_warning("NV store at RPMB byte %" G_GUINT64_FORMAT ": %s",
				  s->cfg.layout.base_offset, msg);
			if (!s->boot_report[0])
				g_strlcpy(s->boot_report, msg, sizeof(s->boot_report));
		} else {
			g_message("NV store: %s", msg);
		}
	}
}

/* A region of erased flash (0xff), as big as the layout's NV region. */
static uint64_t region_size(const struct store_layout *l)
{
	return (uint64_t)l->var_store_size + l->ftw_working_size + l->ftw_spare_size;
}

/*
 * Worker, RPMB FS layout: OP-TEE's rpmb_fs_setup, then OpTeeRpmbFvb's first boot.  The FVB
 * reads the whole NV region at once and ignores a failure ("upper EDK2 layers will
 * initialize the flash"): EFI_VARS missing or shorter than the region (stmm_sp.c:
 * TEE_ERROR_CORRUPT_OBJECT) -> it writes the whole region erased, so the file exists at its
 * full size before the variable driver formats it.  Other read errors fail the boot here
 * (data kept) instead of letting EDK2 format over them.  A partition that holds a store in
 * the raw layout is refused: formatting it as a file system would destroy it.
 */
static int fs_layout_boot(struct tee_stmm *s)
{
	uint8_t blk0[256];
	int r = rpmb_client_read(s->rpmb, 0, blk0, 1);
	if (r < 0)
		return r;
	if (!memcmp(blk0 + 0x28, "_FVH", 4)) {
		g_warning("RPMB block 0 holds an EDK2 firmware volume (a store in the raw layout): "
			  "not formatting it as OP-TEE's RPMB file system; start stmmd with "
			  "--rpmb-layout raw");
		return -EMEDIUMTYPE;
	}
	r = rpmb_fs_setup(s->fs);
	if (r < 0)
		return r;
	/* Missing or shorter than the region: what the FVB's whole-region read would have
	 * failed on.  The FAT entry tells, without reading the data store_open reads next. */
	uint64_t len = region_size(&s->cfg.layout);
	size_t size = 0;
	r = rpmb_fs_stmm_size(s->fs, &size);
	if (r == -ENOENT || (r == 0 && size < len)) {
		g_message("EFI_VARS %s in OP-TEE's RPMB file system: writing %" G_GUINT64_FORMAT
			  " erased bytes first, as OpTeeRpmbFvb does", r == -ENOENT ? "missing" : "short", len);
		g_autofree uint8_t *buf = g_malloc(len);
		memset(buf, 0xff, len);
		r = rpmb_fs_stmm_write(s->fs, 0, buf, len);
	}
	return r;
}

static int stmm_boot(void *ctx)
{
	struct tee_stmm *s = ctx;
	struct store_backend backend;
	struct store *store = NULL;
	struct varsvc *svc = NULL;

	if (s->svc)
		return 0;
	int r = rpmb_client_init(s->rpmb);
	if (r == 0)
		r = s->fs ? fs_layout_boot(s) : rpmb_client_setup(s->rpmb); /* OP-TEE's first RPMB FS access */
	if (r < 0)
		goto out;
	if (s->fs)
		rpmb_fs_store_backend(s->fs, &backend);
	else
		rpmb_client_store_backend(s->rpmb, &backend);
	if (s->cfg.import_image) {
		r = fvio_import_to_backend(&s->cfg.layout, &backend, s->cfg.import_image);
		if (r == -EEXIST)
			g_warning("--import-fv: RPMB already holds a variable store; not overwritten");
		if (r < 0)
			goto out;
		g_message("--import-fv: imported store written to RPMB");
		s->cfg.import_image = NULL; /* once */
	}
	r = store_open(&s->cfg.layout, &backend, &store);
	if (r < 0)
		goto out;
	report_boot(s, store);
	r = varsvc_new(&s->cfg.vars, store, &svc);
	if (r == 0)
		r = varsvc_enable_auth(svc, &s->cfg.auth); /* AuthVariableLibInitialize */
	if (r < 0) {
		varsvc_free(svc);
		store_free(store);
		goto out;
	}
	s->store = store;
	s->svc = svc;
	rpc_set_supplicant_nowait(s->rpc, true);
out:
	log_dead_transition(s);
	update_snapshot(s);
	return r;
}

static int32_t stmm_communicate(void *ctx, uint8_t *buf, size_t size)
{
	struct tee_stmm *s = ctx;
	if (!s->svc)
		return ARM_SPM_MM_RET_NOT_SUPPORTED; /* the core boots first; defensive only */
	bool read_only = varsvc_call_is_read_only(buf, size); /* before buf holds the answer */
	int32_t ret = varsvc_communicate(s->svc, buf, size);
	if (!read_only) { /* a read changes nothing a status request reports */
		log_dead_transition(s);
		update_snapshot(s);
	}
	return ret;
}

/* Any thread while StMM is idle: a booted StMM answers reads from memory (tee.h). */
static bool stmm_mm_call_is_local(void *ctx, const uint8_t *buf, size_t size)
{
	const struct tee_stmm *s = ctx;
	return s->svc && varsvc_call_is_read_only(buf, size);
}

static void stmm_get_status(void *ctx, struct emu_ctrl_status *st)
{
	struct tee_stmm *s = ctx;
	g_mutex_lock(&s->lock);
	uint32_t flags = st->flags;
	*st = s->snap;
	st->flags |= flags;
	g_mutex_unlock(&s->lock);
}

/*
 * Worker: platform reset (EMU_MSG_CTRL_RESET_REQ).  StMM is loaded afresh as at power-on:
 * the store is read again from RPMB (completing an interrupted reclaim), and a new variable
 * service starts at boot time with no volatile variables, properties or locks.
 */
static int stmm_reset(void *ctx)
{
	struct tee_stmm *s = ctx;

	varsvc_free(s->svc);
	store_free(s->store);
	s->svc = NULL;
	s->store = NULL;
	rpmb_client_reset(s->rpmb); /* OP-TEE reboots too: rpmb_dead and the counter start afresh */
	if (s->fs)
		rpmb_fs_reset(s->fs);
	return stmm_boot(ctx);
}

/* Worker: the store as a standalone FV (fvio.h). */
static int stmm_export_fv(void *ctx, const struct emu_ctrl_export_req *req, GBytes **ret_image,
			  struct emu_ctrl_export_rsp *ret_info)
{
	struct tee_stmm *s = ctx;
	struct rpmb_client_status rs;
	struct store_stats ss;

	if (!s->store)
		return -EIO;
	int r = fvio_export(s->store, &s->cfg.layout, req, ret_image);
	if (r < 0)
		return r;
	rpmb_client_get_status(s->rpmb, &rs);
	store_get_stats(s->store, &ss);
	*ret_info = (struct emu_ctrl_export_rsp){
		.total = g_bytes_get_size(*ret_image),
		.generation = rs.write_counter,
		.live_variables = ss.live_variables,
	};
	return 0;
}

void tee_stmm_pta_ops(struct tee_stmm *s, struct tee_pta_ops *ret_ops)
{
	*ret_ops = (struct tee_pta_ops){
		.ctx = s,
		.boot = stmm_boot,
		.communicate = stmm_communicate,
		.get_status = stmm_get_status,
		.export_fv = stmm_export_fv,
		.reset = stmm_reset,
		.mm_call_is_local = stmm_mm_call_is_local,
	};
}
