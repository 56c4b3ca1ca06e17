#include "audit.h"

#include "a64.h"

#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>

namespace scaudit {
namespace {

constexpr const char *kKprobeBlacklist = "_kprobe_blacklist";

// The most code words any layout has: what is read from an entry to detect
// its layout.
constexpr size_t kMaxCodeWords = [] {
    size_t n = 0;
    for (const auto &l : sct::kLayouts)
        n = std::max(n, l.code.size());
    return n;
}();

using a64::hex;
using sct::Layout;
using sct::WordKind;

// Offsets always carry their sign: "+0x10", "-0x10".
std::string shex(int64_t v) {
    return a64::shex(v, true);
}

std::string dec(uint64_t v) {
    return std::to_string(v);
}

// Identity of a location in a relocatable file: section index and offset.
std::string loc_id(size_t shndx, uint64_t off) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "s%zu:0x%" PRIx64, shndx, off);
    return buf;
}

bool starts_with(const std::string &s, const char *p) {
    return s.rfind(p, 0) == 0;
}

bool in_branch_range(uint64_t from, uint64_t to) {
    const int64_t d = int64_t(to - from);
    return d >= a64::kBranchMin && d <= a64::kBranchMax;
}

// Alignment of an address as a power of two, capped at `cap` (the required one).
unsigned alignment(uint64_t a, uint64_t cap) {
    unsigned n = 1;
    while (n < cap && a % (2 * n) == 0)
        n *= 2;
    return n;
}

const Section *section_by_index(const ElfImage &img, size_t idx) {
    for (const auto &s : img.sections)
        if (s.index == idx)
            return &s;
    return nullptr;
}

// Address -> "symbol+0xoff" for executable images.
class Symbolizer {
  public:
    explicit Symbolizer(const ElfImage &img) {
        for (const auto &s : img.symbols) {
            if (s.name.empty() || s.name[0] == '$' || starts_with(s.name, ".L"))
                continue;
            if (s.shndx == SHN_UNDEF || s.shndx >= SHN_LORESERVE)
                continue;
            if (s.type != STT_FUNC && s.type != STT_NOTYPE)
                continue;
            syms_.push_back(&s);
        }
        std::sort(syms_.begin(), syms_.end(), [](const Symbol *a, const Symbol *b) {
            if (a->value != b->value)
                return a->value < b->value;
            return (a->type == STT_FUNC) > (b->type == STT_FUNC);
        });
    }
    std::string operator()(uint64_t addr) const {
        auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
                                   [](uint64_t a, const Symbol *s) { return a < s->value; });
        if (it == syms_.begin())
            return "?";
        uint64_t v = (*std::prev(it))->value;
        auto first = std::lower_bound(syms_.begin(), syms_.end(), v,
                                      [](const Symbol *s, uint64_t a) { return s->value < a; });
        const Symbol *s = *first;
        const uint64_t off = addr - s->value;
        if (off > std::max<uint64_t>(s->size, 0x100000))
            return "?";
        return off ? s->name + "+" + hex(off) : s->name;
    }

  private:
    std::vector<const Symbol *> syms_;
};

// Symbolic value of a relocation in a relocatable file.
Value reloc_value(const ElfImage &img, const Reloc &r, const char *what) {
    Value v;
    v.present = true;
    v.source = what;
    std::string name = "?";
    std::string ident;
    if (r.sym < img.symbols.size()) {
        const Symbol &s = img.symbols[r.sym];
        if (s.type == STT_SECTION) {
            const Section *sec = section_by_index(img, s.shndx);
            name = sec ? sec->name : "section#" + std::to_string(s.shndx);
        } else {
            name = s.name;
        }
        if (s.shndx != SHN_UNDEF && s.shndx < SHN_LORESERVE)
            ident = loc_id(s.shndx, s.value + uint64_t(r.addend));
        else
            ident = std::string("u:").append(s.name).append(shex(r.addend));
    }
    v.identity = ident;
    v.text = r.addend ? name + shex(r.addend) : name;
    return v;
}

// The values of the symbols `lo` and `hi` (a start/end pair), when both exist.
std::optional<std::pair<uint64_t, uint64_t>> symbol_range(const ElfImage &img, const char *lo,
                                                          const char *hi) {
    const Symbol *a = img.symbol_by_name(lo), *b = img.symbol_by_name(hi);
    if (!a || !b)
        return std::nullopt;
    return std::pair{a->value, b->value};
}

void kprobe_error(Trampoline &t, uint64_t entry_addr, bool relocatable) {
    t.errors.push_back(std::string(kKprobeBlacklist) + " entry at " +
                       (relocatable ? std::string(kKprobeBlacklist) + "+" : std::string()) +
                       hex(entry_addr) +
                       " names this trampoline (v1 leftover: the series emits none and refuses "
                       "kprobes on trampolines by address range)");
}

// A module (.ko, or an object built for one): the modpost section or modinfo.
bool is_module(const ElfImage &img) {
    return img.section_by_name(".gnu.linkonce.this_module") || img.section_by_name(".modinfo");
}

// --- checks against a layout, for both image kinds ---------------------------

std::string layout_size_text(const Layout &l) {
    return dec(l.size) + " bytes of code";
}

