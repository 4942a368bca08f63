/* SPDX-License-Identifier: MIT */
/*
 * A check on the payload `var set` sends with the time-based authenticated attribute
 * (issue 15 #7): cert-to-efi-sig-list -g "" (an empty `$(uuidgen)` where uuidgen is not
 * installed) writes EFI_SIGNATURE_DATA entries whose SignatureOwner is all zero, which
 * the firmware accepts silently.  The payload is EFI_VARIABLE_AUTHENTICATION_2 (EFI_TIME,
 * then a WIN_CERTIFICATE_UEFI_GUID of dwLength bytes) followed by EFI_SIGNATURE_LISTs.
 */
#ifndef STMM_EMU_EMU_ESL_OWNER_H
#define STMM_EMU_EMU_ESL_OWNER_H

#include <stddef.h>
#include <stdint.h>

/* How many signatures in the payload's signature lists have an all-zero owner GUID
 * (0 also when the payload is not an AUTHENTICATION_2 descriptor + lists). */
unsigned esl_zero_owners(const uint8_t *data, size_t size);

#endif
