#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kube9::collectors {

// A quantity as an exact value: `milli` thousandths of a unit (CPU "100m" = 100, memory "1Ki" = 1'024'000).
// Summing in milli-units keeps CPU exact; memory values stay exact up to ~9.2e15 bytes (8 PiB).
struct Quantity {
  std::int64_t milli = 0;
};

// Parses a Kubernetes resource quantity (k8s.io/apimachinery/pkg/api/resource) into milli-units.
//
// Grammar (no spaces, nothing before or after):
//   quantity := sign? number suffix
//   sign     := '+' | '-'
//   number   := digits | digits '.' | digits '.' digits | '.' digits   (at least one digit; leading zeros are fine)
//   suffix   := ''                                   (x 1)
//             | 'n' | 'u' | 'm'                      (x 1e-9, 1e-6, 1e-3)
//             | 'k' | 'M' | 'G' | 'T' | 'P' | 'E'    (x 1e3 ... 1e18; lower-case 'k' only, "K" is invalid)
//             | 'Ki' | 'Mi' | 'Gi' | 'Ti' | 'Pi' | 'Ei'   (x 2^10 ... 2^60)
//             | ('e' | 'E') sign? digits             (x 10^exponent, e.g. "1e3", "12E-3")
// As in Kubernetes, a suffix that is exactly "E" is exa, while "E" followed by digits is an exponent.
//
// Rounding: the value is computed exactly; if it is not a whole number of milli-units, its magnitude is rounded UP
// to the next milli-unit, i.e. away from zero ("1n" = 1, "1500u" = 2, "-1n" = -1). This is what Kubernetes does:
// parsing rounds non-zero values away from zero (to nano) and MilliValue() rounds up again, so no requested amount
// ever becomes zero.
//
// Returns nullopt for malformed text and for values whose milli-units do not fit an int64 (Kubernetes would cap
// or silently overflow instead). Kubernetes quirks deliberately not copied: it accepts text without any digit
// ("." "-" "Mi" parse as 0) and truncates exponents to int32; here those are rejected / taken at face value.
std::optional<Quantity> ParseQuantity(std::string_view text);

// Adds milli-unit amounts, saturating at the int64 limits instead of overflowing (about
// 9.2e15 bytes: a sum that large is reported as the limit, never as a wrapped negative).
std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b);

double ToCores(Quantity q);  // milli / 1000.0
double ToBytes(Quantity q);  // milli / 1000.0 (bytes may be fractional only for odd inputs like "1m")

}  // namespace kube9::collectors
