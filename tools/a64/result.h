// Small Result<T> type (C++20 has no std::expected).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace a64 {

struct Error {
    std::string message;
};

inline Error err(std::string message) {
    return Error{std::move(message)};
}

template <typename T> class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const {
        if (!ok())
            throw std::logic_error("Result::value() on error: " + error());
        return std::get<0>(v_);
    }
    const T &operator*() const { return value(); }
    const T *operator->() const { return &value(); }
    T value_or(T fallback) const { return ok() ? std::get<0>(v_) : std::move(fallback); }

    const std::string &error() const {
        static const std::string none;
        return ok() ? none : std::get<1>(v_).message;
    }

  private:
    std::variant<T, Error> v_;
};

} // namespace a64
