/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL start-up of the programs that use it.  By default libcrypto reads the system's
 * openssl.cnf on its first use; the emulated device and secure world get nothing from it
 * (OP-TEE has no OpenSSL at all) and a site config (a FIPS-only provider, say) could only
 * make them differ from a board.  So libcrypto starts without it: the built-in default
 * provider alone, as on a machine without openssl.cnf.
 *
 * A daemon also fetches the algorithms it uses before it reports ready: OpenSSL's first
 * fetch (activating the provider, building its name map and method store) costs 1-3 ms,
 * which otherwise lands on the first RPMB request -- stmmd's, then rpmbd's, one after the
 * other -- instead of overlapping with the other daemons' start (issue 16: start-up).
 */
#ifndef STMM_EMU_CRYPTO_INIT_H
#define STMM_EMU_CRYPTO_INIT_H

/* What to fetch ahead (a daemon's needs); 0 for none (the CLI). */
#define EMU_CRYPTO_HMAC_SHA256 0x1u /* RPMB frame MACs (rpmbd, stmmd's RPMB client) */
/* OP-TEE's secure-storage ciphers: optee_fs_crypto_fetch() (stmmd), which keeps them. */

/* Before any other libcrypto call.  0, or -EIO when OpenSSL fails to start or to fetch. */
__attribute__((warn_unused_result)) int emu_crypto_init(unsigned warm);

#endif
