#include "http/transport.h"

#include <algorithm>

namespace kube9::http {
namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

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
