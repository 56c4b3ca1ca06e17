// Oracle test: the codec against GNU binutils. Many instructions (range
// edges plus random operands from a fixed seed) are assembled with
// aarch64-linux-gnu-as, linked at a fixed address, read back with libelf and
// compared with the codec's encoding; objdump's disassembly of the same words
// is parsed back into operands and compared with the codec's decoding. Every
// trampoline layout of sct_layout.h, written as its kernel writes it, is
// checked against the words the description encodes.
#include "a64.h"
#include "sct_layout.h"
#include "test_util.h"

#include <gelf.h>
#include <libelf.h>

#include <gtest/gtest.h>

#include <cinttypes>
#include <fcntl.h>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <unistd.h>
#include <vector>

using namespace a64;
using testutil::run;
using testutil::shell_quote;

namespace {

constexpr uint64_t kBase = 0x100000000000; // link address of .text

#define REQUIRE_BINUTILS()                                                                         \
    REQUIRE_BINUTILS_FOR("oracle", testutil::kAs, testutil::kLd, testutil::kObjdump)

std::string rel(int64_t off) {
    return off < 0 ? ". - " + std::to_string(uint64_t(0) - uint64_t(off))
                   : ". + " + std::to_string(off);
}

// snprintf, not `"x" + std::to_string(r)`: GCC PR 105329 (see a64.cpp).
std::string xr(unsigned r, bool sp, bool w = false) {
    if (r == 31)
        return sp ? (w ? "wsp" : "sp") : (w ? "wzr" : "xzr");
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%u", w ? 'w' : 'x', r);
    return buf;
}

// gas source for one instruction (pc-relative operands written relative to '.').
std::string gas_line(const Insn &i) {
    char buf[64];
    switch (i.op) {
    case Op::B:
    case Op::BL:
        return std::string(i.op == Op::B ? "b " : "bl ") + rel(i.imm);
    case Op::NOP:
        return "nop";
    case Op::BTI_C:
        return "bti c";
    case Op::LDR_LIT:
        return "ldr " + xr(i.rd, false) + ", " + rel(i.imm);
    case Op::CBZ:
    case Op::CBNZ:
        return std::string(i.op == Op::CBZ ? "cbz " : "cbnz ") + xr(i.rd, false) + ", " +
               rel(i.imm);
    case Op::BR:
        return "br " + xr(i.rn, false);
    case Op::RET:
        return "ret " + xr(i.rn, false);
    case Op::ADRP:
        return "adrp " + xr(i.rd, false) + ", " + rel(i.imm); // imm: byte offset from pc here
    case Op::ADD_IMM:
        std::snprintf(buf, sizeof buf, "#0x%" PRIx64, uint64_t(i.imm));
        return "add " + xr(i.rd, true) + ", " + xr(i.rn, true) + ", " + buf +
               (i.shift ? ", lsl #12" : "");
    case Op::LDR_UIMM:
        return "ldr " + xr(i.rd, false) + ", [" + xr(i.rn, true) + ", #" + std::to_string(i.imm) +
               "]";
    case Op::MOVZ:
        std::snprintf(buf, sizeof buf, "#0x%" PRIx64, uint64_t(i.imm));
        return "movz " + xr(i.rd, false, !i.sf) + ", " + buf + ", lsl #" + std::to_string(i.shift);
    case Op::MOV_REG:
        return "mov " + xr(i.rd, false) + ", " + xr(i.rn, false);
    case Op::BRK:
    case Op::SVC:
    case Op::HVC:
    case Op::SMC:
        std::snprintf(buf, sizeof buf, " #0x%" PRIx64, uint64_t(i.imm));
        return std::string(op_name(i.op)) + buf;
    }
    return "";
}

struct Case {
    Insn insn;        // what the codec encodes (adrp: page offset)
    std::string line; // gas source
    uint64_t pc = 0;
    uint32_t expect = 0;
};

class CaseBuilder {
  public:
    void add(Insn i, int64_t adrp_byte_offset = 0) {
        Case c;
        c.pc = kBase + 4 * cases.size();
        if (i.op == Op::ADRP) {
            Insn g = i;
            g.imm = adrp_byte_offset;
            c.line = gas_line(g);
            const uint64_t target = c.pc + uint64_t(adrp_byte_offset);
            i.imm = int64_t((target & ~uint64_t{0xfff}) - (c.pc & ~uint64_t{0xfff}));
        } else {
            c.line = gas_line(i);
        }
        c.insn = i;
        auto w = encode(i);
        ASSERT_TRUE(w.ok()) << c.line << ": " << w.error();
        c.expect = *w;
        cases.push_back(c);
    }
    std::vector<Case> cases;
};

std::vector<Case> build_cases() {
    CaseBuilder cb;
    std::mt19937_64 rng(20261125);
    auto reg = [&] { return unsigned(rng() % 32); };
    auto rnd = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); };

    // Branches: edges and random multiples of 4.
    for (Op op : {Op::B, Op::BL}) {
        for (int64_t off : {int64_t{0}, int64_t{4}, int64_t{-4}, kBranchMax, kBranchMin,
                            kBranchMax - 4, kBranchMin + 4, int64_t{1} << 20, -(int64_t{1} << 26)})
            cb.add({.op = op, .imm = off});
        for (int n = 0; n < 300; ++n)
            cb.add({.op = op, .imm = rnd(kBranchMin / 4, kBranchMax / 4) * 4});
    }
    for (Op op : {Op::LDR_LIT, Op::CBZ, Op::CBNZ}) {
        for (int64_t off : {int64_t{0}, int64_t{8}, int64_t{-16}, kLiteralMax, kLiteralMin})
            cb.add({.op = op, .rd = 16, .imm = off});
        for (int n = 0; n < 150; ++n)
            cb.add({.op = op, .rd = reg(), .imm = rnd(kLiteralMin / 4, kLiteralMax / 4) * 4});
    }
    cb.add({.op = Op::NOP});
    cb.add({.op = Op::BTI_C});
    for (unsigned r = 0; r < 32; ++r) {
        cb.add({.op = Op::BR, .rn = r});
        cb.add({.op = Op::RET, .rn = r});
    }
    // adrp: page edges and random in-page offsets.
    for (int64_t pages : {int64_t{0}, int64_t{1}, int64_t{-1}, kAdrpPageMax, kAdrpPageMin})
        cb.add({.op = Op::ADRP, .rd = 16}, pages * 4096);
    for (int n = 0; n < 200; ++n) {
        const int64_t pages = rnd(kAdrpPageMin + 1, kAdrpPageMax - 1);
        cb.add({.op = Op::ADRP, .rd = reg()}, pages * 4096 + rnd(-4095, 4095) / 4 * 4);
    }
    for (int64_t imm : {int64_t{0}, int64_t{1}, int64_t{4095}})
        for (unsigned sh : {0u, 12u})
            cb.add({.op = Op::ADD_IMM, .rd = 16, .rn = 31, .imm = imm, .shift = sh});
    for (int n = 0; n < 200; ++n)
        cb.add({.op = Op::ADD_IMM,
                .rd = reg(),
                .rn = reg(),
                .imm = rnd(1, 4095),
                .shift = (rng() & 1) ? 12u : 0u});
    for (int64_t off : {int64_t{0}, int64_t{8}, int64_t{32760}})
        cb.add({.op = Op::LDR_UIMM, .rd = 16, .rn = 16, .imm = off});
    for (int n = 0; n < 200; ++n)
        cb.add({.op = Op::LDR_UIMM, .rd = reg(), .rn = reg(), .imm = rnd(0, 4095) * 8});
    for (bool sf : {true, false})
        for (unsigned sh = 0; sh <= (sf ? 48u : 16u); sh += 16)
            for (int64_t imm : {int64_t{0}, int64_t{1}, int64_t{0xffff}})
                cb.add({.op = Op::MOVZ, .rd = 0, .imm = imm, .shift = sh, .sf = sf});
    for (int n = 0; n < 200; ++n) {
        const bool sf = rng() & 1;
        cb.add({.op = Op::MOVZ,
                .rd = reg(),
                .imm = rnd(0, 0xffff),
                .shift = unsigned(rng() % (sf ? 4 : 2)) * 16,
                .sf = sf});
    }
    for (int n = 0; n < 100; ++n)
        cb.add({.op = Op::MOV_REG, .rd = unsigned(rng() % 31), .rn = reg()});
    cb.add({.op = Op::MOV_REG, .rd = 0, .rn = 31});
    for (Op op : {Op::BRK, Op::SVC, Op::HVC, Op::SMC})
        for (int64_t imm : {int64_t{0}, int64_t{0x800}, int64_t{0xffff}, rnd(0, 0xffff)})
            cb.add({.op = op, .imm = imm});
    return cb.cases;
}

