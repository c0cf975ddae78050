/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * String helpers used across the library: NULL-terminated string vectors,
 * a growable string buffer for composing messages, and the normalization that
 * turns vendor names into aliases ("GRID T4-2Q" -> "grid-t4-2q").
 */
#pragma once

#include <stdarg.h>

#include "macro.h"

size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* Append s to *v, taking ownership of s (freed on failure). */
int strv_consume(char ***v, char *s);
/* Append a copy of s. */
int strv_extend(char ***v, const char *s);
/* Append a copy of s unless an equal string is already there. */
int strv_extend_unique(char ***v, const char *s);
/* Remove (and free) every string equal to s; v may be NULL. */
void strv_remove(char **v, const char *s);
char **strv_copy(char *const *v);
void strv_free(char **v);

/* Lower-case copy in which every run of characters other than [a-z0-9] becomes
 * one '-', without leading or trailing '-'. NULL on allocation failure. */
char *alias_normalize(const char *s);

/* A copy of s fit for a log line or an error message: control characters,
 * backslashes and bytes above 0x7e become \xNN. NULL on allocation failure. */
char *str_escape(const char *s);

/* Lower-case s in place; returns s. */
char *ascii_strlower(char *s);

bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* A growable, always NUL-terminated string. A failed allocation is sticky:
 * later appends do nothing and strbuf_steal() returns NULL. */
struct strbuf {
        char *s;
        size_t len, cap;
        bool oom;
};
void strbuf_append(struct strbuf *b, const char *s);
void strbuf_appendf(struct strbuf *b, const char *fmt, ...) _printf_(2, 3);
void strbuf_vappendf(struct strbuf *b, const char *fmt, va_list ap) _printf_(2, 0);
/* Hand out the string ("" when nothing was appended); NULL after an allocation failure. */
char *strbuf_steal(struct strbuf *b);
void strbuf_done(struct strbuf *b);
