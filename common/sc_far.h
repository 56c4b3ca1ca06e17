/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Executable code more than 128 MiB away from a module, for modules.
 *
 * A module cannot ask for executable memory at an address of its choosing
 * (__vmalloc_node_range() and execmem_alloc() are not exported). It can
 * vmap() pages with PAGE_KERNEL_ROX, though, and vmap() space lies above
 * the module region (MODULES_END == VMALLOC_START on arm64). So map one
 * page of code SC_FAR_PAGES times in a row, 256 MiB and a page in all: the
 * last copy starts more than 256 MiB above the mapping's start, hence more
 * than 128 MiB from anything in the module region or in the kernel image
 * below it. The page tables of the mapping cost about 0.5 MiB; the memory
 * behind it is the one page.
 *
 * The page is mapped without the BTI guarded-page bit (PAGE_KERNEL_ROX
 * does not set it), so an indirect branch to it is not BTI-checked. The
 * KUnit suite's far pages (built in, __vmalloc_node_range() with
 * set_memory_rox()) are guarded, and cover that.
 */
#ifndef _SC_FAR_H
#define _SC_FAR_H

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/cacheflush.h>

#define SC_FAR_PAGES	(SZ_256M / PAGE_SIZE + 1)

struct sc_far {
	struct page *page;
	void *map;		/* start of the SC_FAR_PAGES copies */
	void *code;		/* the last copy: the far code */
};

/*
 * Copy @len bytes of position-independent code from @src to the start of a
 * page and map it as described above. On success @f->code is the far copy.
 */
static inline int sc_far_map(struct sc_far *f, const void *src, size_t len)
{
	struct page **pages;
	unsigned long i;
	void *lin;

	memset(f, 0, sizeof(*f));
	if (!len || len > PAGE_SIZE)
		return -EINVAL;
	f->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!f->page)
		return -ENOMEM;
	lin = page_address(f->page);
	memcpy(lin, src, len);
	caches_clean_inval_pou((unsigned long)lin, (unsigned long)lin + len);

	pages = kvmalloc_array(SC_FAR_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		goto fail;
	for (i = 0; i < SC_FAR_PAGES; i++)
		pages[i] = f->page;
	f->map = vmap(pages, SC_FAR_PAGES, VM_MAP, PAGE_KERNEL_ROX);
	kvfree(pages);
	if (!f->map)
		goto fail;
	f->code = f->map + (SC_FAR_PAGES - 1) * PAGE_SIZE;
	return 0;
fail:
	__free_page(f->page);
	f->page = NULL;
	return -ENOMEM;
}

/* Unmap and free; nothing may call or be aimed at @f->code any more. */
static inline void sc_far_unmap(struct sc_far *f)
{
	if (f->map)
		vunmap(f->map);
	if (f->page)
		__free_page(f->page);
	memset(f, 0, sizeof(*f));
}

#endif /* _SC_FAR_H */
