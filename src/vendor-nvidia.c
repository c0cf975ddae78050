/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of vendor-nvidia.h. */
#include <ctype.h>
#include <strings.h>

#include "parse-util.h"
#include "vendor-nvidia.h"

static bool is_alnum(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* Length of s without trailing blanks (sysfs strings end in "\n"). */
static size_t trimmed_len(const char *s) {
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        return n;
}

int nvidia_parse_name(const char *s, struct nvidia_type_name *ret) {
        struct nvidia_type_name t = {};
        const char *end, *last, *p;
        size_t n;
        unsigned gb;
        int r;

        if (strncmp(s, "GRID ", 5) == 0) {
                strcpy(t.prefix, "GRID");
                s += 5;
        } else if (strncmp(s, "NVIDIA ", 7) == 0) {
                strcpy(t.prefix, "NVIDIA");
                s += 7;
        }
        n = trimmed_len(s);
        end = s + n;

        /* the last dash-separated part is <GB><series>[ME] */
        last = NULL;
        for (p = s; p < end; p++)
                if (*p == '-')
                        last = p;
        if (!last || last == s)
                return -EINVAL;
        p = last + 1;
        size_t digits = 0;
        while (p + digits < end && p[digits] >= '0' && p[digits] <= '9')
                digits++;
        r = safe_atou_n(p, digits, &gb);
        if (r < 0)
                return r;
        if (gb > 1024 * 1024) /* a petabyte of framebuffer is not a vGPU */
                return -ERANGE;
        p += digits;
        if (p >= end || !strchr("ABCQ", *p))
                return -EINVAL;
        t.series = *p++;
        if (end - p == 2 && p[0] == 'M' && p[1] == 'E') {
                t.media_extensions = true;
                p += 2;
        } else if (p < end) {
                /* a variant number: one or two digits, not starting with 0 */
                size_t vd = (size_t) (end - p);
                if (vd > 2 || *p == '0')
                        return -EINVAL;
                r = safe_atou_n(p, vd, &t.series_variant);
                if (r < 0)
                        return -EINVAL;
                p = end;
        }
        if (p != end)
                return -EINVAL;
        t.framebuffer_mb = gb == 0 ? 512 : (uint64_t) gb * 1024;

        /* what is left, s..last, is <board> or <board>-<G> */
        const char *board_end = last;
        const char *prev = NULL;
        for (p = s; p < last; p++)
                if (*p == '-')
                        prev = p;
        if (prev && all_digits(prev + 1, (size_t) (last - prev - 1))) {
                r = safe_atou_n(prev + 1, (size_t) (last - prev - 1), &t.gpu_instance_slices);
                if (r < 0)
                        return r;
                if (t.gpu_instance_slices == 0)
                        return -EINVAL;
                t.mig = true;
                board_end = prev;
        }
        if ((t.media_extensions && !t.mig) || (t.series_variant && t.mig))
                return -EINVAL;

        /* board: alphanumeric words joined by single dashes */
        size_t blen = (size_t) (board_end - s);
        if (blen == 0 || blen >= sizeof(t.board))
                return -EINVAL;
        for (size_t i = 0; i < blen; i++) {
                if (s[i] == '-') {
                        if (i == 0 || i == blen - 1 || s[i - 1] == '-')
                                return -EINVAL;
                } else if (!is_alnum(s[i]))
                        return -EINVAL;
        }
        memcpy(t.board, s, blen);
        t.board[blen] = 0;

        *ret = t;
        return 0;
}

const char *nvidia_series_to_string(char series) {
        switch (series) {
        case 'A':
                return "virtual applications";
        case 'B':
                return "virtual PC";
        case 'C':
                return "compute";
        case 'Q':
                return "virtual workstation";
        default:
                return NULL;
        }
}

/* "2048M" or "16G" into MiB. */
static int parse_megabytes(const char *v, size_t n, uint64_t *ret) {
        unsigned x;
        int r;

        if (n < 2)
                return -EINVAL;
        r = safe_atou_n(v, n - 1, &x);
        if (r < 0)
                return r;
        if (v[n - 1] == 'M')
                *ret = x;
        else if (v[n - 1] == 'G')
                *ret = (uint64_t) x * 1024;
        else
                return -EINVAL;
        return 0;
}

static int parse_resolution_n(const char *v, size_t n, unsigned *w, unsigned *h) {
        const char *x = memchr(v, 'x', n);
        int r;

        if (!x)
                return -EINVAL;
        r = safe_atou_n(v, (size_t) (x - v), w);
        if (r < 0)
                return r;
        return safe_atou_n(x + 1, n - (size_t) (x - v) - 1, h);
}

int nvidia_parse_description(const char *s, struct nvidia_description *ret) {
        struct nvidia_description d = {};
        const char *p = s, *end = s + trimmed_len(s);
        int r;

        while (p < end) {
                const char *comma = memchr(p, ',', (size_t) (end - p));
                const char *item_end = comma ? comma : end;

                while (p < item_end && *p == ' ')
                        p++;
                const char *eq = memchr(p, '=', (size_t) (item_end - p));
                if (!eq || eq == p)
                        return -EINVAL;
                size_t klen = (size_t) (eq - p);
                for (size_t i = 0; i < klen; i++)
                        if (!(is_alnum(p[i]) || p[i] == '_'))
                                return -EINVAL;
                const char *v = eq + 1;
                size_t vlen = (size_t) (item_end - v);
                while (vlen > 0 && v[vlen - 1] == ' ')
                        vlen--;
                if (vlen == 0)
                        return -EINVAL;

#define KEY_IS(k) (klen == STRLEN(k) && memcmp(p, k, klen) == 0)
                unsigned bit = 0;
                if (KEY_IS("num_heads")) {
                        bit = NVIDIA_DESC_NUM_HEADS;
                        r = safe_atou_n(v, vlen, &d.num_heads);
                } else if (KEY_IS("frl_config")) {
                        bit = NVIDIA_DESC_FRL_CONFIG;
                        r = safe_atou_n(v, vlen, &d.frl_config);
                } else if (KEY_IS("framebuffer")) {
                        bit = NVIDIA_DESC_FRAMEBUFFER;
                        r = parse_megabytes(v, vlen, &d.framebuffer_mb);
                } else if (KEY_IS("max_resolution")) {
                        bit = NVIDIA_DESC_MAX_RESOLUTION;
                        r = parse_resolution_n(v, vlen, &d.max_width, &d.max_height);
                } else if (KEY_IS("max_instance")) {
                        bit = NVIDIA_DESC_MAX_INSTANCE;
                        r = safe_atou_n(v, vlen, &d.max_instance);
                } else
                        r = 0; /* a key from a newer driver */
#undef KEY_IS
                if (r < 0)
                        return r;
                if (d.present & bit)
                        return -EINVAL; /* a key twice: not what the driver writes */
                d.present |= bit;

                if (!comma)
                        break;
                p = comma + 1;
                if (p >= end)
                        return -EINVAL; /* trailing comma */
        }
        if (d.present == 0)
                return -EINVAL;
        *ret = d;
        return 0;
}

/* Split text into lines without copying: returns the length of the line at
 * *p (without "\n") and advances *p past it. */
static size_t next_line(const char **p, const char *end, const char **ret_line) {
        const char *nl = memchr(*p, '\n', (size_t) (end - *p));
        const char *e = nl ? nl : end;
        size_t n = (size_t) (e - *p);

        *ret_line = *p;
        *p = nl ? nl + 1 : end;
        while (n > 0 && (*ret_line)[n - 1] == '\r')
                n--;
        return n;
}

static bool line_is_blank(const char *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!isspace((unsigned char) l[i]))
                        return false;
        return true;
}

