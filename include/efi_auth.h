/* SPDX-License-Identifier: MIT */
/*
 * Authenticated-variable wire structures: EFI_VARIABLE_AUTHENTICATION_2 and
 * EFI_SIGNATURE_LIST (UEFI 2.10 §8.2, §32.4; edk2 MdePkg UefiMultiPhase.h,
 * WinCertificate.h, ImageAuthentication.h — all pack(1), little endian).
 * Source: shared/research/mm-variable-protocol.md §3.
 */
#ifndef STMM_EMU_EFI_AUTH_H
#define STMM_EMU_EFI_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "efi.h"

/* WIN_CERTIFICATE header. */
struct win_certificate {
	uint32_t dw_length;          /* whole certificate incl. this header */
	uint16_t w_revision;         /* 0x0200; never checked by edk2 */
	uint16_t w_certificate_type; /* WIN_CERT_TYPE_* */
};
#define WIN_CERT_REVISION         0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define WIN_CERT_TYPE_EFI_PKCS115 0x0EF0
#define WIN_CERT_TYPE_EFI_GUID    0x0EF1
_Static_assert(sizeof(struct win_certificate) == 8, "WIN_CERTIFICATE");
_Static_assert(offsetof(struct win_certificate, dw_length) == 0, "dwLength");
_Static_assert(offsetof(struct win_certificate, w_revision) == 4, "wRevision");
_Static_assert(offsetof(struct win_certificate, w_certificate_type) == 6, "wCertificateType");

/* WIN_CERTIFICATE_UEFI_GUID: header + CertType GUID + CertData[]. */
struct win_certificate_uefi_guid {
	struct win_certificate hdr;
	efi_guid_t cert_type;        /* EFI_CERT_TYPE_PKCS7_GUID */
	uint8_t cert_data[];         /* DER PKCS#7 SignedData */
};
_Static_assert(offsetof(struct win_certificate_uefi_guid, hdr) == 0, "Hdr");
_Static_assert(offsetof(struct win_certificate_uefi_guid, cert_type) == 8, "CertType");
_Static_assert(offsetof(struct win_certificate_uefi_guid, cert_data) == 24, "CertData");
_Static_assert(sizeof(struct win_certificate_uefi_guid) == 24, "WIN_CERTIFICATE_UEFI_GUID");

/* EFI_VARIABLE_AUTHENTICATION_2: TimeStamp + AuthInfo; the new value follows the cert. */
struct efi_variable_authentication_2 {
	struct efi_time time_stamp;
	struct win_certificate_uefi_guid auth_info;
};
#define EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET 40u /* OFFSET_OF_AUTHINFO2_CERT_DATA */
_Static_assert(offsetof(struct efi_variable_authentication_2, time_stamp) == 0, "TimeStamp");
_Static_assert(offsetof(struct efi_variable_authentication_2, auth_info) == 16, "AuthInfo");
_Static_assert(sizeof(struct efi_variable_authentication_2) ==
		       EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET,
	       "EFI_VARIABLE_AUTHENTICATION_2 fixed part");
_Static_assert(offsetof(struct efi_variable_authentication_2, auth_info.hdr.dw_length) == 16,
	       "dwLength");
_Static_assert(offsetof(struct efi_variable_authentication_2, auth_info.hdr.w_revision) == 20,
	       "wRevision");
_Static_assert(offsetof(struct efi_variable_authentication_2,
			auth_info.hdr.w_certificate_type) == 22,
	       "wCertificateType");
_Static_assert(offsetof(struct efi_variable_authentication_2, auth_info.cert_type) == 24,
	       "CertType");
_Static_assert(offsetof(struct efi_variable_authentication_2, auth_info.cert_data) ==
		       EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET,
	       "CertData");

/* EFI_SIGNATURE_LIST header (28 bytes), then SignatureHeaderSize bytes, then entries. */
struct efi_signature_list {
	efi_guid_t signature_type;
	uint32_t signature_list_size;   /* incl. this header */
	uint32_t signature_header_size;
	uint32_t signature_size;        /* each EFI_SIGNATURE_DATA, incl. its owner GUID */
} __attribute__((packed));
_Static_assert(sizeof(struct efi_signature_list) == 28, "EFI_SIGNATURE_LIST");
_Static_assert(offsetof(struct efi_signature_list, signature_type) == 0, "SignatureType");
_Static_assert(offsetof(struct efi_signature_list, signature_list_size) == 16, "ListSize");
_Static_assert(offsetof(struct efi_signature_list, signature_header_size) == 20, "HeaderSize");
_Static_assert(offsetof(struct efi_signature_list, signature_size) == 24, "SignatureSize");

