#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace kube9::base {

// The error side of an Expected, so that `return Unexpected(error);` reads clearly.
template <typename E>
struct Unexpected {
  E error;
  explicit Unexpected(E e) : error(std::move(e)) {}
};

// A value or an error: the one error style used at component boundaries (C++20 has no
// std::expected). Exceptions stay inside components.
template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Expected(Unexpected<E> u) : state_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { assert(!ok()); return std::get<1>(state_); }
  E& error() { assert(!ok()); return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// The value of an Expected that only reports success or failure.
struct Ok {};

}  // namespace kube9::base
