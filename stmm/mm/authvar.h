/* SPDX-License-Identifier: MIT */
/*
 * The authenticated-variable policy of edk2's AuthVariableLib: Secure Boot keys (PK, KEK,
 * db, dbx, dbt), the platform mode and its variables, and private time-based
 * authenticated variables bound to their signer through certdb/certdbv.
 * Source: shared/research/mm-variable-protocol.md §3.
 *
 * The variable service calls authvar_process() for every SetVariable that concerns an
 * authenticated variable (authvar_applies()), after its own attribute and size checks;
 * the policy reads and writes variables only through `authvar_ops`.
 */
#ifndef STMM_EMU_STMM_AUTHVAR_H
#define STMM_EMU_STMM_AUTHVAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"

/* A variable as the policy sees it; pointers valid until the next ops call. */
struct authvar_var {
	uint32_t attributes;
	const uint8_t *data;
	size_t size;
	struct efi_time time_stamp;
};

struct authvar_ops {
	void *ctx;
	/* Look up (name: UCS-2LE incl. NUL).  0, or -ENOENT. */
	int (*find)(void *ctx, const uint8_t *name, size_t name_size, const efi_guid_t *guid,
		    struct authvar_var *ret_var);
	/*
	 * Create, replace or (data_size 0) delete a variable without any policy check;
	 * `time_stamp` may be NULL (zeros).  Returns an EFI status.
	 */
	efi_status_t (*update)(void *ctx, const uint8_t *name, size_t name_size,
			       const efi_guid_t *guid, uint32_t attributes, const uint8_t *data,
			       size_t data_size, const struct efi_time *time_stamp);
};

struct authvar_config {
	/*
	 * The build's PCDs and libraries (stmm/profile.h sets them per profile; all false =
	 * physical presence off, no policy engine, PK unsigned in setup mode).
	 * PcdUserPhysicalPresence (PlatformSecureLibNull's UserPhysicalPresent): an unsigned,
	 * well-formed empty-payload write deletes any private authenticated variable, and
	 * CustomMode / SecureBootEnable are writable.
	 */
	bool user_physical_presence;
	/* VarCheckPolicyLib linked (the variable-policy engine initialised). */
	bool policy_engine;
	/* PcdRequireSelfSignedPk (edk2 566cdfc675): PK in setup mode must verify against its
	 * own payload's certificate (AuthService.c ProcessVarWithPk, AuthVarTypePayload). */
	bool require_self_signed_pk;
};

enum authvar_mode {
	AUTHVAR_SETUP_MODE = 1,
	AUTHVAR_USER_MODE = 0,
};

struct authvar;

__attribute__((warn_unused_result)) int authvar_new(const struct authvar_config *cfg,
						    const struct authvar_ops *ops,
						    struct authvar **ret_av);
void authvar_free(struct authvar *av);

/* Boot-time initialisation: create the mode variables as AuthVariableLibInitialize does. */
efi_status_t authvar_init(struct authvar *av);

/* After ExitBootServices only SetupMode is patched on PK changes. */
void authvar_set_runtime(struct authvar *av, bool at_runtime);

enum authvar_mode authvar_get_mode(const struct authvar *av);

/*
 * Does this SetVariable go through the policy?  True for AT writes, for the Secure Boot key
 * variables whatever the attributes, for writes to an existing AT variable, and for
 * CustomMode / SecureBootEnable.
 */
bool authvar_applies(const uint8_t *name, size_t name_size, const efi_guid_t *guid,
		     uint32_t attributes, const struct authvar_var *existing);

/* Process and, on success, apply one SetVariable.  Returns the EFI status for the caller. */
efi_status_t authvar_process(struct authvar *av, const uint8_t *name, size_t name_size,
			     const efi_guid_t *guid, uint32_t attributes, const uint8_t *data,
			     size_t data_size);

#endif
