/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Executable code more than 128 MiB away from the kernel and its modules.
 *
 * A module cannot map executable memory where it likes: vmap() and
 * vmap_pfn() force PXN, and __vmalloc_node_range(), set_memory_x() and
 * execmem_alloc() are not exported. The rig's KUnit suite is built into
 * every kernel the rig makes, and exports a64sc_far_code_alloc() for the
 * test modules: it copies code to a page more than 256 MiB from the kernel
 * image (vmalloc space above it, or below it if there is no room above;
 * guarded for BTI when kernel BTI is on). Above the image it is also out
 * of B range of every module, which are placed below the image's end;
 * below it, it may not be, so every user checks the distance it needs.
 *
 * Modules reach it with symbol_get(), so that they still load on a kernel
 * without the rig's KUnit graft; sc_far_alloc() then returns -ENOENT.
 */
#ifndef _SC_FAR_H
#define _SC_FAR_H

#include <linux/errno.h>
#include <linux/module.h>
#include <linux/types.h>

void *a64sc_far_code_alloc(const void *code, size_t len);
void a64sc_far_code_free(void *page);

#ifdef MODULE
/* Copy @len bytes of code to far executable memory: @*page on success. */
static inline int sc_far_alloc(const void *code, size_t len, void **page)
{
	void *(*alloc)(const void *code, size_t len);

	*page = NULL;
	alloc = symbol_get(a64sc_far_code_alloc);
	if (!alloc)
		return -ENOENT;
	*page = alloc(code, len);
	symbol_put(a64sc_far_code_alloc);
	return *page ? 0 : -ENOMEM;
}

static inline void sc_far_free(void *page)
{
	void (*free)(void *page);

	if (!page)
		return;
	free = symbol_get(a64sc_far_code_free);
	if (free) {
		free(page);
		symbol_put(a64sc_far_code_free);
	}
}
#endif

#endif /* _SC_FAR_H */