// Trampolines sharing one literal: an update of one would retarget the
// others. `literal` of trampoline i is its literal's identity (empty:
// unknown); each sharer is named in the others' errors.
void check_shared_literals(Report &rep, const std::vector<std::pair<std::string, size_t>> &lits) {
    std::map<std::string, std::vector<size_t>> by;
    for (const auto &[id, i] : lits)
        if (!id.empty())
            by[id].push_back(i);
    for (const auto &[id, idx] : by)
        for (size_t i : idx)
            for (size_t j : idx)
                if (i != j)
                    rep.trampolines[i].errors.push_back("literal " + rep.trampolines[i].literal_at +
                                                        " is also " + rep.trampolines[j].symbol +
                                                        "'s: an update of either retargets both");
}

// Entry alignment and symbol size.
void check_shape(Trampoline &t, const Layout &l, const char *what) {
    if (t.addr % l.align)
        t.errors.push_back(std::string("misaligned trampoline: ") + what + " " + hex(t.addr) +
                           " is not " + dec(l.align) + "-byte aligned");
    if (t.size != l.size)
        t.errors.push_back("symbol size " + dec(t.size) + ", expected " + dec(l.size) +
                           " (`.size` must cover the " + dec(l.code_bytes()) + " bytes of code" +
                           (l.stride > l.size ? ", not the padding)" : ")"));
}

// Every code word but the slot (read_slot) against the layout.
void check_code_words(Trampoline &t, const Layout &l) {
    for (size_t i = 0; i < l.code.size() && i < t.words.size(); ++i) {
        if (l.code[i].kind == WordKind::Slot)
            continue;
        if (auto want = sct::word_mismatch(l, i, t.words[i]))
            t.errors.push_back("layout: word at +" + dec(4 * i) + " is `" +
                               a64::disassemble(t.words[i], t.addr + 4 * i) + "` (" +
                               hex(t.words[i]) + "), expected " + *want);
    }
}

// A trampoline whose code is another layout's (one file, one layout).
void check_other_layout(Trampoline &t, const Layout &l,
                        const std::function<std::vector<uint32_t>(const Layout &)> &words) {
    if (sct::matches(l, words(l)))
        return;
    for (const Layout &other : sct::kLayouts)
        if (&other != &l && sct::matches(other, words(other)))
            t.errors.push_back(std::string("code is layout ") + other.name + " (" + other.origin +
                               "), not " + l.name);
}

// The padding words between the symbol's end and the stride: `pad`.
void check_padding(Trampoline &t, const Layout &l, const std::vector<uint32_t> &padding) {
    for (size_t i = 0; i < padding.size(); ++i)
        if (padding[i] != l.pad) {
            const uint64_t off = l.size + 4 * i;
            t.errors.push_back("padding word at +" + dec(off) + " is `" +
                               a64::disassemble(padding[i], t.addr + off) + "` (" +
                               hex(padding[i]) + "), expected `" + l.pad_text + "` (" + hex(l.pad) +
                               ") up to the " + dec(l.stride) + "-byte stride");
        }
}

// The slot word: `nop` (marked in t, the literal path), `b` (the branch
// offset is returned), or anything else, which the series never writes there
// (an error). A layout without a slot: always the literal path.
std::optional<int64_t> read_slot(Trampoline &t, const Layout &l) {
    if (!l.has_slot()) {
        t.slot = "-";
        t.agree = "-";
        return std::nullopt;
    }
    const uint64_t off = l.slot_offset();
    const uint32_t slot = t.words[off / 4];
    if (slot == a64::kNop) {
        t.slot_is_nop = true;
        t.slot = "nop";
        t.agree = "-";
        return std::nullopt;
    }
    if (auto d = a64::decode(slot); d && d->op == a64::Op::B) {
        t.slot_is_b = true;
        return d->imm;
    }
    t.slot = ".inst " + hex(slot);
    t.errors.push_back("slot is neither `b` nor `nop`: `" + a64::disassemble(slot, t.addr + off) +
                       "` (" + hex(slot) + ")");
    return std::nullopt;
}

// The layout of the file's trampolines: `forced`, or the one most of them
// match exactly (the first in kLayouts on a tie). When none matches any
// layout, the nearest (most matching words) with an error that says so.
// `words(layout, i)` are trampoline i's code words as read for `layout`.
const Layout &
choose_layout(Report &rep, size_t n, const Layout *forced,
              const std::function<std::vector<uint32_t>(const Layout &, size_t)> &words) {
    rep.layout = forced;
    if (forced) {
        rep.layout_how = "--layout";
        return *forced;
    }
    const Layout *best = &sct::kLayouts[0], *nearest = best;
    size_t best_n = 0, nearest_n = 0;
    for (const Layout &l : sct::kLayouts) {
        size_t exact = 0, near = 0;
        for (size_t i = 0; i < n; ++i) {
            const auto w = words(l, i);
            const size_t m = sct::matching_words(l, w);
            exact += m == l.code.size();
            near += m;
        }
        if (exact > best_n)
            best = &l, best_n = exact;
        if (near > nearest_n)
            nearest = &l, nearest_n = near;
    }
    if (best_n) {
        rep.layout = best;
        rep.layout_how = "detected, " + dec(best_n) + " of " + dec(n) + " trampolines";
        return *best;
    }
    rep.layout = nearest;
    rep.layout_how = "nearest: no trampoline matches any layout";
    rep.errors.push_back({"layout", "no trampoline matches a known layout (" + sct::layout_names() +
                                        "); checked against the nearest, " + nearest->name});
    return *nearest;
}

