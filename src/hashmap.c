/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of hashmap.h. */
#include <stdint.h>

#include "hashmap.h"

struct slot {
        const char *key; /* NULL: empty */
        void *value;
        uint32_t hash;
};

struct strmap {
        struct slot *slots;
        size_t cap; /* power of two, or 0 */
        size_t size;
};

/* FNV-1a: short keys (BDFs, UUIDs, aliases), no adversary who controls many keys. */
static uint32_t hash_string(const char *s) {
        uint32_t h = 2166136261u;

        for (; *s; s++) {
                h ^= (uint8_t) *s;
                h *= 16777619u;
        }
        return h;
}

struct strmap *strmap_new(void) {
        return calloc(1, sizeof(struct strmap));
}

void strmap_free(struct strmap *m) {
        if (!m)
                return;
        free(m->slots);
        free(m);
}

static size_t find_slot(const struct strmap *m, const char *key, uint32_t h) {
        size_t mask = m->cap - 1;

        for (size_t i = h & mask;; i = (i + 1) & mask) {
                const struct slot *s = &m->slots[i];
                if (!s->key || (s->hash == h && streq(s->key, key)))
                        return i;
        }
}

static int grow(struct strmap *m) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        struct slot *old = m->slots, *n = calloc(ncap, sizeof(struct slot));
        size_t ocap = m->cap;

        if (!n)
                return -ENOMEM;
        m->slots = n;
        m->cap = ncap;
        for (size_t i = 0; i < ocap; i++)
                if (old[i].key)
                        m->slots[find_slot(m, old[i].key, old[i].hash)] = old[i];
        free(old);
        return 0;
}

static int insert(struct strmap *m, const char *key, void *value, bool overwrite) {
        uint32_t h = hash_string(key);
        size_t i;

        /* keep the load factor under 3/4 so probes stay short and always end */
        if ((m->size + 1) * 4 > m->cap * 3) {
                int r = grow(m);
                if (r < 0)
                        return r;
        }
        i = find_slot(m, key, h);
        if (m->slots[i].key) {
                if (!overwrite)
                        return -EEXIST;
                m->slots[i].key = key;
                m->slots[i].value = value;
                return 0;
        }
        m->slots[i] = (struct slot){.key = key, .value = value, .hash = h};
        m->size++;
        return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value) {
        return insert(m, key, value, false);
}

int strmap_replace(struct strmap *m, const char *key, void *value) {
        return insert(m, key, value, true);
}

void *strmap_get(const struct strmap *m, const char *key) {
        if (!m || m->size == 0)
                return NULL;
        size_t i = find_slot(m, key, hash_string(key));
        return m->slots[i].key ? m->slots[i].value : NULL;
}

void *strmap_remove(struct strmap *m, const char *key) {
        if (!m || m->size == 0)
                return NULL;

        size_t mask = m->cap - 1, i = find_slot(m, key, hash_string(key));
        if (!m->slots[i].key)
                return NULL;
        void *value = m->slots[i].value;

        /* Backward-shift: move later entries of the probe run into the hole
         * when their home slot does not lie cyclically in (hole, j]. */
        for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
                size_t home = m->slots[j].hash & mask;
                bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
                if (stays)
                        continue;
                m->slots[i] = m->slots[j];
                i = j;
        }
        m->slots[i] = (struct slot){};
        m->size--;
        return value;
}

size_t strmap_size(const struct strmap *m) {
        return m ? m->size : 0;
}

void strmap_clear(struct strmap *m) {
        if (!m)
                return;
        if (m->slots)
                memset(m->slots, 0, m->cap * sizeof(struct slot));
        m->size = 0;
}

bool strmap_iterate(const struct strmap *m, size_t *i, const char **ret_key, void **ret_value) {
        if (!m)
                return false;
        for (; *i < m->cap; (*i)++)
                if (m->slots[*i].key) {
                        if (ret_key)
                                *ret_key = m->slots[*i].key;
                        if (ret_value)
                                *ret_value = m->slots[*i].value;
                        (*i)++;
                        return true;
                }
        return false;
}
