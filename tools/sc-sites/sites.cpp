#include "sites.h"

#include "a64.h"
#include "elf_image.h"

#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
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
    friend class RuntimeChecker;

  public:
    Checker(const ElfImage &img, Report &rep) : img_(img), rep_(rep), rel_(img.is_rel()) {}

    // Linked images only: the .static_call_sites entries decoded into
    // rep_.site_table, not checked against the code (the runtime mode).
    // False when there is no table.
    bool decode_site_table() {
        decode_only_ = true;
        index_sections();
        index_symbols();
        return linked_table(kSitesTable, false);
    }

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
    bool decode_only_ = false;
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

    const Symbol *find_symbol(const std::string &name) const { return img_.symbol_by_name(name); }

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
            if (!decode_only_)
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

// --- runtime mode -----------------------------------------------------------

constexpr const char *kMarker = "SCDUMP";
constexpr size_t kMarkerLen = 6;

// Where the SCDUMP marker starts in a console line (a word of its own,
// followed by a blank or the end of the line), npos if it has none.
size_t find_marker(const std::string &line) {
    for (size_t p = line.find(kMarker); p != std::string::npos; p = line.find(kMarker, p + 1)) {
        const bool starts = p == 0 || !(std::isalnum(static_cast<unsigned char>(line[p - 1])) ||
                                        line[p - 1] == '_');
        const size_t q = p + kMarkerLen;
        if (starts && (q == line.size() || line[q] == ' ' || line[q] == '\t'))
            return p;
    }
    return std::string::npos;
}

std::vector<std::string> fields(const std::string &s) {
    std::vector<std::string> v;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\t')
            ++j;
        if (j > i)
            v.push_back(s.substr(i, j - i));
        i = j;
    }
    return v;
}

