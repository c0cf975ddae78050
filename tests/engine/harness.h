/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration-test plumbing: start engine-test-server (a real engine on
 * temporary sockets) as a child process, talk to it over its stdin/stdout
 * protocol, read an instance's counters, and count the server's open
 * descriptors through /proc.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct test_server {
        pid_t pid;
        FILE *in;
        FILE *out;
        char dir[256];
};

/* args: extra command-line options (NULL-terminated), or NULL. ENGINE_TEST_WRAPPER (e.g.
 * "valgrind -q --error-exitcode=9") runs the server under that command. */
int test_server_start(struct test_server *s, const char *const *args);
/* quit; returns the exit status (0 also means no sanitizer report) */
int test_server_stop(struct test_server *s);
/* Send one command; 0 when the answer starts with "ok", -1 otherwise. The answer line goes to buf. */
int test_server_cmd(struct test_server *s, char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* add UUID with a socket in the server's directory; returns the socket path (static storage per call slot).
 */
const char *test_server_add(struct test_server *s, const char *uuid, unsigned vram_mib, unsigned share,
                            unsigned weight);
const char *test_server_socket(struct test_server *s, const char *uuid);
/* One counter from "stats UUID", e.g. "violations". */
uint64_t test_server_stat(struct test_server *s, const char *uuid, const char *key);
/* "stats UUID" state word */
const char *test_server_state(struct test_server *s, const char *uuid);

unsigned count_fds(pid_t pid);
/* Wait until stat(key) == want, up to ms; returns the last value. */
uint64_t test_server_wait_stat(struct test_server *s, const char *uuid, const char *key, uint64_t want,
                               int ms);
