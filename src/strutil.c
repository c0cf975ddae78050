/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of strutil.h. */
#include <ctype.h>

#include "strutil.h"

size_t strv_length(char *const *v) {
        size_t n = 0;

        if (v)
                while (v[n])
                        n++;
        return n;
}

bool strv_contains(char *const *v, const char *s) {
        if (v)
                for (; *v; v++)
                        if (streq(*v, s))
                                return true;
        return false;
}

int strv_consume(char ***v, char *s) {
        size_t n = strv_length(*v);
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

int strv_extend(char ***v, const char *s) {
        return strv_consume(v, strdup(s));
}

int strv_extend_unique(char ***v, const char *s) {
        if (strv_contains(*v, s))
                return 0;
        return strv_extend(v, s);
}

void strv_remove(char **v, const char *s) {
        char **out = v;

        for (char **p = v; p && *p; p++)
                if (streq(*p, s))
                        free(*p);
                else
                        *out++ = *p;
        if (out)
                *out = NULL;
}

char **strv_copy(char *const *v) {
        _cleanup_strv_free_ char **c = calloc(strv_length(v) + 1, sizeof(char *));

        if (!c)
                return NULL;
        for (size_t i = 0; v && v[i]; i++) {
                c[i] = strdup(v[i]);
                if (!c[i])
                        return NULL;
        }
        return TAKE_PTR(c);
}

void strv_free(char **v) {
        strv_freep(&v);
}

char *alias_normalize(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;
        bool dash = false;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (isascii(*p) && isalnum(*p)) {
                        if (dash && o != out)
                                *o++ = '-';
                        dash = false;
                        *o++ = (char) tolower(*p);
                } else
                        dash = true;
        }
        *o = 0;
        return out;
}

char *str_escape(const char *s) {
        char *out = malloc(strlen(s) * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < ' ' || *p > '~' || *p == '\\')
                        o += sprintf(o, "\\x%02x", *p);
                else
                        *o++ = (char) *p;
        }
        *o = 0;
        return out;
}

char *ascii_strlower(char *s) {
        for (char *p = s; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        return s;
}

bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static bool strbuf_reserve(struct strbuf *b, size_t more) {
        if (b->oom)
                return false;
        if (b->len + more + 1 <= b->cap)
                return true;
        size_t ncap = MAX(b->cap * 2, b->len + more + 1);
        ncap = MAX(ncap, (size_t) 64);
        char *n = realloc(b->s, ncap);
        if (!n) {
                b->oom = true;
                return false;
        }
        b->s = n;
        b->cap = ncap;
        return true;
}

void strbuf_append(struct strbuf *b, const char *s) {
        size_t l = strlen(s);

        if (!strbuf_reserve(b, l))
                return;
        memcpy(b->s + b->len, s, l + 1);
        b->len += l;
}

void strbuf_vappendf(struct strbuf *b, const char *fmt, va_list ap) {
        va_list aq;
        int k;

        va_copy(aq, ap);
        k = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (k < 0) {
                b->oom = true;
                return;
        }
        if (!strbuf_reserve(b, (size_t) k))
                return;
        vsnprintf(b->s + b->len, (size_t) k + 1, fmt, ap);
        b->len += (size_t) k;
}

void strbuf_appendf(struct strbuf *b, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        strbuf_vappendf(b, fmt, ap);
        va_end(ap);
}

char *strbuf_steal(struct strbuf *b) {
        char *s;

        if (b->oom) {
                strbuf_done(b);
                return NULL;
        }
        s = b->s ? b->s : strdup("");
        *b = (struct strbuf){};
        return s;
}

void strbuf_done(struct strbuf *b) {
        free(b->s);
        *b = (struct strbuf){};
}
