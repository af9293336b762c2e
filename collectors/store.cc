#include "collectors/store.h"

#include <functional>

namespace kube9::collectors {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// FNV-1a with a given offset basis, for the fallback key.
std::uint64_t Fnv(std::string_view s, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

ObjectKey KeyOf(const rapidjson::Value& object) {
  const std::string uid = ObjectUid(object);
  ObjectKey key;
  int digits = 0;
  for (char c : uid) {
    if (c == '-') continue;
    const int v = HexValue(c);
    if (v < 0 || digits >= 32) {
      digits = -1;
      break;
    }
    (digits < 16 ? key.hi : key.lo) = ((digits < 16 ? key.hi : key.lo) << 4) | static_cast<std::uint64_t>(v);
    ++digits;
  }
  if (digits == 32) return key;
  return ObjectKey{Fnv(uid, 0xcbf29ce484222325ull), Fnv(uid, 0x84222325cbf29ce4ull)};
}

}  // namespace kube9::collectors
