/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sensitive-instruction list (see sensitive.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd-parser.h"
#include "macro.h"
#include "sensitive.h"

void sensitive_policy_default(struct sensitive_policy *p) {
        memset(p, SENSITIVE_BLOCK, sizeof(*p));
        p->action[RPCGPU_OP_REG_WRITE] = SENSITIVE_EMULATE;
}

int sensitive_policy_parse(const char *spec, struct sensitive_policy *ret) {
        struct sensitive_policy p;
        char item[64];

        sensitive_policy_default(&p);
        for (const char *s = spec ?: ""; *s;) {
                size_t n = strcspn(s, ",");
                if (n == 0 || n >= sizeof(item))
                        return -EINVAL;
                memcpy(item, s, n);
                item[n] = 0;
                s += n;
                if (*s == ',' && !*++s)
                        return -EINVAL; /* trailing comma */

                char *eq = strchr(item, '=');
                if (!eq)
                        return -EINVAL;
                *eq = 0;
                int op = cmd_opcode_by_name(item);
                if (op < 0 || !cmd_desc((uint8_t) op)->sensitive)
                        return -EINVAL;
                if (streq(eq + 1, "block"))
                        p.action[op] = SENSITIVE_BLOCK;
                else if (streq(eq + 1, "emulate") && cmd_desc((uint8_t) op)->emulatable)
                        p.action[op] = SENSITIVE_EMULATE;
                else
                        return -EINVAL;
        }
        *ret = p;
        return 0;
}

int sensitive_policy_format(const struct sensitive_policy *p, char *buf, size_t size) {
        size_t used = 0;
        for (unsigned op = 0; op < 256; op++) {
                const struct cmd_desc *d = cmd_desc((uint8_t) op);
                if (!d->name || !d->sensitive)
                        continue;
                int n = snprintf(buf + used, size - used, "%s%s=%s", used ? "," : "", d->name,
                                 p->action[op] == SENSITIVE_EMULATE ? "emulate" : "block");
                if (n < 0 || (size_t) n >= size - used)
                        return -ENOBUFS;
                used += (size_t) n;
        }
        return (int) used;
}
