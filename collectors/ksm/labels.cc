#include "collectors/ksm/labels.h"

#include <algorithm>
#include <map>

namespace kube9::collectors::ksm {

namespace {

bool Lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool Upper(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

std::string LabelNameOf(std::string_view key) {
  // Sanitize: one '_' per character (a UTF-8 sequence is one character) outside [a-zA-Z0-9_].
  std::string sanitized;
  sanitized.reserve(key.size());
  for (std::size_t i = 0; i < key.size();) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x80) {
      sanitized += (std::isalnum(c) != 0 || c == '_') ? static_cast<char>(c) : '_';
      ++i;
      continue;
    }
    // A multi-byte sequence (or an invalid byte, which Go's regexp also reads as one rune).
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    std::size_t n = 1;
    while (n < len && i + n < key.size() && (static_cast<unsigned char>(key[i + n]) & 0xC0) == 0x80) ++n;
    if (n != len) n = 1;
    sanitized += '_';
    i += n;
  }
  // snake_case: "([a-z0-9])([A-Z])" becomes "${1}_${2}" (leftmost, non-overlapping), then lower.
  std::string out;
  out.reserve(sanitized.size() + 4);
  for (std::size_t i = 0; i < sanitized.size(); ++i) {
    out += sanitized[i];
    if (Lower(sanitized[i]) && i + 1 < sanitized.size() && Upper(sanitized[i + 1])) {
      out += '_';
      out += sanitized[++i];
    }
  }
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return Upper(c) ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

std::vector<std::pair<std::string, std::string>> PrometheusLabels(std::string_view prefix,
                                                                  const rapidjson::Value* object,
                                                                  const std::vector<std::string>& allow) {
  std::map<std::string_view, std::string_view> chosen;  // sorted by Kubernetes key
  if (object != nullptr && object->IsObject() && !allow.empty()) {
    const bool all = allow.front() == "*";
    for (const auto& m : object->GetObject()) {
      if (!m.value.IsString()) continue;
      std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (all || std::find(allow.begin(), allow.end(), key) != allow.end()) {
        chosen[key] = std::string_view(m.value.GetString(), m.value.GetStringLength());
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(chosen.size());
  std::map<std::string, std::size_t, std::less<>> used;  // emitted name -> index in out
  std::map<std::string, int, std::less<>> conflicts;     // base name -> suffixes handed out
  auto next_free = [&](const std::string& base, int& count) {
    for (;;) {
      std::string candidate = base + "_conflict" + std::to_string(++count);
      if (!used.contains(candidate)) return candidate;
    }
  };
  for (const auto& [key, value] : chosen) {
    std::string base = std::string(prefix) + "_" + LabelNameOf(key);
    std::string name = base;
    if (auto c = conflicts.find(base); c != conflicts.end()) {
      name = next_free(base, c->second);
    } else if (auto u = used.find(name); u != used.end()) {
      // The first collision renames the entry already emitted to _conflict1.
      int count = 0;
      const std::size_t idx = u->second;
      used.erase(u);
      std::string renamed = next_free(base, count);
      out[idx].first = renamed;
      used[renamed] = idx;
      name = next_free(base, count);
      conflicts[base] = count;
    }
    used[name] = out.size();
    out.emplace_back(std::move(name), std::string(value));
  }
  return out;
}

}  // namespace kube9::collectors::ksm
