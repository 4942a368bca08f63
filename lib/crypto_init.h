/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL start-up of the daemons that use it (rpmbd, stmmd).  By default libcrypto reads
 * the system's openssl.cnf on its first use; the emulated device and secure world get
 * nothing from it (OP-TEE has no OpenSSL at all) and a site config (a FIPS-only provider,
 * say) could only make them differ from a board.  So libcrypto starts without it: the
 * built-in default provider alone, as on a machine without openssl.cnf.  It also spares
 * each daemon parsing that file and the pages of its code (issue 16: start-up and RSS).
 */
#ifndef STMM_EMU_CRYPTO_INIT_H
#define STMM_EMU_CRYPTO_INIT_H

/* Before any other libcrypto call.  0 or -EIO. */
__attribute__((warn_unused_result)) int emu_crypto_init(void);

#endif
