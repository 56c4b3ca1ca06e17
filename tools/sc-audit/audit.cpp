#include "audit.h"

#include "a64.h"

#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <map>
#include <unordered_map>

namespace scaudit {
namespace {

constexpr const char *kPrefix = "__SCT__";
constexpr uint32_t kLdrX16Lit = 0x58ffff90; // ldr x16, tramp-8 (from tramp+8)
constexpr uint32_t kBrX16 = 0xd61f0200;

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string shex(int64_t v) {
    return v < 0 ? "-" + hex(uint64_t(0) - uint64_t(v)) : "+" + hex(uint64_t(v));
}

bool starts_with(const std::string &s, const char *p) {
    return s.rfind(p, 0) == 0;
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
            ident = "s" + std::to_string(s.shndx) + ":" + hex(s.value + uint64_t(r.addend));
        else
            ident = "u:" + s.name + shex(r.addend);
    }
    v.identity = ident;
    v.text = r.addend ? name + shex(r.addend) : name;
    return v;
}

void check_code_words(Trampoline &t) {
    if (t.words[0] != a64::kBtiC)
        t.errors.push_back("layout: word at +0 is `" + a64::disassemble(t.words[0], t.addr) +
                           "` (" + hex(t.words[0]) + "), expected `bti c`");
    if (t.words[2] != kLdrX16Lit)
        t.errors.push_back("layout: word at +8 is `" + a64::disassemble(t.words[2], t.addr + 8) +
                           "` (" + hex(t.words[2]) + "), expected `ldr x16, <tramp-8>` (" +
                           hex(kLdrX16Lit) + ")");
    if (t.words[3] != kBrX16)
        t.errors.push_back("layout: word at +12 is `" + a64::disassemble(t.words[3], t.addr + 12) +
                           "` (" + hex(t.words[3]) + "), expected `br x16`");
}

// The slot holds something the series never writes there.
void note_bad_slot(Trampoline &t, uint32_t slot) {
    t.slot = ".inst " + hex(slot);
    t.errors.push_back("slot is neither `b` nor `nop`: `" + a64::disassemble(slot, t.addr + 4) +
                       "` (" + hex(slot) + ")");
}

const char *kind_name(uint16_t type) {
    switch (type) {
    case ET_REL:
        return "ET_REL";
    case ET_EXEC:
        return "ET_EXEC";
    case ET_DYN:
        return "ET_DYN";
    }
    return "ET_?";
}

void audit_relocatable(const ElfImage &img, Report &rep) {
    std::map<std::string, uint64_t> external;
    std::vector<const Symbol *> tsyms;
    for (const auto &s : img.symbols) {
        if (!starts_with(s.name, kPrefix))
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
            else if (starts_with(s.name, kPrefix))
                ++calls_by_name[s.name];
        }
    }
    for (auto &[name, n] : external)
        n = calls_by_name[name];
    rep.external.assign(external.begin(), external.end());