// Trampolines are packed at the layout's stride from `lo` to `hi`: every byte
// of the region belongs to exactly one trampoline (its code, literal or
// padding). `idx` are the trampolines inside the region. `align_gap`: a gap
// before the first trampoline that only aligns it (the region starts less
// aligned than the layout needs) is no error.
void check_packing(Report &rep, const Layout &l, const std::string &where, uint64_t lo, uint64_t hi,
                   std::vector<size_t> idx, bool relocatable, bool align_gap) {
    auto addr = [&](uint64_t a) { return relocatable ? where + "+" + hex(a) : hex(a); };
    const std::string packed =
        "(trampolines are packed at a " + dec(l.stride) + "-byte stride, no padding)";
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        return rep.trampolines[a].addr < rep.trampolines[b].addr;
    });
    uint64_t at = lo;
    if (align_gap && !idx.empty() && lo % l.align) {
        const uint64_t aligned = (lo + l.align - 1) / l.align * l.align;
        if (rep.trampolines[idx[0]].addr == aligned) {
            at = aligned;
            rep.region += ", " + dec(aligned - lo) + " byte(s) of alignment before the first";
        }
    }
    const Trampoline *prev = nullptr;
    for (size_t i : idx) {
        Trampoline &t = rep.trampolines[i];
        if (t.addr > at)
            rep.errors.push_back({where, dec(t.addr - at) + " byte(s) at [" + addr(at) + ", " +
                                             addr(t.addr) + ") belong to no trampoline " + packed});
        else if (prev && t.addr < at)
            t.errors.push_back("overlaps " + prev->symbol + " (starts " + dec(at - t.addr) +
                               " byte(s) before its end)");
        at = std::max(at, t.addr + l.stride);
        prev = &t;
    }
    if (at < hi)
        rep.errors.push_back({where, dec(hi - at) + " byte(s) at [" + addr(at) + ", " + addr(hi) +
                                         ") after the last trampoline belong to no trampoline " +
                                         packed});
    else if (at > hi && prev && prev->addr + l.size <= hi)
        rep.errors.push_back({where, "the last trampoline's " + dec(l.stride) +
                                         "-byte stride ends " + dec(at - hi) +
                                         " byte(s) after the end " + addr(hi) + " " + packed});
}

// The section and offset a relocation refers to (symbol + addend), when the
// symbol is defined in the file.
std::optional<std::pair<size_t, uint64_t>> reloc_location(const ElfImage &img, const Reloc &r) {
    if (r.sym >= img.symbols.size())
        return std::nullopt;
    const Symbol &s = img.symbols[r.sym];
    if (s.shndx == SHN_UNDEF || s.shndx >= SHN_LORESERVE)
        return std::nullopt;
    return std::pair<size_t, uint64_t>{s.shndx, s.value + uint64_t(r.addend)};
}

// Up to `n` words of `sec` from `off` (fewer at its end).
std::vector<uint32_t> read_words(const ElfImage &img, const Section &sec, uint64_t off, size_t n) {
    std::vector<uint32_t> w;
    for (size_t k = 0; k < n; ++k) {
        auto v = img.read32(sec, off + 4 * k);
        if (!v)
            break;
        w.push_back(*v);
    }
    return w;
}

using RelocMap = std::map<uint64_t, const Reloc *>; // section offset -> relocation

// The relocations applying to each section.
std::map<size_t, RelocMap> relocs_by_section(const ElfImage &img) {
    std::map<size_t, RelocMap> m;
    for (const auto &rs : img.relocs)
        for (const auto &r : rs.relocs)
            m[rs.applies_to][r.offset] = &r;
    return m;
}

const Reloc *reloc_at(const std::map<size_t, RelocMap> &rel, size_t shndx, uint64_t off) {
    auto s = rel.find(shndx);
    if (s == rel.end())
        return nullptr;
    auto r = s->second.find(off);
    return r == s->second.end() ? nullptr : r->second;
}

