/* SPDX-License-Identifier: MIT */
/*
 * EFI basics as they cross the MM communicate wire: GUIDs, statuses, EFI_TIME and the
 * variable attribute bits.  Layouts: UEFI 2.10 and edk2 MdePkg (see
 * shared/research/mm-variable-protocol.md §1.1, §2.6, §3.1, §4.1).
 */
#ifndef STMM_EMU_EFI_H
#define STMM_EMU_EFI_H

#include <stddef.h>
#include <stdint.h>

/*
 * EFI_GUID as it sits in memory and on the wire: Data1 u32 little-endian, Data2 u16 LE,
 * Data3 u16 LE, Data4 8 bytes as-is ("mixed endian").  Kept as bytes; convert with
 * efi_guid_parse()/efi_guid_format() from lib/guid.h.
 */
typedef struct efi_guid {
	uint8_t b[16];
} efi_guid_t;
_Static_assert(sizeof(efi_guid_t) == 16, "EFI_GUID is 16 bytes");

/* Build an efi_guid_t from the textual groups (d1-d2-d3-d4[0..1]-d4[2..7]). */
#define EFI_GUID_INIT(d1, d2, d3, a, b, c, d, e, f, g, h)                                  \
	{ { (d1) & 0xff, ((d1) >> 8) & 0xff, ((d1) >> 16) & 0xff, ((d1) >> 24) & 0xff,     \
	    (d2) & 0xff, ((d2) >> 8) & 0xff, (d3) & 0xff, ((d3) >> 8) & 0xff,              \
	    (a), (b), (c), (d), (e), (f), (g), (h) } }

/* EFI_STATUS is a UINTN: 64 bits on AArch64; errors have the top bit set. */
typedef uint64_t efi_status_t;
#define EFI_ERROR_BIT                 0x8000000000000000ULL
#define EFI_ERR(n)                    (EFI_ERROR_BIT | (uint64_t)(n))
#define EFI_SUCCESS                   0ULL
#define EFI_LOAD_ERROR                EFI_ERR(1)
#define EFI_INVALID_PARAMETER         EFI_ERR(2)
#define EFI_UNSUPPORTED               EFI_ERR(3)
#define EFI_BAD_BUFFER_SIZE           EFI_ERR(4)
#define EFI_BUFFER_TOO_SMALL          EFI_ERR(5)
#define EFI_NOT_READY                 EFI_ERR(6)
#define EFI_DEVICE_ERROR              EFI_ERR(7)
#define EFI_WRITE_PROTECTED           EFI_ERR(8)
#define EFI_OUT_OF_RESOURCES          EFI_ERR(9)
#define EFI_VOLUME_CORRUPTED          EFI_ERR(10)
#define EFI_VOLUME_FULL               EFI_ERR(11)
#define EFI_NO_MEDIA                  EFI_ERR(12)
#define EFI_MEDIA_CHANGED             EFI_ERR(13)
#define EFI_NOT_FOUND                 EFI_ERR(14)
#define EFI_ACCESS_DENIED             EFI_ERR(15)
#define EFI_NO_RESPONSE               EFI_ERR(16)
#define EFI_NO_MAPPING                EFI_ERR(17)
#define EFI_TIMEOUT                   EFI_ERR(18)
#define EFI_NOT_STARTED               EFI_ERR(19)
#define EFI_ALREADY_STARTED           EFI_ERR(20)
#define EFI_ABORTED                   EFI_ERR(21)
#define EFI_ICMP_ERROR                EFI_ERR(22)
#define EFI_TFTP_ERROR                EFI_ERR(23)
#define EFI_PROTOCOL_ERROR            EFI_ERR(24)
#define EFI_INCOMPATIBLE_VERSION      EFI_ERR(25)
#define EFI_SECURITY_VIOLATION        EFI_ERR(26)
#define EFI_CRC_ERROR                 EFI_ERR(27)
#define EFI_END_OF_MEDIA              EFI_ERR(28)
#define EFI_END_OF_FILE               EFI_ERR(31)
#define EFI_INVALID_LANGUAGE          EFI_ERR(32)
#define EFI_COMPROMISED_DATA          EFI_ERR(33)

