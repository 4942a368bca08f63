/* SPDX-License-Identifier: MIT */
/*
 * Golden bytes of every MM communicate request the client builds, written out from the
 * struct layouts in include/mm.h and the Linux tee_stmm_efi / U-Boot efi_variable_tee.c
 * behaviour (shared/research/mm-variable-protocol.md §1-§2): zeroed buffer,
 * HeaderGuid = SMM_VARIABLE_GUID, MessageLength = 16 + payload, GET/SET payload
 * 40 + name + data (name at 36, data at 36 + NameSize, 4 spare zero bytes at the end),
 * GET_NEXT 24 + name buffer, QUERY 32, GET_PAYLOAD_SIZE 8.  Then the size budgets and
 * the status mapping, and the client against a fake TEE on a real socket.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "client.h"
#include "efi_util.h"
#include "ipc.h"
#include "mm.h"
#include "mmvar.h"
#include "pta_stmm.h"

/* EFI_MM_COMMUNICATE_HEADER.HeaderGuid: ed32d533-99e6-4209-9cc0-2d72cdd998a7, EFI layout. */
#define HDR_GUID 0x33, 0xd5, 0x32, 0xed, 0xe6, 0x99, 0x09, 0x42, \
		 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7
/* gEfiGlobalVariableGuid 8be4df61-93ca-11d2-aa0d-00e098032b8c, EFI layout. */
#define GLOBAL_GUID 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, \
		    0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c
#define U64(v) (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24), \
	       0, 0, 0, 0
#define ZERO8 0, 0, 0, 0, 0, 0, 0, 0

/* The budget of OP-TEE's RPMB StMM build: 10228 answered, 10226 after the quirk. */
#define MAX_PAYLOAD 10226u

static const uint8_t name_foo[] = { 'F', 0, 'o', 0, 'o', 0, 0, 0 };

static void check_golden(const struct mmvar_req *req, uint64_t max_payload, const uint8_t *want,
			 size_t want_size)
{
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;

	assert_int_equal(mmvar_build(req, max_payload, &buf, &l), 0);
	assert_int_equal(l.buf_size, want_size);
	assert_memory_equal(buf, want, want_size);
}

static void build_get_payload_size_golden(void **state)
{
	(void)state;
	static const uint8_t want[] = {
		HDR_GUID,               /*  0 HeaderGuid */
		U64(24),                /* 16 MessageLength = 16 + 8 */
		U64(0x0b),              /* 24 Function = GET_PAYLOAD_SIZE */
		ZERO8,                  /* 32 ReturnStatus */
		ZERO8,                  /* 40 VariablePayloadSize (out) */
	};
	struct mmvar_req req = { .function = SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE };
	check_golden(&req, 0, want, sizeof(want));
	assert_int_equal(sizeof(want), 48);
}

static void build_get_variable_foo_global_golden(void **state)
{
	(void)state;
	static const uint8_t want[] = {
		HDR_GUID,               /*  0 HeaderGuid */
		U64(80),                /* 16 MessageLength = 16 + 40 + 8 + 16 */
		U64(0x01),              /* 24 Function = GET_VARIABLE */
		ZERO8,                  /* 32 ReturnStatus */
		GLOBAL_GUID,            /* 40 Guid */
		U64(16),                /* 56 DataSize = caller's buffer (fits the budget) */
		U64(8),                 /* 64 NameSize = L"Foo" + NUL */
		0, 0, 0, 0,             /* 72 Attributes = 0 */
		'F', 0, 'o', 0, 'o', 0, 0, 0, /* 76 Name */
		ZERO8, ZERO8,           /* 84 data area, 16 bytes */
		0, 0, 0, 0,             /* 100 the 4 bytes sizeof(40) reserves beyond OFFSET_OF(36) */
	};
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_VARIABLE,
		.guid = EFI_GLOBAL_VARIABLE_GUID,
		.name = name_foo,
		.name_size = sizeof(name_foo),
		.data_size = 16,
	};
	check_golden(&req, MAX_PAYLOAD, want, sizeof(want));
	assert_int_equal(sizeof(want), 104);
}

