#include "http/transport.h"

#include "http/header_text.h"

namespace kube9::http {
void Headers::Add(std::string_view name, std::string_view value) {
  entries_.emplace_back(Lower(name), std::string(value));
}

std::string_view Headers::Get(std::string_view name) const {
  const std::string key = Lower(name);
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return {};
}

}  // namespace kube9::http
