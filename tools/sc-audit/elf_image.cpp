#include "elf_image.h"

#include <gelf.h>
#include <libelf.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace scaudit {

namespace {
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            close(fd);
    }
};
struct ElfHandle {
    Elf *e;
    ~ElfHandle() {
        if (e)
            elf_end(e);
    }
};
} // namespace

bool ElfImage::is_rel() const {
    return type == ET_REL;
}

const char *ElfImage::type_name() const {
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

a64::Result<std::shared_ptr<ElfImage>> ElfImage::open(const std::string &path) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        return a64::err("libelf initialisation failed");
    Fd fd{::open(path.c_str(), O_RDONLY)};
    if (fd.fd < 0)
        return a64::err(path + ": " + std::strerror(errno));
    ElfHandle h{elf_begin(fd.fd, ELF_C_READ, nullptr)};
    if (!h.e || elf_kind(h.e) != ELF_K_ELF)
        return a64::err(path + ": not an ELF file");
    GElf_Ehdr eh;
    if (!gelf_getehdr(h.e, &eh))
        return a64::err(path + ": " + elf_errmsg(-1));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_AARCH64)
        return a64::err(path + ": not a 64-bit arm64 (EM_AARCH64) ELF file");
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return a64::err(path + ": big-endian arm64 is not supported");
    auto img = std::make_shared<ElfImage>();
    img->type = eh.e_type;
    img->machine = eh.e_machine;
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(h.e, &shstrndx) != 0)
        return a64::err(path + ": " + elf_errmsg(-1));

    size_t symtab_index = 0;
    for (Elf_Scn *scn = elf_nextscn(h.e, nullptr); scn; scn = elf_nextscn(h.e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            return a64::err(path + ": " + elf_errmsg(-1));
        Section s;
        s.index = elf_ndxscn(scn);
        const char *name = elf_strptr(h.e, shstrndx, sh.sh_name);
        s.name = name ? name : "";
        s.type = sh.sh_type;
        s.flags = sh.sh_flags;
        s.addr = sh.sh_addr;
        s.offset = sh.sh_offset;
        s.size = sh.sh_size;
        s.align = sh.sh_addralign;
        s.link = sh.sh_link;
        s.info = sh.sh_info;
        if (sh.sh_type == SHT_PROGBITS) {
            Elf_Data *d = elf_rawdata(scn, nullptr);
            if (d && d->d_buf) {
                auto *p = static_cast<const uint8_t *>(d->d_buf);
                s.bytes.assign(p, p + d->d_size);
            }
        }
        if (sh.sh_type == SHT_SYMTAB) {
            symtab_index = s.index;
            Elf_Data *d = elf_getdata(scn, nullptr);
            const size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            img->symbols.resize(n);
            for (size_t i = 0; d && i < n; ++i) {
                GElf_Sym sym;
                if (!gelf_getsym(d, int(i), &sym))
                    continue;
                Symbol &o = img->symbols[i];
                const char *sn = elf_strptr(h.e, sh.sh_link, sym.st_name);
                o.name = sn ? sn : "";
                o.value = sym.st_value;
                o.size = sym.st_size;
                o.shndx = sym.st_shndx;
                o.type = GELF_ST_TYPE(sym.st_info);
                o.bind = GELF_ST_BIND(sym.st_info);
            }
        }
        if (sh.sh_type == SHT_RELA) {
            RelocSection rs;
            rs.index = s.index;
            rs.name = s.name;
            rs.applies_to = sh.sh_info;
            rs.symtab = sh.sh_link;
            Elf_Data *d = elf_getdata(scn, nullptr);
            const size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            rs.relocs.reserve(n);
            for (size_t i = 0; d && i < n; ++i) {
                GElf_Rela r;
                if (!gelf_getrela(d, int(i), &r))
                    continue;
                rs.relocs.push_back({r.r_offset, uint32_t(GELF_R_TYPE(r.r_info)),
                                     uint32_t(GELF_R_SYM(r.r_info)), r.r_addend});
            }
            img->relocs.push_back(std::move(rs));
        }
        img->sections.push_back(std::move(s));
    }
    (void)symtab_index;
    return img;
}

const Section *ElfImage::section_by_name(const std::string &name) const {
    for (const auto &s : sections)
        if (s.name == name)
            return &s;
    return nullptr;
}

const Symbol *ElfImage::symbol_by_name(const std::string &name) const {
    for (const auto &s : symbols)
        if (s.name == name && s.type != STT_SECTION)
            return &s;
    return nullptr;
}

const Section *ElfImage::section_at(uint64_t addr) const {
    for (const auto &s : sections)
        if ((s.flags & SHF_ALLOC) && s.type == SHT_PROGBITS && addr >= s.addr &&
            addr < s.addr + s.size)
            return &s;
    return nullptr;
}

std::optional<uint32_t> ElfImage::read32(const Section &s, uint64_t off) const {
    if (off + 4 > s.bytes.size())
        return std::nullopt;
    const uint8_t *p = s.bytes.data() + off;
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

std::optional<uint64_t> ElfImage::read64(const Section &s, uint64_t off) const {
    auto lo = read32(s, off), hi = read32(s, off + 4);
    if (!lo || !hi)
        return std::nullopt;
    return uint64_t(*lo) | uint64_t(*hi) << 32;
}

} // namespace scaudit
