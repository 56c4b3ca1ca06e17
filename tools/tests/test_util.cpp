#include "test_util.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace testutil {

CommandResult run(const std::string &command) {
    CommandResult r;
    const std::string full = "( " + command + " ) 2>&1";
    FILE *p = popen(full.c_str(), "r");
    if (!p)
        throw std::runtime_error("popen failed: " + command);
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
        r.output.append(buf.data(), n);
    const int status = pclose(p);
    if (status != -1 && WIFEXITED(status))
        r.exit_code = WEXITSTATUS(status);
    return r;
}

std::string shell_quote(const std::string &s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

void write_file(const std::filesystem::path &path, const std::string &text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f)
        throw std::runtime_error("cannot write " + path.string());
}

TempDir::TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/sc-tools-test.XXXXXX";
    if (!mkdtemp(templ.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

bool tool_available(const char *path) {
    return path && *path && access(path, X_OK) == 0;
}

const Binutil kAs{"as", AARCH64_AS};
const Binutil kLd{"ld", AARCH64_LD};
const Binutil kObjdump{"objdump", AARCH64_OBJDUMP};

std::string missing_binutils(std::initializer_list<Binutil> need, const std::string &suite) {
    // append, not operator+ on short literals: GCC PR 105329 (see a64.cpp).
    std::string names;
    bool missing = false;
    for (const Binutil &b : need) {
        names.append(names.empty() ? "aarch64-linux-gnu-" : "/").append(b.name);
        missing |= !tool_available(b.path.c_str());
    }
    if (!missing)
        return "";
    return names.append(" not found; install binutils-aarch64-linux-gnu to run the ")
        .append(suite)
        .append(" tests");
}

bool write32_le(const std::string &path, uint64_t offset, uint32_t value) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const char b[4] = {char(value), char(value >> 8), char(value >> 16), char(value >> 24)};
    f.seekp(std::streamoff(offset));
    f.write(b, 4);
    return bool(f);
}

std::string assemble(const TempDir &dir, const std::string &name, const std::string &src,
                     const std::string &ext) {
    const std::string source = (dir / (name + ".s")).string(), obj = (dir / (name + ext)).string();
    write_file(source, src);
    auto r = run(kAs.path + " -o " + shell_quote(obj) + " " + shell_quote(source));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return obj;
}

std::optional<uint32_t> read32_le(const std::string &path, uint64_t offset) {
    std::ifstream f(path, std::ios::binary);
    unsigned char b[4] = {0, 0, 0, 0};
    f.seekg(std::streamoff(offset));
    f.read(reinterpret_cast<char *>(b), 4);
    if (!f)
        return std::nullopt;
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

} // namespace testutil
