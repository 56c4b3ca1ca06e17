#include "sites.h"

#include "a64.h"
#include "elf_image.h"

#include <elf.h>

#include <algorithm>
#include <cstdarg>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace scsites {

namespace {

using scaudit::ElfImage;
using scaudit::Reloc;
using scaudit::RelocSection;
using scaudit::Section;
using scaudit::Symbol;

// AArch64 ELF relocation types (ELF for the Arm 64-bit Architecture).
constexpr uint32_t kRAbs64 = 257;
constexpr uint32_t kRAbs32 = 258;
constexpr uint32_t kRPrel64 = 260;
constexpr uint32_t kRPrel32 = 261;
constexpr uint32_t kRTstbr14 = 279;
constexpr uint32_t kRCondbr19 = 280;
constexpr uint32_t kRJump26 = 282;
constexpr uint32_t kRCall26 = 283;

constexpr const char *kTrampPrefix = "__SCT__";
constexpr const char *kKeyPrefix = "__SCK__";
constexpr size_t kPrefixLen = 7;
constexpr const char *kSitesTable = ".static_call_sites";
constexpr const char *kRoutesTable = ".static_call_routes";
constexpr uint64_t kEntrySize = 8;

// printf into a std::string (also sidesteps GCC PR 105329, see README).
std::string strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string strf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    const int n = std::vsnprintf(nullptr, 0, fmt, ap);
    va_end(ap);
    std::string s(n > 0 ? size_t(n) : 0, '\0');
    if (n > 0)
        std::vsnprintf(s.data(), s.size() + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

using ull = unsigned long long;

std::string reloc_name(uint32_t type) {
    switch (type) {
    case kRAbs64:
        return "R_AARCH64_ABS64";
    case kRAbs32:
        return "R_AARCH64_ABS32";
    case kRPrel64:
        return "R_AARCH64_PREL64";
    case kRPrel32:
        return "R_AARCH64_PREL32";
    case kRTstbr14:
        return "R_AARCH64_TSTBR14";
    case kRCondbr19:
        return "R_AARCH64_CONDBR19";
    case kRJump26:
        return "R_AARCH64_JUMP26";
    case kRCall26:
        return "R_AARCH64_CALL26";
    default:
        return strf("relocation type %u", type);
    }
}

std::string hex_offset(const std::string &base, int64_t off) {
    if (off == 0)
        return base;
    if (off < 0)
        return base + strf("-0x%llx", ull(-off));
    return base + strf("+0x%llx", ull(off));
}

// The resolved second field of an entry: the key or the route.
struct Value {
    std::string error;              // set when it could not be resolved
    std::vector<std::string> names; // symbols at the address it resolves to
    std::string text;               // for messages
    uint32_t flags = 0;             // .static_call_sites only
};

bool has_name(const Value &v, const std::string &name) {
    return std::find(v.names.begin(), v.names.end(), name) != v.names.end();
}

class Checker {
  public:
    Checker(const ElfImage &img, Report &rep) : img_(img), rep_(rep), rel_(img.is_rel()) {}

    void run() {
        index_sections();
        index_symbols();
        if (rel_)
            find_rel_sites();
        else
            find_linked_sites();
        std::sort(rep_.sites.begin(), rep_.sites.end(), [](const Site &a, const Site &b) {
            return std::pair(a.section, a.addr) < std::pair(b.section, b.addr);
        });
        for (size_t i = 0; i < rep_.sites.size(); ++i)
            site_at_[{space(rep_.sites[i].section), rep_.sites[i].addr}] = i;
        const bool sites_ok =
            rel_ ? rel_table(kSitesTable, false) : linked_table(kSitesTable, false);
        const bool routes_ok =
            rel_ ? rel_table(kRoutesTable, true) : linked_table(kRoutesTable, true);
        completeness(sites_ok, routes_ok);
    }

  private:
    const ElfImage &img_;
    Report &rep_;
    bool rel_;
    size_t symtab_ = 0;
    std::vector<const Section *> by_index_;
    // Symbols by (space, value); space is the section index in ET_REL files
    // and 0 (one address space) in linked images.
    std::map<std::pair<size_t, uint64_t>, std::vector<uint32_t>> at_;
    std::unordered_map<size_t, std::vector<uint32_t>> funcs_;   // per space, by value
    std::unordered_map<size_t, std::vector<uint32_t>> objects_; // FUNC and OBJECT
    std::map<std::pair<size_t, uint64_t>, size_t> site_at_;
    std::unordered_map<uint64_t, std::string> tramps_; // linked: address -> __SCT__ symbol
    std::vector<std::pair<uint64_t, uint64_t>> static_call_text_; // linked: excluded ranges

    void report(std::string msg) { rep_.discrepancies.push_back(std::move(msg)); }

    size_t space(size_t shndx) const { return rel_ ? shndx : 0; }

    const Section *sec(size_t index) const {
        return index < by_index_.size() ? by_index_[index] : nullptr;
    }

    const Symbol *find_symbol(const std::string &name) const {
        for (size_t i = 1; i < img_.symbols.size(); ++i)
            if (img_.symbols[i].name == name && img_.symbols[i].type != STT_SECTION)
                return &img_.symbols[i];
        return nullptr;
    }

    void index_sections() {
        for (const auto &s : img_.sections) {
            if (s.index >= by_index_.size())
                by_index_.resize(s.index + 1, nullptr);
            by_index_[s.index] = &s;
            if (s.type == SHT_SYMTAB)
                symtab_ = s.index;
        }
    }

    void index_symbols() {
        auto pref = [&](uint32_t i) { return img_.symbols[i].bind == STB_LOCAL ? 0 : 1; };
        for (uint32_t i = 1; i < img_.symbols.size(); ++i) {
            const Symbol &s = img_.symbols[i];
            if (s.type == STT_SECTION || s.type == STT_FILE || s.name.empty() || s.name[0] == '$' ||
                s.shndx == SHN_UNDEF || s.shndx == SHN_COMMON)
                continue;
            if (rel_ && s.shndx >= SHN_LORESERVE)
                continue;
            const size_t sp = space(s.shndx);
            at_[{sp, s.value}].push_back(i);
            if (s.type == STT_FUNC)
                funcs_[sp].push_back(i);
            if (s.type == STT_FUNC || s.type == STT_OBJECT)
                objects_[sp].push_back(i);
            if (!rel_ && s.name.starts_with(kTrampPrefix) && !tramps_.count(s.value))
                tramps_[s.value] = s.name;
        }
        // By value; among equal values the preferred (global, then first by
        // name) last, as lookups walk backwards.
        auto order = [&](uint32_t a, uint32_t b) {
            const Symbol &x = img_.symbols[a], &y = img_.symbols[b];
            if (x.value != y.value)
                return x.value < y.value;
            if (pref(a) != pref(b))
                return pref(a) < pref(b);
            return x.name > y.name;
        };
        for (auto *m : {&funcs_, &objects_})
            for (auto &[sp, v] : *m)
                std::sort(v.begin(), v.end(), order);
    }

    // "sym+0xoff" for the symbol of `list` containing (sp, v), "" if none.
    std::string containing(const std::unordered_map<size_t, std::vector<uint32_t>> &list, size_t sp,
                           uint64_t v) const {
        auto it = list.find(sp);
        if (it == list.end())
            return "";
        const auto &vec = it->second;
        auto ub = std::upper_bound(vec.begin(), vec.end(), v, [&](uint64_t x, uint32_t i) {
            return x < img_.symbols[i].value;
        });
        for (int n = 0; ub != vec.begin() && n < 64; ++n) {
            --ub;
            const Symbol &s = img_.symbols[*ub];
            if (v - s.value < s.size || (s.size == 0 && v == s.value))
                return strf("%s+0x%llx", s.name.c_str(), ull(v - s.value));
        }
        return "";
    }

    std::string location(const Section *s, uint64_t addr) const {
        if (!s)
            return strf("0x%llx", ull(addr));
        return strf("%s+0x%llx", s->name.c_str(), ull(rel_ ? addr : addr - s->addr));
    }

    // How a site is named: the function containing it, else section+offset.
    std::string where(const Section *s, uint64_t addr) const {
        std::string f = containing(funcs_, space(s ? s->index : 0), addr);
        return f.empty() ? location(s, addr) : f;
    }

    // "section+0xoff (func+0xoff)" for a place that should have been a site.
    std::string place(const Section *s, uint64_t addr) const {
        std::string f = containing(funcs_, space(s ? s->index : 0), addr);
        return location(s, addr) + (f.empty() ? "" : " (" + f + ")");
    }

    std::vector<std::string> names_at(size_t sp, uint64_t v) const {
        std::vector<std::string> names;
        auto it = at_.find({sp, v});
        if (it != at_.end())
            for (uint32_t i : it->second)
                names.push_back(img_.symbols[i].name);
        return names;
    }

    // The name to show for a key or route: a __SCK__/__SCT__ one if any.
    static std::string best_name(const std::vector<std::string> &names) {
        for (const char *prefix : {kKeyPrefix, kTrampPrefix})
            for (const auto &n : names)
                if (n.starts_with(prefix))
                    return n;
        return names.empty() ? "" : names[0];
    }

    // An address without a symbol of its own: "0x... (sym+0xoff)" or "sec+0xoff (sym+0xoff)".
    std::string describe(const Section *s, size_t sp, uint64_t v) const {
        std::string text = rel_ ? location(s, v) : strf("0x%llx", ull(v));
        std::string c = containing(objects_, sp, v);
        return c.empty() ? text : text + " (" + c + ")";
    }

    void add_site(const Section *s, uint64_t addr, bool tail, std::string name) {
        Site site;
        site.name = std::move(name);
        site.tail = tail;
        site.section = s->index;
        site.addr = addr;
        site.file_offset = s->offset + (rel_ ? addr : addr - s->addr);
        site.where = where(s, addr);
        site.location = location(s, addr);
        rep_.sites.push_back(std::move(site));
    }

    static std::string branch(const Site &s) {
        return std::string(s.tail ? "b " : "bl ") + kTrampPrefix + s.name;
    }

    // --- ET_REL ---------------------------------------------------------

    void find_rel_sites() {
        std::map<std::pair<size_t, uint64_t>, bool> seen;
        for (const RelocSection &rs : img_.relocs) {
            const Section *t = sec(rs.applies_to);
            if (rs.symtab != symtab_ || !t ||
                (t->flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR))
                continue;
            for (const Reloc &r : rs.relocs) {
                if (r.type != kRCall26 && r.type != kRJump26 && r.type != kRCondbr19 &&
                    r.type != kRTstbr14)
                    continue;
                if (r.sym >= img_.symbols.size())
                    continue;
                const Symbol &s = img_.symbols[r.sym];
                if (s.type == STT_SECTION || !s.name.starts_with(kTrampPrefix))
                    continue;
                const std::string w = where(t, r.offset);
                if (r.type == kRCondbr19 || r.type == kRTstbr14) {
                    report("site " + w + ": " + reloc_name(r.type) + " branch to " + s.name +
                           " cannot be recorded as a static call site (only bl/b can be patched)");
                    continue;
                }
                const char *insn = r.type == kRJump26 ? "b" : "bl";
                if (r.addend != 0) {
                    report("site " + w + ": " + insn + " " + hex_offset(s.name, r.addend) +
                           " branches past the trampoline's entry: not a recordable site");
                    continue;
                }
                if (seen[{t->index, r.offset}])
                    continue;
                seen[{t->index, r.offset}] = true;
                add_site(t, r.offset, r.type == kRJump26, s.name.substr(kPrefixLen));
            }
        }
    }

    // The second field of an ET_REL entry: `key` true for .static_call_sites
    // (the low 2 bits of the addend are flags).
    Value rel_value(const Reloc *r, bool key) const {
        Value v;
        if (!r) {
            v.error = "has no relocation";
            return v;
        }
        if (r->type != kRPrel32) {
            v.error = "relocation is " + reloc_name(r->type) + ", expected R_AARCH64_PREL32";
            return v;
        }
        if (r->sym == 0 || r->sym >= img_.symbols.size()) {
            v.error = strf("relocation names symbol %u, which does not exist", r->sym);
            return v;
        }
        const Symbol &s = img_.symbols[r->sym];
        v.flags = key ? uint32_t(r->addend & kSiteFlags) : 0;
        const int64_t off = r->addend - int64_t(v.flags);
        const bool defined = s.shndx != SHN_UNDEF && s.shndx < SHN_LORESERVE;
        if (s.type == STT_SECTION) {
            const uint64_t a = s.value + uint64_t(off);
            v.names = names_at(s.shndx, a);
            v.text = v.names.empty() ? describe(sec(s.shndx), s.shndx, a) : best_name(v.names);
        } else if (off == 0) {
            v.names.push_back(s.name);
            v.text = s.name;
        } else {
            if (defined)
                v.names = names_at(s.shndx, s.value + uint64_t(off));
            v.text = hex_offset(s.name, off);
            if (!v.names.empty())
                v.text += strf(" (%s)", best_name(v.names).c_str());
        }
        return v;
    }

    // Returns false when the table is absent (or unusable): sites are then
    // not reported one by one as missing from it.
    bool rel_table(const char *table, bool routes) {
        std::vector<const Section *> secs;
        for (const auto &s : img_.sections)
            if (s.name == table)
                secs.push_back(&s);
        if (secs.empty()) {
            if (!rep_.sites.empty())
                report(strf("%zu static call sites but no %s section", rep_.sites.size(), table));
            return false;
        }
        bool usable = true;
        for (const Section *ts : secs) {
            const RelocSection *rs = nullptr;
            for (const auto &r : img_.relocs)
                if (r.applies_to == ts->index && r.symtab == symtab_)
                    rs = &r;
            if (ts->size % kEntrySize)
                report(strf("%s: size 0x%llx is not a multiple of %llu", table, ull(ts->size),
                            ull(kEntrySize)));
            const uint64_t n = ts->size / kEntrySize;
            if (!rs) {
                if (n) {
                    report(
                        strf("%s: %llu entries but no .rela%s relocations", table, ull(n), table));
                    usable = false;
                }
                continue;
            }
            std::map<uint64_t, std::vector<const Reloc *>> by_off;
            for (const Reloc &r : rs->relocs) {
                if (r.offset >= n * kEntrySize)
                    report(strf("%s: relocation at 0x%llx is outside the table", table,
                                ull(r.offset)));
                else
                    by_off[r.offset].push_back(&r);
            }
            for (uint64_t k = 0; k < n; ++k)
                rel_entry(table, routes, ts, k, by_off);
        }
        return usable;
    }

    void rel_entry(const char *table, bool routes, const Section *ts, uint64_t k,
                   const std::map<uint64_t, std::vector<const Reloc *>> &by_off) {
        auto &entries = routes ? rep_.route_table : rep_.site_table;
        const size_t idx = entries.size();
        Entry e;
        e.addr = k * kEntrySize;
        e.file_offset = ts->offset + e.addr;
        const std::string label = strf("%s entry %zu", table, idx);
        const Reloc *field[2] = {nullptr, nullptr};
        for (int f = 0; f < 2; ++f) {
            auto it = by_off.find(e.addr + 4 * f);
            if (it == by_off.end())
                continue;
            if (it->second.size() > 1)
                report(strf("%s: %zu relocations of its %s field", label.c_str(), it->second.size(),
                            f ? (routes ? "route" : "key") : "site"));
            field[f] = it->second[0];
        }
        entries.push_back(e);
        const Reloc *r = field[0];
        if (!r) {
            report(label + ": site field has no relocation");
            return;
        }
        if (r->type != kRPrel32) {
            report(label + ": site field relocation is " + reloc_name(r->type) +
                   ", expected R_AARCH64_PREL32");
            return;
        }
        if (r->sym == 0 || r->sym >= img_.symbols.size()) {
            report(label + strf(": site field names symbol %u, which does not exist", r->sym));
            return;
        }
        const Symbol &s = img_.symbols[r->sym];
        if (s.shndx == SHN_UNDEF || s.shndx >= SHN_LORESERVE) {
            report(label + ": site " + hex_offset(s.name, r->addend) +
                   " is not in a section of this file");
            return;
        }
        const uint64_t addr = s.value + uint64_t(r->addend);
        auto it = site_at_.find({s.shndx, addr});
        if (it == site_at_.end()) {
            report(label + ": site " + place(sec(s.shndx), addr) + " is not a static call site");
            return;
        }
        entries.back().site = long(it->second);
        check_value(label, routes, it->second, rel_value(field[1], !routes));
    }

    // --- linked images (ET_EXEC, ET_DYN) --------------------------------

    bool excluded(uint64_t pc) const {
        for (auto [lo, hi] : static_call_text_)
            if (pc >= lo && pc < hi)
                return true;
        return false;
    }

    // Target of a B/BL word, or nullopt.
    static std::optional<std::pair<bool, uint64_t>> branch_target(uint32_t w, uint64_t pc) {
        if ((w & 0x7c000000u) != 0x14000000u)
            return std::nullopt;
        auto d = a64::decode(w);
        if (!d || (d->op != a64::Op::B && d->op != a64::Op::BL))
            return std::nullopt;
        return std::pair(d->op == a64::Op::BL, pc + uint64_t(d->imm));
    }

    void find_linked_sites() {
        const Symbol *lo = find_symbol("__static_call_text_start");
        const Symbol *hi = find_symbol("__static_call_text_end");
        if (lo && hi && lo->value <= hi->value)
            static_call_text_.emplace_back(lo->value, hi->value);
        for (const auto &s : img_.sections)
            if (s.name == ".static_call.text")
                static_call_text_.emplace_back(s.addr, s.addr + s.size);
        for (const auto &s : img_.sections) {
            if (s.type != SHT_PROGBITS ||
                (s.flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR))
                continue;
            for (uint64_t off = (4 - s.addr % 4) % 4; off + 4 <= s.bytes.size(); off += 4) {
                const uint64_t pc = s.addr + off;
                const uint32_t w = uint32_t(s.bytes[off]) | uint32_t(s.bytes[off + 1]) << 8 |
                                   uint32_t(s.bytes[off + 2]) << 16 |
                                   uint32_t(s.bytes[off + 3]) << 24;
                auto b = branch_target(w, pc);
                if (!b)
                    continue;
                auto t = tramps_.find(b->second);
                if (t == tramps_.end() || excluded(pc))
                    continue;
                add_site(&s, pc, !b->first, t->second.substr(kPrefixLen));
            }
        }
    }

    struct Region {
        const Section *sec = nullptr;
        uint64_t start = 0, end = 0;
    };

    // The table between __start_<name>/__stop_<name> (BOUNDED_SECTION_BY),
    // else an output section of that name. nullopt: no table.
    std::optional<Region> find_region(const char *table) {
        const std::string base = std::string(table).substr(1); // "static_call_sites"
        const Symbol *lo = find_symbol("__start_" + base);
        const Symbol *hi = find_symbol("__stop_" + base);
        Region r;
        if (lo && hi && lo->shndx != SHN_UNDEF && hi->shndx != SHN_UNDEF) {
            r.start = lo->value;
            r.end = hi->value;
            if (r.end < r.start) {
                report(strf("%s: __stop_%s (0x%llx) is below __start_%s (0x%llx)", table,
                            base.c_str(), ull(r.end), base.c_str(), ull(r.start)));
                return std::nullopt;
            }
            if (r.start == r.end)
                return r;
            r.sec = img_.section_at(r.start);
            if (!r.sec || r.end > r.sec->addr + r.sec->bytes.size()) {
                report(strf("%s: [0x%llx, 0x%llx) is not inside one section with contents", table,
                            ull(r.start), ull(r.end)));
                return std::nullopt;
            }
            return r;
        }
        const Section *s = img_.section_by_name(table);
        if (!s)
            return std::nullopt;
        r.sec = s;
        r.start = s->addr;
        r.end = s->addr + s->bytes.size();
        return r;
    }

    bool linked_table(const char *table, bool routes) {
        auto region = find_region(table);
        if (!region) {
            if (!rep_.sites.empty())
                report(strf("%zu static call sites but no %s table", rep_.sites.size(), table));
            return false;
        }
        const uint64_t size = region->end - region->start;
        if (size % kEntrySize)
            report(strf("%s: size 0x%llx is not a multiple of %llu", table, ull(size),
                        ull(kEntrySize)));
        auto &entries = routes ? rep_.route_table : rep_.site_table;
        for (uint64_t k = 0; k < size / kEntrySize; ++k) {
            const uint64_t a = region->start + k * kEntrySize;
            const uint64_t off = a - region->sec->addr;
            Entry e;
            e.addr = a;
            e.file_offset = region->sec->offset + off;
            const std::string label = strf("%s entry %zu", table, entries.size());
            auto w0 = img_.read32(*region->sec, off), w1 = img_.read32(*region->sec, off + 4);
            if (!w0 || !w1) {
                entries.push_back(e);
                report(label + ": cannot be read");
                continue;
            }
            e.resolved = true;
            e.target = a + uint64_t(int64_t(int32_t(*w0)));
            const uint64_t raw = a + 4 + uint64_t(int64_t(int32_t(*w1)));
            e.flags = routes ? 0 : uint32_t(raw & kSiteFlags);
            e.value = raw - e.flags;
            entries.push_back(e);
            linked_entry(label, routes, entries.back());
        }
        return true;
    }

    // What is at an address that is not a site, for messages.
    std::string insn_at(const Section *s, uint64_t pc) const {
        auto w = img_.read32(*s, pc - s->addr);
        if (!w)
            return "";
        if (auto b = branch_target(*w, pc)) {
            std::string t;
            auto tr = tramps_.find(b->second);
            if (tr != tramps_.end())
                t = tr->second;
            else {
                auto names = names_at(0, b->second);
                t = names.empty() ? describe(nullptr, 0, b->second) : best_name(names);
            }
            return strf(": `%s %s`", b->first ? "bl" : "b", t.c_str()) +
                   (tr != tramps_.end() && excluded(pc) ? " in the static call text" : "");
        }
        return strf(": `%s` (0x%08x)", a64::disassemble(*w, pc).c_str(), *w);
    }

    void linked_entry(const std::string &label, bool routes, Entry &e) {
        const Section *ts = img_.section_at(e.target);
        if (!ts || !(ts->flags & SHF_EXECINSTR)) {
            report(label + strf(": site 0x%llx", ull(e.target)) +
                   (ts ? strf(" (%s)", location(ts, e.target).c_str()) : " (in no section)") +
                   " is not in an executable section");
            return;
        }
        auto it = site_at_.find({0, e.target});
        if (it == site_at_.end()) {
            report(label + ": site " + place(ts, e.target) + " is not a static call site" +
                   insn_at(ts, e.target));
            return;
        }
        e.site = long(it->second);
        Value v;
        v.flags = e.flags;
        v.names = names_at(0, e.value);
        v.text = v.names.empty() ? describe(nullptr, 0, e.value) : best_name(v.names);
        check_value(label, routes, it->second, v);
    }

    // --- common ---------------------------------------------------------

    void check_value(const std::string &label, bool routes, size_t site_index, const Value &v) {
        Site &site = rep_.sites[site_index];
        (routes ? site.route_entries : site.site_entries)
            .push_back((routes ? rep_.route_table : rep_.site_table).size() - 1);
        const std::string prefix = label + " (site " + site.where + ")";
        const std::string tramp = kTrampPrefix + site.name;
        if (!v.error.empty()) {
            report(prefix + ": " + (routes ? "route" : "key") + " field " + v.error);
            return;
        }
        if (routes) {
            if (!has_name(v, tramp))
                report(prefix + ": route " + v.text + ", expected " + tramp);
            return;
        }
        const std::string key = kKeyPrefix + site.name;
        if (has_name(v, key) || (rep_.module && has_name(v, tramp))) {
            // the key is right
        } else if (has_name(v, tramp)) {
            report(prefix + ": key " + tramp +
                   " names the trampoline, allowed only in a module (.ko or --module); "
                   "expected " +
                   key);
        } else {
            report(prefix + ": key " + v.text + ", expected " + key +
                   (rep_.module ? " or " + tramp : ""));
        }
        if (v.flags & kSiteInit)
            report(prefix + strf(": flags 0x%x include STATIC_CALL_SITE_INIT (0x%x), which only "
                                 "the kernel sets",
                                 v.flags, kSiteInit));
        if (bool(v.flags & kSiteTail) != site.tail)
            report(prefix + strf(": flags 0x%x, expected 0x%x (%s is %s)", v.flags,
                                 (v.flags & ~kSiteTail) | (site.tail ? kSiteTail : 0),
                                 branch(site).c_str(),
                                 site.tail ? "a tail call" : "not a tail call"));
    }

    void completeness(bool sites_ok, bool routes_ok) {
        for (const Site &s : rep_.sites) {
            for (int t = 0; t < 2; ++t) {
                const bool ok = t ? routes_ok : sites_ok;
                const auto &list = t ? s.route_entries : s.site_entries;
                const char *table = t ? kRoutesTable : kSitesTable;
                if (!ok || list.size() == 1)
                    continue;
                if (list.empty()) {
                    report("site " + s.where + ": " + branch(s) + " has no " + table + " entry");
                    continue;
                }
                std::string which;
                for (size_t i : list)
                    which += strf(which.empty() ? "%zu" : ", %zu", i);
                report("site " + s.where + ": " + branch(s) +
                       strf(" has %zu %s entries (entries ", list.size(), table) + which + ")");
            }
        }
    }
};

} // namespace

a64::Result<Report> check(const std::string &path, const Options &options) {
    auto img = ElfImage::open(path);
    if (!img)
        return a64::err(img.error());
    const ElfImage &elf = **img;
    Report rep;
    rep.path = path;
    switch (elf.type) {
    case ET_REL:
        rep.kind = "ET_REL";
        break;
    case ET_EXEC:
        rep.kind = "ET_EXEC";
        break;
    case ET_DYN:
        rep.kind = "ET_DYN";
        break;
    default:
        return a64::err(path + ": not a relocatable object or a linked image");
    }
    if (elf.symbols.empty())
        return a64::err(path + ": no symbol table (stripped?)");
    rep.module = options.module || (elf.type == ET_REL && path.ends_with(".ko"));
    Checker(elf, rep).run();
    return rep;
}

void print_report(const Report &r, FILE *out, bool verbose) {
    const char *p = r.path.c_str();
    if (verbose) {
        std::fprintf(out,
                     "%s: %s%s, %zu sites, .static_call_sites %zu entries, "
                     ".static_call_routes %zu entries\n",
                     p, r.kind.c_str(), r.module ? " (module)" : "", r.sites.size(),
                     r.site_table.size(), r.route_table.size());
        auto list = [](const std::vector<size_t> &v) {
            std::string s;
            for (size_t i : v)
                s += strf(s.empty() ? "%zu" : ",%zu", i);
            return s.empty() ? std::string("-") : s;
        };
        for (const Site &s : r.sites)
            std::fprintf(out,
                         "%s:   site %s (%s, 0x%llx): %s __SCT__%s  sites entry %s, routes "
                         "entry %s\n",
                         p, s.where.c_str(), s.location.c_str(), ull(s.addr), s.tail ? "b" : "bl",
                         s.name.c_str(), list(s.site_entries).c_str(),
                         list(s.route_entries).c_str());
    }
    for (const auto &d : r.discrepancies)
        std::fprintf(out, "%s: %s\n", p, d.c_str());
    std::fprintf(out, "%s: %zu sites, %zu table entries, %zu discrepancies\n", p, r.sites.size(),
                 r.site_table.size(), r.discrepancies.size());
}

} // namespace scsites
