/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sched-store.h. */
#include <dirent.h>
#include <stddef.h>

#include "error.h"
#include "fileio.h"
#include "json-codec.h"
#include "pci.h"
#include "sched-store.h"
#include "strutil.h"

int sched_store_open(const char *state_dir, struct sched_store **ret) {
        _cleanup_free_ char *dir = NULL;
        struct sched_store *s;
        int r;

        if (isempty(state_dir))
                return -EINVAL;
        if (asprintf(&dir, "%s/" SCHED_STORE_DIR, state_dir) < 0)
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

void sched_store_free(struct sched_store *s) {
        if (!s)
                return;
        free(s->dir);
        free(s);
}

static char *entry_path(const struct sched_store *s, const char *address) {
        char bdf[PCI_BDF_MAX];
        char *p;

        if (pci_bdf_normalize(address, bdf) < 0)
                return NULL;
        if (asprintf(&p, "%s/%s.json", s->dir, bdf) < 0)
                return NULL;
        return p;
}

/* "scheduler": quota.h's persistence form, which quota.c reads and checks. */
static int scheduler_read(struct json_object *v, void *obj, const JsonField *f, const char *key,
                          char **ret_error) {
        return sched_settings_from_json(v, &((struct sched_store_entry *) obj)->settings, ret_error);
}

static int scheduler_write(const void *obj, const JsonField *f, struct json_object **ret) {
        return sched_settings_to_json(&((const struct sched_store_entry *) obj)->settings, ret);
}

static const JsonField entry_fields[] = {
        JSON_NAME("gpu", struct sched_store_entry, address, JSON_REQUIRED, pci_bdf_normalize,
                  "is not a PCI address like 0000:3b:00.0"),
        JSON_CUSTOM("scheduler", JSON_REQUIRED, scheduler_read, scheduler_write, NULL),
};

static const JsonCodec entry_codec = {
        .version = SCHED_STORE_VERSION,
        .fields = entry_fields,
        .n_fields = ELEMENTSOF(entry_fields),
};

int sched_store_format(const char *address, const struct sched_settings *settings, char **ret) {
        struct sched_store_entry e = {.settings = *settings};
        int r;

        r = pci_bdf_normalize(address, e.address);
        if (r < 0)
                return r;
        return json_codec_format(&entry_codec, &e, true, ret);
}

int sched_store_parse(const char *text, size_t len, struct sched_store_entry *ret, char **ret_error) {
        struct sched_store_entry e = {};
        int r;

        r = json_codec_parse(&entry_codec, text, len, &e, ret_error);
        if (r < 0)
                return r;
        *ret = e;
        return 0;
}

int sched_store_save(struct sched_store *s, const char *address, const struct sched_settings *settings,
                     struct vgpu_error *err) {
        _cleanup_free_ char *path = entry_path(s, address), *text = NULL;
        int r;

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid GPU address \"%s\".", strna(address));
        r = sched_store_format(address, settings, &text);
        if (r < 0)
                return r;
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return vgpu_error_set(err, r, path, "Cannot write the scheduler settings of GPU %s.",
                                      address);
        return 0;
}

int sched_store_delete(struct sched_store *s, const char *address, struct vgpu_error *err) {
        _cleanup_free_ char *path = entry_path(s, address);

        if (!path)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid GPU address \"%s\".", strna(address));
        if (unlink(path) < 0)
                return vgpu_error_set(err, errno, path, "Cannot remove the scheduler settings of GPU %s.",
                                      address);
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const struct sched_store_entry *) a)->address,
                      ((const struct sched_store_entry *) b)->address);
}

int sched_store_load(struct sched_store *s, struct sched_store_entry **ret, size_t *ret_n,
                     struct vgpu_error_list *problems) {
        _cleanup_free_ struct sched_store_entry *v = NULL;
        size_t n = 0;
        DIR *d;
        int r = 0;

        d = opendir(s->dir);
        if (!d)
                return negative_errno();
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *path = NULL, *text = NULL, *why = NULL;
                struct sched_store_entry e;
                char bdf[PCI_BDF_MAX];
                size_t len;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&path, "%s/%s", s->dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (strstr(de->d_name, ".json.tmp.")) {
                        /* an interrupted write: the file it would have replaced is intact */
                        int k = unlink(path) < 0 ? negative_errno() : 0;
                        (void) vgpu_error_list_add(
                                problems, k, path,
                                k < 0 ? "Temporary file of an interrupted write; cannot remove it."
                                      : "Temporary file of an interrupted write, removed.");
                        continue;
                }
                _cleanup_free_ char *stem =
                        endswith(de->d_name, ".json") ? strndup(de->d_name, strlen(de->d_name) - 5) : NULL;
                if (!stem || pci_bdf_normalize(stem, bdf) < 0 || !streq(stem, bdf)) {
                        (void) vgpu_error_list_add(
                                problems, 0, path,
                                "Not a GPU's scheduler settings (expected <address>.json), ignored.");
                        continue;
                }
                r = read_full_file(path, SCHED_STORE_MAX, &text, &len);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        (void) vgpu_error_list_add(problems, r, path, "Cannot read the scheduler settings.");
                        r = 0;
                        continue;
                }
                r = sched_store_parse(text, len, &e, &why);
                if (r == -ENOMEM)
                        break;
                if (r >= 0 && !streq(e.address, bdf)) {
                        r = -EINVAL;
                        free(why);
                        why = NULL;
                        (void) asprintf(&why, "it names GPU %s but the file is %s.json", e.address, bdf);
                }
                if (r < 0) {
                        (void) vgpu_error_list_add(
                                problems, EINVAL, path,
                                "Corrupt scheduler settings, ignored (the vendor's defaults "
                                "apply): %s.",
                                strna(why));
                        r = 0;
                        continue;
                }
                struct sched_store_entry *nv = realloc(v, (n + 1) * sizeof(*nv));
                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[n++] = e;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (n > 0)
                qsort(v, n, sizeof(*v), cmp_entry);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}
