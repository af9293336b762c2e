#include "base/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace kube9::log {
namespace {

const base::WallTime kTime{std::chrono::milliseconds(1795774800123)};

TEST(LogTest, JsonLineHasTimeLevelMessageAndTypedFields) {
  const std::string line = FormatLine(Format::kJson, Level::kWarn, kTime, "status \"write\" failed",
                                      {{"namespace", "kube9-system"}, {"attempt", 3}, {"ratio", 0.5}, {"retry", true}});
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError()) << line;
  EXPECT_STREQ(doc["time"].GetString(), "2026-11-27T10:20:00.123Z");
  EXPECT_STREQ(doc["level"].GetString(), "warn");
  EXPECT_STREQ(doc["msg"].GetString(), "status \"write\" failed");
  EXPECT_STREQ(doc["namespace"].GetString(), "kube9-system");
  EXPECT_EQ(doc["attempt"].GetInt(), 3);
  EXPECT_DOUBLE_EQ(doc["ratio"].GetDouble(), 0.5);
  EXPECT_TRUE(doc["retry"].GetBool());
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one object per line";
}

TEST(LogTest, JsonEscapesControlCharactersFromUntrustedText) {
  const std::string line = FormatLine(Format::kJson, Level::kError, kTime, "bad\nbody", {{"body", "a\x01z"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["msg"].GetString(), "bad\nbody");
}

TEST(LogTest, LogfmtQuotesOnlyWhenNeeded) {
  EXPECT_EQ(FormatLine(Format::kLogfmt, Level::kInfo, kTime, "started", {{"ns", "kube9-system"}, {"n", 2}}),
            "time=2026-11-27T10:20:00.123Z level=info msg=started ns=kube9-system n=2");
  EXPECT_EQ(FormatLine(Format::kLogfmt, Level::kError, kTime, "cannot write", {{"error", "a \"b\"\nc"}, {"ok", false}}),
            "time=2026-11-27T10:20:00.123Z level=error msg=\"cannot write\" error=\"a \\\"b\\\"\\nc\" ok=false");
  EXPECT_EQ(FormatLine(Format::kLogfmt, Level::kInfo, kTime, "x", {{"empty", ""}}),
            "time=2026-11-27T10:20:00.123Z level=info msg=x empty=\"\"");
}

TEST(LogTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("warning"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud"));
  EXPECT_EQ(ParseFormat("logfmt"), Format::kLogfmt);
  EXPECT_FALSE(ParseFormat("xml"));
}

TEST(LogTest, LevelFiltering) {
  Configure(Level::kWarn, Format::kJson);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  Configure(Level::kInfo, Format::kJson);
  EXPECT_TRUE(Enabled(Level::kInfo));
}

}  // namespace
}  // namespace kube9::log
