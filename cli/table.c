/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of table.h. */
#include <stdarg.h>

#include "table.h"

#define ANSI_BOLD  "\033[1m"
#define ANSI_RESET "\033[0m"

struct Table {
        size_t n_columns;
        char **headers;
        bool *right;
        table_color_t *colors;
        char **cells; /* n_rows * n_columns */
        size_t n_rows, allocated_rows;
};

size_t utf8_width(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

Table *table_new(const char *header, ...) {
        va_list ap;
        size_t n = 0;

        va_start(ap, header);
        for (const char *h = header; h; h = va_arg(ap, const char *))
                n++;
        va_end(ap);
        if (n == 0)
                return NULL;

        Table *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->n_columns = n;
        t->headers = calloc(n, sizeof(char *));
        t->right = calloc(n, sizeof(bool));
        t->colors = calloc(n, sizeof(table_color_t));
        if (!t->headers || !t->right || !t->colors)
                return table_free(t);
        va_start(ap, header);
        size_t i = 0;
        for (const char *h = header; h; h = va_arg(ap, const char *))
                t->headers[i++] = strdup(h);
        va_end(ap);
        for (i = 0; i < n; i++)
                if (!t->headers[i])
                        return table_free(t);
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; t->headers && i < t->n_columns; i++)
                free(t->headers[i]);
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->headers);
        free(t->right);
        free(t->colors);
        free(t->cells);
        free(t);
        return NULL;
}

void table_set_right_aligned(Table *t, size_t column) {
        if (column < t->n_columns)
                t->right[column] = true;
}

void table_set_color(Table *t, size_t column, table_color_t color) {
        if (column < t->n_columns)
                t->colors[column] = color;
}

size_t table_rows(const Table *t) {
        return t->n_rows;
}

int table_add_row(Table *t, const char *cell, ...) {
        va_list ap;

        if (t->n_rows == t->allocated_rows) {
                size_t n = t->allocated_rows ? t->allocated_rows * 2 : 16;
                char **c = realloc(t->cells, n * t->n_columns * sizeof(char *));
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->allocated_rows = n;
        }
        char **row = t->cells + t->n_rows * t->n_columns;
        va_start(ap, cell);
        for (size_t i = 0; i < t->n_columns; i++) {
                const char *v = i == 0 ? cell : va_arg(ap, const char *);
                row[i] = strdup(v ?: "-");
                if (!row[i]) {
                        while (i > 0)
                                free(row[--i]);
                        va_end(ap);
                        return -ENOMEM;
                }
        }
        va_end(ap);
        t->n_rows++;
        return 0;
}

static void print_cell(FILE *f, const char *s, size_t width, bool right, bool last, const char *color) {
        size_t w = utf8_width(s);
        size_t pad = width > w ? width - w : 0;

        if (right)
                fprintf(f, "%*s", (int) pad, "");
        fprintf(f, "%s%s%s", color ?: "", s, color ? ANSI_RESET : "");
        if (!right && !last)
                fprintf(f, "%*s", (int) pad, "");
        if (!last)
                fputs("  ", f);
}

int table_print(const Table *t, FILE *f, bool color) {
        _cleanup_free_ size_t *width = calloc(t->n_columns, sizeof(size_t));

        if (!width)
                return -ENOMEM;
        for (size_t c = 0; c < t->n_columns; c++) {
                width[c] = utf8_width(t->headers[c]);
                for (size_t r = 0; r < t->n_rows; r++)
                        width[c] = MAX(width[c], utf8_width(t->cells[r * t->n_columns + c]));
        }

        for (size_t c = 0; c < t->n_columns; c++)
                print_cell(f, t->headers[c], width[c], t->right[c], c + 1 == t->n_columns,
                           color ? ANSI_BOLD : NULL);
        fputc('\n', f);
        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t c = 0; c < t->n_columns; c++) {
                        const char *v = t->cells[r * t->n_columns + c];
                        const char *col = color && t->colors[c] ? t->colors[c](v) : NULL;
                        print_cell(f, v, width[c], t->right[c], c + 1 == t->n_columns, col);
                }
                fputc('\n', f);
        }
        return fflush(f) == 0 ? 0 : negative_errno();
}