static void build_set_variable_golden(void **state)
{
	(void)state;
	static const uint8_t want[] = {
		HDR_GUID,               /*  0 HeaderGuid */
		U64(67),                /* 16 MessageLength = 16 + 40 + 8 + 3 */
		U64(0x03),              /* 24 Function = SET_VARIABLE */
		ZERO8,                  /* 32 ReturnStatus */
		GLOBAL_GUID,            /* 40 Guid */
		U64(3),                 /* 56 DataSize */
		U64(8),                 /* 64 NameSize */
		0x07, 0, 0, 0,          /* 72 Attributes = NV|BS|RT */
		'F', 0, 'o', 0, 'o', 0, 0, 0, /* 76 Name */
		'b', 'a', 'r',          /* 84 Data, right after the name (unaligned) */
		0, 0, 0, 0,             /* 87 spare */
	};
	static const uint8_t data[] = { 'b', 'a', 'r' };
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_SET_VARIABLE,
		.guid = EFI_GLOBAL_VARIABLE_GUID,
		.name = name_foo,
		.name_size = sizeof(name_foo),
		.data = data,
		.data_size = sizeof(data),
		.attributes = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			      EFI_VARIABLE_RUNTIME_ACCESS,
	};
	check_golden(&req, MAX_PAYLOAD, want, sizeof(want));
	assert_int_equal(sizeof(want), 91);
}

static void build_get_next_from_empty_golden(void **state)
{
	(void)state;
	static const uint8_t want[] = {
		HDR_GUID,               /*  0 HeaderGuid */
		U64(56),                /* 16 MessageLength = 16 + 24 + 16 */
		U64(0x02),              /* 24 Function = GET_NEXT_VARIABLE_NAME */
		ZERO8,                  /* 32 ReturnStatus */
		ZERO8, ZERO8,           /* 40 Guid (ignored for L"") */
		U64(16),                /* 56 NameSize = the caller's buffer */
		0, 0,                   /* 64 Name = L"" */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 66 unused tail, zeroed */
	};
	uint8_t name[16] = { 0 };
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
		.name = name,
		.name_size = sizeof(name),
		.name_buf_size = sizeof(name),
	};
	check_golden(&req, MAX_PAYLOAD, want, sizeof(want));
	assert_int_equal(sizeof(want), 80);
}

/* Linux efivarfs walks with a 1024-byte name buffer; a stale tail must not leak. */
static void build_get_next_linux_buffer_zeroes_tail(void **state)
{
	(void)state;
	static const uint8_t head[] = {
		HDR_GUID, U64(16 + 24 + 1024), U64(0x02), ZERO8,
		GLOBAL_GUID,            /* 40 Guid of the previous variable */
		U64(1024),              /* 56 NameSize */
		'F', 0, 'o', 0, 'o', 0, 0, 0, /* 64 previous name */
	};
	uint8_t name[MMVAR_LINUX_NAME_BUF_SIZE];
	memset(name, 0xaa, sizeof(name));
	memcpy(name, name_foo, sizeof(name_foo));
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
		.guid = EFI_GLOBAL_VARIABLE_GUID,
		.name = name,
		.name_size = sizeof(name),
		.name_buf_size = sizeof(name),
	};
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), 0);
	assert_int_equal(l.buf_size, 24 + 16 + 24 + 1024);
	assert_memory_equal(buf, head, sizeof(head));
	for (size_t i = sizeof(head); i < l.buf_size; i++)
		assert_int_equal(buf[i], 0);
}