/* EFI_SIGNATURE_DATA: owner GUID then the signature bytes. */
struct efi_signature_data {
	efi_guid_t signature_owner;
	uint8_t signature_data[];
};
_Static_assert(offsetof(struct efi_signature_data, signature_owner) == 0, "SignatureOwner");
_Static_assert(offsetof(struct efi_signature_data, signature_data) == 16, "SignatureData");
_Static_assert(sizeof(struct efi_signature_data) == 16, "EFI_SIGNATURE_DATA fixed part");

/*
 * The content of the certdb / certdbv variables (edk2 AuthServiceInternal.h, pack(1)):
 * a u32 CertDbListSize (the whole content, itself included), then one node per private
 * authenticated variable: this header, the name (NameSize CHAR16s, no NUL), then
 * CertDataSize bytes of signer identity.  CertNodeSize = header + name + identity.
 */
#define AUTH_CERT_DB_LIST_SIZE_BYTES 4u /* the leading CertDbListSize */
struct auth_cert_db_data {
	efi_guid_t vendor_guid;
	uint32_t cert_node_size;  /* this node, header included */
	uint32_t name_size;       /* in CHAR16s, without the NUL */
	uint32_t cert_data_size;  /* bytes of identity after the name */
};
_Static_assert(sizeof(struct auth_cert_db_data) == 28, "AUTH_CERT_DB_DATA");
_Static_assert(offsetof(struct auth_cert_db_data, vendor_guid) == 0, "VendorGuid");
_Static_assert(offsetof(struct auth_cert_db_data, cert_node_size) == 16, "CertNodeSize");
_Static_assert(offsetof(struct auth_cert_db_data, name_size) == 20, "NameSize");
_Static_assert(offsetof(struct auth_cert_db_data, cert_data_size) == 24, "CertDataSize");

/* Further signature types (ImageAuthentication.h). */
#define EFI_CERT_SHA1_GUID                                                                  \
	EFI_GUID_INIT(0x826ca512, 0xcf10, 0x4ac9, 0xb1, 0x87, 0xbe, 0x01, 0x49, 0x66, 0x31, 0xbd)
#define EFI_CERT_SHA224_GUID                                                                \
	EFI_GUID_INIT(0x0b6e5233, 0xa65c, 0x44c9, 0x94, 0x07, 0xd9, 0xab, 0x83, 0xbf, 0xc8, 0xbd)
#define EFI_CERT_SHA384_GUID                                                                \
	EFI_GUID_INIT(0xff3e5307, 0x9fd0, 0x48c9, 0x85, 0xf1, 0x8a, 0xd5, 0x6c, 0x70, 0x1e, 0x01)
#define EFI_CERT_SHA512_GUID                                                                \
	EFI_GUID_INIT(0x093e0fae, 0xa6c4, 0x4f50, 0x9f, 0x1b, 0xd4, 0x1e, 0x2b, 0x89, 0xc1, 0x9a)
#define EFI_CERT_RSA2048_GUID                                                               \
	EFI_GUID_INIT(0x3c5766e8, 0x269c, 0x4e34, 0xaa, 0x14, 0xed, 0x77, 0x6e, 0x85, 0xb3, 0xb6)
#define EFI_CERT_RSA2048_SHA256_GUID                                                        \
	EFI_GUID_INIT(0xe2b36190, 0x879b, 0x4a3d, 0xad, 0x8d, 0xf2, 0xe7, 0xbb, 0xa3, 0x27, 0x84)
#define EFI_CERT_RSA2048_SHA1_GUID                                                          \
	EFI_GUID_INIT(0x67f8444f, 0x8743, 0x48f1, 0xa3, 0x28, 0x1e, 0xaa, 0xb8, 0x73, 0x60, 0x80)
#define EFI_CERT_X509_SHA256_GUID                                                           \
	EFI_GUID_INIT(0x3bd2a492, 0x96c0, 0x4079, 0xb4, 0x20, 0xfc, 0xf9, 0x8e, 0xf1, 0x03, 0xed)
#define EFI_CERT_X509_SHA384_GUID                                                           \
	EFI_GUID_INIT(0x7076876e, 0x80c2, 0x4ee6, 0xaa, 0xd2, 0x28, 0xb3, 0x49, 0xa6, 0x86, 0x5b)
#define EFI_CERT_X509_SHA512_GUID                                                           \
	EFI_GUID_INIT(0x446dbf63, 0x2502, 0x4cda, 0xbc, 0xfa, 0x24, 0x65, 0xd2, 0xb0, 0xfe, 0x9d)

#endif
