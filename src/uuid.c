/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of uuid.h. */
#include <stdint.h>
#include <sys/random.h>

#include "uuid.h"

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool uuid_is_valid(const char *s) {
        if (!s || strlen(s) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !is_hex(s[i]))
                        return false;
        }
        return true;
}

int uuid_normalize(const char *s, char out[static UUID_STRING_MAX]) {
        if (!uuid_is_valid(s))
                return -EINVAL;
        for (size_t i = 0; i < 36; i++)
                out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char) (s[i] - 'A' + 'a') : s[i];
        out[36] = 0;
        return 0;
}

static void format_uuid(const uint8_t b[static 16], char out[static UUID_STRING_MAX]) {
        snprintf(out, UUID_STRING_MAX,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void uuid_derive(const char *name, char out[static UUID_STRING_MAX]) {
        /* Two FNV-1a passes with different offsets: stable across runs and machines, and spread well
         * enough for names that differ in one character (addresses). Not cryptographic, not meant to be. */
        uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
        uint8_t b[16];

        for (size_t k = 0; k < 2; k++)
                for (const char *c = name; *c; c++)
                        h[k] = (h[k] ^ (uint8_t) *c) * 0x100000001b3ULL;
        for (size_t i = 0; i < 8; i++) {
                b[i] = (uint8_t) (h[0] >> (56 - 8 * i));
                b[8 + i] = (uint8_t) (h[1] >> (56 - 8 * i));
        }
        b[6] = (uint8_t) ((b[6] & 0x0f) | 0x80); /* version 8: custom */
        b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        format_uuid(b, out);
}

int uuid_generate_random(char out[static UUID_STRING_MAX]) {
        uint8_t b[16];
        size_t got = 0;

        while (got < sizeof(b)) {
                ssize_t k = getrandom(b + got, sizeof(b) - got, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                got += (size_t) k;
        }
        b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40); /* version 4 */
        b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        format_uuid(b, out);
        return 0;
}
