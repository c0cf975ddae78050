/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope-based cleanup for libxml2's objects, so that the XML code releases
 * documents, nodes, buffers and strings the way the rest of vgpud releases
 * memory: when the variable goes out of scope, TAKE_PTR() to hand it out.
 */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlNodePtr, xmlFreeNode)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)

/* Strings libxml2 allocates (xmlGetNoNsProp, xmlNodeGetContent) go back through xmlFree. */
static inline void xml_freep(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}
#define _cleanup_xml_free_ _cleanup_(xml_freep)
