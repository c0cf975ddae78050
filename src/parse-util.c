/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of parse-util.h. */
#include <strings.h>

#include "parse-util.h"

int safe_atou_n(const char *s, size_t n, unsigned *ret) {
        uint64_t v = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (s[i] - '0');
                if (v > UINT32_MAX)
                        return -ERANGE;
        }
        *ret = (unsigned) v;
        return 0;
}

int safe_atou64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret) {
        uint64_t v;
        int r = safe_atou64(s, &v);

        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Split "12.5abc" into a number (times 1000; fractional digits beyond the
 * third are ignored) and a suffix. */
static int split_number(const char *s, uint64_t *ret_milli, const char **ret_suffix) {
        uint64_t whole = 0, milli = 0;
        const char *p = s;
        size_t digits = 0;

        for (; *p >= '0' && *p <= '9'; p++, digits++) {
                if (whole > (UINT64_MAX / 1000 - 9) / 10)
                        return -ERANGE;
                whole = whole * 10 + (uint64_t) (*p - '0');
        }
        if (digits == 0)
                return -EINVAL;
        if (*p == '.') {
                unsigned scale = 100, fd = 0;
                for (p++; *p >= '0' && *p <= '9'; p++, fd++)
                        if (scale > 0) {
                                milli += (uint64_t) (*p - '0') * scale;
                                scale /= 10;
                        }
                if (fd == 0)
                        return -EINVAL;
        }
        *ret_milli = whole * 1000 + milli;
        *ret_suffix = p;
        return 0;
}

static int scale_milli(uint64_t milli, uint64_t factor, uint64_t *ret) {
        /* milli * factor / 1000 without overflow for the values we accept */
        uint64_t whole = milli / 1000, frac = milli % 1000;

        if (factor != 0 && whole > UINT64_MAX / factor)
                return -ERANGE;
        uint64_t v = whole * factor;
        uint64_t f = frac * (factor / 1000) + (frac * (factor % 1000)) / 1000;
        if (v > UINT64_MAX - f)
                return -ERANGE;
        *ret = v + f;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                {"", 1},
                {"B", 1},
                {"K", UINT64_C(1) << 10},
                {"KiB", UINT64_C(1) << 10},
                {"KB", UINT64_C(1) << 10},
                {"M", UINT64_C(1) << 20},
                {"MiB", UINT64_C(1) << 20},
                {"MB", UINT64_C(1) << 20},
                {"G", UINT64_C(1) << 30},
                {"GiB", UINT64_C(1) << 30},
                {"GB", UINT64_C(1) << 30},
                {"T", UINT64_C(1) << 40},
                {"TiB", UINT64_C(1) << 40},
                {"TB", UINT64_C(1) << 40},
        };
        const char *suffix;
        uint64_t milli;
        int r;

        if (isempty(s))
                return -EINVAL;
        r = split_number(s, &milli, &suffix);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(suffix, table[i].suffix) == 0) {
                        uint64_t v;
                        if (milli % 1000 != 0 && table[i].factor == 1)
                                return -EINVAL; /* fractional bytes */
                        r = scale_milli(milli, table[i].factor, &v);
                        if (r < 0)
                                return r;
                        *ret = v;
                        return 0;
                }
        return -EINVAL;
}

int parse_duration(const char *s, uint64_t *ret_usec) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                {"", USEC_PER_SEC},         {"us", 1},
                {"ms", USEC_PER_MSEC},      {"s", USEC_PER_SEC},
                {"sec", USEC_PER_SEC},      {"min", 60 * USEC_PER_SEC},
                {"h", 3600 * USEC_PER_SEC},
        };
        const char *suffix;
        uint64_t milli;
        int r;

        if (isempty(s))
                return -EINVAL;
        r = split_number(s, &milli, &suffix);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(suffix, table[i].suffix)) {
                        uint64_t v;
                        r = scale_milli(milli, table[i].factor, &v);
                        if (r < 0)
                                return r;
                        *ret_usec = v;
                        return 0;
                }
        return -EINVAL;
}

int parse_decimal_milli(const char *s, uint64_t *ret) {
        const char *suffix;
        uint64_t milli;
        int r;

        if (isempty(s))
                return -EINVAL;
        r = split_number(s, &milli, &suffix);
        if (r < 0)
                return r;
        if (*suffix)
                return -EINVAL;
        *ret = milli;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = {"1", "yes", "y", "true", "on"};
        static const char *const no[] = {"0", "no", "n", "false", "off"};

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}
