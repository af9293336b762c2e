#include "collectors/quantity.h"

#include <cstdint>

#include <cstddef>
#include <limits>
#include <string>

namespace kube9::collectors {
namespace {

constexpr std::uint64_t kMaxPositiveMagnitude = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr std::uint64_t kMaxNegativeMagnitude = kMaxPositiveMagnitude + 1;  // |INT64_MIN|

// Exponents are clamped to this magnitude before any arithmetic on them. For any text shorter than 2^38 bytes a
// clamped exponent gives the same result as the real one: a non-zero value times 10^(2^40) overflows either way,
// and a non-zero value times 10^-(2^40) is below one milli-unit either way (so it rounds up to 1).
constexpr std::int64_t kExponentClamp = std::int64_t{1} << 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// What a suffix multiplies the number by: 10^decimal_exponent * 2^binary_exponent.
struct Multiplier {
  std::int64_t decimal_exponent = 0;
  int binary_exponent = 0;
};

// The exponent after 'e'/'E': an optional sign and at least one decimal digit, nothing else. Like Go's
// strconv.ParseInt (which Kubernetes uses here), a value outside int64 is an error.
std::optional<std::int64_t> ParseExponent(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    if (__builtin_mul_overflow(magnitude, std::uint64_t{10}, &magnitude) ||
        __builtin_add_overflow(magnitude, static_cast<std::uint64_t>(c - '0'), &magnitude)) {
      return std::nullopt;
    }
  }
  if (magnitude > (negative ? kMaxNegativeMagnitude : kMaxPositiveMagnitude)) return std::nullopt;
  const auto clamped = static_cast<std::int64_t>(
      magnitude > static_cast<std::uint64_t>(kExponentClamp) ? static_cast<std::uint64_t>(kExponentClamp)
                                                               : magnitude);
  return negative ? -clamped : clamped;
}

// Kubernetes looks the whole suffix up in its decimal and binary tables first, and only then treats "e<int>" or
// "E<int>" as an exponent; so "E" alone is exa while "E3" is 10^3.
std::optional<Multiplier> InterpretSuffix(std::string_view s) {
  if (s.empty()) return Multiplier{0, 0};
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n': return Multiplier{-9, 0};
      case 'u': return Multiplier{-6, 0};
      case 'm': return Multiplier{-3, 0};
      case 'k': return Multiplier{3, 0};
      case 'M': return Multiplier{6, 0};
      case 'G': return Multiplier{9, 0};
      case 'T': return Multiplier{12, 0};
      case 'P': return Multiplier{15, 0};
      case 'E': return Multiplier{18, 0};
      default: return std::nullopt;
    }
  }
  if (s.size() == 2 && s[1] == 'i') {
    switch (s[0]) {
      case 'K': return Multiplier{0, 10};
      case 'M': return Multiplier{0, 20};
      case 'G': return Multiplier{0, 30};
      case 'T': return Multiplier{0, 40};
      case 'P': return Multiplier{0, 50};
      case 'E': return Multiplier{0, 60};
      default: break;  // e.g. "ei": not binary; the exponent rule below rejects it
    }
  }
  if (s[0] == 'e' || s[0] == 'E') {
    const std::optional<std::int64_t> exponent = ParseExponent(s.substr(1));
    if (!exponent) return std::nullopt;
    return Multiplier{*exponent, 0};
  }
  return std::nullopt;
}

// digits (most significant first, '0'..'9') *= 2^power, exactly.
void MultiplyByPowerOfTwo(std::string& digits, int power) {
  while (power > 0) {
    const int step = power < 30 ? power : 30;
    const std::uint64_t factor = std::uint64_t{1} << step;
    std::uint64_t carry = 0;  // stays below 2^30, so digit * factor + carry cannot overflow
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      const std::uint64_t v = static_cast<std::uint64_t>(*it - '0') * factor + carry;
      *it = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    std::string head;
    for (; carry > 0; carry /= 10) head.insert(head.begin(), static_cast<char>('0' + carry % 10));
    digits.insert(0, head);
    power -= step;
  }
}

