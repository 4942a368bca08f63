/* SPDX-License-Identifier: MIT */
/*
 * MM communicate buffers for the variable service, byte for byte as edk2's
 * SmmVariableCommon.h lays them out for AArch64 (UINTN = 8 bytes, little endian) and as
 * Linux tee_stmm_efi / U-Boot efi_variable_tee.c build them.
 * Source: shared/research/mm-variable-protocol.md §1.2-§1.7.
 *
 *   EFI_MM_COMMUNICATE_HEADER (24) | SMM_VARIABLE_COMMUNICATE_HEADER (16) | payload
 *
 * All integers little endian on the wire.  The host is little endian (checked below);
 * code still reads fields through memcpy + le*toh at the edge because a peer's buffer
 * carries no alignment guarantee.
 */
#ifndef STMM_EMU_MM_H
#define STMM_EMU_MM_H

#include <stddef.h>
#include <stdint.h>

#include "efi.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "stmm-emu models an AArch64 little-endian secure world and needs a little-endian host"
#endif

/* EFI_MM_COMMUNICATE_HEADER (v1).  MessageLength counts data[] only. */
struct mm_communicate_header {
	efi_guid_t header_guid;   /* which MMI handler: variables = SMM_VARIABLE_GUID */
	uint64_t message_length;  /* UINTN */
	uint8_t data[];
};
#define MM_COMMUNICATE_HEADER_SIZE 24u
_Static_assert(offsetof(struct mm_communicate_header, header_guid) == 0, "HeaderGuid");
_Static_assert(offsetof(struct mm_communicate_header, message_length) == 16, "MessageLength");
_Static_assert(offsetof(struct mm_communicate_header, data) == MM_COMMUNICATE_HEADER_SIZE, "Data");
_Static_assert(sizeof(struct mm_communicate_header) == 24, "EFI_MM_COMMUNICATE_HEADER");

/* gEfiSmmVariableProtocolGuid = the PTA_STMM UUID = the MM HeaderGuid for variables. */
#define SMM_VARIABLE_GUID                                                                   \
	EFI_GUID_INIT(0xed32d533, 0x99e6, 0x4209, 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7)
#define EFI_SMM_VARIABLE_WRITE_GUID                                                         \
	EFI_GUID_INIT(0x93ba1826, 0xdffb, 0x45dd, 0x82, 0xa7, 0xe7, 0xdc, 0xaa, 0x3b, 0xbd, 0xf3)
/* MM-core event HeaderGuids (StandaloneMmCore mMmCoreMmiHandlers). */
#define EFI_END_OF_DXE_EVENT_GROUP_GUID                                                     \
	EFI_GUID_INIT(0x02ce967a, 0xdd7e, 0x4ffc, 0x9e, 0xe7, 0x81, 0x0c, 0xf0, 0x47, 0x08, 0x80)
#define EFI_EVENT_READY_TO_BOOT_GUID                                                        \
	EFI_GUID_INIT(0x7ce88fb3, 0x4bd7, 0x4679, 0x87, 0xa8, 0xa8, 0xd8, 0xde, 0xe5, 0x0d, 0x2b)
#define EFI_EVENT_EXIT_BOOT_SERVICES_GUID                                                   \
	EFI_GUID_INIT(0x27abf055, 0xb1b8, 0x4c26, 0x80, 0x48, 0x74, 0x8f, 0x37, 0xba, 0xa2, 0xdf)

/* SMM_VARIABLE_COMMUNICATE_HEADER. */
struct smm_variable_communicate_header {
	uint64_t function;      /* UINTN, SMM_VARIABLE_FUNCTION_* */
	uint64_t return_status; /* EFI_STATUS of the variable service */
	uint8_t data[];
};
#define SMM_VARIABLE_COMMUNICATE_HEADER_SIZE 16u
_Static_assert(offsetof(struct smm_variable_communicate_header, function) == 0, "Function");
_Static_assert(offsetof(struct smm_variable_communicate_header, return_status) == 8,
	       "ReturnStatus");
