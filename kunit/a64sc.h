/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared declarations of the KUnit suite "arm64_static_call", whose
 * a64sc_*.c files are linked into one object, arm64_static_call_kunit.o
 * (see a64sc_suite.c for the list).
 */
#ifndef _A64SC_H
#define _A64SC_H

#include <kunit/test.h>
#include <linux/static_call.h>
#include <linux/types.h>

#define A64SC_ARG	7
#define A64SC_A_ADD	1000
#define A64SC_B_ADD	2000
#define A64SC_C_ADD	4000
#define A64SC_FAR_VAL	3000	/* returned by the far function */

typedef int a64sc_fn_t(int x);

/*
 * The bounds of vmlinux's .static_call.text, which STATIC_CALL_TEXT defines
 * in the linker script. The series declares them in asm/sections.h; a
 * kernel with mainline's own trampolines does not, so declare them here
 * too (the same declaration).
 */
extern char __static_call_text_start[], __static_call_text_end[];

/* Targets (a64sc_helpers.c). */
int a64sc_a(int x);
int a64sc_b(int x);
int a64sc_c(int x);
extern int a64sc_counter;
int a64sc_counting(int x);

struct a64sc_obj {
	long val;
};

/* A static call of type a64sc_fn_t, for the table-driven helpers. */
struct a64sc_key {
	const char *name;
	struct static_call_key *key;
	void *tramp;		/* NULL without CONFIG_HAVE_STATIC_CALL */
	int (*call)(int x);
};

/*
 * A64SC_TAIL_STUB(name, key): int name(int), written in assembly as a BTI
 * landing pad and a plain B to @key's trampoline, with the caller's LR
 * live: the tail call a compiler emits, without depending on whether it
 * chooses to emit one.
 */
#define A64SC_TAIL_STUB(name, key)					\
	int name(int x);						\
	asm("	.pushsection .text, \"ax\"\n"				\
	    "	.balign	4\n"						\
	    "	.globl	" #name "\n"					\
	    "	.type	" #name ", %function\n"				\
	    #name ":\n"							\
	    "	hint	34\n"						\
	    "	b	" STATIC_CALL_TRAMP_STR(key) "\n"			\
	    "	.size	" #name ", . - " #name "\n"			\
	    "	.popsection\n")

#define A64SC_KEY(k)						\
	{ .name = #k, .key = &STATIC_CALL_KEY(k),		\
	  .tramp = STATIC_CALL_TRAMP_ADDR(k), .call = k##_call }

/* The key of in_range (a64sc_range.c), which kprobe_refused probes too. */
extern const struct a64sc_key a64sc_in_range_key;

/*
 * static_call_update() of a table key; @func is a a64sc_fn_t or NULL.
 * Inline, as when it was static in the one file: a case that updates its
 * key only through it passes the key to no other file, so the compiler
 * can still drop the key's unused k##_call (and that call site).
 */
static inline void a64sc_set(const struct a64sc_key *k, void *func)
{
	__static_call_update(k->key, k->tramp, func);
}

/*
 * The arm64 text patching entry point the inline cases use to put a
 * foreign instruction in a call site. Its header is asm/patching.h on 6.12
 * and asm/text-patching.h on mainline; the declaration is the same.
 */
int aarch64_insn_patch_text_nosync(void *addr, u32 insn);

/* Helpers shared by the cases (a64sc_helpers.c). */
void a64sc_require(struct kunit *test, const void *tramp);
void a64sc_require_slot(struct kunit *test, const void *tramp);
void a64sc_expect_tramp(struct kunit *test, const char *ctx,
			const char *name, const void *tramp,
			const void *func);
void a64sc_check(struct kunit *test, const char *ctx,
		 const struct a64sc_key *k, void *func, int expect);
void *a64sc_far_alloc_from(struct kunit *test, u16 value,
			   unsigned long from);
void *a64sc_far_alloc(struct kunit *test, u16 value);
void a64sc_restore_at_end(struct kunit *test, const struct a64sc_key *k);

struct a64sc_state {
	const char *name;
	void *func;
	int value;		/* result of a call with A64SC_ARG */
};

void a64sc_states(struct a64sc_state *s, void *far, int arg);

#define A64SC_NR_STATES	5

/* Far executable memory (a64sc_scaffold.c). */
void *a64sc_far_code_alloc_from(const void *code, size_t len,
				unsigned long from);
void a64sc_far_free(void *page);

/* The cases, in the order of a64sc_cases[] (a64sc_suite.c). */
void a64sc_in_range(struct kunit *test);
void a64sc_out_of_range(struct kunit *test);
void a64sc_range_edges(struct kunit *test);
void a64sc_null(struct kunit *test);
void a64sc_ret0(struct kunit *test);
void a64sc_transitions(struct kunit *test);
void a64sc_query_consistency(struct kunit *test);
void a64sc_tail_call(struct kunit *test);
void a64sc_bad_input(struct kunit *test);
void a64sc_kprobe_refused(struct kunit *test);
void a64sc_cfi_ret0(struct kunit *test);
void a64sc_perf_guest_state(struct kunit *test);
void a64sc_sync_after_update(struct kunit *test);
void a64sc_concurrency(struct kunit *test);
void a64sc_inline_sites(struct kunit *test);
void a64sc_inline_transitions(struct kunit *test);
void a64sc_inline_init_site(struct kunit *test);
void a64sc_inline_kprobe_refused(struct kunit *test);
void a64sc_inline_all_sites(struct kunit *test);
void a64sc_inline_site_refused(struct kunit *test);
void a64sc_inline_route_refused(struct kunit *test);
void a64sc_inline_one_sync(struct kunit *test);

#endif /* _A64SC_H */