/* "ID    : vGPU Name": the words around the colon, blanks ignored. */
static bool is_header(const char *l, size_t n) {
        const char *colon = memchr(l, ':', n);
        if (!colon)
                return false;
        size_t a = (size_t) (colon - l), b = n - a - 1;
        const char *right = colon + 1;
        while (a > 0 && l[a - 1] == ' ')
                a--;
        while (b > 0 && *right == ' ')
                right++, b--;
        while (b > 0 && right[b - 1] == ' ')
                b--;
        return a == 2 && strncasecmp(l, "ID", 2) == 0 && b == 9 && strncasecmp(right, "vGPU Name", 9) == 0;
}

int nvidia_parse_creatable_types(const char *text, struct nvidia_vfio_type **ret, size_t *ret_n) {
        _cleanup_free_ struct nvidia_vfio_type *v = NULL;
        const char *p = text, *end = text + strlen(text), *l;
        bool header = false;
        size_t n = 0;
        int r;

        while (p < end) {
                size_t len = next_line(&p, end, &l);
                if (line_is_blank(l, len))
                        continue;
                if (!header) {
                        if (!is_header(l, len))
                                return -EINVAL;
                        header = true;
                        continue;
                }

                const char *colon = memchr(l, ':', len);
                if (!colon)
                        return -EINVAL;
                size_t idlen = (size_t) (colon - l);
                while (idlen > 0 && l[idlen - 1] == ' ')
                        idlen--;
                unsigned id;
                r = safe_atou_n(l, idlen, &id);
                if (r < 0)
                        return r;
                if (id == 0)
                        return -EINVAL;

                const char *name = colon + 1;
                size_t nlen = len - (size_t) (name - l);
                while (nlen > 0 && *name == ' ')
                        name++, nlen--;
                while (nlen > 0 && name[nlen - 1] == ' ')
                        nlen--;
                if (nlen == 0 || nlen >= NVIDIA_VFIO_NAME_MAX)
                        return -EINVAL;
                for (size_t i = 0; i < nlen; i++)
                        if (!isprint((unsigned char) name[i]))
                                return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        if (v[i].id == id)
                                return -EINVAL;

                struct nvidia_vfio_type *nv = realloc(v, (n + 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                v = nv;
                v[n].id = id;
                memcpy(v[n].name, name, nlen);
                v[n].name[nlen] = 0;
                n++;
        }
        if (!header)
                return -EINVAL;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int nvidia_parse_current_type(const char *text, unsigned *ret) {
        return safe_atou_n(text, trimmed_len(text), ret);
}
