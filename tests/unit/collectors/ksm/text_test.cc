#include "collectors/ksm/text.h"

#include <gtest/gtest.h>

#include <limits>

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
  EXPECT_EQ(Go(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Go(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Go(-std::numeric_limits<double>::infinity()), "-Inf");
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
