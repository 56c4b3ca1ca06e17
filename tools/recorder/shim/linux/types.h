/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorder (scripts/static_call_sites.c) includes <linux/types.h> from
 * the kernel's tools/include, which the tools' build does not have: the
 * fixed-width types it uses, and nothing else.
 */
#ifndef RECORDER_SHIM_LINUX_TYPES_H
#define RECORDER_SHIM_LINUX_TYPES_H
#include <stdint.h>
typedef int32_t s32;
typedef int64_t s64;
typedef uint32_t u32;
typedef uint64_t u64;
#endif
