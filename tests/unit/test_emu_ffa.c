/* SPDX-License-Identifier: MIT */
/*
 * The client's FF-A MM transport (emu/client/ffa_client.c) against a scripted SPMC: the
 * exact registers of U-Boot's known sequence (arm-ffa-uclass.c ffa_do_probe, then
 * efi_variable_tee.c's MM SP discovery and door bell; shared/research/next-wave-anchors.md
 * §4.1-4.2), its size rules and its error tables.
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
#include "efi.h"
#include "ffa.h"
#include "ffa_client.h"
#include "mm.h"

#define MAX_CALLS 32

/* The scripted SPMC: records every call, answers like stmmd's SPMC (two partitions). */
struct fake {
	struct ffa_regs calls[MAX_CALLS];
	int fds[MAX_CALLS];
	size_t n;
	uint8_t *rx;              /* the client's RX, mapped from the RXTX_MAP memfd */
	size_t rxtx_size;
	uint8_t *mm;              /* the client's MM buffer */
	uint64_t mm_size;
	bool mm_uuid_unknown;     /* answer INVALID_PARAMETERS for the MM UUID */
	int32_t mm_code;          /* x3 of DIRECT_RESP */
	uint64_t answer_len;      /* MessageLength the SP writes back (0: leave) */
	unsigned interrupts;      /* FFA_INTERRUPT replies before the response */
	int32_t door_error;       /* FFA_ERROR for the door bell, 0 none */
};

static void put_desc(uint8_t *d, uint16_t id)
{
	put_le16(d, id);
	put_le16(d + 2, 1);
	put_le32(d + 4, 3);
}

static int fake_call(void *ctx, const struct ffa_regs *in, int fd, struct ffa_regs *out)
{
	struct fake *f = ctx;
	assert_true(f->n < MAX_CALLS);
	f->calls[f->n] = *in;
	f->fds[f->n++] = fd;
	memset(out, 0, sizeof(*out));
	out->x[0] = FFA_SUCCESS_32;
	switch ((uint32_t)in->x[0]) {
	case FFA_VERSION:
		out->x[0] = 0x00010000;
		break;
	case FFA_ID_GET:
		out->x[2] = 0;
		break;
	case FFA_FEATURES:
		out->x[2] = 0;
		break;
	case FFA_RXTX_MAP_64: {
		f->rxtx_size = 2 * (size_t)in->x[3] * FFA_PAGE_SIZE;
		uint8_t *m = mmap(NULL, f->rxtx_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		assert_true(m != MAP_FAILED);
		f->rx = m + f->rxtx_size / 2;
		break;
	}
	case FFA_PARTITION_INFO_GET:
		if (!in->x[1] && !in->x[2] && !in->x[3] && !in->x[4]) {
			put_desc(f->rx, 0x8001);
			put_desc(f->rx + 8, 0x8002);
			out->x[2] = 2;
		} else if (!f->mm_uuid_unknown && in->x[1] == FFA_MM_SP_UUID_W1) {
			put_desc(f->rx, 0x8002);
			out->x[2] = 1;
		} else {
			out->x[0] = FFA_ERROR;
			out->x[2] = (uint32_t)FFA_RET_INVALID_PARAMETERS;
		}
		break;
	case FFA_RX_RELEASE:
		break;
	case FFA_MSG_SEND_DIRECT_REQ_64:
	case FFA_RUN:
		if (f->interrupts) {
			f->interrupts--;
			out->x[0] = FFA_INTERRUPT;
			out->x[1] = 0x00000007;
			break;
		}
		if (f->door_error) {
			out->x[0] = FFA_ERROR;
			out->x[2] = (uint32_t)f->door_error;
			break;
		}
		if (f->answer_len)
			put_le64(f->mm + in->x[3] + 16, f->answer_len);
		out->x[0] = FFA_MSG_SEND_DIRECT_RESP_64;
		out->x[1] = 0x80020000;
		out->x[3] = (uint64_t)(int64_t)f->mm_code;
		break;
	default:
		out->x[0] = FFA_ERROR;
		out->x[2] = (uint32_t)FFA_RET_NOT_SUPPORTED;
	}
	return 0;
}

static int fake_mm_buf(void *ctx, int fd, uint64_t base, uint64_t size)
{
	struct fake *f = ctx;
	assert_int_equal(base, 0x02000000);
	f->mm_size = size;
	f->mm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(f->mm != MAP_FAILED);
	return 0;
}

struct fx {
	struct fake f;
	struct ffa_client *fc;
};

static int setup_size(void **state, uint64_t size)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ffa_client_ops ops = { .ctx = &x->f, .call = fake_call, .declare_mm_buf = fake_mm_buf };
	struct ffa_client_config cfg = { .mm_buf_size = size, .mm_buf_addr = 0x02000000 };
	assert_int_equal(ffa_client_new(&ops, &cfg, &x->fc), 0);
	*state = x;
	return 0;
}