/* EFI_TIME, 16 bytes, little-endian fields. */
struct efi_time {
	uint16_t year;       /* 1900 - 9999 */
	uint8_t month;       /* 1 - 12 */
	uint8_t day;         /* 1 - 31 */
	uint8_t hour;
	uint8_t minute;
	uint8_t second;
	uint8_t pad1;        /* must be 0 in authenticated descriptors */
	uint32_t nanosecond; /* must be 0 in authenticated descriptors */
	int16_t time_zone;   /* must be 0 in authenticated descriptors */
	uint8_t daylight;    /* must be 0 in authenticated descriptors */
	uint8_t pad2;        /* must be 0 in authenticated descriptors */
};
_Static_assert(sizeof(struct efi_time) == 16, "EFI_TIME is 16 bytes");
_Static_assert(offsetof(struct efi_time, year) == 0, "EFI_TIME.Year");
_Static_assert(offsetof(struct efi_time, month) == 2, "EFI_TIME.Month");
_Static_assert(offsetof(struct efi_time, day) == 3, "EFI_TIME.Day");
_Static_assert(offsetof(struct efi_time, hour) == 4, "EFI_TIME.Hour");
_Static_assert(offsetof(struct efi_time, minute) == 5, "EFI_TIME.Minute");
_Static_assert(offsetof(struct efi_time, second) == 6, "EFI_TIME.Second");
_Static_assert(offsetof(struct efi_time, pad1) == 7, "EFI_TIME.Pad1");
_Static_assert(offsetof(struct efi_time, nanosecond) == 8, "EFI_TIME.Nanosecond");
_Static_assert(offsetof(struct efi_time, time_zone) == 12, "EFI_TIME.TimeZone");
_Static_assert(offsetof(struct efi_time, daylight) == 14, "EFI_TIME.Daylight");
_Static_assert(offsetof(struct efi_time, pad2) == 15, "EFI_TIME.Pad2");

/* Variable attributes (UEFI 2.10 §8.2). */
#define EFI_VARIABLE_NON_VOLATILE                          0x00000001u
#define EFI_VARIABLE_BOOTSERVICE_ACCESS                    0x00000002u
#define EFI_VARIABLE_RUNTIME_ACCESS                        0x00000004u
#define EFI_VARIABLE_HARDWARE_ERROR_RECORD                 0x00000008u
#define EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS            0x00000010u /* deprecated */
#define EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS 0x00000020u
#define EFI_VARIABLE_APPEND_WRITE                          0x00000040u
#define EFI_VARIABLE_ENHANCED_AUTHENTICATED_ACCESS         0x00000080u
/* edk2 Variable.h EFI_VARIABLE_ATTRIBUTES_MASK: NV|BS|RT|HR|AT|APPEND. */
#define EFI_VARIABLE_ATTRIBUTES_MASK                                                        \
	(EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |                       \
	 EFI_VARIABLE_RUNTIME_ACCESS | EFI_VARIABLE_HARDWARE_ERROR_RECORD |                  \
	 EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS | EFI_VARIABLE_APPEND_WRITE)

/* Well-known GUIDs (mm-variable-protocol.md §1.7). */
#define EFI_GLOBAL_VARIABLE_GUID                                                            \
	EFI_GUID_INIT(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c)
#define EFI_IMAGE_SECURITY_DATABASE_GUID                                                    \
	EFI_GUID_INIT(0xd719b2cb, 0x3d3a, 0x4596, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f)
#define EFI_CERT_TYPE_PKCS7_GUID                                                            \
	EFI_GUID_INIT(0x4aafd29d, 0x68df, 0x49ee, 0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7)
#define EFI_CERT_X509_GUID                                                                  \
	EFI_GUID_INIT(0xa5c059a1, 0x94e4, 0x4aa7, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72)
#define EFI_CERT_SHA256_GUID                                                                \
	EFI_GUID_INIT(0xc1c41626, 0x504c, 0x4092, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28)
#define EFI_HARDWARE_ERROR_VARIABLE_GUID                                                    \
	EFI_GUID_INIT(0x414e6bdd, 0xe47b, 0x47cc, 0xb2, 0x44, 0xbb, 0x61, 0x02, 0x0c, 0xf5, 0x16)
#define EFI_SECURE_BOOT_ENABLE_DISABLE_GUID                                                 \
	EFI_GUID_INIT(0xf0a30bc7, 0xaf08, 0x4556, 0x99, 0xc4, 0x00, 0x10, 0x09, 0xc9, 0x3a, 0x44)
#define EFI_CUSTOM_MODE_ENABLE_GUID                                                         \
	EFI_GUID_INIT(0xc076ec0c, 0x7028, 0x4399, 0xa0, 0x72, 0x71, 0xee, 0x5c, 0x44, 0x8b, 0x9f)
#define EFI_VENDOR_KEYS_NV_GUID                                                             \
	EFI_GUID_INIT(0x9073e4e0, 0x60ec, 0x4b6e, 0x99, 0x03, 0x4c, 0x22, 0x3c, 0x26, 0x0f, 0x3c)
#define EFI_CERT_DB_GUID                                                                    \
	EFI_GUID_INIT(0xd9bee56e, 0x75dc, 0x49d9, 0xb4, 0xd7, 0xb5, 0x34, 0x21, 0x0f, 0x63, 0x7a)

#endif
