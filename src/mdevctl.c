/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of mdevctl.h. */
#include <dirent.h>
#include <json-c/json.h>
#include <stddef.h>
#include <sys/stat.h>

#include "backend.h"
#include "error.h"
#include "fileio.h"
#include "json-codec.h"
#include "mdevctl.h"
#include "strutil.h"
#include "sysfs.h"

/* "start": "auto" | "manual", into the record's autostart. */
static int start_read(struct json_object *v, void *obj, const JsonField *f, const char *key,
                      char **ret_error) {
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

        if (!streq(s, "auto") && !streq(s, "manual"))
                return reason_set(ret_error, -EINVAL, "%s must be \"auto\" or \"manual\"", key);
        ((struct vgpu_record *) obj)->autostart = streq(s, "auto");
        return 0;
}

static int start_write(const void *obj, const JsonField *f, struct json_object **ret) {
        *ret = json_object_new_string(((const struct vgpu_record *) obj)->autostart ? "auto" : "manual");
        return *ret ? 0 : -ENOMEM;
}

/* mdevctl's key order: mdev_type, start, attrs. A null is what mdevctl reads as absent. */
static const JsonField definition_fields[] = {
        JSON_STRING("mdev_type", struct vgpu_record, type_id, JSON_REQUIRED | JSON_NULLABLE,
                    sysfs_name_is_valid, "is not a valid type id"),
        JSON_CUSTOM("start", JSON_REQUIRED | JSON_NULLABLE, start_read, start_write, NULL),
        RECORD_ATTRS_FIELD(JSON_NULLABLE),
};

/* No version (mdevctl has none); keys mdevctl does not know it ignores, and so do we. */
static const JsonCodec definition_codec = {
        .ignore_unknown = true,
        .fields = definition_fields,
        .n_fields = ELEMENTSOF(definition_fields),
};

int mdevctl_parse(const char *text, size_t len, const char *parent, const char *uuid,
                  struct vgpu_record **ret, char **ret_error) {
        _cleanup_(record_freep) struct vgpu_record *r = NULL;
        int k;

        *ret_error = NULL;
        if (!sysfs_name_is_valid(parent))
                return reason_set(ret_error, -EINVAL, "the parent directory name is not a device name");
        if (!uuid_is_valid(uuid))
                return reason_set(ret_error, -EINVAL, "the file name is not a UUID");
        k = record_new(uuid, VGPU_BACKEND_MDEV, "", &r);
        if (k < 0)
                return k;
        free(r->type_id);
        r->type_id = NULL;
        k = json_codec_parse(&definition_codec, text, len, r, ret_error);
        if (k < 0)
                return k;
        r->parent = strdup(parent);
        if (!r->parent)
                return -ENOMEM;
        r->persistent = true;
        r->origin = RECORD_ORIGIN_MDEVCTL;
        *ret = TAKE_PTR(r);
        return 0;
}

int mdevctl_format(const struct vgpu_record *r, char **ret) {
        if (backend_device_kind(r->backend) != VGPU_DEVICE_MDEV || !r->type_id)
                return -EINVAL;
        return json_codec_format(&definition_codec, r, false, ret); /* mdevctl writes no final newline */
}

char *mdevctl_definition_path(const char *dir, const char *parent, const char *uuid) {
        char *p;
        if (asprintf(&p, "%s/%s/%s", dir, parent, uuid) < 0)
                return NULL;
        return p;
}

static int cmp_record(const void *a, const void *b) {
        return strcmp((*(struct vgpu_record *const *) a)->uuid, (*(struct vgpu_record *const *) b)->uuid);
}

static int push(struct vgpu_record ***v, size_t *n, struct vgpu_record *r) {
        struct vgpu_record **nv = realloc(*v, (*n + 1) * sizeof(*nv));
        if (!nv) {
                record_free(r);
                return -ENOMEM;
        }
        *v = nv;
        (*v)[(*n)++] = r;
        return 0;
}

