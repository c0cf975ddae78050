/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sensitive-instruction list: for every command that could reach beyond
 * the guest's own device (engine register writes, address-space switches,
 * privileged MMIO), whether the engine blocks it (the guest enters failsafe)
 * or emulates it (the effect stays inside the instance's virtual state).
 * Configured per engine as text, e.g.
 *     "reg-write=emulate,set-address-space=block,priv-mmio-write=block"
 * Commands not named keep their default (see sensitive_policy_default()).
 */
#pragma once

#include <stdint.h>

enum sensitive_action {
        SENSITIVE_BLOCK = 0,
        SENSITIVE_EMULATE = 1,
};

struct sensitive_policy {
        uint8_t action[256]; /* by opcode; meaningful for sensitive commands only */
};

/* reg-write=emulate, set-address-space=block, priv-mmio-write=block. */
void sensitive_policy_default(struct sensitive_policy *p);
/*
 * Parse a list over the defaults. -EINVAL on an unknown or non-sensitive
 * command, an unknown action, "emulate" for a command that can only be
 * blocked, or a syntax error.
 */
int sensitive_policy_parse(const char *spec, struct sensitive_policy *ret);
/* The list in the same syntax, every sensitive command named. */
int sensitive_policy_format(const struct sensitive_policy *p, char *buf, size_t size);