// The bytes of section `name` of an ELF file, read with libelf.
std::optional<std::vector<uint8_t>> read_section(const std::string &path, const std::string &want,
                                                 uint64_t *addr) {
    elf_version(EV_CURRENT);
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0)
        return std::nullopt;
    std::optional<std::vector<uint8_t>> out;
    if (Elf *e = elf_begin(fd, ELF_C_READ, nullptr)) {
        size_t shstrndx = 0;
        elf_getshdrstrndx(e, &shstrndx);
        for (Elf_Scn *s = elf_nextscn(e, nullptr); s; s = elf_nextscn(e, s)) {
            GElf_Shdr sh;
            gelf_getshdr(s, &sh);
            const char *name = elf_strptr(e, shstrndx, sh.sh_name);
            if (name && std::string(name) == want) {
                Elf_Data *d = elf_getdata(s, nullptr);
                if (d && d->d_buf) {
                    auto *p = static_cast<const uint8_t *>(d->d_buf);
                    out.emplace(p, p + d->d_size);
                    *addr = sh.sh_addr;
                }
            }
        }
        elf_end(e);
    }
    close(fd);
    return out;
}

// .text bytes of an ELF file.
std::optional<std::vector<uint8_t>> read_text(const std::string &path, uint64_t *addr) {
    return read_section(path, ".text", addr);
}

