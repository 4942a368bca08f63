/* SPDX-License-Identifier: MIT */
/*
 * stmmd's FF-A SPMC (stmm/optee/ffa_spmc.c) register by register: FF-A v1.0 (DEN0077A)
 * as U-Boot's arm-ffa driver relies on it and Trusted Services' smm-gateway answers its
 * door bell (shared/research/next-wave-anchors.md §4).  Two partitions (OP-TEE 0x8001,
 * the MM SP 0x8002) as v1.0 8-byte descriptors in the caller's RX buffer, the MM UUID in
 * registers, FFA_ERROR codes for everything malformed, the door bell's size checks and
 * the MM return code in x3.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "ffa_spmc.h"
#include "mm.h"

struct fx {
	struct ffa_endpoint *ep;
	int rxtx_fd;       /* our copy of the RX/TX memfd */
	uint8_t *rxtx;     /* TX then RX, one page each */
	int mm_fd;
	uint8_t *mm;
	size_t mm_size;
};

static int memfd(size_t size, uint8_t **ret_map)
{
	int fd = memfd_create("test-ffa", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	*ret_map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(*ret_map != MAP_FAILED);
	return fd;
}

static enum ffa_spmc_outcome call(struct fx *f, struct ffa_regs in, int fd, struct ffa_regs *out)
{
	struct ffa_mm_call mm = { 0 };
	int io = fd;
	enum ffa_spmc_outcome o = ffa_spmc_call(f->ep, &in, &io, out, &mm);
	if (io >= 0 && io != fd)
		close(io);
	if (o == FFA_SPMC_MM_CALL) {
		ffa_spmc_mm_run(&mm, NULL, NULL, out);
		ffa_mm_call_clear(&mm);
	}
	return o;
}

static void expect_error(const struct ffa_regs *out, int32_t code)
{
	assert_int_equal(out->x[0], FFA_ERROR);
	assert_int_equal(out->x[2], (uint32_t)code);
}

static void expect_success(const struct ffa_regs *out, uint64_t w2)
{
	assert_int_equal(out->x[0], FFA_SUCCESS_32);
	assert_int_equal(out->x[2], w2);
}

/* The endpoint with RX/TX mapped (one page each) and a 4 KiB MM buffer at 0x02000000. */
static int setup_profile(void **state, enum ffa_sp_profile p)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ffa_regs out;

	f->ep = ffa_endpoint_new(p);
	f->rxtx_fd = memfd(2 * FFA_PAGE_SIZE, &f->rxtx);
	int dup_fd = dup(f->rxtx_fd);
	struct ffa_regs map = { .x = { FFA_RXTX_MAP_64, 0x10000, 0x11000, 1 } };
	assert_int_equal(call(f, map, dup_fd, &out), FFA_SPMC_ANSWERED);
	expect_success(&out, 0);
	f->mm_size = 4096;
	f->mm_fd = memfd(f->mm_size, &f->mm);
	assert_int_equal(ffa_endpoint_set_mm_buf(f->ep, dup(f->mm_fd), FFA_EMU_MM_BUF_ADDR, f->mm_size), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_profile(state, FFA_SP_SMM_GATEWAY);
}

static int setup_edk2(void **state)
{
	return setup_profile(state, FFA_SP_EDK2);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ffa_endpoint_free(f->ep);
	munmap(f->rxtx, 2 * FFA_PAGE_SIZE);
	close(f->rxtx_fd);
	munmap(f->mm, f->mm_size);
	close(f->mm_fd);
	free(f);
	return 0;
}

static void version_answers_1_0(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	call(f, (struct ffa_regs){ .x = { FFA_VERSION, 0x00010000 } }, -1, &out);
	assert_int_equal(out.x[0], 0x00010000);
	call(f, (struct ffa_regs){ .x = { FFA_VERSION, 0x00020000 } }, -1, &out);
	assert_int_equal(out.x[0], 0xffffffffu); /* NOT_SUPPORTED in w0 */
}

static void id_get_and_features(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	call(f, (struct ffa_regs){ .x = { FFA_ID_GET } }, -1, &out);
	expect_success(&out, FFA_EMU_NS_ID);
	call(f, (struct ffa_regs){ .x = { FFA_FEATURES, FFA_RXTX_MAP_64 } }, -1, &out);
	expect_success(&out, FFA_RXTX_MIN_4K);
	call(f, (struct ffa_regs){ .x = { FFA_FEATURES, FFA_SMC32(0x7f) } }, -1, &out);
	expect_error(&out, FFA_RET_NOT_SUPPORTED);
	call(f, (struct ffa_regs){ .x = { 0x84000099 } }, -1, &out);
	expect_error(&out, FFA_RET_NOT_SUPPORTED);
}

/* Nil UUID: both partitions, v1.0 descriptors byte for byte; RX owned until RX_RELEASE. */
static void partition_info_nil_lists_two(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	static const uint8_t golden[16] = { 0x01, 0x80, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
					    0x02, 0x80, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00 };
	call(f, (struct ffa_regs){ .x = { FFA_PARTITION_INFO_GET } }, -1, &out);
	expect_success(&out, 2);
	assert_memory_equal(f->rxtx + FFA_PAGE_SIZE, golden, sizeof(golden));
	/* RX still the caller's: BUSY until released */
	call(f, (struct ffa_regs){ .x = { FFA_PARTITION_INFO_GET } }, -1, &out);
	expect_error(&out, FFA_RET_BUSY);
	call(f, (struct ffa_regs){ .x = { FFA_RX_RELEASE } }, -1, &out);
	expect_success(&out, 0);
	call(f, (struct ffa_regs){ .x = { FFA_RX_RELEASE } }, -1, &out);
	expect_error(&out, FFA_RET_DENIED);
}

static void partition_info_mm_uuid_finds_sp(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	memset(f->rxtx + FFA_PAGE_SIZE, 0xaa, 16);
	call(f, (struct ffa_regs){ .x = { FFA_PARTITION_INFO_GET, 0x33d532ed, 0x0942e699,
					  0x722dc09c, 0xa798d9cd } }, -1, &out);
	expect_success(&out, 1);
	assert_int_equal(get_le16(f->rxtx + FFA_PAGE_SIZE), FFA_EMU_MM_SP_ID);
	assert_int_equal(get_le32(f->rxtx + FFA_PAGE_SIZE + 4), 3);
	assert_int_equal(f->rxtx[FFA_PAGE_SIZE + 8], 0xaa); /* one descriptor only */
}

static void partition_info_wrong_uuid_invalid(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	/* The MM UUID with the words in RFC (big-endian) order: not a match. */
	call(f, (struct ffa_regs){ .x = { FFA_PARTITION_INFO_GET, 0xed32d533, 0x99e64209,
					  0x9cc02d72, 0xcdd998a7 } }, -1, &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	/* and RX was not taken */
	call(f, (struct ffa_regs){ .x = { FFA_RX_RELEASE } }, -1, &out);
	expect_error(&out, FFA_RET_DENIED);
}

static void rxtx_map_errors(void **state)
{
	struct ffa_regs out;
	struct fx *f = *state;
	uint8_t *m;
	int fd = memfd(2 * FFA_PAGE_SIZE, &m);

	/* already mapped */
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, 0x10000, 0x11000, 1 } }, dup(fd), &out);
	expect_error(&out, FFA_RET_DENIED);
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_UNMAP, (uint64_t)FFA_EMU_NS_ID << 16 } }, -1, &out);
	expect_success(&out, 0);
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_UNMAP } }, -1, &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	/* PARTITION_INFO_GET with no RX buffer */
	call(f, (struct ffa_regs){ .x = { FFA_PARTITION_INFO_GET } }, -1, &out);
	expect_error(&out, FFA_RET_DENIED);
	/* unaligned, equal, zero pages, no fd, buffer smaller than the pages */
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, 0x10010, 0x11000, 1 } }, dup(fd), &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, 0x10000, 0x10000, 1 } }, dup(fd), &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, 0x10000, 0x11000, 0 } }, dup(fd), &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, 0x10000, 0x11000, 1 } }, -1, &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, 0x10000, 0x12000, 2 } }, dup(fd), &out);
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	/* the 32-bit RXTX_MAP is not offered (U-Boot uses the 64-bit one) */
	call(f, (struct ffa_regs){ .x = { FFA_RXTX_MAP_32, 0x10000, 0x11000, 1 } }, dup(fd), &out);
	expect_error(&out, FFA_RET_NOT_SUPPORTED);
	munmap(m, 2 * FFA_PAGE_SIZE);
	close(fd);
}