static void build_query_variable_info_golden(void **state)
{
	(void)state;
	static const uint8_t want[] = {
		HDR_GUID,               /*  0 HeaderGuid */
		U64(48),                /* 16 MessageLength = 16 + 32 */
		U64(0x04),              /* 24 Function = QUERY_VARIABLE_INFO */
		ZERO8,                  /* 32 ReturnStatus */
		ZERO8,                  /* 40 MaximumVariableStorageSize (out) */
		ZERO8,                  /* 48 RemainingVariableStorageSize (out) */
		ZERO8,                  /* 56 MaximumVariableSize (out) */
		0x07, 0, 0, 0,          /* 64 Attributes = NV|BS|RT */
		0, 0, 0, 0,             /* 68 tail padding */
	};
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO,
		.attributes = 7,
	};
	check_golden(&req, MAX_PAYLOAD, want, sizeof(want));
	assert_int_equal(sizeof(want), 72);
}

/* SET: 40 + name + data > max payload is refused before anything is sent. */
static void build_set_variable_over_budget_refused(void **state)
{
	(void)state;
	uint64_t room = MAX_PAYLOAD - 40 - sizeof(name_foo); /* 10178 */
	g_autofree uint8_t *data = g_malloc0(room + 1);
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_SET_VARIABLE,
		.guid = EFI_GLOBAL_VARIABLE_GUID,
		.name = name_foo,
		.name_size = sizeof(name_foo),
		.data = data,
		.data_size = room,
		.attributes = 7,
	};
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), 0);
	assert_int_equal(l.payload_size, MAX_PAYLOAD);
	assert_int_equal(l.buf_size, 24 + 16 + MAX_PAYLOAD);
	g_clear_pointer(&buf, g_free);

	req.data_size = room + 1;
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), -E2BIG);
	assert_null(buf);
	assert_int_equal(mmvar_errno_to_efi(-E2BIG), EFI_INVALID_PARAMETER);

	req.data_size = UINT64_MAX; /* SCT "too large variable" */
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), -E2BIG);
}

/* GET: the requested DataSize is trimmed to max - 40 - name. */
static void build_get_variable_trims_data_size(void **state)
{
	(void)state;
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_VARIABLE,
		.guid = EFI_GLOBAL_VARIABLE_GUID,
		.name = name_foo,
		.name_size = sizeof(name_foo),
		.data_size = 1u << 20,
	};
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), 0);
	assert_int_equal(l.data_size, MAX_PAYLOAD - 40 - 8);
	assert_int_equal(get_le64(buf + 56), MAX_PAYLOAD - 40 - 8);
	assert_int_equal(l.buf_size, 24 + 16 + MAX_PAYLOAD);
	assert_int_equal(get_le64(buf + 16), 16 + MAX_PAYLOAD);
}

/* A name alone larger than the budget is refused (GET and GET_NEXT). */
static void build_name_over_budget_refused(void **state)
{
	(void)state;
	g_autofree uint8_t *name = g_malloc0(200);
	for (size_t i = 0; i < 99; i++)
		name[2 * i] = 'A';
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_VARIABLE,
		.name = name,
		.name_size = 200,
		.data_size = 0,
	};
	assert_int_equal(mmvar_build(&req, 72 - 2 + 100, &buf, &l), -E2BIG);
	req.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME;
	req.name_buf_size = 200;
	assert_int_equal(mmvar_build(&req, 24 + 198, &buf, &l), -E2BIG);
	assert_int_equal(mmvar_build(&req, 24 + 200, &buf, &l), 0);
}

/* GET_NEXT: the name buffer is trimmed to max - 24; its unused tail is zero. */
static void build_get_next_trims_name_buffer(void **state)
{
	(void)state;
	g_autofree uint8_t *name = g_malloc(1u << 20);
	memset(name, 0x55, 1u << 20);
	memcpy(name, name_foo, sizeof(name_foo));
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
		.name = name,
		.name_size = 1u << 20,
		.name_buf_size = 1u << 20,
	};
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), 0);
	assert_int_equal(l.name_buf_size, MAX_PAYLOAD - 24);
	assert_int_equal(get_le64(buf + 56), MAX_PAYLOAD - 24);
	assert_int_equal(l.buf_size, 24 + 16 + MAX_PAYLOAD);
	assert_memory_equal(buf + 64, name_foo, sizeof(name_foo));
	for (size_t i = 64 + sizeof(name_foo); i < l.buf_size; i++)
		assert_int_equal(buf[i], 0);
}