// The decimal digits as an unsigned integer, or nullopt if it does not fit 64 bits.
std::optional<std::uint64_t> DigitsToUint64(std::string_view digits) {
  std::uint64_t value = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(value, std::uint64_t{10}, &value) ||
        __builtin_add_overflow(value, static_cast<std::uint64_t>(c - '0'), &value)) {
      return std::nullopt;
    }
  }
  return value;
}

}  // namespace

std::optional<Quantity> ParseQuantity(std::string_view text) {
  std::size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  const std::size_t int_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const std::string_view int_digits = text.substr(int_begin, pos - int_begin);
  std::string_view frac_digits;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    frac_digits = text.substr(frac_begin, pos - frac_begin);
  }
  if (int_digits.empty() && frac_digits.empty()) return std::nullopt;  // "", "-", ".", "Mi"

  const std::optional<Multiplier> multiplier = InterpretSuffix(text.substr(pos));
  if (!multiplier) return std::nullopt;

  // value = 0.<...> as the integer `digits` * 10^-frac_len; keep only its significant digits.
  std::string digits;
  digits.reserve(int_digits.size() + frac_digits.size());
  digits.append(int_digits);
  digits.append(frac_digits);
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Quantity{0};  // any zero, whatever its sign or suffix
  digits.erase(0, first);
  const std::size_t last = digits.find_last_not_of('0');
  const std::size_t trailing_zeros = digits.size() - 1 - last;
  digits.resize(last + 1);

  // milli = digits * 2^binary_exponent * 10^exponent, with the extra 10^3 for milli-units.
  const std::int64_t exponent = multiplier->decimal_exponent + 3 + static_cast<std::int64_t>(trailing_zeros) -
                                static_cast<std::int64_t>(frac_digits.size());
  MultiplyByPowerOfTwo(digits, multiplier->binary_exponent);

  std::uint64_t magnitude = 0;
  if (exponent >= 0) {
    const std::optional<std::uint64_t> mantissa = DigitsToUint64(digits);
    if (!mantissa) return std::nullopt;
    magnitude = *mantissa;
    // magnitude >= 1, so this loop overflows (and returns) within 64 rounds whatever the exponent.
    for (std::int64_t i = 0; i < exponent; ++i) {
      if (__builtin_mul_overflow(magnitude, std::uint64_t{10}, &magnitude)) return std::nullopt;
    }
  } else {
    // Divide by 10^-exponent, rounding a non-zero remainder up (away from zero once the sign is applied).
    const auto shift = static_cast<std::uint64_t>(-exponent);
    if (shift >= digits.size()) {
      magnitude = 1;  // 0 < value < 1 milli-unit
    } else {
      const std::size_t whole_len = digits.size() - static_cast<std::size_t>(shift);
      const std::optional<std::uint64_t> whole = DigitsToUint64(std::string_view(digits).substr(0, whole_len));
      if (!whole) return std::nullopt;
      magnitude = *whole;
      const bool has_remainder = digits.find_first_not_of('0', whole_len) != std::string::npos;
      if (has_remainder && __builtin_add_overflow(magnitude, std::uint64_t{1}, &magnitude)) return std::nullopt;
    }
  }

  if (negative) {
    if (magnitude > kMaxNegativeMagnitude) return std::nullopt;
    if (magnitude == kMaxNegativeMagnitude) return Quantity{std::numeric_limits<std::int64_t>::min()};
    return Quantity{-static_cast<std::int64_t>(magnitude)};
  }
  if (magnitude > kMaxPositiveMagnitude) return std::nullopt;
  return Quantity{static_cast<std::int64_t>(magnitude)};
}

double ToCores(Quantity q) { return static_cast<double>(q.milli) / 1000.0; }

double ToBytes(Quantity q) { return static_cast<double>(q.milli) / 1000.0; }

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

}  // namespace kube9::collectors