// The literal of a trampoline in a relocatable file, reached through an
// adrp/ldr pair: both relocated against the same location of the layout's
// literal section, which holds an R_AARCH64_ABS64 relocation. Sets
// t.literal (and errors); returns the literal's location identity.
std::string rel_adrp_literal(const ElfImage &img, const Layout &l, Trampoline &t,
                             const Section &sec, const std::map<size_t, RelocMap> &rel) {
    const uint64_t adrp_off = *l.offset_of(WordKind::Adrp),
                   ldr_off = *l.offset_of(WordKind::LdrLo12);
    const Reloc *ra = reloc_at(rel, sec.index, t.addr + adrp_off);
    const Reloc *rl = reloc_at(rel, sec.index, t.addr + ldr_off);
    if (!ra ||
        (ra->type != R_AARCH64_ADR_PREL_PG_HI21 && ra->type != R_AARCH64_ADR_PREL_PG_HI21_NC)) {
        t.errors.push_back(
            "adrp x16 at +" + dec(adrp_off) +
            (ra ? " has relocation type " + dec(ra->type) + " (expected R_AARCH64_ADR_PREL_PG_HI21)"
                : " has no R_AARCH64_ADR_PREL_PG_HI21 relocation") +
            ": the literal's address is unknown");
        return "";
    }
    if (!rl || rl->type != R_AARCH64_LDST64_ABS_LO12_NC) {
        t.errors.push_back("ldr x16 at +" + dec(ldr_off) +
                           (rl ? " has relocation type " + dec(rl->type) +
                                     " (expected R_AARCH64_LDST64_ABS_LO12_NC)"
                               : " has no R_AARCH64_LDST64_ABS_LO12_NC relocation") +
                           ": the literal's address is unknown");
        return "";
    }
    const Value va = reloc_value(img, *ra, ""), vl = reloc_value(img, *rl, "");
    if (va.identity != vl.identity) {
        t.errors.push_back("adrp x16 at +" + dec(adrp_off) + " (" + va.text + ") and ldr x16 at +" +
                           dec(ldr_off) + " (" + vl.text + ") name different literals");
        return "";
    }
    const auto loc = reloc_location(img, *ra);
    const Section *ls = loc ? section_by_index(img, loc->first) : nullptr;
    if (!ls) {
        t.errors.push_back("literal " + va.text + " is not defined in this file");
        return "";
    }
    t.literal_at = ls->name + "+" + hex(loc->second);
    t.literal_addr = loc->second;
    if (ls->name != l.literal_section)
        t.errors.push_back("literal " + t.literal_at + " is in section " + ls->name + ", not " +
                           l.literal_section);
    if (loc->second % 8)
        t.errors.push_back("literal " + t.literal_at + " is not 8-byte aligned");
    if (ls->type == SHT_PROGBITS)
        t.literal_file_offset = ls->offset + loc->second;
    if (const Reloc *r = reloc_at(rel, ls->index, loc->second)) {
        if (r->type == R_AARCH64_ABS64)
            t.literal = reloc_value(img, *r, "R_AARCH64_ABS64");
        else
            t.errors.push_back("literal relocation type " + dec(r->type) +
                               " (expected R_AARCH64_ABS64)");
    } else if (auto v = img.read64(*ls, loc->second); v && *v) {
        t.literal = {true, true, *v, "a:" + hex(*v), hex(*v), "section bytes"};
        t.errors.push_back("literal " + hex(*v) +
                           " has no R_AARCH64_ABS64 relocation (a constant, not the address "
                           "of the target)");
    } else if (!v) {
        t.errors.push_back("literal " + t.literal_at + " is outside its section");
    } else {
        t.errors.push_back("literal is 0 (no relocation, zero bytes)");
    }
    return loc_id(ls->index, loc->second);
}

