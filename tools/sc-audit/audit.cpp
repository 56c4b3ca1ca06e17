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

constexpr const char *kKprobeBlacklist = "_kprobe_blacklist";

using a64::hex;

// Offsets always carry their sign: "+0x10", "-0x10".
std::string shex(int64_t v) {
    return a64::shex(v, true);
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

// Alignment of an address as a power of two, capped at the required one.
unsigned alignment(uint64_t a) {
    unsigned n = 1;
    while (n < sct::kAlign && a % (2 * n) == 0)
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

// Entry alignment and symbol size, for both image kinds.
void check_shape(Trampoline &t, const char *what) {
    if (t.addr % sct::kAlign)
        t.errors.push_back(std::string("misaligned trampoline: ") + what + " " + hex(t.addr) +
                           " is not 8-byte aligned (nor is the literal at +16)");
    if (t.size != sct::kSize)
        t.errors.push_back("symbol size " + std::to_string(t.size) + ", expected " +
                           std::to_string(sct::kSize) + " (`.size` must cover the literal at +16)");
}

void check_code_words(Trampoline &t) {
    if (t.words[0] != a64::kBtiC)
        t.errors.push_back("layout: word at +0 is `" + a64::disassemble(t.words[0], t.addr) +
                           "` (" + hex(t.words[0]) + "), expected `bti c`");
    if (t.words[2] != sct::kLdrX16Literal)
        t.errors.push_back("layout: word at +8 is `" +
                           a64::disassemble(t.words[2], t.addr + sct::kLdrOffset) + "` (" +
                           hex(t.words[2]) + "), expected `ldr x16, <entry+16>` (" +
                           hex(sct::kLdrX16Literal) + ")");
    if (t.words[3] != sct::kBrX16)
        t.errors.push_back("layout: word at +12 is `" +
                           a64::disassemble(t.words[3], t.addr + sct::kBrOffset) + "` (" +
                           hex(t.words[3]) + "), expected `br x16`");
}

// The slot word t.words[1]: `nop` (marked in t, the literal path), `b` (the
// branch offset is returned), or anything else, which the series never
// writes there (an error).
std::optional<int64_t> read_slot(Trampoline &t) {
    const uint32_t slot = t.words[1];
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
    t.errors.push_back("slot is neither `b` nor `nop`: `" +
                       a64::disassemble(slot, t.addr + sct::kSlotOffset) + "` (" + hex(slot) + ")");
    return std::nullopt;
}

// The values of the symbols `lo` and `hi` (a start/end pair), when both exist.
std::optional<std::pair<uint64_t, uint64_t>> symbol_range(const ElfImage &img, const char *lo,
                                                          const char *hi) {
    const Symbol *a = img.symbol_by_name(lo), *b = img.symbol_by_name(hi);
    if (!a || !b)
        return std::nullopt;
    return std::pair{a->value, b->value};
}

// Trampolines are packed at a 24-byte stride from `lo` to `hi` with no
// padding: every byte of the region belongs to exactly one trampoline.
// `idx` are the trampolines inside the region.
void check_packing(Report &rep, const std::string &where, uint64_t lo, uint64_t hi,
                   std::vector<size_t> idx, bool relocatable) {
    auto addr = [&](uint64_t a) { return relocatable ? where + "+" + hex(a) : hex(a); };
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        return rep.trampolines[a].addr < rep.trampolines[b].addr;
    });
    uint64_t at = lo;
    const Trampoline *prev = nullptr;
    for (size_t i : idx) {
        Trampoline &t = rep.trampolines[i];
        if (t.addr > at)
            rep.errors.push_back(
                {where, std::to_string(t.addr - at) + " byte(s) at [" + addr(at) + ", " +
                            addr(t.addr) + ") belong to no trampoline (trampolines are packed at " +
                            "a 24-byte stride, no padding)"});
        else if (prev && t.addr < at)
            t.errors.push_back("overlaps " + prev->symbol + " (starts " +
                               std::to_string(at - t.addr) + " byte(s) before its end)");
        at = std::max(at, t.addr + sct::kSize);
        prev = &t;
    }
    if (at < hi)
        rep.errors.push_back({where, std::to_string(hi - at) + " byte(s) at [" + addr(at) + ", " +
                                         addr(hi) + ") after the last trampoline belong to no " +
                                         "trampoline (trampolines are packed at a 24-byte " +
                                         "stride, no padding)"});
}