static int load_parent_dir(const char *dir, const char *parent, struct vgpu_record ***v, size_t *n,
                           struct vgpu_error_list *problems) {
        _cleanup_free_ char *pdir = NULL;
        DIR *d;
        int r = 0;

        if (asprintf(&pdir, "%s/%s", dir, parent) < 0)
                return -ENOMEM;
        d = opendir(pdir);
        if (!d) {
                (void) vgpu_error_list_add(problems, errno, pdir, "Cannot read mdevctl definitions.");
                return 0;
        }
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                _cleanup_free_ char *path = NULL, *text = NULL, *why = NULL;
                struct vgpu_record *rec = NULL;
                struct stat st;
                size_t len;

                if (!uuid_is_valid(de->d_name))
                        continue; /* mdevctl skips these too */
                if (asprintf(&path, "%s/%s", pdir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = read_full_file(path, MDEVCTL_FILE_MAX, &text, &len);
                if (r < 0) {
                        (void) vgpu_error_list_add(problems, r, path, "Cannot read mdevctl definition.");
                        r = 0;
                        continue;
                }
                char uuid[UUID_STRING_MAX];
                (void) uuid_normalize(de->d_name, uuid);
                r = mdevctl_parse(text, len, parent, uuid, &rec, &why);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        (void) vgpu_error_list_add(problems, EINVAL, path,
                                                   "Invalid mdevctl definition, ignored: %s.", strna(why));
                        r = 0;
                        continue;
                }
                r = push(v, n, rec);
        }
        closedir(d);
        return r;
}

int mdevctl_load(const char *dir, struct vgpu_record ***ret, size_t *ret_n,
                 struct vgpu_error_list *problems) {
        struct vgpu_record **v = NULL;
        size_t n = 0;
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (de->d_name[0] == '.' || streq(de->d_name, "scripts.d") ||
                    !sysfs_name_is_valid(de->d_name))
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                r = load_parent_dir(dir, de->d_name, &v, &n, problems);
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

int mdevctl_save(const char *dir, const struct vgpu_record *r, struct vgpu_error *err) {
        _cleanup_free_ char *pdir = NULL, *path = NULL, *text = NULL;
        int k;

        if (backend_device_kind(r->backend) != VGPU_DEVICE_MDEV || !r->persistent)
                return vgpu_error_set(err, EINVAL, NULL, "Only persistent mdev definitions go to mdevctl.");
        if (!r->parent || !sysfs_name_is_valid(r->parent))
                return vgpu_error_set(err, EINVAL, NULL, "An mdevctl definition needs a parent device.");
        if (!uuid_is_valid(r->uuid) || !sysfs_name_is_valid(r->type_id))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid UUID or type id.");
        for (size_t i = 0; i < r->n_attrs; i++)
                if (!attr_name_is_valid(r->attrs[i].name))
                        return vgpu_error_set(err, EINVAL, NULL, "Invalid attribute name \"%s\".",
                                              r->attrs[i].name);

        if (asprintf(&pdir, "%s/%s", dir, r->parent) < 0)
                return -ENOMEM;
        path = mdevctl_definition_path(dir, r->parent, r->uuid);
        if (!path)
                return -ENOMEM;
        k = mkdir_p(pdir, 0755);
        if (k < 0)
                return vgpu_error_set(err, k, pdir, "Cannot create the mdevctl directory.");
        k = mdevctl_format(r, &text);
        if (k < 0)
                return k;
        k = write_file_atomic(path, text, strlen(text), 0644);
        if (k < 0)
                return vgpu_error_set(err, k, path, "Cannot write the mdevctl definition.");
        return 0;
}

int mdevctl_delete(const char *dir, const char *parent, const char *uuid, struct vgpu_error *err) {
        _cleanup_free_ char *pdir = NULL, *path = NULL;

        if (!sysfs_name_is_valid(parent) || !uuid_is_valid(uuid))
                return vgpu_error_set(err, EINVAL, NULL, "Invalid parent or UUID.");
        if (asprintf(&pdir, "%s/%s", dir, parent) < 0)
                return -ENOMEM;
        path = mdevctl_definition_path(dir, parent, uuid);
        if (!path)
                return -ENOMEM;
        if (unlink(path) < 0)
                return vgpu_error_set(err, errno, path, "Cannot remove the mdevctl definition.");
        (void) rmdir(pdir); /* only succeeds when empty, which is what we want */
        return 0;
}