static void build_rejects_malformed_names(void **state)
{
	(void)state;
	static const uint8_t no_nul[] = { 'F', 0, 'o', 0 };
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_SET_VARIABLE,
		.name = no_nul,
		.name_size = sizeof(no_nul),
	};
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), -EINVAL);
	/* GET_NEXT: a buffer smaller than the name it holds. */
	req.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME;
	req.name = name_foo;
	req.name_size = sizeof(name_foo);
	req.name_buf_size = 6;
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), -EINVAL);
	req.function = 0x77;
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), -EINVAL);
}

static void max_payload_quirk_and_minimum(void **state)
{
	(void)state;
	uint64_t m = 0;
	assert_int_equal(mmvar_max_payload(10228, &m), 0);
	assert_int_equal(m, 10226);
	assert_int_equal(mmvar_max_payload(72, &m), 0);
	assert_int_equal(m, 70);
	m = 1;
	assert_int_equal(mmvar_max_payload(71, &m), -EPROTO);
	assert_int_equal(m, 1);
	assert_int_equal(mmvar_max_payload(0, &m), -EPROTO);
}

static void mm_code_mapping_as_linux(void **state)
{
	(void)state;
	assert_int_equal(mmvar_mm_code_to_efi(0), EFI_SUCCESS);
	assert_int_equal(mmvar_mm_code_to_efi((uint64_t)-2), EFI_INVALID_PARAMETER);
	assert_int_equal(mmvar_mm_code_to_efi(0xfffffffeu), EFI_INVALID_PARAMETER);
	assert_int_equal(mmvar_mm_code_to_efi((uint64_t)-3), EFI_ACCESS_DENIED);
	assert_int_equal(mmvar_mm_code_to_efi((uint64_t)-5), EFI_OUT_OF_RESOURCES);
	assert_int_equal(mmvar_mm_code_to_efi((uint64_t)-1), EFI_ACCESS_DENIED);
	assert_int_equal(mmvar_mm_code_to_efi((uint64_t)-4), EFI_ACCESS_DENIED);
	assert_int_equal(mmvar_mm_code_to_efi(0x100000000ull), EFI_ACCESS_DENIED);
}

static void parse_get_variable_answer(void **state)
{
	(void)state;
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_reply rep;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_VARIABLE,
		.guid = EFI_GLOBAL_VARIABLE_GUID,
		.name = name_foo,
		.name_size = sizeof(name_foo),
		.data_size = 16,
	};
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), 0);
	/* What StMM writes back: DataSize 3, Attributes 7, data after the name. */
	put_le64(buf + 56, 3);
	put_le32(buf + 72, 7);
	memcpy(buf + 84, "bar", 3);
	assert_int_equal(mmvar_parse(&req, &l, buf, l.buf_size, &rep), 0);
	assert_int_equal(rep.return_status, EFI_SUCCESS);
	assert_int_equal(rep.data_size, 3);
	assert_int_equal(rep.attributes, 7);
	assert_memory_equal(rep.data, "bar", 3);

	/* BUFFER_TOO_SMALL: the needed size comes back, no data. */
	put_le64(buf + 32, EFI_BUFFER_TOO_SMALL);
	put_le64(buf + 56, 5000);
	assert_int_equal(mmvar_parse(&req, &l, buf, l.buf_size, &rep), 0);
	assert_int_equal(rep.return_status, EFI_BUFFER_TOO_SMALL);
	assert_int_equal(rep.data_size, 5000);
	assert_null(rep.data);

	/* A hostile size on success must not point outside the buffer. */
	put_le64(buf + 32, EFI_SUCCESS);
	assert_int_equal(mmvar_parse(&req, &l, buf, l.buf_size, &rep), -EBADMSG);
	put_le64(buf + 56, 3);
	put_le64(buf + 64, UINT64_MAX - 1);
	assert_int_equal(mmvar_parse(&req, &l, buf, l.buf_size, &rep), -EBADMSG);
}