void audit_relocatable(const ElfImage &img, Report &rep, const Layout *forced) {
    rep.module = is_module(img);
    std::map<std::string, uint64_t> external;
    std::vector<const Symbol *> tsyms;
    for (const auto &s : img.symbols) {
        if (!starts_with(s.name, sct::kSymbolPrefix))
            continue;
        if (s.shndx == SHN_UNDEF)
            external.emplace(s.name, 0);
        else if (s.shndx < SHN_LORESERVE)
            tsyms.push_back(&s);
    }
    // Call sites: CALL26/JUMP26 relocations in executable sections.
    std::map<std::string, uint64_t> calls_by_name;
    std::map<std::pair<size_t, uint64_t>, uint64_t> calls_by_loc;
    for (const auto &rs : img.relocs) {
        const Section *target = section_by_index(img, rs.applies_to);
        if (!target || !(target->flags & SHF_EXECINSTR))
            continue;
        for (const auto &r : rs.relocs) {
            if (r.type != R_AARCH64_CALL26 && r.type != R_AARCH64_JUMP26)
                continue;
            if (r.sym >= img.symbols.size())
                continue;
            const Symbol &s = img.symbols[r.sym];
            if (s.type == STT_SECTION)
                ++calls_by_loc[{s.shndx, s.value + uint64_t(r.addend)}];
            else if (starts_with(s.name, sct::kSymbolPrefix))
                ++calls_by_name[s.name];
        }
    }
    for (auto &[name, n] : external)
        n = calls_by_name[name];
    rep.external.assign(external.begin(), external.end());
    const auto rel = relocs_by_section(img);

    // One candidate per location; later symbols at the same place are aliases.
    struct Candidate {
        const Symbol *sym;
        const Section *sec;
        std::vector<uint32_t> raw; // up to kMaxCodeWords words from the entry
        std::vector<std::string> aliases;
    };
    std::vector<Candidate> cands;
    std::map<std::string, size_t> cand_by_loc;
    for (const Symbol *s : tsyms) {
        const std::string loc = loc_id(s->shndx, s->value);
        if (auto it = cand_by_loc.find(loc); it != cand_by_loc.end()) {
            cands[it->second].aliases.push_back(s->name);
            continue;
        }
        cand_by_loc[loc] = cands.size();
        const Section *sec = section_by_index(img, s->shndx);
        cands.push_back(
            {s,
             sec,
             sec ? read_words(img, *sec, s->value, kMaxCodeWords) : std::vector<uint32_t>{},
             {}});
    }
    // Code words as `l` reads them.
    auto words_for = [](const Layout &l, const Candidate &c) {
        return std::vector<uint32_t>(c.raw.begin(),
                                     c.raw.begin() + std::min(c.raw.size(), l.code.size()));
    };
    if (cands.empty())
        return;
    const Layout &l = choose_layout(rep, cands.size(), forced, [&](const Layout &x, size_t i) {
        return words_for(x, cands[i]);
    });

    std::map<std::string, size_t> by_loc;                 // loc_id(section, offset) -> trampoline
    std::vector<std::pair<std::string, size_t>> literals; // .rodata literal -> trampoline
    std::map<size_t, std::vector<size_t>> by_section;     // .static_call.text index -> trampolines
    for (const Candidate &c : cands) {
        const Symbol *s = c.sym;
        Trampoline t;
        t.symbol = s->name;
        t.key = s->name.substr(std::strlen(sct::kSymbolPrefix));
        t.addr = s->value;
        t.size = s->size;
        auto finish = [&] {
            for (const auto &a : c.aliases) {
                t.notes.push_back("alias symbol " + a);
                t.calls += calls_by_name[a];
            }
            rep.trampolines.push_back(std::move(t));
        };
        const Section *sec = c.sec;
        if (!sec) {
            t.errors.push_back("symbol section index " + dec(s->shndx) + " invalid");
            finish();
            continue;
        }
        t.section = sec->name;
        t.calls = calls_by_name[s->name] + calls_by_loc[{s->shndx, s->value}];
        by_loc[loc_id(s->shndx, s->value)] = rep.trampolines.size();
        if (sec->name != l.section)
            t.errors.push_back("trampoline is in section " + sec->name + ", not " + l.section);
        else
            by_section[sec->index].push_back(rep.trampolines.size());
        if (!(sec->flags & SHF_EXECINSTR))
            t.errors.push_back("section " + sec->name + " is not executable");
        check_shape(t, l, "section offset");
        check_other_layout(t, l, [&](const Layout &x) { return words_for(x, c); });
        if (sec->align < l.align)
            t.errors.push_back("section " + sec->name + " is only " + dec(sec->align) +
                               "-byte aligned (need " + dec(l.align) + ")");
        if (sec->bytes.size() < t.addr + l.size) {
            t.errors.push_back("trampoline does not fit in its section (" + layout_size_text(l) +
                               ")");
            finish();
            continue;
        }
        t.words = words_for(l, c);
        t.file_offset = sec->offset + t.addr;
        if (l.has_slot())
            t.slot_file_offset = sec->offset + t.addr + l.slot_offset();
        check_code_words(t, l);
        check_padding(t, l, read_words(img, *sec, t.addr + l.size, (l.stride - l.size) / 4));

        // Literal: an R_AARCH64_ABS64 relocation in the literal section.
        literals.push_back({rel_adrp_literal(img, l, t, *sec, rel), rep.trampolines.size()});

        // Slot.
        if (const auto b_offset = read_slot(t, l)) {
            const uint64_t slot_at = t.addr + l.slot_offset();
            if (const Reloc *r = reloc_at(rel, sec->index, slot_at)) {
                if (r->type == R_AARCH64_JUMP26 || r->type == R_AARCH64_CALL26)
                    t.slot_target = reloc_value(img, *r, "R_AARCH64_JUMP26");
                else
                    t.errors.push_back("slot relocation type " + dec(r->type) +
                                       " (expected JUMP26)");
            } else {
                const uint64_t off = slot_at + uint64_t(*b_offset);
                t.slot_target = {
                    true,         false, 0, loc_id(sec->index, off), sec->name + "+" + hex(off),
                    "pc-relative"};
            }
            t.slot = "b " + (t.slot_target.present ? t.slot_target.text : std::string("?"));
            if (rep.module && l.module_slot_nop) {
                t.agree = "-";
                t.errors.push_back("slot is `" + t.slot +
                                   "` in a module: module trampolines are assembled with `nop` "
                                   "(module_finalize installs the branch at load)");
            } else if (t.slot_target.present && t.literal.present) {
                t.agree = t.slot_target.identity == t.literal.identity ? "yes" : "NO";
                if (t.agree == "NO")
                    t.errors.push_back("slot `b " + t.slot_target.text +
                                       "` disagrees with literal " + t.literal.text);
            } else {
                t.agree = "?";
            }
        } else if (t.slot_is_nop) {
            t.notes.push_back(rep.module ? "slot nop: literal path until module_finalize "
                                           "installs `b` at load (when in range)"
                                         : "slot nop: literal path");
        }
        t.distance = "n/a (relocatable)";
        finish();
    }

    check_shared_literals(rep, literals);
    for (const auto &[shndx, idx] : by_section) {
        const Section *sec = section_by_index(img, shndx);
        check_packing(rep, l, sec->name, 0, sec->size, idx, true, false);
    }

    // No layout emits _kprobe_blacklist entries for trampolines.
    for (const auto &rs : img.relocs) {
        const Section *target = section_by_index(img, rs.applies_to);
        if (!target || target->name != kKprobeBlacklist)
            continue;
        for (const auto &r : rs.relocs) {
            const Value v = reloc_value(img, r, "");
            if (auto it = by_loc.find(v.identity); it != by_loc.end())
                kprobe_error(rep.trampolines[it->second], r.offset, true);
        }
    }
}

