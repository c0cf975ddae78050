/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of daemon/bus-error.c: the errno-to-D-Bus-error table and the host-failure message. */

#include "unit.h"

#include "bus-error.h"
#include "bus-names.h"

static void test_lookup_subjects(void **state) {
        assert_string_equal(bus_error_name_for(-ENOENT, SUBJECT_GPU), VGPUD_ERROR_NO_SUCH_GPU);
        assert_string_equal(bus_error_name_for(-ENODEV, SUBJECT_GPU), VGPUD_ERROR_NO_SUCH_GPU);
        assert_string_equal(bus_error_name_for(-ENOENT, SUBJECT_TYPE), VGPUD_ERROR_NO_SUCH_TYPE);
        assert_string_equal(bus_error_name_for(-ENOENT, SUBJECT_INSTANCE), VGPUD_ERROR_NO_SUCH_INSTANCE);
        assert_string_equal(bus_error_name_for(ENOENT, SUBJECT_INSTANCE), VGPUD_ERROR_NO_SUCH_INSTANCE);
        assert_string_equal(bus_error_name_for(-ENOENT, SUBJECT_ARGUMENT), DBUS_ERROR_INVALID_ARGS);
}

static void test_any_subject(void **state) {
        static const struct {
                int error;
                const char *name;
        } rows[] = {
                {EINVAL, DBUS_ERROR_INVALID_ARGS},
                {ERANGE, DBUS_ERROR_INVALID_ARGS},
                {EACCES, DBUS_ERROR_ACCESS_DENIED},
                {EPERM, DBUS_ERROR_ACCESS_DENIED},
                {ENOTUNIQ, VGPUD_ERROR_AMBIGUOUS_TYPE},
                {EEXIST, VGPUD_ERROR_INSTANCE_EXISTS},
                {ENOSPC, VGPUD_ERROR_NO_CAPACITY},
                {EBUSY, VGPUD_ERROR_IN_USE},
                {EALREADY, VGPUD_ERROR_BUSY},
                {EDQUOT, VGPUD_ERROR_ADMISSION_DENIED},
                {EOPNOTSUPP, VGPUD_ERROR_NOT_SUPPORTED},
                {EIO, VGPUD_ERROR_IO},
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                for (ErrorSubject s = SUBJECT_ARGUMENT; s < SUBJECT_HOST; s++)
                        assert_string_equal(bus_error_name_for(-rows[i].error, s), rows[i].name);
        /* Nothing vgpud-specific: sd-bus's generic mapping applies. */
        assert_null(bus_error_name_for(-ENOMEM, SUBJECT_INSTANCE));
}

static void test_host_subject(void **state) {
        /* A sysfs write: the errno describes the device, never the caller's arguments. */
        assert_string_equal(bus_error_name_for(-EEXIST, SUBJECT_HOST), VGPUD_ERROR_INSTANCE_EXISTS);
        assert_string_equal(bus_error_name_for(-EBUSY, SUBJECT_HOST), VGPUD_ERROR_IN_USE);
        assert_string_equal(bus_error_name_for(-EAGAIN, SUBJECT_HOST), VGPUD_ERROR_IN_USE);
        assert_string_equal(bus_error_name_for(-EINVAL, SUBJECT_HOST), VGPUD_ERROR_IO);
        assert_string_equal(bus_error_name_for(-ENOSPC, SUBJECT_HOST), VGPUD_ERROR_IO);
        assert_string_equal(bus_error_name_for(-EACCES, SUBJECT_HOST), VGPUD_ERROR_IO);
        assert_string_equal(bus_error_name_for(-ENODEV, SUBJECT_HOST), VGPUD_ERROR_IO);
        assert_string_equal(bus_error_name_for(-ENOMEM, SUBJECT_HOST), VGPUD_ERROR_IO);
}

static void test_set_host_message(void **state) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        assert_int_equal(bus_error_set_host(&e, -ENOSPC, "write", "/sys/devices/x/create"), -ENOSPC);
        assert_string_equal(e.name, VGPUD_ERROR_IO);
        assert_string_equal(e.message, "write /sys/devices/x/create: No space left on device (ENOSPC)");
        sd_bus_error_free(&e);

        assert_int_equal(bus_error_set_host(&e, -EBUSY, "write", "/sys/bus/mdev/devices/u/remove"), -EBUSY);
        assert_string_equal(e.name, VGPUD_ERROR_IN_USE);
        assert_non_null(strstr(e.message, "(EBUSY)"));
        sd_bus_error_free(&e);
}