unsigned parse_reg(const std::string &s, bool *is_w = nullptr) {
    if (is_w)
        *is_w = !s.empty() && s[0] == 'w';
    if (s == "sp" || s == "wsp" || s == "xzr" || s == "wzr")
        return 31;
    return unsigned(std::stoul(s.substr(1)));
}

std::vector<std::string> split_operands(std::string ops) {
    if (auto p = ops.find("//"); p != std::string::npos)
        ops.resize(p);
    if (auto p = ops.find('<'); p != std::string::npos)
        ops.resize(p);
    for (char &c : ops)
        if (c == '[' || c == ']')
            c = ' ';
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        const auto b = cur.find_first_not_of(' ');
        const auto e = cur.find_last_not_of(' ');
        if (b != std::string::npos)
            out.push_back(cur.substr(b, e - b + 1));
        cur.clear();
    };
    for (char c : ops) {
        if (c == ',')
            flush();
        else if (c != '\t')
            cur += c;
    }
    flush();
    return out;
}

uint64_t num(const std::string &s) { // "#0x1f", "#12", "1000" (objdump address: hex)
    if (!s.empty() && s[0] == '#')
        return std::stoull(s.substr(1), nullptr, 0);
    return std::stoull(s, nullptr, 16);
}

// objdump text -> Insn (the "decode back" direction of the oracle).
std::optional<Insn> parse_objdump(const std::string &mn, const std::string &operands, uint64_t pc) {
    const auto ops = split_operands(operands);
    Insn i;
    auto rel_to = [&](const std::string &s) { return int64_t(num(s) - pc); };
    if (mn == "b" || mn == "bl") {
        i.op = mn == "b" ? Op::B : Op::BL;
        i.imm = rel_to(ops.at(0));
    } else if (mn == "nop") {
        i.op = Op::NOP;
    } else if (mn == "bti" && ops.size() == 1 && ops[0] == "c") {
        i.op = Op::BTI_C;
    } else if (mn == "ldr" && operands.find('[') == std::string::npos) {
        i.op = Op::LDR_LIT;
        i.rd = parse_reg(ops.at(0));
        i.imm = rel_to(ops.at(1));
    } else if (mn == "ldr") {
        i.op = Op::LDR_UIMM;
        i.rd = parse_reg(ops.at(0));
        i.rn = parse_reg(ops.at(1));
        i.imm = ops.size() > 2 ? int64_t(num(ops[2])) : 0;
    } else if (mn == "cbz" || mn == "cbnz") {
        i.op = mn == "cbz" ? Op::CBZ : Op::CBNZ;
        i.rd = parse_reg(ops.at(0));
        i.imm = rel_to(ops.at(1));
    } else if (mn == "br" || mn == "ret") {
        i.op = mn == "br" ? Op::BR : Op::RET;
        i.rn = ops.empty() ? 30 : parse_reg(ops[0]);
    } else if (mn == "adrp") {
        i.op = Op::ADRP;
        i.rd = parse_reg(ops.at(0));
        i.imm = int64_t(num(ops.at(1)) - (pc & ~uint64_t{0xfff}));
    } else if (mn == "add") {
        i.op = Op::ADD_IMM;
        i.rd = parse_reg(ops.at(0));
        i.rn = parse_reg(ops.at(1));
        i.imm = int64_t(num(ops.at(2)));
        i.shift = ops.size() > 3 ? unsigned(num(ops[3].substr(4))) : 0;
    } else if (mn == "mov" && ops.size() == 2 && (ops[0] == "sp" || ops[1] == "sp")) {
        i.op = Op::ADD_IMM; // alias of add #0 involving sp
        i.rd = parse_reg(ops[0]);
        i.rn = parse_reg(ops[1]);
    } else if (mn == "mov" && ops.size() == 2 && ops[1][0] != '#') {
        i.op = Op::MOV_REG;
        i.rd = parse_reg(ops[0]);
        i.rn = parse_reg(ops[1]);
    } else if (mn == "mov" || mn == "movz") {
        bool w = false;
        i.op = Op::MOVZ;
        i.rd = parse_reg(ops.at(0), &w);
        i.sf = !w;
        uint64_t v = num(ops.at(1));
        if (mn == "movz") {
            i.imm = int64_t(v);
            i.shift = ops.size() > 2 ? unsigned(num(ops[2].substr(4))) : 0;
        } else {
            unsigned s = 0;
            while (v != 0 && (v & 0xffff) == 0) {
                v >>= 16;
                s += 16;
            }
            i.imm = int64_t(v);
            i.shift = s;
        }
    } else if (mn == "brk" || mn == "svc" || mn == "hvc" || mn == "smc") {
        i.op = mn == "brk" ? Op::BRK : mn == "svc" ? Op::SVC : mn == "hvc" ? Op::HVC : Op::SMC;
        i.imm = int64_t(num(ops.at(0)));
    } else {
        return std::nullopt;
    }
    return i;
}

