/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of store.h. */
#include <dirent.h>

#include "fileio.h"
#include "store.h"
#include "strutil.h"

int store_open(const char *state_dir, struct vgpu_store **ret) {
        _cleanup_free_ char *dir = NULL;
        struct vgpu_store *s;
        int r;

        if (isempty(state_dir))
                return -EINVAL;
        if (asprintf(&dir, "%s/" STORE_INSTANCES_DIR, state_dir) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->dir = TAKE_PTR(dir);
        *ret = s;
        return 0;
}

int store_open_volatile(const char *runtime_dir, struct vgpu_store **ret) {
        int r = store_open(runtime_dir, ret);
        if (r >= 0)
                (*ret)->volatile_ = true;
        return r;
}

void store_free(struct vgpu_store *s) {
        if (!s)
                return;
        free(s->dir);
        free(s);
}

char *store_record_path(const struct vgpu_store *s, const char *uuid) {
        char u[UUID_STRING_MAX];
        char *p;

        if (uuid_normalize(uuid, u) < 0)
                return NULL;
        if (asprintf(&p, "%s/%s.json", s->dir, u) < 0)
                return NULL;
        return p;
}

int store_save(struct vgpu_store *s, const struct vgpu_record *r, struct vgpu_error *err) {
        _cleanup_free_ char *problem = NULL, *text = NULL, *path = NULL;
        int k;

        k = record_check(r, &problem);
        if (k < 0)
                return k;
        if (problem)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid record for %s: %s.", r->uuid, problem);
        path = store_record_path(s, r->uuid);
        if (!path)
                return -ENOMEM;
        k = record_to_json(r, &text);
        if (k < 0)
                return k;
        k = s->volatile_ ? write_file_replace(path, text, strlen(text), 0644)
                         : write_file_atomic(path, text, strlen(text), 0644);
        if (k < 0)
                return vgpu_error_set(err, k, path, "Cannot write the record of %s.", r->uuid);
        return 0;
}

int store_delete(struct vgpu_store *s, const char *uuid, struct vgpu_error *err) {
        _cleanup_free_ char *path = store_record_path(s, uuid);

        if (!path)
                return uuid_is_valid(uuid) ? -ENOMEM : vgpu_error_set(err, EINVAL, NULL, "Invalid UUID.");
        if (unlink(path) < 0)
                return vgpu_error_set(err, errno, path, "Cannot remove the record of %s.", uuid);
        return 0;
}

static int load_path(const char *path, const char *expect_uuid, struct vgpu_record **ret,
                     struct vgpu_error *err) {
        _cleanup_free_ char *text = NULL, *why = NULL;
        _cleanup_(record_freep) struct vgpu_record *r = NULL;
        size_t len;
        int k;

        k = read_full_file(path, STORE_RECORD_MAX, &text, &len);
        if (k == -EFBIG)
                return vgpu_error_set(err, EFBIG, path, "Record is larger than %d bytes; not a record.",
                                      STORE_RECORD_MAX);
        if (k < 0)
                return vgpu_error_set(err, k, path, "Cannot read record.");
        k = record_from_json(text, len, &r, &why);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return vgpu_error_set(err, EINVAL, path, "Corrupt record, ignored: %s.", strna(why));
        if (!streq(r->uuid, expect_uuid))
                return vgpu_error_set(err, EINVAL, path,
                                      "Corrupt record, ignored: it names %s but the file is %s.json.",
                                      r->uuid, expect_uuid);
        *ret = TAKE_PTR(r);
        return 0;
}

int store_load_one(struct vgpu_store *s, const char *uuid, struct vgpu_record **ret,
                   struct vgpu_error *err) {
        _cleanup_free_ char *path = store_record_path(s, uuid);
        char u[UUID_STRING_MAX];

        if (uuid_normalize(uuid, u) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID \"%s\".", strna(uuid));
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return vgpu_error_set(err, ENOENT, path, "No record of %s.", u);
        return load_path(path, u, ret, err);
}

/* "<uuid>.json.tmp.<pid>" as write_file_atomic() names its temporary files. */
static bool is_leftover_temp(const char *name) {
        const char *t = strstr(name, ".json.tmp.");
        return t && t - name == 36;
}

static int cmp_record(const void *a, const void *b) {
        return strcmp((*(struct vgpu_record *const *) a)->uuid, (*(struct vgpu_record *const *) b)->uuid);
}

int store_load(struct vgpu_store *s, struct vgpu_record ***ret, size_t *ret_n,
               struct vgpu_error_list *problems) {
        struct vgpu_record **v = NULL;
        size_t n = 0;
        DIR *d;
        int r = 0;

        d = opendir(s->dir);
        if (!d)
                return negative_errno();
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *path = NULL;
                struct vgpu_error e = {};
                struct vgpu_record *rec;
                char uuid[UUID_STRING_MAX];

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                /* subdirectories hold other state (sriov/, bindings/: devfile.h) */
                if (de->d_type == DT_DIR)
                        continue;
                if (asprintf(&path, "%s/%s", s->dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (is_leftover_temp(de->d_name)) {
                        int k = unlink(path) < 0 ? negative_errno() : 0;
                        (void) vgpu_error_list_add(
                                problems, k, path,
                                k < 0 ? "Temporary file of an interrupted write; cannot remove it."
                                      : "Temporary file of an interrupted write, removed (the "
                                        "record it would have replaced is intact).");
                        continue;
                }
                bool named_right = strlen(de->d_name) == 41 && endswith(de->d_name, ".json");
                if (named_right) {
                        memcpy(uuid, de->d_name, 36);
                        uuid[36] = 0;
                        named_right = uuid_is_valid(uuid);
                }
                if (!named_right) {
                        (void) vgpu_error_list_add(problems, 0, path,
                                                   "Not a record (expected <uuid>.json), ignored.");
                        continue;
                }
                ascii_strlower(uuid);
                r = load_path(path, uuid, &rec, &e);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        (void) vgpu_error_list_take(problems, &e);
                        r = 0;
                        continue;
                }
                struct vgpu_record **nv = realloc(v, (n + 1) * sizeof(*nv));
                if (!nv) {
                        record_free(rec);
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[n++] = rec;
        }
        closedir(d);
        if (r < 0) {
                records_free(v, n);
                return r;
        }
        if (n > 0)
                qsort(v, n, sizeof(*v), cmp_record);
        *ret = v;
        *ret_n = n;
        return 0;
}
