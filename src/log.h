/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging with syslog priorities. When stderr is connected to the journal
 * (JOURNAL_STREAM names it) each line carries a "<N>" priority prefix that
 * journald understands; otherwise lines are "ident: message" for a terminal.
 * The *_errno variants set errno for "%m" and return -abs(error), so that
 *     return log_error_errno(r, "Failed to write %s: %m", path);
 * logs and propagates in one line.
 */
#pragma once

#include <syslog.h>

#include "macro.h"

void log_setup(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
int log_parse_level(const char *s); /* "debug", "info", ..., or a number; -EINVAL on junk */

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...)                    log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)                     log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)                   log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...)                  log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)                    log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)           log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)            log_internal(LOG_INFO, (e), __VA_ARGS__)
#define log_notice_errno(e, ...)          log_internal(LOG_NOTICE, (e), __VA_ARGS__)
#define log_warning_errno(e, ...)         log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)           log_internal(LOG_ERR, (e), __VA_ARGS__)
#define log_oom()                         log_internal(LOG_ERR, ENOMEM, "Out of memory.")
