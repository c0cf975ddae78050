/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of attr-cache.h. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr-cache.h"
#include "fileio.h"
#include "hashmap.h"

struct attr_cache {
        pthread_mutex_t lock;
        struct strmap *entries; /* key -> struct entry (the map borrows the entry's key) */
        size_t max;
};

struct entry {
        int fd;
        char key[];
};

int attr_cache_new(size_t max, struct attr_cache **ret) {
        struct attr_cache *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->entries = strmap_new();
        if (!c->entries) {
                free(c);
                return -ENOMEM;
        }
        pthread_mutex_init(&c->lock, NULL);
        c->max = max;
        *ret = c;
        return 0;
}

static void entry_free(struct entry *e) {
        if (!e)
                return;
        close(e->fd);
        free(e);
}

/* With the lock held. */
static void drop_all(struct attr_cache *c) {
        size_t i = 0;
        const char *k;
        void *v;

        /* Collected first: the map borrows the keys from the entries. */
        struct entry **all = calloc(strmap_size(c->entries) + 1, sizeof(*all));
        size_t n = 0;
        while (all && strmap_iterate(c->entries, &i, &k, &v))
                all[n++] = v;
        if (!all) /* no memory to collect them: leave them open rather than lose track of them */
                return;
        strmap_clear(c->entries);
        for (size_t j = 0; j < n; j++)
                entry_free(all[j]);
        free(all);
}

struct attr_cache *attr_cache_free(struct attr_cache *c) {
        if (!c)
                return NULL;
        drop_all(c);
        strmap_free(c->entries);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
}

/* Keep fd under key (taken over: closed if it is not kept, or another is kept already). */
static void keep(struct attr_cache *c, const char *key, int fd) {
        size_t len = strlen(key);
        struct entry *e = malloc(sizeof(*e) + len + 1);
        if (!e) {
                close(fd);
                return;
        }
        memcpy(e->key, key, len + 1);
        e->fd = fd;
        pthread_mutex_lock(&c->lock);
        if (!strmap_get(c->entries, key)) {
                if (strmap_size(c->entries) >= c->max)
                        drop_all(c);
                if (strmap_put(c->entries, e->key, e) >= 0)
                        e = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        entry_free(e);
}

int attr_cache_read(struct attr_cache *c, const char *key, char **ret) {
        int r;

        if (!c)
                return -ENOENT;
        pthread_mutex_lock(&c->lock);
        struct entry *e = strmap_get(c->entries, key);
        if (!e)
                r = -ENOENT;
        else {
                r = read_attr_fd(e->fd, ret);
                if (r < 0 && r != -ENOMEM)
                        entry_free(strmap_remove(c->entries, key));
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

int attr_cache_open_read(struct attr_cache *c, const char *key, int dirfd, const char *name, char **ret) {
        if (!c)
                return read_attr_at(dirfd, name, ret);

        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        int r = read_attr_fd(fd, ret);
        if (r < 0)
                return r;

        keep(c, key, TAKE_FD(fd));
        return 0;
}

void attr_cache_forget_under(struct attr_cache *c, const char *prefix) {
        size_t len = strlen(prefix), i = 0, n = 0;
        const char *k;
        void *v;

        if (!c)
                return;
        pthread_mutex_lock(&c->lock);
        struct entry **gone = calloc(strmap_size(c->entries) + 1, sizeof(*gone));
        if (!gone)
                drop_all(c); /* no memory to pick them: forget all, which is always right */
        else {
                while (strmap_iterate(c->entries, &i, &k, &v))
                        if (strncmp(k, prefix, len) == 0 && k[len] == '/')
                                gone[n++] = v;
                for (size_t j = 0; j < n; j++)
                        entry_free(strmap_remove(c->entries, gone[j]->key));
        }
        free(gone);
        pthread_mutex_unlock(&c->lock);
}

int attr_cache_dir(struct attr_cache *c, const char *key, const char *path) {
        int fd;

        if (c) {
                pthread_mutex_lock(&c->lock);
                struct entry *e = strmap_get(c->entries, key);
                fd = e ? fcntl(e->fd, F_DUPFD_CLOEXEC, 3) : -1;
                pthread_mutex_unlock(&c->lock);
                if (fd >= 0)
                        return fd;
        }
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (!c)
                return fd;

        int kept = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (kept >= 0)
                keep(c, key, kept);
        return fd; /* used, kept or not */
}

void attr_cache_forget(struct attr_cache *c, const char *key) {
        if (!c)
                return;
        pthread_mutex_lock(&c->lock);
        entry_free(strmap_remove(c->entries, key));
        pthread_mutex_unlock(&c->lock);
}