// Assembles `src` and links it with .text at kBase; returns the executable.
std::string assemble_and_link(const testutil::TempDir &dir, const std::string &name,
                              const std::string &src) {
    const std::string obj = testutil::assemble(dir, name, src);
    const std::string exe = (dir / (name + ".elf")).string();
    char ttext[64];
    std::snprintf(ttext, sizeof ttext, "-Ttext=0x%" PRIx64, kBase);
    auto ld = run(testutil::kLd.path + " " + ttext + " -e _start -o " + shell_quote(exe) + " " +
                  shell_quote(obj));
    EXPECT_EQ(ld.exit_code, 0) << ld.output;
    return exe;
}

uint32_t word_at(const std::vector<uint8_t> &text, size_t k) {
    const uint8_t *p = text.data() + 4 * k;
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// Each layout's trampoline as its kernel writes it (entry _start, target
// _start; the .rodata literal after 24 other bytes, so that its :lo12: is not
// 0). A layout without an entry here fails the test below.
const std::map<std::string, std::string> &kernel_sources() {
    static const std::map<std::string, std::string> m = {
        {"slot-adrp", "\t.text\n\t.globl _start\n\t.balign 32\n_start:\n\thint 34\n\tb _start\n"
                      "\tadrp x16, 1f\n\tldr x16, [x16, :lo12:1f]\n\tbr x16\n"
                      "\t.size _start, . - _start\n\t.balign 32\n"
                      "\t.section .rodata, \"a\"\n\t.align 3\n\t.skip 24\n1:\t.quad _start\n"},
        {"mainline", "\t.text\n\t.globl _start\n\t.align 4\n_start:\n\thint 34\n"
                     "\tadrp x16, 1f\n\tldr x16, [x16, :lo12:1f]\n\tbr x16\n"
                     "\t.size _start, . - _start\n"
                     "\t.section .rodata, \"a\"\n\t.align 3\n\t.skip 24\n1:\t.quad _start\n"},
    };
    return m;
}

// The objdump -d line of the word at `pc` ("<pc>:\t<word> \t<mnemonic>\t<operands>").
std::string objdump_line(const std::string &dump, uint64_t pc) {
    char key[32];
    std::snprintf(key, sizeof key, "%" PRIx64 ":\t", pc);
    const auto at = dump.find(key);
    if (at == std::string::npos)
        return "";
    return dump.substr(at, dump.find('\n', at) - at);
}

} // namespace

