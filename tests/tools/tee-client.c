/* SPDX-License-Identifier: MIT */
/*
 * tee-client: a TEE client written against <linux/tee.h> only, as a program using the raw
 * ioctls (or libteec) does on a board: open /dev/tee0, TEE_IOC_VERSION, TEE_IOC_SHM_ALLOC
 * + mmap, TEE_IOC_OPEN_SESSION to PTA_STMM, TEE_IOC_INVOKE of PTA_STMM_CMD_COMMUNICATE with
 * an MM GetVariable / SetVariable in the shared memory.  Run under libtee-shim.so
 * (README "Transports"); nothing here knows about stmm-emu's sockets.
 *
 *   tee-client [--dev PATH] get GUID NAME        prints "status 0x.. size N data HEX"
 *   tee-client [--dev PATH] set GUID NAME HEX    NV|BS|RT; prints "status 0x.."
 *   tee-client [--dev PATH] checks               the driver's error paths, "ok - ..." each
 *
 * Exit status: 0 done (an EFI error is printed, not an exit status), 1 a check failed or
 * the TEE refused, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "efi_util.h"
#include "mm.h"
#include "pta_stmm.h"

#define SHM_SIZE (32u * 1024u)
static const uint8_t stmm_uuid[16] = PTA_STMM_UUID_BYTES;
static const char *dev_path = "/dev/tee0";
static int failures;

struct shm {
	int id;
	uint8_t *map;
	uint64_t size;
};

static void check(int cond, const char *what)
{
	if (cond) {
		printf("ok - %s\n", what);
	} else {
		printf("FAIL - %s\n", what);
		failures++;
	}
}

static int open_dev(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tee-client: open %s: %s\n", dev_path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int shm_alloc(int fd, uint64_t size, struct shm *ret)
{
	struct tee_ioctl_shm_alloc_data data = { .size = size };
	int sfd = ioctl(fd, TEE_IOC_SHM_ALLOC, &data);
	if (sfd < 0)
		return -errno;
	void *map = mmap(NULL, data.size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	close(sfd); /* as libteec: the mapping keeps the shm */
	if (map == MAP_FAILED)
		return -errno;
	*ret = (struct shm){ .id = data.id, .map = map, .size = data.size };
	return 0;
}

/* OPEN_SESSION with num_params params (all NONE); -errno of the ioctl, else 0 and ret/origin. */
static int open_session(int fd, const uint8_t uuid[16], uint32_t login, size_t buf_extra,
			uint32_t *ret_session, uint32_t *ret, uint32_t *origin)
{
	union {
		struct tee_ioctl_open_session_arg arg;
		uint8_t raw[sizeof(struct tee_ioctl_open_session_arg) + 4 * sizeof(struct tee_ioctl_param)];
	} u;
	memset(&u, 0, sizeof(u));
	memcpy(u.arg.uuid, uuid, 16);
	u.arg.clnt_login = login;
	u.arg.num_params = 4;
	struct tee_ioctl_buf_data buf = { .buf_ptr = (uintptr_t)&u,
					  .buf_len = sizeof(u) + buf_extra };
	if (ioctl(fd, TEE_IOC_OPEN_SESSION, &buf) < 0)
		return -errno;
	*ret_session = u.arg.session;
	*ret = u.arg.ret;
	*origin = u.arg.ret_origin;
	return 0;
}

struct invoke {
	union {
		struct tee_ioctl_invoke_arg arg;
		uint8_t raw[sizeof(struct tee_ioctl_invoke_arg) + 4 * sizeof(struct tee_ioctl_param)];
	} u;
};

