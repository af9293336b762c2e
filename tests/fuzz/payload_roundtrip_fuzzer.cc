// The Pro tier's payloads, from API objects to the uploaded JSON. The input is lines: the
// /version gitVersion, the kube-system namespace's UID, then one API object per line, its first
// byte choosing the store (modulo 11: 'B' nodes, 'C' namespaces, 'D' pods, 'E' services, 'F' PVCs,
// 'G' deployments, 'H' statefulsets, 'I' daemonsets, 'J' replicasets, 'K' jobs, 'L' cronjobs). Every collection type is built from what the stores
// hold, and must be valid JSON (UTF-8 whatever the objects held) in the documented envelope, read back the same through PrettyJson,
// and free of the names the sanitization promises to drop: no string of an object's metadata that
// contains "SECRETMARK" may appear anywhere in a payload, except as a region or zone label value,
// which are sent on purpose (and the version, which is not from an object).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "collectors/aggregates.h"
#include "collectors/extract.h"
#include "fuzz_check.h"
#include "sinks/collections/payloads.h"

namespace {

namespace collectors = kube9::collectors;
namespace collections = kube9::sinks::collections;
using kube9::fuzz::IsUtf8;

const kube9::base::WallTime kNow{std::chrono::milliseconds(1795774800123)};

std::string_view NextLine(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

collectors::ClusterStores MakeStores() {
  collectors::ClusterStores s;
  s.Add(collectors::kNodes);
  s.Add(collectors::kNamespaces);
  s.Add(collectors::kPods);
  s.Add(collectors::kServices);
  s.Add(collectors::kPersistentVolumeClaims);
  s.Add(collectors::kDeployments);
  s.Add(collectors::kStatefulSets);
  s.Add(collectors::kDaemonSets);
  s.Add(collectors::kReplicaSets);
  s.Add(collectors::kJobs);
  s.Add(collectors::kCronJobs);
  return s;
}

void Add(collectors::ClusterStores& s, std::uint8_t which, const rapidjson::Value& object) {
  const auto added = kube9::kube::EventType::kAdded;
  switch (which % 11) {
    case 0: s.Find(collectors::kNodes)->OnEvent(added, object); break;
    case 1: s.Find(collectors::kNamespaces)->OnEvent(added, object); break;
    case 2: s.Find(collectors::kPods)->OnEvent(added, object); break;
    case 3: s.Find(collectors::kServices)->OnEvent(added, object); break;
    case 4: s.Find(collectors::kPersistentVolumeClaims)->OnEvent(added, object); break;
    case 5: s.Find(collectors::kDeployments)->OnEvent(added, object); break;
    case 6: s.Find(collectors::kStatefulSets)->OnEvent(added, object); break;
    case 7: s.Find(collectors::kDaemonSets)->OnEvent(added, object); break;
    case 8: s.Find(collectors::kReplicaSets)->OnEvent(added, object); break;
    case 9: s.Find(collectors::kJobs)->OnEvent(added, object); break;
    default: s.Find(collectors::kCronJobs)->OnEvent(added, object); break;
  }
}

// Every string (keys too) in `v`, except the values of region, zone and kubernetesVersion.
void Strings(const rapidjson::Value& v, std::vector<std::string_view>& out) {
  if (v.IsString()) {
    out.emplace_back(v.GetString(), v.GetStringLength());
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) Strings(e, out);
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      const std::string_view key(m.name.GetString(), m.name.GetStringLength());
      out.push_back(key);
      if (key == "region" || key == "zone" || key == "kubernetesVersion") continue;
      Strings(m.value, out);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string version(NextLine(in));
  const std::string uid(NextLine(in));
  collectors::ClusterStores stores = MakeStores();
  while (!in.empty()) {
    const std::string_view line = NextLine(in);
    if (line.empty()) continue;
    rapidjson::Document object;
    object.Parse(line.data() + 1, line.size() - 1);
    if (!object.HasParseError()) Add(stores, static_cast<std::uint8_t>(line[0]), object);
  }
  const collectors::ClusterAggregates aggregates = collectors::Aggregate(stores, kNow, version);
  const collections::Snapshot snapshot{stores, aggregates};
  const collections::ClusterIdentity identity(uid);

  std::vector<std::pair<collections::CollectionType, std::string>> payloads;
  for (const auto type : collections::kAllTypes) {
    payloads.emplace_back(type, collections::BuildCollection(type, snapshot, identity, kNow, "coll_fuzz"));
  }
  const std::vector<collections::MetricsSample> samples(2, collections::SampleOf(aggregates, kNow));
  payloads.emplace_back(collections::CollectionType::kMetricsBatch,
                        collections::BuildMetricsBatch(samples, 60, identity, kNow, "coll_fuzz"));

  for (const auto& [type, json] : payloads) {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    KUBE9_FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
    KUBE9_FUZZ_CHECK(IsUtf8(json));
    KUBE9_FUZZ_CHECK(doc.HasMember("version") && doc["version"] == "v1.0.0");
    const std::string_view name = collections::TypeName(type);
    KUBE9_FUZZ_CHECK(doc.HasMember("type") && doc["type"].IsString() && doc["type"].GetString() == name);
    KUBE9_FUZZ_CHECK(collections::ParseType(name) == type);
    KUBE9_FUZZ_CHECK(doc.HasMember("data") && doc["data"].IsObject());
    KUBE9_FUZZ_CHECK(doc["data"]["clusterId"] == rapidjson::StringRef(identity.cluster_id().c_str()));
    KUBE9_FUZZ_CHECK(doc.HasMember("sanitization") && doc["sanitization"].IsObject());

    const std::string pretty = collections::PrettyJson(json);
    rapidjson::Document again;
    again.Parse(pretty.data(), pretty.size());
    KUBE9_FUZZ_CHECK(!again.HasParseError() && again == doc);

    std::vector<std::string_view> strings;
    Strings(doc, strings);
    for (std::string_view s : strings) {
      if (s.find("SECRETMARK") != std::string_view::npos) {
        std::fprintf(stderr, "%.*s: '%.*s' is sent\n", static_cast<int>(name.size()), name.data(),
                     static_cast<int>(s.size()), s.data());
        KUBE9_FUZZ_CHECK(s.find("SECRETMARK") == std::string_view::npos);
      }
    }
  }
  return 0;
}
