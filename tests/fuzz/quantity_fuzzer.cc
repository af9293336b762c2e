// Resource quantities ("100m", "1.5Gi", "1e3") as they appear in pod specs and node status. Besides
// not crashing: a sign mirrors the value, and the suffixes agree with the exponents they stand for.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/quantity.h"
#include "fuzz_check.h"

namespace {

using kube9::collectors::ParseQuantity;
using kube9::collectors::Quantity;

std::optional<std::int64_t> Milli(const std::string& text) {
  const auto q = ParseQuantity(text);
  return q ? std::optional<std::int64_t>(q->milli) : std::nullopt;
}

bool IsNumber(std::string_view s) {
  if (s.empty()) return false;
  bool digit = false;
  int dots = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c == '.') ++dots;
    else return false;
  }
  return digit && dots <= 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::optional<std::int64_t> value = Milli(text);

  if (!text.empty() && text[0] != '+' && text[0] != '-') {
    KUBE9_FUZZ_CHECK(Milli("+" + text) == value);
    const std::optional<std::int64_t> negative = Milli("-" + text);
    if (value) KUBE9_FUZZ_CHECK(negative == -*value);
    if (negative && *negative != std::numeric_limits<std::int64_t>::min()) KUBE9_FUZZ_CHECK(value == -*negative);
  }
  // A bare number: every SI suffix is the exponent it stands for, and the binary ones are exact.
  if (IsNumber(text)) {
    KUBE9_FUZZ_CHECK(Milli(text + "n") == Milli(text + "e-9"));
    KUBE9_FUZZ_CHECK(Milli(text + "u") == Milli(text + "e-6"));
    KUBE9_FUZZ_CHECK(Milli(text + "m") == Milli(text + "e-3"));
    KUBE9_FUZZ_CHECK(Milli(text + "k") == Milli(text + "e3"));
    KUBE9_FUZZ_CHECK(Milli(text + "M") == Milli(text + "E6"));
    KUBE9_FUZZ_CHECK(Milli(text + "G") == Milli(text + "e9"));
    const std::optional<std::int64_t> ki = Milli(text + "Ki");
    if (ki && value) KUBE9_FUZZ_CHECK(*ki >= *value);
    if (value && *value <= std::numeric_limits<std::int64_t>::max() / 1024 && text.find('.') == std::string::npos) {
      KUBE9_FUZZ_CHECK(ki == *value * 1024);
    }
  }
  return 0;
}
