/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Include this first in every cmocka test: cmocka.h needs these before it. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
