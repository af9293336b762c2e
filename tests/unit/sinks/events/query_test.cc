#include "sinks/events/query.h"

#include <rapidjson/document.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time_format.h"

namespace kube9::sinks::events {
namespace {

using ::testing::HasSubstr;

const base::WallTime kNow = *base::ParseRfc3339("2026-12-05T12:00:00.000Z");

std::int64_t Ms(const char* t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(base::ParseRfc3339(t)->time_since_epoch()).count();
}

ListRequest MustParse(const std::vector<std::string>& args, const std::string& env = "", bool tty = false) {
  auto r = ParseListFlags(args, env, tty, kNow);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : ListRequest{};
}

std::string ParseError(const std::vector<std::string>& args) {
  auto r = ParseListFlags(args, "", false, kNow);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error();
}

TEST(QueryFlagsTest, DefaultsMatchTheContract) {
  ListRequest r = MustParse({});
  EXPECT_EQ(r.filter.limit, 50);
  EXPECT_EQ(r.filter.offset, 0);
  EXPECT_EQ(r.format, OutputFormat::kJson);
  EXPECT_EQ(r.store_path, "/var/lib/kube9-operator/events.db");
  EXPECT_TRUE(r.filter.severities.empty());
  EXPECT_FALSE(r.filter.since_ms || r.filter.until_ms || r.filter.match_nothing);
  EXPECT_EQ(MustParse({}, "", true).format, OutputFormat::kTable);  // a person at a terminal
  EXPECT_EQ(MustParse({}, "/data/").store_path, "/data/events.db");  // the chart's $KUBE9_DATA_PATH
  EXPECT_EQ(MustParse({"--data.path=/x"}, "/data").store_path, "/x/events.db");
}

TEST(QueryFlagsTest, SinceAndUntilInTheExtensionsFormatsAndRelative) {
  ListRequest r = MustParse({"--since=2026-12-04T06:00:00.000Z", "--until", "2026-12-05T08:00:00+02:00"});
  EXPECT_EQ(*r.filter.since_ms, Ms("2026-12-04T06:00:00Z"));
  EXPECT_EQ(*r.filter.until_ms, Ms("2026-12-05T06:00:00Z"));
  EXPECT_EQ(*MustParse({"--since=24h"}).filter.since_ms, Ms("2026-12-04T12:00:00Z"));
  EXPECT_EQ(*MustParse({"--since=7d"}).filter.since_ms, Ms("2026-11-28T12:00:00Z"));
  EXPECT_EQ(*MustParse({"--since=90m"}).filter.since_ms, Ms("2026-12-05T10:30:00Z"));
  EXPECT_THAT(ParseError({"--since=yesterday"}), HasSubstr("--since=yesterday"));
  EXPECT_THAT(ParseError({"--since=3600"}), HasSubstr("--since"));
  EXPECT_THAT(ParseError({"--since=2026-13-04T06:00:00Z"}), HasSubstr("--since"));
  EXPECT_THAT(ParseError({"--since=1h", "--until=2h"}), HasSubstr("--since is after --until"));
}

TEST(QueryFlagsTest, FiltersAndPages) {
  ListRequest r = MustParse({"--type=cluster", "--severity=critical,error", "--object-kind=Pod",
                             "--object-namespace=shop", "--object-name=api-0", "--limit=1000", "--offset=20",
                             "--format=yaml"});
  EXPECT_EQ(r.filter.severities, (std::vector<Severity>{Severity::kCritical, Severity::kError}));
  EXPECT_EQ(r.filter.object_kind, "Pod");
  EXPECT_EQ(r.filter.object_namespace, "shop");
  EXPECT_EQ(r.filter.object_name, "api-0");
  EXPECT_EQ(r.filter.limit, 1000);
  EXPECT_EQ(r.filter.offset, 20);
  EXPECT_EQ(r.format, OutputFormat::kYaml);
  EXPECT_FALSE(r.filter.match_nothing);
  EXPECT_TRUE(MustParse({"--type=operator,insight"}).filter.match_nothing);  // valid, and none held here
  EXPECT_TRUE(MustParse({"--help"}).help);
}

TEST(QueryFlagsTest, InvalidFlagsAreAllReported) {
  const std::string e = ParseError({"--limit=0", "--offset=-1", "--severity=fatal", "--type=Warning", "--format=xml",
                                    "--page=2", "stray", "--object-kind="});
  for (const char* part : {"--limit=0", "--offset=-1", "unknown severity 'fatal'", "unknown event type 'Warning'",
                           "--format=xml", "unknown flag --page", "unexpected argument 'stray'", "--object-kind="}) {
    EXPECT_THAT(e, HasSubstr(part));
  }
  EXPECT_THAT(ParseError({"--limit=1001"}), HasSubstr("from 1 to 1000"));
  EXPECT_THAT(ParseError({"--limit"}), HasSubstr("needs a value"));
}

EventRecord Row() {
  EventRecord r;
  r.uid = "0f6b";
  r.type = "Warning";
  r.reason = "BackOff";
  r.severity = Severity::kWarning;
  r.message = "Back-off restarting failed container";
  r.object_kind = "Pod";
  r.object_namespace = "shop";
  r.object_name = "api-0";
  r.count = 7;
  r.first_ms = Ms("2026-12-04T05:00:00Z");
  r.last_ms = Ms("2026-12-04T06:00:00.250Z");
  r.source = "kubelet";
  return r;
}

TEST(QueryOutputTest, JsonIsTheDocumentedShapeWithATwoSpaceIndent) {
  QueryResult result;
  result.rows.push_back(Row());
  EventRecord node = Row();
  node.uid = "n1";
  node.object_kind = "Node";
  node.object_namespace = "";
  node.object_name = "node-1";
  node.reason = "NodeNotReady";
  node.severity = Severity::kCritical;
  node.message.reset();
  node.source = "";
  result.rows.push_back(node);
  result.total = 12;
  EventFilter filter;
  filter.limit = 2;
  filter.offset = 4;
  const std::string json = RenderJson(result, filter);
  EXPECT_EQ(json.substr(0, 60), "{\n  \"events\": [\n    {\n      \"id\": \"0f6b\",\n      \"event_type\"");
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  const auto& e = doc["events"][0];
  std::vector<std::string> keys;
  for (auto it = e.MemberBegin(); it != e.MemberEnd(); ++it) keys.emplace_back(it->name.GetString());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "event_type", "severity", "title", "description", "object_kind",
                                            "object_namespace", "object_name", "metadata", "created_at"}));
  EXPECT_STREQ(e["event_type"].GetString(), "cluster");
  EXPECT_STREQ(e["severity"].GetString(), "warning");
  EXPECT_STREQ(e["title"].GetString(), "Pod BackOff: api-0");
  EXPECT_STREQ(e["description"].GetString(), "Back-off restarting failed container");
  EXPECT_STREQ(e["metadata"]["reason"].GetString(), "BackOff");
  EXPECT_EQ(e["metadata"]["count"].GetInt(), 7);
  EXPECT_STREQ(e["metadata"]["first_timestamp"].GetString(), "2026-12-04T05:00:00.000Z");
  EXPECT_STREQ(e["metadata"]["last_timestamp"].GetString(), "2026-12-04T06:00:00.250Z");
  EXPECT_STREQ(e["metadata"]["source"].GetString(), "kubelet");
  EXPECT_STREQ(e["created_at"].GetString(), "2026-12-04T06:00:00.250Z");
  const auto& n = doc["events"][1];
  EXPECT_TRUE(n["description"].IsNull());
  EXPECT_TRUE(n["object_namespace"].IsNull());
  EXPECT_TRUE(n["metadata"]["source"].IsNull());
  EXPECT_STREQ(n["title"].GetString(), "Node NodeNotReady: node-1");
  const auto& p = doc["pagination"];
  EXPECT_EQ(p["total"].GetInt(), 12);
  EXPECT_EQ(p["limit"].GetInt(), 2);
  EXPECT_EQ(p["offset"].GetInt(), 4);
  EXPECT_EQ(p["returned"].GetInt(), 2);
}