static void test_setf(void **state) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        assert_int_equal(bus_error_setf(&e, -ENOENT, SUBJECT_INSTANCE, "No instance %s", "abc"), -ENOENT);
        assert_string_equal(e.name, VGPUD_ERROR_NO_SUCH_INSTANCE);
        assert_string_equal(e.message, "No instance abc");
        sd_bus_error_free(&e);

        /* Unknown to vgpud: sd-bus's own name, our message. */
        assert_int_equal(bus_error_setf(&e, -ENOMEM, SUBJECT_ARGUMENT, "too big"), -ENOMEM);
        assert_string_equal(e.name, SD_BUS_ERROR_NO_MEMORY);
        assert_string_equal(e.message, "too big");
        sd_bus_error_free(&e);

        /* A caller bug (r >= 0) must still fail the call. */
        assert_true(bus_error_setf(&e, 0, SUBJECT_ARGUMENT, "oops") < 0);
        assert_true(sd_bus_error_is_set(&e));
        sd_bus_error_free(&e);
}

/* Only 1- and 2-byte characters occur here: each lead byte 110xxxxx is followed by one 10xxxxxx. */
static bool utf8_two_byte_valid(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x80)
                        continue;
                if ((c & 0xE0) != 0xC0 || i + 1 >= n || ((unsigned char) s[i + 1] & 0xC0) != 0x80)
                        return false;
                i++;
        }
        return true;
}

static void test_setf_clips_long_messages(void **state) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char big[3000];

        /* 'é' is two bytes; the two prefixes put the cut after a whole one and inside one */
        for (size_t i = 0; i + 2 < sizeof(big); i += 2)
                memcpy(big + i, "é", 2);
        big[sizeof(big) - 2] = '\0';
        for (const char *const *prefix = (const char *const[]){"No type '", "No type ", NULL}; *prefix;
             prefix++) {
                assert_int_equal(bus_error_setf(&e, -ENOENT, SUBJECT_TYPE, "%s%s", *prefix, big), -ENOENT);
                size_t n = strlen(e.message), body = n - strlen("…");
                assert_true(n <= BUS_ERROR_MESSAGE_MAX && n > BUS_ERROR_MESSAGE_MAX - 8);
                assert_string_equal(e.message + body, "…");
                assert_memory_equal(e.message, *prefix, strlen(*prefix));
                assert_true(utf8_two_byte_valid(e.message, body));
                sd_bus_error_free(&e);
        }

        /* at the limit: unchanged */
        memset(big, 'x', BUS_ERROR_MESSAGE_MAX);
        big[BUS_ERROR_MESSAGE_MAX] = '\0';
        assert_int_equal(bus_error_setf(&e, -EINVAL, SUBJECT_ARGUMENT, "%s", big), -EINVAL);
        assert_string_equal(e.message, big);
        sd_bus_error_free(&e);
}

static void test_errno_name(void **state) {
        char buf[16];
        assert_string_equal(errno_name(-ENOSPC, buf), "ENOSPC");
        assert_string_equal(errno_name(EEXIST, buf), "EEXIST");
        assert_string_equal(errno_name(4095, buf), "E4095");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup_subjects),
                cmocka_unit_test(test_any_subject),
                cmocka_unit_test(test_host_subject),
                cmocka_unit_test(test_set_host_message),
                cmocka_unit_test(test_setf),
                cmocka_unit_test(test_setf_clips_long_messages),
                cmocka_unit_test(test_errno_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
