#include "model.h"

#include "a64.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>

namespace tmodel {

// Step{type, pieces, sync, label}.
Step Step::write(Piece p) {
    std::string label = p.label; // before p is moved into the step
    return {Type::Write, {std::move(p)}, {}, std::move(label)};
}

Step Step::copy(std::string label, std::vector<Piece> pieces) {
    return {Type::Copy, std::move(pieces), {}, std::move(label)};
}

Step Step::sync_words(std::string label, std::set<Addr> words) {
    return {Type::Sync, {}, std::move(words), std::move(label)};
}

void put64(Memory &m, Addr a, uint64_t v) {
    m[a] = uint32_t(v);
    m[a + 4] = uint32_t(v >> 32);
}

uint64_t get64(const Memory &m, Addr a) {
    return uint64_t(m.at(a)) | uint64_t(m.at(a + 4)) << 32;
}

Piece piece64(std::string label, Addr a, uint64_t v) {
    Piece p{std::move(label), {}};
    put64(p.words, a, v);
    return p;
}

Piece piece32(std::string label, Addr a, uint32_t v) {
    Piece p{std::move(label), {}};
    p.words[a] = v;
    return p;
}

using a64::hex;

std::string World::name_of(Addr a) const {
    if (auto it = fns.find(a); it != fns.end())
        return it->second;
    if (auto it = syms.find(a); it != syms.end())
        return it->second;
    const int64_t d = int64_t(a - tramp);
    if (d >= -64 && d <= 64)
        return d < 0 ? "tramp-" + std::to_string(-d) : "tramp+" + std::to_string(d);
    return hex(a);
}

namespace {

struct Event {
    bool is_sync = false;
    Piece piece;
    std::set<Addr> sync;
    std::string label;
};

// All orders in which the writer's atomic events can become visible.
void expand(const std::vector<Step> &steps, size_t k, std::vector<Event> &cur,
            std::vector<std::vector<Event>> &out) {
    if (k == steps.size()) {
        out.push_back(cur);
        return;
    }
    const Step &s = steps[k];
    if (s.type == Step::Type::Sync) {
        cur.push_back({true, {}, s.sync, s.label});
        expand(steps, k + 1, cur, out);
        cur.pop_back();
        return;
    }
    std::vector<size_t> idx(s.pieces.size());
    for (size_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
    do {
        for (size_t i : idx)
            cur.push_back({false, s.pieces[i], {}, s.pieces[i].label});
        expand(steps, k + 1, cur, out);
        cur.resize(cur.size() - idx.size());
    } while (s.type == Step::Type::Copy && std::next_permutation(idx.begin(), idx.end()));
}

enum class X0 { Arg, Zero, Clobbered };

struct Outcome {
    enum class Type { Call, Return, Fault } type = Type::Fault;
    Addr addr = 0;
    X0 x0 = X0::Arg;
    std::string why;
};

bool accepts(const World &w, const Target &t, const Outcome &o) {
    switch (t.kind) {
    case Kind::Fn:
        return o.type == Outcome::Type::Call && o.addr == t.addr && o.x0 == X0::Arg;
    case Kind::Null:
        return (o.type == Outcome::Type::Call && o.addr == w.ret0) ||
               o.type == Outcome::Type::Return;
    case Kind::Ret0:
        return (o.type == Outcome::Type::Call && o.addr == w.ret0) ||
               (o.type == Outcome::Type::Return && o.x0 == X0::Zero);
    }
    return false;
}

std::string describe(const World &w, const Outcome &o) {
    const char *x0 = o.x0 == X0::Arg ? "args intact" : o.x0 == X0::Zero ? "x0=0" : "x0 clobbered";
    switch (o.type) {
    case Outcome::Type::Call:
        return "call " + w.name_of(o.addr) + " (" + x0 + ")";
    case Outcome::Type::Return:
        return std::string("return (") + x0 + ")";
    case Outcome::Type::Fault:
        return "FAULT: " + o.why;
    }
    return "?";
}

// Versions of every word along one writer order.
struct Timeline {
    struct Version {
        int idx; // event index that committed it; -1 = initial
        uint32_t value;
    };
    std::map<Addr, std::vector<Version>> versions;
    std::map<Addr, std::vector<int>> syncs;
    int n = 0;

    bool variable(Addr a) const {
        auto it = versions.find(a);
        return it != versions.end() && it->second.size() > 1;
    }
    // Index of the newest version committed before point p (after p events).
    size_t latest(Addr a, int p) const {
        const auto &v = versions.at(a);
        size_t k = 0;
        while (k + 1 < v.size() && v[k + 1].idx < p)
            ++k;
        return k;
    }
    uint32_t data(Addr a, int p) const { return versions.at(a)[latest(a, p)].value; }
    // Values an instruction fetch may return at point p.
    std::vector<uint32_t> fetch(Addr a, int p) const {
        const auto &v = versions.at(a);
        const size_t hi = latest(a, p);
        int s = -1;
        if (auto it = syncs.find(a); it != syncs.end())
            for (int e : it->second)
                if (e < p)
                    s = e;
        const size_t lo = s < 0 ? 0 : latest(a, s);
        std::vector<uint32_t> out;
        for (size_t k = lo; k <= hi; ++k)
            out.push_back(v[k].value);
        return out;
    }
};

struct Reader {
    const World &w;
    const Timeline &tl;
    ReaderOrder order;
    bool after_completion;
    std::function<void(const Outcome &, const std::string &trace)> leaf;

    struct State {
        Addr pc = 0;
        X0 x0 = X0::Arg;
        std::map<unsigned, uint64_t> regs;
        int last = 0;
        int steps = 0;
        std::string trace;
    };

    int lo(const State &s) const {
        if (after_completion)
            return tl.n;
        return order == ReaderOrder::ProgramOrder ? s.last : 0;
    }

    void run(State s) {
        if (++s.steps > 32)
            return leaf({Outcome::Type::Fault, 0, s.x0, "no exit after 32 instructions"}, s.trace);
        if (!tl.versions.count(s.pc))
            return leaf(
                {Outcome::Type::Fault, 0, s.x0, "executed outside the image at " + w.name_of(s.pc)},
                s.trace);
        if (!tl.variable(s.pc)) {
            exec(s, tl.data(s.pc, 0));
            return;
        }
        for (int p = lo(s); p <= tl.n; ++p) {
            for (uint32_t v : tl.fetch(s.pc, p)) {
                State t = s;
                t.last = p;
                t.trace += " fetch " + w.name_of(s.pc) + "@" + std::to_string(p) + "=`" +
                           a64::disassemble(v, s.pc) + "`";
                exec(std::move(t), v);
            }
        }
    }

    // Register rd set to `v`, then on to the next instruction.
    void write_reg(State s, unsigned rd, uint64_t v) {
        s.regs[rd] = v;
        if (rd == 0)
            s.x0 = X0::Clobbered;
        s.pc += 4;
        run(std::move(s));
    }

    // 8-byte load; single-copy atomic when 8-byte aligned.
    void load64(State s, Addr a, unsigned rd) {
        if (!tl.versions.count(a) || !tl.versions.count(a + 4))
            return leaf({Outcome::Type::Fault, 0, s.x0, "load outside the image at " + hex(a)},
                        s.trace);
        auto finish = [&](State t, uint64_t v) { write_reg(std::move(t), rd, v); };
        const bool var = tl.variable(a) || tl.variable(a + 4);
        if (!var) {
            finish(s, uint64_t(tl.data(a, 0)) | uint64_t(tl.data(a + 4, 0)) << 32);
            return;
        }
        if (a % 8 == 0) {
            for (int p = lo(s); p <= tl.n; ++p) {
                State t = s;
                t.last = p;
                const uint64_t v = uint64_t(tl.data(a, p)) | uint64_t(tl.data(a + 4, p)) << 32;
                t.trace += " load " + w.name_of(a) + "@" + std::to_string(p) + "=" + w.name_of(v);
                finish(std::move(t), v);
            }
            return;
        }
        for (int p = lo(s); p <= tl.n; ++p)
            for (int q = lo(s); q <= tl.n; ++q) {
                State t = s;
                t.last = std::max(p, q);
                const uint64_t v = uint64_t(tl.data(a, p)) | uint64_t(tl.data(a + 4, q)) << 32;
                t.trace += " load(split) " + w.name_of(a) + "@" + std::to_string(p) + "/" +
                           std::to_string(q) + "=" + w.name_of(v);
                finish(std::move(t), v);
            }
    }

    void call(const State &s, Addr target) {
        if (!w.fns.count(target))
            return leaf({Outcome::Type::Fault, target, s.x0,
                         "branch to " + w.name_of(target) + ", not a function entry"},
                        s.trace);
        leaf({Outcome::Type::Call, target, s.x0, ""}, s.trace);
    }

    void exec(State s, uint32_t word) {
        auto d = a64::decode(word);
        if (!d)
            return leaf({Outcome::Type::Fault, 0, s.x0,
                         "undefined instruction " + hex(word) + " at " + w.name_of(s.pc)},
                        s.trace);
        const a64::Insn &i = *d;
        auto reg = [&](unsigned r) -> std::optional<uint64_t> {
            auto it = s.regs.find(r);
            if (it == s.regs.end())
                return std::nullopt;
            return it->second;
        };
        switch (i.op) {
        case a64::Op::BTI_C:
        case a64::Op::NOP:
            s.pc += 4;
            return run(std::move(s));
        case a64::Op::B:
            return call(s, s.pc + uint64_t(i.imm));
        case a64::Op::LDR_LIT:
            return load64(std::move(s), s.pc + uint64_t(i.imm), i.rd);
        case a64::Op::ADRP: {
            const uint64_t page = (s.pc & ~uint64_t{0xfff}) + uint64_t(i.imm);
            return write_reg(std::move(s), i.rd, page);
        }
        case a64::Op::ADD_IMM: {
            auto v = reg(i.rn);
            if (!v || i.rn == 31)
                break;
            const uint64_t sum = *v + (uint64_t(i.imm) << i.shift);
            return write_reg(std::move(s), i.rd, sum);
        }
        case a64::Op::LDR_UIMM: {
            auto v = reg(i.rn);
            if (!v || i.rn == 31)
                break;
            return load64(std::move(s), *v + uint64_t(i.imm), i.rd);
        }
        case a64::Op::CBZ:
        case a64::Op::CBNZ: {
            auto v = reg(i.rd);
            if (!v)
                break;
            const bool taken = (*v == 0) == (i.op == a64::Op::CBZ);
            s.pc += taken ? uint64_t(i.imm) : 4;
            return run(std::move(s));
        }
        case a64::Op::BR: {
            auto v = reg(i.rn);
            if (!v)
                break;
            return call(s, *v);
        }
        case a64::Op::RET:
            if (i.rn != 30)
                break;
            return leaf({Outcome::Type::Return, 0, s.x0, ""}, s.trace);
        case a64::Op::MOV_REG:
        case a64::Op::MOVZ:
            if (i.rd == 0) {
                const bool zero = i.op == a64::Op::MOV_REG ? i.rn == 31 : i.imm == 0;
                s.x0 = zero ? X0::Zero : X0::Clobbered;
            } else if (i.op == a64::Op::MOVZ) {
                s.regs[i.rd] = uint64_t(i.imm) << i.shift;
            } else {
                break;
            }
            s.pc += 4;
            return run(std::move(s));
        default:
            break;
        }
        leaf({Outcome::Type::Fault, 0, s.x0,
              "unexpected `" + a64::to_string(i, s.pc) + "` at " + w.name_of(s.pc)},
             s.trace);
    }
};

std::string target_label(const Target &t) {
    return t.name;
}

} // namespace

TransitionResult check_transition(const World &w, const Protocol &p, const InitialState &from,
                                  const Target &to, ReaderOrder order) {
    TransitionResult r;
    r.protocol = p.name;
    r.from = from.label;
    r.to = target_label(to);
    const std::vector<Step> steps = p.update(from.mem, from.target, to);
    std::vector<std::vector<Event>> orders;
    std::vector<Event> cur;
    expand(steps, 0, cur, orders);
    r.writer_orders = orders.size();
    std::set<std::string> forbidden;

    for (const auto &events : orders) {
        Timeline tl;
        tl.n = int(events.size());
        Memory mem = from.mem;
        for (const auto &[a, v] : mem)
            tl.versions[a].push_back({-1, v});
        std::string order_label;
        for (int e = 0; e < tl.n; ++e) {
            const Event &ev = events[size_t(e)];
            order_label += (e ? ", " : "") + ev.label;
            if (ev.is_sync) {
                for (Addr a : ev.sync)
                    tl.syncs[a].push_back(e);
                continue;
            }
            for (const auto &[a, v] : ev.piece.words) {
                auto &vers = tl.versions[a];
                const uint32_t old = vers.empty() ? 0 : vers.back().value;
                if (!vers.empty() && old == v)
                    continue;
                if (p.code.count(a) && !a64::hotpatch_safe_pair(old, v))
                    forbidden.insert(w.name_of(a) + ": `" + a64::disassemble(old, a) + "` -> `" +
                                     a64::disassemble(v, a) + "`");
                vers.push_back({e, v});
                mem[a] = v;
            }
        }

        Reader rd{w, tl, order, false, nullptr};
        rd.leaf = [&](const Outcome &o, const std::string &trace) {
            ++r.interleavings;
            if (!accepts(w, from.target, o) && !accepts(w, to, o)) {
                if (r.bad++ == 0)
                    r.bad_example =
                        "writer [" + order_label + "];" + trace + " => " + describe(w, o);
            }
        };
        Reader::State s0;
        s0.pc = p.entry;
        rd.run(s0);

        // A reader starting after the writer finished must reach the new target.
        Reader fresh{w, tl, order, true, nullptr};
        fresh.leaf = [&](const Outcome &o, const std::string &trace) {
            if (!accepts(w, to, o) && r.incomplete++ == 0)
                r.incomplete_example =
                    "after writer [" + order_label + "];" + trace + " => " + describe(w, o);
        };
        fresh.run(s0);

        const Memory want = p.layout(to);
        for (const auto &[a, v] : want) {
            if (!p.exact_final_state && !p.code.count(a))
                continue;
            auto it = mem.find(a);
            if (it == mem.end() || it->second != v) {
                if (r.incomplete++ == 0)
                    r.incomplete_example =
                        "final image differs from layout(" + to.name + ") at " + w.name_of(a);
            }
        }
    }
    r.forbidden = forbidden.size();
    r.forbidden_rewrites.assign(forbidden.begin(), forbidden.end());
    return r;
}

std::vector<TransitionResult> check_protocol(const World &w, const Protocol &p, ReaderOrder order) {
    std::vector<InitialState> initial;
    for (const Target &t : w.targets())
        initial.push_back({t.name, t, p.layout(t)});
    for (const auto &e : p.extra_initial)
        initial.push_back(e);
    std::vector<TransitionResult> out;
    for (const auto &from : initial)
        for (const Target &to : w.targets())
            out.push_back(check_transition(w, p, from, to, order));
    return out;
}

} // namespace tmodel
