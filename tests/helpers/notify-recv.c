/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: plays systemd's side of sd_notify. Binds a datagram socket at
 * the given path, prints every message it receives (one per line, as sent),
 * and exits after a message containing STOPPING=1 or after the timeout.
 *     notify-recv PATH [TIMEOUT_S]
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "macro.h"

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char buf[4096];

        if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "usage: notify-recv PATH [TIMEOUT_S]\n");
                return 2;
        }
        int timeout_ms = argc > 2 ? atoi(argv[2]) * 1000 : 10000;
        strcpy(sa.sun_path, argv[1]);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                perror("notify-recv");
                return 1;
        }
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, timeout_ms);
                if (r <= 0)
                        return r == 0 ? 0 : 1;
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return 1;
                buf[n] = 0;
                printf("%s\n", buf);
                fflush(stdout);
                if (strstr(buf, "STOPPING=1"))
                        return 0;
        }
}
