/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: the VERSION message and its capabilities document, as a
 * client's first message reaches the engine (vfu_decode_version, the JSON
 * reader, vfu_caps_parse) and as a server's reply reaches the client
 * (vfu_caps_check_server_reply). A document that parses must format and
 * parse back to the same values.
 */
#include <stdlib.h>
#include <string.h>

#include "vfio-user/caps.h"
#include "vfio-user/codec.h"
#include "vfio-user/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct vfu_version v;
        struct vfu_caps c, back;
        const char *json;
        size_t len;
        char buf[512];

        if (vfu_decode_version(data, size, &v, &json, &len) < 0 || !json)
                json = (const char *) data, len = size;
        if (vfu_caps_parse(json, len, &c) < 0)
                return 0;
        (void) vfu_caps_check_server_reply(&c);
        int n = vfu_caps_format(&c, buf, sizeof(buf));
        if (n < 0 || vfu_caps_parse(buf, (size_t) n, &back) < 0)
                abort();
        if (back.max_msg_fds != c.max_msg_fds || back.max_data_xfer_size != c.max_data_xfer_size ||
            back.max_dma_maps != c.max_dma_maps || back.pgsizes != c.pgsizes ||
            back.write_multiple != c.write_multiple)
                abort();
        return 0;
}
