/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VERSION capabilities: parse and format (see caps.h). */
#include <stdio.h>

#include "macro.h"
#include "vfio-user/caps.h"
#include "vfio-user/json.h"
#include "vfio-user/protocol.h"

void vfu_caps_init_defaults(struct vfu_caps *c) {
        *c = (struct vfu_caps){
                .max_msg_fds = VFU_DEFAULT_MAX_MSG_FDS,
                .max_data_xfer_size = VFU_DEFAULT_MAX_DATA_XFER_SIZE,
                .max_dma_maps = VFU_DEFAULT_MAX_DMA_MAPS,
                .pgsizes = VFU_DEFAULT_PGSIZES,
        };
}

static int get_uint(const struct json_value *obj, const char *key, uint64_t *ret) {
        const struct json_value *v = json_get(obj, key);
        if (!v)
                return 0;
        if (v->type != JSON_NUMBER || !v->is_uint)
                return -EINVAL;
        *ret = v->uint;
        return 1;
}

static int get_bool(const struct json_value *obj, const char *key, bool *ret) {
        const struct json_value *v = json_get(obj, key);
        if (!v)
                return 0;
        if (v->type != JSON_BOOL)
                return -EINVAL;
        *ret = v->boolean;
        return 1;
}

int vfu_caps_parse(const char *json, size_t len, struct vfu_caps *ret) {
        _cleanup_(json_freep) struct json_value *root = NULL;
        struct vfu_caps c;
        int r;

        vfu_caps_init_defaults(&c);
        r = json_parse(json, len, &root);
        if (r < 0)
                return r;
        if (root->type != JSON_OBJECT)
                return -EINVAL;

        const struct json_value *caps = json_get(root, "capabilities");
        if (caps) {
                if (caps->type != JSON_OBJECT)
                        return -EINVAL;
                if ((r = get_uint(caps, "max_msg_fds", &c.max_msg_fds)) < 0 ||
                    (r = get_uint(caps, "max_data_xfer_size", &c.max_data_xfer_size)) < 0 ||
                    (r = get_uint(caps, "max_dma_maps", &c.max_dma_maps)) < 0 ||
                    (r = get_uint(caps, "pgsizes", &c.pgsizes)) < 0 ||
                    (r = get_bool(caps, "write_multiple", &c.write_multiple)) < 0)
                        return r;

                const struct json_value *mig = json_get(caps, "migration");
                if (mig) {
                        if (mig->type != JSON_OBJECT)
                                return -EINVAL;
                        c.migration = true;
                        if ((r = get_uint(mig, "pgsize", &c.migration_pgsize)) < 0 ||
                            (r = get_uint(mig, "max_bitmap_size", &c.migration_max_bitmap_size)) < 0)
                                return r;
                }

                const struct json_value *twin = json_get(caps, "twin_socket");
                if (twin) {
                        if (twin->type != JSON_OBJECT)
                                return -EINVAL;
                        if ((r = get_bool(twin, "supported", &c.twin_socket)) < 0)
                                return r;
                }
        }

        /* Values that cannot describe a working connection. */
        if (c.max_data_xfer_size == 0 || c.pgsizes == 0 || c.max_dma_maps == 0)
                return -EINVAL;
        *ret = c;
        return 0;
}

int vfu_caps_format(const struct vfu_caps *c, char *buf, size_t size) {
        int n = snprintf(buf, size,
                         "{\"capabilities\":{\"max_msg_fds\":%llu,\"max_data_xfer_size\":%llu,"
                         "\"pgsizes\":%llu,\"max_dma_maps\":%llu,\"write_multiple\":%s}}",
                         (unsigned long long) c->max_msg_fds, (unsigned long long) c->max_data_xfer_size,
                         (unsigned long long) c->pgsizes, (unsigned long long) c->max_dma_maps,
                         c->write_multiple ? "true" : "false");
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        return n;
}

int vfu_caps_check_server_reply(const struct vfu_caps *c) {
        if (c->max_msg_fds > VFU_QEMU_MAX_MSG_FDS)
                return -EINVAL;
        if (c->max_data_xfer_size > VFU_QEMU_MAX_DATA_XFER_SIZE)
                return -EINVAL;
        if (c->pgsizes & (VFU_DEFAULT_PGSIZES - 1))
                return -EINVAL;
        if (c->max_dma_maps > VFU_DEFAULT_MAX_DMA_MAPS)
                return -EINVAL;
        if (c->migration && ((c->migration_pgsize & (VFU_DEFAULT_PGSIZES - 1)) ||
                             c->migration_max_bitmap_size > 256ull * 1024 * 1024))
                return -EINVAL;
        return 0;
}
