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

// The first trampoline sc-audit finds intact in `src`, or nullptr.
inline const scaudit::Trampoline *first_intact(const scaudit::Report &rep) {
    for (const auto &t : rep.trampolines)
        if (t.errors.empty() && t.slot_file_offset)
            return &t;
    return nullptr;
}

// Copies `src` to `dst` and flips the low bit of one intact trampoline's slot
// word. Returns the trampoline's symbol ("" on failure).
inline std::string corrupt_one_slot(const std::string &src, const std::string &dst) {
    auto rep = scaudit::audit(src);
    if (!rep)
        return "";
    const scaudit::Trampoline *victim = first_intact(*rep);
    if (!victim || !xor_copy(src, dst, victim->slot_file_offset, std::string(1, '\1')))
        return "";
    return victim->symbol;
}

} // namespace testutil
