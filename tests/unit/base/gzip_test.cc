#include "base/gzip.h"

#include <gtest/gtest.h>

namespace kube9::base {
namespace {

TEST(GzipTest, RoundTripsAndHasTheGzipMagic) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "kube9_pods{namespace=\"default\",phase=\"Running\"} 3\n";
  const std::string gz = GzipCompress(text);
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_LT(gz.size(), text.size() / 20) << "repetitive exposition text compresses well";
  std::string back;
  ASSERT_TRUE(GzipDecompress(gz, back));
  EXPECT_EQ(back, text);
}

TEST(GzipTest, WriterCompressesPieceByPieceIntoOneMember) {
  std::string text, gz;
  {
    GzipWriter w(gz);
    for (int i = 0; i < 20000; ++i) {
      std::string line = "kube_pod_info{namespace=\"default\",pod=\"p" + std::to_string(i) + "\"} 1\n";
      text += line;
      w.Write(line);
    }
    w.Write("");
    w.Finish();
    w.Finish();  // once is enough
  }
  EXPECT_LT(gz.size(), text.size() / 5);
  std::string back;
  ASSERT_TRUE(GzipDecompress(gz, back));
  EXPECT_EQ(back, text);

  std::string empty;
  {
    GzipWriter w(empty);
    w.Finish();
  }
  ASSERT_TRUE(GzipDecompress(empty, back));
  EXPECT_EQ(back, "");
}

TEST(GzipTest, EmptyInput) {
  std::string back = "x";
  ASSERT_TRUE(GzipDecompress(GzipCompress(""), back));
  EXPECT_EQ(back, "");
}

TEST(GzipTest, StopsAtMaxOut) {
  const std::string gz = GzipCompress(std::string(10 << 20, 'a'));  // 10 MiB in ~10 KiB
  std::string out;
  EXPECT_FALSE(GzipDecompress(gz, out, 1 << 20));
  EXPECT_LE(out.size(), 1u << 20);
  EXPECT_TRUE(GzipDecompress(gz, out, 10 << 20));
  EXPECT_EQ(out.size(), 10u << 20);
}

TEST(GzipTest, RejectsTruncatedAndGarbage) {
  const std::string gz = GzipCompress(std::string(10000, 'a'));
  std::string out;
  EXPECT_FALSE(GzipDecompress(gz.substr(0, gz.size() / 2), out));
  EXPECT_FALSE(GzipDecompress("not gzip at all", out));
}

}  // namespace
}  // namespace kube9::base
