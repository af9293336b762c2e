#pragma once

#include <cstdint>
#include <string>

namespace kube9::base {

// A byte count for messages: "1 MiB", "64 KiB" when exact, else "1048577 bytes".
std::string FormatBytes(std::uint64_t bytes);

}  // namespace kube9::base
