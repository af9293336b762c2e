#include "base/bytes.h"

#include <fmt/format.h>

namespace kube9::base {

std::string FormatBytes(std::uint64_t bytes) {
  constexpr std::uint64_t kKi = 1 << 10, kMi = 1 << 20, kGi = 1 << 30;
  if (bytes >= kGi && bytes % kGi == 0) return fmt::format("{} GiB", bytes / kGi);
  if (bytes >= kMi && bytes % kMi == 0) return fmt::format("{} MiB", bytes / kMi);
  if (bytes >= kKi && bytes % kKi == 0) return fmt::format("{} KiB", bytes / kKi);
  return fmt::format("{} bytes", bytes);
}

}  // namespace kube9::base
