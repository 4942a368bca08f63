/* SPDX-License-Identifier: MIT */
#include "profile.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

struct profile {
	const char *name;
	bool user_physical_presence; /* PcdUserPhysicalPresence */
	bool policy_engine;          /* VarCheckPolicyLib linked */
	bool require_self_signed_pk; /* PcdRequireSelfSignedPk */
	bool var_check_uefi;         /* VarCheckUefiLib linked */
};

static const struct profile profiles[] = {
	/* PlatformStandaloneMmRpmb.dsc (edk2-platforms); PCD defaults from the .dec files. */
	{ "optee-stmm", true, false, false, true },
	{ "strict", false, true, true, true },
};

static const struct profile *find(const char *name)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(profiles); i++)
		if (strcmp(name, profiles[i].name) == 0)
			return &profiles[i];
	return NULL;
}

bool stmm_profile_valid(const char *name)
{
	return find(name) != NULL;
}

const char *stmm_profile_names(void)
{
	return "optee-stmm, strict";
}

int stmm_profile_apply(const char *name, struct varsvc_config *vars, struct authvar_config *auth)
{
	const struct profile *p = find(name);

	if (!p)
		return -EINVAL;
	vars->var_check_uefi = p->var_check_uefi;
	vars->policy_engine = p->policy_engine;
	auth->user_physical_presence = p->user_physical_presence;
	auth->policy_engine = p->policy_engine;
	auth->require_self_signed_pk = p->require_self_signed_pk;
	return 0;
}

const char *stmm_profile_of(const struct varsvc_config *vars, const struct authvar_config *auth)
{
	for (size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
		const struct profile *p = &profiles[i];
		if (vars->var_check_uefi == p->var_check_uefi &&
		    vars->policy_engine == p->policy_engine &&
		    auth->policy_engine == p->policy_engine &&
		    auth->user_physical_presence == p->user_physical_presence &&
		    auth->require_self_signed_pk == p->require_self_signed_pk)
			return p->name;
	}
	return NULL;
}
