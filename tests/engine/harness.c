/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration-test plumbing (see harness.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

int test_server_start(struct test_server *s, const char *const *args) {
        int to_child[2], from_child[2];
        char path[512], line[256];
        const char *bd = getenv("VGPU_TEST_BUILDDIR");
        const char *argv[32] = {};
        unsigned n = 0;

        snprintf(path, sizeof(path), "%s/tests/engine/engine-test-server", bd ? bd : ".");
        snprintf(s->dir, sizeof(s->dir), "/tmp/engine-test.XXXXXX");
        if (!mkdtemp(s->dir))
                return -errno;
        if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0)
                return -errno;
        argv[n++] = path;
        for (unsigned i = 0; args && args[i] && n < 30; i++)
                argv[n++] = args[i];

        s->pid = fork();
        if (s->pid < 0)
                return -errno;
        if (s->pid == 0) {
                dup2(to_child[0], 0);
                dup2(from_child[1], 1);
                /* ENGINE_TEST_WRAPPER="valgrind -q --error-exitcode=9" runs the server under a tool. */
                const char *wrapper = getenv("ENGINE_TEST_WRAPPER");
                if (wrapper && *wrapper) {
                        char cmd[2048];
                        size_t used = (size_t) snprintf(cmd, sizeof(cmd), "exec %s %s", wrapper, path);
                        for (unsigned i = 1; argv[i] && used < sizeof(cmd); i++)
                                used += (size_t) snprintf(cmd + used, sizeof(cmd) - used, " '%s'", argv[i]);
                        execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                }
                execv(path, (char **) argv);
                _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        s->in = fdopen(to_child[1], "w");
        s->out = fdopen(from_child[0], "r");
        setvbuf(s->in, NULL, _IOLBF, 0);
        if (!fgets(line, sizeof(line), s->out) || strncmp(line, "ready", 5) != 0)
                return -EIO;
        return 0;
}

int test_server_stop(struct test_server *s) {
        int status = -1;
        char cmd[512];

        if (s->pid <= 0)
                return -1;
        fprintf(s->in, "quit\n");
        fclose(s->in);
        fclose(s->out);
        if (waitpid(s->pid, &status, 0) < 0)
                return -1;
        s->pid = 0;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        (void) !system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int test_server_cmd(struct test_server *s, char *buf, size_t size, const char *fmt, ...) {
        char local[1024];
        va_list ap;

        if (!buf) {
                buf = local;
                size = sizeof(local);
        }
        va_start(ap, fmt);
        vfprintf(s->in, fmt, ap);
        va_end(ap);
        fputc('\n', s->in);
        fflush(s->in);
        if (!fgets(buf, (int) size, s->out))
                return -1;
        buf[strcspn(buf, "\n")] = 0;
        return strncmp(buf, "ok", 2) == 0 ? 0 : -1;
}

const char *test_server_socket(struct test_server *s, const char *uuid) {
        static char paths[8][512];
        static unsigned next;
        char *p = paths[next++ % 8];
        snprintf(p, 512, "%s/%s.sock", s->dir, uuid);
        return p;
}

const char *test_server_add(struct test_server *s, const char *uuid, unsigned vram_mib, unsigned share,
                            unsigned weight) {
        const char *p = test_server_socket(s, uuid);
        if (test_server_cmd(s, NULL, 0, "add %s %u %s %u %u", uuid, vram_mib, p, share, weight) < 0)
                return NULL;
        return p;
}

uint64_t test_server_stat(struct test_server *s, const char *uuid, const char *key) {
        char buf[1024], want[64];
        if (test_server_cmd(s, buf, sizeof(buf), "stats %s", uuid) < 0)
                return UINT64_MAX;
        snprintf(want, sizeof(want), " %s=", key);
        char *p = strstr(buf, want);
        return p ? strtoull(p + strlen(want), NULL, 10) : UINT64_MAX;
}

const char *test_server_state(struct test_server *s, const char *uuid) {
        static char state[32];
        char buf[1024];
        if (test_server_cmd(s, buf, sizeof(buf), "stats %s", uuid) < 0)
                return "error";
        char *p = strstr(buf, "state=");
        if (!p)
                return "error";
        snprintf(state, sizeof(state), "%.*s", (int) strcspn(p + 6, " "), p + 6);
        return state;
}

uint64_t test_server_wait_stat(struct test_server *s, const char *uuid, const char *key, uint64_t want,
                               int ms) {
        uint64_t v = 0;
        for (int i = 0; i <= ms; i += 5) {
                v = test_server_stat(s, uuid, key);
                if (v == want)
                        break;
                struct timespec ts = {0, 5000000};
                nanosleep(&ts, NULL);
        }
        return v;
}

unsigned count_fds(pid_t pid) {
        char path[64];
        unsigned n = 0;
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        DIR *d = opendir(path);
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}
