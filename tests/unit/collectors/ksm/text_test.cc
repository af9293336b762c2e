#include "collectors/ksm/text.h"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>

namespace kube9::collectors::ksm {
namespace {

std::string Go(double v) {
  std::string s;
  AppendGoFloat(s, v);
  return s;
}

// Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints, which is what
// kube-state-metrics writes.
TEST(GoFloatTest, FormatsLikeGoShortestG) {
  EXPECT_EQ(Go(0), "0");
  EXPECT_EQ(Go(1), "1");
  EXPECT_EQ(Go(-1), "-1");
  EXPECT_EQ(Go(3), "3");
  EXPECT_EQ(Go(0.5), "0.5");
  EXPECT_EQ(Go(0.1), "0.1");
  EXPECT_EQ(Go(0.0001), "0.0001");
  EXPECT_EQ(Go(0.00001), "1e-05");
  EXPECT_EQ(Go(100000), "100000");
  EXPECT_EQ(Go(999999), "999999");
  EXPECT_EQ(Go(1e6), "1e+06");
  EXPECT_EQ(Go(1234567), "1.234567e+06");
  EXPECT_EQ(Go(1764931200), "1.7649312e+09");
  EXPECT_EQ(Go(8589934592), "8.589934592e+09");
  EXPECT_EQ(Go(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(Go(1e21), "1e+21");
  EXPECT_EQ(Go(1.5e300), "1.5e+300");
  EXPECT_EQ(Go(0.25), "0.25");
  EXPECT_EQ(Go(123.456), "123.456");
  // Whole numbers take a path of their own: the same text.
  EXPECT_EQ(Go(-1234567), "-1.234567e+06");
  EXPECT_EQ(Go(-999999), "-999999");
  EXPECT_EQ(Go(1e15), "1e+15");
  EXPECT_EQ(Go(123456789012), "1.23456789012e+11");
  EXPECT_EQ(Go(9007199254740991), "9.007199254740991e+15");  // 2^53 - 1
  EXPECT_EQ(Go(9007199254740992), "9.007199254740992e+15");  // 2^53: the general path
  EXPECT_EQ(Go(-62135596800), "-6.21355968e+10");             // Go's zero time
  EXPECT_EQ(Go(1e22), "1e+22");
  EXPECT_EQ(Go(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Go(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Go(-std::numeric_limits<double>::infinity()), "-Inf");
}

// The check reads eight bytes at a time and then the tail: each escaped byte is found at every
// position of values of every length up to a few words, and bytes that merely resemble it
// (UTF-8, the neighbours of '"' and '\\') are not.
TEST(TextWriterTest, NeedsEscapingFindsEachByteAtEveryPosition) {
  for (std::size_t length = 0; length <= 40; ++length) {
    const std::string plain(length, 'a');
    EXPECT_FALSE(NeedsEscaping(plain)) << length;
    EXPECT_FALSE(NeedsEscaping(std::string(length, '\xc3'))) << length;  // high bytes
    EXPECT_FALSE(NeedsEscaping(std::string(length, '!'))) << length;     // '"' - 1
    EXPECT_FALSE(NeedsEscaping(std::string(length, ']'))) << length;     // '\\' + 1
    for (std::size_t at = 0; at < length; ++at) {
      for (char c : {'\\', '\n', '"'}) {
        std::string v = plain;
        v[at] = c;
        EXPECT_TRUE(NeedsEscaping(v)) << length << " " << at << " " << static_cast<int>(c);
      }
    }
  }
}

// The writer's inline copy takes a different path for each size class (1-3, 4-7, 8-16, up to
// 128 in overlapping 16-byte moves, then memcpy): every length copies its bytes exactly, from
// and to any alignment, and writes nothing outside its range. The source is its own heap block
// of exactly `length` bytes, so under AddressSanitizer a read past either end fails too.
TEST(TextWriterTest, CopyTextCopiesEveryLengthExactly) {
  for (std::size_t length = 0; length <= 300; ++length) {
    auto from = std::make_unique<char[]>(length);
    for (std::size_t i = 0; i < length; ++i) from[i] = static_cast<char>('A' + (i * 7 + length) % 26);
    for (std::size_t offset = 0; offset < 3; ++offset) {
      std::string to(length + 8, '#');
      char* end = CopyText(to.data() + offset, from.get(), length);
      ASSERT_EQ(end, to.data() + offset + length) << length;
      EXPECT_EQ(to.substr(0, offset), std::string(offset, '#')) << length << " " << offset;
      EXPECT_EQ(to.substr(offset, length), std::string(from.get(), length)) << length << " " << offset;
      EXPECT_EQ(to.substr(offset + length), std::string(8 - offset, '#')) << length << " " << offset;
    }
  }
  EXPECT_EQ(CopyText(nullptr, nullptr, 0), nullptr);  // an empty view's data() may be null
}

TEST(TextWriterTest, WritesHeadersSeriesAndEscapes) {
  std::string out;
  {
    TextWriter w([&](std::string_view s) { out += s; });
    w.Header("kube_x", "Help with \\ and\nnewline", true, "gauge");
    w.Begin("kube_x").Label("a", "q\"\\\n").Label("b", "").Value(1);
    w.Begin("kube_y").Value(2);
  }
  EXPECT_EQ(out,
            "# HELP kube_x [STABLE] Help with \\\\ and\\nnewline\n# TYPE kube_x gauge\n"
            "kube_x{a=\"q\\\"\\\\\\n\",b=\"\"} 1\nkube_y 2\n");
}

// Value writes 0 and 1 itself and leaves the rest to WriteGoFloat: the same text either way,
// -0 included (Go prints it as 0).
TEST(TextWriterTest, ValueWritesWhatTheFloatFormatterWrites) {
  for (double v : {0.0, -0.0, 1.0, -1.0, 0.5, 1e6, 1764931200.0}) {
    std::string out;
    {
      TextWriter w([&](std::string_view s) { out += s; });
      w.Begin("kube_x").Value(v);
    }
    EXPECT_EQ(out, "kube_x " + Go(v) + "\n") << v;
  }
}

TEST(TextWriterTest, PreRenderedLabelsAndValuesLongerThanItsBuffer) {
  std::string id;
  AppendLabelPair(id, "namespace", "ns");
  AppendLabelPair(id, "pod", "a\"b");
  EXPECT_EQ(id, "namespace=\"ns\",pod=\"a\\\"b\"");
  const std::string huge(200 * 1024, 'v');  // an annotation larger than the writer's buffer
  std::string out;
  {
    TextWriter w([&](std::string_view s) { out += s; });
    w.Begin("kube_a").Labels(id).Label("x", "1").Value(1);
    w.Begin("kube_b").Labels(id).Value(2);
    w.Begin("kube_c").Label("big", huge).Label("q", std::string(100 * 1024, '"')).Value(3);
  }
  EXPECT_EQ(out, "kube_a{namespace=\"ns\",pod=\"a\\\"b\",x=\"1\"} 1\n"
                 "kube_b{namespace=\"ns\",pod=\"a\\\"b\"} 2\n"
                 "kube_c{big=\"" + huge + "\",q=\"" + [] {
                   std::string e;
                   for (int i = 0; i < 100 * 1024; ++i) e += "\\\"";
                   return e;
                 }() + "\"} 3\n");
}

TEST(TextWriterTest, HandsTheTextOverInChunks) {
  std::size_t chunks = 0, bytes = 0, largest = 0;
  {
    TextWriter w([&](std::string_view s) {
      ++chunks;
      bytes += s.size();
      largest = std::max(largest, s.size());
    });
    for (int i = 0; i < 20000; ++i) w.Begin("kube_pod_info").Label("namespace", "default").Value(i);
  }
  EXPECT_GT(chunks, 5u);
  EXPECT_LT(largest, TextWriter::kChunk + 1024);  // never the whole text
  EXPECT_GT(bytes, 20000u * 30);
}

}  // namespace
}  // namespace kube9::collectors::ksm
