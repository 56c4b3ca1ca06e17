#include "test_util.h"

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

bool write32_le(const std::string &path, uint64_t offset, uint32_t value) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const char b[4] = {char(value), char(value >> 8), char(value >> 16), char(value >> 24)};
    f.seekp(std::streamoff(offset));
    f.write(b, 4);
    return bool(f);
}

} // namespace testutil