    for (const Symbol *s : tsyms) {
        Trampoline t;
        t.symbol = s->name;
        t.key = s->name.substr(std::strlen(kPrefix));
        t.addr = s->value;
        const Section *sec = section_by_index(img, s->shndx);
        if (!sec) {
            t.errors.push_back("symbol section index " + std::to_string(s->shndx) + " invalid");
            rep.trampolines.push_back(std::move(t));
            continue;
        }
        t.section = sec->name;
        t.calls = calls_by_name[s->name] + calls_by_loc[{s->shndx, s->value}];
        if (sec->name != ".static_call.text")
            t.errors.push_back("trampoline is in section " + sec->name + ", not .static_call.text");
        if (t.addr % 16)
            t.errors.push_back("misaligned trampoline: section offset " + hex(t.addr) +
                               " is not 16-byte aligned");
        if (sec->align < 16)
            t.errors.push_back("section " + sec->name + " is only " + std::to_string(sec->align) +
                               "-byte aligned (need 16)");
        std::map<uint64_t, const Reloc *> rel;
        for (const auto &rs : img.relocs)
            if (rs.applies_to == sec->index)
                for (const auto &r : rs.relocs)
                    rel[r.offset] = &r;
        if (t.addr < 8 || sec->bytes.size() < t.addr + 16) {
            t.errors.push_back("trampoline does not fit in its section (literal at -8, 16 bytes "
                               "of code)");
            rep.trampolines.push_back(std::move(t));
            continue;
        }
        for (int k = 0; k < 4; ++k)
            t.words[k] = *img.read32(*sec, t.addr + 4 * uint64_t(k));
        t.slot_file_offset = sec->offset + t.addr + 4;
        // `ldr x16, <sym>-8` against a global symbol keeps an LD_PREL_LO19
        // relocation; accept it when it resolves to this trampoline's literal.
        if (auto it = rel.find(t.addr + 8); it != rel.end()) {
            const Value v = reloc_value(img, *it->second, "R_AARCH64_LD_PREL_LO19");
            const std::string want = "s" + std::to_string(sec->index) + ":" + hex(t.addr - 8);
            if (it->second->type == R_AARCH64_LD_PREL_LO19 &&
                (t.words[2] & 0xff00001fu) == 0x58000010u && v.identity == want)
                t.words[2] = kLdrX16Lit;
            else
                t.errors.push_back("ldr x16 at +8 is relocated against " + v.text +
                                   ", not this trampoline's literal");
        }
        check_code_words(t);

        // Literal: R_AARCH64_ABS64 at tramp-8, or plain bytes.
        if (auto it = rel.find(t.addr - 8); it != rel.end()) {
            if (it->second->type == R_AARCH64_ABS64)
                t.literal = reloc_value(img, *it->second, "R_AARCH64_ABS64");
            else
                t.errors.push_back("literal relocation type " + std::to_string(it->second->type) +
                                   " (expected ABS64)");
        } else {
            const uint64_t v = *img.read64(*sec, t.addr - 8);
            if (v) {
                t.literal = {true, true, v, "a:" + hex(v), hex(v), "section bytes"};
            }
        }
        if (!t.literal.present)
            t.errors.push_back("literal is 0 (no relocation, zero bytes)");

        // Slot.
        const uint32_t slot = t.words[1];
        auto d = a64::decode(slot);
        if (slot == a64::kNop) {
            t.slot_is_nop = true;
            t.slot = "nop";
            t.agree = "-";
            t.notes.push_back("slot nop: literal path (module trampolines start this way)");
        } else if (d && d->op == a64::Op::B) {
            t.slot_is_b = true;
            if (auto it = rel.find(t.addr + 4); it != rel.end()) {
                if (it->second->type == R_AARCH64_JUMP26 || it->second->type == R_AARCH64_CALL26)
                    t.slot_target = reloc_value(img, *it->second, "R_AARCH64_JUMP26");
                else
                    t.errors.push_back("slot relocation type " + std::to_string(it->second->type) +
                                       " (expected JUMP26)");
            } else {
                const uint64_t off = t.addr + 4 + uint64_t(d->imm);
                t.slot_target = {true,
                                 false,
                                 0,
                                 "s" + std::to_string(sec->index) + ":" + hex(off),
                                 sec->name + "+" + hex(off),
                                 "pc-relative"};
            }
            t.slot = "b " + (t.slot_target.present ? t.slot_target.text : std::string("?"));
            if (t.slot_target.present && t.literal.present) {
                t.agree = t.slot_target.identity == t.literal.identity ? "yes" : "NO";
                if (t.agree == "NO")
                    t.errors.push_back("slot `b " + t.slot_target.text +
                                       "` disagrees with literal " + t.literal.text);
            } else {
                t.agree = "?";
            }
        } else {
            note_bad_slot(t, slot);
        }
        t.distance = "n/a (relocatable)";
        rep.trampolines.push_back(std::move(t));
    }
}