// A dump number: 1 to max_digits lowercase hex digits, no 0x. Returns an
// error message, empty when `out` was set.
std::string hex_field(const std::string &tok, const char *what, size_t max_digits, uint64_t &out) {
    if (tok.size() > 1 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
        return strf("%s `%s` has a 0x prefix (the dump's numbers are hex without 0x)", what,
                    tok.c_str());
    if (tok.size() > max_digits)
        return strf("%s `%s` has more than %zu hex digits", what, tok.c_str(), max_digits);
    uint64_t v = 0;
    for (char c : tok) {
        unsigned d;
        if (c >= '0' && c <= '9')
            d = unsigned(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = unsigned(c - 'a' + 10);
        else
            return strf("%s `%s` is not lowercase hex", what, tok.c_str());
        v = v << 4 | d;
    }
    out = v;
    return "";
}

std::string signed_hex(int64_t v) {
    const uint64_t mag = v < 0 ? 0 - uint64_t(v) : uint64_t(v);
    return strf("%c0x%llx", v < 0 ? '-' : '+', ull(mag));
}

class RuntimeChecker {
  public:
    RuntimeChecker(const ElfImage &img, const Dump &dump, RuntimeReport &rep)
        : img_(img), dump_(dump), rep_(rep), checker_(img, table_) {}

    // Empty, or why VMLINUX cannot be used.
    std::string run() {
        const bool have_table = checker_.decode_site_table();
        const Symbol *stext = checker_.find_symbol("_stext");
        if (!stext || stext->shndx == SHN_UNDEF)
            return rep_.vmlinux_path + ": no symbol _stext (needed for the KASLR slide)";
        rep_.vmlinux_stext = stext->value;
        rep_.stext = dump_.stext;
        slide_ = rep_.slide = dump_.stext - stext->value;
        const Symbol *etext = checker_.find_symbol("_etext");
        if (etext && etext->shndx != SHN_UNDEF && etext->value >= stext->value) {
            rep_.have_etext = true;
            text_lo_ = stext->value;
            text_hi_ = etext->value;
        }
        for (const auto &s : img_.sections) {
            if (!(s.flags & SHF_ALLOC) || s.size == 0)
                continue;
            img_lo_ = std::min(img_lo_, s.addr);
            img_hi_ = std::max(img_hi_, s.addr + s.size);
        }
        for (const Symbol &s : img_.symbols)
            if (s.name.starts_with(kTrampPrefix) && s.shndx != SHN_UNDEF && s.type != STT_SECTION)
                tramp_by_name_.emplace(s.name, s.value);

        for (const auto &d : table_.discrepancies)
            report(rep_.vmlinux_path + ": " + d);
        if (!have_table && !dump_.sites.empty())
            report(strf("%zu sites dumped, but %s has no .static_call_sites table",
                        dump_.sites.size(), rep_.vmlinux_path.c_str()));
        const auto &table = table_.site_table;
        rep_.entries = table.size();
        std::map<uint64_t, std::vector<size_t>> by_site;
        for (size_t i = 0; i < table.size(); ++i)
            if (table[i].resolved)
                by_site[table[i].target].push_back(i);
        std::vector<bool> matched(table.size(), false);
        std::map<uint64_t, size_t> used, first_line;

        for (const DumpSite &d : dump_.sites) {
            RuntimeSite rs;
            rs.dumped = d;
            rs.vaddr = d.addr - slide_;
            rs.where = where(rs.vaddr, d.addr);
            const size_t first = first_line.emplace(rs.vaddr, d.line).first->second;
            size_t &n = used[rs.vaddr];
            auto it = by_site.find(rs.vaddr);
            const Entry *e = nullptr;
            if (it != by_site.end() && n < it->second.size()) {
                rs.entry = long(it->second[n]);
                matched[it->second[n]] = true;
                e = &table[it->second[n]];
                ++n;
            } else if (it == by_site.end()) {
                report(strf("site %s (dump line %zu): dumped, but not a .static_call_sites entry",
                            rs.where.c_str(), d.line));
            } else {
                report(strf("site %s (dump line %zu): dumped again (first at line %zu), but "
                            ".static_call_sites has %zu entr%s for it",
                            rs.where.c_str(), d.line, first, it->second.size(),
                            it->second.size() == 1 ? "y" : "ies"));
            }
            check_site(rs, e);
            rep_.sites.push_back(std::move(rs));
        }

        for (size_t i = 0; i < table.size(); ++i) {
            const Entry &e = table[i];
            if (!e.resolved || matched[i])
                continue;
            if (rep_.have_etext && (e.target < text_lo_ || e.target >= text_hi_)) {
                ++rep_.absent_outside_text;
                continue;
            }
            std::string k = key_name(e.value);
            report(strf("site %s: .static_call_sites entry %zu (key %s%s) is missing from the dump",
                        where(e.target, e.target + slide_).c_str(), i,
                        k.empty() ? strf("0x%llx", ull(e.value)).c_str() : k.c_str(),
                        e.flags & kSiteTail ? ", tail call" : ""));
        }
        return "";
    }

  private:
    const ElfImage &img_;
    const Dump &dump_;
    RuntimeReport &rep_;
    Report table_; // VMLINUX's decoded .static_call_sites (and decoding problems)
    Checker checker_;
    uint64_t slide_ = 0;
    uint64_t text_lo_ = 0, text_hi_ = 0;        // _stext.._etext (VMLINUX addresses)
    uint64_t img_lo_ = UINT64_MAX, img_hi_ = 0; // allocated sections (VMLINUX addresses)
    std::unordered_map<std::string, uint64_t> tramp_by_name_;

    void report(std::string msg) { rep_.discrepancies.push_back(std::move(msg)); }

    // A runtime address inside the image as loaded?
    bool in_image(uint64_t rt) const {
        const uint64_t v = rt - slide_;
        return v >= img_lo_ && v < img_hi_;
    }

    // How a site is named: its function, else section+offset, else the
    // runtime address (VMLINUX address `v`, runtime `rt`).
    std::string where(uint64_t v, uint64_t rt) const {
        if (in_image(rt)) {
            std::string f = checker_.containing(checker_.funcs_, 0, v);
            if (!f.empty())
                return f;
            if (const Section *s = img_.section_at(v))
                return checker_.location(s, v);
        }
        return strf("0x%llx (outside vmlinux)", ull(rt));
    }

    // The __SCK__ symbol at VMLINUX address v, "" if none.
    std::string key_name(uint64_t v) const {
        for (const auto &n : checker_.names_at(0, v))
            if (n.starts_with(kKeyPrefix))
                return n;
        return "";
    }

    // A symbol for runtime address rt: one at it, else "sym+0xoff" of the
    // function or object containing it, "" outside the image or without one.
    std::string sym_name(uint64_t rt) const {
        if (!in_image(rt))
            return "";
        const uint64_t v = rt - slide_;
        auto names = checker_.names_at(0, v);
        if (!names.empty())
            return Checker::best_name(names);
        std::string c = checker_.containing(checker_.funcs_, 0, v);
        return c.empty() ? checker_.containing(checker_.objects_, 0, v) : c;
    }

    // "0x... (name)" or "0x...".
    std::string addr_text(uint64_t rt) const {
        std::string n = sym_name(rt);
        return strf("0x%llx", ull(rt)) + (n.empty() ? "" : " (" + n + ")");
    }

    std::string seen(uint32_t w, uint64_t pc, const std::string &tramp, uint64_t tramp_rt) const {
        if (auto b = Checker::branch_target(w, pc)) {
            std::string n = !tramp.empty() && b->second == tramp_rt ? tramp : sym_name(b->second);
            if (n.empty())
                n = strf("0x%llx", ull(b->second));
            return strf("`%s %s` (0x%08x)", b->first ? "bl" : "b", n.c_str(), w);
        }
        return strf("`%s` (0x%08x)", a64::disassemble(w, pc).c_str(), w);
    }

    void check_site(RuntimeSite &rs, const Entry *e) {
        const DumpSite &d = rs.dumped;
        const std::string &w = rs.where;
        const uint64_t kv = d.key - slide_;
        const std::string kname = in_image(d.key) ? key_name(kv) : "";
        rs.key = kname.empty() ? addr_text(d.key) : kname;
        if (e) {
            if (kv != e->value) {
                std::string want = key_name(e->value);
                report(strf("site %s: key %s dumped, expected %s (0x%llx, .static_call_sites "
                            "entry %ld)",
                            w.c_str(), addr_text(d.key).c_str(),
                            want.empty() ? "the entry's key" : want.c_str(), ull(e->value + slide_),
                            rs.entry));
            }
            if (d.tail != bool(e->flags & kSiteTail))
                report(strf("site %s: tail %d dumped, expected %d (.static_call_sites entry %ld, "
                            "flags 0x%x)",
                            w.c_str(), int(d.tail), int(bool(e->flags & kSiteTail)), rs.entry,
                            e->flags));
        } else if (kname.empty()) {
            report(strf("site %s: key %s dumped, which is no __SCK__ symbol of vmlinux", w.c_str(),
                        addr_text(d.key).c_str()));
        }
        if (kname.empty()) { // no rule to check against
            rs.seen = seen(d.insn, d.addr, "", 0);
            return;
        }
        const std::string tramp = kTrampPrefix + kname.substr(kPrefixLen);
        auto t = tramp_by_name_.find(tramp);
        const bool have_tramp = t != tramp_by_name_.end();
        const uint64_t tramp_rt = have_tramp ? t->second + slide_ : 0;
        rs.seen = seen(d.insn, d.addr, tramp, tramp_rt);
        const char *op = d.tail ? "b" : "bl";
        const std::string func = d.func ? addr_text(d.func) : std::string("NULL");
        const std::string prefix = "site " + w + ": key " + kname + " -> " + func + ": expected ";

        // The series' rules: NULL -> nop (b tramp for a tail call); an aligned
        // target within +-128 MiB of the site -> bl/b target; else bl/b tramp.
        const int64_t off = int64_t(d.func - d.addr);
        const bool direct =
            d.func && d.func % 4 == 0 && off >= -(int64_t{1} << 27) && off < (int64_t{1} << 27);
        std::string reason;
        if (!d.func)
            reason = d.tail ? "NULL key, tail call" : "NULL key";
        else if (direct)
            reason = "target in range";
        else if (d.func % 4)
            reason = "target not 4-byte aligned";
        else
            reason = "target " + signed_hex(off) + " from the site, out of branch range";
        uint32_t want = a64::kNop;
        if (!d.func && !d.tail) {
            rs.expected = "`nop`";
        } else {
            uint64_t target = d.func;
            std::string tname;
            if (direct) {
                tname = sym_name(d.func);
                if (tname.empty())
                    tname = strf("0x%llx", ull(d.func));
            } else {
                tname = tramp;
                if (!have_tramp) {
                    report(prefix + strf("`%s %s` (%s), but vmlinux has no %s", op, tramp.c_str(),
                                         reason.c_str(), tramp.c_str()));
                    return;
                }
                target = tramp_rt;
            }
            rs.expected = strf("`%s %s`", op, tname.c_str());
            auto enc = d.tail ? a64::b_to(d.addr, target) : a64::bl_to(d.addr, target);
            if (!enc) {
                report(prefix + rs.expected + " (" + reason + "), which cannot be encoded at " +
                       strf("0x%llx: ", ull(d.addr)) + enc.error());
                return;
            }
            want = *enc;
        }
        rs.insn_ok = d.insn == want;
        if (!rs.insn_ok)
            report(prefix + rs.expected + " (" + reason + "), seen " + rs.seen);
    }
};

// The ELF file at `path`, if it has a symbol table and `refusal` has nothing
// against its type (an empty string: none; else why the check cannot use it).
a64::Result<std::shared_ptr<ElfImage>>
open_image(const std::string &path, const std::function<std::string(uint16_t type)> &refusal) {
    auto img = ElfImage::open(path);
    if (!img)
        return a64::err(img.error());
    if (const std::string why = refusal((*img)->type); !why.empty())
        return a64::err(path + ": " + why);
    if ((*img)->symbols.empty())
        return a64::err(path + ": no symbol table (stripped?)");
    return img;
}

// The end of a report: its discrepancies, one a line, then
// "<p>: N <sites>, M table entries, K discrepancies".
void print_discrepancies(FILE *out, const char *p, const std::vector<std::string> &discrepancies,
                         size_t n_sites, const char *sites, size_t entries) {
    for (const auto &d : discrepancies)
        std::fprintf(out, "%s: %s\n", p, d.c_str());
    std::fprintf(out, "%s: %zu %s, %zu table entries, %zu discrepancies\n", p, n_sites, sites,
                 entries, discrepancies.size());
}

} // namespace

a64::Result<Report> check(const std::string &path, const Options &options) {
    auto img = open_image(path, [](uint16_t type) -> std::string {
        if (type == ET_REL || type == ET_EXEC || type == ET_DYN)
            return "";
        return "not a relocatable object or a linked image";
    });
    if (!img)
        return a64::err(img.error());
    const ElfImage &elf = **img;
    Report rep;
    rep.path = path;
    rep.kind = elf.type_name();
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
    print_discrepancies(out, p, r.discrepancies, r.sites.size(), "sites", r.site_table.size());
}

a64::Result<Dump> parse_dump(const std::string &text, const std::string &path) {
    Dump d;
    d.path = path;
    bool have_end = false;
    size_t lineno = 0;
    for (size_t pos = 0; pos < text.size();) {
        const size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        ++lineno;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        const size_t m = find_marker(line);
        if (m == std::string::npos)
            continue;
        const auto tok = fields(line.substr(m + kMarkerLen));
        auto fail = [&](const std::string &msg) {
            return a64::err(strf("%s:%zu: ", path.c_str(), lineno) + msg);
        };
        const std::string kind = tok.empty() ? "" : tok[0];
        // Why the record is before the stext one or has not the `n` fields
        // `usage` names, "" if neither.
        auto misfit = [&](size_t n, const char *usage) -> std::string {
            if (kind != "stext" && !d.stext_line)
                return "SCDUMP " + kind + " before SCDUMP stext";
            if (tok.size() != n + 1)
                return strf("expected `SCDUMP %s %s`, got %zu fields", kind.c_str(), usage,
                            tok.size() - 1);
            return "";
        };
        uint64_t v[5] = {0, 0, 0, 0, 0};
        if (kind == "stext") {
            if (d.stext_line)
                return fail(strf("a second SCDUMP stext (the first is at line %zu): one dump "
                                 "per file",
                                 d.stext_line));
            if (auto e = misfit(1, "<addr>"); !e.empty())
                return fail(e);
            if (auto e = hex_field(tok[1], "stext", 16, v[0]); !e.empty())
                return fail(e);
            d.stext = v[0];
            d.stext_line = lineno;
        } else if (kind == "site") {
            if (have_end)
                return fail(strf("SCDUMP site after SCDUMP end (line %zu)", d.end_line));
            if (auto e = misfit(5, "<addr> <insn> <key> <func> <tail>"); !e.empty())
                return fail(e);
            const char *what[4] = {"addr", "insn", "key", "func"};
            for (size_t i = 0; i < 4; ++i)
                if (auto e = hex_field(tok[i + 1], what[i], i == 1 ? 8 : 16, v[i]); !e.empty())
                    return fail(e);
            if (tok[5] != "0" && tok[5] != "1")
                return fail("tail `" + tok[5] + "` is not 0 or 1");
            DumpSite s;
            s.addr = v[0];
            s.insn = uint32_t(v[1]);
            s.key = v[2];
            s.func = v[3];
            s.tail = tok[5] == "1";
            s.line = lineno;
            d.sites.push_back(s);
        } else if (kind == "end") {
            if (have_end)
                return fail(strf("a second SCDUMP end (the first is at line %zu)", d.end_line));
            if (auto e = misfit(1, "<count>"); !e.empty())
                return fail(e);
            if (auto e = hex_field(tok[1], "count", 16, v[0]); !e.empty())
                return fail(e);
            if (v[0] != d.sites.size())
                return fail(strf("SCDUMP end %s (%llu sites), but %zu site lines since SCDUMP "
                                 "stext (line %zu): lines lost or added",
                                 tok[1].c_str(), ull(v[0]), d.sites.size(), d.stext_line));
            have_end = true;
            d.end_line = lineno;
        } else {
            return fail("unknown SCDUMP record `" + kind + "` (expected stext, site or end)");
        }
    }
    if (!d.stext_line)
        return a64::err(path + ": no SCDUMP lines (SCDUMP stext, site, end)");
    if (!have_end)
        return a64::err(strf("%s: no SCDUMP end line after SCDUMP stext (line %zu) and %zu site "
                             "lines: truncated dump?",
                             path.c_str(), d.stext_line, d.sites.size()));
    return d;
}

a64::Result<Dump> read_dump(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
        return a64::err(path + ": " + std::strerror(errno));
    std::string text;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
        text.append(buf, n);
    const bool bad = std::ferror(f);
    std::fclose(f);
    if (bad)
        return a64::err(path + ": read error");
    return parse_dump(text, path);
}

a64::Result<RuntimeReport> check_runtime(const Dump &dump, const std::string &vmlinux_path) {
    auto img = open_image(vmlinux_path, [](uint16_t type) -> std::string {
        if (type == ET_EXEC || type == ET_DYN)
            return "";
        return std::string("not a linked image (--runtime needs vmlinux, not ") +
               (type == ET_REL ? "a relocatable object" : "this ELF type") + ")";
    });
    if (!img)
        return a64::err(img.error());
    const ElfImage &elf = **img;
    RuntimeReport rep;
    rep.dump_path = dump.path;
    rep.vmlinux_path = vmlinux_path;
    rep.kind = elf.type_name();
    if (auto e = RuntimeChecker(elf, dump, rep).run(); !e.empty())
        return a64::err(e);
    return rep;
}

a64::Result<RuntimeReport> check_runtime(const std::string &dump_path,
                                         const std::string &vmlinux_path) {
    auto d = read_dump(dump_path);
    if (!d)
        return a64::err(d.error());
    return check_runtime(*d, vmlinux_path);
}

void print_runtime_report(const RuntimeReport &r, FILE *out, bool verbose) {
    const char *p = r.dump_path.c_str();
    if (verbose) {
        std::fprintf(out,
                     "%s: %s (%s): _stext 0x%llx, at run time 0x%llx, slide 0x%llx; "
                     ".static_call_sites %zu entries, %zu outside _stext.._etext not dumped%s\n",
                     p, r.vmlinux_path.c_str(), r.kind.c_str(), ull(r.vmlinux_stext), ull(r.stext),
                     ull(r.slide), r.entries, r.absent_outside_text,
                     r.have_etext ? "" : " (no _etext: every entry must be dumped)");
        for (const RuntimeSite &s : r.sites) {
            const std::string entry = s.entry < 0 ? "-" : std::to_string(s.entry);
            const std::string func = s.dumped.func ? strf("0x%llx", ull(s.dumped.func)) : "NULL";
            const std::string verdict = s.insn_ok            ? " ok"
                                        : s.expected.empty() ? " (unchecked)"
                                                             : ", expected " + s.expected;
            std::fprintf(out,
                         "%s:   site %s (0x%llx, dump line %zu): entry %s, key %s -> %s: %s%s\n", p,
                         s.where.c_str(), ull(s.dumped.addr), s.dumped.line, entry.c_str(),
                         s.key.c_str(), func.c_str(), s.seen.c_str(), verdict.c_str());
        }
    }
    print_discrepancies(out, p, r.discrepancies, r.sites.size(), "sites dumped", r.entries);
}

} // namespace scsites
