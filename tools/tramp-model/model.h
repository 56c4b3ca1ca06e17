// Exhaustive model checker for static call trampoline update protocols.
//
// Memory is modelled as 4-byte words. A protocol defines the trampoline image
// for a target (layout) and the writer's steps to move from one target to
// another (update). Writer steps are atomic commits of "pieces" (one or more
// words that become visible together: an aligned 4- or 8-byte store), copies
// whose pieces become visible in any order (a multi-word copy is not
// single-copy atomic), and synchronisation steps (cache maintenance plus a
// context synchronisation event on every CPU, i.e. the IPI of the shipped
// protocol) after which instruction fetches of the named words by any CPU see
// the newest value. Before such a step, a fetch of a rewritten word may still
// return its old value on another CPU: a slot change is only guaranteed
// visible after the sync.
//
// A reader executes the trampoline once. Every location it reads (an
// instruction fetch or a data load) is observed at some point of the writer's
// sequence, chosen independently per location (ReaderOrder::Any) or
// monotonically along the reader's program order (ReaderOrder::ProgramOrder).
// An instruction fetch of a word written but not yet made coherent by a
// synchronisation step may return any value between the last coherent one and
// the newest one. The checker enumerates every writer order and every reader
// choice and requires:
//   * the reader reaches the old or the new target (with intact arguments),
//   * every live rewrite of an instruction word is B/BL/NOP/BRK/SVC/HVC/SMC
//     to B/BL/NOP/BRK/SVC/HVC/SMC,
//   * after the writer finished (the update returned), a fresh reader on any
//     CPU reaches the new target and the image equals the protocol's layout
//     for the new target.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tmodel {

using Addr = uint64_t;
using Memory = std::map<Addr, uint32_t>; // word address -> value

enum class Kind { Fn, Null, Ret0 };

struct Target {
    std::string name;
    Kind kind = Kind::Fn;
    Addr addr = 0; // Kind::Fn only
};

struct Piece {
    std::string label;
    Memory words; // committed atomically
};

struct Step {
    enum class Type { Write, Copy, Sync };
    Type type = Type::Write;
    std::vector<Piece> pieces; // Write: one piece; Copy: pieces visible in any order
    std::set<Addr> sync;       // Sync: fetches of these words coherent on all CPUs afterwards
    std::string label;

    static Step write(Piece p);
    static Step copy(std::string label, std::vector<Piece> pieces);
    static Step sync_words(std::string label, std::set<Addr> words);
};

struct World {
    Addr tramp = 0;                   // trampoline entry
    Addr ret0 = 0;                    // __static_call_return0
    std::map<Addr, std::string> fns;  // every valid function entry (all start with bti c)
    std::map<Addr, std::string> syms; // names for other addresses (literal, rodata)
    Target A, B, C, Null, Ret0;
    std::vector<Target> targets() const { return {A, B, C, Null, Ret0}; }
    std::string name_of(Addr a) const;
};

struct InitialState {
    std::string label;
    Target target; // what the trampoline currently means
    Memory mem;
};

struct Protocol {
    std::string name;
    std::string description;
    bool shipped = false;
    Addr entry = 0;
    std::set<Addr> code; // executable words (live-rewrite rule applies)
    bool exact_final_state = true;
    std::function<Memory(const Target &)> layout;
    std::function<std::vector<Step>(const Memory &cur, const Target &from, const Target &to)>
        update;
    std::vector<InitialState> extra_initial; // besides layout(t) for every target t
};

enum class ReaderOrder { Any, ProgramOrder };

struct TransitionResult {
    std::string protocol;
    std::string from, to;
    uint64_t writer_orders = 0;
    uint64_t interleavings = 0;
    uint64_t bad = 0;        // reader reached something other than old/new
    uint64_t forbidden = 0;  // distinct live instruction rewrites Arm does not allow
    uint64_t incomplete = 0; // after completion: stale/wrong target or image != layout
    std::vector<std::string> forbidden_rewrites;
    std::string bad_example;
    std::string incomplete_example;
    bool ok() const { return bad == 0 && forbidden == 0 && incomplete == 0; }
};

TransitionResult check_transition(const World &w, const Protocol &p, const InitialState &from,
                                  const Target &to, ReaderOrder order);

// Every initial state (layout of each target, plus extra_initial) to every target.
std::vector<TransitionResult> check_protocol(const World &w, const Protocol &p, ReaderOrder order);

// Helpers for protocol definitions.
void put64(Memory &m, Addr a, uint64_t v); // two little-endian words
uint64_t get64(const Memory &m, Addr a);
Piece piece64(std::string label, Addr a, uint64_t v);
Piece piece32(std::string label, Addr a, uint32_t v);

} // namespace tmodel
