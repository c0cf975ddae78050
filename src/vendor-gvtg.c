/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of vendor-gvtg.h. */
#include "vendor-gvtg.h"
#include "parse-util.h"

/* "128MB" (the kernel prints %dMB); "128M" accepted too. */
static int parse_mb(const char *v, size_t n, uint64_t *ret) {
        unsigned x;
        int r;

        if (n >= 2 && v[n - 2] == 'M' && v[n - 1] == 'B')
                n -= 2;
        else if (n >= 1 && v[n - 1] == 'M')
                n -= 1;
        else
                return -EINVAL;
        r = safe_atou_n(v, n, &x);
        if (r < 0)
                return r;
        *ret = x;
        return 0;
}

static int parse_resolution(const char *v, size_t n, unsigned *w, unsigned *h) {
        const char *x = memchr(v, 'x', n);
        int r;

        if (!x)
                return -EINVAL;
        r = safe_atou_n(v, (size_t) (x - v), w);
        if (r < 0)
                return r;
        return safe_atou_n(x + 1, n - (size_t) (x - v) - 1, h);
}

static bool is_sep(char c) {
        return c == '\n' || c == ',';
}

int gvtg_parse_description(const char *s, struct gvtg_description *ret) {
        struct gvtg_description d = {};
        const char *p = s, *end = s + strlen(s);
        int r;

        while (p < end) {
                const char *e = p;
                while (e < end && !is_sep(*e))
                        e++;
                const char *l = p;
                size_t n = (size_t) (e - p);
                p = e < end ? e + 1 : end;

                while (n > 0 && (*l == ' ' || *l == '\t'))
                        l++, n--;
                while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
                        n--;
                if (n == 0)
                        continue;

                const char *colon = memchr(l, ':', n);
                if (!colon || colon == l)
                        return -EINVAL;
                size_t klen = (size_t) (colon - l);
                const char *v = colon + 1;
                size_t vlen = n - klen - 1;
                while (vlen > 0 && *v == ' ')
                        v++, vlen--;
                if (vlen == 0)
                        return -EINVAL;
                for (size_t i = 0; i < klen; i++)
                        if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') || l[i] == '_'))
                                return -EINVAL;

#define KEY_IS(k) (klen == STRLEN(k) && memcmp(l, k, klen) == 0)
                unsigned bit = 0;
                if (KEY_IS("low_gm_size")) {
                        bit = GVTG_DESC_LOW_GM;
                        r = parse_mb(v, vlen, &d.low_gm_mb);
                } else if (KEY_IS("high_gm_size")) {
                        bit = GVTG_DESC_HIGH_GM;
                        r = parse_mb(v, vlen, &d.high_gm_mb);
                } else if (KEY_IS("fence")) {
                        bit = GVTG_DESC_FENCE;
                        r = safe_atou_n(v, vlen, &d.fence);
                } else if (KEY_IS("resolution")) {
                        bit = GVTG_DESC_RESOLUTION;
                        r = parse_resolution(v, vlen, &d.width, &d.height);
                } else if (KEY_IS("weight")) {
                        bit = GVTG_DESC_WEIGHT;
                        r = safe_atou_n(v, vlen, &d.weight);
                } else
                        r = 0;
#undef KEY_IS
                if (r < 0)
                        return r;
                if (d.present & bit)
                        return -EINVAL;
                d.present |= bit;
        }
        if (d.present == 0)
                return -EINVAL;
        *ret = d;
        return 0;
}