TEST(QueryOutputTest, AnEmptyHistoryIsAnEmptyList) {
  EXPECT_EQ(RenderJson({}, {}),
            "{\n  \"events\": [],\n  \"pagination\": {\n    \"total\": 0,\n    \"limit\": 50,\n    \"offset\": 0,\n"
            "    \"returned\": 0\n  }\n}\n");
}

TEST(QueryOutputTest, YamlTableAndErrorForms) {
  QueryResult result;
  result.rows.push_back(Row());
  result.total = 1;
  const std::string yaml = RenderYaml(result, {});
  EXPECT_THAT(yaml, HasSubstr("title: \"Pod BackOff: api-0\""));
  EXPECT_THAT(yaml, HasSubstr("count: 7"));
  EXPECT_THAT(yaml, HasSubstr("returned: 1"));
  const std::string table = RenderTable(result, {});
  EXPECT_THAT(table, HasSubstr("LAST SEEN"));
  EXPECT_THAT(table, HasSubstr("Pod/shop/api-0"));
  EXPECT_THAT(table, HasSubstr("1 of 1 events"));
  EXPECT_EQ(RenderError("invalid flags", "flag --limit=0: \"x\""),
            "{\"error\":\"invalid flags\",\"details\":\"flag --limit=0: \\\"x\\\"\"}\n");
}

}  // namespace
}  // namespace kube9::sinks::events
