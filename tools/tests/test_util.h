// Helpers shared by the tests: temporary directories and running commands.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace testutil {

struct CommandResult {
    int exit_code = -1; // -1: did not exit normally
    std::string output; // stdout and stderr interleaved
};

// Runs `command` through /bin/sh, capturing stdout+stderr.
CommandResult run(const std::string &command);

// Quotes a string for /bin/sh.
std::string shell_quote(const std::string &s);

void write_file(const std::filesystem::path &path, const std::string &text);

// Overwrites the 4 bytes at `offset` of an existing file with `value`,
// little-endian; false if the file could not be written.
bool write32_le(const std::string &path, uint64_t offset, uint32_t value);

// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::filesystem::path &path() const { return path_; }
    std::filesystem::path operator/(const std::string &name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// Non-empty path from the build configuration and executable.
bool tool_available(const char *path);

} // namespace testutil
