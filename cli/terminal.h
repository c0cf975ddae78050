/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The terminal of a full-screen view (`vgpuctl monitor`): the alternate
 * screen, a hidden cursor, and keys read one at a time without echo (signals
 * from the keyboard stay on, so Ctrl-C and Ctrl-Z still arrive as signals).
 * terminal_leave() restores exactly what terminal_enter() changed; it is
 * safe to call twice, and the caller calls it on every way out (q, SIGINT,
 * SIGTERM, errors) and before stopping itself for SIGTSTP.
 */
#pragma once

#include <stdbool.h>
#include <termios.h>

typedef struct Terminal {
        int fd; /* the tty (stdout's) */
        struct termios saved;
        bool have_saved;
        bool entered;
} Terminal;

int terminal_enter(Terminal *t, int fd);
void terminal_leave(Terminal *t);
/* The size in rows and columns (24x80 when unknown). */
void terminal_size(const Terminal *t, unsigned *rows, unsigned *cols);
