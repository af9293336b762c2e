#include "collectors/credential_names.h"

#include <array>
#include <string>

namespace kube9::collectors {

bool LooksLikeCredentialName(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kWords = {"password", "passwd",     "secret",    "token",
                                                             "apikey",   "privatekey", "accesskey", "credential"};
  std::string folded;
  folded.reserve(name.size());
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') continue;
    folded.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  for (std::string_view w : kWords) {
    if (folded.find(w) != std::string::npos) return true;
  }
  return false;
}

}  // namespace kube9::collectors