void audit_executable(const ElfImage &img, Report &rep, const Layout *forced) {
    const Symbolizer sym(img);
    uint64_t region_lo = 0, region_hi = 0;
    bool have_region = false;
    std::string region_name;
    // The section name every layout uses (they all live in .static_call.text).
    const std::string section = forced ? forced->section : sct::kLayouts[0].section;
    if (const Section *s = img.section_by_name(section)) {
        region_lo = s->addr;
        region_hi = s->addr + s->size;
        have_region = true;
        region_name = section;
        rep.region = section + " section";
    } else if (auto r = symbol_range(img, "__static_call_text_start", "__static_call_text_end")) {
        region_lo = r->first;
        region_hi = r->second;
        have_region = true;
        region_name = "__static_call_text_start..__static_call_text_end";
        rep.region = region_name;
    }
    if (have_region)
        rep.region += " [" + hex(region_lo) + ", " + hex(region_hi) + ")";

    // Dynamic relocations (relocatable kernels keep the literal in .rela.dyn
    // when linked with --no-apply-dynamic-relocs).
    std::unordered_map<uint64_t, const Reloc *> dynrel;
    for (const auto &rs : img.relocs)
        if (rs.applies_to == 0 || rs.name == ".rela.dyn")
            for (const auto &r : rs.relocs)
                dynrel[r.offset] = &r;
    // An 8-byte data word as the kernel sees it after relocation.
    auto data64 = [&](const Section &sec, uint64_t off, std::string *source,
                      std::vector<std::string> *errors) -> uint64_t {
        const uint64_t bytes = *img.read64(sec, off);
        *source = "section bytes";
        auto it = dynrel.find(sec.addr + off);
        if (it == dynrel.end())
            return bytes;
        const Reloc &r = *it->second;
        if (r.type == R_AARCH64_RELATIVE) {
            if (bytes && bytes != uint64_t(r.addend) && errors)
                errors->push_back("literal bytes " + hex(bytes) +
                                  " disagree with R_AARCH64_RELATIVE addend " +
                                  hex(uint64_t(r.addend)));
            if (!bytes) {
                *source = ".rela.dyn R_AARCH64_RELATIVE";
                return uint64_t(r.addend);
            }
        } else if (!bytes && errors) {
            errors->push_back("literal has dynamic relocation type " + dec(r.type) +
                              "; value unknown");
        }
        return bytes;
    };

    // One candidate per address; later symbols at the same address are aliases.
    struct Candidate {
        const Symbol *sym;
        const Section *code;       // the section holding its bytes
        std::vector<uint32_t> raw; // up to kMaxCodeWords words from the entry
        std::vector<std::string> aliases;
    };
    std::vector<Candidate> cands;
    std::map<uint64_t, size_t> cand_by_addr;
    for (const auto &s : img.symbols) {
        if (!starts_with(s.name, sct::kSymbolPrefix) || s.shndx == SHN_UNDEF ||
            s.shndx >= SHN_LORESERVE)
            continue;
        if (auto it = cand_by_addr.find(s.value); it != cand_by_addr.end()) {
            cands[it->second].aliases.push_back(s.name);
            continue;
        }
        cand_by_addr[s.value] = cands.size();
        const Section *code = img.section_at(s.value);
        cands.push_back({&s,
                         code,
                         code ? read_words(img, *code, s.value - code->addr, kMaxCodeWords)
                              : std::vector<uint32_t>{},
                         {}});
    }
    if (cands.empty())
        return;
    auto words_for = [](const Layout &l, const Candidate &c) {
        return std::vector<uint32_t>(c.raw.begin(),
                                     c.raw.begin() + std::min(c.raw.size(), l.code.size()));
    };
    const Layout &l = choose_layout(rep, cands.size(), forced, [&](const Layout &x, size_t i) {
        return words_for(x, cands[i]);
    });

    std::map<uint64_t, size_t> by_addr;
    std::vector<std::pair<std::string, size_t>> literals; // .rodata literal -> trampoline
    std::vector<size_t> in_region;
    for (const Candidate &c : cands) {
        const Symbol &s = *c.sym;
        Trampoline t;
        t.symbol = s.name;
        t.key = s.name.substr(std::strlen(sct::kSymbolPrefix));
        t.addr = s.value;
        t.size = s.size;
        auto finish = [&] {
            for (const auto &a : c.aliases)
                t.notes.push_back("alias symbol " + a);
            rep.trampolines.push_back(std::move(t));
        };
        const Section *sec = section_by_index(img, s.shndx);
        t.section = sec ? sec->name : "?";
        check_shape(t, l, "address");
        check_other_layout(t, l, [&](const Layout &x) { return words_for(x, c); });
        if (!have_region)
            t.errors.push_back("no .static_call.text section and no "
                               "__static_call_text_start/end symbols: trampoline outside "
                               ".static_call.text");
        else if (t.addr < region_lo || t.addr + l.size > region_hi)
            t.errors.push_back("trampoline outside .static_call.text (" + rep.region + ")");
        else
            in_region.push_back(rep.trampolines.size());
        by_addr[t.addr] = rep.trampolines.size();
        const Section *code = c.code;
        if (!code || t.addr + l.size > code->addr + code->bytes.size()) {
            t.errors.push_back("trampoline bytes not readable from the file");
            finish();
            continue;
        }
        if (!(code->flags & SHF_EXECINSTR))
            t.errors.push_back("section " + code->name + " is not executable");
        const uint64_t off = t.addr - code->addr;
        t.words = words_for(l, c);
        t.file_offset = code->offset + off;
        if (l.has_slot())
            t.slot_file_offset = code->offset + off + l.slot_offset();
        check_code_words(t, l);
        check_padding(t, l, read_words(img, *code, off + l.size, (l.stride - l.size) / 4));

        // Literal: where the adrp/ldr pair points.
        std::string source;
        uint64_t lit = 0;
        bool have_literal = false;
        if (auto la = sct::literal_address(l, t.addr, t.words); !la) {
            t.errors.push_back("literal address unknown: " + la.error());
        } else {
            t.literal_addr = *la;
            const Section *ls = img.section_at(*la);
            t.literal_at = hex(*la) + " in " + (ls ? ls->name : std::string("no section"));
            if (!ls || *la + 8 > ls->addr + ls->bytes.size()) {
                t.errors.push_back("literal " + hex(*la) +
                                   " (from the adrp/ldr pair) is not in the file's sections");
            } else {
                if (ls->name != l.literal_section)
                    t.errors.push_back("literal " + hex(*la) + " <" + sym(*la) +
                                       "> is in section " + ls->name + ", not " +
                                       l.literal_section);
                t.literal_file_offset = ls->offset + (*la - ls->addr);
                lit = data64(*ls, *la - ls->addr, &source, &t.errors);
                have_literal = true;
                literals.push_back({hex(*la), rep.trampolines.size()});
            }
        }
        const uint64_t slot_pc = t.addr + l.slot_offset();
        if (!have_literal) {
        } else if (lit == 0) {
            t.errors.push_back("literal is 0");
        } else {
            t.literal = {true, true, lit, "a:" + hex(lit), sym(lit), source};
            if (lit % 4)
                t.errors.push_back("literal target " + hex(lit) + " is not 4-byte aligned");
            if (const Section *ts = img.section_at(lit); !ts || !(ts->flags & SHF_EXECINSTR))
                t.errors.push_back("literal target " + hex(lit) + " <" + sym(lit) + "> is not in " +
                                   (ts ? "executable code (section " + ts->name + ")"
                                       : std::string("any section of the file")));
            if (l.has_slot())
                t.distance =
                    shex(int64_t(lit - slot_pc)) + (in_branch_range(slot_pc, lit) ? "" : " (far)");
        }

        // Slot: `b <literal>` when the literal is in branch range, else nop.
        if (const auto b_offset = read_slot(t, l)) {
            const uint64_t target = slot_pc + uint64_t(*b_offset);
            t.slot_target = {true, true, target, "a:" + hex(target), sym(target), "pc-relative"};
            t.slot = "b " + sym(target);
            if (t.literal.present) {
                t.agree = target == lit ? "yes" : "NO";
                if (target != lit)
                    t.errors.push_back("slot `b " + hex(target) + " <" + sym(target) +
                                       ">` disagrees with literal " + hex(lit) + " <" + sym(lit) +
                                       ">");
            } else {
                t.agree = "?";
            }
        } else if (t.slot_is_nop && t.literal.present && in_branch_range(slot_pc, lit)) {
            t.errors.push_back("slot `nop` although the literal " + hex(lit) + " <" + sym(lit) +
                               "> is in branch range: expected `b " + sym(lit) + "`");
        }
        finish();
    }

    check_shared_literals(rep, literals);
    if (have_region)
        check_packing(rep, l, region_name, region_lo, region_hi, in_region, false, true);

    // No layout emits _kprobe_blacklist entries for trampolines. vmlinux merges
    // the input sections into init data between __start/__stop_kprobe_blacklist.
    auto kb_range = symbol_range(img, "__start_kprobe_blacklist", "__stop_kprobe_blacklist");
    if (const Section *kb = img.section_by_name(kKprobeBlacklist); kb && !kb_range)
        kb_range = {kb->addr, kb->addr + kb->size};
    for (uint64_t a = kb_range ? kb_range->first : 0;
         !by_addr.empty() && kb_range && a + 8 <= kb_range->second; a += 8) {
        const Section *kb = img.section_at(a);
        if (!kb || a + 8 > kb->addr + kb->bytes.size())
            continue;
        std::string source;
        const uint64_t v = data64(*kb, a - kb->addr, &source, nullptr);
        if (auto it = by_addr.find(v); it != by_addr.end())
            kprobe_error(rep.trampolines[it->second], a, false);
    }

    // Call sites: direct b/bl in executable sections whose target is a trampoline.
    for (const auto &s : img.sections) {
        if (!(s.flags & SHF_EXECINSTR) || s.type != SHT_PROGBITS)
            continue;
        const uint8_t *p = s.bytes.data();
        for (uint64_t o = 0; o + 4 <= s.bytes.size(); o += 4) {
            const uint32_t w = uint32_t(p[o]) | uint32_t(p[o + 1]) << 8 | uint32_t(p[o + 2]) << 16 |
                               uint32_t(p[o + 3]) << 24;
            if ((w & 0x7c000000u) != 0x14000000u)
                continue;
            const int64_t imm = int64_t(uint64_t(w & 0x03ffffffu) << 38) >> 36;
            const uint64_t target = s.addr + o + uint64_t(imm);
            if (auto it = by_addr.find(target); it != by_addr.end())
                ++rep.trampolines[it->second].calls;
        }
    }
}

} // namespace