static void parse_get_next_answer(void **state)
{
	(void)state;
	uint8_t name[16] = { 0 };
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;
	struct mmvar_reply rep;
	struct mmvar_req req = {
		.function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
		.name = name,
		.name_size = sizeof(name),
		.name_buf_size = sizeof(name),
	};
	static const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	assert_int_equal(mmvar_build(&req, MAX_PAYLOAD, &buf, &l), 0);
	memcpy(buf + 40, g.b, 16);
	put_le64(buf + 56, 8);
	memcpy(buf + 64, name_foo, 8);
	assert_int_equal(mmvar_parse(&req, &l, buf, l.buf_size, &rep), 0);
	assert_int_equal(rep.name_size, 8);
	assert_memory_equal(rep.name, name_foo, 8);
	assert_memory_equal(rep.guid.b, g.b, 16);
	put_le64(buf + 56, 18); /* larger than the buffer offered */
	assert_int_equal(mmvar_parse(&req, &l, buf, l.buf_size, &rep), -EBADMSG);
}

/* ---- the client against a fake TEE ------------------------------------------------- */

struct fake_tee {
	char *dir;
	char *path;
	int listen_fd;
	pthread_t thread;
	/* behaviour */
	uint64_t payload_size;   /* GET_PAYLOAD_SIZE answer */
	uint32_t tee_ret;        /* returned for variable calls */
	uint64_t mm_code;        /* value[1].a for variable calls */
	uint64_t return_status;  /* ReturnStatus for variable calls */
	/* observations */
	int invokes;
	uint64_t last_memref_size;
	uint32_t last_param_types;
	uint8_t last_request[128];
	uint64_t get_memref_size;   /* of the last GET_VARIABLE */
	uint8_t get_request[128];
	int property_gets;          /* VAR_CHECK_VARIABLE_PROPERTY_GET calls */
	bool read_only;             /* answer them with VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY */
	uint64_t last_function;
};

