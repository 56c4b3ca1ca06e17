// The protocols checked by tramp-model: the shipped design, the 2021 v6
// design, the mainline 2026 shape, and deliberately broken variants used by
// the unit tests to show that the checker catches each class of bug.
#pragma once

#include "model.h"
#include "sct_layout.h"

namespace tmodel {

World make_world();

// Shipped: the series' update on a layout with a slot (sct_layout.h; without
// a layout the first such layout of sct::kLayouts, the series' slot-adrp:
// bti c; {b target | nop}; adrp x16, lit; ldr x16, [x16, :lo12:lit]; br x16,
// the literal in .rodata). The image is built from the layout description.
// Update: the literal (one aligned 8-byte store), then, only if the slot
// changes, the slot and a synchronisation of all CPUs (IPI: cache
// maintenance + context synchronisation) before returning; literal-only
// updates do not synchronise. NULL and RET0 mean __static_call_return0.
// Named "shipped" on the default layout, else "shipped-<layout>".
Protocol shipped(const World &w);
Protocol shipped(const World &w, const sct::Layout &layout);

// 2021 v6: literal(8); bti c; {b | nop | ret}; ldr x16, lit; cbz x16, 1f; br x16; 1: ret.
// NULL: slot ret, literal 0. RET0 (naive extension, v6 had none): slot
// `mov x0, xzr`, literal 0. Update: literal + bti + slot as one 16-byte copy
// (three pieces, any visibility order), then cache maintenance.
Protocol v6(const World &w);

// Mainline 2026: bti c; adrp x16, lit; ldr x16, [x16, :lo12:lit]; br x16, the
// literal in .rodata, only the literal is ever written (a layout without a
// slot; by default the first of sct::kLayouts, "mainline").
Protocol mainline2026(const World &w);
Protocol mainline2026(const World &w, const sct::Layout &layout);

// Broken variants (unit tests; `tramp-model --variants`).
Protocol shipped_slot_first(const World &w);            // order reversed; literal always valid
Protocol lazy_literal(const World &w, bool slot_first); // literal only kept for far targets
Protocol torn_literal(const World &w);                  // literal written as two 4-byte stores
Protocol no_sync(const World &w);                       // slot written, no all-CPU sync
Protocol ret_slot(const World &w);                      // NULL as slot `ret` (b <-> ret rewrite)

// shipped() on every layout with a slot, v6, mainline2026() on every layout
// without one.
std::vector<Protocol> main_protocols(const World &w);
std::vector<Protocol> broken_variants(const World &w);

} // namespace tmodel
