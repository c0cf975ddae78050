/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: vfio-user message handling, end to end. Each input is a
 * client's byte stream to one RPC instance of a real engine (run without its
 * thread, on the harness's thread): it is cut into messages by their header
 * size fields and sent over a socketpair, with a memfd attached to every
 * DMA_MAP and eventfds to every SET_IRQS that asks for them, so that the
 * fuzzer can reach mapping, interrupts, registers and, through the ring, the
 * command parser and execution. The input is also the initial content of
 * the client's guest RAM, where a doorbell will find its ring. After each
 * message (or, for a message whose id has bit 1 set, after the next one, so
 * that the engine reads several in one go) the engine handles what arrived
 * and runs what was queued; after the input the client disconnects. The
 * engine must never crash, leak memory (ASan) or descriptors (checked
 * here), or touch memory it was not given.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "engine-internal.h"
#include "log.h"
#include "vfio-user/codec.h"

#define RAM_SIZE (1u << 20)

static struct engine *engine;
static struct instance *inst;
static int ram_fd = -1;
static uint8_t *ram;
static unsigned baseline_fds;
static unsigned long runs;

static unsigned count_fds(void) {
        unsigned n = 0;
        DIR *d = opendir("/proc/self/fd");
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static char sock[64];
        struct engine_params p = {.name = "fuzz", .max_dma_maps = 32, .stall_timeout_ms = 1000};

        log_setup("fuzz-vfio-user");
        log_set_max_level(LOG_CRIT);
        if (engine_create(&p, false, &engine) < 0)
                abort();
        snprintf(sock, sizeof(sock), "/tmp/fuzz-vfio-user.%d.sock", (int) getpid());
        struct engine_instance_params ip = {
                .uuid = "00000000-0000-4000-8000-000000000001",
                .vram_size = 1 << 20,
                .socket_path = sock,
                .socket_uid = (uid_t) -1,
                .socket_gid = (gid_t) -1,
        };
        if (engine_add_instance_here(engine, &ip, &inst) < 0)
                abort();
        (void) unlink(sock); /* clients are attached directly; libFuzzer exits without clean-up */
        ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
        if (ram_fd < 0 || ftruncate(ram_fd, RAM_SIZE) < 0)
                abort();
        ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
        if (ram == MAP_FAILED)
                abort();
        baseline_fds = count_fds();
        return 0;
}

static void drain(int fd) {
        uint8_t buf[4096];
        union {
                struct cmsghdr align;
                uint8_t b[CMSG_SPACE(sizeof(int) * 16)];
        } ctrl;
        for (;;) {
                struct iovec iov = {buf, sizeof(buf)};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = ctrl.b,
                                    .msg_controllen = sizeof(ctrl.b)};
                if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
                        return;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_type == SCM_RIGHTS)
                                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                                        int got;
                                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                        close(got);
                                }
        }
}

/* Let the engine handle what arrived and run what was queued, as its loop would. */
static bool serve(void) {
        if (!inst->conn)
                return false;
        conn_handle_events(inst->conn, EPOLLIN | EPOLLOUT);
        /* Then what was read ahead, as the engine's loop serves it (each call takes a message or more). */
        while (inst->conn && conn_ready(inst->conn))
                conn_handle_events(inst->conn, 0);
        if (!inst->conn)
                return false;
        instance_update_runnable(inst);
        for (int i = 0; i < 64 && inst->se.runnable; i++) {
                device_exec(&inst->dev, now_ns() + 2000000, NULL, NULL);
                instance_update_runnable(inst);
        }
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int sv[2];

        baseline_fds = count_fds(); /* libFuzzer opens files of its own between inputs */
        /* The input doubles as the guest's RAM: a ring that a doorbell points at finds fuzzer bytes. */
        memset(ram, 0, RAM_SIZE);
        memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                abort();
        /* Socket buffers large enough that a whole input fits: the harness never waits. */
        int big = 4 << 20;
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        if (instance_attach(inst, sv[0]) < 0)
                abort();

        size_t at = 0;
        while (at < size) {
                size_t len = size - at;
                int fds[8];
                unsigned nfds = 0;
                bool later = false;
                if (len >= VFU_HDR_SIZE) {
                        struct vfu_hdr h;
                        vfu_hdr_decode(data + at, &h);
                        later = h.msg_id & 2;
                        if (h.size >= VFU_HDR_SIZE && h.size <= len)
                                len = h.size;
                        if (h.command == VFU_CMD_DMA_MAP && !(h.msg_id & 1)) /* odd ids: a map without fd */
                                fds[nfds++] = ram_fd;
                        if (h.command == VFU_CMD_DEVICE_SET_IRQS && len >= VFU_HDR_SIZE + VFU_IRQ_SET_SIZE) {
                                struct vfu_irq_set s;
                                memcpy(&s, data + at + VFU_HDR_SIZE, sizeof(s));
                                if (s.flags & VFU_IRQ_SET_DATA_EVENTFD)
                                        while (nfds < s.count && nfds < 8)
                                                fds[nfds++] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                        }
                }
                struct iovec iov = {(void *) (data + at), len};
                ssize_t n = vfu_send_iov(sv[1], &iov, 1, fds, nfds);
                for (unsigned i = 0; i < nfds; i++)
                        if (fds[i] != ram_fd)
                                close(fds[i]);
                if (n <= 0)
                        break;
                at += (size_t) n;
                /* Ids with bit 1 set and no descriptors wait for the next message: the engine reads
                 * several at once (the descriptors of a read go to its last message). */
                if (later && nfds == 0 && at < size)
                        continue;
                bool alive = serve();
                drain(sv[1]);
                if (!alive)
                        break;
        }
        close(sv[1]);
        if (getenv("FUZZ_REPORT")) /* to check what a seed reaches */
                fprintf(stderr, "commands %llu fences %llu violations %llu error %u protocol errors %llu\n",
                        (unsigned long long) inst->dev.stats.commands,
                        (unsigned long long) inst->dev.stats.fences,
                        (unsigned long long) inst->dev.stats.violations, inst->dev.error_status,
                        (unsigned long long) inst->protocol_errors);
        /* The client is gone: whatever is left of the conversation must go with it. */
        (void) serve();
        instance_disconnect(inst);

        /* Every descriptor the engine was given or made for this client is closed by now. Checked on
         * every input (not only now and then) so that a leak is pinned to the input that caused it. */
        unsigned now_open = count_fds();
        if (now_open != baseline_fds) {
                fprintf(stderr, "descriptor leak: %u open, %u before this input\n", now_open, baseline_fds);
                abort();
        }
        runs++;
        return 0;
}
