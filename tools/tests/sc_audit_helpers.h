// Helpers shared by the sc-audit tests: corrupting a copy of an image.
#pragma once

#include "audit.h"

#include <filesystem>
#include <fstream>
#include <string>

namespace testutil {

// Copies `src` to `dst` and XORs `bytes.size()` bytes at `offset` with `bytes`.
inline bool xor_copy(const std::string &src, const std::string &dst, uint64_t offset,
                     const std::string &bytes) {
    std::filesystem::copy_file(src, dst, std::filesystem::copy_options::overwrite_existing);
    std::fstream f(dst, std::ios::in | std::ios::out | std::ios::binary);
    std::string cur(bytes.size(), '\0');
    f.seekg(std::streamoff(offset));
    f.read(cur.data(), std::streamsize(cur.size()));
    for (size_t i = 0; i < cur.size(); ++i)
        cur[i] = char(cur[i] ^ bytes[i]);
    f.seekp(std::streamoff(offset));
    f.write(cur.data(), std::streamsize(cur.size()));
    return bool(f);
}

// The first trampoline sc-audit finds intact in `rep` (with a slot, if
// `need_slot`), or nullptr.
inline const scaudit::Trampoline *first_intact(const scaudit::Report &rep, bool need_slot = false) {
    for (const auto &t : rep.trampolines)
        if (t.errors.empty() && t.file_offset && t.literal_file_offset &&
            (!need_slot || t.slot_file_offset))
            return &t;
    return nullptr;
}

// What corrupt_one() damages in one intact trampoline of a copy:
enum class Part {
    Slot,        // the slot word's low bit (another branch offset)
    Literal,     // the literal's top bit (bytes and relocation disagree, or no address)
    LiteralLoad, // the word that locates the literal (adrp): x16 becomes x17
};

// Copies `src` to `dst` with `part` of one intact trampoline (of the layout
// sc-audit detects) corrupted. Returns the trampoline's symbol ("" on
// failure, e.g. Part::Slot in a layout without a slot).
inline std::string corrupt_one(const std::string &src, const std::string &dst, Part part) {
    auto rep = scaudit::audit(src);
    if (!rep || !rep->layout)
        return "";
    const scaudit::Trampoline *victim = first_intact(*rep, part == Part::Slot);
    if (!victim)
        return "";
    const sct::Layout &l = *rep->layout;
    bool ok = false;
    switch (part) {
    case Part::Slot:
        ok = xor_copy(src, dst, victim->slot_file_offset, std::string(1, '\1'));
        break;
    case Part::Literal:
        ok = xor_copy(src, dst, victim->literal_file_offset + 7, std::string(1, '\x80'));
        break;
    case Part::LiteralLoad: {
        auto off = l.offset_of(sct::WordKind::Adrp);
        ok = off && xor_copy(src, dst, victim->file_offset + *off, std::string(1, '\1'));
        break;
    }
    }
    return ok ? victim->symbol : "";
}

// Copies `src` to `dst` and flips the low bit of one intact trampoline's slot
// word. Returns the trampoline's symbol ("" on failure).
inline std::string corrupt_one_slot(const std::string &src, const std::string &dst) {
    return corrupt_one(src, dst, Part::Slot);
}

} // namespace testutil