/* An MM handler that answers in place: ReturnStatus 0 and a marker; returns its x3. */
static int32_t handler_code;
static size_t handler_size;
static int32_t echo_handler(void *ctx, uint8_t *buf, size_t size)
{
	(void)ctx;
	handler_size = size;
	buf[size - 1] = 0x5a;
	return handler_code;
}

static void put_mm(uint8_t *at, uint64_t msg_len)
{
	memset(at, 0, MM_COMMUNICATE_HEADER_SIZE);
	put_le64(at + 16, msg_len);
}

static void door(struct fx *f, uint64_t x0, uint32_t w1, uint64_t x3, struct ffa_regs *out)
{
	struct ffa_regs in = { .x = { x0, w1, 0, x3 } };
	struct ffa_mm_call mm = { 0 };
	int fd = -1;
	if (ffa_spmc_call(f->ep, &in, &fd, out, &mm) == FFA_SPMC_MM_CALL) {
		ffa_spmc_mm_run(&mm, echo_handler, NULL, out);
		ffa_mm_call_clear(&mm);
	}
}

static void door_bell_runs_mm_and_answers_x3(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	put_mm(f->mm, 40);
	handler_code = 0;
	handler_size = 0;
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 0, &out);
	assert_int_equal(out.x[0], FFA_MSG_SEND_DIRECT_RESP_64);
	assert_int_equal(out.x[1], 0x80020000);
	assert_int_equal(out.x[3], 0);
	assert_int_equal(handler_size, 64);
	assert_int_equal(f->mm[63], 0x5a);
	assert_int_equal(get_le64(f->mm + 16), 40); /* MessageLength: the response length */
	/* a code in x3 is sign-extended; at an offset */
	handler_code = -3;
	put_mm(f->mm + 512, 8);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 512, &out);
	assert_int_equal(out.x[3], (uint64_t)-3);
	assert_int_equal(f->mm[512 + 31], 0x5a);
}