void kprobe_error(Trampoline &t, uint64_t entry_addr, bool relocatable) {
    t.errors.push_back(std::string(kKprobeBlacklist) + " entry at " +
                       (relocatable ? std::string(kKprobeBlacklist) + "+" : std::string()) +
                       hex(entry_addr) +
                       " names this trampoline (v1 leftover: v2 emits none and refuses kprobes "
                       "on trampolines by address range)");
}

// A module (.ko, or an object built for one): the modpost section or modinfo.
bool is_module(const ElfImage &img) {
    return img.section_by_name(".gnu.linkonce.this_module") || img.section_by_name(".modinfo");
}

void audit_relocatable(const ElfImage &img, Report &rep) {
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

    std::map<std::string, size_t> by_loc;             // loc_id(section, offset) -> trampoline
    std::map<size_t, std::vector<size_t>> by_section; // .static_call.text index -> trampolines
    for (const Symbol *s : tsyms) {
        const std::string loc = loc_id(s->shndx, s->value);
        if (auto it = by_loc.find(loc); it != by_loc.end()) {
            rep.trampolines[it->second].notes.push_back("alias symbol " + s->name);
            rep.trampolines[it->second].calls += calls_by_name[s->name];
            continue;
        }
        Trampoline t;
        t.symbol = s->name;
        t.key = s->name.substr(std::strlen(sct::kSymbolPrefix));
        t.addr = s->value;
        t.size = s->size;
        const Section *sec = section_by_index(img, s->shndx);
        if (!sec) {
            t.errors.push_back("symbol section index " + std::to_string(s->shndx) + " invalid");
            rep.trampolines.push_back(std::move(t));
            continue;
        }
        t.section = sec->name;
        t.calls = calls_by_name[s->name] + calls_by_loc[{s->shndx, s->value}];
        by_loc[loc] = rep.trampolines.size();
        if (sec->name != sct::kSection)
            t.errors.push_back("trampoline is in section " + sec->name + ", not " + sct::kSection);
        else
            by_section[sec->index].push_back(rep.trampolines.size());
        if (!(sec->flags & SHF_EXECINSTR))
            t.errors.push_back("section " + sec->name + " is not executable");
        check_shape(t, "section offset");
        if (sec->align < sct::kAlign)
            t.errors.push_back("section " + sec->name + " is only " + std::to_string(sec->align) +
                               "-byte aligned (need 8)");
        std::map<uint64_t, const Reloc *> rel;
        for (const auto &rs : img.relocs)
            if (rs.applies_to == sec->index)
                for (const auto &r : rs.relocs)
                    rel[r.offset] = &r;
        if (sec->bytes.size() < t.addr + sct::kSize) {
            t.errors.push_back("trampoline does not fit in its section (24 bytes: 16 of code, "
                               "then the literal)");
            rep.trampolines.push_back(std::move(t));
            continue;
        }
        for (unsigned k = 0; k < sct::kCodeWords; ++k)
            t.words[k] = *img.read32(*sec, t.addr + 4 * uint64_t(k));
        t.slot_file_offset = sec->offset + t.addr + sct::kSlotOffset;
        t.literal_file_offset = sec->offset + t.addr + sct::kLiteralOffset;
        // `ldr x16, <sym>+16` against a global symbol keeps an LD_PREL_LO19
        // relocation; accept it when it resolves to this trampoline's literal.
        if (auto it = rel.find(t.addr + sct::kLdrOffset); it != rel.end()) {
            const Value v = reloc_value(img, *it->second, "R_AARCH64_LD_PREL_LO19");
            const std::string want = loc_id(sec->index, t.addr + sct::kLiteralOffset);
            if (it->second->type == R_AARCH64_LD_PREL_LO19 &&
                (t.words[2] & 0xff00001fu) == 0x58000010u && v.identity == want)
                t.words[2] = sct::kLdrX16Literal;
            else
                t.errors.push_back("ldr x16 at +8 is relocated against " + v.text +
                                   ", not this trampoline's literal at +16");
        }
        check_code_words(t);

        // Literal: must be an R_AARCH64_ABS64 relocation at entry+16.
        if (auto it = rel.find(t.addr + sct::kLiteralOffset); it != rel.end()) {
            if (it->second->type == R_AARCH64_ABS64)
                t.literal = reloc_value(img, *it->second, "R_AARCH64_ABS64");
            else
                t.errors.push_back("literal relocation type " + std::to_string(it->second->type) +
                                   " (expected R_AARCH64_ABS64)");
        } else if (const uint64_t v = *img.read64(*sec, t.addr + sct::kLiteralOffset); v) {
            t.literal = {true, true, v, "a:" + hex(v), hex(v), "section bytes"};
            t.errors.push_back("literal " + hex(v) +
                               " has no R_AARCH64_ABS64 relocation (a constant, not the address "
                               "of the target)");
        } else {
            t.errors.push_back("literal is 0 (no relocation, zero bytes)");
        }

        // Slot.
        if (const auto b_offset = read_slot(t)) {
            if (auto it = rel.find(t.addr + sct::kSlotOffset); it != rel.end()) {
                if (it->second->type == R_AARCH64_JUMP26 || it->second->type == R_AARCH64_CALL26)
                    t.slot_target = reloc_value(img, *it->second, "R_AARCH64_JUMP26");
                else
                    t.errors.push_back("slot relocation type " + std::to_string(it->second->type) +
                                       " (expected JUMP26)");
            } else {
                const uint64_t off = t.addr + sct::kSlotOffset + uint64_t(*b_offset);
                t.slot_target = {
                    true,         false, 0, loc_id(sec->index, off), sec->name + "+" + hex(off),
                    "pc-relative"};
            }
            t.slot = "b " + (t.slot_target.present ? t.slot_target.text : std::string("?"));
            if (rep.module) {
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
        rep.trampolines.push_back(std::move(t));
    }

    for (const auto &[shndx, idx] : by_section) {
        const Section *sec = section_by_index(img, shndx);
        check_packing(rep, sec->name, 0, sec->size, idx, true);
    }

    // v2 emits no _kprobe_blacklist entries for trampolines.
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

void audit_executable(const ElfImage &img, Report &rep) {
    const Symbolizer sym(img);
    uint64_t region_lo = 0, region_hi = 0;
    bool have_region = false;
    std::string region_name;
    if (const Section *s = img.section_by_name(sct::kSection)) {
        region_lo = s->addr;
        region_hi = s->addr + s->size;
        have_region = true;
        region_name = sct::kSection;
        rep.region = std::string(sct::kSection) + " section";
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
            errors->push_back("literal has dynamic relocation type " + std::to_string(r.type) +
                              "; value unknown");
        }
        return bytes;
    };

    std::map<uint64_t, size_t> by_addr;
    std::vector<size_t> in_region;
    for (const auto &s : img.symbols) {
        if (!starts_with(s.name, sct::kSymbolPrefix) || s.shndx == SHN_UNDEF ||
            s.shndx >= SHN_LORESERVE)
            continue;
        if (by_addr.count(s.value)) {
            rep.trampolines[by_addr[s.value]].notes.push_back("alias symbol " + s.name);
            continue;
        }
        Trampoline t;
        t.symbol = s.name;
        t.key = s.name.substr(std::strlen(sct::kSymbolPrefix));
        t.addr = s.value;
        t.size = s.size;
        const Section *sec = section_by_index(img, s.shndx);
        t.section = sec ? sec->name : "?";
        check_shape(t, "address");
        if (!have_region)
            t.errors.push_back("no .static_call.text section and no "
                               "__static_call_text_start/end symbols: trampoline outside "
                               ".static_call.text");
        else if (t.addr < region_lo || t.addr + sct::kSize > region_hi)
            t.errors.push_back("trampoline outside .static_call.text (" + rep.region + ")");
        else
            in_region.push_back(rep.trampolines.size());
        by_addr[t.addr] = rep.trampolines.size();
        const Section *code = img.section_at(t.addr);
        if (!code || t.addr + sct::kSize > code->addr + code->bytes.size()) {
            t.errors.push_back("trampoline bytes not readable from the file");
            rep.trampolines.push_back(std::move(t));
            continue;
        }
        if (!(code->flags & SHF_EXECINSTR))
            t.errors.push_back("section " + code->name + " is not executable");
        const uint64_t off = t.addr - code->addr;
        for (unsigned k = 0; k < sct::kCodeWords; ++k)
            t.words[k] = *img.read32(*code, off + 4 * uint64_t(k));
        t.slot_file_offset = code->offset + off + sct::kSlotOffset;
        t.literal_file_offset = code->offset + off + sct::kLiteralOffset;
        check_code_words(t);

        // Literal.
        std::string source;
        const uint64_t lit = data64(*code, off + sct::kLiteralOffset, &source, &t.errors);
        const uint64_t slot_pc = t.addr + sct::kSlotOffset;
        if (lit == 0) {
            t.errors.push_back("literal is 0");
        } else {
            t.literal = {true, true, lit, "a:" + hex(lit), sym(lit), source};
            if (lit % 4)
                t.errors.push_back("literal target " + hex(lit) + " is not 4-byte aligned");
            t.distance =
                shex(int64_t(lit - slot_pc)) + (in_branch_range(slot_pc, lit) ? "" : " (far)");
        }

        // Slot: `b <literal>` when the literal is in branch range, else nop.
        if (const auto b_offset = read_slot(t)) {
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
        rep.trampolines.push_back(std::move(t));
    }

    if (have_region && !rep.trampolines.empty())
        check_packing(rep, region_name, region_lo, region_hi, in_region, false);

    // v2 emits no _kprobe_blacklist entries for trampolines. vmlinux merges
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
    rep.kind = (*img)->type_name();
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
    const bool rel = r.kind == "ET_REL";
    std::fprintf(out, "sc-audit: %s (%s%s, arm64)\n", r.path.c_str(), r.kind.c_str(),
                 r.module ? " module" : "");
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
        std::fprintf(out, "%-*s  %-*s %5s %4s  %-*s  %-*s  %5s  %-16s %6s  %s\n", int(kw), "KEY",
                     int(rel ? aw : 18), "ADDRESS", "ALIGN", "SIZE", int(sw), "SLOT", int(lw),
                     "LITERAL", "AGREE", "DISTANCE", "CALLS", "STATUS");
        size_t literal_path = 0;
        uint64_t calls = 0;
        for (const auto &t : r.trampolines) {
            const std::string addr = rel ? t.section + "+" + hex(t.addr) : hex(t.addr);
            std::fprintf(out, "%-*s  %-*s %5u %4llu  %-*s  %-*s  %5s  %-16s %6llu  %s\n", int(kw),
                         t.key.c_str(), int(rel ? aw : 18), addr.c_str(), alignment(t.addr),
                         (unsigned long long)t.size, int(sw), t.slot.c_str(), int(lw),
                         t.literal.present ? t.literal.text.c_str() : "0", t.agree.c_str(),
                         t.distance.empty() ? "-" : t.distance.c_str(), (unsigned long long)t.calls,
                         t.errors.empty() ? "ok" : "BROKEN");
            literal_path += t.slot_is_nop;
            calls += t.calls;
            if (verbose) {
                std::fprintf(out,
                             "    words %08x %08x %08x %08x; literal from %s; slot at file "
                             "offset %s, literal at %s\n",
                             t.words[0], t.words[1], t.words[2], t.words[3],
                             t.literal.present ? t.literal.source.c_str() : "-",
                             hex(t.slot_file_offset).c_str(), hex(t.literal_file_offset).c_str());
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
                     "summary: %zu trampolines, %zu broken, %zu on the literal path (slot nop), "
                     "%llu direct call sites%s\n",
                     r.trampolines.size(), r.broken(), literal_path, (unsigned long long)calls,
                     more.c_str());
        if (rel)
            std::fprintf(out, "note: ALIGN is the section offset's alignment (8 = aligned); "
                              "relocatable file, literal/slot targets are symbolic\n");
    }
    for (const auto &[name, n] : r.external)
        std::fprintf(out, "external trampoline %s: %llu call site(s)\n", name.c_str(),
                     (unsigned long long)n);
}

} // namespace scaudit
