/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of args.h. */
#include <strings.h>

#include "args.h"

int attr_parse(const char *s, char **ret_key, char **ret_value) {
        const char *eq = strchr(s, '=');

        if (!eq || eq == s)
                return -EINVAL;
        _cleanup_free_ char *key = strndup(s, (size_t) (eq - s));
        if (!key)
                return -ENOMEM;
        if (streq(key, ".") || streq(key, "..") || strchr(key, '/'))
                return -EINVAL;
        char *value = strdup(eq + 1);
        if (!value)
                return -ENOMEM;
        *ret_key = TAKE_PTR(key);
        *ret_value = value;
        return 0;
}

int attr_list_add(AttrList *l, const char *s) {
        _cleanup_free_ char *k = NULL, *v = NULL;
        int r;

        r = attr_parse(s, &k, &v);
        if (r < 0)
                return r;
        char **nk = realloc(l->keys, (l->n + 1) * sizeof(char *));
        if (!nk)
                return -ENOMEM;
        l->keys = nk;
        char **nv = realloc(l->values, (l->n + 1) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        l->values = nv;
        l->keys[l->n] = TAKE_PTR(k);
        l->values[l->n] = TAKE_PTR(v);
        l->n++;
        return 0;
}

void attr_list_done(AttrList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->keys[i]);
                free(l->values[i]);
        }
        free(l->keys);
        free(l->values);
        *l = (AttrList){};
}

int parse_on_off(const char *s) {
        static const char *const yes[] = {"on", "yes", "true", "1", "enable"};
        static const char *const no[] = {"off", "no", "false", "0", "disable"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

int create_options_append(sd_bus_message *m, const CreateOptions *o) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        if (o->persistent) {
                r = sd_bus_message_append(m, "{sv}", "persistent", "b", 1);
                if (r < 0)
                        return r;
        }
        if (o->autostart) {
                r = sd_bus_message_append(m, "{sv}", "autostart", "b", 1);
                if (r < 0)
                        return r;
        }
        if (o->placement) {
                r = sd_bus_message_append(m, "{sv}", "placement", "s", o->placement);
                if (r < 0)
                        return r;
        }
        if (o->share > 0 || o->weight > 0) {
                r = sd_bus_message_append(m, "{sv}", o->share > 0 ? "share" : "weight", "u",
                                          o->share > 0 ? o->share : o->weight);
                if (r < 0)
                        return r;
        }
        if (o->attrs.n > 0) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "attrs");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (size_t i = 0; r >= 0 && i < o->attrs.n; i++)
                        r = sd_bus_message_append(m, "(ss)", o->attrs.keys[i], o->attrs.values[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

void create_options_done(CreateOptions *o) {
        attr_list_done(&o->attrs);
}
