/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of terminal.h. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "macro.h"
#include "terminal.h"

#define ALT_SCREEN_ON  "\033[?1049h"
#define ALT_SCREEN_OFF "\033[?1049l"
#define CURSOR_HIDE    "\033[?25l"
#define CURSOR_SHOW    "\033[?25h"

static void write_str(int fd, const char *s) {
        size_t len = strlen(s);
        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                s += n;
                len -= (size_t) n;
        }
}

int terminal_enter(Terminal *t, int fd) {
        struct termios raw;

        t->fd = fd;
        if (!t->have_saved) {
                if (tcgetattr(fd, &t->saved) < 0)
                        return -errno;
                t->have_saved = true;
        }
        raw = t->saved;
        raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                return -errno;
        write_str(fd, ALT_SCREEN_ON CURSOR_HIDE);
        t->entered = true;
        return 0;
}

void terminal_leave(Terminal *t) {
        if (!t->entered)
                return;
        write_str(t->fd, CURSOR_SHOW ALT_SCREEN_OFF);
        if (t->have_saved)
                (void) tcsetattr(t->fd, TCSANOW, &t->saved);
        t->entered = false;
}

void terminal_size(const Terminal *t, unsigned *rows, unsigned *cols) {
        struct winsize ws = {};
        if (ioctl(t->fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0) {
                *rows = 24;
                *cols = 80;
                return;
        }
        *rows = ws.ws_row;
        *cols = ws.ws_col;
}