// Every layout's trampoline as the kernel writes it, assembled and linked by
// binutils: its words are those sct::encode() builds from the layout
// description, the literal is where the description's decoder finds it and
// holds the target, and objdump reads the literal's load as a load of that
// address.
TEST(A64Oracle, EveryLayoutMatchesBinutils) {
    REQUIRE_BINUTILS();
    for (const sct::Layout &l : sct::kLayouts) {
        SCOPED_TRACE(l.name);
        auto src = kernel_sources().find(l.name);
        ASSERT_NE(src, kernel_sources().end()) << "no kernel source for layout " << l.name;
        testutil::TempDir dir;
        const std::string exe = assemble_and_link(dir, "tramp", src->second);
        ASSERT_FALSE(HasFailure());
        uint64_t text_addr = 0, rodata_addr = 0;
        auto text = read_text(exe, &text_addr);
        ASSERT_TRUE(text.has_value());
        ASSERT_EQ(text_addr, kBase);
        ASSERT_EQ(text->size(), l.stride);
        auto rodata = read_section(exe, l.literal_section, &rodata_addr);
        ASSERT_TRUE(rodata.has_value());
        ASSERT_EQ(rodata->size(), 32u);
        const uint64_t literal = rodata_addr + 24;
        const uint32_t slot = l.has_slot() ? word_at(*text, l.slot_offset() / 4) : 0;
        if (l.has_slot()) { // `b _start` (a module's is `nop`)
            EXPECT_EQ(slot, *a64::b_to(kBase + l.slot_offset(), kBase));
        }
        auto want = sct::encode(l, kBase, literal, slot);
        ASSERT_TRUE(want.ok()) << want.error();
        for (size_t k = 0; k < want->size(); ++k)
            EXPECT_EQ(word_at(*text, k), (*want)[k]) << "word " << k;
        std::vector<uint32_t> code;
        for (size_t k = 0; k < l.code.size(); ++k)
            code.push_back(word_at(*text, k));
        EXPECT_TRUE(sct::matches(l, code));
        EXPECT_EQ(*sct::literal_address(l, kBase, code), literal);
        EXPECT_EQ(uint64_t(word_at(*rodata, 6)) | uint64_t(word_at(*rodata, 7)) << 32, kBase);

        auto dump = run(testutil::kObjdump.path + " -d " + shell_quote(exe));
        ASSERT_EQ(dump.exit_code, 0) << dump.output;
        char want_line[128];
        const uint64_t adrp = *l.offset_of(sct::WordKind::Adrp);
        const uint64_t ldr = *l.offset_of(sct::WordKind::LdrLo12);
        std::snprintf(want_line, sizeof want_line, "\tadrp\tx16, %" PRIx64,
                      literal & ~uint64_t{0xfff});
        EXPECT_NE(objdump_line(dump.output, kBase + adrp).find(want_line), std::string::npos)
            << want_line << "\n"
            << dump.output;
        std::snprintf(want_line, sizeof want_line, "\tldr\tx16, [x16, #%" PRIu64 "]",
                      literal & 0xfff);
        EXPECT_NE(objdump_line(dump.output, kBase + ldr).find(want_line), std::string::npos)
            << want_line << "\n"
            << dump.output;
        for (uint64_t o = l.size; o < l.stride; o += 4)
            EXPECT_NE(objdump_line(dump.output, kBase + o).find("\tnop"), std::string::npos);
    }
}

