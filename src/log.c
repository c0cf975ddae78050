/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of log.h: one formatter, two sinks (journal stream or terminal). */
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"

static const char *log_ident = "vgpud";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(const char *ident) {
        if (ident)
                log_ident = ident;
        log_to_journal = stderr_is_journal();
        const char *lvl = getenv("VGPUD_LOG_LEVEL");
        if (lvl) {
                int l = log_parse_level(lvl);
                if (l >= 0)
                        log_max_level = l;
        }
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

int log_parse_level(const char *s) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
                [LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
        };
        char *end;

        if (isempty(s))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcaseeq(s, names[i]))
                        return (int) i;
        if (strcaseeq(s, "error"))
                return LOG_ERR;
        long v = strtol(s, &end, 10);
        if (*end || v < LOG_EMERG || v > LOG_DEBUG)
                return -EINVAL;
        return (int) v;
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved = errno;
        char buf[2048];
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > log_max_level) {
                errno = saved;
                return -error;
        }

        errno = error; /* for %m */
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);

        if (log_to_journal)
                fprintf(stderr, "<%d>%s\n", level, buf);
        else
                fprintf(stderr, "%s: %s\n", log_ident, buf);

        errno = saved;
        return -error;
}
