/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of output.h. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

#define ANSI_GREEN  "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED    "\033[31m"
#define ANSI_CYAN   "\033[36m"

int json_print(json_object *j) {
        const char *s =
                json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || puts(s) < 0 || fflush(stdout) != 0)
                return EXIT_FAILED;
        return EXIT_OK;
}

json_object *json_string(const char *s) {
        return json_object_new_string(s ?: "");
}

json_object *json_strv(char *const *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && v && v[i]; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

const char *color_for_state(const char *state) {
        if (streq(state, "created"))
                return ANSI_GREEN;
        if (streq(state, "assigned"))
                return ANSI_CYAN;
        if (streq(state, "failed"))
                return ANSI_RED;
        return NULL;
}

const char *color_for_available(const char *available) {
        return streq(available, "0") ? ANSI_YELLOW : NULL;
}

int output_write_atomic(const char *path, const char *data, size_t len) {
        _cleanup_free_ char *tmp = NULL;
        const char *slash = strrchr(path, '/');

        if (!slash ? asprintf(&tmp, ".%s.XXXXXX", path) < 0
                   : asprintf(&tmp, "%.*s/.%s.XXXXXX", (int) (slash - path), path, slash + 1) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = 0;
        for (size_t done = 0; done < len && r == 0;) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0 && errno != EINTR)
                        r = -errno;
                else if (n > 0)
                        done += (size_t) n;
        }
        /* mkostemp makes 0600; collectors run as other users. */
        if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int output_emit(Cli *c, const char *path, const char *data, size_t len) {
        if (!path) {
                if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
                        fprintf(stderr, "%s: cannot write to stdout: %m\n", c->program);
                        return EXIT_FAILED;
                }
                return EXIT_OK;
        }
        int r = output_write_atomic(path, data, len);
        if (r < 0) {
                fprintf(stderr, "%s: cannot write %s: %s\n", c->program, path, strerror(-r));
                return EXIT_FAILED;
        }
        return EXIT_OK;
}
