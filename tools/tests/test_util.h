// Helpers shared by the tests: temporary directories, running commands, the
// binutils used as the oracle.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

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

// The little-endian 4 bytes at `offset` of a file; nullopt if unreadable.
std::optional<uint32_t> read32_le(const std::string &path, uint64_t offset);

// `what` occurs in `out`.
inline bool has(const std::string &out, const std::string &what) {
    return out.find(what) != std::string::npos;
}

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

// One of the aarch64 GNU binutils the tests use as the oracle, as CMake found
// it (CMakeLists.txt: BINUTILS_DEFS; path "" when it did not).
struct Binutil {
    const char *name; // "as": aarch64-linux-gnu-as
    std::string path;
};
extern const Binutil kAs, kLd, kObjdump;

// "" when every one of `need` is an executable, else the message that fails
// the tests of `suite`: which are missing and the package that has them.
std::string missing_binutils(std::initializer_list<Binutil> need, const std::string &suite);

// Assembles `src` (written to dir/<name>.s) with aarch64-linux-gnu-as into
// dir/<name><ext> and returns that path; a failure of `as` fails the test.
std::string assemble(const TempDir &dir, const std::string &name, const std::string &src,
                     const std::string &ext = ".o");

// Fails the current test unless the binutils `...` (of kAs, kLd, kObjdump)
// are there. A missing oracle is a failure, not a skip: the tests would prove
// nothing.
#define REQUIRE_BINUTILS_FOR(suite, ...)                                                           \
    do {                                                                                           \
        if (const std::string missing_ = testutil::missing_binutils({__VA_ARGS__}, suite);         \
            !missing_.empty())                                                                     \
            GTEST_FAIL() << missing_;                                                              \
    } while (0)

// Table-driven tests. A row has a `name` and `images`, each checked by the
// fixture's check_image(name, image), where `name` is "<row name>.<index>",
// for files made for the image. A fatal failure (a missing oracle) ends the
// row.
template <class Fixture, class Row> class RowTest : public Fixture {
  public:
    explicit RowTest(const Row &row) : row_(row) {}
    void TestBody() override {
        for (size_t i = 0; i < row_.images.size() && !this->HasFatalFailure(); ++i) {
            const std::string name = std::string(row_.name) + "." + std::to_string(i);
            SCOPED_TRACE(name);
            this->check_image(name, row_.images[i]);
        }
    }

  private:
    const Row &row_;
};

// Registers each row of `rows` as its own test <suite>.<name> of `Fixture`,
// so that ctest lists and runs every row alone, as it does a TEST_F. Call it
// from a namespace-scope initializer, before main(); `rows` must outlive the
// tests.
template <class Fixture, class Row>
bool register_rows(const char *suite, const std::vector<Row> &rows, const char *file, int line) {
    for (const Row &row : rows)
        ::testing::RegisterTest(suite, row.name, nullptr, nullptr, file, line,
                                [&row]() -> Fixture * { return new RowTest<Fixture, Row>(row); });
    return true;
}

} // namespace testutil
