// Small Result<T> type (C++20 has no std::expected).
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace a64 {

struct Error {
    std::string message;
};

inline Error err(std::string message) {
    return Error{std::move(message)};
}

// A value or an error message. Plain members rather than a
// std::variant<T, Error>: at -O3 GCC 12 reports a bogus -Wmaybe-uninitialized
// on the variant's inactive std::string when a Result<int> is destroyed (the
// std::optional/std::variant family of GCC PR 80635), which -Werror turns into
// a build failure. So T must be default-constructible.
template <typename T> class [[nodiscard]] Result {
    static_assert(std::is_default_constructible_v<T>, "Result<T> needs a default-constructible T");

  public:
    Result(T value) : value_(std::move(value)), ok_(true) {}
    Result(Error error) : error_(std::move(error.message)) {}

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok(); }

    const T &value() const {
        if (!ok_)
            throw std::logic_error("Result::value() on error: " + error_);
        return value_;
    }
    const T &operator*() const { return value(); }
    const T *operator->() const { return &value(); }
    T value_or(T fallback) const { return ok_ ? value_ : std::move(fallback); }

    const std::string &error() const { return error_; } // empty when ok

  private:
    T value_{};
    std::string error_;
    bool ok_ = false;
};

} // namespace a64
