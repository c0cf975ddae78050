/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Human names of PCI devices ("NVIDIA Corporation", "Tesla T4") from udev's
 * hardware database (hwdb.bin, built from pci.ids), the same source lspci
 * and udev use. The hwdb is looked up by modalias, so no udev daemon or
 * device database is needed.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

struct udev;

typedef struct PciNames {
        char *vendor; /* "NVIDIA Corporation", NULL if unknown */
        char *model;  /* "TU104GL [Tesla T4]", NULL if unknown */
} PciNames;

int pci_names_lookup(struct udev *udev, uint16_t vendor, uint16_t device, uint16_t subvendor,
                     uint16_t subdevice, uint32_t class_code, PciNames *ret);
void pci_names_done(PciNames *n);

/* The board name from a hwdb model string: the bracketed part when there is
 * one ("TU104GL [Tesla T4]" -> "Tesla T4"), else the whole string. */
char *pci_board_name(const char *model);
