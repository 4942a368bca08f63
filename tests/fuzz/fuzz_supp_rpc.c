/* SPDX-License-Identifier: MIT */
/*
 * fuzz_supp_rpc: one input = u16 LE response size ‖ an OPTEE_RPC_CMD_RPMB request
 * (struct rpmb_req, include/optee_rpmb.h: cmd, dev_id, block_count, then the frames) as
 * OP-TEE hands it to tee-supplicant, through supplicantd's relay rpmb_process_request
 * (supplicant/rpmb.c).  The relay talks to rpmbd over a Unix socket; here that peer is
 * rpmbd's own dispatch (rpmb_server_handle over the device of fuzz_rpmbdev.h) served by a
 * thread of this process on a socket in a private temporary directory.  Only one thread
 * works at a time: the relay waits for each reply.  Checked besides memory safety: the
 * relay answers with one of the TEEC results it documents (a hang would show as its 5 s
 * timeout, a libFuzzer timeout at 10 s).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bytes.h"
#include "fuzz_rpmbdev.h"
#include "ipc.h"
#include "pta_stmm.h"
#include "rpmb.h"
#include "server.h"

#define RSP_MAX 65535u

static struct rpmb_mmc *mmc;
static char *sock_dir, *sock_path;

static void remove_socket(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static void *serve(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		for (;;) {
			g_autoptr(emu_msg) msg = NULL;
			if (emu_ipc_recv(fd, -1, &msg) < 0 || !msg ||
			    rpmb_server_handle(fuzz_rpmbdev_get(), fd, msg, 1) < 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void start_server(void)
{
	static int lfd;
	pthread_t t;

	sock_dir = g_dir_make_tmp("fuzz_supp_rpc.XXXXXX", NULL);
	if (!sock_dir)
		abort();
	sock_path = g_build_filename(sock_dir, "rpmbd.sock", NULL);
	if (emu_ipc_listen(sock_path, &lfd) < 0 || pthread_create(&t, NULL, serve, &lfd) != 0)
		abort();
	pthread_detach(t);
	atexit(remove_socket); /* the thread is still in accept() then: left to the exit */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned inputs;
	static uint8_t rsp[RSP_MAX];

	fuzz_quiet();
	if (!sock_path)
		start_server();
	if (inputs++ % FUZZ_RESET_EVERY == 0) {
		rpmb_mmc_free(mmc);
		mmc = NULL;
		if (rpmb_mmc_new(sock_path, 5000, &mmc) < 0)
			abort();
	}
	if (size < 2)
		return 0;
	size_t rsp_size = get_le16(data);
	g_autofree uint8_t *req = g_malloc(size - 2); /* exact size; NULL when empty */
	if (size > 2)
		memcpy(req, data + 2, size - 2);
	uint32_t res = rpmb_process_request(mmc, req, size - 2, rsp, rsp_size);
	if (res != TEE_SUCCESS && res != TEE_ERROR_BAD_PARAMETERS && res != TEE_ERROR_GENERIC &&
	    res != TEE_ERROR_OUT_OF_MEMORY) {
		fprintf(stderr, "fuzz_supp_rpc: relay answered 0x%08x\n", res);
		abort();
	}
	return 0;
}