static void door_bell_oversized_message(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	handler_size = 0;
	put_mm(f->mm, 4096 - 24 + 1); /* one byte past the buffer */
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 0, &out);
	assert_int_equal(out.x[0], FFA_MSG_SEND_DIRECT_RESP_64);
	assert_int_equal(out.x[3], (uint64_t)-2);
	put_mm(f->mm, 4096 - 24); /* exactly the buffer: taken */
	handler_code = 0;
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 0, &out);
	assert_int_equal(out.x[3], 0);
	assert_int_equal(handler_size, 4096);
	/* header past the end */
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 4096 - 23, &out);
	assert_int_equal(out.x[3], (uint64_t)-2);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, UINT64_MAX, &out);
	assert_int_equal(out.x[3], (uint64_t)-2);
}

static void door_bell_endpoint_errors(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00001234, 0, &out); /* no such partition */
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00058002, 0, &out); /* not the caller's id */
	expect_error(&out, FFA_RET_INVALID_PARAMETERS);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008001, 0, &out); /* OP-TEE's own ABI */
	expect_error(&out, FFA_RET_NOT_SUPPORTED);
	/* smm-gateway: a 32-bit request gets RESP_32 with w3 = -1 at once */
	handler_size = 0;
	put_mm(f->mm, 8);
	door(f, FFA_MSG_SEND_DIRECT_REQ_32, 0x00008002, 0, &out);
	assert_int_equal(out.x[0], FFA_MSG_SEND_DIRECT_RESP_32);
	assert_int_equal(out.x[3], 0xffffffffu);
	assert_int_equal(handler_size, 0);
}