/* PTA_STMM_CMD_COMMUNICATE (or `func`) on [off, off+len) of shm id. */
static int invoke(int fd, uint32_t session, uint32_t func, uint64_t shm_id, uint64_t off,
		  uint64_t len, struct invoke *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->u.arg.func = func;
	inv->u.arg.session = session;
	inv->u.arg.num_params = 4;
	inv->u.arg.params[0] = (struct tee_ioctl_param){
		.attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT, .a = off, .b = len, .c = shm_id };
	inv->u.arg.params[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
	struct tee_ioctl_buf_data buf = { .buf_ptr = (uintptr_t)&inv->u, .buf_len = sizeof(inv->u) };
	return ioctl(fd, TEE_IOC_INVOKE, &buf) < 0 ? -errno : 0;
}

static int open_stmm(int fd, uint32_t *ret_session)
{
	uint32_t ret, origin;
	int r = open_session(fd, stmm_uuid, TEE_IOCTL_LOGIN_PUBLIC, 0, ret_session, &ret, &origin);
	if (r < 0 || ret != 0) {
		fprintf(stderr, "tee-client: OPEN_SESSION PTA_STMM: %s ret 0x%08x origin %u\n",
			r < 0 ? strerror(-r) : "ioctl ok", r < 0 ? 0 : ret, r < 0 ? 0 : origin);
		exit(1);
	}
	return 0;
}

/* Build an MM variable access in shm; returns the buffer's length. */
static size_t build_access(struct shm *s, uint64_t function, const efi_guid_t *guid,
			   const uint8_t *name, size_t name_size, uint32_t attrs,
			   const uint8_t *data, size_t data_size, size_t room)
{
	struct mm_communicate_header *h = (void *)s->map;
	struct smm_variable_communicate_header *v = (void *)h->data;
	uint8_t *acc = v->data;
	size_t msg = SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + SMM_VARIABLE_ACCESS_NAME_OFFSET +
		     name_size + (data ? data_size : room);
	efi_guid_t hg = SMM_VARIABLE_GUID;
	uint64_t ds = data ? data_size : room;

	memset(s->map, 0, MM_COMMUNICATE_HEADER_SIZE + msg);
	h->header_guid = hg;
	h->message_length = msg;
	v->function = function;
	memcpy(acc, guid, 16);
	memcpy(acc + 16, &ds, 8);
	uint64_t ns = name_size;
	memcpy(acc + 24, &ns, 8);
	memcpy(acc + 32, &attrs, 4);
	memcpy(acc + SMM_VARIABLE_ACCESS_NAME_OFFSET, name, name_size);
	if (data)
		memcpy(acc + SMM_VARIABLE_ACCESS_NAME_OFFSET + name_size, data, data_size);
	return MM_COMMUNICATE_HEADER_SIZE + msg;
}

static int cmd_var(int argc, char **argv, bool set)
{
	efi_guid_t guid;
	uint8_t *name = NULL;
	size_t name_size = 0;
	g_autofree uint8_t *data = NULL;
	size_t data_len = 0;

	if (argc != (set ? 4 : 3) || efi_guid_parse(argv[1], &guid) < 0 ||
	    ucs2_from_utf8(argv[2], &name, &name_size) < 0)
		return 2;
	if (set) {
		size_t n = strlen(argv[3]);
		data_len = n / 2;
		data = g_malloc0(data_len + 1);
		for (size_t i = 0; i < data_len; i++)
			if (sscanf(argv[3] + 2 * i, "%2hhx", &data[i]) != 1)
				return 2;
	}
	int fd = open_dev();
	struct tee_ioctl_version_data ver;
	if (ioctl(fd, TEE_IOC_VERSION, &ver) < 0 || ver.impl_id != TEE_IMPL_ID_OPTEE ||
	    !(ver.gen_caps & TEE_GEN_CAP_GP)) {
		fprintf(stderr, "tee-client: %s is not an OP-TEE GP device\n", dev_path);
		return 1;
	}
	struct shm s;
	int r = shm_alloc(fd, SHM_SIZE, &s);
	if (r < 0) {
		fprintf(stderr, "tee-client: SHM_ALLOC: %s\n", strerror(-r));
		return 1;
	}
	uint32_t session;
	open_stmm(fd, &session);
	size_t room = 4096;
	size_t len = build_access(&s, set ? SMM_VARIABLE_FUNCTION_SET_VARIABLE :
					    SMM_VARIABLE_FUNCTION_GET_VARIABLE,
				  &guid, name, name_size,
				  set ? EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
						EFI_VARIABLE_RUNTIME_ACCESS : 0,
				  data, data_len, room);
	g_free(name);
	struct invoke inv;
	r = invoke(fd, session, PTA_STMM_CMD_COMMUNICATE, (uint64_t)s.id, 0, len, &inv);
	if (r < 0 || inv.u.arg.ret != 0) {
		fprintf(stderr, "tee-client: INVOKE: %s ret 0x%08x origin %u\n",
			r < 0 ? strerror(-r) : "ioctl ok", inv.u.arg.ret, inv.u.arg.ret_origin);
		return 1;
	}
	struct smm_variable_communicate_header *v = (void *)(s.map + MM_COMMUNICATE_HEADER_SIZE);
	uint64_t ds;
	memcpy(&ds, v->data + 16, 8);
	printf("status 0x%llx mm 0x%llx", (unsigned long long)v->return_status,
	       (unsigned long long)inv.u.arg.params[1].a);
	if (!set && v->return_status == 0) {
		uint64_t ns;
		memcpy(&ns, v->data + 24, 8);
		printf(" size %llu data ", (unsigned long long)ds);
		for (uint64_t i = 0; i < ds && i < room; i++)
			printf("%02x", v->data[SMM_VARIABLE_ACCESS_NAME_OFFSET + ns + i]);
	}
	printf("\n");
	struct tee_ioctl_close_session_arg cs = { .session = session };
	if (ioctl(fd, TEE_IOC_CLOSE_SESSION, &cs) < 0)
		return 1;
	close(fd);
	return 0;
}

static int cmd_checks(void)
{
	int fd = open_dev();
	struct tee_ioctl_version_data ver;
	uint32_t session, ret, origin, s2;
	struct invoke inv;
	struct shm s, other;

	check(ioctl(fd, TEE_IOC_VERSION, &ver) == 0 && ver.impl_id == TEE_IMPL_ID_OPTEE &&
		      (ver.gen_caps & TEE_GEN_CAP_GP) && !(ver.gen_caps & TEE_GEN_CAP_REG_MEM) &&
		      !(ver.gen_caps & TEE_GEN_CAP_PRIVILEGED),
	      "VERSION: OP-TEE, GP, no REG_MEM, not privileged");
	struct tee_ioctl_shm_alloc_data bad = { .size = 4096, .flags = 1 };
	check(ioctl(fd, TEE_IOC_SHM_ALLOC, &bad) < 0 && errno == EINVAL, "SHM_ALLOC flags 1: EINVAL");
	check(shm_alloc(fd, 5000, &s) == 0 && s.size == 8192, "SHM_ALLOC 5000: a page-rounded 8192");
	check(shm_alloc(fd, SHM_SIZE, &s) == 0, "SHM_ALLOC 32 KiB + mmap");
	struct tee_ioctl_shm_register_data reg = { .addr = (uintptr_t)s.map, .length = 4096 };
	check(ioctl(fd, TEE_IOC_SHM_REGISTER, &reg) < 0 && errno == EINVAL,
	      "SHM_REGISTER without REG_MEM: EINVAL");
	check(open_session(fd, stmm_uuid, 0, 8, &session, &ret, &origin) == -EINVAL,
	      "OPEN_SESSION buf_len != arg + 32 x num_params: EINVAL");
	check(open_session(fd, stmm_uuid, TEE_IOCTL_LOGIN_REE_KERNEL, 0, &session, &ret, &origin) ==
		      -EPERM,
	      "OPEN_SESSION with the REE_KERNEL login from user space: EPERM");
	uint8_t nouuid[16] = { 1, 2, 3 };
	check(open_session(fd, nouuid, 0, 0, &session, &ret, &origin) == 0 &&
		      ret == TEE_ERROR_ITEM_NOT_FOUND && origin == TEE_ORIGIN_TEE,
	      "OPEN_SESSION unknown UUID: ioctl 0, ret ITEM_NOT_FOUND, origin TEE");
	check(open_session(fd, stmm_uuid, 0, 0, &session, &ret, &origin) == 0 && ret == 0 && session,
	      "OPEN_SESSION PTA_STMM");
	check(invoke(fd, session, PTA_STMM_CMD_COMMUNICATE, 999999, 0, 64, &inv) == -EINVAL,
	      "INVOKE memref naming no shm of this fd: EINVAL");
	check(invoke(fd, session, PTA_STMM_CMD_COMMUNICATE, (uint64_t)s.id, s.size - 8, 64, &inv) ==
		      -EINVAL,
	      "INVOKE memref past its shm: EINVAL");
	int fd2 = open_dev();
	check(shm_alloc(fd2, 4096, &other) == 0 &&
		      invoke(fd, session, PTA_STMM_CMD_COMMUNICATE, (uint64_t)other.id, 0, 64, &inv) ==
			      -EINVAL,
	      "INVOKE memref to another descriptor's shm: EINVAL");
	close(fd2);
	check(invoke(fd, session, 7, (uint64_t)s.id, 0, 64, &inv) == 0 &&
		      inv.u.arg.ret == TEE_ERROR_BAD_PARAMETERS &&
		      inv.u.arg.ret_origin == TEE_ORIGIN_TRUSTED_APP,
	      "INVOKE unknown command: ret BAD_PARAMETERS, origin TRUSTED_APP");
	check(invoke(fd, session, PTA_STMM_CMD_COMMUNICATE, (uint64_t)s.id, 0, 20000, &inv) == 0 &&
		      inv.u.arg.ret == TEE_ERROR_EXCESS_DATA &&
		      inv.u.arg.params[0].b == PTA_STMM_NS_COMM_BUF_SIZE,
	      "INVOKE 20000 bytes: EXCESS_DATA, memref size rewritten to 16384");
	check(invoke(fd, session + 1000, PTA_STMM_CMD_COMMUNICATE, (uint64_t)s.id, 0, 64, &inv) == 0 &&
		      inv.u.arg.ret == TEE_ERROR_BAD_PARAMETERS && inv.u.arg.ret_origin == TEE_ORIGIN_COMMS,
	      "INVOKE unknown session: ret BAD_PARAMETERS, origin COMMS");
	struct tee_ioctl_cancel_arg cancel = { .cancel_id = 1, .session = session };
	check(ioctl(fd, TEE_IOC_CANCEL, &cancel) == 0, "CANCEL: 0");
	uint8_t rbuf[sizeof(struct tee_iocl_supp_recv_arg) + sizeof(struct tee_ioctl_param)] = { 0 };
	struct tee_ioctl_buf_data rb = { .buf_ptr = (uintptr_t)rbuf, .buf_len = sizeof(rbuf) };
	((struct tee_iocl_supp_recv_arg *)rbuf)->num_params = 1;
	check(ioctl(fd, TEE_IOC_SUPPL_RECV, &rb) < 0 && errno == EINVAL,
	      "SUPPL_RECV on /dev/tee0: EINVAL");
	check(ioctl(fd, _IO(TEE_IOC_MAGIC, 0x7f), &rb) < 0 && errno == EINVAL,
	      "unknown ioctl: EINVAL");
	struct tee_ioctl_close_session_arg cs = { .session = session };
	check(ioctl(fd, TEE_IOC_CLOSE_SESSION, &cs) == 0, "CLOSE_SESSION");
	check(ioctl(fd, TEE_IOC_CLOSE_SESSION, &cs) < 0 && errno == EINVAL,
	      "CLOSE_SESSION again: EINVAL");
	(void)s2;
	close(fd);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--dev") == 0) {
		dev_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 2 && strcmp(argv[1], "get") == 0)
		return cmd_var(argc - 1, argv + 1, false);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return cmd_var(argc - 1, argv + 1, true);
	if (argc == 2 && strcmp(argv[1], "checks") == 0)
		return cmd_checks();
	fprintf(stderr, "usage: tee-client [--dev PATH] get GUID NAME | set GUID NAME HEX | checks\n");
	return 2;
}
