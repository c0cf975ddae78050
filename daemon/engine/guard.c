/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIGBUS guard (see guard.h). sigsetjmp() without saving the signal mask is a
 * few nanoseconds; the handler is installed with SA_NODEFER so that jumping
 * out of it leaves SIGBUS unblocked and no mask needs restoring.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "guard.h"
#include "macro.h"

static struct sigaction previous;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_result;
static __thread sigjmp_buf *volatile guard_jmp;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
        sigjmp_buf *jb = guard_jmp;
        if (jb) {
                guard_jmp = NULL;
                siglongjmp(*jb, 1);
        }
        /* Not ours: hand the fault to whoever handled it before (or the default: a core dump). */
        sigaction(SIGBUS, &previous, NULL);
        (void) sig;
        (void) si;
        (void) uc;
}

static void install(void) {
        struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK};
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGBUS, &sa, &previous) < 0)
                init_result = -errno;
}

int guard_init(void) {
        pthread_once(&once, install);
        return init_result;
}

/* The jump buffer lives in each helper's frame, which stays live for the whole access. */
#define GUARDED(body)                                                                                       \
        ({                                                                                                  \
                sigjmp_buf jb;                                                                              \
                int _r = 0;                                                                                 \
                if (sigsetjmp(jb, 0) == 0) {                                                                \
                        guard_jmp = &jb;                                                                    \
                        body;                                                                               \
                        guard_jmp = NULL;                                                                   \
                } else                                                                                      \
                        _r = -EFAULT;                                                                       \
                _r;                                                                                         \
        })

int guarded_memmove(void *dst, const void *src, size_t n) {
        return GUARDED(memmove(dst, src, n));
}

static void fill32(uint8_t *d, uint32_t pattern, size_t n) {
        uint8_t b = (uint8_t) pattern;
        if (pattern == b * 0x01010101u) {
                memset(d, b, n);
                return;
        }
        uint64_t p64 = ((uint64_t) pattern << 32) | pattern;
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
                memcpy(d + i, &p64, 8);
        if (i < n)
                memcpy(d + i, &pattern, 4);
}

int guarded_fill32(void *dst, uint32_t pattern, size_t n) {
        return GUARDED(fill32(dst, pattern, n));
}

static void blit(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch, size_t width,
                 size_t rows, int row_step) {
        if (row_step > 0) {
                for (size_t y = 0; y < rows; y++)
                        memmove(dst + y * dst_pitch, src + y * src_pitch, width);
        } else {
                for (size_t y = rows; y-- > 0;)
                        memmove(dst + y * dst_pitch, src + y * src_pitch, width);
        }
}

int guarded_blit(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch, size_t width,
                 size_t rows, int row_step) {
        return GUARDED(blit(dst, dst_pitch, src, src_pitch, width, rows, row_step));
}
