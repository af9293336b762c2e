#include "sinks/events/event_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time_format.h"

namespace kube9::sinks::events {
namespace {

std::int64_t Ms(const char* rfc3339) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(base::ParseRfc3339(rfc3339)->time_since_epoch())
      .count();
}

std::optional<EventRecord> Extract(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError());
  return ExtractEvent(doc);
}

TEST(EventRecordTest, ExtractsTheFieldsOfACoreEvent) {
  auto r = Extract(R"({"metadata":{"uid":"1b2c","name":"api-0.17e","namespace":"shop",
      "creationTimestamp":"2026-12-04T05:00:00Z","managedFields":[{"manager":"kubelet"}]},
      "involvedObject":{"kind":"Pod","namespace":"shop","name":"api-0","uid":"p1","fieldPath":"spec.containers{app}"},
      "reason":"BackOff","message":"Back-off restarting failed container","type":"Warning","count":7,
      "firstTimestamp":"2026-12-04T05:00:00Z","lastTimestamp":"2026-12-04T06:00:00Z",
      "source":{"component":"kubelet","host":"node-1"}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, "1b2c");
  EXPECT_EQ(r->type, "Warning");
  EXPECT_EQ(r->reason, "BackOff");
  EXPECT_EQ(r->message, "Back-off restarting failed container");
  EXPECT_EQ(r->object_kind, "Pod");
  EXPECT_EQ(r->object_namespace, "shop");
  EXPECT_EQ(r->object_name, "api-0");
  EXPECT_EQ(r->count, 7);
  EXPECT_EQ(r->first_ms, Ms("2026-12-04T05:00:00Z"));
  EXPECT_EQ(r->last_ms, Ms("2026-12-04T06:00:00Z"));
  EXPECT_EQ(r->source, "kubelet");
  EXPECT_EQ(r->severity, Severity::kWarning);
}

TEST(EventRecordTest, ASeriesCountsAndEndsWhereItWasLastObserved) {
  auto r = Extract(R"({"metadata":{"uid":"s1"},"type":"Warning","reason":"FailedScheduling",
      "eventTime":"2026-12-04T05:00:00.123456Z","series":{"count":12,"lastObservedTime":"2026-12-04T06:30:00.500000Z"},
      "reportingController":"default-scheduler","reportingComponent":"default-scheduler",
      "involvedObject":{"kind":"Pod","namespace":"shop","name":"api-1"}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->count, 12);
  EXPECT_EQ(r->first_ms, Ms("2026-12-04T05:00:00.123Z"));
  EXPECT_EQ(r->last_ms, Ms("2026-12-04T06:30:00.500Z"));
  EXPECT_EQ(r->source, "default-scheduler");
  EXPECT_EQ(r->severity, Severity::kError);
  EXPECT_FALSE(r->message);  // none given: null in the output
}

TEST(EventRecordTest, AnEventWithoutTimestampsFallsBackToItsCreation) {
  auto r = Extract(R"({"metadata":{"uid":"c1","creationTimestamp":"2026-12-04T05:00:00Z"},"reason":"NodeNotReady",
      "involvedObject":{"kind":"Node","name":"node-1"}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, "Normal");
  EXPECT_EQ(r->first_ms, Ms("2026-12-04T05:00:00Z"));
  EXPECT_EQ(r->last_ms, r->first_ms);
  EXPECT_EQ(r->count, 1);
  EXPECT_EQ(r->severity, Severity::kCritical);
}

TEST(EventRecordTest, UnusableObjectsAreSkipped) {
  EXPECT_FALSE(Extract(R"({"metadata":{"name":"x","creationTimestamp":"2026-12-04T05:00:00Z"},"type":"Warning"})"));
  EXPECT_FALSE(Extract(R"({"metadata":{"uid":"no-time"},"type":"Warning"})"));
  EXPECT_FALSE(Extract(R"({"type":"Warning"})"));
  EXPECT_FALSE(Extract(R"([1,2])"));
}

TEST(EventRecordTest, MessagesAreCutAtOneKibibyteOnACharacterBoundary) {
  std::string message(1023, 'a');
  message += "\xc3\xa9\xc3\xa9";  // "éé": the first straddles the 1 KiB mark
  auto r = Extract(R"({"metadata":{"uid":"m1","creationTimestamp":"2026-12-04T05:00:00Z"},"type":"Warning",
      "reason":"Failed","message":")" + message + R"("})");
  ASSERT_TRUE(r && r->message);
  EXPECT_EQ(r->message->size(), 1023u);
  r = Extract(R"({"metadata":{"uid":"m2","creationTimestamp":"2026-12-04T05:00:00Z"},"type":"Warning",
      "reason":"Failed","message":")" + std::string(2000, 'b') + R"("})");
  ASSERT_TRUE(r && r->message);
  EXPECT_EQ(r->message->size(), kMaxMessageBytes);
}

TEST(EventRecordTest, SeverityFollowsTheDocumentedMapping) {
  for (const char* reason : {"OOMKilled", "OOMKilling", "SystemOOM", "NodeNotReady", "FailedKillPod"}) {
    EXPECT_EQ(SeverityOf("Warning", reason), Severity::kCritical) << reason;
    EXPECT_EQ(SeverityOf("Normal", reason), Severity::kCritical) << reason;
  }
  for (const char* reason : {"Failed", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "FailedScheduling",
                             "FailedBinding", "FailedCreate", "FailedMount", "FailedAttachVolume"}) {
    EXPECT_EQ(SeverityOf("Warning", reason), Severity::kError) << reason;
  }
  for (const char* reason : {"BackOff", "Unhealthy", "Evicted"}) {
    EXPECT_EQ(SeverityOf("Normal", reason), Severity::kWarning) << reason;
  }
  EXPECT_EQ(SeverityOf("Warning", "SomethingNew"), Severity::kWarning);
  EXPECT_EQ(SeverityOf("Normal", "Preempted"), Severity::kInfo);
  EXPECT_EQ(SeverityOf("Normal", "Scheduled"), Severity::kInfo);
  EXPECT_EQ(SeverityOf("Normal", "failed"), Severity::kInfo);  // reasons are case-sensitive, as Kubernetes writes them
}

TEST(EventRecordTest, EveryWarningAndTheSignificantNormalReasonsAreRecorded) {
  EXPECT_TRUE(IsRecorded("Warning", "Anything", ""));
  for (std::string_view reason : kSignificantNormalReasons) EXPECT_TRUE(IsRecorded("Normal", reason, "")) << reason;
  EXPECT_FALSE(IsRecorded("Normal", "Scheduled", ""));
  EXPECT_FALSE(IsRecorded("Normal", "Pulled", ""));
  EXPECT_FALSE(IsRecorded("Normal", "Killing", "Stopping container app"));
  EXPECT_TRUE(IsRecorded("Normal", "Killing", "Container app was OOMKilled"));
}

}  // namespace
}  // namespace kube9::sinks::events