static int setup(void **state)
{
	return setup_size(state, FFA_CLIENT_DEFAULT_MM_BUF_SIZE);
}

static int teardown(void **state)
{
	struct fx *x = *state;
	ffa_client_free(x->fc);
	if (x->f.rx)
		munmap(x->f.rx - x->f.rxtx_size / 2, x->f.rxtx_size);
	if (x->f.mm)
		munmap(x->f.mm, x->f.mm_size);
	free(x);
	return 0;
}

static void expect_regs(const struct ffa_regs *r, uint64_t x0, uint64_t x1, uint64_t x2,
			uint64_t x3, uint64_t x4)
{
	assert_int_equal(r->x[0], x0);
	assert_int_equal(r->x[1], x1);
	assert_int_equal(r->x[2], x2);
	assert_int_equal(r->x[3], x3);
	assert_int_equal(r->x[4], x4);
	assert_int_equal(r->x[5], 0);
	assert_int_equal(r->x[6], 0);
	assert_int_equal(r->x[7], 0);
}

/* GET_PAYLOAD_SIZE as U-Boot builds it: header + 16 + 8 bytes. */
static size_t payload_size_req(uint8_t *buf)
{
	memset(buf, 0, 48);
	put_le64(buf + 16, 24);
	put_le64(buf + 24, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE);
	return 48;
}

/* U-Boot's sequence, register for register, then the door bell. */
static void uboot_sequence_golden(void **state)
{
	struct fx *x = *state;
	uint8_t buf[48];
	size_t n = payload_size_req(buf);

	assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), EFI_SUCCESS);
	const struct ffa_regs *c = x->f.calls;
	assert_int_equal(x->f.n, 9);
	expect_regs(&c[0], 0x84000063, 0x00010000, 0, 0, 0);          /* VERSION v1.0 */
	expect_regs(&c[1], 0x84000069, 0, 0, 0, 0);                   /* ID_GET */
	expect_regs(&c[2], 0x84000064, 0xC4000066, 0, 0, 0);          /* FEATURES(RXTX_MAP_64) */
	assert_int_equal(c[3].x[0], 0xC4000066);                      /* RXTX_MAP_64 */
	assert_int_equal(c[3].x[1] % 4096, 0);                        /* TX */
	assert_int_equal(c[3].x[2], c[3].x[1] + 4096);                /* RX */
	assert_int_equal(c[3].x[3], 1);                               /* one page each */
	assert_true(x->f.fds[3] >= 0);
	expect_regs(&c[4], 0x84000068, 0, 0, 0, 0);                   /* PARTITION_INFO_GET(nil) */
	expect_regs(&c[5], 0x84000065, 0, 0, 0, 0);                   /* RX_RELEASE */
	expect_regs(&c[6], 0x84000068, 0x33d532ed, 0x0942e699, 0x722dc09c, 0xa798d9cd);
	expect_regs(&c[7], 0x84000065, 0, 0, 0, 0);
	expect_regs(&c[8], 0xC400006F, 0x00008002, 0, 0, 0);          /* door bell, x3 = offset 0 */
	assert_int_equal(ffa_client_own_id(x->fc), 0);
	assert_int_equal(ffa_client_sp_id(x->fc), 0x8002);
	const struct ffa_partition_info *p;
	assert_int_equal(ffa_client_partitions(x->fc, &p), 2);
	assert_int_equal(p[0].id, 0x8001);
	assert_int_equal(p[1].id, 0x8002);
	assert_memory_equal(x->f.mm, buf, n); /* the message went through the shared buffer */

	/* A second call: only the door bell. */
	assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), EFI_SUCCESS);
	assert_int_equal(x->f.n, 10);
	expect_regs(&c[9], 0xC400006F, 0x00008002, 0, 0, 0);
}

static void interrupt_answered_with_run(void **state)
{
	struct fx *x = *state;
	uint8_t buf[48];
	size_t n = payload_size_req(buf);
	assert_int_equal(ffa_client_probe(x->fc), 0);
	size_t before = x->f.n;
	x->f.interrupts = 1;
	assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), EFI_SUCCESS);
	assert_int_equal(x->f.n, before + 2);
	expect_regs(&x->f.calls[before + 1], 0x8400006D, 7, 0, 0, 0); /* FFA_RUN, w1 echoed */
}