static void *fake_tee_main(void *arg)
{
	struct fake_tee *f = arg;
	int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	uint8_t *shm = NULL;
	size_t shm_size = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		g_autoptr(emu_msg) m = NULL;
		if (emu_ipc_recv(fd, 5000, &m) < 0)
			break;
		struct emu_tee_result res = { .ret = TEE_SUCCESS };
		switch (m->hdr.type) {
		case EMU_MSG_TEE_OPEN_SESSION_REQ:
			res.id = 42;
			(void)!emu_ipc_send(fd, EMU_MSG_TEE_OPEN_SESSION_RSP, m->hdr.req_id, &res,
					    sizeof(res));
			break;
		case EMU_MSG_TEE_REGISTER_SHM_REQ: {
			struct emu_tee_register_shm r;
			memcpy(&r, m->payload, sizeof(r));
			if (shm)
				munmap(shm, shm_size);
			shm_size = r.size;
			shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
			res.id = 7;
			(void)!emu_ipc_send(fd, EMU_MSG_TEE_REGISTER_SHM_RSP, m->hdr.req_id, &res,
					    sizeof(res));
			break;
		}
		case EMU_MSG_TEE_INVOKE_REQ: {
			struct emu_tee_invoke in;
			struct emu_tee_invoke_rsp out = { .ret = TEE_SUCCESS };
			memcpy(&in, m->payload, sizeof(in));
			f->invokes++;
			f->last_memref_size = in.params[0].c;
			f->last_param_types = in.param_types;
			memcpy(f->last_request, shm, sizeof(f->last_request));
			out.params[0] = in.params[0];
			uint64_t fn = get_le64(shm + 24);
			f->last_function = fn;
			if (fn == SMM_VARIABLE_FUNCTION_GET_VARIABLE) {
				f->get_memref_size = in.params[0].c;
				memcpy(f->get_request, shm, sizeof(f->get_request));
			}
			if (fn == SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET) {
				f->property_gets++;
				/* payload at 40, VariableProperty at +24, its Property at +2 */
				put_le16(shm + 40 + 24 + 2,
					 f->read_only ? VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY : 0);
			}
			if (fn == SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE) {
				put_le64(shm + 40, f->payload_size);
			} else {
				out.ret = f->tee_ret;
				out.params[1].a = f->mm_code;
				put_le64(shm + 32, f->return_status);
				if (out.ret == TEE_ERROR_EXCESS_DATA)
					out.params[0].c = PTA_STMM_NS_COMM_BUF_SIZE;
				if (fn == SMM_VARIABLE_FUNCTION_GET_VARIABLE) {
					uint64_t ns = get_le64(shm + 64);
					put_le64(shm + 56, 2);
					put_le32(shm + 72, 7);
					memcpy(shm + 76 + ns, "hi", 2);
				}
			}
			(void)!emu_ipc_send(fd, EMU_MSG_TEE_INVOKE_RSP, m->hdr.req_id, &out,
					    sizeof(out));
			break;
		}
		default:
			(void)!emu_ipc_send_error(fd, m->hdr.req_id, -EOPNOTSUPP, "no");
			break;
		}
	}
	if (shm)
		munmap(shm, shm_size);
	close(fd);
	return NULL;
}

static int fake_setup(void **state)
{
	struct fake_tee *f = g_new0(struct fake_tee, 1);
	f->dir = g_dir_make_tmp("emu-mmvar-XXXXXX", NULL);
	f->path = g_build_filename(f->dir, "tee.sock", NULL);
	f->payload_size = 10228;
	assert_int_equal(emu_ipc_listen(f->path, &f->listen_fd), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_tee_main, f), 0);
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake_tee *f = *state;
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void client_get_variable_round_trip(void **state)
{
	struct fake_tee *f = *state;
	g_autoptr(emu_client) c = NULL;
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	uint8_t data[64];
	uint64_t size = sizeof(data), max = 0;
	uint32_t attrs = 0;

	assert_int_equal(emu_client_open(f->path, 2000, &c), 0);
	assert_int_equal(emu_client_get_payload_size(c, &max), EFI_SUCCESS);
	assert_int_equal(max, 10226);
	assert_int_equal(f->invokes, 1);
	assert_int_equal(f->last_memref_size, 48);
	assert_int_equal(f->last_param_types, PTA_STMM_COMMUNICATE_PARAM_TYPES);
	/* Once per session. */
	assert_int_equal(emu_client_get_payload_size(c, &max), EFI_SUCCESS);
	assert_int_equal(f->invokes, 1);

	assert_int_equal(emu_client_get_variable(c, name_foo, sizeof(name_foo), &g, &attrs, &size,
						 data),
			 EFI_SUCCESS);
	assert_int_equal(size, 2);
	assert_int_equal(attrs, 7);
	assert_memory_equal(data, "hi", 2);
	/* The memref is exactly the buffer: 24 + 16 + 40 + 8 + 64. */
	assert_int_equal(f->get_memref_size, 152);
	assert_int_equal(get_le64(f->get_request + 56), 64);
	/* Then, as tee_get_variable(), the variable's property: 24 + 16 + 48 + 8. */
	assert_int_equal(f->property_gets, 1);
	assert_int_equal(f->last_function, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET);
	assert_int_equal(f->last_memref_size, 96);
	assert_int_equal(f->invokes, 3);
}

