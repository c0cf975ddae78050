/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of output.h. */
#include "output.h"

#define ANSI_GREEN  "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED    "\033[31m"
#define ANSI_CYAN   "\033[36m"

int json_print(json_object *j) {
        const char *s =
                json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || puts(s) < 0 || fflush(stdout) != 0)
                return EXIT_FAILED;
        return EXIT_OK;
}

json_object *json_string(const char *s) {
        return json_object_new_string(s ?: "");
}

json_object *json_strv(char *const *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && v && v[i]; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

const char *color_for_state(const char *state) {
        if (streq(state, "created"))
                return ANSI_GREEN;
        if (streq(state, "assigned"))
                return ANSI_CYAN;
        if (streq(state, "failed"))
                return ANSI_RED;
        return NULL;
}

const char *color_for_available(const char *available) {
        return streq(available, "0") ? ANSI_YELLOW : NULL;
}
