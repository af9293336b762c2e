#include "collectors/quantity.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace kube9::collectors {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();  //  9'223'372'036'854'775'807
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();  // -9'223'372'036'854'775'808

std::string Repeat(char c, std::size_t n) { return std::string(n, c); }

// ---------------------------------------------------------------------------------------------------------------
// Accepted inputs: (text, exact milli-units).

struct Valid {
  std::string text;
  std::int64_t milli;
};

void PrintTo(const Valid& v, std::ostream* os) {
  *os << '"' << (v.text.size() > 60 ? v.text.substr(0, 60) + "..." : v.text) << "\" -> " << v.milli;
}

class ParseQuantityValidTest : public testing::TestWithParam<Valid> {};

TEST_P(ParseQuantityValidTest, ParsesToExactMilliUnits) {
  const Valid& c = GetParam();
  const std::optional<Quantity> q = ParseQuantity(c.text);
  ASSERT_TRUE(q.has_value()) << c.text;
  EXPECT_EQ(q->milli, c.milli) << c.text;
}

INSTANTIATE_TEST_SUITE_P(DecimalSuffixes, ParseQuantityValidTest, testing::Values(
    Valid{"0", 0},
    Valid{"1", 1'000},
    Valid{"1n", 1},          // 1e-9 rounds up to one milli-unit
    Valid{"1u", 1},          // 1e-6 rounds up to one milli-unit
    Valid{"1m", 1},
    Valid{"1k", 1'000'000},
    Valid{"1M", 1'000'000'000},
    Valid{"1G", 1'000'000'000'000},
    Valid{"1T", 1'000'000'000'000'000},
    Valid{"1P", 1'000'000'000'000'000'000},
    Valid{"0E", 0},                                // "E" alone is exa ...
    Valid{"0.001E", 1'000'000'000'000'000'000},    // ... 1e15 units
    Valid{"0.009E", 9'000'000'000'000'000'000},
    Valid{"100m", 100},
    Valid{"250m", 250},
    Valid{"1000m", 1'000},
    Valid{"1500m", 1'500},
    Valid{"7k", 7'000'000},
    Valid{"128M", 128'000'000'000},
    Valid{"2G", 2'000'000'000'000},
    Valid{"3T", 3'000'000'000'000'000},
    Valid{"9P", 9'000'000'000'000'000'000}));

INSTANTIATE_TEST_SUITE_P(BinarySuffixes, ParseQuantityValidTest, testing::Values(
    Valid{"1Ki", 1'024'000},
    Valid{"1Mi", 1'048'576'000},
    Valid{"1Gi", 1'073'741'824'000},
    Valid{"1Ti", 1'099'511'627'776'000},
    Valid{"1Pi", 1'125'899'906'842'624'000},
    Valid{"0Ei", 0},
    Valid{"0.001Ei", 1'152'921'504'606'846'976},    // 2^60 / 1000 bytes = 2^60 milli-bytes
    Valid{"0.0078125Ei", 9'007'199'254'740'992'000},  // 2^53 bytes
    Valid{"256Mi", 268'435'456'000},
    Valid{"8Pi", 9'007'199'254'740'992'000}));     // 2^53 bytes, the largest whole Pi that fits

INSTANTIATE_TEST_SUITE_P(Fractions, ParseQuantityValidTest, testing::Values(
    Valid{"0.1", 100},
    Valid{"0.5", 500},
    Valid{"12.345", 12'345},
    Valid{"1.5k", 1'500'000},
    Valid{"2.5M", 2'500'000'000},
    Valid{"0.5G", 500'000'000'000},
    Valid{"1.25T", 1'250'000'000'000'000},
    Valid{"3.5P", 3'500'000'000'000'000'000},
    Valid{"9.2P", 9'200'000'000'000'000'000},
    Valid{"0.0005E", 500'000'000'000'000'000},
    Valid{"1.5m", 2},        // 1.5 milli-units round up
    Valid{"0.5m", 1},
    Valid{"1.5u", 1},
    Valid{"1.5n", 1},
    Valid{"0.5Ki", 512'000},
    Valid{"1.5Ki", 1'536'000},
    Valid{"0.1Ki", 102'400},
    Valid{"0.0001Ki", 103},  // 102.4 milli-bytes round up
    Valid{"0.0009765625Ki", 1'000},  // exactly one byte: the binary factor cancels the decimal fraction
    Valid{"2.5Mi", 2'621'440'000},
    Valid{"1.5Gi", 1'610'612'736'000},
    Valid{"1.5Ti", 1'649'267'441'664'000},
    Valid{"0.5Pi", 562'949'953'421'312'000},
    Valid{"8.1Pi", 9'119'789'245'425'254'400}));

INSTANTIATE_TEST_SUITE_P(Rounding, ParseQuantityValidTest, testing::Values(
    Valid{"1500u", 2},          // 1.5m -> 2m
    Valid{"1000u", 1},          // exact, no rounding
    Valid{"1001u", 2},
    Valid{"999u", 1},
    Valid{"999999n", 1},
    Valid{"1000000n", 1},       // exact
    Valid{"1000001n", 2},
    Valid{"2000000n", 2},
    Valid{"12.3451", 12'346},   // 12345.1m -> 12346m (up, not to nearest)
    Valid{"12.3459", 12'346},
    Valid{"-1n", -1},           // negative values round away from zero
    Valid{"-1500u", -2},
    Valid{"-0.0001Ki", -103},
    Valid{"-1.5m", -2}));

INSTANTIATE_TEST_SUITE_P(Exponents, ParseQuantityValidTest, testing::Values(
    Valid{"1e3", 1'000'000},
    Valid{"1E3", 1'000'000},    // "E" followed by digits is an exponent, not exa
    Valid{"1e+3", 1'000'000},
    Valid{"1E+3", 1'000'000},
    Valid{"1e03", 1'000'000},
    Valid{"1e0", 1'000},
    Valid{"1E0", 1'000},
    Valid{"1e-0", 1'000},
    Valid{"1e+0", 1'000},
    Valid{"12E-3", 12},
    Valid{"1e-3", 1},
    Valid{"1e-4", 1},           // 0.1m rounds up
    Valid{"5e-4", 1},
    Valid{"15e-4", 2},
    Valid{"1.5e3", 1'500'000},
    Valid{".5e1", 5'000},
    Valid{"5.e-1", 500},
    Valid{"-2e2", -200'000},
    Valid{"1e15", 1'000'000'000'000'000'000},
    Valid{"9e15", 9'000'000'000'000'000'000},
    Valid{"1e-1000", 1},
    Valid{"-1e-1000", -1},
    Valid{"0e99999", 0},
    Valid{"0e9223372036854775807", 0},
    Valid{"0e-9223372036854775808", 0},
    // Exact, unlike Kubernetes, which truncates the exponent to int32 (-2^63 -> 0) and so reads this as 1.
    Valid{"1e-9223372036854775808", 1},
    Valid{"1e-9223372036854775807", 1}));

INSTANTIATE_TEST_SUITE_P(SignsAndForms, ParseQuantityValidTest, testing::Values(
    Valid{"-1", -1'000},
    Valid{"+1", 1'000},
    Valid{"-100m", -100},
    Valid{"+250m", 250},
    Valid{"+1Ki", 1'024'000},
    Valid{"-1.5Gi", -1'610'612'736'000},
    Valid{"-0", 0},
    Valid{"+0", 0},
    Valid{"-0.0", 0},
    Valid{"0.000", 0},
    Valid{"000m", 0},
    Valid{"0Mi", 0},
    Valid{"007", 7'000},
    Valid{"00.5", 500},
    Valid{".5", 500},
    Valid{"5.", 5'000},
    Valid{"-.5", -500},
    Valid{"+5.", 5'000},
    Valid{"1.G", 1'000'000'000'000},
    Valid{"5.Gi", 5'368'709'120'000},
    Valid{".5Mi", 524'288'000},
    Valid{"0100m", 100}));

INSTANTIATE_TEST_SUITE_P(Int64Boundary, ParseQuantityValidTest, testing::Values(
    Valid{"9223372036854775807m", kMax},
    Valid{"-9223372036854775808m", kMin},
    Valid{"9223372036854775.807", kMax},
    Valid{"9223372036854775.8069", kMax},        // rounds up onto the limit
    Valid{"-9223372036854775.808", kMin},
    Valid{"-9223372036854775.8079", kMin},       // rounds away from zero onto the limit
    Valid{"9223372036854775807000u", kMax},
    Valid{"9223372036854775807000000n", kMax},
    Valid{"9223372036854.775807k", kMax},
    Valid{"9.223372036854775807P", kMax},
    Valid{"0.009223372036854775807E", kMax},
    Valid{"9223372036854775807e-3", kMax},
    Valid{"000000000000009223372036854775807m", kMax}));

INSTANTIATE_TEST_SUITE_P(LongDigitStrings, ParseQuantityValidTest, testing::Values(
    Valid{Repeat('0', 1000) + "1", 1'000},
    Valid{"0." + Repeat('0', 1000) + "1", 1},                // tiny but non-zero: never rounds to 0
    Valid{"1." + Repeat('0', 1000), 1'000},
    Valid{"1." + Repeat('0', 1000) + "1", 1'001},
    Valid{"1" + Repeat('0', 24) + "n", 1'000'000'000'000'000'000},
    Valid{"1" + Repeat('0', 100) + "e-100", 1'000},
    Valid{"1" + Repeat('0', 1000) + "e-997", 1'000'000},
    Valid{"0." + Repeat('0', 1000) + "1e1004", 1'000'000},
    Valid{Repeat('0', 5000), 0},
    Valid{"-" + Repeat('0', 50) + "." + Repeat('0', 50) + "Ei", 0}));

// ---------------------------------------------------------------------------------------------------------------
// Rejected inputs.

struct Invalid {
  std::string text;
  const char* why;
};

void PrintTo(const Invalid& v, std::ostream* os) {
  *os << '"' << (v.text.size() > 60 ? v.text.substr(0, 60) + "..." : v.text) << "\" (" << v.why << ")";
}

class ParseQuantityInvalidTest : public testing::TestWithParam<Invalid> {};

TEST_P(ParseQuantityInvalidTest, IsRejected) {
  const Invalid& c = GetParam();
  const std::optional<Quantity> q = ParseQuantity(c.text);
  EXPECT_FALSE(q.has_value()) << c.text << " (" << c.why << ") parsed as " << q->milli;
}

INSTANTIATE_TEST_SUITE_P(Malformed, ParseQuantityInvalidTest, testing::Values(
    Invalid{"", "empty"},
    Invalid{".", "no digits"},
    Invalid{"-", "no digits"},
    Invalid{"+", "no digits"},
    Invalid{"-.", "no digits"},
    Invalid{"Mi", "no digits"},
    Invalid{"m", "no digits"},
    Invalid{"E", "no digits"},
    Invalid{"e3", "no digits"},
    Invalid{".Ki", "no digits"},
    Invalid{"1.2.3", "two decimal points"},
    Invalid{"1..5", "two decimal points"},
    Invalid{"1.1.M", "two decimal points"},
    Invalid{"+-1", "two signs"},
    Invalid{"-+1", "two signs"},
    Invalid{"--1", "two signs"},
    Invalid{"++1", "two signs"},
    Invalid{"1+1.0M", "sign inside the number"},
    Invalid{"1-", "trailing sign"},
    Invalid{"1 Mi", "space"},
    Invalid{" 1", "leading space"},
    Invalid{"1 ", "trailing space"},
    Invalid{"1Ki ", "trailing space"},
    Invalid{"1\t", "trailing tab"},
    Invalid{std::string("1\0", 2), "embedded NUL"},
    Invalid{"0x10", "hex"},
    Invalid{"1,5", "comma"},
    Invalid{"1_000", "digit separator"},
    Invalid{"1/2", "fraction"},
    Invalid{"Inf", "not a number"},
    Invalid{"NaN", "not a number"},
    Invalid{"\xef\xbc\x91", "full-width digit one"},
    Invalid{"\xe2\x88\x92" "1", "unicode minus sign"}));

INSTANTIATE_TEST_SUITE_P(BadSuffixes, ParseQuantityInvalidTest, testing::Values(
    Invalid{"1Kii", "unknown suffix"},
    Invalid{"1KB", "unknown suffix"},
    Invalid{"1KiB", "unknown suffix"},
    Invalid{"1i", "unknown suffix"},
    Invalid{".5i", "unknown suffix"},
    Invalid{"-3.01i", "unknown suffix"},
    Invalid{"1K", "upper-case K alone is not a suffix"},
    Invalid{"1ki", "binary kilo is Ki"},
    Invalid{"1KI", "binary kilo is Ki"},
    Invalid{"1mi", "wrong case"},
    Invalid{"0.1mi", "wrong case"},
    Invalid{"1MI", "wrong case"},
    Invalid{"1g", "wrong case"},
    Invalid{"1t", "wrong case"},
    Invalid{"1p", "wrong case"},
    Invalid{"1ei", "wrong case"},
    Invalid{"1N", "wrong case"},
    Invalid{"1U", "wrong case"},
    Invalid{"1Zi", "unknown suffix"},
    Invalid{"1Z", "unknown suffix"},
    Invalid{"0.1am", "unknown suffix"},
    Invalid{"1mm", "doubled suffix"},
    Invalid{"1kk", "doubled suffix"},
    Invalid{"1Mim", "two suffixes"},
    Invalid{"1m3", "digits after a suffix"},
    Invalid{"1Ki3", "digits after a suffix"},
    Invalid{"1ne3", "suffix and exponent"},
    Invalid{"1e12n", "exponent and suffix"},
    Invalid{"1e-12P", "exponent and suffix"},
    Invalid{"1\xc2\xb5", "micro sign"}));

INSTANTIATE_TEST_SUITE_P(BadExponents, ParseQuantityInvalidTest, testing::Values(
    Invalid{"1e", "exponent without digits"},
    Invalid{"1e+", "exponent without digits"},
    Invalid{"1e-", "exponent without digits"},
    Invalid{"-3.01e-", "exponent without digits"},
    Invalid{"1E+", "exponent without digits"},
    Invalid{"1ee3", "doubled e"},
    Invalid{"1eE3", "doubled e"},
    Invalid{"1e+-3", "two exponent signs"},
    Invalid{"1e3.5", "fractional exponent"},
    Invalid{"1e1.5", "fractional exponent"},
    Invalid{"1e.5", "fractional exponent"},
    Invalid{"1e3k", "exponent and suffix"},
    Invalid{"1E3Ki", "exponent and suffix"},
    Invalid{"1e3i", "exponent and suffix"},
    Invalid{"1e1e1", "two exponents"},
    Invalid{"0e9223372036854775808", "exponent outside int64"},
    Invalid{"0e-9223372036854775809", "exponent outside int64"},
    Invalid{"1e18446744073709551616", "exponent outside int64"},
    Invalid{"0e99999999999999999999", "exponent outside int64"}));

INSTANTIATE_TEST_SUITE_P(Overflow, ParseQuantityInvalidTest, testing::Values(
    Invalid{"9223372036854775808m", "one above INT64_MAX"},
    Invalid{"-9223372036854775809m", "one below INT64_MIN"},
    Invalid{"9223372036854775.808", "one above INT64_MAX"},
    Invalid{"9223372036854775.8071", "rounds up past INT64_MAX"},
    Invalid{"-9223372036854775.8081", "rounds away from zero past INT64_MIN"},
    Invalid{"9223372036854775807001u", "rounds up past INT64_MAX"},
    Invalid{"9223372036854775807000001n", "rounds up past INT64_MAX"},
    Invalid{"9223372036854776", "whole units past the limit"},
    Invalid{"18446744073709551616", "2^64 units"},
    Invalid{"99999999999999999999999", "many digits"},
    Invalid{"1E", "exa: 1e21 milli"},
    Invalid{"-1E", "exa: -1e21 milli"},
    Invalid{"0.0093E", "past the limit"},
    Invalid{"9.3P", "past the limit"},
    Invalid{"1Ei", "2^60 bytes"},
    Invalid{"8Ei", "Kubernetes caps this at 2^63-1 bytes"},
    Invalid{"8.2Pi", "past the limit"},
    Invalid{"9.3e15", "past the limit"},
    Invalid{"1e16", "past the limit"},
    Invalid{"1e9223372036854775807", "huge exponent"},
    Invalid{"1" + Repeat('0', 100), "100 zeros"},
    Invalid{"1" + Repeat('0', 30) + "n", "1e21 units"},
    Invalid{Repeat('9', 1'000'000), "a million digits"},
    Invalid{Repeat('9', 1'000'000) + "Ei", "a million digits, binary"},
    Invalid{"0." + Repeat('9', 1'000'000) + "Ei", "rounds to 2^60 bytes"}));

// ---------------------------------------------------------------------------------------------------------------

TEST(ParseQuantityTest, EquivalentSpellingsAgree) {
  const auto milli = [](std::string_view text) -> std::int64_t {
    const std::optional<Quantity> q = ParseQuantity(text);
    EXPECT_TRUE(q.has_value()) << text;
    return q ? q->milli : -1;
  };
  for (const char* text : {"1000", "1k", "1e3", "1E3", "1e+3", "1000000m", "0.001M", "1000000000u",
                           "1000000000000n", "0.000001G", "0.000000001T", "0.000000000001P", "0.000000000000001E",
                           "+1000.000", "10000e-1"}) {
    EXPECT_EQ(milli(text), 1'000'000) << text;
  }
  EXPECT_EQ(milli("1Ki"), milli("1024"));
  EXPECT_EQ(milli("1Mi"), milli("1024Ki"));
  EXPECT_EQ(milli("1Gi"), milli("1024Mi"));
  EXPECT_EQ(milli("1Ti"), milli("1024Gi"));
  EXPECT_EQ(milli("1Pi"), milli("1024Ti"));
  EXPECT_EQ(milli("0.001Ei"), milli("1.024Pi"));
  EXPECT_EQ(milli("1.5Gi"), milli("1536Mi"));
}

// Every whole milli-unit written as "<n>m" and as "<n/1000>.<n%1000>" parses back to n.
TEST(ParseQuantityTest, MilliRoundTrip) {
  for (std::int64_t n = 0; n <= 5000; ++n) {
    const std::string frac = std::to_string(1000 + n % 1000).substr(1);  // three digits with leading zeros
    const std::string decimal = std::to_string(n / 1000) + "." + frac;
    const std::optional<Quantity> a = ParseQuantity(std::to_string(n) + "m");
    const std::optional<Quantity> b = ParseQuantity(decimal);
    const std::optional<Quantity> c = ParseQuantity("-" + decimal);
    ASSERT_TRUE(a && b && c) << n;
    EXPECT_EQ(a->milli, n);
    EXPECT_EQ(b->milli, n) << decimal;
    EXPECT_EQ(c->milli, -n) << decimal;
  }
}

// Sub-milli values: ceil for positive values, away from zero for negative ones, never rounded to zero.
TEST(ParseQuantityTest, RoundsSubMilliMagnitudeUp) {
  for (std::int64_t nano = 1; nano <= 3'000'000; nano += 999) {
    const std::int64_t expected = (nano + 999'999) / 1'000'000;
    const std::optional<Quantity> pos = ParseQuantity(std::to_string(nano) + "n");
    const std::optional<Quantity> neg = ParseQuantity("-" + std::to_string(nano) + "n");
    ASSERT_TRUE(pos && neg) << nano;
    EXPECT_EQ(pos->milli, expected) << nano << "n";
    EXPECT_EQ(neg->milli, -expected) << "-" << nano << "n";
  }
}

TEST(ParseQuantityTest, SummingManyHundredMilliCoresIsExact) {
  const std::optional<Quantity> q = ParseQuantity("100m");
  ASSERT_TRUE(q.has_value());
  Quantity total;
  for (int i = 0; i < 10'000; ++i) total.milli += q->milli;
  EXPECT_EQ(total.milli, 1'000'000);
  EXPECT_EQ(ToCores(total), 1000.0);  // exact, not 999.9999999...

  Quantity memory;
  const std::optional<Quantity> mi = ParseQuantity("1.5Gi");
  ASSERT_TRUE(mi.has_value());
  for (int i = 0; i < 1'000; ++i) memory.milli += mi->milli;
  EXPECT_EQ(memory.milli, 1'610'612'736'000'000);
  EXPECT_EQ(ToBytes(memory), 1'610'612'736'000.0);
}

TEST(ParseQuantityTest, Conversions) {
  EXPECT_EQ(ToCores(Quantity{250}), 0.25);
  EXPECT_EQ(ToCores(Quantity{-1'500}), -1.5);
  EXPECT_EQ(ToCores(Quantity{0}), 0.0);
  EXPECT_EQ(ToCores(*ParseQuantity("2")), 2.0);
  EXPECT_EQ(ToBytes(*ParseQuantity("1Gi")), 1'073'741'824.0);
  EXPECT_EQ(ToBytes(*ParseQuantity("8Pi")), 9'007'199'254'740'992.0);
  EXPECT_EQ(ToBytes(*ParseQuantity("1m")), 0.001);
  EXPECT_EQ(ToBytes(*ParseQuantity("0.0001Ki")), 0.103);
}

}  // namespace
}  // namespace kube9::collectors
