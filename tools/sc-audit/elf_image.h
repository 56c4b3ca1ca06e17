// Read-only view of an ELF file through libelf/gelf.
#pragma once

#include "result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scaudit {

struct Section {
    size_t index = 0;
    std::string name;
    uint32_t type = 0;
    uint64_t flags = 0;
    uint64_t addr = 0;
    uint64_t offset = 0; // file offset
    uint64_t size = 0;
    uint64_t align = 0;
    uint32_t link = 0;
    uint32_t info = 0;
    std::vector<uint8_t> bytes; // empty for SHT_NOBITS
};

struct Symbol {
    std::string name;
    uint64_t value = 0;
    uint64_t size = 0;
    uint16_t shndx = 0;
    unsigned char type = 0;
    unsigned char bind = 0;
};

struct Reloc {
    uint64_t offset = 0; // section offset (ET_REL) or virtual address (dynamic)
    uint32_t type = 0;
    uint32_t sym = 0;
    int64_t addend = 0;
};

struct RelocSection {
    size_t index = 0;
    std::string name;
    uint32_t applies_to = 0; // sh_info
    uint32_t symtab = 0;     // sh_link
    std::vector<Reloc> relocs;
};

class ElfImage {
  public:
    static a64::Result<std::shared_ptr<ElfImage>> open(const std::string &path);

    uint16_t type = 0; // ET_REL, ET_EXEC, ET_DYN
    uint16_t machine = 0;
    bool is_rel() const;
    const char *type_name() const; // "ET_REL", "ET_EXEC", "ET_DYN" or "ET_?"
    std::vector<Section> sections;
    std::vector<Symbol> symbols; // from .symtab (index == ELF symbol index)
    std::vector<RelocSection> relocs;

    const Section *section_by_name(const std::string &name) const;
    // The first symbol called `name` (not a section symbol), or nullptr.
    const Symbol *symbol_by_name(const std::string &name) const;
    // Section holding a virtual address (allocated PROGBITS sections, not ET_REL).
    const Section *section_at(uint64_t addr) const;
    std::optional<uint32_t> read32(const Section &s, uint64_t off) const;
    std::optional<uint64_t> read64(const Section &s, uint64_t off) const;
};

} // namespace scaudit
