#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kube9::collectors::ksm {

class InternPool;

// One copy of a string that many records repeat (a namespace, a node name, an image, a label
// key or value), shared by reference count: a record holds 8 bytes per such field instead of a
// string of its own. Move-only: copies would touch the count, and the count is only ever
// changed on the thread that writes the store (the reflector's), while scrapes only read.
class Interned {
 public:
  Interned() = default;
  Interned(Interned&& o) noexcept : node_(o.node_) { o.node_ = nullptr; }
  Interned& operator=(Interned&& o) noexcept {
    if (this != &o) {
      Release();
      node_ = o.node_;
      o.node_ = nullptr;
    }
    return *this;
  }
  ~Interned() { Release(); }

  std::string_view view() const { return node_ == nullptr ? std::string_view() : std::string_view(node_->text); }
  operator std::string_view() const { return view(); }  // NOLINT: reads like a string

 private:
  friend class InternPool;
  struct Node {
    std::string text;
    std::uint32_t refs = 0;
    InternPool* pool = nullptr;
  };
  explicit Interned(Node* n) : node_(n) { ++node_->refs; }
  inline void Release();
  Node* node_ = nullptr;
};

// The strings of one store. Not thread-safe: used by the store's writer thread only (see
// Interned); a string leaves the pool when its last Interned goes.
class InternPool {
 public:
  InternPool() = default;
  InternPool(const InternPool&) = delete;
  InternPool& operator=(const InternPool&) = delete;
  ~InternPool() {
    for (auto& [key, node] : nodes_) delete node;
  }

  Interned Intern(std::string_view s) {
    if (s.empty()) return Interned();
    auto it = nodes_.find(s);
    if (it != nodes_.end()) return Interned(it->second);
    auto* node = new Interned::Node{std::string(s), 0, this};
    nodes_.emplace(std::string_view(node->text), node);
    return Interned(node);
  }
  std::size_t size() const { return nodes_.size(); }

 private:
  friend class Interned;
  void Drop(Interned::Node* node) {
    nodes_.erase(std::string_view(node->text));
    delete node;
  }
  std::unordered_map<std::string_view, Interned::Node*> nodes_;
};

inline void Interned::Release() {
  if (node_ != nullptr && --node_->refs == 0) node_->pool->Drop(node_);
  node_ = nullptr;
}

}  // namespace kube9::collectors::ksm