_Static_assert(offsetof(struct smm_variable_communicate_header, data) == 16, "Data");
_Static_assert(sizeof(struct smm_variable_communicate_header) ==
		       SMM_VARIABLE_COMMUNICATE_HEADER_SIZE,
	       "SMM_VARIABLE_COMMUNICATE_HEADER");

/* Offset of the variable payload inside a whole MM buffer. */
#define MM_VARIABLE_PAYLOAD_OFFSET (MM_COMMUNICATE_HEADER_SIZE + SMM_VARIABLE_COMMUNICATE_HEADER_SIZE)

/* Function ids. */
#define SMM_VARIABLE_FUNCTION_GET_VARIABLE                        0x01
#define SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME              0x02
#define SMM_VARIABLE_FUNCTION_SET_VARIABLE                        0x03
#define SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO                 0x04
#define SMM_VARIABLE_FUNCTION_READY_TO_BOOT                       0x05
#define SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE                   0x06
#define SMM_VARIABLE_FUNCTION_GET_STATISTICS                      0x07
#define SMM_VARIABLE_FUNCTION_LOCK_VARIABLE                       0x08
#define SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET     0x09
#define SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET     0x0a
#define SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE                    0x0b
#define SMM_VARIABLE_FUNCTION_INIT_RUNTIME_VARIABLE_CACHE_CONTEXT 0x0c
#define SMM_VARIABLE_FUNCTION_SYNC_RUNTIME_CACHE                  0x0d
#define SMM_VARIABLE_FUNCTION_GET_RUNTIME_CACHE_INFO              0x0e

/*
 * SMM_VARIABLE_COMMUNICATE_ACCESS_VARIABLE (GET_VARIABLE, SET_VARIABLE).  The name (UCS-2,
 * NUL-terminated, name_size bytes) starts at offset 36; the data follows at 36 + name_size,
 * unaligned.  sizeof() is 40 because of the flexible member's alignment: edk2 uses
 * OFFSET_OF(Name) = 36 as the fixed part, Linux/U-Boot budget with sizeof = 40.
 */
struct smm_variable_access {
	efi_guid_t guid;
	uint64_t data_size;  /* UINTN */
	uint64_t name_size;  /* UINTN, bytes including the NUL */
	uint32_t attributes;
	uint16_t name[];
};
#define SMM_VARIABLE_ACCESS_NAME_OFFSET 36u
_Static_assert(offsetof(struct smm_variable_access, guid) == 0, "Guid");
_Static_assert(offsetof(struct smm_variable_access, data_size) == 16, "DataSize");
_Static_assert(offsetof(struct smm_variable_access, name_size) == 24, "NameSize");
_Static_assert(offsetof(struct smm_variable_access, attributes) == 32, "Attributes");
_Static_assert(offsetof(struct smm_variable_access, name) == SMM_VARIABLE_ACCESS_NAME_OFFSET,
	       "Name");
_Static_assert(sizeof(struct smm_variable_access) == 40, "sizeof as Linux/U-Boot budget it");

/* SMM_VARIABLE_COMMUNICATE_GET_NEXT_VARIABLE_NAME, also LOCK_VARIABLE. */
struct smm_variable_get_next_name {
	efi_guid_t guid;
	uint64_t name_size;  /* UINTN; on input the size of the name buffer */
	uint16_t name[];
};
#define SMM_VARIABLE_GET_NEXT_NAME_OFFSET 24u
_Static_assert(offsetof(struct smm_variable_get_next_name, guid) == 0, "Guid");
_Static_assert(offsetof(struct smm_variable_get_next_name, name_size) == 16, "NameSize");
_Static_assert(offsetof(struct smm_variable_get_next_name, name) == SMM_VARIABLE_GET_NEXT_NAME_OFFSET,
	       "Name");
