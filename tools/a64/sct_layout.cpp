#include "sct_layout.h"

#include <algorithm>

namespace sct {
namespace {

constexpr uint64_t kPageMask = ~uint64_t{0xfff};

bool is_adrp_x16(uint32_t w) {
    auto d = a64::decode(w);
    return d && d->op == a64::Op::ADRP && d->rd == kScratch;
}

bool is_ldr_lo12_x16(uint32_t w) {
    auto d = a64::decode(w);
    return d && d->op == a64::Op::LDR_UIMM && d->rd == kScratch && d->rn == kScratch;
}

bool is_slot(uint32_t w) {
    if (w == a64::kNop)
        return true;
    auto d = a64::decode(w);
    return d && d->op == a64::Op::B;
}

} // namespace

const Layout *find_layout(std::string_view name) {
    for (const Layout &l : kLayouts)
        if (name == l.name)
            return &l;
    return nullptr;
}

std::string layout_names() {
    std::string s;
    for (const Layout &l : kLayouts)
        s += (s.empty() ? "" : ", ") + std::string(l.name);
    return s;
}

std::string describe(const Layout &l) {
    std::string s;
    for (const Word &w : l.code)
        s += (s.empty() ? "" : "; ") + std::string(w.text);
    s += std::string("; literal in ") + l.literal_section;
    s += " -- " + std::to_string(l.size) + " bytes, " + std::to_string(l.align) +
         "-byte aligned, stride " + std::to_string(l.stride);
    return s;
}

std::optional<std::string> word_mismatch(const Layout &l, size_t index, uint32_t word) {
    if (index >= l.code.size())
        return "no word";
    const Word &want = l.code[index];
    const std::string text = std::string("`") + want.text + "`";
    switch (want.kind) {
    case WordKind::Fixed:
        if (word == want.value)
            return std::nullopt;
        return text + " (" + a64::hex(want.value) + ")";
    case WordKind::Slot:
        if (is_slot(word))
            return std::nullopt;
        return text;
    case WordKind::Adrp:
        if (is_adrp_x16(word))
            return std::nullopt;
        return text;
    case WordKind::LdrLo12:
        if (is_ldr_lo12_x16(word))
            return std::nullopt;
        return text;
    }
    return text;
}

size_t matching_words(const Layout &l, std::span<const uint32_t> words) {
    size_t n = 0;
    for (size_t i = 0; i < l.code.size() && i < words.size(); ++i)
        n += !word_mismatch(l, i, words[i]).has_value();
    return n;
}

a64::Result<uint64_t> literal_address(const Layout &l, uint64_t entry,
                                      std::span<const uint32_t> words) {
    const auto adrp_off = l.offset_of(WordKind::Adrp);
    const auto ldr_off = l.offset_of(WordKind::LdrLo12);
    if (!adrp_off || !ldr_off)
        return a64::err(std::string("layout ") + l.name + " has no adrp/ldr pair");
    if (words.size() * 4 <= std::max(*adrp_off, *ldr_off))
        return a64::err("fewer code words than the layout has");
    const uint32_t adrp = words[*adrp_off / 4], ldr = words[*ldr_off / 4];
    if (!is_adrp_x16(adrp))
        return a64::err("word at +" + std::to_string(*adrp_off) + " (" + a64::hex(adrp) +
                        ") is not `adrp x16`");
    if (!is_ldr_lo12_x16(ldr))
        return a64::err("word at +" + std::to_string(*ldr_off) + " (" + a64::hex(ldr) +
                        ") is not `ldr x16, [x16, #imm]`");
    const uint64_t page = *a64::pc_relative_target(adrp, entry + *adrp_off);
    return page + uint64_t(a64::decode(ldr)->imm);
}

uint32_t slot_for(const Layout &l, uint64_t entry, uint64_t target) {
    auto b = a64::b_to(entry + l.slot_offset(), target);
    return b ? *b : a64::kNop;
}

a64::Result<std::vector<uint32_t>> encode(const Layout &l, uint64_t entry, uint64_t literal,
                                          uint32_t slot) {
    if (literal % 8)
        return a64::err("literal " + a64::hex(literal) + " is not 8-byte aligned");
    std::vector<uint32_t> w;
    for (size_t i = 0; i < l.code.size(); ++i) {
        const uint64_t pc = entry + 4 * i;
        a64::Result<uint32_t> word = a64::kNop;
        switch (l.code[i].kind) {
        case WordKind::Fixed:
            word = l.code[i].value;
            break;
        case WordKind::Slot:
            word = slot;
            break;
        case WordKind::Adrp:
            word = a64::adrp_to(kScratch, pc, literal);
            break;
        case WordKind::LdrLo12:
            word = a64::ldr_uimm(kScratch, kScratch, int64_t(literal & ~kPageMask));
            break;
        }
        if (!word)
            return a64::err(word.error());
        w.push_back(*word);
    }
    while (4 * w.size() < l.stride)
        w.push_back(4 * w.size() < l.size ? 0 : l.pad);
    return w;
}

} // namespace sct
