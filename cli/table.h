/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Aligned text tables for vgpuctl's human output: a header row, columns as
 * wide as their widest cell (counted in characters, not bytes), numbers
 * right-aligned, no trailing blanks, and colour only when asked for (the
 * caller decides: a tty and no NO_COLOR). Cells are copied.
 */
#pragma once

#include <stdio.h>

#include "macro.h"

typedef struct Table Table;

/* The ANSI colour for a cell's value, or NULL for none. */
typedef const char *(*table_color_t)(const char *value);

/* table_new("UUID", "TYPE", NULL): the column headers. */
Table *table_new(const char *header, ...);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free)

void table_set_right_aligned(Table *t, size_t column);
void table_set_color(Table *t, size_t column, table_color_t color);

/* One cell per column, in order; NULL cells print as "-". */
int table_add_row(Table *t, const char *cell, ...);
size_t table_rows(const Table *t);

int table_print(const Table *t, FILE *f, bool color);

/* The display width of a UTF-8 string (code points; vgpud's strings have no wide glyphs). */
size_t utf8_width(const char *s);