_Static_assert(sizeof(struct smm_variable_get_next_name) == 24, "GET_NEXT fixed part");

/* SMM_VARIABLE_COMMUNICATE_QUERY_VARIABLE_INFO. */
struct smm_variable_query_info {
	uint64_t maximum_variable_storage_size;
	uint64_t remaining_variable_storage_size;
	uint64_t maximum_variable_size;
	uint32_t attributes;
	uint32_t reserved; /* explicit tail padding of the C struct */
};
_Static_assert(offsetof(struct smm_variable_query_info, maximum_variable_storage_size) == 0, "Max");
_Static_assert(offsetof(struct smm_variable_query_info, remaining_variable_storage_size) == 8, "Rem");
_Static_assert(offsetof(struct smm_variable_query_info, maximum_variable_size) == 16, "MaxVar");
_Static_assert(offsetof(struct smm_variable_query_info, attributes) == 24, "Attributes");
_Static_assert(offsetof(struct smm_variable_query_info, reserved) == 28, "tail padding");
_Static_assert(sizeof(struct smm_variable_query_info) == 32, "QUERY_VARIABLE_INFO");

/* VAR_CHECK_VARIABLE_PROPERTY (edk2 Protocol/VarCheck.h). */
struct var_check_variable_property {
	uint16_t revision;   /* VAR_CHECK_VARIABLE_PROPERTY_REVISION */
	uint16_t property;   /* VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY ... */
	uint32_t attributes;
	uint64_t min_size;   /* UINTN */
	uint64_t max_size;   /* UINTN */
};
#define VAR_CHECK_VARIABLE_PROPERTY_REVISION  0x0001
#define VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY 0x0001
_Static_assert(offsetof(struct var_check_variable_property, revision) == 0, "Revision");
_Static_assert(offsetof(struct var_check_variable_property, property) == 2, "Property");
_Static_assert(offsetof(struct var_check_variable_property, attributes) == 4, "Attributes");
_Static_assert(offsetof(struct var_check_variable_property, min_size) == 8, "MinSize");
_Static_assert(offsetof(struct var_check_variable_property, max_size) == 16, "MaxSize");
_Static_assert(sizeof(struct var_check_variable_property) == 24, "VAR_CHECK_VARIABLE_PROPERTY");

/* SMM_VARIABLE_COMMUNICATE_VAR_CHECK_VARIABLE_PROPERTY (functions 9 and 10). */
struct smm_variable_var_check_property {
	efi_guid_t guid;
	uint64_t name_size;
	struct var_check_variable_property variable_property;
	uint16_t name[];
};
#define SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET 48u
_Static_assert(offsetof(struct smm_variable_var_check_property, guid) == 0, "Guid");
_Static_assert(offsetof(struct smm_variable_var_check_property, name_size) == 16, "NameSize");
_Static_assert(offsetof(struct smm_variable_var_check_property, variable_property) == 24,
	       "VariableProperty");
_Static_assert(offsetof(struct smm_variable_var_check_property, name) ==
		       SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET,
	       "Name");
_Static_assert(sizeof(struct smm_variable_var_check_property) ==
		       SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET,
	       "VAR_CHECK_VARIABLE_PROPERTY fixed part");

/* SMM_VARIABLE_COMMUNICATE_GET_PAYLOAD_SIZE. */
struct smm_variable_payload_size {
	uint64_t variable_payload_size; /* UINTN */
};
_Static_assert(sizeof(struct smm_variable_payload_size) == 8, "GET_PAYLOAD_SIZE");
_Static_assert(offsetof(struct smm_variable_payload_size, variable_payload_size) == 0,
	       "VariablePayloadSize");

/* The "minus 2" quirk Linux and U-Boot apply to GET_PAYLOAD_SIZE (§2.3). */
#define MM_CLIENT_PAYLOAD_QUIRK 2u

#endif
