/* SPDX-License-Identifier: MIT */
#include "tee_client.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pta_stmm.h"

int emu_teec_call(int fd, uint32_t *next_id, int timeout_ms, uint16_t type, const void *payload,
		  size_t len, int pass_fd, uint16_t want_type, struct emu_msg **ret_reply,
		  char **ret_error_text)
{
	struct iovec v = { .iov_base = (void *)payload, .iov_len = len };
	return emu_ipc_call(fd, next_id, timeout_ms, type, &v, len ? 1 : 0, pass_fd, want_type,
			    ret_reply, ret_error_text);
}

int emu_teec_connect(const char *path, int timeout_ms, struct emu_teec **ret_teec)
{
	int fd, r = emu_ipc_connect(path, &fd);
	if (r < 0)
		return r;
	struct emu_teec *t = g_new0(struct emu_teec, 1);
	t->fd = fd;
	t->timeout_ms = timeout_ms;
	t->next_id = 1;
	t->shm_fd = -1;
	*ret_teec = t;
	return 0;
}

static void shm_drop(struct emu_teec *t)
{
	if (t->shm)
		munmap(t->shm, t->shm_size);
	if (t->shm_fd >= 0)
		close(t->shm_fd);
	t->shm = NULL;
	t->shm_fd = -1;
	t->shm_size = 0;
	t->shm_registered = 0;
}

void emu_teec_free(struct emu_teec *t)
{
	if (!t)
		return;
	shm_drop(t);
	if (t->fd >= 0)
		close(t->fd);
	g_free(t);
}

static int result_reply(struct emu_msg *reply, struct emu_tee_result *ret_result)
{
	if (reply->hdr.length < sizeof(*ret_result))
		return -EPROTO;
	memcpy(ret_result, reply->payload, sizeof(*ret_result));
	return 0;
}

int emu_teec_open_session(struct emu_teec *t, const uint8_t uuid[16],
			  struct emu_tee_result *ret_result)
{
	struct emu_tee_open_session req;
	g_autoptr(emu_msg) reply = NULL;

	memcpy(req.uuid, uuid, sizeof(req.uuid));
	int r = emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_OPEN_SESSION_REQ, &req,
			      sizeof(req), -1, EMU_MSG_TEE_OPEN_SESSION_RSP, &reply, NULL);
	if (r < 0)
		return r;
	return result_reply(reply, ret_result);
}

int emu_teec_memfd_map(const char *name, size_t size, int *ret_fd, uint8_t **ret_map)
{
	int r, fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	*ret_map = map;
	return 0;
}

int emu_teec_shm_reserve(struct emu_teec *t, size_t size)
{
	size_t page = 4096, want;
	int r;

	if (t->shm_registered && t->shm_size >= size)
		return 0;
	want = (size + page - 1) / page * page;
	if (want < 4 * page)
		want = 4 * page;

	if (t->shm_registered) {
		/* Best effort: the TEE forgets it with the connection anyway. */
		g_autoptr(emu_msg) reply = NULL;
		uint32_t id = t->shm_id;
		r = emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_UNREGISTER_SHM_REQ,
				  &id, sizeof(id), -1, EMU_MSG_TEE_UNREGISTER_SHM_RSP, &reply, NULL);
		(void)r;
	}
	shm_drop(t);

	int fd;
	uint8_t *map;
	r = emu_teec_memfd_map("stmm-emu-shm", want, &fd, &map);
	if (r < 0)
		return r;
	t->shm_fd = fd;
	t->shm = map;
	t->shm_size = want;

	struct emu_tee_register_shm req = { .size = want };
	struct emu_tee_result res;
	g_autoptr(emu_msg) reply = NULL;
	r = emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_REGISTER_SHM_REQ, &req,
			  sizeof(req), fd, EMU_MSG_TEE_REGISTER_SHM_RSP, &reply, NULL);
	if (r >= 0)
		r = result_reply(reply, &res);
	if (r >= 0 && res.ret != TEE_SUCCESS)
		r = -EIO;
	if (r < 0) {
		shm_drop(t);
		return r;
	}
	t->shm_id = res.id;
	t->shm_registered = 1;
	return 0;
}

int emu_teec_invoke(struct emu_teec *t, const struct emu_tee_invoke *req,
		    struct emu_tee_invoke_rsp *ret_rsp)
{
	g_autoptr(emu_msg) reply = NULL;
	int r = emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_INVOKE_REQ, req,
			      sizeof(*req), -1, EMU_MSG_TEE_INVOKE_RSP, &reply, NULL);
	if (r < 0)
		return r;
	if (reply->hdr.length < sizeof(*ret_rsp))
		return -EPROTO;
	memcpy(ret_rsp, reply->payload, sizeof(*ret_rsp));
	return 0;
}
