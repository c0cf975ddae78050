/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recursive-descent JSON reader behind json.h. Depth is bounded so that a
 * hostile "[[[[..." cannot exhaust the engine thread's stack, and the input
 * size is bounded by the caller's message limit and JSON_MAX_INPUT.
 */
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "vfio-user/json.h"

struct parser {
        const char *p;
        const char *end;
        unsigned depth;
};

static int parse_value(struct parser *ps, struct json_value **ret);

static void skip_ws(struct parser *ps) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                ps->p++;
}

static bool consume(struct parser *ps, char c) {
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == c) {
                ps->p++;
                return true;
        }
        return false;
}

static bool consume_word(struct parser *ps, const char *w) {
        size_t l = strlen(w);
        if ((size_t) (ps->end - ps->p) < l || memcmp(ps->p, w, l) != 0)
                return false;
        ps->p += l;
        return true;
}

static int hex4(struct parser *ps, unsigned *ret) {
        unsigned v = 0;
        if (ps->end - ps->p < 4)
                return -EINVAL;
        for (int i = 0; i < 4; i++) {
                char c = *ps->p++;
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static size_t utf8_put(char *out, unsigned cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* Parses a string at ps->p (which must be '"'); the decoded form is never longer than the input. */
static int parse_string(struct parser *ps, char **ret) {
        if (ps->p >= ps->end || *ps->p != '"')
                return -EINVAL;
        ps->p++;
        /* Find the closing quote first so that the buffer fits this string, not the rest of the input. */
        const char *q = ps->p;
        while (q < ps->end && *q != '"')
                q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
        if (q >= ps->end)
                return -EINVAL;
        _cleanup_free_ char *s = malloc((size_t) (q - ps->p) + 1);
        size_t n = 0;
        if (!s)
                return -ENOMEM;

        for (;;) {
                if (ps->p >= ps->end)
                        return -EINVAL;
                unsigned char c = (unsigned char) *ps->p++;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return -EINVAL; /* control characters must be escaped */
                if (c != '\\') {
                        s[n++] = (char) c;
                        continue;
                }
                if (ps->p >= ps->end)
                        return -EINVAL;
                char e = *ps->p++;
                switch (e) {
                case '"':
                case '\\':
                case '/':
                        s[n++] = e;
                        break;
                case 'b':
                        s[n++] = '\b';
                        break;
                case 'f':
                        s[n++] = '\f';
                        break;
                case 'n':
                        s[n++] = '\n';
                        break;
                case 'r':
                        s[n++] = '\r';
                        break;
                case 't':
                        s[n++] = '\t';
                        break;
                case 'u': {
                        unsigned cp, lo;
                        if (hex4(ps, &cp) < 0)
                                return -EINVAL;
                        if (cp >= 0xdc00 && cp <= 0xdfff)
                                return -EINVAL; /* lone low surrogate */
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
                                        return -EINVAL;
                                ps->p += 2;
                                if (hex4(ps, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                                        return -EINVAL;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        }
                        if (cp == 0)
                                return -EINVAL; /* keys and values are C strings */
                        /* \uXXXX is 6 input bytes, at most 4 output bytes: stays within the buffer. */
                        n += utf8_put(s + n, cp);
                        break;
                }
                default:
                        return -EINVAL;
                }
        }
        s[n] = 0;
        *ret = TAKE_PTR(s);
        return 0;
}

static int parse_number(struct parser *ps, struct json_value *v) {
        const char *p = ps->p;
        bool negative = false, integral = true, overflow = false;
        uint64_t u = 0;

        if (p < ps->end && *p == '-') {
                negative = true;
                p++;
        }
        if (p >= ps->end || *p < '0' || *p > '9')
                return -EINVAL;
        if (*p == '0' && p + 1 < ps->end && p[1] >= '0' && p[1] <= '9')
                return -EINVAL; /* no leading zeros */
        while (p < ps->end && *p >= '0' && *p <= '9') {
                unsigned d = (unsigned) (*p - '0');
                if (u > (UINT64_MAX - d) / 10)
                        overflow = true;
                else
                        u = u * 10 + d;
                p++;
        }
        if (p < ps->end && *p == '.') {
                integral = false;
                p++;
                if (p >= ps->end || *p < '0' || *p > '9')
                        return -EINVAL;
                while (p < ps->end && *p >= '0' && *p <= '9')
                        p++;
        }
        if (p < ps->end && (*p == 'e' || *p == 'E')) {
                integral = false;
                p++;
                if (p < ps->end && (*p == '+' || *p == '-'))
                        p++;
                if (p >= ps->end || *p < '0' || *p > '9')
                        return -EINVAL;
                while (p < ps->end && *p >= '0' && *p <= '9')
                        p++;
        }
        if (p - ps->p > 64)
                return -EINVAL; /* nobody needs a 64-digit number in a capability */
        ps->p = p;
        v->type = JSON_NUMBER;
        v->is_uint = integral && !negative && !overflow;
        v->uint = v->is_uint ? u : 0;
        return 0;
}

static int parse_object(struct parser *ps, struct json_value *v) {
        v->type = JSON_OBJECT;
        if (consume(ps, '}'))
                return 0;
        for (;;) {
                _cleanup_free_ char *key = NULL;
                struct json_value *child = NULL;
                int r;

                skip_ws(ps);
                r = parse_string(ps, &key);
                if (r < 0)
                        return r;
                if (v->n >= JSON_MAX_MEMBERS)
                        return -E2BIG;
                for (size_t i = 0; i < v->n; i++)
                        if (streq(v->members[i].key, key))
                                return -EINVAL; /* duplicate keys: two readers could disagree */
                if (!consume(ps, ':'))
                        return -EINVAL;
                r = parse_value(ps, &child);
                if (r < 0)
                        return r;
                struct json_member *m = realloc(v->members, (v->n + 1) * sizeof(*m));
                if (!m) {
                        json_free(child);
                        return -ENOMEM;
                }
                v->members = m;
                v->members[v->n++] = (struct json_member){.key = TAKE_PTR(key), .value = child};
                if (consume(ps, ','))
                        continue;
                if (consume(ps, '}'))
                        return 0;
                return -EINVAL;
        }
}

static int parse_array(struct parser *ps, struct json_value *v) {
        v->type = JSON_ARRAY;
        if (consume(ps, ']'))
                return 0;
        for (;;) {
                struct json_value *child = NULL;
                int r = parse_value(ps, &child);
                if (r < 0)
                        return r;
                if (v->n >= JSON_MAX_ITEMS) {
                        json_free(child);
                        return -E2BIG;
                }
                struct json_value **items = realloc(v->items, (v->n + 1) * sizeof(*items));
                if (!items) {
                        json_free(child);
                        return -ENOMEM;
                }
                v->items = items;
                v->items[v->n++] = child;
                if (consume(ps, ','))
                        continue;
                if (consume(ps, ']'))
                        return 0;
                return -EINVAL;
        }
}

static int parse_value(struct parser *ps, struct json_value **ret) {
        struct json_value *v;
        int r;

        if (++ps->depth > JSON_MAX_DEPTH)
                return -E2BIG;
        skip_ws(ps);
        if (ps->p >= ps->end)
                return -EINVAL;
        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;

        switch (*ps->p) {
        case '{':
                ps->p++;
                r = parse_object(ps, v);
                break;
        case '[':
                ps->p++;
                r = parse_array(ps, v);
                break;
        case '"':
                v->type = JSON_STRING;
                r = parse_string(ps, &v->string);
                break;
        case 't':
                v->type = JSON_BOOL;
                v->boolean = true;
                r = consume_word(ps, "true") ? 0 : -EINVAL;
                break;
        case 'f':
                v->type = JSON_BOOL;
                r = consume_word(ps, "false") ? 0 : -EINVAL;
                break;
        case 'n':
                v->type = JSON_NULL;
                r = consume_word(ps, "null") ? 0 : -EINVAL;
                break;
        default:
                r = parse_number(ps, v);
                break;
        }
        ps->depth--;
        if (r < 0) {
                json_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

int json_parse(const char *text, size_t len, struct json_value **ret) {
        struct parser ps = {.p = text, .end = text + len};
        struct json_value *v = NULL;
        int r;

        if (len > JSON_MAX_INPUT)
                return -E2BIG;
        r = parse_value(&ps, &v);
        if (r < 0)
                return r;
        skip_ws(&ps);
        if (ps.p != ps.end) {
                json_free(v);
                return -EINVAL; /* trailing bytes */
        }
        *ret = v;
        return 0;
}

void json_free(struct json_value *v) {
        if (!v)
                return;
        free(v->string);
        for (size_t i = 0; v->type == JSON_OBJECT && i < v->n; i++) {
                free(v->members[i].key);
                json_free(v->members[i].value);
        }
        for (size_t i = 0; v->type == JSON_ARRAY && i < v->n; i++)
                json_free(v->items[i]);
        free(v->members);
        free(v->items);
        free(v);
}

const struct json_value *json_get(const struct json_value *v, const char *key) {
        if (!v || v->type != JSON_OBJECT)
                return NULL;
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->members[i].key, key))
                        return v->members[i].value;
        return NULL;
}