static void wrong_uuid_is_unsupported(void **state)
{
	struct fx *x = *state;
	uint8_t buf[48];
	size_t n = payload_size_req(buf);
	x->f.mm_uuid_unknown = true;
	assert_int_equal(ffa_client_probe(x->fc), -EINVAL);
	const char *what = NULL;
	assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, &what), EFI_UNSUPPORTED);
	assert_non_null(strstr(what, "no MM partition"));
	for (size_t i = 0; i < x->f.n; i++)
		assert_int_not_equal(x->f.calls[i].x[0], 0xC400006F); /* no door bell */
}

/* MessageLength + 24 must be the buffer size and fit the shared buffer: no call otherwise. */
static void size_rules(void **state)
{
	struct fx *x = *state;
	uint8_t big[4096 + 8];
	memset(big, 0, sizeof(big));
	put_le64(big + 16, 4096 - 24 + 8);
	assert_int_equal(ffa_client_mm_communicate(x->fc, big, sizeof(big), NULL),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(x->f.n, 0);
	put_le64(big + 16, 100);
	assert_int_equal(ffa_client_mm_communicate(x->fc, big, 200, NULL), EFI_INVALID_PARAMETER);
	assert_int_equal(x->f.n, 0);
	/* exactly the shared buffer: sent */
	put_le64(big + 16, 4096 - 24);
	assert_int_equal(ffa_client_mm_communicate(x->fc, big, 4096, NULL), EFI_SUCCESS);
	/* an answer longer than the caller's buffer */
	uint8_t buf[48];
	size_t n = payload_size_req(buf);
	x->f.answer_len = 25;
	assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), EFI_OUT_OF_RESOURCES);
	/* a shorter one: only that much copied back */
	x->f.answer_len = 16;
	assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), EFI_SUCCESS);
	assert_int_equal(get_le64(buf + 16), 16);
}

/* U-Boot's tables: MM code -> errno -> EFI status; FF-A errors through the same switch. */
static void error_mapping(void **state)
{
	struct fx *x = *state;
	uint8_t buf[48];
	size_t n = payload_size_req(buf);
	static const struct { int32_t mm; efi_status_t want; } mm[] = {
		{ 0, EFI_SUCCESS }, { -1, EFI_DEVICE_ERROR }, { -2, EFI_INVALID_PARAMETER },
		{ -3, EFI_ACCESS_DENIED }, { -5, EFI_OUT_OF_RESOURCES }, { -4, EFI_ACCESS_DENIED },
		{ 7, EFI_ACCESS_DENIED },
	};
	for (size_t i = 0; i < sizeof(mm) / sizeof(mm[0]); i++) {
		x->f.mm_code = mm[i].mm;
		assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), mm[i].want);
	}
	x->f.mm_code = 0;
	static const struct { int32_t ffa; efi_status_t want; } ffa[] = {
		{ FFA_RET_INVALID_PARAMETERS, EFI_DEVICE_ERROR }, { FFA_RET_BUSY, EFI_OUT_OF_RESOURCES },
		{ FFA_RET_DENIED, EFI_ACCESS_DENIED }, { FFA_RET_NOT_SUPPORTED, EFI_ACCESS_DENIED },
		{ FFA_RET_ABORTED, EFI_ACCESS_DENIED },
	};
	for (size_t i = 0; i < sizeof(ffa) / sizeof(ffa[0]); i++) {
		x->f.door_error = ffa[i].ffa;
		assert_int_equal(ffa_client_mm_communicate(x->fc, buf, n, NULL), ffa[i].want);
	}
	assert_int_equal(ffa_errno(FFA_RET_NO_MEMORY), -ENOMEM);
	assert_int_equal(ffa_errno(FFA_RET_INTERRUPTED), -EINTR);
	assert_int_equal(ffa_errno(FFA_RET_RETRY), -EAGAIN);
}

static void config_checked(void **state)
{
	(void)state;
	struct fake f = { 0 };
	struct ffa_client_ops ops = { .ctx = &f, .call = fake_call };
	struct ffa_client_config cfg = { .mm_buf_size = 16 };
	struct ffa_client *fc = NULL;
	assert_int_equal(ffa_client_new(&ops, &cfg, &fc), -EINVAL);
	cfg.mm_buf_size = FFA_EMU_MM_BUF_MAX + 1;
	assert_int_equal(ffa_client_new(&ops, &cfg, &fc), -EINVAL);
	cfg.mm_buf_size = 4096;
	cfg.mm_buf_offset = 4096;
	assert_int_equal(ffa_client_new(&ops, &cfg, &fc), -EINVAL);
	assert_null(fc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(uboot_sequence_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_answered_with_run, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_uuid_is_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(size_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(error_mapping, setup, teardown),
		cmocka_unit_test(config_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
