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

ObjectKey KeyOf(const rapidjson::Value& object) { return KeyOfUid(ObjectUid(object)); }

ObjectKey KeyOfUid(std::string_view uid) {
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

int ShardOf(std::string_view uid, int total) {
  std::uint64_t key = 14695981039346656037ull;  // FNV-1a, 64 bits
  for (unsigned char c : uid) {
    key ^= c;
    key *= 1099511628211ull;
  }
  std::int64_t b = -1, j = 0;
  while (j < total) {
    b = j;
    key = key * 2862933555777941757ull + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(std::int64_t{1} << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<int>(b);
}

}  // namespace kube9::collectors