TEST(A64Oracle, EncodeAndDecodeAgreeWithBinutils) {
    REQUIRE_BINUTILS();
    const auto cases = build_cases();
    ASSERT_GT(cases.size(), 2000u);
    testutil::TempDir dir;
    std::ostringstream src;
    src << "\t.text\n\t.globl _start\n_start:\n";
    for (const auto &c : cases)
        src << "\t" << c.line << "\n";
    const std::string exe = assemble_and_link(dir, "cases", src.str());
    ASSERT_FALSE(HasFailure());

    // Encode direction: bytes produced by binutils == codec encoding.
    uint64_t text_addr = 0;
    auto text = read_text(exe, &text_addr);
    ASSERT_TRUE(text.has_value());
    ASSERT_EQ(text_addr, kBase);
    ASSERT_EQ(text->size(), cases.size() * 4);
    size_t mismatches = 0;
    for (size_t k = 0; k < cases.size(); ++k) {
        const uint32_t word = word_at(*text, k);
        if (word != cases[k].expect && ++mismatches < 20)
            ADD_FAILURE() << "encode mismatch for `" << cases[k].line << "`: binutils 0x"
                          << std::hex << word << ", codec 0x" << cases[k].expect;
    }
    EXPECT_EQ(mismatches, 0u);

    // Decode direction: objdump's disassembly parsed back == codec decode.
    auto dump = run(testutil::kObjdump.path + " -d --no-show-raw-insn " + shell_quote(exe));
    ASSERT_EQ(dump.exit_code, 0) << dump.output;
    std::istringstream lines(dump.output);
    std::string line;
    size_t seen = 0;
    mismatches = 0;
    while (std::getline(lines, line)) {
        const auto colon = line.find(":\t");
        if (colon == std::string::npos)
            continue;
        const uint64_t pc = std::stoull(line.substr(0, colon), nullptr, 16);
        std::string rest = line.substr(colon + 2);
        const auto tab = rest.find('\t');
        const std::string mn = rest.substr(0, tab);
        const std::string operands = tab == std::string::npos ? "" : rest.substr(tab + 1);
        const size_t k = (pc - kBase) / 4;
        ASSERT_LT(k, cases.size()) << line;
        ++seen;
        auto parsed = parse_objdump(mn, operands, pc);
        auto decoded = decode(cases[k].expect);
        ASSERT_TRUE(decoded.ok()) << decoded.error();
        if ((!parsed || !(*parsed == *decoded)) && ++mismatches < 20)
            ADD_FAILURE() << "decode mismatch at `" << line << "`: codec says `"
                          << to_string(*decoded, pc) << "`"
                          << (parsed ? ", objdump parsed as `" + to_string(*parsed, pc) + "`"
                                     : ", objdump text not understood");
        EXPECT_EQ(*decoded, cases[k].insn) << cases[k].line;
    }
    EXPECT_EQ(seen, cases.size());
    EXPECT_EQ(mismatches, 0u);
    std::printf("[ oracle   ] %zu instructions checked against binutils\n", cases.size());
}

// Out-of-range or misaligned operands: binutils refuses them and so does the codec.
TEST(A64Oracle, BinutilsAndCodecRejectTheSameOperands) {
    REQUIRE_BINUTILS();
    struct Bad {
        std::string line;
        Result<uint32_t> codec;
    };
    const std::vector<Bad> bad = {
        {"b . + 134217728", b(int64_t{1} << 27)},
        {"b . - 134217732", b(kBranchMin - 4)},
        {"bl . + 134217728", bl(int64_t{1} << 27)},
        {"b . + 2", b(2)},
        {"ldr x16, . + 1048576", ldr_literal(16, int64_t{1} << 20)},
        {"ldr x16, . - 1048580", ldr_literal(16, kLiteralMin - 4)},
        {"cbz x16, . + 1048576", cbz(16, int64_t{1} << 20)},
        {"movz w0, #1, lsl #32", movz(0, 1, 32, false)},
        {"movz x0, #0x10000", movz(0, 0x10000, 0, true)},
        {"ldr x0, [x1, #32768]", ldr_uimm(0, 1, 32768)},
        {"brk #0x10000", brk(0x10000)},
    };
    testutil::TempDir dir;
    for (const auto &c : bad) {
        EXPECT_FALSE(c.codec.ok()) << c.line;
        testutil::write_file(dir / "bad.s", "\t.text\n\t" + c.line + "\n");
        auto r = run(testutil::kAs.path + " -o " + shell_quote((dir / "bad.o").string()) + " " +
                     shell_quote((dir / "bad.s").string()));
        EXPECT_NE(r.exit_code, 0) << "binutils accepted `" << c.line << "`";
    }
}