static void door_bell_without_buffer(void **state)
{
	(void)state;
	struct fx f = { .ep = ffa_endpoint_new(FFA_SP_SMM_GATEWAY) };
	struct ffa_regs out;
	door(&f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 0, &out);
	assert_int_equal(out.x[0], FFA_MSG_SEND_DIRECT_RESP_64);
	assert_int_equal(out.x[3], (uint64_t)-2);
	uint8_t *m;
	int fd = memfd(4096, &m);
	assert_int_equal(ffa_endpoint_set_mm_buf(f.ep, fd, 0, 0), -EINVAL);
	assert_int_equal(ffa_endpoint_set_mm_buf(f.ep, fd, 0, 8192), -EINVAL); /* memfd too small */
	assert_int_equal(ffa_endpoint_set_mm_buf(f.ep, fd, 0, 4096), 0);
	uint8_t *m2;
	int fd2 = memfd(4096, &m2);
	assert_int_equal(ffa_endpoint_set_mm_buf(f.ep, fd2, 0, 4096), -EEXIST);
	close(fd2);
	munmap(m2, 4096);
	munmap(m, 4096);
	ffa_endpoint_free(f.ep);
}

/* edk2 StMM: x3 is an address inside the buffer; U-Boot's offset 0 is outside it. */
static void edk2_x3_is_an_address(void **state)
{
	struct fx *f = *state;
	struct ffa_regs out;
	handler_code = 0;
	handler_size = 0;
	put_mm(f->mm, 8);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 0, &out);
	assert_int_equal(out.x[3], (uint64_t)-2);
	assert_int_equal(handler_size, 0);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, FFA_EMU_MM_BUF_ADDR, &out);
	assert_int_equal(out.x[3], 0);
	assert_int_equal(handler_size, 32);
	door(f, FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, FFA_EMU_MM_BUF_ADDR + 4096, &out);
	assert_int_equal(out.x[3], (uint64_t)-2);
	/* 32-bit requests are taken (w3 an address) */
	door(f, FFA_MSG_SEND_DIRECT_REQ_32, 0x00008002, FFA_EMU_MM_BUF_ADDR, &out);
	assert_int_equal(out.x[0], FFA_MSG_SEND_DIRECT_RESP_32);
	assert_int_equal(out.x[3], 0);
}

static void profile_names(void **state)
{
	(void)state;
	enum ffa_sp_profile p;
	assert_int_equal(ffa_sp_profile_from_name("edk2", &p), 0);
	assert_int_equal(p, FFA_SP_EDK2);
	assert_int_equal(ffa_sp_profile_from_name("smm-gateway", &p), 0);
	assert_int_equal(p, FFA_SP_SMM_GATEWAY);
	assert_int_equal(ffa_sp_profile_from_name("ts", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(version_answers_1_0, setup, teardown),
		cmocka_unit_test_setup_teardown(id_get_and_features, setup, teardown),
		cmocka_unit_test_setup_teardown(partition_info_nil_lists_two, setup, teardown),
		cmocka_unit_test_setup_teardown(partition_info_mm_uuid_finds_sp, setup, teardown),
		cmocka_unit_test_setup_teardown(partition_info_wrong_uuid_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(rxtx_map_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(door_bell_runs_mm_and_answers_x3, setup, teardown),
		cmocka_unit_test_setup_teardown(door_bell_oversized_message, setup, teardown),
		cmocka_unit_test_setup_teardown(door_bell_endpoint_errors, setup, teardown),
		cmocka_unit_test(door_bell_without_buffer),
		cmocka_unit_test_setup_teardown(edk2_x3_is_an_address, setup_edk2, teardown),
		cmocka_unit_test(profile_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