static void client_set_over_budget_never_sent(void **state)
{
	struct fake_tee *f = *state;
	g_autoptr(emu_client) c = NULL;
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	g_autofree uint8_t *data = g_malloc0(20000);

	assert_int_equal(emu_client_open(f->path, 2000, &c), 0);
	assert_int_equal(emu_client_set_variable(c, name_foo, sizeof(name_foo), &g, 7, 10179, data),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(f->invokes, 1); /* only GET_PAYLOAD_SIZE */
	assert_int_equal(f->property_gets, 0); /* refused before the property too */
	assert_int_equal(emu_client_set_variable(c, name_foo, sizeof(name_foo), &g, 7, 10178, data),
			 EFI_SUCCESS);
	/* tee_set_variable(): PROPERTY_GET, then the SET. */
	assert_int_equal(f->invokes, 3);
	assert_int_equal(f->property_gets, 1);
	assert_int_equal(f->last_function, SMM_VARIABLE_FUNCTION_SET_VARIABLE);
	assert_int_equal(f->last_memref_size, 24 + 16 + 10226);
}

/* Linux tee_set_variable(): a READ_ONLY property is EFI_WRITE_PROTECTED, no SET sent. */
static void client_set_read_only_refused(void **state)
{
	struct fake_tee *f = *state;
	g_autoptr(emu_client) c = NULL;
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;

	assert_int_equal(emu_client_open(f->path, 2000, &c), 0);
	f->read_only = true;
	assert_int_equal(emu_client_set_variable(c, name_foo, sizeof(name_foo), &g, 7, 2,
						 (const uint8_t *)"hi"),
			 EFI_WRITE_PROTECTED);
	assert_int_equal(f->property_gets, 1);
	assert_int_equal(f->last_function, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET);
	assert_int_equal(f->invokes, 2); /* GET_PAYLOAD_SIZE, PROPERTY_GET: no SET */
}

static void client_maps_transport_and_mm_errors(void **state)
{
	struct fake_tee *f = *state;
	g_autoptr(emu_client) c = NULL;
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	uint64_t a, b, d;

	assert_int_equal(emu_client_open(f->path, 2000, &c), 0);
	f->tee_ret = TEE_ERROR_EXCESS_DATA;
	assert_int_equal(emu_client_query_variable_info(c, 7, &a, &b, &d), EFI_DEVICE_ERROR);
	assert_non_null(strstr(emu_client_last_error(c), "TEE_ERROR_EXCESS_DATA"));
	f->tee_ret = TEE_ERROR_COMMUNICATION;
	assert_int_equal(emu_client_set_variable(c, name_foo, sizeof(name_foo), &g, 7, 2,
						 (const uint8_t *)"hi"),
			 EFI_DEVICE_ERROR);
	f->tee_ret = TEE_SUCCESS;
	f->mm_code = (uint64_t)-2;
	f->return_status = EFI_SUCCESS;
	assert_int_equal(emu_client_query_variable_info(c, 7, &a, &b, &d), EFI_INVALID_PARAMETER);
	f->mm_code = (uint64_t)-5;
	assert_int_equal(emu_client_query_variable_info(c, 7, &a, &b, &d), EFI_OUT_OF_RESOURCES);
	f->mm_code = (uint64_t)-1;
	assert_int_equal(emu_client_query_variable_info(c, 7, &a, &b, &d), EFI_ACCESS_DENIED);
	f->mm_code = 0;
	f->return_status = EFI_NOT_FOUND;
	assert_int_equal(emu_client_set_variable(c, name_foo, sizeof(name_foo), &g, 0, 0, NULL),
			 EFI_NOT_FOUND);
}

static void client_rejects_small_payload_size(void **state)
{
	struct fake_tee *f = *state;
	g_autoptr(emu_client) c = NULL;
	uint64_t max = 0;

	f->payload_size = 71;
	assert_int_equal(emu_client_open(f->path, 2000, &c), 0);
	assert_int_equal(emu_client_get_payload_size(c, &max), EFI_DEVICE_ERROR);
	assert_int_equal(max, 0);
}

static void client_raw_any_memref_size(void **state)
{
	struct fake_tee *f = *state;
	g_autoptr(emu_client) c = NULL;
	struct emu_client_raw_result res;
	static const uint8_t junk[] = { 1, 2, 3 };

	assert_int_equal(emu_client_open(f->path, 2000, &c), 0);
	f->tee_ret = TEE_ERROR_EXCESS_DATA;
	assert_int_equal(emu_client_raw(c, junk, sizeof(junk), 20000, &res), 0);
	assert_int_equal(f->last_memref_size, 20000);
	assert_int_equal(res.tee_ret, TEE_ERROR_EXCESS_DATA);
	assert_int_equal(res.memref_size, PTA_STMM_NS_COMM_BUF_SIZE);
	assert_int_equal(res.answer_size, 20000);
	assert_memory_equal(res.answer, junk, sizeof(junk));
	emu_client_raw_result_clear(&res);
}

/*
 * The property part of a PROPERTY_SET payload, as U-Boot sends it to make SecureBoot
 * read-only again after writing it: {revision 1, READ_ONLY, BS|RT, MinSize 1, MaxSize 1} at
 * offset 24, little-endian; read back whole.  The GUID, NameSize and name are not touched.
 */
static void property_codec_golden(void **state)
{
	(void)state;
	static const uint8_t want[24] = {
		0x01, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	const struct var_check_variable_property prop = {
		.revision = VAR_CHECK_VARIABLE_PROPERTY_REVISION,
		.property = VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
		.attributes = EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS,
		.min_size = 1, .max_size = 1,
	};
	uint8_t payload[SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + 4];
	memset(payload, 0xa5, sizeof(payload));
	mmvar_property_write(payload, &prop);
	assert_memory_equal(payload + 24, want, sizeof(want));
	for (size_t i = 0; i < 24; i++)
		assert_int_equal(payload[i], 0xa5);
	assert_int_equal(payload[48], 0xa5);

	struct var_check_variable_property back;
	payload[24 + 16] = 0x02; /* MaxSize 2 */
	payload[24 + 23] = 0x80; /* and its top byte: all 64 bits are read */
	mmvar_property_read(payload, &back);
	assert_int_equal(back.revision, 1);
	assert_int_equal(back.property, VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY);
	assert_int_equal(back.attributes, 6);
	assert_int_equal(back.min_size, 1);
	assert_true(back.max_size == 0x8000000000000002ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_get_payload_size_golden),
		cmocka_unit_test(build_get_variable_foo_global_golden),
		cmocka_unit_test(build_set_variable_golden),
		cmocka_unit_test(build_get_next_from_empty_golden),
		cmocka_unit_test(build_get_next_linux_buffer_zeroes_tail),
		cmocka_unit_test(build_query_variable_info_golden),
		cmocka_unit_test(build_set_variable_over_budget_refused),
		cmocka_unit_test(build_get_variable_trims_data_size),
		cmocka_unit_test(build_name_over_budget_refused),
		cmocka_unit_test(build_get_next_trims_name_buffer),
		cmocka_unit_test(build_rejects_malformed_names),
		cmocka_unit_test(max_payload_quirk_and_minimum),
		cmocka_unit_test(mm_code_mapping_as_linux),
		cmocka_unit_test(parse_get_variable_answer),
		cmocka_unit_test(parse_get_next_answer),
		cmocka_unit_test(property_codec_golden),
		cmocka_unit_test_setup_teardown(client_get_variable_round_trip, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(client_set_read_only_refused, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(client_set_over_budget_never_sent, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(client_maps_transport_and_mm_errors, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(client_rejects_small_payload_size, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(client_raw_any_memref_size, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