size_t Report::broken() const {
    size_t n = 0;
    for (const auto &t : trampolines)
        n += !t.errors.empty();
    return n;
}

a64::Result<Report> audit(const std::string &path, const sct::Layout *layout) {
    auto img = ElfImage::open(path);
    if (!img)
        return a64::err(img.error());
    Report rep;
    rep.path = path;
    rep.kind = (*img)->type_name();
    if ((*img)->symbols.empty())
        return a64::err(path + ": no symbol table (.symtab); cannot find __SCT__ symbols");
    if ((*img)->is_rel())
        audit_relocatable(**img, rep, layout);
    else
        audit_executable(**img, rep, layout);
    std::sort(rep.trampolines.begin(), rep.trampolines.end(),
              [](const Trampoline &a, const Trampoline &b) {
                  return a.section != b.section ? a.section < b.section : a.addr < b.addr;
              });
    return rep;
}

void print_report(const Report &r, FILE *out, bool verbose) {
    const bool rel = r.kind == "ET_REL";
    std::fprintf(out, "sc-audit: %s (%s%s, arm64)\n", r.path.c_str(), r.kind.c_str(),
                 r.module ? " module" : "");
    if (!r.region.empty())
        std::fprintf(out, "static call text: %s\n", r.region.c_str());
    if (r.trampolines.empty()) {
        std::fprintf(out, "no arm64 static call trampolines\n");
    } else {
        const Layout &l = r.layout ? *r.layout : sct::kLayouts[0];
        std::fprintf(out, "layout: %s (%s): %s\n", l.name, r.layout_how.c_str(),
                     sct::describe(l).c_str());
        size_t kw = 3, sw = 4, lw = 7, aw = 18;
        for (const auto &t : r.trampolines) {
            aw = std::max(aw, t.section.size() + 3 + hex(t.addr).size());
            kw = std::max(kw, t.key.size());
            sw = std::max(sw, t.slot.size());
            lw = std::max(lw, t.literal.present ? t.literal.text.size() : 1);
        }
        kw = std::min<size_t>(kw, 40);
        sw = std::min<size_t>(sw, 48);
        lw = std::min<size_t>(lw, 48);
        std::fprintf(out, "%-*s  %-*s %5s %4s  %-*s  %-*s  %5s  %-16s %6s  %s\n", int(kw), "KEY",
                     int(rel ? aw : 18), "ADDRESS", "ALIGN", "SIZE", int(sw), "SLOT", int(lw),
                     "LITERAL", "AGREE", "DISTANCE", "CALLS", "STATUS");
        size_t literal_path = 0;
        uint64_t calls = 0;
        for (const auto &t : r.trampolines) {
            const std::string addr = rel ? t.section + "+" + hex(t.addr) : hex(t.addr);
            std::fprintf(out, "%-*s  %-*s %5u %4llu  %-*s  %-*s  %5s  %-16s %6llu  %s\n", int(kw),
                         t.key.c_str(), int(rel ? aw : 18), addr.c_str(),
                         alignment(t.addr, l.align), (unsigned long long)t.size, int(sw),
                         t.slot.c_str(), int(lw), t.literal.present ? t.literal.text.c_str() : "0",
                         t.agree.c_str(), t.distance.empty() ? "-" : t.distance.c_str(),
                         (unsigned long long)t.calls, t.errors.empty() ? "ok" : "BROKEN");
            literal_path += t.slot_is_nop || !l.has_slot();
            calls += t.calls;
            if (verbose) {
                std::string words;
                for (uint32_t w : t.words) {
                    char buf[12];
                    std::snprintf(buf, sizeof buf, "%s%08x", words.empty() ? "" : " ", w);
                    words += buf;
                }
                const std::string slot =
                    l.has_slot() ? "slot at file offset " + hex(t.slot_file_offset) : "no slot";
                const std::string lit_at =
                    t.literal_at.empty() ? std::string() : " (" + t.literal_at + ")";
                std::fprintf(out, "    words %s; literal from %s; %s, literal at %s%s\n",
                             words.c_str(), t.literal.present ? t.literal.source.c_str() : "-",
                             slot.c_str(), hex(t.literal_file_offset).c_str(), lit_at.c_str());
                for (const auto &n : t.notes)
                    std::fprintf(out, "    note: %s\n", n.c_str());
            }
        }
        for (const auto &t : r.trampolines)
            for (const auto &e : t.errors)
                std::fprintf(out, "ERROR %s: %s\n", t.symbol.c_str(), e.c_str());
        for (const auto &[where, e] : r.errors)
            std::fprintf(out, "ERROR %s: %s\n", where.c_str(), e.c_str());
        std::string more;
        if (!r.errors.empty())
            more = ", " + std::to_string(r.errors.size()) + " static call text error(s)";
        std::fprintf(out,
                     "summary: %zu trampolines, %zu broken, %zu on the literal path (%s), "
                     "%llu direct call sites%s\n",
                     r.trampolines.size(), r.broken(), literal_path,
                     l.has_slot() ? "slot nop" : "no slot", (unsigned long long)calls,
                     more.c_str());
        if (rel)
            std::fprintf(out,
                         "note: ALIGN is the section offset's alignment (%llu = aligned); "
                         "relocatable file, literal/slot targets are symbolic\n",
                         (unsigned long long)l.align);
    }
    for (const auto &[name, n] : r.external)
        std::fprintf(out, "external trampoline %s: %llu call site(s)\n", name.c_str(),
                     (unsigned long long)n);
}

} // namespace scaudit