void audit_executable(const ElfImage &img, Report &rep) {
    const Symbolizer sym(img);
    uint64_t region_lo = 0, region_hi = 0;
    bool have_region = false;
    if (const Section *s = img.section_by_name(".static_call.text")) {
        region_lo = s->addr;
        region_hi = s->addr + s->size;
        have_region = true;
        rep.region = ".static_call.text section";
    } else {
        std::optional<uint64_t> lo, hi;
        for (const auto &s : img.symbols) {
            if (s.name == "__static_call_text_start")
                lo = s.value;
            if (s.name == "__static_call_text_end")
                hi = s.value;
        }
        if (lo && hi) {
            region_lo = *lo;
            region_hi = *hi;
            have_region = true;
            rep.region = "__static_call_text_start..__static_call_text_end";
        }
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

    std::map<uint64_t, size_t> by_addr;
    for (const auto &s : img.symbols) {
        if (!starts_with(s.name, kPrefix) || s.shndx == SHN_UNDEF || s.shndx >= SHN_LORESERVE)
            continue;
        if (by_addr.count(s.value)) {
            rep.trampolines[by_addr[s.value]].notes.push_back("alias symbol " + s.name);
            continue;
        }
        Trampoline t;
        t.symbol = s.name;
        t.key = s.name.substr(std::strlen(kPrefix));
        t.addr = s.value;
        const Section *sec = section_by_index(img, s.shndx);
        t.section = sec ? sec->name : "?";
        if (t.addr % 16)
            t.errors.push_back("misaligned trampoline: address " + hex(t.addr) +
                               " is not 16-byte aligned");
        if (!have_region)
            t.errors.push_back("no .static_call.text section and no "
                               "__static_call_text_start/end symbols: trampoline outside "
                               ".static_call.text");
        else if (t.addr < region_lo || t.addr + 16 > region_hi)
            t.errors.push_back("trampoline outside .static_call.text (" + rep.region + ")");
        by_addr[t.addr] = rep.trampolines.size();
        const Section *code = img.section_at(t.addr);
        if (!code || t.addr < code->addr + 8 || t.addr + 16 > code->addr + code->bytes.size()) {
            t.errors.push_back("trampoline bytes not readable from the file");
            rep.trampolines.push_back(std::move(t));
            continue;
        }
        const uint64_t off = t.addr - code->addr;
        for (int k = 0; k < 4; ++k)
            t.words[k] = *img.read32(*code, off + 4 * uint64_t(k));
        t.slot_file_offset = code->offset + off + 4;
        check_code_words(t);

        // Literal.
        const uint64_t bytes = *img.read64(*code, off - 8);
        uint64_t lit = bytes;
        std::string source = "section bytes";
        if (auto it = dynrel.find(t.addr - 8); it != dynrel.end()) {
            const Reloc &r = *it->second;
            if (r.type == R_AARCH64_RELATIVE) {
                if (bytes && bytes != uint64_t(r.addend))
                    t.errors.push_back("literal bytes " + hex(bytes) +
                                       " disagree with R_AARCH64_RELATIVE addend " +
                                       hex(uint64_t(r.addend)));
                if (!bytes) {
                    lit = uint64_t(r.addend);
                    source = ".rela.dyn R_AARCH64_RELATIVE";
                }
            } else if (!bytes) {
                t.errors.push_back("literal has dynamic relocation type " + std::to_string(r.type) +
                                   "; value unknown");
            }
        }
        if (t.addr % 8 != 0)
            t.errors.push_back("literal at " + hex(t.addr - 8) + " is not 8-byte aligned");
        if (lit == 0) {
            t.errors.push_back("literal is 0");
        } else {
            t.literal = {true, true, lit, "a:" + hex(lit), sym(lit), source};
            if (lit % 4)
                t.errors.push_back("literal target " + hex(lit) + " is not 4-byte aligned");
            const int64_t dist = int64_t(lit - (t.addr + 4));
            const bool in_range = dist >= a64::kBranchMin && dist <= a64::kBranchMax;
            t.distance = shex(dist) + (in_range ? "" : " (far)");
        }

        // Slot.
        const uint32_t slot = t.words[1];
        auto d = a64::decode(slot);
        if (slot == a64::kNop) {
            t.slot_is_nop = true;
            t.slot = "nop";
            t.agree = "-";
            if (t.literal.present) {
                const int64_t dist = int64_t(t.literal.abs - (t.addr + 4));
                if (dist >= a64::kBranchMin && dist <= a64::kBranchMax)
                    t.notes.push_back("slot nop although the literal target is in range (literal "
                                      "path; only expected before the first update)");
            }
        } else if (d && d->op == a64::Op::B) {
            t.slot_is_b = true;
            const uint64_t target = t.addr + 4 + uint64_t(d->imm);
            t.slot_target = {true, true, target, "a:" + hex(target), sym(target), "pc-relative"};
            t.slot = "b " + sym(target);
            if (t.literal.present) {
                t.agree = target == t.literal.abs ? "yes" : "NO";
                if (target != t.literal.abs)
                    t.errors.push_back("slot `b " + hex(target) + " <" + sym(target) +
                                       ">` disagrees with literal " + hex(t.literal.abs) + " <" +
                                       sym(t.literal.abs) + ">");
            } else {
                t.agree = "?";
            }
        } else {
            note_bad_slot(t, slot);
        }
        rep.trampolines.push_back(std::move(t));
    }

    // Call sites: direct b/bl in executable sections whose target is a trampoline.
    if (!by_addr.empty()) {
        for (const auto &s : img.sections) {
            if (!(s.flags & SHF_EXECINSTR) || s.type != SHT_PROGBITS)
                continue;
            const uint8_t *p = s.bytes.data();
            for (uint64_t o = 0; o + 4 <= s.bytes.size(); o += 4) {
                const uint32_t w = uint32_t(p[o]) | uint32_t(p[o + 1]) << 8 |
                                   uint32_t(p[o + 2]) << 16 | uint32_t(p[o + 3]) << 24;
                if ((w & 0x7c000000u) != 0x14000000u)
                    continue;
                const int64_t imm = int64_t(uint64_t(w & 0x03ffffffu) << 38) >> 36;
                const uint64_t target = s.addr + o + uint64_t(imm);
                if (auto it = by_addr.find(target); it != by_addr.end())
                    ++rep.trampolines[it->second].calls;
            }
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

a64::Result<Report> audit(const std::string &path) {
    auto img = ElfImage::open(path);
    if (!img)
        return a64::err(img.error());
    Report rep;
    rep.path = path;
    rep.kind = kind_name((*img)->type);
    if ((*img)->symbols.empty())
        return a64::err(path + ": no symbol table (.symtab); cannot find __SCT__ symbols");
    if ((*img)->is_rel())
        audit_relocatable(**img, rep);
    else
        audit_executable(**img, rep);
    std::sort(rep.trampolines.begin(), rep.trampolines.end(),
              [](const Trampoline &a, const Trampoline &b) {
                  return a.section != b.section ? a.section < b.section : a.addr < b.addr;
              });
    return rep;
}

void print_report(const Report &r, FILE *out, bool verbose) {
    std::fprintf(out, "sc-audit: %s (%s, arm64)\n", r.path.c_str(), r.kind.c_str());
    if (!r.region.empty())
        std::fprintf(out, "static call text: %s\n", r.region.c_str());
    if (r.trampolines.empty()) {
        std::fprintf(out, "no arm64 static call trampolines\n");
    } else {
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
        std::fprintf(out, "%-*s  %-*s %5s  %-*s  %-*s  %5s  %-16s %6s  %s\n", int(kw), "KEY",
                     int(r.kind == "ET_REL" ? aw : 18), "ADDRESS", "ALIGN", int(sw), "SLOT",
                     int(lw), "LITERAL", "AGREE", "DISTANCE", "CALLS", "STATUS");
        size_t literal_path = 0;
        uint64_t calls = 0;
        for (const auto &t : r.trampolines) {
            const std::string addr =
                r.kind == "ET_REL" ? t.section + "+" + hex(t.addr) : hex(t.addr);
            std::fprintf(out, "%-*s  %-*s %5u  %-*s  %-*s  %5s  %-16s %6llu  %s\n", int(kw),
                         t.key.c_str(), int(r.kind == "ET_REL" ? aw : 18), addr.c_str(),
                         unsigned(t.addr % 16 ? t.addr % 16 : 16), int(sw), t.slot.c_str(), int(lw),
                         t.literal.present ? t.literal.text.c_str() : "0", t.agree.c_str(),
                         t.distance.empty() ? "-" : t.distance.c_str(), (unsigned long long)t.calls,
                         t.errors.empty() ? "ok" : "BROKEN");
            literal_path += t.slot_is_nop;
            calls += t.calls;
            if (verbose) {
                std::fprintf(out,
                             "    words %08x %08x %08x %08x; literal from %s; slot at file "
                             "offset %s\n",
                             t.words[0], t.words[1], t.words[2], t.words[3],
                             t.literal.present ? t.literal.source.c_str() : "-",
                             hex(t.slot_file_offset).c_str());
                for (const auto &n : t.notes)
                    std::fprintf(out, "    note: %s\n", n.c_str());
            }
        }
        for (const auto &t : r.trampolines)
            for (const auto &e : t.errors)
                std::fprintf(out, "ERROR %s: %s\n", t.symbol.c_str(), e.c_str());
        std::fprintf(out,
                     "summary: %zu trampolines, %zu broken, %zu on the literal path (slot nop), "
                     "%llu direct call sites\n",
                     r.trampolines.size(), r.broken(), literal_path, (unsigned long long)calls);
        if (r.kind == "ET_REL")
            std::fprintf(out, "note: ALIGN is the section offset modulo 16 (16 = aligned); "
                              "relocatable file, literal/slot targets are symbolic\n");
    }
    for (const auto &[name, n] : r.external)
        std::fprintf(out, "external trampoline %s: %llu call site(s)\n", name.c_str(),
                     (unsigned long long)n);
}

} // namespace scaudit
