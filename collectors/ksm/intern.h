#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
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

  std::string_view view() const { return node_ == nullptr ? std::string_view() : node_->view(); }
  operator std::string_view() const { return view(); }  // NOLINT: reads like a string

 private:
  friend class InternPool;
  // One allocation: this header, then the text's bytes. A scrape reads every label value
  // through it, so the bytes come with the header's cache line instead of behind a second
  // pointer (a std::string's, for the many values past its 15 inline bytes: images, image and
  // container IDs), and a short value takes 32 bytes of heap instead of 64.
  struct Node {
    InternPool* pool;
    std::uint32_t refs;
    std::uint32_t size;
    std::string_view view() const { return {reinterpret_cast<const char*>(this + 1), size}; }
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
    for (auto& [key, node] : nodes_) Free(node);
  }

  Interned Intern(std::string_view s) {
    if (s.empty()) return Interned();
    auto it = nodes_.find(s);
    if (it != nodes_.end()) return Interned(it->second);
    // An object is at most a few MiB (etcd's request limit), so a value never comes near this.
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("interned string too long");
    void* memory = ::operator new(sizeof(Interned::Node) + s.size());
    auto* node = new (memory) Interned::Node{this, 0, static_cast<std::uint32_t>(s.size())};
    std::memcpy(node + 1, s.data(), s.size());
    nodes_.emplace(node->view(), node);
    return Interned(node);
  }
  std::size_t size() const { return nodes_.size(); }

 private:
  friend class Interned;
  void Drop(Interned::Node* node) {
    nodes_.erase(node->view());
    Free(node);
  }
  static void Free(Interned::Node* node) {
    node->~Node();
    ::operator delete(node);
  }
  std::unordered_map<std::string_view, Interned::Node*> nodes_;
};

inline void Interned::Release() {
  if (node_ != nullptr && --node_->refs == 0) node_->pool->Drop(node_);
  node_ = nullptr;
}

}  // namespace kube9::collectors::ksm
